/**
 * Turns pulled Adj-RIB-Out batches into wire UPDATEs with the codec. IPv4 goes in the classic
 * fields (NEXT_HOP in the attributes), IPv6 in MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760); a peer
 * without the 4-octet AS capability gets the RFC 6793 4.2.2 form (downgradeAs4).
 *
 * Peers of one export group mostly get the same batches (a reflector's clients: the same reflected
 * route, prefix by prefix). `SharedEncodings` keeps the last UPDATEs encoded from an attribute set, for
 * the prefixes and codec context they were encoded for, and hands the same Buffers to the next peer
 * asking for exactly that; the Buffers are never written to after they are returned. What is kept
 * is bounded in bytes (SharedEncodings).
 */
import { downgradeAs4 } from '../codec/attrs/as-path.js';
import { Afi, Safi } from '../codec/constants.js';
import { encodeMessage, endOfRib } from '../codec/message.js';
import { encodeUpdates, type NlriEntry } from '../codec/pack.js';
import { familyKey, type CodecContext, type PathAttrs } from '../codec/types.js';
import { assertNever } from '../util/assert.js';
import { prefixTexts, type OutBatch } from './adj-rib-out.js';
import type { AttrSet, SharedEncoding } from './attrs-store.js';
import type { Family } from './types.js';

const afiOf = (f: Family): number => (f === 'ipv4-unicast' ? Afi.IPV4 : Afi.IPV6);

/** Attribute sets are immutable, so their 2-octet form is computed once per set. */
const downgraded = new WeakMap<PathAttrs, PathAttrs>();
function forPeer(a: PathAttrs, ctx: CodecContext): PathAttrs {
  if (ctx.as4) return a;
  let d = downgraded.get(a);
  if (d === undefined) downgraded.set(a, (d = downgradeAs4(a)));
  return d;
}

/** What in a codec context changes the bytes of an UPDATE, as a small number. */
export function ctxKey(ctx: CodecContext): number {
  return (
    (ctx.as4 ? 1 : 0) |
    (ctx.extendedMessage ? 2 : 0) |
    (ctx.addPathTx.has(familyKey(Afi.IPV4, Safi.UNICAST)) ? 4 : 0) |
    (ctx.addPathTx.has(familyKey(Afi.IPV6, Safi.UNICAST)) ? 8 : 0)
  );
}

export function encodeBatch(b: OutBatch, ctx: CodecContext): Buffer[] {
  switch (b.kind) {
    case 'withdraw': {
      // RFC 7911 3: with ADD-PATH each entry carries its path id (the codec writes them when ctx.addPathTx has the family).
      const ids = b.pathIds;
      if (b.family === 'ipv4-unicast') return encodeUpdates(ids === undefined ? { withdrawn: b.prefixes, attrs: null } : { withdrawn: b.prefixes, withdrawnPathIds: ids, attrs: null }, ctx);
      const un = { afi: afiOf(b.family), safi: Safi.UNICAST, withdrawn: prefixTexts(b.prefixes) };
      return encodeUpdates({ attrs: { mpUnreach: ids === undefined ? un : { ...un, pathIds: ids } } }, ctx);
    }
    case 'announce': {
      const a = forPeer(b.attrs.attrs, ctx);
      const ids = b.pathIds;
      if (b.family === 'ipv4-unicast' && a.mpReach === undefined) {
        return encodeUpdates(ids === undefined ? { nlri: b.prefixes, attrs: a } : { nlri: b.prefixes, nlriPathIds: ids, attrs: a }, ctx);
      }
      const mp = a.mpReach;
      if (mp === undefined) return [];
      const reach = { afi: mp.afi, safi: mp.safi, nextHops: mp.nextHops, nlri: prefixTexts(b.prefixes) };
      return encodeUpdates({ attrs: { ...a, mpReach: ids === undefined ? reach : { ...reach, pathIds: ids } } }, ctx);
    }
    case 'end-of-rib':
      return [encodeMessage(endOfRib(afiOf(b.family), Safi.UNICAST), ctx)];
    case 'refresh-marker':
      return [encodeMessage({ kind: 'route-refresh', afi: afiOf(b.family), subtype: b.subtype, safi: Safi.UNICAST }, ctx)];
    default:
      return assertNever(b);
  }
}

function samePrefixes(a: readonly NlriEntry[], b: readonly NlriEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameIds(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Encodings kept for sharing: at most this many, and about this many bytes (oldest dropped first). */
const SHARED_MAX_ENTRIES = 16384;
const SHARED_MAX_BYTES = 4 * 1024 * 1024;
/**
 * After this many encodings in a row that nobody reused (a group whose other members get nothing,
 * like the peer a full table comes from), only one batch in SHARED_PROBE_EVERY is kept, until one is
 * reused again.
 */
const SHARED_MISSES_BEFORE_PROBING = 4096;
const SHARED_PROBE_EVERY = 64;

/**
 * The UPDATEs last encoded from each attribute set, kept on the set (AttrSet.shared) for peers of
 * one export group, within a bound (a ring of the most recent ones): a full table sent to one peer
 * does not keep a copy of itself, and a reflector's clients, pulling the same batches one after
 * the other, find them.
 */
export class SharedEncodings {
  readonly #sets: (AttrSet | null)[] = new Array<AttrSet | null>(SHARED_MAX_ENTRIES).fill(null);
  readonly #bytes = new Int32Array(SHARED_MAX_ENTRIES);
  #next = 0;
  #total = 0;
  #misses = 0;

  /** encodeBatch, reusing the UPDATEs last encoded from the same attribute set for the same prefixes. */
  encode(b: OutBatch, ctx: CodecContext, key: number): readonly Buffer[] {
    if (b.kind !== 'announce') return encodeBatch(b, ctx);
    const set = b.attrs;
    const s = set.shared;
    if (s !== null && s.ctxKey === key && samePrefixes(s.prefixes, b.prefixes) && sameIds(s.pathIds, b.pathIds)) {
      this.#misses = 0;
      return s.bufs;
    }
    const bufs = encodeBatch(b, ctx);
    if (++this.#misses > SHARED_MISSES_BEFORE_PROBING && this.#misses % SHARED_PROBE_EVERY !== 0) return bufs;
    let bytes = 0;
    for (let i = 0; i < bufs.length; i++) bytes += (bufs[i] as Buffer).length;
    // The ring's next slot is the oldest entry: drop it, and more of the oldest while over the byte bound.
    const slot = this.#next;
    this.#evict(slot);
    for (let j = (slot + 1) % SHARED_MAX_ENTRIES; this.#total + bytes > SHARED_MAX_BYTES && j !== slot; j = (j + 1) % SHARED_MAX_ENTRIES) this.#evict(j);
    if (set.shared !== null) this.#evict(set.shared.slot);
    set.shared = { ctxKey: key, prefixes: b.prefixes, pathIds: b.pathIds, bufs, slot };
    this.#sets[slot] = set;
    this.#bytes[slot] = bytes;
    this.#total += bytes;
    this.#next = (slot + 1) % SHARED_MAX_ENTRIES;
    return bufs;
  }

  /** Empties a ring slot, dropping the encoding kept there. */
  #evict(i: number): void {
    const set = this.#sets[i];
    if (set == null) return;
    if (set.shared !== null && set.shared.slot === i) set.shared = null;
    this.#total -= this.#bytes[i] as number;
    this.#sets[i] = null;
  }
}

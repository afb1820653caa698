/**
 * Interned path-attribute sets (BIRD's attribute cache, Holo's AttrSets).
 *
 * Routes with equal attributes share one frozen `AttrSet`: comparison is identity, UPDATE packing
 * groups by identity, and a million prefixes from one feed cost one attribute object per distinct
 * set. Lookup is by a 32-bit hash of the attributes (attrs-hash.ts) in an open-addressing table,
 * with an equality check, so no key string is built or kept and no Map entry is made per set. Each holder (a route in Adj-RIB-In, an entry in an Adj-RIB-Out, an
 * export memo) holds one reference; the set leaves the store when the last reference is released.
 *
 * What is stored is route attributes, not an UPDATE: MP_UNREACH_NLRI is dropped and MP_REACH_NLRI
 * keeps its AFI/SAFI and next hops with an empty NLRI list (the prefixes are the routes' keys).
 * Buffers are copied, so nothing kept here is a view of a socket chunk. Arrays that are already
 * frozen (they belong to another interned set) are shared instead of copied.
 *
 * A set also carries caches of values derived from it, filled by their users (decision metrics,
 * forwarding, export result, size estimate, a shared encoding): computed once per set, not per
 * prefix, and gone with the set.
 */
import type { AsPath, MpReach, PathAttrs, RawAttr } from '../codec/types.js';
import type { NlriEntry } from '../codec/pack.js';
import { invariant } from '../util/assert.js';
import { BoundedMemo } from '../util/bounded-memo.js';
import { IdStack } from '../util/id-stack.js';
import { attrsEqual, attrsHash } from './attrs-hash.js';
import type { AttrMetrics } from './decision.js';
import type { BestForwarding } from './types.js';

/** UPDATEs encoded once for a group of peers that get the same batch (encode-out.ts). */
export interface SharedEncoding {
  /** Which codec context they were encoded for (encode-out.ts ctxKey). */
  readonly ctxKey: number;
  readonly prefixes: readonly NlriEntry[];
  /** RFC 7911 path ids parallel to the prefixes, when sent with ADD-PATH. */
  readonly pathIds: readonly number[] | undefined;
  readonly bufs: readonly Buffer[];
  /** Its slot in encode-out.ts SharedEncodings. */
  readonly slot: number;
}

/** One interned attribute set. `refs` is managed by the store only. */
export class AttrSet {
  readonly attrs: PathAttrs;
  readonly hash: number;
  /** Creation order: a set holds cache references only on younger sets, so references never form a cycle. */
  readonly serial: number;
  /** Index in the store (reused once the set is gone). */
  readonly id: number;
  refs = 0;
  // ---- caches of derived values (owned by their users; see the file comment)
  /** decision.ts AttrMetrics of this set (candidate.ts). */
  metrics: AttrMetrics | null = null;
  /** Forwarding facts when this set's route is the only path (candidate.ts). */
  fwd: BestForwarding | null = null;
  /** Estimated encoded size of the attribute block (adj-rib-out.ts), -1 = not computed. */
  wireEstimate = -1;
  /**
   * An export result computed from this set (export-groups.ts): for memo epoch `xEpoch`, source
   * `xSrc`, family `xFam`. This set holds a reference on `xRes` (a younger set, or itself without a
   * reference), released with it.
   */
  xEpoch = 0;
  xSrc: object | null = null;
  xFam = -1;
  xRes: AttrSet | null = null;
  /** UPDATEs encoded from this set, shared by peers (encode-out.ts). */
  shared: SharedEncoding | null = null;

  constructor(attrs: PathAttrs, hash: number, serial: number, id: number) {
    this.attrs = attrs;
    this.hash = hash;
    this.serial = serial;
    this.id = id;
  }
}

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

const EMPTY: readonly string[] = Object.freeze([]);
const frozen = <T>(xs: readonly T[]): readonly T[] => (Object.isFrozen(xs) ? xs : Object.freeze(xs.slice()));
const frozenPath = (p: AsPath): AsPath =>
  Object.isFrozen(p) ? p : Object.freeze(p.map((s) => Object.freeze({ type: s.type, asns: frozen(s.asns) })));

/**
 * Next-hop texts by value: the decoder makes a string per UPDATE, and the sets of a table share a
 * handful of next hops, so each new set takes the first copy instead of keeping its own (24 bytes
 * x 250,000 sets at a million routes: docs/benchmarks.md, "kernel and memory: step 8 of issue 14").
 * Cleared when it holds 4,096 (a peer sending endless next hops).
 */
const hopTexts = new BoundedMemo<string, string>(4096);
const itself = (t: string): string => t;
const hopText = (h: string): string => hopTexts.get(h, itself);

/** A frozen list (another set's) is shared as it is; a new one is copied with its texts shared. */
const hopList = (hops: readonly string[]): readonly string[] => (Object.isFrozen(hops) ? hops : Object.freeze(hops.map(hopText)));

/** A frozen, normalized copy: own arrays, copied Buffers, no NLRI lists, no undefined fields; next hops shared by value. */
export function normalizeAttrs(a: PathAttrs): PathAttrs {
  const d: Mutable<PathAttrs> = {};
  if (a.origin !== undefined) d.origin = a.origin;
  if (a.asPath !== undefined) d.asPath = frozenPath(a.asPath);
  if (a.nextHop !== undefined) d.nextHop = hopText(a.nextHop);
  if (a.med !== undefined) d.med = a.med;
  if (a.localPref !== undefined) d.localPref = a.localPref;
  if (a.atomicAggregate === true) d.atomicAggregate = true;
  if (a.aggregator !== undefined) d.aggregator = Object.isFrozen(a.aggregator) ? a.aggregator : Object.freeze({ ...a.aggregator });
  if (a.communities !== undefined) d.communities = frozen(a.communities);
  if (a.originatorId !== undefined) d.originatorId = a.originatorId;
  if (a.clusterList !== undefined) d.clusterList = frozen(a.clusterList);
  if (a.mpReach !== undefined) {
    const r: MpReach = { afi: a.mpReach.afi, safi: a.mpReach.safi, nextHops: hopList(a.mpReach.nextHops), nlri: EMPTY };
    d.mpReach = Object.freeze(r);
  }
  if (a.extCommunities !== undefined) {
    const x = a.extCommunities;
    d.extCommunities = Object.isFrozen(x) ? x : Object.freeze(x.map((b) => Buffer.from(b)));
  }
  if (a.as4Path !== undefined) d.as4Path = frozenPath(a.as4Path);
  if (a.as4Aggregator !== undefined) d.as4Aggregator = Object.isFrozen(a.as4Aggregator) ? a.as4Aggregator : Object.freeze({ ...a.as4Aggregator });
  if (a.largeCommunities !== undefined) {
    const l = a.largeCommunities;
    d.largeCommunities = Object.isFrozen(l) ? l : Object.freeze(l.map((c) => Object.freeze({ ...c })));
  }
  if (a.unknown !== undefined) {
    const u = a.unknown;
    d.unknown = Object.isFrozen(u)
      ? u
      : Object.freeze(u.map((r): RawAttr => Object.freeze({ flags: r.flags, type: r.type, value: Buffer.from(r.value) })));
  }
  return Object.freeze(d) as PathAttrs;
}

const MIN_SLOTS = 1024;

/** Home slot of a hash in a table of mask + 1 slots. */
function home(hash: number, mask: number): number {
  let h = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  h ^= h >>> 13;
  return h & mask;
}

/** Below this many set ids the store is never compacted. */
const COMPACT_MIN_SETS = 16384;

export class AttrsStore {
  /**
   * Open addressing over Int32 pairs [hash, id + 1] (linear probing, backward-shift deletion); the
   * sets themselves by id in #sets. No Map entry per set, and a probe compares hashes before it
   * looks at a set.
   */
  #slots = new Int32Array(2 * MIN_SLOTS);
  #mask = MIN_SLOTS - 1;
  #sets: (AttrSet | null)[] = [];
  readonly #freeIds = new IdStack();
  #size = 0;
  #serial = 0;
  /** One past the highest set id that may be live (LocRib's #topHint, for set ids). */
  #topHint = 0;

  /** Returns the set equal to `a`, creating it if needed, with one reference for the caller. */
  intern(a: PathAttrs): AttrSet {
    const hash = attrsHash(a);
    const slots = this.#slots;
    const mask = this.#mask;
    let i = home(hash, mask);
    for (; ; i = (i + 1) & mask) {
      const tag = slots[2 * i + 1] as number;
      if (tag === 0) break;
      if (slots[2 * i] !== hash) continue;
      const s = this.#sets[tag - 1] as AttrSet;
      if (s.attrs === a || attrsEqual(s.attrs, a)) {
        s.refs++;
        return s;
      }
    }
    const free = this.#freeIds.pop();
    const id = free >= 0 ? free : this.#sets.length;
    if (id >= this.#topHint) this.#topHint = id + 1;
    const s = new AttrSet(normalizeAttrs(a), hash, ++this.#serial, id);
    if (id === this.#sets.length) this.#sets.push(s);
    else this.#sets[id] = s;
    if ((this.#size + 1) * 4 > (mask + 1) * 3) {
      this.#grow();
      this.#insert(hash, id);
    } else {
      slots[2 * i] = hash;
      slots[2 * i + 1] = id + 1;
    }
    this.#size++;
    s.refs = 1;
    return s;
  }

  retain(s: AttrSet): void {
    invariant(s.refs > 0, 'retain of a released attribute set');
    s.refs++;
  }

  release(s: AttrSet): void {
    invariant(s.refs > 0, 'release of a released attribute set');
    if (--s.refs > 0) return;
    this.#remove(s);
    const dep = s.xRes;
    s.xRes = null;
    s.xSrc = null;
    s.shared = null;
    if (dep !== null && dep !== s) this.release(dep);
  }

  /** Number of distinct live attribute sets. */
  get size(): number {
    return this.#size;
  }

  /** Sum of references over live sets (tests: proves every holder released its reference). */
  get totalRefs(): number {
    let n = 0;
    for (const s of this.#sets) if (s !== null) n += s.refs;
    return n;
  }

  #remove(s: AttrSet): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let i = home(s.hash, mask);
    while (slots[2 * i + 1] !== s.id + 1) {
      invariant(slots[2 * i + 1] !== 0, 'attribute set not in the store');
      i = (i + 1) & mask;
    }
    // Backward-shift deletion: move later entries of the probe run into the hole when their home
    // slot allows it, so lookups never need tombstones.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const tag = slots[2 * j + 1] as number;
      if (tag === 0) break;
      const h = home(slots[2 * j] as number, mask);
      if (i <= j ? h > i && h <= j : h > i || h <= j) continue;
      slots[2 * i] = slots[2 * j] as number;
      slots[2 * i + 1] = tag;
      i = j;
    }
    slots[2 * i] = 0;
    slots[2 * i + 1] = 0;
    this.#sets[s.id] = null;
    this.#freeIds.push(s.id);
    this.#size--;
  }

  /**
   * After a large withdrawal (LocRib.compact's rule): with at most a quarter of at least
   * COMPACT_MIN_SETS ids live and none in the upper half, the set column is cut after the highest
   * live id, the free ids below are handed out lowest first, and the hash table is rebuilt at the
   * smallest size that keeps it at most half full. True when it shrank.
   */
  compact(): boolean {
    const limit = this.#sets.length;
    if (limit < COMPACT_MIN_SETS || this.#size * 4 > limit) return false;
    let top = Math.min(this.#topHint, limit);
    while (top > 0 && this.#sets[top - 1] === null) top--;
    this.#topHint = top;
    if (top * 2 > limit) return false;
    this.#sets = this.#sets.slice(0, top);
    this.#freeIds.keepBelow(top);
    let n = MIN_SLOTS;
    while (n < this.#size * 2) n *= 2;
    if (n < this.#mask + 1) {
      this.#slots = new Int32Array(2 * n);
      this.#mask = n - 1;
      for (const set of this.#sets) if (set !== null) this.#insert(set.hash, set.id);
    }
    return true;
  }

  /** Set ids allotted, live or free (tests: compact cuts them). */
  get idLimit(): number {
    return this.#sets.length;
  }

  #insert(hash: number, id: number): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let i = home(hash, mask);
    while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
    slots[2 * i] = hash;
    slots[2 * i + 1] = id + 1;
  }

  #grow(): void {
    const old = this.#slots;
    const n = old.length; // slots * 2 of the old table = slot count of the new one
    this.#slots = new Int32Array(2 * n);
    this.#mask = n - 1;
    for (let k = 0; k < old.length; k += 2) {
      const tag = old[k + 1] as number;
      if (tag !== 0) this.#insert(old[k] as number, tag - 1);
    }
  }
}

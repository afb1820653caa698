/**
 * Interned path-attribute sets (BIRD's attribute cache, Holo's AttrSets).
 *
 * Routes with equal attributes share one frozen `AttrSet`: comparison is identity, UPDATE packing
 * groups by identity, and a million prefixes from one feed cost one attribute object. The key is a
 * cheap deterministic serialization of the attributes. Each holder (a route in Adj-RIB-In, an entry
 * in an Adj-RIB-Out, an export memo) holds one reference; the set leaves the store when the last
 * reference is released.
 *
 * What is stored is route attributes, not an UPDATE: MP_UNREACH_NLRI is dropped and MP_REACH_NLRI
 * keeps its AFI/SAFI and next hops with an empty NLRI list (the prefixes are the routes' keys).
 * Buffers are copied, so nothing kept here is a view of a socket chunk.
 */
import type { AsPath, LargeCommunity, MpReach, PathAttrs, RawAttr } from '../codec/types.js';
import { invariant } from '../util/assert.js';

/** One interned attribute set. `refs` is managed by the store only. */
export class AttrSet {
  readonly id: number;
  readonly key: string;
  readonly attrs: PathAttrs;
  refs = 0;
  constructor(id: number, key: string, attrs: PathAttrs) {
    this.id = id;
    this.key = key;
    this.attrs = attrs;
  }
}

const SEG: Record<string, string> = { sequence: 'q', set: 's', 'confed-sequence': 'Q', 'confed-set': 'S' };

const pathKey = (p: AsPath): string => {
  let k = '';
  for (const s of p) k += `${SEG[s.type] ?? '?'}${s.asns.join(',')};`;
  return k;
};
const largeKey = (l: readonly LargeCommunity[]): string => l.map((c) => `${c.global}:${c.local1}:${c.local2}`).join(',');

/** Deterministic serialization of route attributes (fixed field order; NLRI lists excluded). */
export function attrsKey(a: PathAttrs): string {
  let k = '';
  if (a.origin !== undefined) k += `o${a.origin}`;
  if (a.asPath !== undefined) k += `|p${pathKey(a.asPath)}`;
  if (a.nextHop !== undefined) k += `|n${a.nextHop}`;
  if (a.med !== undefined) k += `|m${a.med}`;
  if (a.localPref !== undefined) k += `|l${a.localPref}`;
  if (a.atomicAggregate === true) k += '|A';
  if (a.aggregator !== undefined) k += `|g${a.aggregator.asn}@${a.aggregator.address}`;
  if (a.communities !== undefined) k += `|c${a.communities.join(',')}`;
  if (a.originatorId !== undefined) k += `|i${a.originatorId}`;
  if (a.clusterList !== undefined) k += `|C${a.clusterList.join(',')}`;
  if (a.mpReach !== undefined) k += `|r${a.mpReach.afi}/${a.mpReach.safi}>${a.mpReach.nextHops.join(',')}`;
  if (a.extCommunities !== undefined) k += `|x${a.extCommunities.map((b) => b.toString('hex')).join(',')}`;
  if (a.as4Path !== undefined) k += `|P${pathKey(a.as4Path)}`;
  if (a.as4Aggregator !== undefined) k += `|G${a.as4Aggregator.asn}@${a.as4Aggregator.address}`;
  if (a.largeCommunities !== undefined) k += `|L${largeKey(a.largeCommunities)}`;
  if (a.unknown !== undefined) k += `|u${a.unknown.map((r) => `${r.flags}.${r.type}.${r.value.toString('hex')}`).join(',')}`;
  return k;
}

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

const EMPTY: readonly string[] = Object.freeze([]);
const frozen = <T>(xs: readonly T[]): readonly T[] => Object.freeze([...xs]);
const frozenPath = (p: AsPath): AsPath =>
  Object.freeze(p.map((s) => Object.freeze({ type: s.type, asns: frozen(s.asns) })));

/** A frozen, normalized copy: own arrays, copied Buffers, no NLRI lists, no undefined fields. */
export function normalizeAttrs(a: PathAttrs): PathAttrs {
  const d: Mutable<PathAttrs> = {};
  if (a.origin !== undefined) d.origin = a.origin;
  if (a.asPath !== undefined) d.asPath = frozenPath(a.asPath);
  if (a.nextHop !== undefined) d.nextHop = a.nextHop;
  if (a.med !== undefined) d.med = a.med;
  if (a.localPref !== undefined) d.localPref = a.localPref;
  if (a.atomicAggregate === true) d.atomicAggregate = true;
  if (a.aggregator !== undefined) d.aggregator = Object.freeze({ ...a.aggregator });
  if (a.communities !== undefined) d.communities = frozen(a.communities);
  if (a.originatorId !== undefined) d.originatorId = a.originatorId;
  if (a.clusterList !== undefined) d.clusterList = frozen(a.clusterList);
  if (a.mpReach !== undefined) {
    const r: MpReach = { afi: a.mpReach.afi, safi: a.mpReach.safi, nextHops: frozen(a.mpReach.nextHops), nlri: EMPTY };
    d.mpReach = Object.freeze(r);
  }
  if (a.extCommunities !== undefined) d.extCommunities = Object.freeze(a.extCommunities.map((b) => Buffer.from(b)));
  if (a.as4Path !== undefined) d.as4Path = frozenPath(a.as4Path);
  if (a.as4Aggregator !== undefined) d.as4Aggregator = Object.freeze({ ...a.as4Aggregator });
  if (a.largeCommunities !== undefined) d.largeCommunities = Object.freeze(a.largeCommunities.map((c) => Object.freeze({ ...c })));
  if (a.unknown !== undefined) {
    d.unknown = Object.freeze(
      a.unknown.map((r): RawAttr => Object.freeze({ flags: r.flags, type: r.type, value: Buffer.from(r.value) })),
    );
  }
  return Object.freeze(d) as PathAttrs;
}

export class AttrsStore {
  readonly #byKey = new Map<string, AttrSet>();
  #nextId = 1;

  /** Returns the set equal to `a`, creating it if needed, with one reference for the caller. */
  intern(a: PathAttrs): AttrSet {
    const key = attrsKey(a);
    let s = this.#byKey.get(key);
    if (s === undefined) {
      s = new AttrSet(this.#nextId++, key, normalizeAttrs(a));
      this.#byKey.set(key, s);
    }
    s.refs++;
    return s;
  }

  retain(s: AttrSet): void {
    invariant(s.refs > 0, 'retain of a released attribute set');
    s.refs++;
  }

  release(s: AttrSet): void {
    invariant(s.refs > 0, 'release of a released attribute set');
    if (--s.refs === 0) this.#byKey.delete(s.key);
  }

  /** Number of distinct live attribute sets. */
  get size(): number {
    return this.#byKey.size;
  }

  /** Sum of references over live sets (tests: proves every holder released its reference). */
  get totalRefs(): number {
    let n = 0;
    for (const s of this.#byKey.values()) n += s.refs;
    return n;
  }
}

/**
 * Hashing and equality of route attributes, for interning (attrs-store.ts) without building a key
 * string per UPDATE. Both ignore what is not a route attribute: the NLRI of MP_REACH_NLRI, its
 * path ids, and MP_UNREACH_NLRI. `atomicAggregate: false` equals an absent ATOMIC_AGGREGATE; an
 * empty AS_PATH differs from an absent one.
 */
import type { AsPath, LargeCommunity, PathAttrs, RawAttr } from '../codec/types.js';

const FNV_PRIME = 0x01000193;
const FNV_OFFSET = 0x811c9dc5;

const mix = (h: number, v: number): number => Math.imul(h ^ (v | 0), FNV_PRIME);

function mixString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return mix(h, s.length);
}

function mixNumbers(h: number, xs: readonly number[]): number {
  for (let i = 0; i < xs.length; i++) h = mix(h, xs[i] as number);
  return mix(h, xs.length);
}

function mixStrings(h: number, xs: readonly string[]): number {
  for (let i = 0; i < xs.length; i++) h = mixString(h, xs[i] as string);
  return mix(h, xs.length);
}

function mixBytes(h: number, b: Buffer): number {
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ (b[i] as number), FNV_PRIME);
  return mix(h, b.length);
}

const SEGMENT_CODE = { sequence: 1, set: 2, 'confed-sequence': 3, 'confed-set': 4 } as const;

function mixPath(h: number, p: AsPath): number {
  for (let i = 0; i < p.length; i++) {
    const s = p[i] as AsPath[number];
    h = mixNumbers(mix(h, SEGMENT_CODE[s.type]), s.asns);
  }
  return mix(h, p.length);
}

/** A 32-bit hash of the route attributes (equal attributes, equal hash), signed so it is a small integer for V8. */
export function attrsHash(a: PathAttrs): number {
  let h = FNV_OFFSET;
  if (a.origin !== undefined) h = mix(mix(h, 1), a.origin);
  if (a.asPath !== undefined) h = mixPath(mix(h, 2), a.asPath);
  if (a.nextHop !== undefined) h = mixString(mix(h, 3), a.nextHop);
  if (a.med !== undefined) h = mix(mix(h, 4), a.med);
  if (a.localPref !== undefined) h = mix(mix(h, 5), a.localPref);
  if (a.atomicAggregate === true) h = mix(h, 6);
  if (a.aggregator !== undefined) h = mixString(mix(mix(h, 7), a.aggregator.asn), a.aggregator.address);
  if (a.communities !== undefined) h = mixNumbers(mix(h, 8), a.communities);
  if (a.originatorId !== undefined) h = mixString(mix(h, 9), a.originatorId);
  if (a.clusterList !== undefined) h = mixStrings(mix(h, 10), a.clusterList);
  if (a.mpReach !== undefined) h = mixStrings(mix(mix(mix(h, 14), a.mpReach.afi), a.mpReach.safi), a.mpReach.nextHops);
  if (a.extCommunities !== undefined) {
    h = mix(h, 16);
    for (const b of a.extCommunities) h = mixBytes(h, b);
  }
  if (a.as4Path !== undefined) h = mixPath(mix(h, 17), a.as4Path);
  if (a.as4Aggregator !== undefined) h = mixString(mix(mix(h, 18), a.as4Aggregator.asn), a.as4Aggregator.address);
  if (a.largeCommunities !== undefined) {
    h = mix(h, 32);
    for (const c of a.largeCommunities) h = mix(mix(mix(h, c.global), c.local1), c.local2);
  }
  if (a.unknown !== undefined) {
    h = mix(h, 255);
    for (const r of a.unknown) h = mixBytes(mix(mix(h, r.flags), r.type), r.value);
  }
  return h | 0;
}

function sameNumbers(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameStrings(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function samePath(a: AsPath | undefined, b: AsPath | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as AsPath[number];
    const y = b[i] as AsPath[number];
    if (x.type !== y.type || !sameNumbers(x.asns, y.asns)) return false;
  }
  return true;
}

type Aggregator = PathAttrs['aggregator'];
const sameAggregator = (a: Aggregator, b: Aggregator): boolean =>
  a === b || (a !== undefined && b !== undefined && a.asn === b.asn && a.address === b.address);

function sameBuffers(a: readonly Buffer[] | undefined, b: readonly Buffer[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!(a[i] as Buffer).equals(b[i] as Buffer)) return false;
  return true;
}

function sameLarge(a: readonly LargeCommunity[] | undefined, b: readonly LargeCommunity[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as LargeCommunity;
    const y = b[i] as LargeCommunity;
    if (x.global !== y.global || x.local1 !== y.local1 || x.local2 !== y.local2) return false;
  }
  return true;
}

function sameRaw(a: readonly RawAttr[] | undefined, b: readonly RawAttr[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as RawAttr;
    const y = b[i] as RawAttr;
    if (x.flags !== y.flags || x.type !== y.type || !x.value.equals(y.value)) return false;
  }
  return true;
}

type Reach = PathAttrs['mpReach'];
const sameReach = (a: Reach, b: Reach): boolean =>
  a === b || (a !== undefined && b !== undefined && a.afi === b.afi && a.safi === b.safi && sameStrings(a.nextHops, b.nextHops));

/** Equal as route attributes (what attrsHash covers). */
export function attrsEqual(a: PathAttrs, b: PathAttrs): boolean {
  return (
    a.origin === b.origin &&
    a.nextHop === b.nextHop &&
    a.med === b.med &&
    a.localPref === b.localPref &&
    (a.atomicAggregate === true) === (b.atomicAggregate === true) &&
    a.originatorId === b.originatorId &&
    samePath(a.asPath, b.asPath) &&
    sameNumbers(a.communities, b.communities) &&
    sameStrings(a.clusterList, b.clusterList) &&
    sameReach(a.mpReach, b.mpReach) &&
    sameAggregator(a.aggregator, b.aggregator) &&
    sameBuffers(a.extCommunities, b.extCommunities) &&
    samePath(a.as4Path, b.as4Path) &&
    sameAggregator(a.as4Aggregator, b.as4Aggregator) &&
    sameLarge(a.largeCommunities, b.largeCommunities) &&
    sameRaw(a.unknown, b.unknown)
  );
}

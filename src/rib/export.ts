/**
 * Export: what one peer is sent for one best route (RFC 4271 9.1.3 and 5.1, RFC 1997, RFC 4456).
 * A pure function of (route attributes, family, source, target); the result is the attribute set
 * before the target's export policy (which the RIB applies per prefix). Null = not sent (the
 * Adj-RIB-Out turns that into a withdraw if the prefix had been sent).
 */
import { Afi, Safi, WellKnownCommunity } from '../codec/constants.js';
import type { AsPath, LargeCommunity, PathAttrs } from '../codec/types.js';
import { DEFAULT_LOCAL_PREF } from './import.js';
import { selfNextHops, usableNextHop } from './next-hop.js';
import { isLinkLocalV6 } from '../util/inet.js';
import { isReflected, mayAdvertise, stampReflected } from './reflect.js';
import type { Family, PeerRole, RibSessionInfo, SourceRole } from './types.js';

export interface ExportSource {
  /** Peer address, or "local" for originated routes. */
  readonly id: string;
  readonly role: SourceRole;
  /** The source peer's BGP identifier (becomes ORIGINATOR_ID when reflecting). */
  readonly routerId: string;
}

export interface ExportTarget {
  readonly id: string;
  readonly role: PeerRole;
  /** Our AS on this session. */
  readonly localAs: number;
  readonly nextHopSelf: boolean;
  readonly session: RibSessionInfo;
  readonly exportCommunities?: readonly number[];
  readonly exportLargeCommunities?: readonly LargeCommunity[];
}

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

/**
 * RFC 4271 5.1.2 b): prepend our AS to a leading AS_SEQUENCE, or a new AS_SEQUENCE when the path
 * starts with an AS_SET or the sequence already holds 255 ASes.
 */
export function prependAs(p: AsPath, asn: number): AsPath {
  // Frozen like an interned path, so interning the result does not copy it again. Plain loops, no
  // spreads: this runs once per exported attribute set, a quarter million times for a full table.
  const first = p[0];
  const extend = first !== undefined && first.type === 'sequence' && first.asns.length < 255;
  // Arrays of their exact size (push from one element would reserve 17 more slots, kept for as long as the set lives).
  const asns = new Array<number>(extend ? first.asns.length + 1 : 1);
  asns[0] = asn;
  if (extend) for (let i = 0; i < first.asns.length; i++) asns[i + 1] = first.asns[i] as number;
  const skip = extend ? 1 : 0;
  const out = new Array<AsPath[number]>(p.length - skip + 1);
  out[0] = Object.freeze({ type: 'sequence' as const, asns: Object.freeze(asns) });
  for (let i = skip; i < p.length; i++) out[i - skip + 1] = p[i] as AsPath[number];
  return Object.freeze(out);
}

/** RFC 5065 5.3: confederation segments are removed before a route leaves the confederation. */
function withoutConfed(p: AsPath): AsPath {
  for (let i = 0; i < p.length; i++) {
    const t = (p[i] as AsPath[number]).type;
    if (t !== 'sequence' && t !== 'set') return p.filter((s) => s.type === 'sequence' || s.type === 'set');
  }
  return p;
}

/** The attributes export passes on unchanged to any peer (a new object; nothing is deleted from it). */
function passedOn(a: PathAttrs): Mutable<PathAttrs> {
  const d: Mutable<PathAttrs> = {};
  if (a.origin !== undefined) d.origin = a.origin;
  if (a.atomicAggregate === true) d.atomicAggregate = true;
  if (a.aggregator !== undefined) d.aggregator = a.aggregator;
  if (a.communities !== undefined) d.communities = a.communities;
  if (a.extCommunities !== undefined) d.extCommunities = a.extCommunities;
  if (a.largeCommunities !== undefined) d.largeCommunities = a.largeCommunities;
  if (a.unknown !== undefined) d.unknown = a.unknown;
  return d;
}

function addUnique<T>(base: readonly T[] | undefined, extra: readonly T[], key: (t: T) => string): T[] {
  const out = [...(base ?? [])];
  const seen = new Set(out.map(key));
  for (const x of extra) if (!seen.has(key(x))) (seen.add(key(x)), out.push(x));
  return out;
}

/** RFC 1997: the well-known communities that restrict where a route may go. */
export function communitiesAllow(a: PathAttrs, to: PeerRole): boolean {
  const cs = a.communities;
  if (cs === undefined) return true;
  // RFC 1997: NO_ADVERTISE: "MUST NOT be advertised to other BGP peers."
  if (cs.includes(WellKnownCommunity.NO_ADVERTISE)) return false;
  // RFC 1997: NO_EXPORT: "MUST NOT be advertised outside a BGP confederation boundary";
  // NO_EXPORT_SUBCONFED: "MUST NOT be advertised to external BGP peers". Without confederations
  // both mean: no eBGP peer.
  if (to === 'ebgp' && (cs.includes(WellKnownCommunity.NO_EXPORT) || cs.includes(WellKnownCommunity.NO_EXPORT_SUBCONFED))) {
    return false;
  }
  return true;
}

/**
 * The next hops a route keeps when passed on unchanged to an iBGP peer: IPv4 NEXT_HOP as is; IPv6
 * the global address only (a link-local address is meaningful only on the link it came from). Null
 * when there is nothing usable to keep (then we use our own address).
 */
function unchangedNextHops(a: PathAttrs, family: Family, s: RibSessionInfo): readonly string[] | null {
  if (family === 'ipv4-unicast') {
    if (a.mpReach === undefined) return a.nextHop !== undefined ? [a.nextHop] : null;
    // An IPv4 route with an IPv6 next hop (RFC 8950) keeps it only towards a peer that can take it.
    const nh = usableNextHop(a);
    return nh !== null && !isLinkLocalV6(nh) && s.extendedNextHopV4 === true ? [nh] : null;
  }
  const nh = usableNextHop(a);
  return nh === null || isLinkLocalV6(nh) ? null : [nh];
}

/**
 * The rules that depend on the individual target, not only on its export group (cheap; the RIB runs
 * them per peer before the shared memo).
 */
export function blockedForPeer(a: PathAttrs, src: ExportSource, dst: ExportTarget): boolean {
  // RFC 4271 9.2: a route is not sent back to the peer it was learned from.
  if (src.id === dst.id) return true;
  // A route is not reflected to the router that originated it into the AS (it would drop it as a
  // reflection loop anyway, RFC 4456 8).
  return isReflected(src.role, dst.role) && (a.originatorId ?? src.routerId) === dst.session.routerId;
}

/**
 * Peers with equal keys get equal results from exportGroupAttrs for the same route: the RIB shares
 * one export memo among them (a reflector's clients on one subnet form one group).
 */
export function exportGroupKey(dst: ExportTarget): string {
  const s = dst.session;
  return [
    dst.role,
    dst.localAs,
    dst.nextHopSelf ? 1 : 0,
    s.extendedNextHopV4 === true ? 1 : 0,
    s.families.join(','),
    (selfNextHops(s, 'ipv4-unicast') ?? []).join(','),
    (selfNextHops(s, 'ipv6-unicast') ?? []).join(','),
    (dst.exportCommunities ?? []).join(','),
    (dst.exportLargeCommunities ?? []).map((c) => `${c.global}:${c.local1}:${c.local2}`).join(','),
  ].join('|');
}

/** What `dst` is sent for a best route with attributes `a` (null = not sent). */
export function exportAttrs(
  a: PathAttrs,
  family: Family,
  src: ExportSource,
  dst: ExportTarget,
  clusterId: string,
): PathAttrs | null {
  return blockedForPeer(a, src, dst) ? null : exportGroupAttrs(a, family, src, dst, clusterId);
}

/** exportAttrs without the per-peer rules of blockedForPeer: depends only on exportGroupKey(dst). */
export function exportGroupAttrs(
  a: PathAttrs,
  family: Family,
  src: ExportSource,
  dst: ExportTarget,
  clusterId: string,
): PathAttrs | null {
  if (!dst.session.families.includes(family)) return null;
  if (!communitiesAllow(a, dst.role)) return null;
  // RFC 4271 9.2 (iBGP split horizon) and RFC 4456 6 (reflection).
  if (!mayAdvertise(src.role, dst.role)) return null;

  // MP_UNREACH_NLRI, AS4_PATH and AS4_AGGREGATOR are never passed on (the codec writes the AS4
  // forms itself for a 2-octet peer); NEXT_HOP / MP_REACH_NLRI are set below.
  const d = passedOn(a);
  let nextHops: readonly string[] | null;

  if (dst.role === 'ebgp') {
    // RFC 4271 5.1.5: LOCAL_PREF is not included in UPDATEs to external peers.
    // RFC 4456 8: ORIGINATOR_ID and CLUSTER_LIST stay inside the AS.
    // RFC 4271 5.1.4: "The MULTI_EXIT_DISC attribute received from a neighboring AS MUST NOT be
    // propagated to other neighboring ASes." A learned MED (eBGP, or iBGP that may carry one from
    // another border router) is dropped; our own (originated, or set by export policy) is kept.
    if (src.role === 'local' && a.med !== undefined) d.med = a.med;
    // RFC 4271 5.1.2 b): prepend our AS on this session.
    d.asPath = prependAs(withoutConfed(a.asPath ?? []), dst.localAs);
    // RFC 4271 5.1.3: to an external peer, our own address on the session.
    nextHops = selfNextHops(dst.session, family);
  } else {
    if (a.med !== undefined) d.med = a.med;
    // RFC 4271 5.1.5: LOCAL_PREF is included in every UPDATE to an internal peer.
    d.localPref = a.localPref ?? DEFAULT_LOCAL_PREF;
    d.asPath = a.asPath ?? [];
    if (isReflected(src.role, dst.role)) {
      // RFC 4456 8: stamp ORIGINATOR_ID / CLUSTER_LIST. RFC 4456 10: next hop unchanged.
      const stamp = stampReflected(a, src.routerId, clusterId);
      d.originatorId = stamp.originatorId;
      d.clusterList = stamp.clusterList;
      nextHops = unchangedNextHops(a, family, dst.session) ?? selfNextHops(dst.session, family);
    } else {
      // RFC 4271 5.1.3: to an internal peer the next hop of an external route is kept, unless
      // next-hop-self is configured; our own routes carry our address.
      const self = src.role === 'local' || dst.nextHopSelf;
      nextHops = (self ? null : unchangedNextHops(a, family, dst.session)) ?? selfNextHops(dst.session, family);
    }
  }
  if (nextHops === null || nextHops.length === 0) return null;

  if (family === 'ipv4-unicast' && !(nextHops[0] ?? '').includes(':')) {
    d.nextHop = nextHops[0] as string;
  } else if (family === 'ipv4-unicast') {
    // RFC 8950 3: IPv4 NLRI with an IPv6 next hop travel in MP_REACH_NLRI with AFI 1.
    d.mpReach = { afi: Afi.IPV4, safi: Safi.UNICAST, nextHops, nlri: [] };
  } else {
    // RFC 4760 3 / RFC 2545 3: IPv6 routes travel in MP_REACH_NLRI with [global] or [global, link-local].
    d.mpReach = { afi: Afi.IPV6, safi: Safi.UNICAST, nextHops, nlri: [] };
  }

  if (dst.exportCommunities !== undefined && dst.exportCommunities.length > 0) {
    d.communities = addUnique(d.communities, dst.exportCommunities, String);
  }
  if (dst.exportLargeCommunities !== undefined && dst.exportLargeCommunities.length > 0) {
    d.largeCommunities = addUnique(d.largeCommunities, dst.exportLargeCommunities, (c) => `${c.global}:${c.local1}:${c.local2}`);
  }
  return d as PathAttrs;
}

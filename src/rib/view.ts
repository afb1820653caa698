/**
 * Routes as `show route` prints them (control/protocol.ts RouteView): AS paths, origins and
 * communities in text, the best marked, every other route with the reason it is not best.
 */
import { WellKnownCommunity } from '../codec/constants.js';
import type { AsPath, LargeCommunity, PathAttrs } from '../codec/types.js';
import type { RouteView } from '../control/protocol.js';
import type { Route } from './adj-rib-in.js';
import { localPrefOf } from './import.js';
import { routeList, type DestId, type LocRib } from './loc-rib.js';
import { canonicalPrefix, comparePrefixes } from '../util/inet.js';
import { describeNextHop, judgedNextHop, nextHopClass } from './next-hop.js';
import type { RejectReason } from './types.js';

/** "65001 65002 {65003,65004}"; confederation segments in parentheses: "(65010 65011)" / "({65012,65013})". */
export function formatAsPath(p: AsPath | undefined): string {
  return (p ?? [])
    .map((s) => {
      switch (s.type) {
        case 'sequence':
          return s.asns.join(' ');
        case 'set':
          return `{${s.asns.join(',')}}`;
        case 'confed-sequence':
          return `(${s.asns.join(' ')})`;
        case 'confed-set':
          return `({${s.asns.join(',')}})`;
        default:
          return '';
      }
    })
    .filter((t) => t !== '')
    .join(' ');
}

const WELL_KNOWN = new Map<number, string>([
  [WellKnownCommunity.NO_EXPORT, 'no-export'],
  [WellKnownCommunity.NO_ADVERTISE, 'no-advertise'],
  [WellKnownCommunity.NO_EXPORT_SUBCONFED, 'no-export-subconfed'],
  [WellKnownCommunity.NO_PEER, 'no-peer'],
  [WellKnownCommunity.GRACEFUL_SHUTDOWN, 'graceful-shutdown'],
]);

/** RFC 1997: "AS:value" (each 16 bits), or the well-known name. */
export const formatCommunity = (c: number): string => WELL_KNOWN.get(c) ?? `${c >>> 16}:${c & 0xffff}`;

/** RFC 8092: "global:local1:local2". */
export const formatLargeCommunity = (c: LargeCommunity): string => `${c.global}:${c.local1}:${c.local2}`;

const ORIGINS = ['igp', 'egp', 'incomplete'] as const;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What is wrong with a refused route's next hop ("::1 is a loopback address"); null for other reasons. */
function refusalDetail(reason: RejectReason, a: PathAttrs): string | null {
  if (reason !== 'next-hop-invalid' && reason !== 'next-hop-link-local') return null;
  const nh = judgedNextHop(a);
  const c = nh === null ? null : nextHopClass(nh);
  return nh === null || c === null ? null : describeNextHop(nh, c);
}

/** One route of `prefix` as shown: accepted attributes when accepted, else as received. */
export function toRouteView(prefix: string, r: Route, best: boolean): RouteView {
  const a = (r.attrs ?? r.received).attrs;
  const local = r.source.role === 'local';
  const v: Mutable<RouteView> = {
    prefix,
    nextHop: local ? '' : (judgedNextHop(a) ?? ''),
    asPath: formatAsPath(a.asPath),
    origin: ORIGINS[a.origin ?? 2] ?? 'incomplete',
    communities: (a.communities ?? []).map(formatCommunity),
    largeCommunities: (a.largeCommunities ?? []).map(formatLargeCommunity),
    from: r.source.id,
    best,
  };
  // An accepted route without LOCAL_PREF has the default degree of preference (import.ts localPrefOf).
  if (r.attrs !== null) v.localPref = localPrefOf(a);
  else if (a.localPref !== undefined) v.localPref = a.localPref;
  if (a.med !== undefined) v.med = a.med;
  const reason = r.reason ?? (best ? null : r.lostBy);
  if (reason !== null) v.reason = reason;
  if (r.reason !== null) {
    v.refused = true;
    const detail = refusalDetail(r.reason, a);
    if (detail !== null) v.detail = detail;
  }
  if (r.stale) v.stale = true;
  if (a.originatorId !== undefined) v.originatorId = a.originatorId;
  if (a.clusterList !== undefined && a.clusterList.length > 0) v.clusterList = [...a.clusterList];
  const all = a.mpReach?.nextHops;
  if (all !== undefined && all.length > 1) v.nextHops = [...all];
  if (r.pathId !== 0) v.pathId = r.pathId;
  return v;
}

/** Every route (accepted and refused) of one prefix or of all (numeric order), best first, then by peer address and path id. */
export function routeViews(loc: LocRib, prefix?: string): RouteView[] {
  let dests: DestId[];
  if (prefix !== undefined) {
    let key: string;
    try {
      key = canonicalPrefix(prefix);
    } catch {
      return [];
    }
    const id = loc.get(key);
    dests = id < 0 ? [] : [id];
  } else {
    dests = [];
    for (let id = 0; id < loc.idLimit; id++) if (loc.isLive(id) && loc.routes(id) !== null) dests.push(id);
    // The texts made once (an IPv4 prefix kept by number has none to look up), not per comparison.
    const text = new Map<number, string>();
    for (const id of dests) text.set(id, loc.prefix(id));
    dests.sort((a, b) => comparePrefixes(text.get(a) as string, text.get(b) as string));
  }
  const views: RouteView[] = [];
  for (const id of dests) {
    const best = loc.best(id);
    const rs = [...routeList(loc, id)];
    rs.sort(
      (a, b) => Number(b === best) - Number(a === best) || (a.source.key < b.source.key ? -1 : a.source.key > b.source.key ? 1 : 0) || a.pathId - b.pathId,
    );
    for (const r of rs) views.push(toRouteView(loc.prefix(id), r, r === best));
  }
  return views;
}

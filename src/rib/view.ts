/**
 * Routes as `show route` prints them (control/protocol.ts RouteView): AS paths, origins and
 * communities in text, the best marked, every other route with the reason it is not best.
 */
import { WellKnownCommunity } from '../codec/constants.js';
import type { AsPath, LargeCommunity } from '../codec/types.js';
import type { RouteView } from '../control/protocol.js';
import type { Route } from './adj-rib-in.js';
import { usableNextHop } from './next-hop.js';

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

/** One route as shown: accepted attributes when accepted, else as received. */
export function toRouteView(r: Route, best: boolean): RouteView {
  const a = (r.attrs ?? r.received).attrs;
  const local = r.source.role === 'local';
  const v: Mutable<RouteView> = {
    prefix: r.prefix,
    nextHop: local ? '' : (usableNextHop(a) ?? ''),
    asPath: formatAsPath(a.asPath),
    origin: ORIGINS[a.origin ?? 2] ?? 'incomplete',
    communities: (a.communities ?? []).map(formatCommunity),
    largeCommunities: (a.largeCommunities ?? []).map(formatLargeCommunity),
    from: r.source.id,
    best,
  };
  if (a.localPref !== undefined) v.localPref = a.localPref;
  if (a.med !== undefined) v.med = a.med;
  const reason = r.reason ?? (best ? null : r.lostBy);
  if (reason !== null) v.reason = reason;
  if (r.stale) v.stale = true;
  if (a.originatorId !== undefined) v.originatorId = a.originatorId;
  if (a.clusterList !== undefined && a.clusterList.length > 0) v.clusterList = [...a.clusterList];
  const all = a.mpReach?.nextHops;
  if (all !== undefined && all.length > 1) v.nextHops = [...all];
  return v;
}

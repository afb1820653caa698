/**
 * `show route` in BIRD 1.6.8's one-line layout (nest/rt-table.c rt_show_net, rt_show_rte,
 * rt_show_cont; proto/bgp/attrs.c bgp_get_route_info), which Calico's status reporter parses:
 *
 *   1007-10.201.0.0/26      via 10.98.0.2 on eth0 [Mesh_10_98_0_2 05:36:39] * (100/0) [i]
 *         10.200.0.0/26      blackhole [static1 05:36:37] * (200)
 *
 * `%-18s %s [%s %s%s]%s%s`: the network (only on its first route), where it goes, the protocol and
 * the route's age, ` from PEER` when the next hop is not the peer, ` *` on the best route, then
 * `(preference[/igp metric]) [AS<origin AS><origin>]` for BGP or `(preference)` for the others.
 *
 * Counting as rt_show_net: every route of a network examined counts (`count`/`stats`: `0014 X of Y
 * routes for Z networks`); `protocol NAME` keeps the routes of one protocol; `primary` the best of
 * each network; `filtered` shows the routes refused on import instead of the others.
 */
import type { RouteView } from '../control/protocol.js';
import { BGP_PREFERENCE } from './bgp.js';
import { Code, type ReplyLine } from './reply.js';
import { shortTime } from './time.js';

/** Where a route came from, as the table shows it. */
export interface RouteSourceFacts {
  /** The protocol name (a session's, or `static1` for originated routes). */
  readonly name: string;
  /** The route's age is shown as this time (BIRD's lastmod): when the session came up. */
  readonly sinceMs: number;
  /** BGP over a session that resolves its next hop (iBGP, multihop): the preference shows `/0`. */
  readonly recursive: boolean;
  readonly peerAddress?: string;
}

export interface RouteQuery {
  /** Only the routes of this protocol. */
  readonly protocol?: string;
  readonly primary: boolean;
  readonly filtered: boolean;
  /** 0: list; 1: list and count (`stats`); 2: count only (`count`). */
  readonly stats: 0 | 1 | 2;
  /** One network (a prefix, or the longest match `for`): no count line, 8001 when it has no routes. */
  readonly single: boolean;
}

export interface RouteFacts {
  readonly nowMs: number;
  /** Originated routes are blackholes in the kernel (kernel.blackhole), else unreachable. */
  readonly blackhole: boolean;
  /** The protocol of a route's `from` (a peer address, or "local"). */
  source(from: string): RouteSourceFacts | undefined;
  /** The interface a next hop is reached on (a connected subnet), if known. */
  interfaceFor(nextHop: string): string | undefined;
}

const STATIC_PREFERENCE = 200;

/** as_path_get_last: the origin AS, the last ASN of a path ending in a sequence. */
function originAs(asPath: string): string {
  const last = asPath.trim().split(/\s+/).pop() ?? '';
  return /^\d+$/.test(last) ? `AS${last}` : '';
}

const ORIGIN_CHAR = { igp: 'i', egp: 'e', incomplete: '?' } as const;

function routeLine(v: RouteView, network: string, f: RouteFacts): string {
  const src = f.source(v.from);
  const name = src?.name ?? v.from;
  const age = shortTime(src?.sinceMs ?? f.nowMs, f.nowMs);
  const primary = v.best ? ' *' : '';
  if (v.from === 'local') {
    return `${network.padEnd(18)} ${f.blackhole ? 'blackhole' : 'unreachable'} [${name} ${age}]${primary} (${STATIC_PREFERENCE})`;
  }
  const via = v.nextHop === '' ? 'unreachable' : `via ${v.nextHop} on ${f.interfaceFor(v.nextHop) ?? '???'}`;
  const from = src?.peerAddress !== undefined && src.peerAddress !== v.nextHop ? ` from ${src.peerAddress}` : '';
  const info = ` (${BGP_PREFERENCE}${v.stale === true ? 's' : ''}${src?.recursive === true ? '/0' : ''}) [${originAs(v.asPath)}${ORIGIN_CHAR[v.origin]}]`;
  return `${network.padEnd(18)} ${via} [${name} ${age}${from}]${primary}${info}`;
}

/**
 * The reply for these routes (RouteView order: by network, the best first). Refused routes are
 * shown only with `filtered`, and only they then.
 */
export function showRoute(views: readonly RouteView[], q: RouteQuery, f: RouteFacts): ReplyLine[] {
  const lines: ReplyLine[] = [];
  let shown = 0;
  let examined = 0;
  let networks = 0;
  let network = '';
  let first = true; // no route of this network examined yet
  let passed = false; // `primary`: this network's first route was taken
  let label = ''; // printed on the first route shown of a network only
  for (const v of views) {
    if (v.prefix !== network) {
      network = v.prefix;
      first = true;
      passed = false;
      label = v.prefix;
    }
    if ((v.refused === true) !== q.filtered || passed) continue;
    examined++;
    if (first) networks++;
    first = false;
    if (q.primary) passed = true;
    if (q.protocol !== undefined && (f.source(v.from)?.name ?? v.from) !== q.protocol) continue;
    shown++;
    if (q.stats < 2) lines.push({ code: Code.ROUTE_LIST, text: routeLine(v, label, f) });
    label = '';
  }
  if (q.single) {
    lines.push(examined > 0 ? { code: Code.OK, text: '' } : { code: Code.NETWORK_NOT_FOUND, text: 'Network not in table' });
  } else if (q.stats > 0) {
    lines.push({ code: Code.ROUTE_COUNT, text: `${shown} of ${examined} routes for ${networks} networks` });
  } else lines.push({ code: Code.OK, text: '' });
  return lines;
}

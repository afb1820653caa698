/**
 * From a best route's next hops to a KernelRoute, per Calico data-plane mode:
 *
 * - 'direct':            `via NH [dev <dev of the connected subnet holding NH>]` (BGP mode, one L2 segment)
 * - 'ipip':              `via NH dev tunl0 onlink` (IP-in-IP to every node)
 * - 'ipip-cross-subnet': direct when NH is on a connected subnet, tunnel otherwise
 *
 * IP-in-IP carries IPv4 only: IPv6 prefixes always use direct next hops.
 *
 * The mode is `mode`, unless the route's prefix lies inside one of `pools` (Calico's IP pools, each
 * with its own ipipMode: config `kernel.pools`): then the longest such pool's mode. A pool may also
 * say 'none': routes inside it are not installed at all (another agent programs them: Felix, for
 * VXLAN pools). Pure functions.
 */
import { canonicalPrefix, familyOfText, inSubnet, prefixLength } from '../util/inet.js';
import type { KernelLink, KernelNextHop, KernelRoute } from './port.js';

export type DataplaneMode = 'direct' | 'ipip' | 'ipip-cross-subnet';
export type PoolMode = DataplaneMode | 'none';

/** One pool's mode: `prefix` is canonical network text. */
export interface PoolDataplane {
  readonly prefix: string;
  readonly mode: PoolMode;
}

export interface RouteBuildOptions {
  readonly table: number;
  readonly protocol: number;
  readonly metric: number;
  readonly mode: DataplaneMode;
  /** Per-pool modes; the longest pool holding a route's prefix decides it (absent or none holds it: `mode`). */
  readonly pools?: readonly PoolDataplane[];
  /** Tunnel device for the ipip modes (Calico: tunl0). */
  readonly tunnelDevice: string;
  /** Current links and their addresses (KernelPort.links()), for connected-subnet checks. */
  readonly links: readonly Pick<KernelLink, 'name' | 'addresses'>[];
  /**
   * Next hops already built with these options (a table's routes share a handful of next hops):
   * filled by toNextHop. Only valid as long as `links` is.
   */
  readonly nextHopMemo?: Map<string, KernelNextHop>;
  /**
   * One-element next-hop lists by their hop (from nextHopMemo): the routes of a table share a handful
   * of lists instead of holding one array each (decision 0012). Valid as long as nextHopMemo is.
   */
  readonly hopListMemo?: Map<KernelNextHop, readonly KernelNextHop[]>;
}

/** The kernel stores IPv6 metric 0 as 1024; asking for 1024 keeps desired == listed. */
export function kernelMetric(prefix: string, metric: number): number {
  return kernelMetricOf(familyOfText(prefix), metric);
}

/** kernelMetric for a prefix of family `fam`. */
export function kernelMetricOf(fam: 4 | 6, metric: number): number {
  return metric === 0 && fam === 6 ? 1024 : metric;
}

/** The link whose address subnet contains `addr`, if any. */
export function connectedLink(
  links: readonly Pick<KernelLink, 'name' | 'addresses'>[],
  addr: string,
): Pick<KernelLink, 'name' | 'addresses'> | undefined {
  return links.find((l) => l.addresses.some((a) => inSubnet(addr, a)));
}

/**
 * The mode for routes to `prefix` (canonical or not): the longest pool in `opts.pools` that holds it,
 * else `opts.mode`.
 */
export function modeFor(prefix: string, opts: Pick<RouteBuildOptions, 'mode' | 'pools'>): PoolMode {
  const pools = opts.pools;
  if (pools === undefined || pools.length === 0) return opts.mode;
  const slash = prefix.indexOf('/');
  const address = slash < 0 ? prefix : prefix.slice(0, slash);
  const len = prefixLength(prefix);
  let best: PoolDataplane | undefined;
  let bestLen = -1;
  for (const pool of pools) {
    const poolLen = prefixLength(pool.prefix);
    if (poolLen > bestLen && len >= poolLen && inSubnet(address, pool.prefix)) {
      best = pool;
      bestLen = poolLen;
    }
  }
  return best === undefined ? opts.mode : best.mode;
}

export function toNextHop(nh: string, prefixFamily: 4 | 6, opts: RouteBuildOptions, mode: DataplaneMode = opts.mode): KernelNextHop {
  const memo = opts.nextHopMemo;
  if (memo === undefined) return buildNextHop(nh, prefixFamily, opts, mode);
  const key = mode === opts.mode ? `${prefixFamily}${nh}` : `${prefixFamily}${mode}${nh}`;
  let hop = memo.get(key);
  if (hop === undefined) memo.set(key, (hop = buildNextHop(nh, prefixFamily, opts, mode)));
  return hop;
}

function buildNextHop(nh: string, prefixFamily: 4 | 6, opts: RouteBuildOptions, mode: DataplaneMode): KernelNextHop {
  const link = connectedLink(opts.links, nh);
  const direct: KernelNextHop = link ? { via: nh, dev: link.name } : { via: nh };
  if (prefixFamily === 6 || familyOfText(nh) === 6) return direct;
  switch (mode) {
    case 'direct':
      return direct;
    case 'ipip':
      return { via: nh, dev: opts.tunnelDevice, onlink: true };
    case 'ipip-cross-subnet':
      return link ? direct : { via: nh, dev: opts.tunnelDevice, onlink: true };
  }
}

/**
 * A unicast route to `prefix` over `nextHops` (several = ECMP, deduplicated and sorted), in the mode
 * of its pool (`modeFor`; a pool whose mode is 'none' is the caller's to leave out: it is built in
 * `opts.mode` here). An empty list gives a blackhole, which is what an originated block with no
 * next hop wants.
 */
export function toKernelRoute(prefix: string, nextHops: readonly string[], opts: RouteBuildOptions): KernelRoute {
  const canonical = canonicalPrefix(prefix);
  if (nextHops.length === 0) return toBlackholeRoute(canonical, opts);
  return toKernelRouteOfCanonical(canonical, familyOfText(canonical), nextHops, opts);
}

/** toKernelRoute for a prefix known to be canonical (host bits clear) and of family `fam`, with at least one next hop. */
export function toKernelRouteOfCanonical(canonical: string, fam: 4 | 6, nextHops: readonly string[], opts: RouteBuildOptions): KernelRoute {
  const poolMode = modeFor(canonical, opts);
  const mode = poolMode === 'none' ? opts.mode : poolMode;
  const unique = nextHops.length === 1 ? nextHops : [...new Set(nextHops)].sort();
  return {
    prefix: canonical,
    table: opts.table,
    protocol: opts.protocol,
    metric: kernelMetricOf(fam, opts.metric),
    type: 'unicast',
    nextHops: unique.length === 1 ? singleHop(toNextHop(unique[0] as string, fam, opts, mode), opts) : unique.map((nh) => toNextHop(nh, fam, opts, mode)),
  };
}

function singleHop(hop: KernelNextHop, opts: RouteBuildOptions): readonly KernelNextHop[] {
  const memo = opts.hopListMemo;
  if (memo === undefined || opts.nextHopMemo === undefined) return [hop];
  let list = memo.get(hop);
  if (list === undefined) memo.set(hop, (list = [hop]));
  return list;
}

/** `blackhole <block> proto <ours>`: the node's own pod block, so unallocated pod IPs are dropped here. */
export function toBlackholeRoute(
  prefix: string,
  opts: Pick<RouteBuildOptions, 'table' | 'protocol' | 'metric'>,
): KernelRoute {
  const canonical = canonicalPrefix(prefix);
  return {
    prefix: canonical,
    table: opts.table,
    protocol: opts.protocol,
    metric: kernelMetric(canonical, opts.metric),
    type: 'blackhole',
    nextHops: [],
  };
}

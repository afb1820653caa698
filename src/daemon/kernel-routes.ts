/**
 * Best-route changes from the RIB -> desired kernel routes for FibSync: unicast via the ECMP next-hop
 * set in the data-plane mode of the route's pool (`kernel.pools`, longest match) or `kernel.mode`
 * (kernel/next-hops.ts); nothing for a learned route inside a pool whose mode is 'none'; and a
 * blackhole for each of our own originated blocks (as Calico installs for its IPAM blocks) when
 * `kernel.blackhole` is set.
 */
import type { KernelConfig } from '../config/types.js';
import { modeFor, toBlackholeRoute, toKernelRoute, type DesiredChange, type PoolDataplane, type RouteBuildOptions } from '../kernel/fib-sync.js';
import { kernelMetric } from '../kernel/next-hops.js';
import { fibKey, type FibKey, type KernelRoute } from '../kernel/port.js';
import { canonicalPrefix } from '../util/inet.js';
import type { BestChange } from '../rib/types.js';
import { readInterfaces } from './local-addresses.js';

export class KernelRoutes {
  readonly #cfg: KernelConfig;
  readonly #pools: readonly PoolDataplane[];

  constructor(cfg: KernelConfig) {
    this.#cfg = cfg;
    this.#pools = cfg.pools.map((p) => ({ prefix: p.cidr, mode: p.mode }));
  }

  /** How routes are built now: the interfaces are read once per call (build many routes with one). */
  options(): RouteBuildOptions {
    const links = readInterfaces().map((i) => ({ name: i.name, addresses: [...i.v4.map((a) => a.cidr), ...i.v6Global.map((a) => a.cidr)] }));
    return {
      table: this.#cfg.table,
      protocol: this.#cfg.protocol,
      metric: this.#cfg.metric,
      mode: this.#cfg.mode,
      pools: this.#pools,
      tunnelDevice: this.#cfg.tunnelDevice,
      links,
      nextHopMemo: new Map(),
      hopListMemo: new Map(),
    };
  }

  /** The route for one best path, or null when nothing should be installed. */
  build(prefix: string, best: { local: boolean; nextHops: readonly string[] } | null, opts: RouteBuildOptions): KernelRoute | null {
    if (!best) return null;
    if (best.local) return this.#cfg.blackhole ? toBlackholeRoute(prefix, opts) : null;
    if (modeFor(prefix, opts) === 'none') return null;
    const hops = best.nextHops.filter((h) => h !== '' && h !== '0.0.0.0' && h !== '::');
    if (hops.length === 0) return null;
    return toKernelRoute(prefix, hops, opts);
  }

  /** The key a route to `prefix` has with these options (an IPv4 key needs no canonical text: fibKey clears host bits). */
  #keyOf(prefix: string, opts: RouteBuildOptions): FibKey {
    const at = (p: string): FibKey => fibKey({ prefix: p, table: opts.table, protocol: opts.protocol, metric: kernelMetric(p, opts.metric) });
    const k = at(prefix);
    return typeof k === 'number' ? k : at(canonicalPrefix(prefix));
  }

  /**
   * The desired changes: the route of each prefix, or the removal of its key. The key of a prefix
   * is fixed by the prefix and the table and metric of the build options (this configuration's), so nothing per prefix is
   * remembered here (decision 0012); removing a key that holds nothing of ours is a no-op in FibSync.
   */
  changes(changes: readonly BestChange[], opts: RouteBuildOptions = this.options()): DesiredChange[] {
    const out: DesiredChange[] = [];
    for (const c of changes) {
      const route = this.build(c.prefix, c.best, opts);
      if (route) out.push({ key: fibKey(route), route });
      else out.push({ key: this.#keyOf(c.prefix, opts), route: null });
    }
    return out;
  }
}

/**
 * Best-route changes from the RIB -> desired kernel routes for FibSync: unicast via the ECMP next-hop
 * set in the data-plane mode of the route's pool (`kernel.pools`, longest match) or `kernel.mode`
 * (kernel/next-hops.ts); nothing for a learned route inside a pool whose mode is 'none'; and a
 * blackhole for each of our own originated blocks (as Calico installs for its IPAM blocks) when
 * `kernel.blackhole` is set.
 */
import type { KernelConfig } from '../config/types.js';
import { modeFor, toBlackholeRoute, toKernelRoute, type DesiredChange, type PoolDataplane, type RouteBuildOptions } from '../kernel/fib-sync.js';
import { routeKey, type KernelRoute } from '../kernel/port.js';
import type { BestChange } from '../rib/types.js';
import { readInterfaces } from './local-addresses.js';

export class KernelRoutes {
  #cfg: KernelConfig;
  #pools: readonly PoolDataplane[];
  /** Prefix -> key of the route we last asked for (so a withdraw removes the right key). */
  readonly #keys = new Map<string, string>();

  constructor(cfg: KernelConfig) {
    this.#cfg = cfg;
    this.#pools = cfg.pools.map((p) => ({ prefix: p.cidr, mode: p.mode }));
  }

  /**
   * New route-building settings (a reload: kernel.pools from a datastore pool's ipipMode,
   * kernel.mode, metric...). True when the routes built from them may differ: the caller re-builds
   * every best route.
   */
  reconfigure(cfg: KernelConfig): boolean {
    const old = this.#cfg;
    this.#cfg = cfg;
    this.#pools = cfg.pools.map((p) => ({ prefix: p.cidr, mode: p.mode }));
    const samePools = old.pools.length === cfg.pools.length && old.pools.every((p, i) => p.cidr === cfg.pools[i]?.cidr && p.mode === cfg.pools[i]?.mode);
    return !samePools || old.mode !== cfg.mode || old.tunnelDevice !== cfg.tunnelDevice || old.metric !== cfg.metric || old.blackhole !== cfg.blackhole;
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

  changes(changes: readonly BestChange[], opts: RouteBuildOptions = this.options()): DesiredChange[] {
    const out: DesiredChange[] = [];
    for (const c of changes) {
      const route = this.build(c.prefix, c.best, opts);
      const old = this.#keys.get(c.prefix);
      if (route) {
        const key = routeKey(route);
        if (old !== undefined && old !== key) out.push({ key: old, route: null });
        this.#keys.set(c.prefix, key);
        out.push({ key, route });
      } else if (old !== undefined) {
        this.#keys.delete(c.prefix);
        out.push({ key: old, route: null });
      }
    }
    return out;
  }
}

/**
 * Best-route changes from the RIB -> desired kernel routes for FibSync: unicast via the ECMP next-hop
 * set in the data-plane mode of the route's pool (`kernel.pools`, longest match) or `kernel.mode`
 * (kernel/next-hops.ts); nothing for a learned route inside a pool whose mode is 'none'; and a
 * blackhole for each of our own originated blocks (as Calico installs for its IPAM blocks) when
 * `kernel.blackhole` is set.
 */
import type { KernelConfig } from '../config/types.js';
import { modeFor, toBlackholeRoute, toKernelRoute, type DesiredChange, type PoolDataplane, type RouteBuildOptions } from '../kernel/fib-sync.js';
import { kernelMetric, toKernelRouteOfCanonical } from '../kernel/next-hops.js';
import { fibKey, fibKeyV4, numericKeyed, type FibKey, type KernelRoute } from '../kernel/port.js';
import { canonicalPrefix, parseCanonicalPrefix4 } from '../util/inet.js';
import type { BestChange } from '../rib/types.js';
import { readInterfaces } from './local-addresses.js';

export class KernelRoutes {
  #cfg: KernelConfig;
  #pools: readonly PoolDataplane[];
  /** After a reconfigure that changed what keys are made of (table, metric): the settings the installed keys have. */
  #keyedBy: Pick<RouteBuildOptions, 'table' | 'protocol' | 'metric'> | undefined;

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
    if (old.table !== cfg.table || old.metric !== cfg.metric) this.#keyedBy ??= { table: old.table, protocol: old.protocol, metric: old.metric };
    this.#pools = cfg.pools.map((p) => ({ prefix: p.cidr, mode: p.mode }));
    const samePools = old.pools.length === cfg.pools.length && old.pools.every((p, i) => p.cidr === cfg.pools[i]?.cidr && p.mode === cfg.pools[i]?.mode);
    return !samePools || old.mode !== cfg.mode || old.tunnelDevice !== cfg.tunnelDevice || old.metric !== cfg.metric || old.table !== cfg.table || old.blackhole !== cfg.blackhole;
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

  /**
   * The route for one best path, or null when nothing should be installed. `canonical`: the prefix
   * is known to be canonical and IPv4 (the Loc-RIB's text), so it is not made canonical again.
   */
  build(prefix: string, best: { local: boolean; nextHops: readonly string[] } | null, opts: RouteBuildOptions, canonicalV4 = false): KernelRoute | null {
    if (!best) return null;
    if (best.local) return this.#cfg.blackhole ? toBlackholeRoute(prefix, opts) : null;
    if (modeFor(prefix, opts) === 'none') return null;
    const hops = usableHops(best.nextHops);
    if (hops.length === 0) return null;
    return canonicalV4 ? toKernelRouteOfCanonical(prefix, 4, hops, opts) : toKernelRoute(prefix, hops, opts);
  }

  /**
   * Every best route built again after a reconfigure (the caller passes all of them). Where a
   * prefix's key changed with the settings (kernel.metric, kernel.table), the route at the old key
   * is removed too: keys are not remembered per prefix (decision 0012), so the old settings are.
   */
  rebuild(all: readonly BestChange[]): DesiredChange[] {
    const opts = this.options();
    const before = this.#keyedBy;
    this.#keyedBy = undefined;
    const out: DesiredChange[] = [];
    if (before !== undefined) {
      for (const c of all) {
        const was = this.#keyOf(c.prefix, before);
        if (was !== this.#keyOf(c.prefix, opts)) out.push({ key: was, route: null });
      }
    }
    out.push(...this.changes(all, opts));
    return out;
  }

  /** The key a route to `prefix` has with these options (an IPv4 key needs no canonical text: fibKey clears host bits). */
  #keyOf(prefix: string, opts: Pick<RouteBuildOptions, 'table' | 'protocol' | 'metric'>): FibKey {
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
    // An IPv4 prefix in canonical text (what the RIB hands over) is read once, into its number: the
    // key is computed from it, and the route keeps the text as it is.
    const v4Keyed = numericKeyed(opts.table, opts.metric);
    for (const c of changes) {
      const p = v4Keyed ? parseCanonicalPrefix4(c.prefix) : -1;
      if (p >= 0) {
        out.push({ key: fibKeyV4(p, opts.table, opts.metric), route: this.build(c.prefix, c.best, opts, true) });
        continue;
      }
      const route = this.build(c.prefix, c.best, opts);
      if (route) out.push({ key: fibKey(route), route });
      else out.push({ key: this.#keyOf(c.prefix, opts), route: null });
    }
    return out;
  }
}

/** The next hops a kernel route can use (none of the placeholders a local or unresolved route carries). */
function usableHops(hops: readonly string[]): readonly string[] {
  if (hops.length === 1) {
    const h = hops[0] as string;
    return h !== '' && h !== '0.0.0.0' && h !== '::' ? hops : [];
  }
  return hops.filter((h) => h !== '' && h !== '0.0.0.0' && h !== '::');
}

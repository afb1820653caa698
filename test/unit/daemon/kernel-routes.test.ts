/**
 * KernelRoutes.changes reads a canonical IPv4 prefix once, into its number, and computes the key from
 * it; the route is built from the text as it is. Everything else goes the general way (the prefix
 * made canonical, the key read from the route). Both must give the same key and the same route.
 */
import { describe, expect, it } from 'vitest';
import { KernelRoutes } from '../../../src/daemon/kernel-routes.js';
import { DEFAULTS } from '../../../src/config/defaults.js';
import type { KernelConfig } from '../../../src/config/types.js';
import { toBlackholeRoute, toKernelRoute } from '../../../src/kernel/fib-sync.js';
import { fibKey, type KernelLink } from '../../../src/kernel/port.js';
import type { BestChange } from '../../../src/rib/types.js';

const eth0: KernelLink = { ifindex: 2, name: 'eth0', up: true, addresses: ['192.168.1.10/24', 'fd00:1::10/64'] };
const tunl0: KernelLink = { ifindex: 3, name: 'tunl0', up: true, addresses: ['10.244.0.1/32'] };

/** What changes() gave before the IPv4 shortcut: build with toKernelRoute, key from the route. */
function general(c: BestChange, kr: KernelRoutes, o: ReturnType<KernelRoutes['options']>, blackhole: boolean): { key: unknown; route: unknown } {
  const best = c.best;
  const keyOnly = fibKey(toBlackholeRoute(c.prefix, o));
  if (best === null) return { key: keyOnly, route: null };
  if (best.local) return blackhole ? { key: keyOnly, route: toBlackholeRoute(c.prefix, o) } : { key: keyOnly, route: null };
  const hops = best.nextHops.filter((h) => h !== '' && h !== '0.0.0.0' && h !== '::');
  const built = kr.build(c.prefix, best, o);
  if (built === null || hops.length === 0) return { key: keyOnly, route: null };
  const route = toKernelRoute(c.prefix, hops, o);
  return { key: fibKey(route), route };
}

describe('KernelRoutes.changes: the IPv4 shortcut gives what the general path gives', () => {
  const prefixes = ['10.65.1.0/26', '10.66.3.0/26', '0.0.0.0/0', '192.0.2.1/32', '172.16.0.0/12', '10.0.0.1/24', 'fd00:65:0:1::/122', 'fd00::/8'];
  const bests: BestChange['best'][] = [
    null,
    { local: true, nextHops: [] },
    { local: false, nextHops: ['192.168.1.11'] },
    { local: false, nextHops: ['10.0.5.11', '192.168.1.11', '10.0.5.11'] },
    { local: false, nextHops: ['0.0.0.0'] },
    { local: false, nextHops: ['fd00:1::11'] },
  ];
  const configs: [string, Partial<KernelConfig>][] = [
    ['main table, metric 0', {}],
    ['table 100, metric 20, blackholes off', { table: 100, metric: 20, blackhole: false }],
    ['table 1000 (keys as text)', { table: 1000 }],
    ['metric 500 (keys as text)', { metric: 500 }],
    ['pools', { pools: [{ cidr: '10.66.0.0/16', mode: 'none' }, { cidr: '10.65.0.0/16', mode: 'ipip' }] }],
  ];
  for (const [name, extra] of configs) {
    it(name, () => {
      const cfg: KernelConfig = { ...DEFAULTS.kernel, ...extra };
      const kr = new KernelRoutes(cfg);
      const o = { ...kr.options(), links: [eth0, tunl0] };
      const changes: BestChange[] = prefixes.flatMap((prefix) => bests.map((best) => ({ prefix, best }) as BestChange));
      const got = kr.changes(changes, o);
      expect(got).toEqual(changes.map((c) => general(c, kr, o, cfg.blackhole)));
    });
  }
});

import { describe, expect, it } from 'vitest';
import { modeFor, toKernelRoute, type PoolDataplane, type RouteBuildOptions } from '../../../src/kernel/fib-sync.js';
import type { KernelLink } from '../../../src/kernel/port.js';
import { KernelRoutes } from '../../../src/daemon/kernel-routes.js';
import { fibKey } from '../../../src/kernel/port.js';
import { DEFAULTS } from '../../../src/config/defaults.js';
import type { KernelConfig } from '../../../src/config/types.js';

const eth0: KernelLink = { ifindex: 2, name: 'eth0', up: true, addresses: ['192.168.1.10/24', 'fd00:1::10/64'] };
const tunl0: KernelLink = { ifindex: 3, name: 'tunl0', up: true, addresses: ['10.244.0.1/32'] };
const pools: readonly PoolDataplane[] = [
  { prefix: '10.65.0.0/16', mode: 'ipip' },
  { prefix: '10.65.128.0/17', mode: 'ipip-cross-subnet' },
  { prefix: '10.66.0.0/16', mode: 'none' },
  { prefix: 'fd00:65::/48', mode: 'ipip' },
];
const opts: RouteBuildOptions = { table: 254, protocol: 12, metric: 0, mode: 'direct', pools, tunnelDevice: 'tunl0', links: [eth0, tunl0], nextHopMemo: new Map() };

describe('kernel.pools: the mode of the longest pool holding the route', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['10.65.1.0/26', 'ipip'],
    ['10.65.200.0/26', 'ipip-cross-subnet'], // inside both: the longer pool wins
    ['10.65.128.0/17', 'ipip-cross-subnet'], // the pool itself
    ['10.65.0.0/16', 'ipip'],
    ['10.64.0.0/10', 'direct'], // holds a pool but is not inside one: kernel.mode
    ['10.66.3.0/26', 'none'],
    ['172.16.0.0/24', 'direct'],
    ['fd00:65:0:1::/122', 'ipip'],
    ['fd00:66::/122', 'direct'],
  ];
  for (const [prefix, mode] of cases) {
    it(`${prefix} -> ${mode}`, () => expect(modeFor(prefix, opts)).toBe(mode));
  }
  it('without pools every route takes kernel.mode', () => {
    expect(modeFor('10.65.1.0/26', { mode: 'ipip-cross-subnet' })).toBe('ipip-cross-subnet');
    expect(modeFor('10.65.1.0/26', { mode: 'ipip', pools: [] })).toBe('ipip');
  });
});

describe('toKernelRoute with per-pool modes', () => {
  it('one next hop gets each pool its own device (the memo keeps the modes apart)', () => {
    const memo = new Map();
    const o = { ...opts, nextHopMemo: memo };
    // 192.168.1.11 is on eth0's subnet, 10.0.5.11 is not.
    expect(toKernelRoute('10.65.1.0/26', ['192.168.1.11'], o).nextHops).toEqual([{ via: '192.168.1.11', dev: 'tunl0', onlink: true }]);
    expect(toKernelRoute('10.65.200.0/26', ['192.168.1.11'], o).nextHops).toEqual([{ via: '192.168.1.11', dev: 'eth0' }]);
    expect(toKernelRoute('10.65.200.64/26', ['10.0.5.11'], o).nextHops).toEqual([{ via: '10.0.5.11', dev: 'tunl0', onlink: true }]);
    expect(toKernelRoute('172.16.0.0/24', ['192.168.1.11'], o).nextHops).toEqual([{ via: '192.168.1.11', dev: 'eth0' }]);
    expect(toKernelRoute('10.65.2.0/26', ['192.168.1.11'], o).nextHops).toEqual([{ via: '192.168.1.11', dev: 'tunl0', onlink: true }]);
  });
  it('IPv6 stays direct whatever the pool says (IP-in-IP carries IPv4)', () => {
    expect(toKernelRoute('fd00:65:0:1::/122', ['fd00:1::11'], opts).nextHops).toEqual([{ via: 'fd00:1::11', dev: 'eth0' }]);
  });
});

describe('KernelRoutes with kernel.pools', () => {
  const cfg: KernelConfig = { ...DEFAULTS.kernel, pools: [{ cidr: '10.66.0.0/16', mode: 'none' }, { cidr: '10.65.0.0/16', mode: 'ipip' }] };
  const kr = new KernelRoutes(cfg);
  const o = { ...kr.options(), links: [eth0, tunl0] };

  it('installs nothing for a learned route inside a pool whose mode is none', () => {
    expect(kr.build('10.66.3.0/26', { local: false, nextHops: ['192.168.1.11'] }, o)).toBeNull();
  });
  it('still installs the blackhole of our own block inside such a pool', () => {
    expect(kr.build('10.66.3.0/26', { local: true, nextHops: [] }, o)?.type).toBe('blackhole');
  });
  it('uses the pool mode for other learned routes', () => {
    expect(kr.build('10.65.3.0/26', { local: false, nextHops: ['192.168.1.11'] }, o)?.nextHops).toEqual([{ via: '192.168.1.11', dev: 'tunl0', onlink: true }]);
  });
});

describe('KernelRoutes.reconfigure (a reload or a datastore change)', () => {
  const base: KernelConfig = { ...DEFAULTS.kernel, pools: [{ cidr: '10.65.0.0/16', mode: 'direct' }] };

  it('says the routes must be rebuilt when a pool mode, the pools, kernel.mode or how routes are built change, and builds with the new pools', () => {
    const kr = new KernelRoutes(base);
    const route = (): unknown => kr.build('10.65.3.0/26', { local: false, nextHops: ['192.168.1.11'] }, { ...kr.options(), links: [eth0, tunl0] })?.nextHops;
    expect(route()).toEqual([{ via: '192.168.1.11', dev: 'eth0' }]);
    expect(kr.reconfigure({ ...base, pools: [{ cidr: '10.65.0.0/16', mode: 'ipip' }] })).toBe(true);
    expect(route()).toEqual([{ via: '192.168.1.11', dev: 'tunl0', onlink: true }]);
    expect(kr.reconfigure({ ...base, pools: [{ cidr: '10.65.0.0/16', mode: 'ipip' }, { cidr: '10.66.0.0/16', mode: 'none' }] })).toBe(true);
    expect(kr.reconfigure({ ...base, pools: [] })).toBe(true);
    expect(kr.reconfigure({ ...base, pools: [], mode: 'ipip' })).toBe(true);
    expect(kr.reconfigure({ ...base, pools: [], mode: 'ipip', metric: 5 })).toBe(true);
  });

  it('says nothing needs rebuilding when only other kernel settings change', () => {
    const kr = new KernelRoutes(base);
    expect(kr.reconfigure({ ...base, pools: [{ cidr: '10.65.0.0/16', mode: 'direct' }] })).toBe(false);
    expect(kr.reconfigure({ ...base, scanInterval: base.scanInterval + 1 })).toBe(false);
  });
  it('a metric change rebuilds every route at its new key and removes the old one (keys are not remembered per prefix)', () => {
    const kr = new KernelRoutes({ ...base, metric: 0 });
    const all = [{ prefix: '10.65.3.0/26', best: { local: false, nextHops: ['192.168.1.11'] } }];
    const [installed] = kr.changes(all, { ...kr.options(), links: [eth0] });
    expect(kr.reconfigure({ ...base, metric: 7 })).toBe(true);
    const rebuilt = kr.rebuild(all);
    expect(rebuilt.map((c) => [c.key, c.route === null ? 'remove' : c.route.metric])).toEqual([
      [installed?.key, 'remove'],
      [fibKey({ prefix: '10.65.3.0/26', table: 254, protocol: 12, metric: 7 }), 7],
    ]);
    // A rebuild for a pool mode change keeps the keys: nothing removed.
    expect(kr.reconfigure({ ...base, metric: 7, pools: [{ cidr: '10.65.0.0/16', mode: 'ipip' }] })).toBe(true);
    expect(kr.rebuild(all).filter((c) => c.route === null)).toEqual([]);
  });
});

describe('KernelRoutes.changes: keys (decision 0012)', () => {
  const kr = new KernelRoutes({ ...DEFAULTS.kernel, metric: 0 });
  const o = { ...kr.options(), links: [eth0] };
  it('withdraws the key the route was installed at, for IPv4 and IPv6, with nothing remembered per prefix', () => {
    for (const [prefix, nh] of [['172.16.1.0/24', '192.168.1.11'], ['fd00:1::/64', 'fd00:1::11']] as const) {
      const [add] = kr.changes([{ prefix, best: { local: false, nextHops: [nh] } }], o);
      const [del] = kr.changes([{ prefix, best: null }], o);
      expect(add?.route).not.toBeNull();
      expect(add?.key).toBe(fibKey(add!.route!));
      expect(del).toEqual({ key: add?.key, route: null });
    }
  });
  it('withdraws the canonical key of a prefix written otherwise', () => {
    const [v6] = kr.changes([{ prefix: 'fd00:1:0:0::/64', best: null }], o);
    expect(v6?.key).toBe('254|fd00:1::/64|1024');
    const [v4] = kr.changes([{ prefix: '172.16.1.9/24', best: null }], o);
    expect(v4?.key).toBe(fibKey({ prefix: '172.16.1.0/24', table: 254, protocol: 12, metric: 0 }));
  });
  it('shares one next-hop list between the routes built with one set of options', () => {
    const [a, b] = kr.changes(
      [
        { prefix: '172.16.1.0/24', best: { local: false, nextHops: ['192.168.1.11'] } },
        { prefix: '172.16.2.0/24', best: { local: false, nextHops: ['192.168.1.11'] } },
      ],
      o,
    );
    expect(a?.route?.nextHops).toEqual([{ via: '192.168.1.11', dev: 'eth0' }]);
    expect(a?.route?.nextHops).toBe(b?.route?.nextHops);
  });
  it('gives a removal for a route it cannot build (a pool with mode none): a no-op in FibSync when nothing of ours is there', () => {
    const pooled = new KernelRoutes({ ...DEFAULTS.kernel, pools: [{ cidr: '10.66.0.0/16', mode: 'none' }] });
    const [c] = pooled.changes([{ prefix: '10.66.3.0/26', best: { local: false, nextHops: ['192.168.1.11'] } }], { ...pooled.options(), links: [eth0] });
    expect(c).toEqual({ key: fibKey({ prefix: '10.66.3.0/26', table: 254, protocol: 12, metric: 0 }), route: null });
  });
});

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { FakeKernel } from '../../../src/kernel/fake.js';
import { FibSync, toBlackholeRoute, toKernelRoute, type RouteBuildOptions } from '../../../src/kernel/fib-sync.js';
import { fibKey, type KernelLink, type KernelRoute } from '../../../src/kernel/port.js';

const BIRD = 12;
const eth0: KernelLink = { ifindex: 2, name: 'eth0', up: true, addresses: ['192.168.1.10/24', 'fd00:1::10/64'] };
const opts: RouteBuildOptions = { table: 254, protocol: BIRD, metric: 0, mode: 'direct', tunnelDevice: 'tunl0', links: [eth0] };

const route = (prefix: string, ...via: string[]): KernelRoute => toKernelRoute(prefix, via, opts);

function setup(seed: readonly KernelRoute[] = [], fakeOpts: ConstructorParameters<typeof FakeKernel>[0] = {}) {
  const clock = new ManualClock();
  const fake = new FakeKernel(fakeOpts);
  for (const r of seed) fake.seed(r);
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
  const sync = new FibSync({ port: fake, protocol: BIRD, clock, log, repairDelayMs: 200, retryDelayMs: 1000, scanIntervalMs: 30_000 });
  /** Fires due timers, then waits for the batch they started. */
  const advance = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await sync.idle();
  };
  /** The log records whose msg starts with `prefix`. */
  const logged = (prefix: string): Record<string, unknown>[] =>
    lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => String(r['msg']).startsWith(prefix));
  return { clock, fake, sync, advance, logged };
}

const ops = (fake: FakeKernel): string[] => fake.calls.filter((c) => c.op !== 'list').map((c) => `${c.op} ${c.route?.prefix} ${c.result}`);

describe('FibSync', () => {
  it('converges from an empty kernel: adds every desired route create-exclusive', async () => {
    const { fake, sync } = setup();
    await sync.start();
    await sync.setDesired([route('172.16.1.0/24', '192.168.1.11'), route('172.16.2.0/24', '192.168.1.12')]);
    expect(ops(fake)).toEqual(['add 172.16.1.0/24 ok', 'add 172.16.2.0/24 ok']);
    expect(fake.get('254|172.16.1.0/24|0')?.nextHops).toEqual([{ via: '192.168.1.11', dev: 'eth0' }]);
    expect(sync.status()).toMatchObject({ desired: 2, installed: 2, conflicts: [], pendingRetries: [] });
    fake.clearCalls();
    await sync.setDesired([route('172.16.1.0/24', '192.168.1.11'), route('172.16.2.0/24', '192.168.1.12')]);
    expect(ops(fake)).toEqual([]); // idempotent
  });

  it('changes a route of ours whose next hop changed (protocol-matched remove + exclusive add), and removes a withdrawn one', async () => {
    const { fake, sync } = setup();
    await sync.start();
    await sync.setDesired([route('172.16.1.0/24', '192.168.1.11'), route('172.16.2.0/24', '192.168.1.12')]);
    fake.clearCalls();
    const moved = route('172.16.1.0/24', '192.168.1.13');
    await sync.update([
      { key: fibKey(moved), route: moved },
      { key: fibKey({ prefix: '172.16.2.0/24', table: 254, protocol: 12, metric: 0 }), route: null },
    ]);
    expect(ops(fake)).toEqual(['remove 172.16.1.0/24 ok', 'add 172.16.1.0/24 ok', 'remove 172.16.2.0/24 ok']);
    expect(fake.routes()).toEqual([moved]);
    expect(sync.status().lastReconcile).toMatchObject({ ok: true, added: 0, replaced: 1, removed: 1 });
  });

  it('a foreign route that took the key before the change (notification not yet seen): conflict, the foreign route is kept', async () => {
    const { fake, sync, advance, logged } = setup();
    await sync.start();
    await sync.setDesired([route('172.16.1.0/24', '192.168.1.11')]);
    // `ip route replace 172.16.1.0/24 via 192.168.1.200 proto static`, its notification still in flight.
    const foreign: KernelRoute = { ...route('172.16.1.0/24', '192.168.1.200'), protocol: 4 };
    fake.seed(foreign);
    fake.clearCalls();
    const moved = route('172.16.1.0/24', '192.168.1.12');
    await sync.update([{ key: fibKey(moved), route: moved }]);
    // The delete finds nothing of ours, the add and the re-add of the old route meet EEXIST.
    expect(ops(fake).slice(0, 3)).toEqual(['remove 172.16.1.0/24 ESRCH', 'add 172.16.1.0/24 EEXIST', 'add 172.16.1.0/24 EEXIST']);
    expect(fake.get('254|172.16.1.0/24|0')).toEqual(foreign);
    expect(sync.status().conflicts).toEqual([{ key: '254|172.16.1.0/24|0', prefix: '172.16.1.0/24', since: 0 }]);
    expect(sync.status().installed).toBe(0);
    // Later notifications and scans never touch it; one conflict line in the log.
    fake.emit({ kind: 'route-changed', route: foreign });
    await advance(200);
    await advance(30_000);
    expect(fake.get('254|172.16.1.0/24|0')).toEqual(foreign);
    expect(fake.calls.some((c) => c.op === 'remove' && c.route?.protocol !== BIRD)).toBe(false);
    expect(logged('kernel route conflict')).toHaveLength(1);
    // Once it is gone, ours goes in.
    fake.deleteByHand('254|172.16.1.0/24|0');
    await advance(200);
    expect(fake.get('254|172.16.1.0/24|0')).toEqual(moved);
    expect(sync.status().conflicts).toEqual([]);
  });

  it('a change whose delete finds nothing (ours deleted meanwhile, ESRCH) installs the new route', async () => {
    const { fake, sync, clock } = setup();
    await sync.start();
    await sync.setDesired([route('172.16.1.0/24', '192.168.1.11')]);
    fake.deleteByHand('254|172.16.1.0/24|0', { silent: true }); // its notification not seen yet
    fake.clearCalls();
    const moved = route('172.16.1.0/24', '192.168.1.12');
    await sync.update([{ key: fibKey(moved), route: moved }]);
    expect(ops(fake)).toEqual(['remove 172.16.1.0/24 ESRCH', 'add 172.16.1.0/24 ok']);
    expect(fake.get('254|172.16.1.0/24|0')).toEqual(moved);
    expect(sync.status()).toMatchObject({ installed: 1, conflicts: [], pendingRetries: [], failed: [], lastReconcile: { ok: true, replaced: 1 } });
    clock.advance(200);
    await sync.idle();
    expect(fake.get('254|172.16.1.0/24|0')).toEqual(moved);
  });

  it("does not take a change's own delete notification for drift (no re-list)", async () => {
    const { fake, sync, clock } = setup();
    await sync.start();
    const old = route('172.16.1.0/24', '192.168.1.11');
    await sync.setDesired([old]);
    const moved = route('172.16.1.0/24', '192.168.1.12');
    await sync.update([{ key: fibKey(moved), route: moved }]);
    fake.emit({ kind: 'route-deleted', route: old });
    fake.emit({ kind: 'route-changed', route: moved });
    expect(clock.pending).toBe(1); // only the periodic scan
    // A second delete of an outdated route of ours is not an echo: repaired.
    fake.emit({ kind: 'route-deleted', route: moved });
    expect(clock.pending).toBe(2);
  });

  it('keeps our old route when the new one is refused, and does not loop on its own notifications', async () => {
    const { fake, sync, clock, advance, logged } = setup([], { checkReachability: true, links: [eth0] });
    await sync.start();
    const old = route('172.16.1.0/24', '192.168.1.11');
    await sync.setDesired([old]);
    fake.clearCalls();
    // A next hop on no connected subnet: ENETUNREACH, waits for a link change.
    const away = toKernelRoute('172.16.1.0/24', ['10.9.9.9'], { ...opts, links: [] });
    await sync.update([{ key: fibKey(away), route: away }]);
    expect(ops(fake)).toEqual(['remove 172.16.1.0/24 ok', 'add 172.16.1.0/24 ENETUNREACH', 'add 172.16.1.0/24 ok']);
    expect(fake.get('254|172.16.1.0/24|0')).toEqual(old);
    expect(sync.status()).toMatchObject({ installed: 1, pendingRetries: [{ code: 'ENETUNREACH', waitsForLink: true }] });
    // The echoes of the delete and of the re-add: no re-list, no new attempt.
    fake.emit({ kind: 'route-deleted', route: old });
    fake.emit({ kind: 'route-changed', route: old });
    expect(clock.pending).toBe(1);
    await advance(1000);
    expect(logged('kernel route next hop unreachable')).toHaveLength(1);
  });

  it('EINVAL (a bogus next hop) marks the route failed: no retry timer, one log line, tried again only when the route changes', async () => {
    const { fake, sync, clock, advance, logged } = setup();
    await sync.start();
    fake.failNext('EINVAL', 1, ['add']);
    const bogus = route('fd00:172:16:1::/64', '::1');
    await sync.setDesired([bogus]);
    expect(sync.status().failed).toEqual([
      {
        key: '254|fd00:172:16:1::/64|1024',
        prefix: 'fd00:172:16:1::/64',
        errno: 'EINVAL',
        op: 'add',
        reason: expect.stringContaining('invalid') as string,
        route: 'fd00:172:16:1::/64 via ::1',
        since: 0,
      },
    ]);
    expect(sync.status()).toMatchObject({ pendingRetries: [], lastReconcile: { ok: false, failed: 1 } });
    expect(clock.pending).toBe(1); // only the periodic scan: no retry timer
    expect(logged('kernel refused the route')).toEqual([
      expect.objectContaining({ level: 40, prefix: 'fd00:172:16:1::/64', errno: 'EINVAL', op: 'add', route: 'fd00:172:16:1::/64 via ::1' }),
    ]);
    // The same route again (another RIB batch), full scans, notifications: not sent again.
    fake.clearCalls();
    await sync.update([{ key: fibKey(bogus), route: bogus }]);
    await sync.setDesired([bogus]);
    await advance(30_000);
    await advance(30_000);
    fake.emit({ kind: 'resync', reason: 'test' });
    await advance(200);
    expect(ops(fake)).toEqual([]);
    expect(logged('kernel refused the route')).toHaveLength(1);
    expect(sync.status().failed).toHaveLength(1);
    // The peer sends a usable next hop: tried at once, and it goes in.
    const fixed = route('fd00:172:16:1::/64', 'fd00:1::11');
    await sync.update([{ key: fibKey(fixed), route: fixed }]);
    expect(ops(fake)).toEqual(['add fd00:172:16:1::/64 ok']);
    expect(fake.get('254|fd00:172:16:1::/64|1024')).toEqual(fixed);
    expect(sync.status()).toMatchObject({ failed: [], pendingRetries: [], installed: 1 });
  });

  it('a permanently failed route is tried again when a full scan finds its effective route different (a recursive next hop moved)', async () => {
    const { fake, sync, advance } = setup();
    fake.gateways.set('10.0.100.2', { via: '192.168.1.1', ifindex: 2, dev: 'eth0' });
    fake.failWhen((op, r) => (op === 'add' && r !== undefined && 'nextHops' in r && (r as KernelRoute).nextHops[0]?.via === '192.168.1.1' ? 'EINVAL' : undefined));
    await sync.start();
    await sync.setDesired([route('10.200.0.0/24', '10.0.100.2')]);
    expect(sync.status().failed).toMatchObject([{ errno: 'EINVAL', route: '10.200.0.0/24 via 192.168.1.1 dev eth0' }]);
    await advance(30_000);
    expect(fake.calls.filter((c) => c.op === 'add')).toHaveLength(1); // same effective route: not sent again
    fake.gateways.set('10.0.100.2', { via: '192.168.1.254', ifindex: 2, dev: 'eth0' });
    await advance(30_000);
    expect(fake.routes().map((r) => r.nextHops[0]?.via)).toEqual(['192.168.1.254']);
    expect(sync.status().failed).toEqual([]);
  });

  it('a refused change keeps the old route installed and reports the failure; a withdrawal clears it', async () => {
    const { fake, sync, clock } = setup();
    await sync.start();
    const old = route('172.16.1.0/24', '192.168.1.11');
    await sync.setDesired([old]);
    fake.failNext('EOPNOTSUPP', 1, ['add']);
    const moved = route('172.16.1.0/24', '192.168.1.12');
    await sync.update([{ key: fibKey(moved), route: moved }]);
    expect(fake.get('254|172.16.1.0/24|0')).toEqual(old);
    expect(sync.status()).toMatchObject({ installed: 1, failed: [{ errno: 'EOPNOTSUPP', op: 'change', prefix: '172.16.1.0/24' }] });
    expect(clock.pending).toBe(1);
    await sync.update([{ key: fibKey(moved), route: null }]);
    expect(fake.routes()).toEqual([]);
    expect(sync.status().failed).toEqual([]);
  });

  it('retries transient errors (ENOBUFS, EAGAIN, ENOMEM) with backoff, not as failed', async () => {
    for (const code of ['ENOBUFS', 'EAGAIN', 'ENOMEM'] as const) {
      const { fake, sync, advance } = setup();
      await sync.start();
      fake.failNext(code, 1, ['add']);
      await sync.setDesired([route('172.16.1.0/24', '192.168.1.11')]);
      expect(sync.status()).toMatchObject({ failed: [], pendingRetries: [{ code, waitsForLink: false }] });
      await advance(1000);
      expect(fake.routes()).toHaveLength(1);
    }
  });

  it('restores a route deleted by hand after the notification (debounced re-list)', async () => {
    const { fake, sync, advance } = setup();
    await sync.start();
    await sync.setDesired([route('172.16.1.0/24', '192.168.1.11')]);
    fake.clearCalls();
    fake.deleteByHand('254|172.16.1.0/24|0');
    await advance(199);
    expect(fake.routes()).toHaveLength(0);
    await advance(1);
    expect(fake.calls.map((c) => c.op)).toEqual(['list', 'add']);
    expect(fake.routes()).toHaveLength(1);
  });

  it('restores a route of ours changed by hand', async () => {
    const { fake, sync, advance } = setup();
    await sync.start();
    await sync.setDesired([route('172.16.1.0/24', '192.168.1.11')]);
    fake.changeByHand({ ...route('172.16.1.0/24', '192.168.1.99') });
    await advance(200);
    expect(fake.get('254|172.16.1.0/24|0')?.nextHops[0]?.via).toBe('192.168.1.11');
  });

  it('ignores the echo of its own writes', async () => {
    const { fake, sync, clock } = setup();
    await sync.start();
    const r = route('172.16.1.0/24', '192.168.1.11');
    await sync.setDesired([r]);
    fake.emit({ kind: 'route-changed', route: r });
    expect(clock.pending).toBe(1); // only the periodic scan
  });

  it('keeps routes a previous run left until converged(), then purges only the stale ones', async () => {
    const leftover = route('172.16.9.0/24', '192.168.1.19');
    const stillWanted = route('172.16.1.0/24', '192.168.1.11');
    const { fake, sync } = setup([leftover, stillWanted]);
    await sync.start();
    await sync.setDesired([stillWanted]);
    expect(ops(fake)).toEqual([]); // nothing flapped
    expect(sync.status()).toMatchObject({ converged: false, installed: 2, staleCandidates: 1 });
    await sync.scan();
    expect(fake.routes()).toHaveLength(2); // a scan before convergence keeps it too
    await sync.converged();
    expect(ops(fake)).toEqual(['remove 172.16.9.0/24 ok']);
    expect(fake.routes().map((r) => r.prefix)).toEqual(['172.16.1.0/24']);
    expect(sync.status()).toMatchObject({ converged: true, staleCandidates: 0 });
  });

  it('removes a route it installed in this run even before convergence', async () => {
    const { fake, sync } = setup([route('172.16.9.0/24', '192.168.1.19')]);
    await sync.start();
    await sync.setDesired([route('172.16.1.0/24', '192.168.1.11')]);
    await sync.setDesired([]);
    expect(fake.routes().map((r) => r.prefix)).toEqual(['172.16.9.0/24']);
  });

  it('leaves a foreign route at our key alone and reports the conflict', async () => {
    const foreign: KernelRoute = { ...route('172.16.1.0/24', '192.168.1.200'), protocol: 4 /* static */ };
    const { fake, sync } = setup([foreign]);
    await sync.start();
    await sync.setDesired([route('172.16.1.0/24', '192.168.1.11')]);
    expect(fake.calls.filter((c) => c.op === 'add').map((c) => c.result)).toContain('EEXIST');
    expect(fake.calls.some((c) => c.op === 'remove')).toBe(false);
    expect(fake.get('254|172.16.1.0/24|0')).toEqual(foreign);
    expect(sync.status().conflicts).toEqual([{ key: '254|172.16.1.0/24|0', prefix: '172.16.1.0/24', since: 0 }]);
    await sync.setDesired([]);
    expect(fake.get('254|172.16.1.0/24|0')).toEqual(foreign);
    expect(sync.status().conflicts).toEqual([]);
  });

  it('installs the route once the foreign one is gone', async () => {
    const foreign: KernelRoute = { ...route('172.16.1.0/24', '192.168.1.200'), protocol: 4 };
    const { fake, sync, advance } = setup([foreign]);
    await sync.start();
    await sync.setDesired([route('172.16.1.0/24', '192.168.1.11')]);
    fake.deleteByHand('254|172.16.1.0/24|0');
    await advance(200);
    expect(fake.get('254|172.16.1.0/24|0')?.protocol).toBe(BIRD);
    expect(sync.status().conflicts).toEqual([]);
  });

  it('retries after a failed call, with backoff', async () => {
    const { fake, sync, advance } = setup();
    await sync.start();
    fake.failNext('EBUSY', 2, ['add']);
    await sync.setDesired([route('172.16.1.0/24', '192.168.1.11')]);
    expect(sync.status().pendingRetries).toMatchObject([{ prefix: '172.16.1.0/24', code: 'EBUSY', attempts: 1, waitsForLink: false }]);
    expect(sync.status().lastReconcile).toMatchObject({ ok: false, failed: 1 });
    await advance(1000);
    expect(sync.status().pendingRetries).toMatchObject([{ attempts: 2 }]);
    await advance(1999);
    expect(fake.routes()).toHaveLength(0);
    await advance(1);
    expect(fake.routes()).toHaveLength(1);
    expect(sync.status()).toMatchObject({ pendingRetries: [], lastReconcile: { ok: true, added: 1 } });
  });

  it('a chunk that fails before it reaches the kernel leaves no key pinned: the retry writes it', async () => {
    const { fake, sync, advance } = setup();
    await sync.start();
    const write = fake.write.bind(fake);
    let broken = true;
    // A port that breaks its promise never to throw, once.
    fake.write = (batch) => {
      if (!broken) return write(batch);
      broken = false;
      throw new Error('port threw');
    };
    await sync.setDesired([route('172.16.1.0/24', '192.168.1.11')]);
    expect(fake.routes()).toHaveLength(0);
    expect(sync.status().lastReconcile).toMatchObject({ ok: false, error: 'kernel list failed: EOTHER' }); // counted as a failed call (the batch's catch)
    await advance(1000); // the retry: a full list and reconcile, which plans the key again
    expect(ops(fake)).toEqual(['add 172.16.1.0/24 ok']);
    expect(sync.status()).toMatchObject({ desired: 1, installed: 1, pendingRetries: [], failed: [] });
  });

  it('retries after a failed list', async () => {
    const { fake, sync, advance } = setup();
    fake.failNext('ENOBUFS', 1, ['list']);
    await sync.start();
    expect(sync.status().lastReconcile).toMatchObject({ ok: false, kind: 'full' });
    await sync.setDesired([route('172.16.1.0/24', '192.168.1.11')]);
    await advance(1000);
    expect(sync.status().lastReconcile).toMatchObject({ ok: true, kind: 'full' });
    expect(fake.routes()).toHaveLength(1);
  });

  it('waits for a link change when the next hop is unreachable (ENETUNREACH)', async () => {
    const { fake, sync, advance, clock } = setup([], { checkReachability: true, links: [] });
    await sync.start();
    // Built while eth0 had no address yet: no device, the kernel must find the subnet.
    await sync.setDesired([toKernelRoute('172.16.1.0/24', ['192.168.1.11'], { ...opts, links: [] })]);
    expect(sync.status().pendingRetries).toMatchObject([{ code: 'ENETUNREACH', waitsForLink: true }]);
    expect(clock.pending).toBe(1); // no retry timer: only the periodic scan
    fake.setLinks([eth0]);
    fake.emit({ kind: 'link-up', ifindex: 2, name: 'eth0' });
    await advance(200);
    expect(fake.routes()).toHaveLength(1);
    expect(sync.status().pendingRetries).toEqual([]);
  });

  it('repairs drift on the periodic scan without any notification', async () => {
    const { fake, sync, advance } = setup();
    await sync.start();
    await sync.setDesired([route('172.16.1.0/24', '192.168.1.11')]);
    fake.seed({ ...route('172.16.1.0/24', '192.168.1.77') }); // silently changed
    fake.seed(route('172.16.8.0/24', '192.168.1.18')); // appeared with our protocol after startup
    await advance(30_000);
    expect(fake.get('254|172.16.1.0/24|0')?.nextHops[0]?.via).toBe('192.168.1.11');
    // Not left by a previous run (those are adopted at start): drift, removed at once.
    expect(fake.get('254|172.16.8.0/24|0')).toBeUndefined();
  });

  it('installs ECMP routes and compares them regardless of next-hop order', async () => {
    const { fake, sync } = setup();
    await sync.start();
    const ecmp = route('172.16.1.0/24', '192.168.1.12', '192.168.1.11');
    expect(ecmp.nextHops.map((h) => h.via)).toEqual(['192.168.1.11', '192.168.1.12']);
    await sync.setDesired([ecmp]);
    fake.seed({ ...ecmp, nextHops: [...ecmp.nextHops].reverse() });
    fake.clearCalls();
    await sync.scan();
    expect(ops(fake)).toEqual([]);
  });

  it('installs a blackhole for an originated block', async () => {
    const { fake, sync } = setup();
    await sync.start();
    await sync.setDesired([toBlackholeRoute('172.16.0.0/24', opts)]);
    expect(fake.routes()).toEqual([{ prefix: '172.16.0.0/24', table: 254, protocol: BIRD, metric: 0, type: 'blackhole', nextHops: [] }]);
  });

  it('handles IPv6 routes (metric 0 becomes the kernel default 1024)', async () => {
    const { fake, sync } = setup();
    await sync.start();
    const v6 = route('fd00:172:16:1:0::/80', 'fd00:1::11');
    expect(v6).toMatchObject({ prefix: 'fd00:172:16:1::/80', metric: 1024, nextHops: [{ via: 'fd00:1::11', dev: 'eth0' }] });
    await sync.setDesired([v6]);
    expect(fake.get('254|fd00:172:16:1::/80|1024')).toEqual(v6);
  });

  it('uses the route table the routes name, including ids above 255', async () => {
    const { fake, sync } = setup();
    await sync.start();
    const r = toKernelRoute('172.16.1.0/24', ['192.168.1.11'], { ...opts, table: 1000 });
    await sync.setDesired([r]);
    expect(fake.get('1000|172.16.1.0/24|0')).toEqual(r);
    await sync.withdrawAll();
    expect(fake.routes()).toEqual([]);
  });

  it('withdrawAll removes every route of ours, foreign ones stay, and stops', async () => {
    const foreign: KernelRoute = { ...route('10.0.0.0/8', '192.168.1.1'), protocol: 4 };
    const { fake, sync, clock } = setup([foreign, route('172.16.9.0/24', '192.168.1.19')]);
    await sync.start();
    await sync.setDesired([route('172.16.1.0/24', '192.168.1.11')]);
    await sync.withdrawAll();
    expect(fake.routes()).toEqual([foreign]);
    expect(fake.subscribers).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('rejects a desired route with another protocol id', () => {
    const { sync } = setup();
    expect(() => sync.setDesired([{ ...route('172.16.1.0/24', '192.168.1.11'), protocol: 186 }])).toThrow(/protocol 186/);
  });
});

describe('toKernelRoute', () => {
  const links = [eth0, { ifindex: 3, name: 'tunl0', up: true, addresses: ['10.244.0.1/32'] }];

  it("direct mode: via NH on the connected device, or no device when the kernel must resolve", () => {
    expect(toKernelRoute('172.16.1.0/24', ['192.168.1.11'], { ...opts, links }).nextHops).toEqual([{ via: '192.168.1.11', dev: 'eth0' }]);
    expect(toKernelRoute('172.16.1.0/24', ['10.9.9.9'], { ...opts, links }).nextHops).toEqual([{ via: '10.9.9.9' }]);
  });

  it('ipip mode: via NH dev tunl0 onlink, even on a connected subnet', () => {
    const r = toKernelRoute('172.16.1.0/24', ['192.168.1.11', '10.0.5.11'], { ...opts, links, mode: 'ipip' });
    expect(r.nextHops).toEqual([
      { via: '10.0.5.11', dev: 'tunl0', onlink: true },
      { via: '192.168.1.11', dev: 'tunl0', onlink: true },
    ]);
  });

  it('ipip-cross-subnet: tunnel only when NH is not on a connected subnet', () => {
    const r = toKernelRoute('172.16.1.0/24', ['192.168.1.11', '10.0.5.11'], { ...opts, links, mode: 'ipip-cross-subnet' });
    expect(r.nextHops).toEqual([
      { via: '10.0.5.11', dev: 'tunl0', onlink: true },
      { via: '192.168.1.11', dev: 'eth0' },
    ]);
  });

  it('IPv6 prefixes never use the IPv4 tunnel', () => {
    const r = toKernelRoute('fd00:172:16:1::/64', ['fd00:1::11'], { ...opts, links, mode: 'ipip' });
    expect(r.nextHops).toEqual([{ via: 'fd00:1::11', dev: 'eth0' }]);
  });

  it('canonicalizes the prefix and deduplicates next hops; no next hop = blackhole', () => {
    const r = toKernelRoute('172.16.1.7/24', ['192.168.1.11', '192.168.1.11'], opts);
    expect(r.prefix).toBe('172.16.1.0/24');
    expect(r.nextHops).toHaveLength(1);
    expect(toKernelRoute('172.16.0.0/24', [], opts).type).toBe('blackhole');
  });
});

describe('FibSync: recursive next hops (not on a connected subnet)', () => {
  it('installs the gateway the kernel uses to reach the BGP next hop, and does not rewrite it on later scans', async () => {
    const { fake, sync } = setup();
    fake.gateways.set('10.0.100.2', { via: '192.168.1.1', ifindex: 2, dev: 'eth0' });
    await sync.start();
    const want = route('10.200.0.0/24', '10.0.100.2');
    expect(want.nextHops).toEqual([{ via: '10.0.100.2' }]);
    await sync.setDesired([want]);
    expect(fake.routes().find((r) => r.prefix === '10.200.0.0/24')?.nextHops).toEqual([{ via: '192.168.1.1', ifindex: 2, dev: 'eth0' }]);
    fake.clearCalls();
    await sync.scan();
    expect(ops(fake)).toEqual([]);
  });

  it('follows the next hop when the route to it changes (another protocol\'s route event)', async () => {
    const { fake, sync, clock } = setup();
    fake.gateways.set('10.0.100.2', { via: '192.168.1.1', ifindex: 2, dev: 'eth0' });
    await sync.start();
    await sync.setDesired([route('10.200.0.0/24', '10.0.100.2')]);
    fake.gateways.set('10.0.100.2', { via: '192.168.1.254', ifindex: 2, dev: 'eth0' });
    fake.emit({ kind: 'route-changed', route: { prefix: '10.0.100.0/24', table: 254, protocol: 4, metric: 0, type: 'unicast', nextHops: [{ via: '192.168.1.254' }] } });
    clock.advance(1000);
    await sync.idle();
    expect(fake.routes().find((r) => r.prefix === '10.200.0.0/24')?.nextHops.map((h) => h.via)).toEqual(['192.168.1.254']);
  });

  it('leaves an unresolvable next hop as it is (the kernel refuses it; retried when links change)', async () => {
    const { sync } = setup([], { checkReachability: true, links: [eth0] });
    await sync.start();
    await sync.setDesired([route('10.200.0.0/24', '10.9.9.9')]);
    expect(sync.status().installed).toBe(0);
  });
});

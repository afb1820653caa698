/** FibSync's counts for metrics: kernel errors by errno, reconciles by kind, each reconcile to the observer. */
import { expect, it } from 'vitest';
import { FakeKernel } from '../../../src/kernel/fake.js';
import { FibSync, toKernelRoute, type ReconcileResult, type RouteBuildOptions } from '../../../src/kernel/fib-sync.js';
import type { KernelLink, KernelRoute } from '../../../src/kernel/port.js';
import { ManualClock } from '../../../src/util/clock.js';

const eth0: KernelLink = { ifindex: 2, name: 'eth0', up: true, addresses: ['192.168.1.10/24'] };
const opts: RouteBuildOptions = { table: 254, protocol: 12, metric: 0, mode: 'direct', tunnelDevice: 'tunl0', links: [eth0] };
const route = (prefix: string, ...via: string[]): KernelRoute => toKernelRoute(prefix, via, opts);

it('counts every error the kernel answered by errno, every reconcile by kind, and tells the observer each one', async () => {
  const clock = new ManualClock();
  const fake = new FakeKernel({ checkReachability: true, links: [eth0] });
  // A foreign route (protocol static) at the key of one of ours: EEXIST, a conflict.
  fake.seed({ ...route('172.16.3.0/24', '192.168.1.13'), protocol: 4 });
  const seen: ReconcileResult[] = [];
  const sync = new FibSync({ port: fake, protocol: 12, clock, retryDelayMs: 1000, scanIntervalMs: 30_000, onReconcile: (r) => void seen.push(r) });
  await sync.start();
  expect(sync.stats()).toEqual({
    converged: false,
    routes: { desired: 0, installed: 0, conflicting: 0, pending: 0, failed: 0 },
    errors: {},
    reconciles: { full: 1, incremental: 0 },
  });
  fake.failNext('ENOBUFS', 1, ['add']);
  await sync.setDesired([
    route('172.16.1.0/24', '192.168.1.11'), // ENOBUFS once, retried
    route('172.16.2.0/24', '10.9.9.9'), // no connected subnet: ENETUNREACH
    route('172.16.3.0/24', '192.168.1.13'), // EEXIST: the foreign route
  ]);
  // The conflict makes the same request re-list at once (a full reconcile), which tries the two
  // keys still not installed again: ENETUNREACH and EEXIST a second time.
  expect(sync.stats()).toMatchObject({ errors: { ENOBUFS: 1, ENETUNREACH: 2, EEXIST: 2 }, reconciles: { full: 2, incremental: 1 } });
  expect(seen.map((r) => r.kind)).toEqual(['full', 'incremental', 'full']);
  expect(seen[1]).toMatchObject({ ok: false, added: 0, failed: 2 });
  clock.advance(1000); // the ENOBUFS retry was done by the full reconcile; nothing else is due but the link waiter
  await sync.idle();
  const st = sync.stats();
  expect(st.errors['ENOBUFS']).toBe(1);
  expect(st.reconciles.full + st.reconciles.incremental).toBe(seen.length);
  expect(sync.status()).toMatchObject({ installed: 1, conflicts: [{ prefix: '172.16.3.0/24' }], pendingRetries: [{ code: 'ENETUNREACH' }] });
  expect(st.routes).toEqual({ desired: 3, installed: 1, conflicting: 1, pending: 1, failed: 0 });
  await sync.converged();
  expect(sync.stats().converged).toBe(true);
  sync.stop();
});

it('counts routes the kernel refused for good (EINVAL) as failed, not pending', async () => {
  const fake = new FakeKernel();
  const sync = new FibSync({ port: fake, protocol: 12, clock: new ManualClock() });
  await sync.start();
  fake.failNext('EINVAL', 1, ['add']);
  await sync.setDesired([route('172.16.1.0/24', '192.168.1.11'), route('172.16.2.0/24', '192.168.1.12')]);
  expect(sync.stats()).toMatchObject({ routes: { desired: 2, installed: 1, conflicting: 0, pending: 0, failed: 1 }, errors: { EINVAL: 1 } });
  sync.stop();
});

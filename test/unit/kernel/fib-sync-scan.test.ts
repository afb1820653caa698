import { describe, expect, it } from 'vitest';
import { FakeKernel } from '../../../src/kernel/fake.js';
import { FibSync, toKernelRoute, type RouteBuildOptions } from '../../../src/kernel/fib-sync.js';
import { fibKey, type KernelError, type KernelLink, type KernelRoute, type KernelWrite } from '../../../src/kernel/port.js';
import { ManualClock } from '../../../src/util/clock.js';

const eth0: KernelLink = { ifindex: 2, name: 'eth0', up: true, addresses: ['192.168.1.10/24'] };
const opts: RouteBuildOptions = { table: 254, protocol: 12, metric: 0, mode: 'direct', tunnelDevice: 'tunl0', links: [eth0] };
const route = (prefix: string): KernelRoute => toKernelRoute(prefix, ['192.168.1.11'], opts);
const change = (prefix: string) => ({ key: fibKey(route(prefix)), route: route(prefix) });

/** A fake kernel whose writes wait while a gate is closed (a batch in the kernel for a while). */
class GatedKernel extends FakeKernel {
  #gate: Promise<void> | null = null;
  #open: (() => void) | null = null;
  shut(): void {
    this.#gate = new Promise((r) => (this.#open = r));
  }
  open(): void {
    this.#open?.();
    this.#gate = null;
  }
  override async write(batch: readonly KernelWrite[]): Promise<(KernelError | null)[]> {
    if (this.#gate) await this.#gate;
    return super.write(batch);
  }
}

const order = (fake: FakeKernel): string[] => fake.calls.map((c) => (c.op === 'list' ? 'list' : `${c.op} ${c.route?.prefix}`));
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('FibSync periodic scan', () => {
  it('waits while route changes are being written, and then until none was written for 5 s (a scan never runs in the middle of a bulk update)', async () => {
    const clock = new ManualClock();
    const fake = new GatedKernel();
    const sync = new FibSync({ port: fake, protocol: 12, clock, scanIntervalMs: 30_000 });
    await sync.start();
    await sync.converged();
    fake.clearCalls();
    fake.shut();
    const first = sync.update([change('172.16.1.0/24')]);
    await tick();
    clock.advance(30_000); // the scan comes due while the write is in the kernel
    void sync.update([change('172.16.2.0/24')]);
    await tick();
    fake.open();
    await first;
    await sync.idle();
    expect(order(fake)).toEqual(['add 172.16.1.0/24', 'add 172.16.2.0/24']);
    clock.advance(4000);
    void sync.update([change('172.16.4.0/24')]); // another write: the quiet time starts again
    await sync.idle();
    clock.advance(4999);
    await sync.idle();
    expect(order(fake)).not.toContain('list');
    clock.advance(1);
    await sync.idle();
    expect(order(fake)).toEqual(['add 172.16.1.0/24', 'add 172.16.2.0/24', 'add 172.16.4.0/24', 'list']);
    sync.stop();
    expect(clock.pending).toBe(0);
  });

  it('runs all the same once it has waited a whole scan interval', async () => {
    const clock = new ManualClock();
    const fake = new GatedKernel();
    const sync = new FibSync({ port: fake, protocol: 12, clock, scanIntervalMs: 30_000 });
    await sync.start();
    await sync.converged();
    fake.clearCalls();
    fake.shut();
    const first = sync.update([change('172.16.1.0/24')]);
    await tick();
    clock.advance(30_000); // due
    clock.advance(30_000); // and waited a whole interval, while changes keep coming
    void sync.update([change('172.16.3.0/24')]);
    await tick();
    fake.open();
    await first;
    await sync.idle();
    const calls = order(fake);
    expect(calls[0]).toBe('add 172.16.1.0/24');
    expect(calls.indexOf('list')).toBeGreaterThan(0);
    expect(calls.indexOf('list')).toBeLessThan(calls.indexOf('add 172.16.3.0/24'));
    expect(fake.routes().map((r) => r.prefix).sort()).toEqual(['172.16.1.0/24', '172.16.3.0/24']);
    sync.stop();
  });
});

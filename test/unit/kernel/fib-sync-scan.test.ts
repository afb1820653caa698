import { describe, expect, it } from 'vitest';
import { FakeKernel } from '../../../src/kernel/fake.js';
import { FibSync, toKernelRoute, type DesiredChange, type FibSyncOptions, type RouteBuildOptions } from '../../../src/kernel/fib-sync.js';
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

/** A started, converged FibSync over `fake` (calls cleared), with a scan every 30 s. */
async function started(fake: FakeKernel, extra: Partial<FibSyncOptions> = {}): Promise<{ clock: ManualClock; sync: FibSync }> {
  const clock = new ManualClock();
  const sync = new FibSync({ port: fake, protocol: 12, clock, scanIntervalMs: 30_000, ...extra });
  await sync.start();
  await sync.converged();
  fake.clearCalls();
  return { clock, sync };
}

describe('FibSync periodic scan', () => {
  it('waits while route changes are being written, and then until none was written for a whole interval (a scan never runs in the middle of a bulk update)', async () => {
    const fake = new GatedKernel();
    const { clock, sync } = await started(fake);
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
    clock.advance(25_999); // the scan has been due for 30 s less 1 ms, the last write 26 s ago
    await sync.idle();
    expect(order(fake)).not.toContain('list');
    clock.advance(1); // due for a whole interval: it runs
    await sync.idle();
    expect(order(fake)).toEqual(['add 172.16.1.0/24', 'add 172.16.2.0/24', 'add 172.16.4.0/24', 'list']);
    sync.stop();
    expect(clock.pending).toBe(0);
  });

  it('runs as soon as it is due when nothing was written for a whole interval', async () => {
    const fake = new GatedKernel();
    const { clock, sync } = await started(fake);
    await sync.update([change('172.16.1.0/24')]);
    clock.advance(30_000); // due; the last write is 30 s old
    await sync.idle();
    expect(order(fake)).toEqual(['add 172.16.1.0/24', 'list']);
    sync.stop();
  });

  it('runs all the same once it has waited a whole scan interval', async () => {
    const fake = new GatedKernel();
    const { clock, sync } = await started(fake);
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

/** Counts the writes that are in the kernel at once; `slow`: each takes a turn of the event loop (as the writer thread's do). */
class CountingKernel extends GatedKernel {
  inFlight = 0;
  maxInFlight = 0;
  slow = false;
  override async write(batch: readonly KernelWrite[]): Promise<(KernelError | null)[]> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.slow) await tick();
      return await super.write(batch);
    } finally {
      this.inFlight--;
    }
  }
}

const v4 = (i: number): string => `10.${(i >> 8) & 255}.${i & 255}.0/24`;
const via = (prefix: string, gw: string): KernelRoute => toKernelRoute(prefix, [gw], opts);

describe('FibSync write pipeline', () => {
  it('has the next chunk in the kernel while the previous one is written, never more than two', async () => {
    const fake = new CountingKernel();
    const { sync } = await started(fake);
    fake.shut();
    const done = sync.setDesired(Array.from({ length: 10_000 }, (_, i) => route(v4(i))));
    for (let i = 0; i < 20 && fake.inFlight < 2; i++) await tick();
    expect(fake.inFlight).toBe(2);
    fake.open();
    await done;
    expect(fake.maxInFlight).toBe(2);
    expect(fake.routes()).toHaveLength(10_000);
    expect(sync.status()).toMatchObject({ desired: 10_000, installed: 10_000, conflicts: [], pendingRetries: [] });
    sync.stop();
  });

  it('settles a write as the route it wrote, even when the desired route changed to another shape while it was in the kernel', async () => {
    const fake = new GatedKernel();
    const { sync } = await started(fake);
    const a = via('10.7.0.0/24', '192.168.1.11');
    const b = via('10.7.0.0/24', '192.168.1.12');
    fake.shut();
    const first = sync.update([{ key: fibKey(a), route: a }]);
    await tick();
    // a's shape is referred to by nothing but the write in the kernel now (without the write's own
    // reference it would be freed here, and settling would name a dead shape).
    const second = sync.update([{ key: fibKey(b), route: b }]);
    fake.open();
    await first;
    await second;
    await sync.idle();
    expect(fake.routes().map((r) => r.nextHops[0]?.via)).toEqual(['192.168.1.12']);
    const hop = (r: unknown): string | undefined => (r as KernelRoute | undefined)?.nextHops[0]?.via;
    expect(fake.calls.map((c) => `${c.op} ${hop(c.route)}`)).toEqual(['add 192.168.1.11', 'remove 192.168.1.11', 'add 192.168.1.12']);
    expect(sync.status()).toMatchObject({ desired: 1, installed: 1, conflicts: [], failed: [] });
    sync.stop();
  });

  it('ends with exactly the desired table when keys change again while their chunk is in the kernel (seeded)', async () => {
    const fake = new CountingKernel();
    fake.slow = true;
    const { sync } = await started(fake);
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const want = new Map<string, string>();
    const batchOf = (n: number): DesiredChange[] => {
      const changes: DesiredChange[] = [];
      for (let j = 0; j < n; j++) {
        const p = v4(rnd(30_000));
        if (rnd(4) === 0) {
          want.delete(p);
          changes.push({ key: fibKey(route(p)), route: null });
        } else {
          const gw = `192.168.1.${11 + rnd(3)}`;
          want.set(p, gw);
          changes.push({ key: fibKey(via(p, gw)), route: via(p, gw) });
        }
      }
      return changes;
    };
    for (let round = 0; round < 6; round++) {
      // A big update is being planned and written, in slices; more changes land between the slices
      // (as the decision loop's would), some for keys whose chunk is in the kernel right then.
      const pending = sync.update(batchOf(20_000));
      for (let i = 0; i < 30; i++) {
        await tick();
        void sync.update(batchOf(200));
      }
      await pending;
      await sync.idle();
    }
    expect(fake.maxInFlight).toBeLessThanOrEqual(2);
    const have = new Map(fake.routes().map((r) => [r.prefix, r.nextHops[0]?.via]));
    expect(have).toEqual(want);
    expect(sync.status()).toMatchObject({ conflicts: [], pendingRetries: [], failed: [] });
    // No write ever met its own earlier write (an add of a key whose add was still in the kernel
    // would meet EEXIST and be taken for a foreign route until the next list).
    expect(sync.stats().errors).toEqual({});
    sync.stop();
  });
});

/** Each write waits until the test releases it, in order. */
class OneByOneKernel extends FakeKernel {
  readonly #waiting: (() => void)[] = [];
  inFlight = 0;
  get waiting(): number {
    return this.#waiting.length;
  }
  release(): void {
    this.#waiting.shift()?.();
  }
  override async write(batch: readonly KernelWrite[]): Promise<(KernelError | null)[]> {
    this.inFlight++;
    await new Promise<void>((r) => this.#waiting.push(r));
    try {
      return await super.write(batch);
    } finally {
      this.inFlight--;
    }
  }
}

describe('FibSync write pipeline: a key of the chunk in the kernel', () => {
  it('is planned again only after that chunk settled (an add never meets its own earlier add)', async () => {
    const fake = new OneByOneKernel();
    // sliceMs 0: every key is a chunk of its own, with a turn of the event loop after it.
    const { sync } = await started(fake, { sliceMs: 0 });
    const until = async (cond: () => boolean): Promise<void> => {
      for (let i = 0; i < 100 && !cond(); i++) await tick();
      expect(cond()).toBe(true);
    };
    const done = sync.update([change('172.16.1.0/24'), change('172.16.2.0/24')]);
    await until(() => fake.waiting === 2); // 1.0 and 2.0 in the kernel
    // 2.0 changes again while its add is in the kernel: the batch's next chunk takes it up.
    void sync.update([{ key: fibKey(via('172.16.2.0/24', '192.168.1.12')), route: via('172.16.2.0/24', '192.168.1.12') }]);
    fake.release(); // 1.0 settles; the new 2.0 must wait for its first add (deferred to the next batch)
    for (let i = 0; i < 20; i++) await tick();
    expect(fake.waiting).toBe(1); // only the first add of 2.0: nothing else for 2.0 while it is in the kernel
    // Then every write goes as it comes, until the reconciler has nothing left.
    await until(() => {
      while (fake.waiting > 0) fake.release();
      return !sync.busy && fake.inFlight === 0;
    });
    await done;
    await sync.idle();
    expect(sync.stats().errors).toEqual({});
    expect(fake.routes().map((r) => `${r.prefix} ${r.nextHops[0]?.via}`).sort()).toEqual(['172.16.1.0/24 192.168.1.11', '172.16.2.0/24 192.168.1.12']);
    expect(sync.status()).toMatchObject({ conflicts: [], pendingRetries: [] });
    sync.stop();
  });
});


describe('FibSync route notifications during its own writes', () => {
  it('holds them once a batch that started small has taken 512 keys (a withdrawal arriving slice by slice)', async () => {
    const fake = new OneByOneKernel();
    const { sync } = await started(fake, { sliceMs: 0 });
    const done = sync.update([change(v4(0))]);
    for (let i = 0; i < 20 && fake.waiting === 0; i++) await tick();
    expect(fake.routeEventHolds).toBe(0); // one key: not held
    void sync.update(Array.from({ length: 600 }, (_, i) => change(v4(i + 1))));
    let held = 0;
    for (let i = 0; i < 5000 && (sync.busy || fake.inFlight > 0); i++) {
      while (fake.waiting > 0) fake.release();
      held = Math.max(held, fake.routeEventHolds);
      await tick();
    }
    await done;
    expect(held).toBe(1);
    expect(fake.routeEventHolds).toBe(0);
    expect(fake.routes()).toHaveLength(601);
    sync.stop();
  });

  it('takes the notification of a write of its own still in the kernel for the echo it is, not for drift', async () => {
    const fake = new OneByOneKernel();
    const { clock, sync } = await started(fake, { repairDelayMs: 200 });
    const r = route('172.16.9.0/24');
    const add = sync.update([change('172.16.9.0/24')]);
    for (let i = 0; i < 20 && fake.waiting === 0; i++) await tick();
    fake.release();
    await add;
    fake.clearCalls();
    const remove = sync.update([{ key: fibKey(r), route: null }]);
    for (let i = 0; i < 20 && fake.waiting === 0; i++) await tick();
    fake.emit({ kind: 'route-deleted', route: r }); // the kernel's notification, before our ACK is read
    fake.release();
    await remove;
    clock.advance(1000);
    await sync.idle();
    expect(order(fake)).toEqual(['remove 172.16.9.0/24']); // no re-list
    sync.stop();
  });
});

describe('FibSync: a route withdrawn while its add is in the kernel', () => {
  it('is removed once the add has settled (its entry kept only by the pin meanwhile; the settled add marks it again)', async () => {
    const fake = new OneByOneKernel();
    const { sync } = await started(fake);
    const until = async (cond: () => boolean): Promise<void> => {
      for (let i = 0; i < 100 && !cond(); i++) await tick();
      expect(cond()).toBe(true);
    };
    void sync.update([change('172.16.9.0/24')]);
    await until(() => fake.waiting === 1); // the add is in the kernel
    void sync.update([{ key: fibKey(route('172.16.9.0/24')), route: null }]);
    await until(() => {
      while (fake.waiting > 0) fake.release();
      return !sync.busy && fake.inFlight === 0;
    });
    await sync.idle();
    expect(fake.routes()).toEqual([]);
    expect(sync.stats().routes).toMatchObject({ desired: 0, installed: 0 });
    sync.stop();
  });
});

describe('FibSync.setDesired while a batch waits for the kernel', () => {
  it('keeps the dirty mark of a key whose desired route it leaves as it was', async () => {
    const fake = new GatedKernel();
    const { sync } = await started(fake);
    fake.shut();
    const first = sync.update([change('172.16.1.0/24')]);
    await tick(); // 1.0's add is in the kernel; the batch waits for it
    void sync.update([change('172.16.2.0/24')]); // 2.0 is marked, for the batch to take after the wait
    void sync.setDesired([route('172.16.1.0/24'), route('172.16.2.0/24')]); // the same table
    fake.open();
    await first;
    await sync.idle();
    expect(fake.routes().map((r) => r.prefix).sort()).toEqual(['172.16.1.0/24', '172.16.2.0/24']);
    sync.stop();
  });
});

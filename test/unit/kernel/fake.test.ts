import { describe, expect, it } from 'vitest';
import { FakeKernel } from '../../../src/kernel/fake.js';
import { KernelError, type KernelEvent, type KernelRoute, type KernelRouteKey } from '../../../src/kernel/port.js';

const ours: KernelRoute = { prefix: '172.16.1.0/24', table: 254, protocol: 12, metric: 0, type: 'unicast', nextHops: [{ via: '192.168.1.11' }] };
const foreign: KernelRoute = { ...ours, protocol: 4, nextHops: [{ via: '192.168.1.200' }] };

/** One route written as a batch of one (the port has no single-route calls): null, or its KernelError. */
const add = async (k: FakeKernel, route: KernelRoute): Promise<KernelError | null> => (await k.write([{ op: 'add', route }]))[0] ?? null;
const remove = async (k: FakeKernel, route: KernelRouteKey): Promise<KernelError | null> => (await k.write([{ op: 'remove', route }]))[0] ?? null;

describe('FakeKernel', () => {
  it('behaves like the FIB: one route per key, EEXIST on add, absent remove is success, remove matches protocol', async () => {
    const k = new FakeKernel();
    k.seed(foreign);
    expect(await add(k, ours)).toMatchObject({ code: 'EEXIST', op: 'add' });
    expect(await remove(k, ours)).toBeNull(); // our protocol: the foreign route stays (logged ESRCH, not an error)
    expect(k.routes()).toEqual([foreign]);
    expect(await k.list({ table: 254, protocol: 12 })).toEqual([]);
    expect(k.calls.map((c) => `${c.op}:${c.result}`)).toEqual(['add:EEXIST', 'remove:ESRCH', 'list:ok']);
  });

  it("a 'change' write is a protocol-matched remove and an exclusive add; the old route is put back when the add fails", async () => {
    const k = new FakeKernel();
    const moved: KernelRoute = { ...ours, nextHops: [{ via: '192.168.1.12' }] };
    k.seed(ours);
    expect(await k.write([{ op: 'change', from: ours, route: moved }])).toEqual([null]);
    expect(k.routes()).toEqual([moved]);
    // A foreign route took the key: nothing of ours to delete, the add meets EEXIST, the foreign route stays.
    k.seed(foreign);
    const [conflict] = await k.write([{ op: 'change', from: moved, route: ours }]);
    expect(conflict).toMatchObject({ code: 'EEXIST', op: 'add' });
    expect(k.routes()).toEqual([foreign]);
    // The new route is refused: the old one is back.
    k.seed(ours);
    k.clearCalls();
    k.failNext('EINVAL', 1, ['add']);
    const [refused] = await k.write([{ op: 'change', from: ours, route: moved }]);
    expect(refused).toMatchObject({ code: 'EINVAL', op: 'add' });
    expect(k.routes()).toEqual([ours]);
    expect(k.calls.map((c) => `${c.op}:${c.route?.protocol}:${c.result}`)).toEqual(['remove:12:ok', 'add:12:EINVAL', 'add:12:ok']);
  });

  it('fails the next N calls with a code, then recovers', async () => {
    const k = new FakeKernel();
    k.failNext('EPERM', 2, ['add']);
    expect(await add(k, ours)).toBeInstanceOf(KernelError);
    expect(await add(k, ours)).toMatchObject({ code: 'EPERM' });
    expect(await add(k, ours)).toBeNull();
    expect(k.routes()).toEqual([ours]);
  });

  it('checks reachability when asked: ENETUNREACH without a connected subnet, onlink passes', async () => {
    const k = new FakeKernel({ checkReachability: true, links: [{ ifindex: 3, name: 'tunl0', up: true, addresses: [] }] });
    expect(await add(k, ours)).toMatchObject({ code: 'ENETUNREACH' });
    expect(await add(k, { ...ours, nextHops: [{ via: '192.168.1.11', dev: 'tunl0', onlink: true }] })).toBeNull();
    expect(await add(k, { ...ours, metric: 5, nextHops: [{ via: '192.168.1.11', dev: 'eth9' }] })).toMatchObject({ code: 'ENODEV' });
  });

  it('delivers emitted and by-hand events to subscribers until unsubscribed', () => {
    const k = new FakeKernel();
    const seen: KernelEvent[] = [];
    const off = k.subscribe((e) => seen.push(e));
    k.seed(ours);
    k.deleteByHand('254|172.16.1.0/24|0');
    k.emit({ kind: 'link-up', ifindex: 2, name: 'eth0' });
    off();
    k.emit({ kind: 'link-down', ifindex: 2, name: 'eth0' });
    expect(seen.map((e) => e.kind)).toEqual(['route-deleted', 'link-up']);
  });
});

/**
 * The decision loop (src/daemon/decision-loop.ts) over a fake RIB: scheduling coalesces, work is
 * cut into slices with turns of the event loop between them, kernel routes are built in the slice
 * and handed over once per slice, peers are kicked after each slice, and nothing goes to the kernel
 * while there is no sink (stopping).
 */
import { describe, expect, it } from 'vitest';
import { DECIDE_GROUP, DecisionLoop, type Decider, type KernelSink } from '../../../src/daemon/decision-loop.js';
import type { DesiredChange, RouteBuildOptions } from '../../../src/kernel/fib-sync.js';
import type { BestChange } from '../../../src/rib/types.js';

class FakeDecider implements Decider {
  pendingDecisions: number;
  calls = 0;
  constructor(pending: number) {
    this.pendingDecisions = pending;
  }
  decide(limit: number): BestChange[] {
    this.calls++;
    const n = Math.min(limit, this.pendingDecisions);
    this.pendingDecisions -= n;
    return Array.from({ length: n }, (_, i) => ({ prefix: `10.${this.calls}.${i % 256}.0/24`, best: null }));
  }
}

class FakeSink implements KernelSink {
  readonly updates: number[] = [];
  built = 0;
  options(): RouteBuildOptions {
    return { table: 254, protocol: 12, metric: 0, mode: 'direct', tunnelDevice: 'tunl0', links: [], nextHopMemo: new Map() } as unknown as RouteBuildOptions;
  }
  changes(changes: readonly BestChange[]): DesiredChange[] {
    this.built += changes.length;
    return changes.map((c) => ({ key: c.prefix, route: null }));
  }
  update(changes: readonly DesiredChange[]): void {
    this.updates.push(changes.length);
  }
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('DecisionLoop', () => {
  it('runs once per turn of the event loop however often it is scheduled', async () => {
    const rib = new FakeDecider(10);
    const sink = new FakeSink();
    let kicks = 0;
    const loop = new DecisionLoop({ rib, kernel: () => sink, kick: () => void kicks++ });
    loop.schedule();
    loop.schedule();
    expect(loop.scheduled).toBe(true);
    expect(rib.calls).toBe(0);
    await turn();
    expect(loop.scheduled).toBe(false);
    expect(rib.calls).toBe(1);
    expect(sink.updates).toEqual([10]);
    expect(kicks).toBe(1);
  });

  it('cuts the work into slices with a turn of the loop between them, each handing its kernel routes over', async () => {
    const rib = new FakeDecider(3 * DECIDE_GROUP + 10);
    const sink = new FakeSink();
    let kicks = 0;
    // A budget of 0 ms: one group of decisions per slice.
    const loop = new DecisionLoop({ rib, kernel: () => sink, kick: () => void kicks++, sliceMs: 0 });
    loop.schedule();
    await turn();
    expect(sink.updates).toEqual([DECIDE_GROUP]);
    expect(loop.scheduled).toBe(true);
    for (let i = 0; i < 10 && loop.scheduled; i++) await turn();
    expect(sink.updates).toEqual([DECIDE_GROUP, DECIDE_GROUP, DECIDE_GROUP, 10]);
    expect(kicks).toBe(4);
    expect(rib.pendingDecisions).toBe(0);
    expect(loop.scheduled).toBe(false);
  });

  it('with a budget to spare, decides everything in one slice', async () => {
    const rib = new FakeDecider(3 * DECIDE_GROUP);
    const sink = new FakeSink();
    const loop = new DecisionLoop({ rib, kernel: () => sink, kick: () => undefined, sliceMs: 60_000 });
    loop.schedule();
    await turn();
    expect(rib.calls).toBe(3);
    expect(sink.updates).toEqual([3 * DECIDE_GROUP]);
    expect(loop.scheduled).toBe(false);
  });

  it('without a kernel sink (no kernel, or stopping), decides and kicks but writes nothing', async () => {
    const rib = new FakeDecider(5);
    const sink = new FakeSink();
    let stopping = false;
    let kicks = 0;
    const loop = new DecisionLoop({ rib, kernel: () => (stopping ? undefined : sink), kick: () => void kicks++ });
    stopping = true;
    loop.schedule();
    await turn();
    expect(rib.pendingDecisions).toBe(0);
    expect(sink.built).toBe(0);
    expect(sink.updates).toEqual([]);
    expect(kicks).toBe(1);
  });

  it('hands nothing to the kernel when no best route changed', async () => {
    const sink = new FakeSink();
    const loop = new DecisionLoop({ rib: new FakeDecider(0), kernel: () => sink, kick: () => undefined });
    loop.schedule();
    await turn();
    expect(sink.updates).toEqual([]);
  });
});

/** The decision loop's counts for metrics: runs (slices), prefixes decided, and each run's duration to the observer. */
import { expect, it } from 'vitest';
import { DECIDE_GROUP, DecisionLoop, type Decider } from '../../../src/daemon/decision-loop.js';
import type { BestChange } from '../../../src/rib/types.js';

class FakeDecider implements Decider {
  pendingDecisions: number;
  constructor(pending: number) {
    this.pendingDecisions = pending;
  }
  decide(limit: number): BestChange[] {
    const n = Math.min(limit, this.pendingDecisions);
    this.pendingDecisions -= n;
    // Each group takes a little time, so that a 1 ms slice ends after a few groups.
    const end = performance.now() + 0.3;
    while (performance.now() < end);
    return [];
  }
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

it('counts one run per slice and every prefix decided, and tells the observer how long each run took', async () => {
  const rib = new FakeDecider(40 * DECIDE_GROUP);
  const seen: { seconds: number; decided: number }[] = [];
  const loop = new DecisionLoop({ rib, kernel: () => undefined, kick: () => undefined, sliceMs: 1, observe: (seconds, decided) => void seen.push({ seconds, decided }) });
  expect(loop.stats()).toEqual({ runs: 0, decided: 0 });
  loop.schedule();
  while (loop.scheduled || rib.pendingDecisions > 0) await turn();
  const st = loop.stats();
  expect(st.decided).toBe(40 * DECIDE_GROUP);
  expect(st.runs).toBeGreaterThan(1);
  expect(seen).toHaveLength(st.runs);
  expect(seen.reduce((n, s) => n + s.decided, 0)).toBe(40 * DECIDE_GROUP);
  for (const s of seen) {
    expect(s.seconds).toBeGreaterThan(0);
    expect(s.seconds).toBeLessThan(1);
  }
  // A run with nothing pending still counts (it was scheduled and ran), deciding nothing.
  loop.schedule();
  await turn();
  expect(loop.stats()).toEqual({ runs: st.runs + 1, decided: 40 * DECIDE_GROUP });
});

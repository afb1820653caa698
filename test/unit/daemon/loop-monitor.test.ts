/** The event-loop monitor (daemon/loop-monitor.ts): lateness of each tick, stalls, recent stalls, the last tick. */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { RECENT_MS, STALL_MS, startLoopMonitor, TICK_MS } from '../../../src/daemon/loop-monitor.js';
import { silentLogger } from '../../../src/util/log.js';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

it('observes the lateness of each tick, counts stalls over STALL_MS, and remembers the recent ones for RECENT_MS', () => {
  let t = 0;
  const lags: number[] = [];
  const m = startLoopMonitor(silentLogger, { now: () => t, observe: (s) => void lags.push(s) });
  const tick = (lateMs: number): void => {
    t += TICK_MS + lateMs;
    vi.advanceTimersByTime(TICK_MS);
  };
  tick(0);
  tick(20);
  tick(STALL_MS + 200); // a stall of 700 ms
  expect(lags).toEqual([0, 0.02, 0.7]);
  let st = m.stats();
  expect(st).toMatchObject({ stalls: 1, maxStallMs: 700, lastTickAt: t });
  expect(st.recentStalls).toEqual([{ endedAt: t, ms: 700 }]);
  const stalledAt = t;
  // The clock moves on; the stall is forgotten by recentStalls after RECENT_MS, but still counted.
  t += RECENT_MS - 1;
  expect(m.stats().recentStalls).toEqual([{ endedAt: stalledAt, ms: 700 }]);
  t += 2;
  st = m.stats();
  expect(st.recentStalls).toEqual([]);
  expect(st).toMatchObject({ stalls: 1, maxStallMs: 700 });
  expect(st.lastTickAt).toBe(stalledAt); // no tick since (the fake timers did not run)
  m.stop();
});

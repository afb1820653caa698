/** src/daemon/shutdown.ts: the bound on a stop, on a ManualClock. */
import { describe, expect, it } from 'vitest';
import { SHUTDOWN_BOUND_MS, stopWithin } from '../../../src/daemon/shutdown.js';
import { ManualClock } from '../../../src/util/clock.js';

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('stopWithin', () => {
  it('is 10 s, below the systemd unit TimeoutStopSec (packaging test)', () => {
    expect(SHUTDOWN_BOUND_MS).toBe(10_000);
  });

  it('times out when the stop never ends (a peer that never closes)', async () => {
    const clock = new ManualClock();
    let outcome: string | undefined;
    void stopWithin(SHUTDOWN_BOUND_MS, clock, () => new Promise<void>(() => undefined)).then((o) => (outcome = o));
    clock.advance(SHUTDOWN_BOUND_MS - 1);
    await settle();
    expect(outcome).toBeUndefined();
    clock.advance(1);
    await settle();
    expect(outcome).toBe('timed-out');
  });

  it('resolves as soon as the stop ends, and leaves no timer behind', async () => {
    const clock = new ManualClock();
    let finish: () => void = () => undefined;
    const p = stopWithin(SHUTDOWN_BOUND_MS, clock, () => new Promise<void>((r) => (finish = r)));
    expect(clock.pending).toBe(1);
    finish();
    expect(await p).toBe('stopped');
    expect(clock.pending).toBe(0);
  });

  it('counts a failed or throwing stop as ended', async () => {
    const clock = new ManualClock();
    expect(await stopWithin(1000, clock, () => Promise.reject(new Error('boom')))).toBe('stopped');
    expect(
      await stopWithin(1000, clock, () => {
        throw new Error('sync boom');
      }),
    ).toBe('stopped');
    expect(clock.pending).toBe(0);
  });
});

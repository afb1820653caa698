/**
 * Polling, not sleeping: every wait in the netns layer asks "is it true yet?" at an interval and
 * gives up after a bound with an error that says what it was waiting for and what it last saw.
 */
import { inspect } from 'node:util';

export interface WaitOptions {
  /** Give up after this long. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Poll this often. Default 100 ms. */
  readonly intervalMs?: number;
  /** Words for the error: "timed out after X ms waiting for <what>". */
  readonly what: string;
}

/** What a check returns: a truthy value ends the wait and is returned. */
export type Check<T> = () => T | undefined | null | false | Promise<T | undefined | null | false>;

export class WaitTimeout extends Error {
  override readonly name = 'WaitTimeout';
  readonly lastValue: unknown;
  constructor(message: string, lastValue: unknown) {
    super(message);
    this.lastValue = lastValue;
  }
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const show = (v: unknown): string => (v instanceof Error ? `${v.name}: ${v.message}` : inspect(v, { depth: 4, breakLength: 160 }));

/**
 * Calls `check` until it returns something truthy and returns that. A check that throws counts as
 * "not yet" (its error becomes the last value), so `() => daemon.routes('ipv4').find(...)` works
 * while the daemon is still starting.
 */
export async function waitFor<T>(check: Check<T>, opts: WaitOptions): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last: unknown = undefined;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== null && v !== false) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      throw new WaitTimeout(`timed out after ${timeoutMs} ms waiting for ${opts.what}; last value: ${show(last)}`, last);
    }
    await delay(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

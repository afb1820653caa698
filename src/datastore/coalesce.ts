/**
 * Bursts of datastore changes become one reconfiguration: `poke()` on every change; `fire` runs
 * once the changes have been quiet for `quietMs`, or at the latest `maxDelayMs` after the first
 * change of the burst (a 500-node import is one reconfiguration, a steady trickle still gets
 * applied). Time is injected (util/clock.ts).
 */
import type { Clock } from '../util/clock.js';

export interface CoalescerOptions {
  readonly clock: Clock;
  readonly quietMs: number;
  readonly maxDelayMs: number;
  readonly fire: () => void;
}

export class Coalescer {
  readonly #o: CoalescerOptions;
  #firstAt: number | undefined;
  #cancel: (() => void) | undefined;

  constructor(o: CoalescerOptions) {
    this.#o = o;
  }

  get pending(): boolean {
    return this.#firstAt !== undefined;
  }

  poke(): void {
    const { clock, quietMs, maxDelayMs } = this.#o;
    const now = clock.now();
    this.#firstAt ??= now;
    this.#cancel?.();
    const wait = Math.max(0, Math.min(quietMs, this.#firstAt + maxDelayMs - now));
    this.#cancel = clock.after(wait, () => this.#run());
  }

  cancel(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    this.#firstAt = undefined;
  }

  #run(): void {
    this.#cancel = undefined;
    this.#firstAt = undefined;
    this.#o.fire();
  }
}

/**
 * Bursts of datastore changes become few reconfigurations: `poke(n)` on every batch of n changes;
 * `fire` runs once the changes have been quiet for `quietMs`, or at the latest `maxDelayMs` after
 * the first change of the batch (a steady trickle still gets applied). Time is injected
 * (util/clock.ts).
 *
 * Burst mode: a batch that starts within `burstWindowMs` of the previous fire, when that batch held
 * at least `burstChanges` changes (or was itself a burst batch), waits for `burstQuietMs` of quiet
 * instead: an import written as many separate puts, whose watch events come in clumps with gaps
 * longer than `quietMs` (etcd's commits, a loaded machine), is then one reconfiguration per
 * `maxDelayMs` while it lasts and one at its end, instead of one per clump; an isolated change (a
 * node joining) still waits only `quietMs`.
 */
import type { Clock } from '../util/clock.js';

export interface CoalescerOptions {
  readonly clock: Clock;
  readonly quietMs: number;
  readonly maxDelayMs: number;
  /** Quiet period of a batch in burst mode (default: quietMs, i.e. no burst mode). */
  readonly burstQuietMs?: number;
  /** How soon after a fire a new batch continues a burst (default 500 ms). */
  readonly burstWindowMs?: number;
  /** Changes in a batch that make the next one (within the window) a burst batch (default 10). */
  readonly burstChanges?: number;
  readonly fire: () => void;
}

export class Coalescer {
  readonly #o: CoalescerOptions;
  #firstAt: number | undefined;
  #count = 0;
  #burst = false;
  #last: { readonly at: number; readonly count: number; readonly burst: boolean } | undefined;
  #cancel: (() => void) | undefined;

  constructor(o: CoalescerOptions) {
    this.#o = o;
  }

  get pending(): boolean {
    return this.#firstAt !== undefined;
  }

  /** Whether the batch pending (or, when none is, the last one fired) is in burst mode. */
  get burst(): boolean {
    return this.#firstAt !== undefined ? this.#burst : (this.#last?.burst ?? false);
  }

  poke(changes = 1): void {
    const { clock, quietMs, maxDelayMs } = this.#o;
    const now = clock.now();
    if (this.#firstAt === undefined) {
      this.#firstAt = now;
      this.#count = 0;
      const last = this.#last;
      this.#burst = last !== undefined && now - last.at <= (this.#o.burstWindowMs ?? 500) && (last.burst || last.count >= (this.#o.burstChanges ?? 10));
    }
    this.#count += changes;
    this.#cancel?.();
    const quiet = this.#burst ? (this.#o.burstQuietMs ?? quietMs) : quietMs;
    const wait = Math.max(0, Math.min(quiet, this.#firstAt + maxDelayMs - now));
    this.#cancel = clock.after(wait, () => this.#run());
  }

  cancel(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    this.#firstAt = undefined;
  }

  #run(): void {
    this.#last = { at: this.#o.clock.now(), count: this.#count, burst: this.#burst };
    this.#cancel = undefined;
    this.#firstAt = undefined;
    this.#o.fire();
  }
}

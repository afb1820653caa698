/**
 * Bounded slices of synchronous work (docs/decisions/0005-bounded-route-work.md): long route work
 * (a decision run over a million prefixes, a kernel dump, a full reconcile) is cut into slices of
 * about SLICE_MS, and the event loop turns between them, so that KEEPALIVEs are sent, hold timers
 * are checked and sockets are read on time however much route work is queued.
 *
 * Slices are measured in wall time (performance.now), whatever clock the caller uses for its own
 * timers: what they protect is the event loop.
 */

/** The longest stretch of route work between two turns of the event loop, milliseconds. */
export const SLICE_MS = 10;

/** Resolves after the event loop has turned once (timers, I/O callbacks, then this). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Measures one slice: `spent` tells the caller to end it (`await slicer.pause()`). */
export class Slicer {
  readonly budgetMs: number;
  #start = performance.now();

  constructor(budgetMs = SLICE_MS) {
    this.budgetMs = budgetMs;
  }

  /** The current slice has used its budget. */
  get spent(): boolean {
    return performance.now() - this.#start >= this.budgetMs;
  }

  /** Lets the event loop turn, then starts a new slice. */
  async pause(): Promise<void> {
    await nextTurn();
    this.#start = performance.now();
  }

  /** Pauses only when the slice is spent (cheap to call often; a promise only when it pauses). */
  maybePause(): Promise<void> | undefined {
    return this.spent ? this.pause() : undefined;
  }
}

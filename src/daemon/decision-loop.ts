/**
 * The decision process, run in batches and slices (docs/decisions/0005-bounded-route-work.md):
 * inputs only `schedule()` it; it runs once per turn of the event loop (setImmediate), deciding
 * DECIDE_GROUP prefixes at a time until the slice's budget (util/slice.ts) is spent, building the
 * kernel routes of the best-route changes in the same slice, then hands them to the kernel
 * reconciler, kicks the peers with output, and schedules itself again while decisions are left.
 * So a million changed prefixes never hold KEEPALIVEs back.
 */
import type { DesiredChange, RouteBuildOptions } from '../kernel/fib-sync.js';
import type { BestChange } from '../rib/types.js';
import { Slicer } from '../util/slice.js';

/** Prefixes decided between two checks of the decision slice's budget. */
export const DECIDE_GROUP = 256;

/** The RIB's decision side (rib/rib.ts `Rib` is one). */
export interface Decider {
  decide(limit: number, report?: boolean): BestChange[];
  readonly pendingDecisions: number;
}

/** Best-route changes to kernel routes, and where they go (daemon/kernel-routes.ts, kernel/fib-sync.ts). */
export interface KernelSink {
  options(): RouteBuildOptions;
  changes(changes: readonly BestChange[], opts: RouteBuildOptions): DesiredChange[];
  update(changes: readonly DesiredChange[]): void;
}

export interface DecisionLoopOptions {
  readonly rib: Decider;
  /** Where best-route changes go now; undefined: nowhere (no kernel, or stopping: the kernel keeps its routes). */
  readonly kernel: () => KernelSink | undefined;
  /** After each slice: peers whose Adj-RIB-Out has output pull it. */
  readonly kick: () => void;
  /** For tests: the slice's budget in ms (util/slice.ts SLICE_MS by default). */
  readonly sliceMs?: number;
  /** After each run (one slice): how long it took, seconds, and the prefixes it decided (metrics). */
  readonly observe?: (seconds: number, decided: number) => void;
}

/** Decision runs since start (one run = one slice; a large batch takes several). */
export interface DecisionStats {
  readonly runs: number;
  /** Prefixes decided, over all runs. */
  readonly decided: number;
}

export class DecisionLoop {
  readonly #o: DecisionLoopOptions;
  #scheduled = false;
  #runs = 0;
  #decided = 0;

  constructor(o: DecisionLoopOptions) {
    this.#o = o;
  }

  stats(): DecisionStats {
    return { runs: this.#runs, decided: this.#decided };
  }

  /** A slice is due (settled() waits while one is). */
  get scheduled(): boolean {
    return this.#scheduled;
  }

  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#slice();
    });
  }

  #slice(): void {
    const { rib } = this.#o;
    const t0 = performance.now();
    const before = rib.pendingDecisions;
    const slicer = new Slicer(this.#o.sliceMs);
    const kernel = this.#o.kernel();
    const opts = kernel?.options();
    const desired: DesiredChange[] = [];
    do {
      const changes = rib.decide(DECIDE_GROUP, kernel !== undefined);
      // Built in the same slice: a route for the kernel costs more than a decision.
      if (kernel && opts && changes.length > 0) for (const d of kernel.changes(changes, opts)) desired.push(d);
    } while (rib.pendingDecisions > 0 && !slicer.spent);
    this.#o.kick();
    if (kernel && desired.length > 0) kernel.update(desired);
    const decided = Math.max(0, before - rib.pendingDecisions);
    this.#runs++;
    this.#decided += decided;
    this.#o.observe?.((performance.now() - t0) / 1000, decided);
    if (rib.pendingDecisions > 0) this.schedule();
  }
}

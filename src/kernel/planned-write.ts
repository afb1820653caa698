/**
 * `PlannedWrite`: one kernel write the reconciler planned (fib-sync.ts), handed to the port as it
 * is. It holds the key and the ids of its route shapes (route-shapes.ts), with a reference on each
 * until `release`; the routes are made only when the port reads them (`route`, `from`). So while a
 * write is in the kernel, what is kept of it is this small object: not a route object and its
 * prefix text per write, which lived long enough to be promoted by the scavenges that found them
 * (docs/benchmarks.md, "kernel and memory: step 7 of issue 14").
 */
import { invariant } from '../util/assert.js';
import type { FibState } from './fib-state.js';
import type { FibKey, KernelRoute, KernelWrite } from './port.js';

export class PlannedWrite {
  readonly op: KernelWrite['op'];
  readonly key: FibKey;
  /** The shape of the route written (add, change) or removed (remove). */
  readonly shape: number;
  /** A change: the shape of our route it replaces. -1 otherwise. */
  readonly fromShape: number;
  readonly #state: FibState;

  /** Takes over one reference on `shape` and one on `fromShape` (when not -1): `release` gives them back. */
  constructor(state: FibState, op: KernelWrite['op'], key: FibKey, shape: number, fromShape = -1) {
    // The message is built only when it fails (one write per route).
    if ((op === 'change') !== fromShape >= 0) invariant(false, `a ${op} write ${op === 'change' ? 'needs' : 'has no'} route to replace`);
    this.#state = state;
    this.op = op;
    this.key = key;
    this.shape = shape;
    this.fromShape = fromShape;
  }

  /** The route written (add, change) or removed (remove): a fresh object each time it is read. */
  get route(): KernelRoute {
    return this.#state.route(this.key, this.shape);
  }

  /** A change: our route it replaces (a fresh object each time it is read). */
  get from(): KernelRoute {
    if (this.fromShape < 0) invariant(false, `a ${this.op} write replaces no route`);
    return this.#state.route(this.key, this.fromShape);
  }

  /** The shape references given back (once, when the write has settled). */
  release(): void {
    this.#state.shapes.unref(this.shape);
    if (this.fromShape >= 0) this.#state.shapes.unref(this.fromShape);
  }
}

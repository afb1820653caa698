/**
 * `PlannedWrite`: one kernel write the reconciler planned (fib-sync.ts), handed to the port as it
 * is. It holds the key and the ids of its route shapes (route-shapes.ts), with a reference on each
 * from its making until `release`; the routes are made only when the port reads them (`route`,
 * `from`; the port reads them before its `write` settles, port.ts KernelWrite). So while a
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
  /** The key's entry in the state: pinned while the write is in the kernel, so the id stays the key's (fib-state.ts). */
  readonly entry: number;
  /** The shape of the route written (add, change) or removed (remove). */
  readonly shape: number;
  /** A change: the shape of our route it replaces. -1 otherwise. */
  readonly fromShape: number;
  readonly #state: FibState;
  #released = false;

  /** Takes a reference on `shape` and one on `fromShape` (when not -1), both live shapes: `release` gives them back. */
  constructor(state: FibState, op: KernelWrite['op'], key: FibKey, entry: number, shape: number, fromShape = -1) {
    // The message is built only when it fails (one write per route).
    if ((op === 'change') !== fromShape >= 0) invariant(false, `a ${op} write ${op === 'change' ? 'needs' : 'has no'} route to replace`);
    this.#state = state;
    this.op = op;
    this.key = key;
    this.entry = entry;
    this.shape = shape;
    this.fromShape = fromShape;
    state.shapes.ref(shape);
    if (fromShape >= 0) state.shapes.ref(fromShape);
  }

  /** The route written (add, change) or removed (remove): a fresh object each time it is read. */
  get route(): KernelRoute {
    // Shape ids are reused once freed: a read after release would give another route.
    if (this.#released) invariant(false, 'a settled write was read');
    return this.#state.route(this.key, this.shape);
  }

  /** A change: our route it replaces (a fresh object each time it is read). */
  get from(): KernelRoute {
    if (this.fromShape < 0 || this.#released) invariant(false, `a ${this.op} write ${this.#released ? 'was read after it settled' : 'replaces no route'}`);
    return this.#state.route(this.key, this.fromShape);
  }

  /** The shape references given back (the write has settled, or was never sent); a second call does nothing. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#state.shapes.unref(this.shape);
    if (this.fromShape >= 0) this.#state.shapes.unref(this.fromShape);
  }
}

/**
 * A stack of free ids (small non-negative integers) in an Int32Array: what LocRib, FibState and the
 * attribute store hand out again after a withdrawal. A JavaScript array of a million ids is a large
 * object in V8's old generation, and every step of its growth leaves the old one there as garbage
 * until the next full collection; a full withdrawal of a million routes grew the large-object space
 * by 100 MB without one (docs/benchmarks.md, "kernel and memory: step 8 of issue 14"). Here an id is 4 bytes,
 * capacity doubles, and the buffers are outside the heap.
 */
import { grownTyped } from './grown-slots.js';

const MIN_CAPACITY = 256;

export class IdStack {
  #ids = new Int32Array(MIN_CAPACITY);
  #len = 0;

  get length(): number {
    return this.#len;
  }

  push(id: number): void {
    if (this.#len === this.#ids.length) this.#ids = grownTyped(this.#ids, 0);
    this.#ids[this.#len++] = id;
  }

  /** The id pushed last, taken off; -1 when empty. */
  pop(): number {
    return this.#len === 0 ? -1 : (this.#ids[--this.#len] as number);
  }

  /**
   * Keeps only the ids below `top`, ordered so that the lowest is popped first (after a compact: the
   * ids stay dense), in an array cut to fit them.
   */
  keepBelow(top: number): void {
    const kept = this.#ids.subarray(0, this.#len).filter((id) => id < top);
    kept.sort();
    kept.reverse();
    let cap = MIN_CAPACITY;
    while (cap < kept.length) cap *= 2;
    this.#ids = new Int32Array(cap);
    this.#ids.set(kept);
    this.#len = kept.length;
  }

  clear(): void {
    this.#len = 0;
    if (this.#ids.length > MIN_CAPACITY) this.#ids = new Int32Array(MIN_CAPACITY);
  }

  /** Ids it has room for without growing (tests). */
  get capacity(): number {
    return this.#ids.length;
  }
}

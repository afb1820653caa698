/**
 * A first-in first-out queue of ids (small non-negative integers) in an Int32Array: the decision
 * queue of the Loc-RIB and the dirty queue of FibState. Outside V8's heap, so a queue of a million
 * ids leaves no large-object garbage as it grows (docs/benchmarks.md, "kernel and memory: step 8
 * of issue 14"). When the array is full it is moved down if the taken head is at least half of it,
 * else doubled: amortized O(1) per id (moving a queue whose head is short would copy it again every
 * few pushes). Emptied, a grown array is given back.
 */
const MIN_CAPACITY = 1024;
/** An emptied queue bigger than this goes back to MIN_CAPACITY. */
const KEEP_CAPACITY = 65536;

export class IdQueue {
  #ids = new Int32Array(MIN_CAPACITY);
  #head = 0;
  #tail = 0;

  get length(): number {
    return this.#tail - this.#head;
  }

  push(id: number): void {
    if (this.#tail === this.#ids.length) {
      const q = this.#ids;
      const n = this.#tail - this.#head;
      if (this.#head * 2 >= q.length) {
        q.copyWithin(0, this.#head, this.#tail);
      } else {
        const bigger = new Int32Array(q.length * 2);
        bigger.set(q.subarray(this.#head, this.#tail));
        this.#ids = bigger;
      }
      this.#head = 0;
      this.#tail = n;
    }
    this.#ids[this.#tail++] = id;
  }

  /** The oldest id, taken off; -1 when empty. */
  shift(): number {
    if (this.#head === this.#tail) return -1;
    const id = this.#ids[this.#head++] as number;
    if (this.#head === this.#tail) this.clear();
    return id;
  }

  clear(): void {
    this.#head = this.#tail = 0;
    if (this.#ids.length > KEEP_CAPACITY) this.#ids = new Int32Array(MIN_CAPACITY);
  }

  /** The ids in the queue, oldest first (tests). */
  toArray(): number[] {
    return Array.from(this.#ids.subarray(this.#head, this.#tail));
  }

  /** Ids it has room for (tests). */
  get capacity(): number {
    return this.#ids.length;
  }
}

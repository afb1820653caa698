/**
 * A memo of pure values by key that forgets everything once it holds `max` of them: for values a
 * table shares by the handful (next hops) but a peer could send without end. After a clear, values
 * are made again; callers compare them by value, never by identity.
 */
export class BoundedMemo<K, V> {
  readonly #values = new Map<K, V>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** The value kept for `key`, or the one `make` returns, kept from now on. */
  get(key: K, make: (key: K) => V): V {
    let v = this.#values.get(key);
    if (v === undefined) {
      if (this.#values.size >= this.#max) this.#values.clear();
      v = make(key);
      this.#values.set(key, v);
    }
    return v;
  }

  get size(): number {
    return this.#values.size;
  }
}

/**
 * Per export group: (family, route source, source attribute set) -> exported attribute set (or null =
 * not sent). The export rules depend on nothing else but the group's configuration and session, so
 * a million prefixes sharing a few attribute sets cost a few export computations. Cleared whenever
 * the group or a source changes; bounded (export-groups.ts clears it when it grows too large).
 *
 * Each memo generation has an `epoch` number, unique in the process: the one-entry cache kept on
 * each source attribute set (AttrSet.xEpoch, export-groups.ts) is valid only for the same epoch, so
 * clearing the memo also invalidates those. The memo holds one reference on every non-null result.
 */
import type { RouteSource } from './adj-rib-in.js';
import type { AttrSet, AttrsStore } from './attrs-store.js';

let lastEpoch = 0;

export class ExportMemo {
  readonly #store: AttrsStore;
  readonly #maps: readonly [Map<RouteSource, Map<AttrSet, AttrSet | null>>, Map<RouteSource, Map<AttrSet, AttrSet | null>>] = [
    new Map(),
    new Map(),
  ];
  #size = 0;
  #epoch = ++lastEpoch;

  constructor(store: AttrsStore) {
    this.#store = store;
  }

  /** This generation of the memo (changes on clear). */
  get epoch(): number {
    return this.#epoch;
  }

  /** undefined = not computed yet. `family`: 0 IPv4, 1 IPv6. */
  get(family: 0 | 1, src: RouteSource, attrs: AttrSet): AttrSet | null | undefined {
    return this.#maps[family].get(src)?.get(attrs);
  }

  /** Stores a result; the memo takes over the caller's reference on it. */
  set(family: 0 | 1, src: RouteSource, attrs: AttrSet, result: AttrSet | null): void {
    const bySource = this.#maps[family];
    let m = bySource.get(src);
    if (m === undefined) bySource.set(src, (m = new Map()));
    const old = m.get(attrs);
    if (old !== undefined) {
      if (old !== null) this.#store.release(old);
    } else {
      this.#size++;
    }
    m.set(attrs, result);
  }

  /** Forgets every result and starts a new epoch. */
  clear(): void {
    for (const bySource of this.#maps) {
      for (const m of bySource.values()) for (const v of m.values()) if (v !== null) this.#store.release(v);
      bySource.clear();
    }
    this.#size = 0;
    this.#epoch = ++lastEpoch;
  }

  get size(): number {
    return this.#size;
  }
}

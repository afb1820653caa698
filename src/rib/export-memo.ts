/**
 * Per target peer: (family, route source, source attribute set) -> exported attribute set (or null =
 * not sent). The export rules depend on nothing else but the target's configuration and session, so
 * a million prefixes sharing a few attribute sets cost a few export computations. Cleared whenever
 * the target or a source changes; bounded, since keys of released sets are never hit again.
 *
 * The memo holds one reference on every non-null result.
 */
import type { RouteSource } from './adj-rib-in.js';
import type { AttrSet, AttrsStore } from './attrs-store.js';
import { familyIndex } from './prefix.js';
import type { Family } from './types.js';

const MAX_ENTRIES = 100_000;

export class ExportMemo {
  readonly #store: AttrsStore;
  readonly #maps: readonly [Map<RouteSource, Map<AttrSet, AttrSet | null>>, Map<RouteSource, Map<AttrSet, AttrSet | null>>] = [
    new Map(),
    new Map(),
  ];
  #size = 0;

  constructor(store: AttrsStore) {
    this.#store = store;
  }

  /** undefined = not computed yet. */
  get(family: Family, src: RouteSource, attrs: AttrSet): AttrSet | null | undefined {
    return this.#maps[familyIndex(family)].get(src)?.get(attrs);
  }

  /** Stores a result; the memo takes over the caller's reference on it. */
  set(family: Family, src: RouteSource, attrs: AttrSet, result: AttrSet | null): void {
    if (this.#size >= MAX_ENTRIES) this.clear();
    const bySource = this.#maps[familyIndex(family)];
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

  clear(): void {
    for (const bySource of this.#maps) {
      for (const m of bySource.values()) for (const v of m.values()) if (v !== null) this.#store.release(v);
      bySource.clear();
    }
    this.#size = 0;
  }

  get size(): number {
    return this.#size;
  }
}

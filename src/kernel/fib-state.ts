/**
 * `FibState`: what the reconciler (fib-sync.ts) wants at each kernel key and what the kernel holds
 * there of ours, in columns (docs/decisions/0014-fib-state-columns.md). One entry per key that has
 * either: the key, the shape id of the desired route and of the installed one (route-shapes.ts; -1
 * for none) and the listing it was last seen in. A numeric key (decision 0012: nearly every IPv4
 * key) is found through an open-addressing table of entry ids (linear probing, backward-shift
 * deletion); a text key (IPv6, large tables or metrics) through a Map. No object, array or string
 * per route: about 30 bytes per key against about 200 for two Maps of route objects.
 *
 * Entry ids stay where they are while the table grows, so the reconciler can walk the entries
 * across turns of the event loop (`keys`, `unlisted`) while routes come and go; `compact` renumbers
 * them and is called only between batches. A route is handed out as a fresh KernelRoute object
 * (`want`, `have`): the prefix is the key's, the rest the shape's. A key whose write is in the
 * kernel is pinned (`pin`, `unpin`): a mark per entry instead of a Set of keys per chunk of writes.
 */
import { invariant } from '../util/assert.js';
import { IdQueue } from '../util/id-queue.js';
import { IdStack } from '../util/id-stack.js';
import { fibKeyPrefix, type FibKey, type KernelRoute } from './port.js';
import { RouteShapes, type RouteShape } from './route-shapes.js';

const MIN_ENTRIES = 1024;
/** Below this many entries of capacity the columns are not cut. */
const COMPACT_MIN = 65536;

/** Home slot of a numeric key (below 2^53) in an index of mask + 1 slots. */
function home(k: number, mask: number): number {
  let h = (k >>> 0) ^ Math.imul((k / 4294967296) >>> 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & mask;
}

export class FibState {
  readonly shapes = new RouteShapes();
  // ---- columns by entry id
  #key = new Float64Array(MIN_ENTRIES);
  #want = new Int32Array(MIN_ENTRIES).fill(-1);
  #have = new Int32Array(MIN_ENTRIES).fill(-1);
  #listed = new Int32Array(MIN_ENTRIES);
  /** 1: queued for the reconciler's next batch (#queue). */
  #dirty = new Uint8Array(MIN_ENTRIES);
  /** 1: a write of this key is in the kernel (pin); the entry is kept while it is, even holding nothing. */
  #flying = new Uint8Array(MIN_ENTRIES);
  #pinned = 0;
  /** Entry ids marked dirty, in order (an id whose mark was cleared meanwhile is skipped when taken). */
  readonly #queue = new IdQueue();
  #dirtyCount = 0;
  /** Text keys by entry (a numeric key's entry has none). */
  readonly #textOf = new Map<number, string>();
  /** One past the highest entry id ever handed out since the last compact. */
  #top = 0;
  readonly #free = new IdStack();
  #live = 0;
  // ---- lookup: numeric keys by open addressing (entry id + 1; 0 empty), text keys by Map
  #index = new Int32Array(2 * MIN_ENTRIES);
  #mask = 2 * MIN_ENTRIES - 1;
  #numeric = 0;
  readonly #byText = new Map<string, number>();
  #wanted = 0;
  #installed = 0;
  #listing = 0;

  /** Keys with a desired route. */
  get desiredSize(): number {
    return this.#wanted;
  }

  /** Keys with a route of ours installed. */
  get installedSize(): number {
    return this.#installed;
  }

  /** Keys marked dirty and not taken yet. */
  get dirtyCount(): number {
    return this.#dirtyCount;
  }

  /**
   * Queues a key for the reconciler's next batch (once, however often it is marked). False when the
   * key has no entry (nothing desired or installed there): nothing to queue here.
   */
  markDirty(k: FibKey): boolean {
    return this.markDirtyAt(this.find(k));
  }

  /** markDirty by entry id (setWant's answer); false for -1. */
  markDirtyAt(e: number): boolean {
    if (e < 0) return false;
    if (this.#dirty[e] === 1) return true;
    this.#dirty[e] = 1;
    this.#dirtyCount++;
    this.#queue.push(e);
    return true;
  }

  /** The next dirty key, its mark cleared (undefined: none left). Keys marked meanwhile come too. */
  takeDirty(): FibKey | undefined {
    for (let e = this.#queue.shift(); e >= 0; e = this.#queue.shift()) {
      if (this.#dirty[e] !== 1) continue;
      this.#dirty[e] = 0;
      this.#uncount();
      return this.#keyAt(e);
    }
    return undefined;
  }

  /**
   * One dirty mark fewer. Every marked entry is queued, so with none left whatever the queue still
   * holds is stale (entries released or taken meanwhile): it is emptied, not left to grow with a key
   * that flaps between batches, nor to hold compact() back.
   */
  #uncount(): void {
    if (--this.#dirtyCount === 0) this.#queue.clear();
  }

  /** No key dirty any more. */
  clearDirty(): void {
    for (let e = this.#queue.shift(); e >= 0; e = this.#queue.shift()) this.#dirty[e] = 0;
    this.#dirtyCount = 0;
  }

  /** Entries (keys with a desired or an installed route, or pinned by a write in the kernel). */
  get size(): number {
    return this.#live;
  }

  /** The entry id of a key, or -1. */
  find(k: FibKey): number {
    if (typeof k === 'string') return this.#byText.get(k) ?? -1;
    const index = this.#index;
    const mask = this.#mask;
    const keys = this.#key;
    for (let i = home(k, mask); ; i = (i + 1) & mask) {
      const e = (index[i] as number) - 1;
      if (e < 0) return -1;
      if (keys[e] === k) return e;
    }
  }

  /**
   * Marks a key's write as in the kernel (the key must have an entry). Until `unpin`, the entry is
   * kept even when its routes are cleared meanwhile (a withdrawal while the add is in flight), so
   * the mark cannot be lost or passed to another key with the entry id.
   */
  pin(e: number): void {
    if (this.#flying[e] === 1) return;
    this.#flying[e] = 1;
    this.#pinned++;
  }

  /**
   * The write of a key settled: the mark cleared, the entry released when it holds nothing. True
   * when the entry so released was marked dirty (its mark goes with it: the caller queues the key
   * elsewhere if its bookkeeping still needs a turn).
   */
  unpin(k: FibKey): boolean {
    return this.unpinAt(this.find(k));
  }

  /** unpin by entry id (the id a pinned key keeps until it is unpinned). */
  unpinAt(e: number): boolean {
    if (e < 0 || this.#flying[e] !== 1) return false;
    this.#flying[e] = 0;
    this.#pinned--;
    if ((this.#want[e] as number) >= 0 || (this.#have[e] as number) >= 0) return false;
    const wasDirty = this.#dirty[e] === 1;
    this.#release(e);
    return wasDirty;
  }

  /** A write of the entry's key is in the kernel. */
  flyingAt(e: number): boolean {
    return e >= 0 && this.#flying[e] === 1;
  }

  /** Keys whose write is in the kernel. */
  get pinned(): number {
    return this.#pinned;
  }

  /** Shape id of the desired route at an entry (-1: none). */
  wantAt(e: number): number {
    return e < 0 ? -1 : (this.#want[e] as number);
  }

  /** Shape id of the installed route at an entry (-1: none). */
  haveAt(e: number): number {
    return e < 0 ? -1 : (this.#have[e] as number);
  }

  hasWant(k: FibKey): boolean {
    return this.wantAt(this.find(k)) >= 0;
  }

  /** The desired route at a key, as a fresh object. */
  want(k: FibKey): KernelRoute | undefined {
    const s = this.wantAt(this.find(k));
    return s < 0 ? undefined : this.route(k, s);
  }

  /** The installed route at a key, as a fresh object. */
  have(k: FibKey): KernelRoute | undefined {
    const s = this.haveAt(this.find(k));
    return s < 0 ? undefined : this.route(k, s);
  }

  shape(id: number): RouteShape {
    return this.shapes.get(id);
  }

  /** The route of a key with this shape. */
  route(k: FibKey, shapeId: number): KernelRoute {
    const s = this.shapes.get(shapeId);
    return { prefix: fibKeyPrefix(k), table: s.table, protocol: s.protocol, metric: s.metric, type: s.type, nextHops: s.nextHops };
  }

  /**
   * Sets (or, with null, clears) the desired route; `r` must be at key `k`. Returns the key's entry
   * id afterwards, -1 when it has none or holds nothing (nothing desired or installed there; an
   * entry kept only by a pin is settled by its write): for markDirtyAt.
   */
  setWant(k: FibKey, r: KernelRoute | null): number {
    if (r === null) {
      const e = this.find(k);
      if (e < 0) return -1;
      this.#setWantAt(e, -1);
      return (this.#have[e] as number) < 0 ? -1 : e; // released when nothing is installed either (or kept for its write in flight, which settles it)
    }
    const id = this.shapes.intern(r);
    const e = this.#entry(k);
    this.#setWantAt(e, id);
    this.shapes.unref(id); // #setWantAt took its own reference
    return e;
  }

  /** Sets (or, with null, clears) the installed route; `r` must be at key `k`. */
  setHave(k: FibKey, r: KernelRoute | null): void {
    if (r === null) {
      const e = this.find(k);
      if (e >= 0) this.#setHaveAt(e, -1);
      return;
    }
    const id = this.shapes.intern(r);
    this.#setHaveAt(this.#entry(k), id);
    this.shapes.unref(id);
  }

  /** The installed route at `k` is the one of this (live) shape: what the kernel listed, that is what we want there (a settled write uses setHaveAt). */
  setHaveShape(k: FibKey, shapeId: number): void {
    this.#setHaveAt(this.#entry(k), shapeId);
  }

  /**
   * setHaveShape (a shape id) or a clear (-1) at an entry that exists and stays: a pinned one (its
   * write settling), found without a lookup.
   */
  setHaveAt(e: number, shapeId: number): void {
    if (this.#flying[e] !== 1) invariant(false, `entry ${e} is not pinned`);
    this.#setHaveAt(e, shapeId);
  }

  /** No desired route anywhere. */
  clearWant(): void {
    for (let e = 0; e < this.#top; e++) if ((this.#want[e] as number) >= 0) this.#setWantAt(e, -1);
  }

  /**
   * Every key with a desired or an installed route, by entry. Entries added while the walk waits
   * may or may not come; a key may come twice only if it was removed and added again meanwhile.
   * Yields null every 4,096 entries so that the caller may end a slice.
   */
  *keys(): Generator<FibKey | null> {
    for (let e = 0; e < this.#top; e++) {
      if ((e & 4095) === 4095) yield null;
      if ((this.#want[e] as number) < 0 && (this.#have[e] as number) < 0) continue;
      yield this.#keyAt(e);
    }
  }

  /** Keys with an installed route and no desired one. */
  *installedOnly(): Generator<FibKey> {
    for (let e = 0; e < this.#top; e++) if ((this.#have[e] as number) >= 0 && (this.#want[e] as number) < 0) yield this.#keyAt(e);
  }

  /** Starts a listing of the kernel: `listed` marks each key it holds, then `unlisted` gives what it did not. */
  beginListing(): number {
    return ++this.#listing;
  }

  /** The kernel listed a route of ours at `k` in listing `n` (set its installed route first). */
  listed(k: FibKey, n: number): void {
    const e = this.find(k);
    if (e >= 0) this.#listed[e] = n;
  }

  /** Keys with an installed route that listing `n` did not list; yields null every 4,096 entries. */
  *unlisted(n: number): Generator<FibKey | null> {
    for (let e = 0; e < this.#top; e++) {
      if ((e & 4095) === 4095) yield null;
      if ((this.#have[e] as number) >= 0 && this.#listed[e] !== n) yield this.#keyAt(e);
    }
  }

  /**
   * Gives memory back after most keys went (a large withdrawal): entries renumbered densely, the
   * columns and the index cut to fit. Call only when no walk (`keys`, `unlisted`) is under way.
   */
  compact(): void {
    const cap = this.#key.length;
    // Queued or pinned entry ids would be renumbered under the queue or a write: not while any is.
    if (cap <= COMPACT_MIN || this.#live * 4 > cap || this.#queue.length > 0 || this.#pinned > 0) return;
    const size = Math.max(MIN_ENTRIES, 1 << Math.ceil(Math.log2(Math.max(1, this.#live * 2))));
    const key = new Float64Array(size);
    const want = new Int32Array(size).fill(-1);
    const have = new Int32Array(size).fill(-1);
    const listed = new Int32Array(size);
    const textOf = new Map<number, string>();
    let n = 0;
    for (let e = 0; e < this.#top; e++) {
      if ((this.#want[e] as number) < 0 && (this.#have[e] as number) < 0) continue;
      key[n] = this.#key[e] as number;
      want[n] = this.#want[e] as number;
      have[n] = this.#have[e] as number;
      listed[n] = this.#listed[e] as number;
      const t = this.#textOf.get(e);
      if (t !== undefined) textOf.set(n, t);
      n++;
    }
    this.#key = key;
    this.#want = want;
    this.#have = have;
    this.#listed = listed;
    this.#dirty = new Uint8Array(size);
    this.#flying = new Uint8Array(size);
    this.#textOf.clear();
    this.#byText.clear();
    for (const [e, t] of textOf) {
      this.#textOf.set(e, t);
      this.#byText.set(t, e);
    }
    this.#top = n;
    this.#free.clear();
    this.#index = new Int32Array(2 * size);
    this.#mask = 2 * size - 1;
    for (let e = 0; e < n; e++) if (!Number.isNaN(key[e])) this.#place(e);
  }

  #keyAt(e: number): FibKey {
    return this.#textOf.get(e) ?? (this.#key[e] as number);
  }

  #setWantAt(e: number, id: number): void {
    this.#wanted += this.#setAt(this.#want, this.#have, e, id);
  }

  #setHaveAt(e: number, id: number): void {
    this.#installed += this.#setAt(this.#have, this.#want, e, id);
  }

  /**
   * Sets entry e of column `col` (#want or #have) to shape `id` (-1: none), moving the shape
   * references; releases the entry when neither column holds anything then (unless pinned). Returns the change in
   * the number of entries holding a shape in `col`.
   */
  #setAt(col: Int32Array, other: Int32Array, e: number, id: number): number {
    const old = col[e] as number;
    if (old === id) return 0;
    if (id >= 0) this.shapes.ref(id);
    col[e] = id;
    if (old >= 0) this.shapes.unref(old);
    if (id < 0 && (other[e] as number) < 0 && this.#flying[e] === 0) this.#release(e);
    return (id >= 0 ? 1 : 0) - (old >= 0 ? 1 : 0);
  }

  /** The entry of a key, made when missing. */
  #entry(k: FibKey): number {
    const found = this.find(k);
    if (found >= 0) return found;
    let e = this.#free.pop();
    if (e < 0) {
      e = this.#top++;
      if (e >= this.#key.length) this.#grow();
    }
    this.#live++;
    this.#listed[e] = 0;
    if (typeof k === 'string') {
      this.#key[e] = NaN;
      this.#textOf.set(e, k);
      this.#byText.set(k, e);
      return e;
    }
    this.#key[e] = k;
    if (++this.#numeric * 2 > this.#mask + 1) this.#rehash(2 * (this.#mask + 1));
    this.#place(e);
    return e;
  }

  /** Frees an entry that holds nothing. */
  #release(e: number): void {
    this.#live--;
    if (this.#dirty[e] === 1) {
      this.#dirty[e] = 0;
      this.#uncount();
    }
    this.#free.push(e);
    const t = this.#textOf.get(e);
    if (t !== undefined) {
      this.#textOf.delete(e);
      this.#byText.delete(t);
      return;
    }
    this.#numeric--;
    this.#unplace(e);
  }

  #grow(): void {
    const size = this.#key.length * 2;
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.#key = grow(this.#key, new Float64Array(size));
    this.#want = grow(this.#want, new Int32Array(size).fill(-1));
    this.#have = grow(this.#have, new Int32Array(size).fill(-1));
    this.#listed = grow(this.#listed, new Int32Array(size));
    this.#dirty = grow(this.#dirty, new Uint8Array(size));
    this.#flying = grow(this.#flying, new Uint8Array(size));
  }

  /** A larger index; every entry holding something, or pinned, is placed again (one being made is placed by the caller). */
  #rehash(slots: number): void {
    this.#index = new Int32Array(slots);
    this.#mask = slots - 1;
    for (let e = 0; e < this.#top; e++) {
      if ((this.#want[e] as number) < 0 && (this.#have[e] as number) < 0 && this.#flying[e] === 0) continue; // a free entry
      if (!Number.isNaN(this.#key[e])) this.#place(e); // NaN: a text key's entry
    }
  }

  #place(e: number): void {
    const index = this.#index;
    const mask = this.#mask;
    let i = home(this.#key[e] as number, mask);
    while (index[i] !== 0) i = (i + 1) & mask;
    index[i] = e + 1;
  }

  /** Backward-shift deletion of an entry's slot. */
  #unplace(e: number): void {
    const index = this.#index;
    const mask = this.#mask;
    let i = home(this.#key[e] as number, mask);
    while (index[i] !== e + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const h = home(this.#key[(index[j] as number) - 1] as number, mask);
      // The entry at j may move to i when its home is not in the cyclic range (i, j].
      if (i <= j ? h <= i || h > j : h <= i && h > j) {
        index[i] = index[j] as number;
        i = j;
      }
    }
    index[i] = 0;
  }
}

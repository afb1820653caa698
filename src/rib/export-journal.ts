/**
 * The export journal: destinations whose best route (or what its export depends on) changed, in
 * the order of the decision runs that changed them, shared by every peer. Each Adj-RIB-Out keeps a
 * cursor into it and computes, when it is pulled, what the peer should now have for each
 * destination it passes (adj-rib-out.ts). A decision run therefore costs one append per changed
 * prefix whatever the number of peers (a reflector with a thousand clients does not enqueue a
 * million entries), and "latest wins" comes free: a destination is in the journal once, at its
 * latest change (the older entry is cleared), and is read in its current state.
 *
 * Entries are destination ids in an Int32Array (-1 = cleared); each destination knows the index of
 * its entry (LocRib journalSlot). Positions given to readers are absolute: they keep counting as the
 * consumed head is trimmed.
 */
import type { DestId, LocRib } from './loc-rib.js';

/** Trim the consumed head only when it is at least this long (amortizes the copy). */
const MIN_TRIM = 4096;

export class ExportJournal {
  readonly #loc: LocRib;
  #items = new Int32Array(1024);
  #len = 0;
  /** Absolute position of #items[0]. */
  #base = 0;

  constructor(loc: LocRib) {
    this.#loc = loc;
  }

  /** The position after the last entry (a new reader starts here). */
  get end(): number {
    return this.#base + this.#len;
  }

  /** Entries not yet trimmed (tests, stats). */
  get length(): number {
    return this.#len;
  }

  /** Appends a destination at the end, clearing its older entry if it is still there. */
  append(id: DestId): void {
    this.remove(id);
    if (this.#len === this.#items.length) {
      const bigger = new Int32Array(this.#items.length * 2);
      bigger.set(this.#items);
      this.#items = bigger;
    }
    this.#items[this.#len] = id;
    this.#loc.setJournalSlot(id, this.#len);
    this.#len++;
  }

  /** Clears a destination's entry (it is dropped, or appended again). */
  remove(id: DestId): void {
    const slot = this.#loc.journalSlot(id);
    if (slot < 0) return;
    this.#items[slot] = -1;
    this.#loc.setJournalSlot(id, -1);
  }

  /** The destination at an absolute position, or -1 (cleared, or out of range). */
  at(pos: number): DestId {
    const i = pos - this.#base;
    return i >= 0 && i < this.#len ? (this.#items[i] as number) : -1;
  }

  /** Forgets the entries before absolute position `pos` (every reader is past them). */
  trim(pos: number): void {
    const n = Math.min(pos - this.#base, this.#len);
    if (n <= 0 || (n < this.#len && n < MIN_TRIM)) return;
    const items = this.#items;
    const loc = this.#loc;
    for (let i = 0; i < n; i++) {
      const id = items[i] as number;
      if (id >= 0) loc.setJournalSlot(id, -1);
    }
    items.copyWithin(0, n, this.#len);
    this.#len -= n;
    this.#base += n;
    for (let i = 0; i < this.#len; i++) {
      const id = items[i] as number;
      if (id >= 0) loc.setJournalSlot(id, i);
    }
  }

  /** Gives back capacity after a large withdrawal: an array at most a quarter used (and 64 Ki entries long) is cut to twice its entries. */
  shrink(): void {
    const cap = this.#items.length;
    if (cap < 65536 || this.#len * 4 > cap) return;
    this.#items = this.#items.slice(0, Math.max(1024, 2 * this.#len));
  }

  /** Entries the array has room for (tests). */
  get capacity(): number {
    return this.#items.length;
  }
}

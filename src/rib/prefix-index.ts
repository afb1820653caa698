/**
 * Prefix -> destination id, for the Loc-RIB's one lookup per UPDATE entry. A prefix comes as text
 * or, for IPv4 as the session decoder hands it over, as a number (codec NlriEntry: address * 64 +
 * length). IPv4 prefixes (nearly all of a full table) are taken to (address, length) as two int32
 * (a number by arithmetic, a text by a parse: no allocation, no hashing of text) and kept in an
 * open-addressing table of Int32 pairs [address, id << 6 | length + 1] (linear probing,
 * backward-shift deletion): no per-entry object,
 * about 16 bytes per prefix, and a probe never leaves the table. A lookup that misses remembers
 * where the prefix would go, so the `add` that usually follows neither parses nor probes again.
 * Anything else (IPv6, text that is not a canonical IPv4 prefix, an id too large to pack) goes to an
 * ordinary Map by text.
 */
import { nlriText } from '../codec/nlri.js';
import type { NlriEntry } from '../codec/types.js';

const MIN_SLOTS = 1024;
const LEN_BITS = 6;
const LEN_MASK = (1 << LEN_BITS) - 1;
/** Ids below this pack into 31 bits with the length. */
const MAX_PACKED_ID = 1 << (31 - LEN_BITS);

/** Home slot of an IPv4 (address, length) in a table of mask + 1 slots (a power of two). */
function home(addr: number, len: number, mask: number): number {
  let h = Math.imul(addr ^ Math.imul(len, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 13;
  return h & mask;
}

export class PrefixIndex {
  /** Two Int32 per slot: address (as int32), id << 6 | (length + 1); second = 0 means empty. */
  #slots = new Int32Array(2 * MIN_SLOTS);
  #mask = MIN_SLOTS - 1;
  #used = 0;
  readonly #other = new Map<string, number>();
  /** IPv4 entries in #other (ids too large to pack): only then must a miss look there too. */
  #v4InOther = 0;
  // The last parse (#parse) and, after a miss, the empty slot that ended the probe.
  #addr = 0;
  #len = 0;
  #lastKey: NlriEntry | null = null;
  #lastFree = -1;

  get size(): number {
    return this.#used + this.#other.size;
  }

  /** The id stored for this prefix, or -1. */
  get(prefix: NlriEntry): number {
    this.#lastKey = null;
    if (!this.#load(prefix)) return this.#other.get(prefix as string) ?? -1;
    const addr = this.#addr;
    const tagLen = this.#len + 1;
    const slots = this.#slots;
    const mask = this.#mask;
    let i = home(addr, this.#len, mask);
    for (; ; i = (i + 1) & mask) {
      const tag = slots[2 * i + 1] as number;
      if (tag === 0) break;
      if ((tag & LEN_MASK) === tagLen && slots[2 * i] === addr) return tag >>> LEN_BITS;
    }
    if (this.#v4InOther > 0) {
      const id = this.#other.get(nlriText(prefix));
      if (id !== undefined) return id;
    }
    this.#lastKey = prefix;
    this.#lastFree = i;
    return -1;
  }

  /**
   * Adds an entry; the prefix must not be present. Returns true when it is kept by number: it can
   * then be deleted with deleteKey(lastAddr, lastLen) without parsing the text again.
   */
  add(prefix: NlriEntry, id: number): boolean {
    const reuse = prefix === this.#lastKey;
    this.#lastKey = null;
    if (!reuse && !this.#load(prefix)) {
      this.#other.set(prefix as string, id);
      return false;
    }
    if (id >= MAX_PACKED_ID) {
      this.#v4InOther++;
      this.#other.set(nlriText(prefix), id);
      return false;
    }
    const tag = (id << LEN_BITS) | (this.#len + 1);
    if ((this.#used + 1) * 4 > (this.#mask + 1) * 3) {
      this.#grow();
      this.#insert(this.#addr, tag);
    } else if (reuse) {
      this.#slots[2 * this.#lastFree] = this.#addr;
      this.#slots[2 * this.#lastFree + 1] = tag;
    } else {
      this.#insert(this.#addr, tag);
    }
    this.#used++;
    return true;
  }

  /** The IPv4 address (as int32) and length of the last prefix parsed (valid right after add returned true). */
  get lastAddr(): number {
    return this.#addr;
  }
  get lastLen(): number {
    return this.#len;
  }

  /** Removes an entry. */
  delete(prefix: NlriEntry): void {
    this.#lastKey = null;
    if (!this.#load(prefix)) {
      this.#other.delete(prefix as string);
      return;
    }
    if (!this.deleteKey(this.#addr, this.#len) && this.#v4InOther > 0 && this.#other.delete(nlriText(prefix))) this.#v4InOther--;
  }

  /** Removes an entry kept by number (see add); false when there is none. */
  deleteKey(addr: number, len: number): boolean {
    this.#lastKey = null;
    const tagLen = len + 1;
    const slots = this.#slots;
    const mask = this.#mask;
    let i = home(addr, len, mask);
    for (; ; i = (i + 1) & mask) {
      const tag = slots[2 * i + 1] as number;
      if (tag === 0) return false;
      if ((tag & LEN_MASK) === tagLen && slots[2 * i] === addr) break;
    }
    // Backward-shift deletion: move later entries of the probe run into the hole when their home
    // slot allows it, so lookups never need tombstones.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const tag = slots[2 * j + 1] as number;
      if (tag === 0) break;
      const a = slots[2 * j] as number;
      const h = home(a, (tag & LEN_MASK) - 1, mask);
      const movable = i <= j ? h <= i || h > j : h <= i && h > j;
      if (!movable) continue;
      slots[2 * i] = a;
      slots[2 * i + 1] = tag;
      i = j;
    }
    slots[2 * i] = 0;
    slots[2 * i + 1] = 0;
    this.#used--;
    return true;
  }

  /** An IPv4 prefix into #addr (int32) and #len: a number by arithmetic, a text by #parse. False for anything else. */
  #load(prefix: NlriEntry): boolean {
    if (typeof prefix === 'string') return this.#parse(prefix);
    const len = prefix % 64;
    this.#addr = ((prefix - len) / 64) | 0;
    this.#len = len;
    return true;
  }

  /**
   * Canonical "a.b.c.d/len" (no leading zeros, len <= 32) into #addr (int32) and #len. False for
   * anything else, which is then keyed by its text.
   */
  #parse(s: string): boolean {
    let addr = 0;
    let part = 0;
    let digits = 0;
    let dots = 0;
    const n = s.length;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        if (digits > 0 && part === 0) return false; // leading zero
        part = part * 10 + (c - 48);
        if (part > 255) return false;
        digits++;
      } else if (c === 46 && digits > 0 && dots < 3) {
        addr = (addr << 8) | part;
        part = 0;
        digits = 0;
        dots++;
      } else break;
    }
    if (i >= n || s.charCodeAt(i) !== 47 || dots !== 3 || digits === 0) return false;
    addr = (addr << 8) | part;
    let len = 0;
    let lenDigits = 0;
    for (i++; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57 || (lenDigits > 0 && len === 0)) return false;
      len = len * 10 + (c - 48);
      lenDigits++;
    }
    if (lenDigits === 0 || len > 32) return false;
    this.#addr = addr;
    this.#len = len;
    return true;
  }

  #insert(addr: number, tag: number): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let i = home(addr, (tag & LEN_MASK) - 1, mask);
    while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
    slots[2 * i] = addr;
    slots[2 * i + 1] = tag;
  }

  #grow(): void {
    this.#rehash(this.#slots.length); // slots * 2 of the old table = slot count of the new one
  }

  /**
   * After many deletions (a large withdrawal): a table under an eighth full is rebuilt at the
   * smallest size that keeps it at most half full (never below MIN_SLOTS). True when it shrank.
   */
  shrink(): boolean {
    const slotCount = this.#mask + 1;
    if (slotCount <= MIN_SLOTS || this.#used * 8 >= slotCount) return false;
    let n = MIN_SLOTS;
    while (n < this.#used * 2) n *= 2;
    if (n >= slotCount) return false;
    this.#lastKey = null;
    this.#rehash(n);
    return true;
  }

  /** Slots in the table (tests: it shrinks). */
  get capacity(): number {
    return this.#mask + 1;
  }

  #rehash(slotCount: number): void {
    const old = this.#slots;
    this.#slots = new Int32Array(2 * slotCount);
    this.#mask = slotCount - 1;
    for (let i = 0; i < old.length; i += 2) {
      const tag = old[i + 1] as number;
      if (tag !== 0) this.#insert(old[i] as number, tag);
    }
  }
}

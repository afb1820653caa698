/**
 * Loc-RIB: one destination per prefix, found by one lookup of the prefix text (prefix-index.ts:
 * numeric for IPv4), and named by a small integer id from then on. Every per-prefix fact is a
 * column indexed by that id: the routes of every source (Adj-RIB-In, accepted or refused), the
 * selected best, the forwarding facts last reported, a few flags, its place in the export journal,
 * and how many peers' Adj-RIB-Outs hold it (each of those indexes what it advertised by the same
 * id, adj-rib-out.ts). Columns instead of an object per prefix: a million prefixes are a few arrays
 * for the garbage collector, not a million more objects.
 *
 * Changes only mark destinations dirty (a flag and a list); the decision runs once per batch over
 * them (rib.ts decide()). A destination is dropped when nothing refers to it any more (`idle`: no
 * route, no best, nothing installed, advertised to nobody, not dirty); its id is then reused.
 */
import type { Route, RouteSource } from './adj-rib-in.js';
import { nlriText } from '../codec/nlri.js';
import type { NlriEntry } from '../codec/types.js';
import { PrefixIndex } from './prefix-index.js';
import { grownSlots, grownTyped } from '../util/grown-slots.js';
import { IdQueue } from '../util/id-queue.js';
import { IdStack } from '../util/id-stack.js';
import { formatIPv4, prefixLength } from '../util/inet.js';
import type { BestForwarding, Family } from './types.js';

/** A destination, by id. */
export type DestId = number;

const FAMILY_BIT = 0x1;
/** Queued for the next decision run. */
const DIRTY = 0x2;
/** What its export depends on changed: journal it at the next decision even if the best is the same route. */
const EXPORT = 0x4;
/** Kept in the prefix index by number: #addr and the length below are its key. */
const NUMERIC = 0x8;
const WIRE_SHIFT = 4;
const WIRE_MASK = 0x1f;
const LEN_SHIFT = 9;

/** The #prefix column's mark for a prefix kept by number (no valid prefix text is empty). */
const KEPT_BY_NUMBER = '';

/** RFC 4271 4.3: an NLRI entry is a length octet plus the prefix bytes. */
const wireBytesOf = (len: number): number => 1 + ((len + 7) >>> 3);

/** Room in every column at the start (and at least after a compact). */
const INITIAL_IDS = 1024;

/** Below this many ids the columns are never cut (compact): not worth a copy. */
export const COMPACT_MIN_IDS = 65536;

export class LocRib {
  readonly #index = new PrefixIndex();
  readonly #freeIds = new IdStack();
  /**
   * One past the highest id that may be live: raised when an id is handed out, lowered by
   * compact()'s scan, which starts here (each free slot is passed once between growths).
   */
  #topHint = 0;
  /** One past the highest id handed out (below it: live or free); compact lowers it to one past the highest live id. The columns may have room for more. */
  #limit = 0;
  /** Dirty destinations in the order they were marked (each once: its DIRTY flag is set while queued). */
  readonly #dirty = new IdQueue();
  #live = 0;
  /** Per family (0 IPv4, 1 IPv6): routes held (addRoute / removeRoute), destinations with a best route. */
  readonly #paths: [number, number] = [0, 0];
  readonly #bests: [number, number] = [0, 0];

  // ---- columns (by id). `prefix` is null for a free id, and KEPT_BY_NUMBER for an IPv4 prefix kept
  // by number (its address in #addr, its length in #bits): no text per prefix for nearly all of a table.
  #prefix: (string | null)[] = new Array<string | null>(INITIAL_IDS).fill(null);
  /** Every route for this prefix (accepted and refused), any order: one route, or an array of two or more. */
  #routes: (Route | Route[] | null)[] = new Array<Route | Route[] | null>(INITIAL_IDS).fill(null);
  #best: (Route | null)[] = new Array<Route | null>(INITIAL_IDS).fill(null);
  /** Forwarding facts last reported (BestChange). */
  #fib: (BestForwarding | null)[] = new Array<BestForwarding | null>(INITIAL_IDS).fill(null);
  /** family bit | DIRTY | EXPORT | NUMERIC | NLRI wire bytes << WIRE_SHIFT | IPv4 length << LEN_SHIFT */
  #bits = new Int32Array(INITIAL_IDS);
  /** Peers whose Adj-RIB-Out holds this prefix. */
  #advCount = new Int32Array(INITIAL_IDS);
  /** Index of its entry in the export journal's ring, or -1 (export-journal.ts). */
  #jslot = new Int32Array(INITIAL_IDS);
  /** IPv4 address (int32) of a destination kept by number in the prefix index. */
  #addr = new Int32Array(INITIAL_IDS);

  // ------------------------------------------------------------ lookup and lifetime

  /** The destination of this prefix (text, or an IPv4 number: codec NlriEntry), or -1. */
  get(prefix: NlriEntry): DestId {
    return this.#index.get(prefix);
  }

  getOrCreate(prefix: NlriEntry, family: Family): DestId {
    const found = this.#index.get(prefix);
    if (found >= 0) return found;
    const free = this.#freeIds.pop();
    const id = free >= 0 ? free : this.#limit++;
    if (id >= this.#topHint) this.#topHint = id + 1;
    if (id >= this.#prefix.length) {
      this.#prefix = grownSlots(this.#prefix, id + 1, null);
      this.#routes = grownSlots(this.#routes, id + 1, null);
      this.#best = grownSlots(this.#best, id + 1, null);
      this.#fib = grownSlots(this.#fib, id + 1, null);
    }
    if (id >= this.#bits.length) {
      this.#bits = grownTyped(this.#bits, id + 1);
      this.#advCount = grownTyped(this.#advCount, id + 1);
      this.#jslot = grownTyped(this.#jslot, id + 1);
      this.#addr = grownTyped(this.#addr, id + 1);
    }
    const index = this.#index;
    const len = typeof prefix === 'number' ? prefix % 64 : prefixLength(prefix);
    let bits = (family === 'ipv6-unicast' ? FAMILY_BIT : 0) | (wireBytesOf(len) << WIRE_SHIFT);
    if (index.add(prefix, id)) {
      this.#addr[id] = index.lastAddr;
      bits |= NUMERIC | (index.lastLen << LEN_SHIFT);
      this.#prefix[id] = KEPT_BY_NUMBER;
    } else {
      this.#prefix[id] = nlriText(prefix);
    }
    this.#bits[id] = bits;
    this.#advCount[id] = 0;
    this.#jslot[id] = -1;
    this.#live++;
    return id;
  }

  /** Forgets a destination nothing refers to (see idle); the caller removed it from the journal. */
  drop(id: DestId): void {
    const prefix = this.#prefix[id];
    if (prefix == null) return;
    const bits = this.#bits[id] as number;
    if ((bits & NUMERIC) !== 0) this.#index.deleteKey(this.#addr[id] as number, bits >>> LEN_SHIFT);
    else this.#index.delete(prefix);
    this.#prefix[id] = null;
    this.#routes[id] = null;
    this.#best[id] = null;
    this.#fib[id] = null;
    this.#bits[id] = 0;
    this.#freeIds.push(id);
    this.#live--;
  }

  /**
   * Gives back what a large withdrawal left: when at most a quarter of at least COMPACT_MIN_IDS ids
   * are live and none of them is in the upper half, every column is copied into arrays cut after
   * the highest live id (at INITIAL_IDS at the least; the old ones go to the garbage collector), the free ids above it are
   * forgotten and those below are handed out lowest first, and the prefix index shrinks. Returns
   * the new idLimit, or -1 when nothing was cut. The search for the highest live id goes down from
   * where the last one stopped (#topHint): amortized, a free slot is passed once between growths.
   */
  compact(): number {
    const limit = this.#limit;
    if (limit < COMPACT_MIN_IDS || this.#live * 4 > limit) return -1;
    let top = Math.min(this.#topHint, limit);
    while (top > 0 && this.#prefix[top - 1] == null) top--;
    this.#topHint = top;
    if (top * 2 > limit) return -1;
    const cap = Math.max(INITIAL_IDS, top);
    // Slots from top to cap are free ids' (null).
    this.#prefix = this.#prefix.slice(0, cap);
    this.#routes = this.#routes.slice(0, cap);
    this.#best = this.#best.slice(0, cap);
    this.#fib = this.#fib.slice(0, cap);
    this.#limit = top;
    this.#bits = this.#bits.slice(0, cap);
    this.#advCount = this.#advCount.slice(0, cap);
    this.#jslot = this.#jslot.slice(0, cap);
    this.#addr = this.#addr.slice(0, cap);
    // pop() hands out the lowest free id first, so the ids stay dense.
    this.#freeIds.keepBelow(top);
    this.#index.shrink();
    return top;
  }

  isLive(id: DestId): boolean {
    return this.#prefix[id] != null;
  }

  /** Nothing refers to this destination any more. */
  idle(id: DestId): boolean {
    return this.#routes[id] === null && this.#best[id] === null && this.#fib[id] === null && this.#advCount[id] === 0 && (this.#flags(id) & DIRTY) === 0;
  }

  /** One past the highest id handed out: walks go over 0 .. idLimit - 1, skipping ids that are not live. */
  get idLimit(): number {
    return this.#limit;
  }

  /** Live destinations. */
  get size(): number {
    return this.#live;
  }

  // ------------------------------------------------------------ columns

  #flags(id: DestId): number {
    return this.#bits[id] as number;
  }

  /** The prefix text (made afresh for a prefix kept by number). */
  prefix(id: DestId): string {
    const p = this.#prefix[id];
    if (p !== KEPT_BY_NUMBER) return p ?? '';
    return `${formatIPv4((this.#addr[id] as number) >>> 0)}/${(this.#bits[id] as number) >>> LEN_SHIFT}`;
  }

  /** The prefix length of a live destination (no text made). */
  prefixLength(id: DestId): number {
    const p = this.#prefix[id];
    return p === KEPT_BY_NUMBER ? (this.#bits[id] as number) >>> LEN_SHIFT : prefixLength(p ?? '');
  }

  /** The prefix for the encoder (codec NlriEntry): an IPv4 prefix kept by number as parsePrefix4's number, else its text. */
  nlri(id: DestId): NlriEntry {
    const p = this.#prefix[id];
    if (p !== KEPT_BY_NUMBER) return p ?? '';
    return ((this.#addr[id] as number) >>> 0) * 64 + ((this.#bits[id] as number) >>> LEN_SHIFT);
  }
  family(id: DestId): Family {
    return (this.#flags(id) & FAMILY_BIT) === 0 ? 'ipv4-unicast' : 'ipv6-unicast';
  }
  /** 0 = IPv4, 1 = IPv6. */
  familyIndex(id: DestId): 0 | 1 {
    return (this.#flags(id) & FAMILY_BIT) as 0 | 1;
  }
  /** Bytes of this prefix as an NLRI entry. */
  wireBytes(id: DestId): number {
    return ((this.#bits[id] as number) >>> WIRE_SHIFT) & WIRE_MASK;
  }
  routes(id: DestId): Route | Route[] | null {
    return this.#routes[id] ?? null;
  }
  setRoutes(id: DestId, rs: Route | Route[] | null): void {
    this.#routes[id] = rs;
  }
  best(id: DestId): Route | null {
    return this.#best[id] ?? null;
  }
  setBest(id: DestId, r: Route | null): void {
    const was = this.#best[id] ?? null;
    if ((was === null) !== (r === null)) this.#bests[this.familyIndex(id)] += r === null ? -1 : 1;
    this.#best[id] = r;
  }
  /** Destinations of the family (0 IPv4, 1 IPv6) with a best route. */
  bestCount(family: 0 | 1): number {
    return this.#bests[family];
  }
  /** Routes of the family (0 IPv4, 1 IPv6) held, from every source, accepted or refused. */
  pathCount(family: 0 | 1): number {
    return this.#paths[family];
  }
  /** addRoute / removeRoute keep pathCount. */
  countPath(id: DestId, delta: 1 | -1): void {
    this.#paths[this.familyIndex(id)] += delta;
  }
  fib(id: DestId): BestForwarding | null {
    return this.#fib[id] ?? null;
  }
  setFib(id: DestId, f: BestForwarding | null): void {
    this.#fib[id] = f;
  }
  isDirty(id: DestId): boolean {
    return (this.#flags(id) & DIRTY) !== 0;
  }
  exportPending(id: DestId): boolean {
    return (this.#flags(id) & EXPORT) !== 0;
  }
  setExportPending(id: DestId, v: boolean): void {
    this.#bits[id] = v ? (this.#bits[id] as number) | EXPORT : (this.#bits[id] as number) & ~EXPORT;
  }
  advCount(id: DestId): number {
    return this.#advCount[id] as number;
  }
  /** Adds `delta` to the number of peers advertised to; returns the new count. */
  addAdvertised(id: DestId, delta: number): number {
    return (this.#advCount[id] = (this.#advCount[id] as number) + delta);
  }
  journalSlot(id: DestId): number {
    return this.#jslot[id] as number;
  }
  setJournalSlot(id: DestId, slot: number): void {
    this.#jslot[id] = slot;
  }

  // ------------------------------------------------------------ the decision queue

  markDirty(id: DestId): void {
    const b = this.#bits[id] as number;
    if ((b & DIRTY) !== 0) return;
    this.#bits[id] = b | DIRTY;
    this.#dirty.push(id);
  }

  /**
   * Up to `max` dirty destinations, the oldest first; their marks are cleared, the others stay
   * queued (a decision run may be cut into slices).
   */
  takeDirty(max = Infinity): DestId[] {
    const out = new Array<DestId>(Math.min(this.#dirty.length, max));
    for (let i = 0; i < out.length; i++) {
      const id = this.#dirty.shift();
      this.#bits[id] = (this.#bits[id] as number) & ~DIRTY;
      out[i] = id;
    }
    return out;
  }

  get dirtyCount(): number {
    return this.#dirty.length;
  }
}

// ---------------------------------------------------------------- the routes of a destination

/** The route of `source` with this received path id (RFC 7911; 0 without ADD-PATH) for this prefix, if any. */
export function routeOf(loc: LocRib, id: DestId, source: RouteSource, pathId = 0): Route | undefined {
  const rs = loc.routes(id);
  if (rs === null) return undefined;
  if (!Array.isArray(rs)) return rs.source === source && rs.pathId === pathId ? rs : undefined;
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i] as Route;
    if (r.source === source && r.pathId === pathId) return r;
  }
  return undefined;
}

/**
 * Calls f for every route of `source` for this prefix (several with ADD-PATH). f may remove the
 * route it is given.
 */
export function forEachRouteOf(loc: LocRib, id: DestId, source: RouteSource, f: (r: Route) => void): void {
  const rs = loc.routes(id);
  if (rs === null) return;
  if (!Array.isArray(rs)) {
    if (rs.source === source) f(rs);
    return;
  }
  let mine: Route[] | null = null;
  for (let i = 0; i < rs.length; i++) if ((rs[i] as Route).source === source) (mine ??= []).push(rs[i] as Route);
  if (mine !== null) for (const r of mine) f(r);
}

/**
 * The path id `r` is sent with to ADD-PATH peers (docs/decisions/0011-add-path.md): allocated the
 * first time it is asked for, the smallest positive id no other route of the destination holds,
 * then kept on the route for its life.
 */
export function txPathId(loc: LocRib, id: DestId, r: Route): number {
  if (r.txId !== 0) return r.txId;
  const rs = loc.routes(id);
  let n = 1;
  if (Array.isArray(rs)) {
    const used = new Set<number>();
    for (let i = 0; i < rs.length; i++) used.add((rs[i] as Route).txId);
    while (used.has(n)) n++;
  }
  r.txId = n;
  return n;
}

export function addRoute(loc: LocRib, id: DestId, r: Route): void {
  loc.countPath(id, 1);
  const rs = loc.routes(id);
  if (rs === null) loc.setRoutes(id, r);
  else if (Array.isArray(rs)) rs.push(r);
  else loc.setRoutes(id, [rs, r]);
}

export function removeRoute(loc: LocRib, id: DestId, r: Route): void {
  const rs = loc.routes(id);
  if (rs === r) {
    loc.setRoutes(id, null);
    loc.countPath(id, -1);
    return;
  }
  if (!Array.isArray(rs)) return;
  const i = rs.indexOf(r);
  if (i < 0) return;
  rs.splice(i, 1);
  loc.countPath(id, -1);
  if (rs.length === 1) loc.setRoutes(id, rs[0] as Route);
}

/** The routes as an array (a new one for a single route; for walks that are not per prefix and per UPDATE). */
export function routeList(loc: LocRib, id: DestId): readonly Route[] {
  const rs = loc.routes(id);
  return rs === null ? [] : Array.isArray(rs) ? rs : [rs];
}

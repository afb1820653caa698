/**
 * Loc-RIB: one destination per prefix with its candidates (accepted routes from every source), the
 * selected best, and what was last exported and installed. Changes only mark destinations dirty;
 * the decision runs once per batch over the dirty set (rib.ts decide()).
 */
import type { Route } from './adj-rib-in.js';
import type { AttrSet } from './attrs-store.js';
import type { BestForwarding, Family } from './types.js';

export interface Dest {
  readonly prefix: string;
  readonly family: Family;
  /** Accepted routes, any order (the decision sorts canonically). */
  readonly candidates: Route[];
  best: Route | null;
  /** The best route and its attributes when the Adj-RIB-Outs were last filled (identity compare only). */
  exportedRoute: Route | null;
  exportedAttrs: AttrSet | null;
  /** Forwarding facts last reported (BestChange). */
  fib: BestForwarding | null;
}

export class LocRib {
  readonly #dests = new Map<string, Dest>();
  readonly #dirty = new Set<Dest>();

  get(prefix: string): Dest | undefined {
    return this.#dests.get(prefix);
  }

  getOrCreate(prefix: string, family: Family): Dest {
    let d = this.#dests.get(prefix);
    if (d === undefined) {
      d = { prefix, family, candidates: [], best: null, exportedRoute: null, exportedAttrs: null, fib: null };
      this.#dests.set(prefix, d);
    }
    return d;
  }

  addCandidate(route: Route): void {
    const d = this.getOrCreate(route.prefix, route.family);
    if (!d.candidates.includes(route)) d.candidates.push(route);
    this.#dirty.add(d);
  }

  removeCandidate(route: Route): void {
    const d = this.#dests.get(route.prefix);
    if (d === undefined) return;
    const i = d.candidates.indexOf(route);
    if (i >= 0) d.candidates.splice(i, 1);
    this.#dirty.add(d);
  }

  markDirty(prefix: string): void {
    const d = this.#dests.get(prefix);
    if (d !== undefined) this.#dirty.add(d);
  }

  /** The dirty destinations, emptying the set. */
  takeDirty(): Dest[] {
    const out = [...this.#dirty];
    this.#dirty.clear();
    return out;
  }

  get dirtyCount(): number {
    return this.#dirty.size;
  }

  /** Forgets a destination with nothing left in it. */
  dropIfEmpty(d: Dest): void {
    if (d.candidates.length === 0 && d.best === null && d.fib === null && this.#dests.get(d.prefix) === d) {
      this.#dests.delete(d.prefix);
    }
  }

  values(): IterableIterator<Dest> {
    return this.#dests.values();
  }

  get size(): number {
    return this.#dests.size;
  }
}

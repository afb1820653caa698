/**
 * Route shapes: a kernel route without its prefix (table, protocol, metric, type, next hops), kept
 * once and shared by every prefix that has it (docs/decisions/0014-fib-state-columns.md). A million
 * routes from a few peers are a handful of shapes, so the reconciler's state per route is a key and
 * two small integers (fib-state.ts), not an object, an array and a prefix string.
 *
 * Shapes are interned by value (the route's fields, next hops in order, ifindex and weight
 * included): two routes with the same shape id are written to the kernel identically. A lookup by
 * the next-hop list's identity comes first (kernel/next-hops.ts shares one list between the routes
 * of a batch), so building the value text is the rare case. Each shape counts the columns that
 * refer to it and is freed at zero; its id is reused.
 */
import type { KernelNextHop, KernelRoute, RouteType } from './port.js';

export interface RouteShape {
  readonly id: number;
  readonly table: number;
  readonly protocol: number;
  readonly metric: number;
  readonly type: RouteType;
  readonly nextHops: readonly KernelNextHop[];
  /** A next hop the kernel cannot take as is: resolved through the kernel's table before it is written (fib-sync.ts). */
  readonly resolves: boolean;
  /** The value it is interned by. */
  readonly text: string;
  refs: number;
  live: boolean;
}

/** A next hop that is on no named device, no ifindex and not onlink: resolved recursively (`ip route get`). */
export const needsResolution = (h: KernelNextHop): boolean => h.dev === undefined && h.ifindex === undefined && h.onlink !== true;

function shapeText(r: Pick<KernelRoute, 'table' | 'protocol' | 'metric' | 'type' | 'nextHops'>): string {
  let s = `${r.type}|${r.table}|${r.protocol}|${r.metric}`;
  for (const h of r.nextHops) s += `|${h.via},${h.dev ?? ''},${h.ifindex ?? ''},${h.onlink === true ? 1 : 0},${h.weight ?? ''}`;
  return s;
}

export class RouteShapes {
  readonly #byId: (RouteShape | undefined)[] = [];
  readonly #free: number[] = [];
  readonly #byText = new Map<string, RouteShape>();
  readonly #byHops = new WeakMap<readonly KernelNextHop[], RouteShape>();
  #resolving = 0;

  /** Live shapes whose next hops resolve through the kernel (none: no key needs a lookup). */
  get resolving(): number {
    return this.#resolving;
  }

  /** Shapes alive. */
  get size(): number {
    return this.#byText.size;
  }

  /** The shape of a live id. */
  get(id: number): RouteShape {
    return this.#byId[id] as RouteShape;
  }

  /** The id of this route's shape, with one more reference on it. */
  intern(r: KernelRoute): number {
    const hops = r.nextHops;
    let s = this.#byHops.get(hops);
    if (s === undefined || !s.live || s.table !== r.table || s.protocol !== r.protocol || s.metric !== r.metric || s.type !== r.type) {
      const text = shapeText(r);
      s = this.#byText.get(text);
      if (s === undefined) s = this.#create(r, text);
      this.#byHops.set(hops, s);
    }
    s.refs++;
    return s.id;
  }

  ref(id: number): void {
    (this.#byId[id] as RouteShape).refs++;
  }

  unref(id: number): void {
    const s = this.#byId[id] as RouteShape;
    if (--s.refs > 0) return;
    s.live = false;
    if (s.resolves) this.#resolving--;
    this.#byText.delete(s.text);
    this.#byId[id] = undefined;
    this.#free.push(id);
  }

  /** The live shapes (for the tables their routes are in). */
  *[Symbol.iterator](): Generator<RouteShape> {
    for (const s of this.#byText.values()) yield s;
  }

  #create(r: KernelRoute, text: string): RouteShape {
    const id = this.#free.length > 0 ? (this.#free.pop() as number) : this.#byId.length;
    const s: RouteShape = {
      id,
      table: r.table,
      protocol: r.protocol,
      metric: r.metric,
      type: r.type,
      nextHops: r.nextHops,
      resolves: r.type === 'unicast' && r.nextHops.some(needsResolution),
      text,
      refs: 0,
      live: true,
    };
    this.#byId[id] = s;
    if (s.resolves) this.#resolving++;
    this.#byText.set(text, s);
    this.#byHops.set(r.nextHops, s);
    return s;
  }
}

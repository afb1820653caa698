/**
 * `FakeKernel`: an in-memory KernelPort (undici's MockAgent pattern) for unit tests and --dry-run.
 * One route per kernel key (table, prefix, metric) like the FIB; a call log (one entry per route
 * operation of a write); foreign routes that can be pre-seeded; injectable failures; `emit()` and
 * `deleteByHand()` to play notifications. Like the kernel, a write's `add` is create-exclusive
 * (EEXIST when anything holds the key), its `remove` deletes only a route of its own protocol, and a
 * `change` is that remove, then the add, then (only when the add failed; the kernel would answer
 * EEXIST otherwise) the re-add of the old route.
 * With `checkReachability`, a next hop needs a named device that exists, `onlink`, or a link whose
 * subnet holds the gateway, else ENETUNREACH (the kernel's "Nexthop has invalid gateway").
 */
import { inSubnet } from '../util/inet.js';
import {
  KernelError,
  routeKey,
  type KernelErrorCode,
  type KernelEvent,
  type KernelLink,
  type KernelOp,
  type KernelPort,
  type KernelRoute,
  type KernelRouteKey,
  type KernelWrite,
  type GatewayResolution,
  type RouteFilter,
} from './port.js';

export interface FakeCall {
  readonly op: KernelOp;
  readonly key?: string;
  readonly route?: KernelRouteKey;
  /**
   * 'ok', or the errno code the call failed with. A remove that found nothing of its protocol is
   * logged as 'ESRCH' but does not throw (for the port, removing an absent route is done).
   */
  readonly result: 'ok' | KernelErrorCode;
}

export interface FakeKernelOptions {
  readonly checkReachability?: boolean;
  readonly links?: readonly KernelLink[];
}

type FailRule = { readonly code: KernelErrorCode; remaining: number; readonly ops: readonly KernelOp[] | undefined };

export class FakeKernel implements KernelPort {
  readonly calls: FakeCall[] = [];
  readonly #routes = new Map<string, KernelRoute>();
  readonly #listeners = new Set<(e: KernelEvent) => void>();
  readonly #fails: FailRule[] = [];
  #rule: ((op: KernelOp, route: KernelRouteKey | undefined) => KernelErrorCode | undefined) | undefined;
  #links: KernelLink[];
  readonly #checkReachability: boolean;
  closed = false;

  constructor(opts: FakeKernelOptions = {}) {
    this.#links = [...(opts.links ?? [])];
    this.#checkReachability = opts.checkReachability ?? false;
  }

  /** Puts a route in the table without logging a call (a foreign route, or one a previous run left). */
  seed(route: KernelRoute): void {
    this.#routes.set(routeKey(route), route);
  }

  /** Every route in the table, all protocols. */
  routes(): KernelRoute[] {
    return [...this.#routes.values()];
  }

  get(key: string): KernelRoute | undefined {
    return this.#routes.get(key);
  }

  /** The next `count` calls (of `ops`, or any mutating op when omitted) fail with `code`. */
  failNext(code: KernelErrorCode, count = 1, ops?: readonly KernelOp[]): void {
    this.#fails.push({ code, remaining: count, ops: ops ?? ['add', 'remove'] });
  }

  /** A standing rule consulted on every call; return a code to fail it. `undefined` clears it. */
  failWhen(rule: ((op: KernelOp, route: KernelRouteKey | undefined) => KernelErrorCode | undefined) | undefined): void {
    this.#rule = rule;
  }

  setLinks(links: readonly KernelLink[]): void {
    this.#links = [...links];
  }

  /** Delivers a notification to every subscriber. */
  emit(e: KernelEvent): void {
    for (const l of this.#listeners) l(e);
  }

  /** `ip route del` by someone else: removes the route and notifies (unless `silent`: a lost notification). */
  deleteByHand(key: string, opts: { readonly silent?: boolean } = {}): void {
    const r = this.#routes.get(key);
    if (!r) return;
    this.#routes.delete(key);
    if (!opts.silent) this.emit({ kind: 'route-deleted', route: r });
  }

  /** `ip route replace` by someone else: overwrites and notifies. */
  changeByHand(route: KernelRoute): void {
    this.#routes.set(routeKey(route), route);
    this.emit({ kind: 'route-changed', route });
  }

  clearCalls(): void {
    this.calls.length = 0;
  }

  /** Create-exclusive, like NLM_F_CREATE|NLM_F_EXCL: EEXIST when anything holds the key. */
  async #add(route: KernelRoute): Promise<void> {
    await this.#enter('add', route);
    const key = routeKey(route);
    if (this.#routes.has(key)) this.#fail('add', route, 'EEXIST');
    this.#checkNextHops('add', route);
    this.#routes.set(key, route);
    this.calls.push({ op: 'add', key, route, result: 'ok' });
  }

  /** Protocol-matched delete; nothing of that protocol at the key is done (logged ESRCH). */
  async #remove(route: KernelRouteKey): Promise<void> {
    await this.#enter('remove', route);
    const key = routeKey(route);
    const have = this.#routes.get(key);
    const ours = have !== undefined && have.protocol === route.protocol;
    if (ours) this.#routes.delete(key);
    this.calls.push({ op: 'remove', key, route, result: ours ? 'ok' : 'ESRCH' });
  }

  async write(batch: readonly KernelWrite[]): Promise<(KernelError | null)[]> {
    const out: (KernelError | null)[] = [];
    for (const w of batch) {
      if (w.op === 'change') out.push(await this.#change(w.from, w.route));
      else if (w.op === 'add') out.push(await attempt('add', w.route, () => this.#add(w.route)));
      else out.push(await attempt('remove', w.route, () => this.#remove(w.route)));
    }
    return out;
  }

  /** KernelWrite 'change': protocol-matched remove, create-exclusive add, re-add of the old route if the add failed. */
  async #change(from: KernelRoute, route: KernelRoute): Promise<KernelError | null> {
    const removed = await attempt('remove', from, () => this.#remove(from));
    const added = await attempt('add', route, () => this.#add(route));
    if (added) await attempt('add', from, () => this.#add(from));
    return removed ?? added;
  }

  /** Gateways for addresses on no connected subnet (`ip route get`), set by tests. */
  readonly gateways = new Map<string, GatewayResolution | null>();

  async lookup(addresses: readonly string[]): Promise<Map<string, GatewayResolution | null>> {
    await Promise.resolve();
    const out = new Map<string, GatewayResolution | null>();
    for (const a of addresses) {
      const set = this.gateways.get(a);
      if (set !== undefined) {
        out.set(a, set);
        continue;
      }
      const link = this.#links.find((l) => l.addresses.some((c) => inSubnet(a, c)));
      out.set(a, link ? { via: a, ifindex: link.ifindex, dev: link.name } : null);
    }
    return out;
  }

  async list(filter: RouteFilter): Promise<KernelRoute[]> {
    await this.#enter('list', undefined);
    this.calls.push({ op: 'list', result: 'ok' });
    return this.routes().filter((r) => r.table === filter.table && r.protocol === filter.protocol);
  }

  /** Route notifications held (holdRouteEvents) right now; the fake still delivers them (tests see all). */
  routeEventHolds = 0;

  holdRouteEvents(): () => void {
    this.routeEventHolds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.routeEventHolds--;
    };
  }

  subscribe(onEvent: (e: KernelEvent) => void): () => void {
    this.#listeners.add(onEvent);
    return () => {
      this.#listeners.delete(onEvent);
    };
  }

  close(): Promise<void> {
    this.closed = true;
    this.#listeners.clear();
    return Promise.resolve();
  }

  get subscribers(): number {
    return this.#listeners.size;
  }

  async #enter(op: KernelOp, route: KernelRouteKey | undefined): Promise<void> {
    await Promise.resolve();
    const idx = this.#fails.findIndex((f) => f.remaining > 0 && (f.ops === undefined || f.ops.includes(op)));
    const rule = idx >= 0 ? this.#fails[idx] : undefined;
    if (rule) {
      rule.remaining--;
      if (rule.remaining === 0) this.#fails.splice(idx, 1);
      this.#fail(op, route, rule.code);
    }
    const code = this.#rule?.(op, route);
    if (code) this.#fail(op, route, code);
  }

  #checkNextHops(op: KernelOp, route: KernelRoute): void {
    if (!this.#checkReachability || route.type === 'blackhole') return;
    for (const h of route.nextHops) {
      if (h.dev !== undefined) {
        if (!this.#links.some((l) => l.name === h.dev)) this.#fail(op, route, 'ENODEV');
        if (h.onlink) continue;
      }
      if (h.onlink) continue;
      const ok = this.#links.some((l) => l.up && (h.dev === undefined || l.name === h.dev) && l.addresses.some((a) => inSubnet(h.via, a)));
      if (!ok) this.#fail(op, route, 'ENETUNREACH');
    }
  }

  #fail(op: KernelOp, route: KernelRouteKey | undefined, code: KernelErrorCode): never {
    this.calls.push({ op, ...(route ? { key: routeKey(route), route } : {}), result: code });
    throw new KernelError(code, op, route);
  }
}

async function attempt(op: KernelOp, route: KernelRouteKey, call: () => Promise<void>): Promise<KernelError | null> {
  try {
    await call();
    return null;
  } catch (e) {
    return e instanceof KernelError ? e : new KernelError('EOTHER', op, route, { cause: e });
  }
}

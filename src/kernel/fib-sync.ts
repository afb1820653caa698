/**
 * `FibSync`: the reconciler, and the only writer of the kernel FIB (convention 12, BIRD's krt scan).
 *
 * - Desired routes come from the speaker (`setDesired` after each RIB batch, or `update`).
 * - Installed routes are what the kernel holds with *our* protocol id, learned by `list()`.
 * - At start the routes a previous run left are adopted and kept (stale candidates) until
 *   `converged()`: a restart must not drop a working route. Only then are the stale ones purged.
 * - New keys are added create-exclusive; EEXIST means a foreign route sits at the key: a conflict,
 *   logged and shown in `status()`, never overwritten. A route of ours changes by a protocol-matched
 *   delete and a create-exclusive add in one datagram (KernelWrite 'change'), never by a replace,
 *   so a foreign route that took the key meanwhile is not overwritten either: the add meets EEXIST.
 * - ENETUNREACH/EHOSTUNREACH/ENODEV/ENETDOWN wait for a link or address change (or the periodic
 *   scan); errors that cannot succeed by retrying (EINVAL, ...: error-class.ts) mark the route
 *   failed, logged once, until the route wanted at the key changes; other failures retry with
 *   backoff. Removing an absent route is success (the port says so).
 * - Notifications: our route deleted or changed by someone else => debounced re-list + reconcile.
 *   A periodic full scan (default 30 s) repairs whatever notifications missed.
 * - One batch at a time; within a batch the writes go to the port WRITE_CHUNK at a time, one
 *   `write` each (many route messages per datagram), two chunks in the kernel at once (the next is
 *   planned while the previous is written; a key of the chunk in flight waits for a later batch),
 *   and the work is cut into slices with turns of the event loop between them (util/slice.ts).
 */
import { invariant } from '../util/assert.js';
import { Slicer } from '../util/slice.js';
import { systemClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';
import { errorClass, permanentReason } from './error-class.js';
import { FibState } from './fib-state.js';
import { PlannedWrite } from './planned-write.js';
import { needsResolution } from './route-shapes.js';
import {
  fibKey,
  fibKeyPrefix,
  fibKeyText,
  kindSatisfies,
  routeSatisfies,
  toKernelError,
  type FibKey,
  type KernelErrorCode,
  type KernelEvent,
  type GatewayResolution,
  type KernelError,
  type KernelNextHop,
  type KernelPort,
  type KernelRoute,
  type KernelRouteKey,
  type KernelWrite,
} from './port.js';
import { kernelMetric } from './next-hops.js';

export { toKernelRoute, toBlackholeRoute, modeFor, type DataplaneMode, type PoolDataplane, type PoolMode, type RouteBuildOptions } from './next-hops.js';

export interface FibSyncOptions {
  readonly port: KernelPort;
  /** Our rtm_protocol (default 12, "bird"). */
  readonly protocol?: number;
  /** Tables to scan besides those desired routes name (default [254], main). */
  readonly tables?: readonly number[];
  readonly clock?: Clock;
  readonly log?: Logger;
  readonly scanIntervalMs?: number;
  /** Debounce before re-listing after a notification (default 200 ms). */
  readonly repairDelayMs?: number;
  /** First retry delay after a failed call; doubles up to the scan interval (default 1000 ms). */
  readonly retryDelayMs?: number;
  /** After each reconcile (metrics: its duration). */
  readonly onReconcile?: (r: ReconcileResult) => void;
  /** For tests: the slice budget in ms (util/slice.ts SLICE_MS by default; 0: a chunk and a turn of the event loop per key). */
  readonly sliceMs?: number;
}

/** Counts for metrics (docs/metrics.md), without building status()'s lists. */
export interface FibSyncStats {
  readonly converged: boolean;
  /** Routes now: desired, installed, at a key held by a foreign route, waiting for a retry, refused for good. */
  readonly routes: { readonly desired: number; readonly installed: number; readonly conflicting: number; readonly pending: number; readonly failed: number };
  /** Since start: errors the kernel answered (route writes, lists, lookups), by errno name (`EEXIST`, `ENETUNREACH`, ...). */
  readonly errors: Readonly<Record<string, number>>;
  /** Since start. */
  readonly reconciles: { readonly full: number; readonly incremental: number };
}

/** `route: null` removes the key. `key` is fibKey(route). */
export interface DesiredChange {
  readonly key: FibKey;
  readonly route: KernelRoute | null;
}

export interface ReconcileResult {
  readonly at: number;
  readonly kind: 'full' | 'incremental';
  readonly ok: boolean;
  readonly added: number;
  readonly replaced: number;
  readonly removed: number;
  readonly failed: number;
  readonly durationMs: number;
  readonly error?: string;
}

export interface KernelStatus {
  readonly protocol: number;
  readonly converged: boolean;
  readonly desired: number;
  readonly installed: number;
  readonly staleCandidates: number;
  readonly conflicts: readonly { readonly key: string; readonly prefix: string; readonly since: number }[];
  readonly pendingRetries: readonly {
    readonly key: string;
    readonly prefix: string;
    readonly code: KernelErrorCode;
    readonly attempts: number;
    readonly waitsForLink: boolean;
  }[];
  /** Routes the kernel refused with an error retrying cannot cure; tried again only when the route wanted at the key changes. */
  readonly failed: readonly FailedRoute[];
  readonly lastReconcile: ReconcileResult | null;
}

export interface FailedRoute {
  readonly key: string;
  readonly prefix: string;
  /** The errno name the kernel answered (EINVAL, EAFNOSUPPORT, ...). */
  readonly errno: string;
  /** What wren was doing: adding the route, changing one of ours into it, or removing ours. */
  readonly op: KernelWrite['op'];
  readonly reason: string;
  /** The route as it was sent (`blackhole 172.16.0.0/24`, `fd00::/64 via ::1`). */
  readonly route: string;
  readonly since: number;
}

interface Retry {
  code: KernelErrorCode;
  attempts: number;
  waitsForLink: boolean;
}

/** A permanent failure: `want` is the route wanted when it failed (null: the key was being removed). */
interface Failed {
  readonly want: KernelRoute | null;
  readonly status: FailedRoute;
}

type Counts = { added: number; replaced: number; removed: number; failed: number };

/**
 * A chunk of writes in the kernel (its keys are pinned in the state until it settles): its settling.
 * An object, not the promise itself: an async function returning a promise would wait for it.
 */
interface Flight {
  readonly done: Promise<void>;
}

/** Writes handed to the port at once (one `write`: it packs them many per datagram). */
const WRITE_CHUNK = 4096;
/** An incremental batch of this many keys or more holds route notifications (KernelPort.holdRouteEvents). */
const QUIET_KEYS = 512;
/** Per-route failure lines logged per batch before only the summary is. */
const FAILURES_LOGGED = 20;

export class FibSync {
  readonly #port: KernelPort;
  readonly #protocol: number;
  readonly #tables: readonly number[];
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #scanMs: number;
  readonly #repairMs: number;
  readonly #retryMs: number;

  /**
   * Per FibKey (a number for the common IPv4 key, decision 0012): the desired route and the one of
   * ours installed, in columns of shared route shapes (decision 0014), not objects per route.
   */
  readonly #state = new FibState();
  /** Recursive next hops (not on a connected subnet): how the kernel reaches each (`ip route get`). */
  readonly #resolved = new Map<string, GatewayResolution | null>();
  readonly #stale = new Set<FibKey>();
  readonly #conflicts = new Map<FibKey, { prefix: string; since: number }>();
  readonly #retries = new Map<FibKey, Retry>();
  readonly #failed = new Map<FibKey, Failed>();
  /**
   * Per key, how many route-deleted notifications our own changes will echo (the delete half of a
   * change). Such an echo is not drift; without this, every change would cost a full re-list.
   * Cleared by each full list; a change whose delete found nothing leaves a count that can at
   * most hide one deletion of an outdated route of ours, which the next full list sees anyway.
   */
  readonly #echoes = new Map<FibKey, number>();
  /** Dirty keys with no entry in the state (nothing desired or installed): only their bookkeeping (retry, conflict, failure) to clear. The rest are queued in the state. */
  readonly #dirtyOther = new Set<FibKey>();
  #fullPending = false;
  /**
   * The periodic scan came due at this time (null: not due). Unlike #fullPending (a re-list that
   * correctness needs now: start, convergence, a conflict, lost notifications), it waits until no
   * route was written for a whole scan interval, and runs at the latest one interval late: a scan
   * during or right after a bulk update lists and plans a table that is being rewritten anyway, and
   * the next update waits for it (at a million routes, seconds: the kernel benchmark's slow runs,
   * docs/benchmarks.md). What it is for, drift that no notification told of, is found one interval
   * later at worst.
   */
  #scanDueSince: number | null = null;
  /** When the last batch that wrote something ended. */
  #lastWriteAt = -Infinity;
  #cancelScanWait: (() => void) | undefined;
  #converged = false;
  #started = false;
  #adopted = false;
  #listFailed = false;
  #stopped = false;
  #running: Promise<void> | null = null;
  #last: ReconcileResult | null = null;
  readonly #errors = new Map<string, number>();
  readonly #reconciles = { full: 0, incremental: 0 };
  readonly #onReconcile: ((r: ReconcileResult) => void) | undefined;
  readonly #sliceMs: number | undefined;
  #unsubscribe: (() => void) | undefined;
  #cancelScan: (() => void) | undefined;
  #cancelRepair: (() => void) | undefined;
  #cancelRetry: (() => void) | undefined;

  constructor(opts: FibSyncOptions) {
    this.#port = opts.port;
    this.#protocol = opts.protocol ?? 12;
    this.#tables = opts.tables ?? [254];
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.log ?? silentLogger;
    this.#scanMs = opts.scanIntervalMs ?? 30_000;
    this.#repairMs = opts.repairDelayMs ?? 200;
    this.#retryMs = opts.retryDelayMs ?? 1000;
    this.#onReconcile = opts.onReconcile;
    this.#sliceMs = opts.sliceMs;
  }

  /** Subscribes to notifications, adopts the routes a previous run left, arms the periodic scan. */
  start(): Promise<void> {
    invariant(!this.#started, 'FibSync started twice');
    this.#started = true;
    this.#unsubscribe = this.#port.subscribe((e) => this.#onEvent(e));
    this.#armScan();
    return this.#request({ full: true });
  }

  /** Replaces the whole desired set. */
  setDesired(routes: ReadonlyMap<string, KernelRoute> | readonly KernelRoute[]): Promise<void> {
    const next = new Map<FibKey, KernelRoute>();
    for (const given of Array.isArray(routes) ? routes : [...(routes as ReadonlyMap<string, KernelRoute>).values()]) {
      const r = this.#normalize(given);
      next.set(fibKey(r), r);
    }
    const state = this.#state;
    const gone: FibKey[] = [];
    const dirty: FibKey[] = [];
    for (const k of state.keys()) if (k !== null && !next.has(k) && state.hasWant(k)) gone.push(k);
    for (const [k, r] of next) {
      const old = state.want(k);
      if (!old || !routeSatisfies(old, r) || !routeSatisfies(r, old)) dirty.push(k);
    }
    // Key by key, not cleared and set again: an entry that stays keeps its id and its dirty mark.
    for (const k of gone) this.#markDirtyAt(state.setWant(k, null), k);
    for (const [k, r] of next) state.setWant(k, r);
    for (const k of dirty) this.#markDirty(k);
    return this.#request({});
  }

  /** Applies incremental changes to the desired set. */
  update(changes: readonly DesiredChange[]): Promise<void> {
    for (const c of changes) {
      if (c.route === null) {
        this.#markDirtyAt(this.#state.setWant(c.key, null), c.key);
        continue;
      }
      const r = this.#normalize(c.route);
      // c.key is fibKey(c.route) (KernelRoutes computes it): a numeric key (IPv4) is taken as is unless
      // normalizing changed the route; a text key is computed again (a caller may pass routeKey's text).
      const k = r === c.route && typeof c.key === 'number' ? c.key : fibKey(r);
      if (k !== c.key && this.#state.hasWant(c.key)) {
        this.#state.setWant(c.key, null);
        this.#markDirty(c.key);
      }
      this.#markDirtyAt(this.#state.setWant(k, r), k);
    }
    return this.#request({});
  }

  /** First convergence (End-of-RIB from every peer, or the speaker's deadline): purge stale routes. */
  converged(): Promise<void> {
    if (this.#converged) return this.idle();
    this.#converged = true;
    this.#log.info({ stale: this.#stale.size }, 'kernel routes converged');
    return this.#request({ full: true });
  }

  /** A full re-list and reconcile now (what the periodic scan does). */
  scan(): Promise<void> {
    return this.#request({ full: true });
  }

  /** Stop without persist: remove every route of ours in the scanned tables, then stop. */
  async withdrawAll(): Promise<void> {
    this.#state.clearWant();
    this.#converged = true;
    this.#stale.clear();
    await this.#request({ full: true });
    this.stop();
  }

  /** Stops timers and notifications. Routes stay in the kernel (persist). */
  stop(): void {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const c of [this.#cancelScan, this.#cancelRepair, this.#cancelRetry, this.#cancelScanWait]) c?.();
    this.#cancelScan = this.#cancelRepair = this.#cancelRetry = this.#cancelScanWait = undefined;
  }

  /** A batch is running or queued. */
  get busy(): boolean {
    return this.#running !== null;
  }

  /** Resolves when no batch is running or queued. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  status(): KernelStatus {
    return {
      protocol: this.#protocol,
      converged: this.#converged,
      desired: this.#state.desiredSize,
      installed: this.#state.installedSize,
      staleCandidates: this.#stale.size,
      conflicts: [...this.#conflicts].map(([key, c]) => ({ key: fibKeyText(key), prefix: c.prefix, since: c.since })),
      pendingRetries: [...this.#retries].map(([key, r]) => ({
        key: fibKeyText(key),
        prefix: fibKeyPrefix(key),
        code: r.code,
        attempts: r.attempts,
        waitsForLink: r.waitsForLink,
      })),
      failed: [...this.#failed.values()].map((f) => f.status),
      lastReconcile: this.#last,
    };
  }

  stats(): FibSyncStats {
    return {
      converged: this.#converged,
      routes: { desired: this.#state.desiredSize, installed: this.#state.installedSize, conflicting: this.#conflicts.size, pending: this.#retries.size, failed: this.#failed.size },
      errors: Object.fromEntries(this.#errors),
      reconciles: { ...this.#reconciles },
    };
  }

  /** An errno name as counted: E and capitals (at most ~130 names), anything else (a number) as EOTHER. */
  #countError(errno: string): void {
    const name = /^E[A-Z0-9]{1,15}$/.test(errno) ? errno : 'EOTHER';
    this.#errors.set(name, (this.#errors.get(name) ?? 0) + 1);
  }

  /** Our protocol only; IPv6 metric 0 becomes 1024 as the kernel stores it, so keys match list(). */
  #normalize(r: KernelRoute): KernelRoute {
    // The message is built only when it fails (this runs once per desired route).
    if (r.protocol !== this.#protocol) invariant(false, `desired route ${r.prefix} has protocol ${r.protocol}, ours is ${this.#protocol}`);
    const metric = kernelMetric(r.prefix, r.metric);
    return metric === r.metric ? r : { ...r, metric };
  }

  #request(what: { full?: boolean }): Promise<void> {
    if (what.full) this.#fullPending = true;
    if (!this.#running) {
      this.#running = this.#loop().finally(() => {
        this.#running = null;
      });
    }
    return this.idle();
  }

  async #loop(): Promise<void> {
    await Promise.resolve();
    for (;;) {
      const scan = this.#scanReady();
      const full = this.#fullPending || scan;
      if (!full && this.#dirtyCount === 0) {
        this.#awaitQuiet();
        return;
      }
      this.#fullPending = false;
      if (full) this.#scanDueSince = null;
      await this.#batch(full);
    }
  }

  /** A due periodic scan may run now: nothing to write and nothing written for a whole interval, or due for a whole interval. */
  #scanReady(): boolean {
    if (this.#scanDueSince === null) return false;
    const now = this.#clock.now();
    if (now - this.#scanDueSince >= this.#scanMs) return true;
    return this.#dirtyCount === 0 && now - this.#lastWriteAt >= this.#scanMs;
  }

  /** A due scan that waits for quiet: checked again when the quiet time (or its deadline) is reached. */
  #awaitQuiet(): void {
    if (this.#scanDueSince === null || this.#cancelScanWait || this.#stopped) return;
    const now = this.#clock.now();
    const at = Math.min(this.#lastWriteAt + this.#scanMs, this.#scanDueSince + this.#scanMs);
    this.#cancelScanWait = this.#clock.after(Math.max(1, at - now), () => {
      this.#cancelScanWait = undefined;
      void this.#request({});
    });
  }

  /**
   * One reconcile: the dirty keys (incremental), or every key we know of after a fresh list (full).
   * Keys are planned and written WRITE_CHUNK at a time, and the event loop turns at least every
   * SLICE_MS (util/slice.ts): a million keys never hold it for more than a slice. Keys dirtied while
   * the batch runs are picked up by it (incremental) or by the next batch.
   */
  async #batch(full: boolean): Promise<void> {
    const t0 = this.#clock.now();
    const counts: Counts = { added: 0, replaced: 0, removed: 0, failed: 0 };
    const slicer = new Slicer(this.#sliceMs);
    let error: string | undefined;
    // A bulk reconcile (a full one, or thousands of dirty keys) would read back a notification for
    // every route it writes: route notifications are held for its duration.
    let release = full || this.#dirtyCount >= QUIET_KEYS ? this.#port.holdRouteEvents() : undefined;
    // A batch that starts small but keeps taking the keys dirtied while it runs (a million withdrawals
    // arriving slice by slice) holds them too once it has taken QUIET_KEYS: without that, every route
    // it removes came back as a notification to parse, and one that came before its write settled
    // looked like drift and cost a full re-list (the kernel benchmark's slow removals).
    let taken = 0;
    let flight: Flight | null = null;
    /** Keys of a chunk in flight met again: planned by the next batch. */
    const deferred: FibKey[] = [];
    try {
      if (full) {
        await this.#listOurs(slicer);
        this.#echoes.clear();
        this.#listFailed = false;
        if (!this.#adopted) {
          // First successful list: what a previous run left is kept until convergence.
          this.#adopted = true;
          if (!this.#converged) for (const k of this.#state.installedOnly()) this.#stale.add(k);
          this.#log.info({ adopted: this.#state.installedSize, stale: this.#stale.size }, 'kernel routes adopted');
        }
        // Next hops on no connected subnet (eBGP multihop, iBGP next hops behind a router) are
        // resolved through the kernel's own table, as BIRD's `gateway recursive` does: afresh.
        this.#resolved.clear();
      }
      // Two chunks in the kernel at once: the next one is planned and sent while the writer thread
      // and the kernel work on the previous one (its keys wait for a later batch: `deferred`).
      let group: FibKey[] = [];
      const flush = async (): Promise<void> => {
        const next = await this.#startChunk(group, counts, full, deferred);
        group = [];
        // `flight` is the newest chunk before the wait, so that a failure of the older one leaves
        // the newer one to the catch below (awaited there, never settling after the batch ended).
        const prev = flight;
        flight = next;
        if (prev !== null) await prev.done;
      };
      for (const k of full ? this.#everyKey() : this.#takeDirty()) {
        if (k !== null) group.push(k);
        if (release === undefined && ++taken >= QUIET_KEYS) release = this.#port.holdRouteEvents();
        if (group.length < WRITE_CHUNK && !slicer.spent) continue;
        await flush();
        await slicer.maybePause();
      }
      await flush();
      if (flight !== null) await (flight as Flight).done;
      flight = null;
      for (const k of deferred) this.#markDirty(k);
    } catch (e) {
      if (flight !== null) await (flight as Flight).done.catch(() => undefined);
      for (const k of deferred) this.#markDirty(k);
      const ke = toKernelError(e, 'list');
      this.#countError(ke.errno);
      error = ke.message;
      this.#listFailed = true;
      this.#log.error({ err: e }, 'kernel reconcile failed');
      this.#scheduleRetry();
    } finally {
      release?.();
    }
    const ok = error === undefined && counts.failed === 0;
    this.#last = { at: t0, kind: full ? 'full' : 'incremental', ok, ...counts, durationMs: this.#clock.now() - t0, ...(error ? { error } : {}) };
    this.#reconciles[this.#last.kind]++;
    this.#onReconcile?.(this.#last);
    const changed = counts.added + counts.replaced + counts.removed + counts.failed > 0;
    if (changed) this.#lastWriteAt = this.#clock.now();
    if (changed || error) this.#log.info({ ...this.#last, desired: this.#state.desiredSize, conflicts: this.#conflicts.size }, 'kernel reconcile');
    // Between batches (no walk of the state under way): memory back after a large withdrawal.
    this.#state.compact();
  }

  /**
   * Plans `keys` (next hops resolved first) and starts the write of what they need, one port call;
   * the flight returned settles them when the kernel has answered. A key whose entry is pinned (its
   * write, of the previous chunk, is still in the kernel) is not planned against a state that write
   * is about to change: it goes to `deferred`, for a later batch.
   */
  async #startChunk(keys: readonly FibKey[], counts: Counts, full: boolean, deferred: FibKey[]): Promise<Flight | null> {
    if (keys.length === 0) return null;
    await this.#resolveNextHops(keys);
    const state = this.#state;
    const planned: PlannedWrite[] = [];
    /** Every pin undone and every shape reference given back, once (the writes have settled, or were never sent). */
    let unpinned = false;
    const unpinAll = (): void => {
      // A second run could unpin an entry id another key has been given since.
      if (unpinned) return;
      unpinned = true;
      for (const p of planned) {
        // A key whose entry went with the pin (nothing wanted or installed) and was marked meanwhile keeps its bookkeeping's turn.
        if (state.unpinAt(p.entry)) this.#markDirtyAt(-1, p.key);
        p.release();
      }
    };
    let settled: Promise<void>;
    try {
      for (const k of keys) {
        const e = state.find(k);
        // In the kernel now (the previous chunk): its write settles first.
        if (state.flyingAt(e)) {
          deferred.push(k);
          continue;
        }
        const p = this.#plan(k, e);
        if (p === null) continue;
        state.pin(e);
        planned.push(p);
      }
      if (planned.length === 0) return null;
      settled = Promise.resolve(this.#port.write(planned)).then((results) => {
        for (let j = 0; j < planned.length; j++) this.#settle(planned[j] as PlannedWrite, results[j] ?? null, counts, full);
      });
    } catch (e) {
      // Nothing of this chunk reached the kernel: a key left pinned would be deferred by every batch after.
      unpinAll();
      throw e;
    }
    // Whatever happened, the keys are unpinned and the shapes their writes held are given back.
    const done = settled.finally(unpinAll);
    done.catch(() => undefined); // awaited by the batch; this only keeps a failure from counting as unhandled meanwhile
    return { done };
  }

  /** The dirty keys, each taken off the set as it is handed out (keys added meanwhile come too). */
  *#takeDirty(): Generator<FibKey> {
    for (;;) {
      if (this.#dirtyOther.size > 0) {
        for (const k of this.#dirtyOther) {
          this.#dirtyOther.delete(k);
          yield k;
        }
        continue;
      }
      const k = this.#state.takeDirty();
      if (k === undefined) return;
      yield k;
    }
  }

  /** Keys waiting for a batch. */
  get #dirtyCount(): number {
    return this.#state.dirtyCount + this.#dirtyOther.size;
  }

  /** Queues a key for the next batch. */
  #markDirty(k: FibKey): void {
    this.#markDirtyAt(this.#state.find(k), k);
  }

  /** #markDirty when the key's entry is known (-1: none). */
  #markDirtyAt(e: number, k: FibKey): void {
    if (this.#state.markDirtyAt(e)) return;
    // No entry: nothing desired or installed at k; planning it only clears its bookkeeping, if any.
    if (this.#retries.size > 0 || this.#conflicts.size > 0 || this.#failed.size > 0 || this.#stale.size > 0) this.#dirtyOther.add(k);
  }

  /**
   * Every key a full reconcile looks at: desired, installed, and those with a retry, a failure or a
   * conflict (their bookkeeping is cleared when nothing else holds them). The dirty set is covered
   * by these and emptied (keys dirtied later wait for the next batch). A key may come twice (a map
   * changes while the batch waits for the kernel): planning is idempotent.
   */
  *#everyKey(): Generator<FibKey | null> {
    this.#state.clearDirty();
    this.#dirtyOther.clear();
    // null now and then: the caller may end its slice there (a million keys).
    yield* this.#state.keys();
    // Keys with bookkeeping and no route (no entry, or an entry kept only by a write's pin): keys() did not give them.
    const state = this.#state;
    for (const k of [...this.#retries.keys(), ...this.#failed.keys(), ...this.#conflicts.keys()]) {
      const e = state.find(k);
      if (e < 0 || (state.wantAt(e) < 0 && state.haveAt(e) < 0)) yield k;
    }
  }

  /**
   * Lists our routes in every table we use and makes the installed column what the kernel holds:
   * each listed route set as it comes, then the installed routes no table listed cleared. (Route
   * notifications are held meanwhile: a full batch holds them.) A failed list leaves the routes
   * not listed yet as they were; the retry lists again.
   */
  async #listOurs(slicer: Slicer): Promise<void> {
    const state = this.#state;
    const tables = new Set<number>(this.#tables);
    for (const s of state.shapes) tables.add(s.table);
    const listing = state.beginListing();
    for (const table of tables) {
      const routes = await this.#port.list({ table, protocol: this.#protocol });
      for (let i = 0; i < routes.length; i++) {
        const r = routes[i] as KernelRoute;
        const k = fibKey(r);
        // What the kernel holds as desired takes the desired route's shape (no recursive next hop to compare).
        const ws = state.wantAt(state.find(k));
        if (ws >= 0 && !state.shape(ws).resolves && kindSatisfies(r, state.shape(ws))) state.setHaveShape(k, ws);
        else state.setHave(k, r);
        state.listed(k, listing);
        if ((i & 1023) === 1023) await slicer.maybePause();
      }
    }
    for (const k of state.unlisted(listing)) {
      if (k !== null) state.setHave(k, null);
      else await slicer.maybePause();
    }
  }

  async #resolveNextHops(keys: readonly FibKey[]): Promise<void> {
    const state = this.#state;
    // No desired route has a next hop to resolve (the common case): no key is looked at.
    if (state.shapes.resolving === 0) return;
    const need = new Set<string>();
    for (const k of keys) {
      const ws = state.wantAt(state.find(k));
      if (ws < 0 || !state.shape(ws).resolves) continue;
      for (const h of state.shape(ws).nextHops) if (needsResolution(h) && !this.#resolved.has(h.via)) need.add(h.via);
    }
    if (need.size === 0) return;
    for (const [address, g] of await this.#port.lookup([...need])) {
      this.#resolved.set(address, g);
      if (g && g.via !== address) this.#log.debug({ nextHop: address, via: g.via, dev: g.dev }, 'recursive next hop resolved');
    }
  }

  /** The route as installed: recursive next hops replaced by the gateway the kernel uses to reach them. */
  #effective(want: KernelRoute): KernelRoute {
    if (want.type !== 'unicast' || !want.nextHops.some(needsResolution)) return want;
    const seen = new Set<string>();
    const hops: KernelNextHop[] = [];
    for (const h of want.nextHops) {
      let hop = h;
      if (needsResolution(h)) {
        const g = this.#resolved.get(h.via);
        if (g && g.via !== h.via) hop = { via: g.via, ifindex: g.ifindex, ...(g.dev !== undefined ? { dev: g.dev } : {}), ...(h.weight !== undefined ? { weight: h.weight } : {}) };
      }
      if (seen.has(hop.via)) continue; // two BGP next hops behind the same gateway
      seen.add(hop.via);
      hops.push(hop);
    }
    return { ...want, nextHops: hops };
  }

  /**
   * What key `k` (entry `e`) needs now (null: nothing). Updates bookkeeping that needs no kernel
   * call. The write holds a reference on each shape it names (planned-write.ts); no route object
   * is made for the common add or remove.
   */
  #plan(k: FibKey, e: number): PlannedWrite | null {
    const state = this.#state;
    const ws = state.wantAt(e);
    const hs = state.haveAt(e);
    if (ws < 0) {
      this.#conflicts.delete(k);
      if (hs < 0) {
        this.#retries.delete(k);
        this.#stale.delete(k);
        this.#failed.delete(k);
        return null;
      }
      if (!this.#converged && this.#stale.has(k)) return null; // kept until first convergence
      if (this.#stillFailed(k, null)) return null;
      return new PlannedWrite(state, 'remove', k, e, hs);
    }
    if (this.#stale.size > 0) this.#stale.delete(k);
    const resolves = state.shape(ws).resolves;
    // The same shape installed as desired: satisfied (unless its next hops resolve through the kernel).
    if (hs === ws && !resolves) {
      this.#forgetTrouble(k);
      return null;
    }
    // The route as it would be written; made only when something must look at it.
    const want = resolves ? this.#effective(state.route(k, ws)) : hs >= 0 || this.#failed.size > 0 ? state.route(k, ws) : null;
    if (hs >= 0 && routeSatisfies(state.route(k, hs), want as KernelRoute)) {
      this.#forgetTrouble(k);
      return null;
    }
    if (want !== null && this.#stillFailed(k, want)) return null;
    // A route whose next hops were resolved is a shape of its own (the one it is installed as):
    // interned for the write, which takes its own reference; the interning's is given back.
    const id = resolves ? state.shapes.intern(want as KernelRoute) : ws;
    let p: PlannedWrite;
    if (hs < 0) p = new PlannedWrite(state, 'add', k, e, id);
    else {
      this.#echoes.set(k, (this.#echoes.get(k) ?? 0) + 1);
      p = new PlannedWrite(state, 'change', k, e, id, hs);
    }
    if (resolves) state.shapes.unref(id);
    return p;
  }

  /** No retry, conflict or failure at the key any more (the maps are empty for nearly every key: not even looked up then). */
  #forgetTrouble(k: FibKey): void {
    if (this.#retries.size > 0) this.#retries.delete(k);
    if (this.#conflicts.size > 0) this.#conflicts.delete(k);
    if (this.#failed.size > 0) this.#failed.delete(k);
  }

  /** The key failed for good with this very route (or removal): do not send it again. Otherwise forget the failure. */
  #stillFailed(k: FibKey, want: KernelRoute | null): boolean {
    const f = this.#failed.get(k);
    if (!f) return false;
    if (sameRoute(f.want, want)) return true;
    this.#failed.delete(k);
    return false;
  }

  #settle(p: PlannedWrite, err: KernelError | null, counts: Counts, full: boolean): void {
    const k = p.key;
    const op = p.op;
    if (err) {
      this.#countError(err.errno);
      const route = p.route;
      // EEXIST on the add (of an add or of a change): a foreign route holds the key.
      if (op !== 'remove' && err.op === 'add' && err.code === 'EEXIST') {
        // A change deleted ours (or found nothing of ours): the key is not ours any more.
        if (op === 'change') this.#state.setHaveAt(p.entry, -1);
        if (!this.#conflicts.has(k)) {
          this.#log.warn({ prefix: route.prefix, route: describe(route), table: route.table, metric: route.metric, op }, 'kernel route conflict: a foreign route holds the key');
          this.#conflicts.set(k, { prefix: route.prefix, since: this.#clock.now() });
        }
        this.#retries.delete(k);
        // Our view may be stale (incremental batch): a full re-list tells ours from foreign.
        if (!full) this.#fullPending = true;
        return;
      }
      // A failed change left our old route in place (the adapter re-adds it in the same datagram).
      this.#failure(p, route, err, counts);
      return;
    }
    this.#forgetTrouble(k);
    // The key's entry is pinned until the write is unpinned: its id is used as it is, no lookup.
    if (op === 'remove') {
      this.#state.setHaveAt(p.entry, -1);
      if (this.#stale.size > 0) this.#stale.delete(k);
      counts.removed++;
    } else {
      this.#state.setHaveAt(p.entry, p.shape);
      // Withdrawn while the write was in the kernel: nothing marked the key (its entry held nothing
      // but the pin); it holds our route now, to be removed.
      if (this.#state.wantAt(p.entry) < 0) this.#markDirtyAt(p.entry, k);
      if (op === 'add') counts.added++;
      else counts.replaced++;
    }
  }

  /** A failed write; `route` is its route, made once by #settle. */
  #failure(p: PlannedWrite, route: KernelRoute, err: KernelError, counts: Counts): void {
    const k = p.key;
    const op = p.op;
    counts.failed++;
    const cls = errorClass(err);
    // One line per route for the first few failures of a batch; then only the batch summary (a
    // million failures must not become a million log lines).
    const logIt = counts.failed <= FAILURES_LOGGED;
    if (cls === 'permanent') {
      this.#retries.delete(k);
      const reason = permanentReason(err.errno);
      const status: FailedRoute = { key: fibKeyText(k), prefix: route.prefix, errno: err.errno, op, reason, route: describe(route), since: this.#clock.now() };
      this.#failed.set(k, { want: op === 'remove' ? null : route, status });
      // Logged once: the route is not sent again until the route wanted at the key changes.
      if (logIt) this.#log.warn({ prefix: route.prefix, errno: err.errno, op, route: status.route, reason }, 'kernel refused the route, not retried until it changes');
      return;
    }
    const prev = this.#retries.get(k);
    const waitsForLink = cls === 'wait-for-link';
    const attempts = (prev?.attempts ?? 0) + 1;
    this.#retries.set(k, { code: err.code, attempts, waitsForLink });
    if (logIt) {
      const fields = { prefix: route.prefix, errno: err.errno, op, route: describe(route), attempts };
      if (cls === 'not-permitted') this.#log.error(fields, 'kernel route change not permitted (CAP_NET_ADMIN?)');
      else if (waitsForLink) this.#log.warn(fields, 'kernel route next hop unreachable, waiting for a link change');
      else this.#log.warn(fields, 'kernel route change failed, will retry');
    }
    if (!waitsForLink) this.#scheduleRetry();
  }

  #onEvent(e: KernelEvent): void {
    if (this.#stopped) return;
    switch (e.kind) {
      case 'route-deleted':
      case 'route-changed': {
        const k = fibKey(e.route);
        const desired = this.#state.want(k);
        const want = desired ? this.#effective(desired) : undefined;
        const ours = e.route.protocol === this.#protocol;
        // The echo of a write of ours still in the kernel (its settling updates what we hold).
        if (ours && this.#state.pinned > 0 && this.#state.flyingAt(this.#state.find(k))) {
          if (e.kind === 'route-deleted') this.#takeEcho(k); // a change's delete, counted when planned
          return;
        }
        // Another protocol's route changed: a recursive next hop may now resolve differently.
        if (!ours && this.#resolved.size > 0) {
          this.#resolved.clear();
          this.#scheduleRepair();
          return;
        }
        const have = this.#state.have(k);
        if (e.kind === 'route-changed' && ours && want && routeSatisfies(e.route, want)) return; // our own write
        // What we already hold (the re-add of our old route after a failed change): nothing new.
        if (e.kind === 'route-changed' && ours && have && routeSatisfies(e.route, have)) return;
        if (e.kind === 'route-deleted' && ours && !want && have === undefined) return; // our own delete
        if (e.kind === 'route-deleted' && ours && want && !routeSatisfies(e.route, want) && this.#takeEcho(k)) return; // a change's delete
        if (!want && have === undefined && !this.#conflicts.has(k)) return; // not a key we care about
        this.#scheduleRepair();
        return;
      }
      case 'link-up':
      case 'addr-changed':
        if (this.#resolved.size > 0) {
          this.#resolved.clear();
          this.#scheduleRepair();
        }
        this.#retryLinkWaiters();
        if (e.kind === 'addr-changed' && e.removed) this.#scheduleRepair();
        return;
      case 'link-down':
      case 'resync':
        if (e.kind === 'resync') this.#log.warn({ reason: e.reason }, 'kernel route notifications may be lost: a full re-list follows');
        this.#resolved.clear();
        this.#scheduleRepair();
        return;
    }
  }

  #takeEcho(k: FibKey): boolean {
    const n = this.#echoes.get(k) ?? 0;
    if (n === 0) return false;
    if (n === 1) this.#echoes.delete(k);
    else this.#echoes.set(k, n - 1);
    return true;
  }

  #retryLinkWaiters(): void {
    let any = false;
    for (const [k, r] of this.#retries) {
      if (r.waitsForLink) {
        this.#markDirty(k);
        any = true;
      }
    }
    if (any) this.#scheduleRepair(false);
  }

  /** Debounced: many notifications in a burst give one re-list. */
  #scheduleRepair(full = true): void {
    if (full) this.#fullPending = true;
    if (this.#cancelRepair || this.#stopped) return;
    this.#cancelRepair = this.#clock.after(this.#repairMs, () => {
      this.#cancelRepair = undefined;
      void this.#request({});
    });
  }

  #scheduleRetry(): void {
    if (this.#cancelRetry || this.#stopped) return;
    let attempts = 1;
    for (const r of this.#retries.values()) if (!r.waitsForLink && r.attempts > attempts) attempts = r.attempts;
    const delay = Math.min(this.#scanMs, this.#retryMs * 2 ** (attempts - 1));
    this.#cancelRetry = this.#clock.after(delay, () => {
      this.#cancelRetry = undefined;
      for (const [k, r] of this.#retries) if (!r.waitsForLink) this.#markDirty(k);
      if (this.#listFailed) this.#fullPending = true;
      void this.#request({});
    });
  }

  #armScan(): void {
    if (this.#stopped) return;
    this.#cancelScan = this.#clock.after(this.#scanMs, () => {
      this.#cancelScan = undefined;
      this.#scanDueSince ??= this.#clock.now();
      void this.#request({});
      this.#armScan();
    });
  }
}

/** Same route both ways (null: no route). */
function sameRoute(a: KernelRoute | null, b: KernelRoute | null): boolean {
  if (a === null || b === null) return a === b;
  return routeSatisfies(a, b) && routeSatisfies(b, a);
}

function describe(r: KernelRoute): string {
  if (r.type === 'blackhole') return `blackhole ${r.prefix}`;
  const hops = r.nextHops.map((h) => `via ${h.via}${h.dev ? ` dev ${h.dev}` : ''}${h.onlink ? ' onlink' : ''}`);
  return `${r.prefix} ${hops.join(' nexthop ')}`;
}

/**
 * The etcd layer (docs/datastore.md, "Following the datastore" and "When etcd fails"): keeps a
 * copy of every key under the prefixes wren reads, from one consistent list and then watches.
 *
 * - sync: every prefix is range-read at ONE revision (the first read's header revision), the copy
 *   replaced and diffed (resource-cache.ts), then one watch per prefix from revision + 1 with the
 *   previous values;
 * - any watch trouble (a compacted revision: etcd cancels the watch; a lost connection; a stream
 *   error) tears every watch down and goes back to sync, retried with a growing delay: a re-list
 *   diffed against the copy, so only what changed meanwhile is reported, and nothing is dropped
 *   while etcd is away (the copy stays as it was);
 * - the connection state is logged once per change of state, not per attempt;
 * - changes are coalesced (coalesce.ts) before `onChange` listeners hear of them.
 *
 * The npm `etcd3` client (docs/decisions/0009-etcd-client.md) with its own retries switched off:
 * this layer owns the retry policy. TLS client certificates and username/password come from the
 * settings (config/datastore.ts DatastoreSettings).
 */
import type { DatastoreSettings } from '../config/datastore.js';
import { readFileSync } from 'node:fs';
import { NoopPolicy } from 'cockatiel';
import { Etcd3, Range, type IDuplexStream, type IKeyValue, type IOptions, type IWatchRequest, type IWatchResponse } from 'etcd3';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { Coalescer } from './coalesce.js';
import { ResourceCache, type ResourceCounts } from './resource-cache.js';
import type { DatastoreSnapshot, RawResource } from './types.js';

/** `wren show datastore` (the etcd side; the follower adds what derivation skipped). */
export interface EtcdStatus {
  readonly connected: boolean;
  readonly endpoints: readonly string[];
  /** The revision the copy is at (0 before the first list). */
  readonly revision: number;
  /** Whether the first list has been read. */
  readonly synced: boolean;
  /** The last error seen talking to etcd, with when (ms, the layer's clock). */
  readonly lastError?: { readonly message: string; readonly atMs: number };
  /** The current state's start (ms, the layer's clock). */
  readonly sinceMs: number;
  /** Full re-lists done after the first (compaction, reconnect, watch errors). */
  readonly resyncs: number;
  readonly counts: ResourceCounts;
}

/** What the follower needs from a datastore (the etcd layer, or a fake in unit tests). */
export interface DatastoreFeed {
  /** The copy now, or undefined before the first list. */
  snapshot(): DatastoreSnapshot | undefined;
  /** Resolves with the first full snapshot. */
  firstSnapshot(): Promise<DatastoreSnapshot>;
  /** Called (coalesced) after the copy changed. */
  onChange(listener: (snapshot: DatastoreSnapshot) => void): void;
  status(): EtcdStatus;
  close(): Promise<void>;
}

export interface EtcdDatastoreOptions {
  readonly settings: EtcdSettings;
  readonly prefixes: readonly string[];
  readonly log: Logger;
  readonly clock?: Clock;
  /** Coalescing: quiet period and longest delay (ms). */
  readonly quietMs?: number;
  readonly maxDelayMs?: number;
  /** Quiet period of a burst (coalesce.ts): a batch right after a large one. */
  readonly burstQuietMs?: number;
  /** Retry delays (ms): first, and the bound it doubles up to. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Deadline of one unary call (ms). */
  readonly callTimeoutMs?: number;
}

export const DEFAULT_QUIET_MS = 20;
export const DEFAULT_MAX_DELAY_MS = 1000;
export const DEFAULT_BURST_QUIET_MS = 250;

/**
 * How to reach etcd: the connection fields of config/datastore.ts DatastoreSettings (the
 * `datastore` section completed from Calico's environment variables).
 */
export type EtcdSettings = Pick<DatastoreSettings, 'endpoints' | 'caFile' | 'certFile' | 'keyFile' | 'username' | 'password'>;

/** The etcd3 client options for these settings (TLS material read from the files now). */
export function etcdClientOptions(s: EtcdSettings, callTimeoutMs = 5000): IOptions {
  const tls = s.caFile !== undefined || s.certFile !== undefined || s.endpoints.some((e) => e.startsWith('https:'));
  const read = (f: string | undefined): Buffer | undefined => (f === undefined ? undefined : readFileSync(f));
  const ca = read(s.caFile);
  const cert = read(s.certFile);
  const key = read(s.keyFile);
  return {
    hosts: [...s.endpoints],
    dialTimeout: 3000,
    ...(tls && ca !== undefined ? { credentials: { rootCertificate: ca, ...(key ? { privateKey: key } : {}), ...(cert ? { certChain: cert } : {}) } } : {}),
    ...(s.username !== undefined && s.password !== undefined ? { auth: { username: s.username, password: s.password } } : {}),
    // The layer retries by itself (a re-list); calls fail fast instead of retrying inside the client.
    faultHandling: { host: () => new NoopPolicy(), global: new NoopPolicy() },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    grpcOptions: {
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
    },
  };
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function toRaw(kv: IKeyValue): RawResource {
  return { key: kv.key.toString('utf8'), value: kv.value.toString('utf8'), modRevision: Number(kv.mod_revision) };
}

export class EtcdDatastore implements DatastoreFeed {
  readonly #o: EtcdDatastoreOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #client: Etcd3;
  readonly #cache = new ResourceCache();
  readonly #coalescer: Coalescer;
  readonly #listeners: ((s: DatastoreSnapshot) => void)[] = [];
  /** One gRPC watch stream carries the watch of every prefix. */
  #stream: IDuplexStream<IWatchRequest, IWatchResponse> | undefined;
  /** Bumped on every teardown: events of an older stream are ignored. */
  #generation = 0;
  #connected = false;
  /** The state last logged: one line per change of state. */
  #logged: 'none' | 'up' | 'down' = 'none';
  #sinceMs: number;
  #lastError: { message: string; atMs: number } | undefined;
  #resyncs = 0;
  #retryMs: number;
  #cancelRetry: (() => void) | undefined;
  #syncing = false;
  #closed = false;
  #first: Promise<DatastoreSnapshot>;
  #resolveFirst: (s: DatastoreSnapshot) => void = () => undefined;

  constructor(o: EtcdDatastoreOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    this.#log = o.log;
    this.#sinceMs = this.#clock.now();
    this.#retryMs = o.retryMinMs ?? 200;
    this.#client = new Etcd3(etcdClientOptions(o.settings, o.callTimeoutMs));
    this.#coalescer = new Coalescer({
      clock: this.#clock,
      quietMs: o.quietMs ?? DEFAULT_QUIET_MS,
      maxDelayMs: o.maxDelayMs ?? DEFAULT_MAX_DELAY_MS,
      burstQuietMs: o.burstQuietMs ?? DEFAULT_BURST_QUIET_MS,
      fire: () => this.#emit(),
    });
    this.#first = new Promise((resolve) => {
      this.#resolveFirst = resolve;
    });
  }

  /** The client, for the writers (register.ts, ipam.ts). */
  get client(): Etcd3 {
    return this.#client;
  }

  /** Starts the first sync (retried until it succeeds or close()). */
  start(): void {
    void this.#sync();
  }

  snapshot(): DatastoreSnapshot | undefined {
    return this.#cache.listed ? this.#cache.snapshot() : undefined;
  }

  firstSnapshot(): Promise<DatastoreSnapshot> {
    return this.#first;
  }

  onChange(listener: (s: DatastoreSnapshot) => void): void {
    this.#listeners.push(listener);
  }

  status(): EtcdStatus {
    return {
      connected: this.#connected,
      endpoints: this.#o.settings.endpoints,
      revision: this.#cache.revision,
      synced: this.#cache.listed,
      ...(this.#lastError ? { lastError: { ...this.#lastError } } : {}),
      sinceMs: this.#sinceMs,
      resyncs: this.#resyncs,
      counts: this.#cache.counts(),
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#cancelRetry?.();
    this.#coalescer.cancel();
    await this.#teardown();
    this.#client.close();
  }

  /** List every prefix at one revision, diff, then watch from the next revision. */
  async #sync(): Promise<void> {
    if (this.#closed || this.#syncing) return;
    this.#syncing = true;
    const generation = this.#generation;
    try {
      const list: RawResource[] = [];
      let revision: number | undefined;
      for (const prefix of this.#o.prefixes) {
        const q = this.#client.getAll().prefix(prefix);
        if (revision !== undefined) q.revision(revision);
        const res = await q.exec();
        revision ??= Number(res.header.revision);
        for (const kv of res.kvs) list.push(toRaw(kv));
      }
      if (this.#closed || generation !== this.#generation) return;
      const rev = revision ?? 0;
      const first = !this.#cache.listed;
      const diff = this.#cache.replaceAll(list, rev);
      await this.#watch(rev + 1, generation);
      if (generation !== this.#generation) return;
      this.#setConnected(true);
      this.#retryMs = this.#o.retryMinMs ?? 200;
      if (first) {
        this.#log.info({ revision: rev, keys: list.length }, 'datastore snapshot read');
        this.#resolveFirst(this.#cache.snapshot());
        this.#emitNow();
      } else {
        this.#resyncs++;
        this.#log.info({ revision: rev, ...diff }, 'datastore re-read');
        if (diff.added + diff.changed + diff.removed > 0) this.#coalescer.poke(diff.added + diff.changed + diff.removed);
      }
    } catch (err) {
      await this.#failed(err, generation);
    } finally {
      this.#syncing = false;
    }
  }

  /**
   * One watch stream (etcd's gRPC Watch, driven directly rather than through etcd3's watch manager,
   * whose bookkeeping throws on a response for a watch it already dropped), one watch per prefix on
   * it, from `fromRevision`, with the previous values. A cancelled watch (a compacted revision),
   * a stream error or end is a failure: the layer re-lists.
   */
  async #watch(fromRevision: number, generation: number): Promise<void> {
    const stream = await this.#client.watchClient.watch();
    if (generation !== this.#generation) {
      stream.cancel();
      return;
    }
    this.#stream = stream;
    const mine = (): boolean => generation === this.#generation;
    stream.on('data', (res: IWatchResponse) => {
      if (!mine()) return;
      if (res.canceled || (res.compact_revision !== undefined && Number(res.compact_revision) > 0)) {
        const compacted = Number(res.compact_revision ?? 0) > 0 ? ` (required revision compacted; compact revision ${res.compact_revision})` : '';
        void this.#failed(new Error(`watch cancelled by etcd: ${res.cancel_reason || 'no reason given'}${compacted}`), generation);
        return;
      }
      if (!res.created) this.#onWatch(res);
    });
    stream.on('error', (err: Error) => {
      if (mine()) void this.#failed(err, generation);
    });
    stream.on('end', () => {
      if (mine()) void this.#failed(new Error('watch stream ended'), generation);
    });
    for (const prefix of this.#o.prefixes) {
      const r = Range.prefix(prefix);
      stream.write({ create_request: { key: r.start, range_end: r.end, start_revision: fromRevision, prev_kv: true, progress_notify: true } });
    }
  }

  #onWatch(res: IWatchResponse): void {
    let changed = 0;
    for (const e of res.events) {
      const r = toRaw(e.kv);
      if (e.type === 'Delete' ? this.#cache.delete(r.key, r.modRevision) : this.#cache.put(r)) changed++;
    }
    if (res.events.length === 0) this.#cache.progress(Number(res.header.revision));
    if (changed > 0) this.#coalescer.poke(changed);
  }

  /** Something went wrong: drop the watches, keep the copy, retry the sync after a growing delay. */
  async #failed(err: unknown, generation: number): Promise<void> {
    if (this.#closed || generation !== this.#generation) return;
    this.#lastError = { message: message(err), atMs: this.#clock.now() };
    await this.#teardown();
    this.#setConnected(false);
    const delay = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, this.#o.retryMaxMs ?? 5000);
    this.#log.debug({ err: message(err), retryMs: delay }, 'datastore retry scheduled');
    this.#cancelRetry = this.#clock.after(delay, () => {
      this.#cancelRetry = undefined;
      void this.#sync();
    });
  }

  async #teardown(): Promise<void> {
    this.#generation++;
    const stream = this.#stream;
    this.#stream = undefined;
    stream?.cancel();
    return Promise.resolve();
  }

  #setConnected(up: boolean): void {
    const state = up ? 'up' : 'down';
    if (state === this.#logged) return;
    const reconnected = this.#logged === 'down' && this.#cache.listed;
    this.#logged = state;
    this.#connected = up;
    this.#sinceMs = this.#clock.now();
    if (up) this.#log.info({ endpoints: this.#o.settings.endpoints, revision: this.#cache.revision, reconnected }, 'datastore connected');
    else {
      this.#log.warn(
        { endpoints: this.#o.settings.endpoints, error: this.#lastError?.message, keeping: this.#cache.listed },
        'datastore unreachable; keeping the last known state and retrying',
      );
    }
  }

  #emit(): void {
    if (this.#closed || !this.#cache.listed) return;
    this.#emitNow();
  }

  #emitNow(): void {
    const s = this.#cache.snapshot();
    for (const l of this.#listeners) l(s);
  }
}

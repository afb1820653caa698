/**
 * The main thread's side of BFD: `startBfd()` runs the engine in the BFD thread (worker.ts) and
 * keeps, on the main thread, the last status of every session (updated by each transition at once
 * and by a full report every second), so `statuses()` answers without waiting; the daemon acts on
 * transitions (daemon/bfd-link.ts). docs/decisions/0010-bfd-worker.md says why a thread.
 *
 * Three modes:
 * - `thread`: the daemon's: the built worker script (dist/bfd/worker.js) is there;
 * - `inline`: the engine on the calling thread, when there is no worker script (sources run as
 *   TypeScript, a bundle) — the same code, without the isolation from route work;
 * - `unavailable`: the native addon is missing (or too old): no session runs, each reports why.
 *
 * The BFD thread failing is a bug and ends the process (docs/architecture.md: an uncaught error is
 * never continued from); its sessions cannot be carried over to another thread without going Down.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { systemClock } from '../util/clock.js';
import { BfdEngine } from './engine.js';
import type { FromBfdThread, ToBfdThread } from './messages.js';
import type { BfdSessionSpec, BfdSessionStatus, BfdTransition } from './types.js';
import { nativeTransport, udpAvailable, type ThreadPriority } from './udp.js';
import { exitWithin } from '../util/worker-exit.js';

export interface BfdServiceHooks {
  /** A session changed state (its status after the change). */
  transition(t: BfdTransition, status: BfdSessionStatus): void;
  /** The BFD thread's scheduling, after each setPriority (thread mode only). */
  priority?(p: ThreadPriority): void;
}

export type BfdMode = 'thread' | 'inline' | 'unavailable';

export interface BfdService {
  readonly mode: BfdMode;
  /** Why no session runs (mode `unavailable`), in one line. */
  readonly unavailable: string | undefined;
  /** The sessions wanted now (the whole set: missing ones end with AdminDown). */
  configure(specs: readonly BfdSessionSpec[]): void;
  /** The BFD thread's scheduling: real-time, or nice -10 (the thread only; inline and unavailable ignore it). */
  setPriority?(realtime: boolean): void;
  /** The last known status of every configured session: states as of the last transition, counters at most a second old. */
  statuses(): BfdSessionStatus[];
  /** Statuses asked of the engine now (bounded; the last known ones if it does not answer in time). */
  refresh(timeoutMs?: number): Promise<BfdSessionStatus[]>;
  /** Every session AdminDown, every socket closed, the thread ended. */
  close(): Promise<void>;
}

/** The status a configured session has before the engine reports it. */
export function initialStatus(spec: BfdSessionSpec, problem?: string): BfdSessionStatus {
  return {
    peer: spec.peer,
    remote: spec.remote,
    ...(spec.local !== undefined ? { local: spec.local } : {}),
    multihop: spec.multihop,
    state: 'Down',
    remoteState: 'Down',
    diag: 0,
    remoteDiag: 0,
    localDiscr: 0,
    remoteDiscr: 0,
    desiredMinTxMs: Math.max(spec.minTxMs, 1000),
    requiredMinRxMs: spec.minRxMs,
    multiplier: spec.multiplier,
    remoteMinTxMs: 0,
    remoteMinRxMs: 0,
    remoteMultiplier: 0,
    txIntervalMs: Math.max(spec.minTxMs, 1000),
    rxIntervalMs: spec.minRxMs,
    detectTimeMs: 0,
    polling: false,
    heard: false,
    since: Date.now(),
    lastReceived: 0,
    ...(problem !== undefined ? { problem } : {}),
    counters: { packetsIn: 0, packetsOut: 0, discarded: 0, flaps: 0, transitions: 0, pollsCompleted: 0 },
  };
}

/** The worker script beside this module, when it exists (a build; not a bundle or a .ts run). */
export function bfdWorkerScript(): string | undefined {
  try {
    const path = fileURLToPath(new URL('./worker.js', import.meta.url));
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts BFD: in its thread when `script` (default: the built worker beside this module) exists,
 * else inline; `unavailable` without the native addon.
 */
export function startBfd(o: { readonly hooks: BfdServiceHooks; readonly script?: string | null }): BfdService {
  const addon = udpAvailable();
  if (!addon.ok) return new UnavailableBfd(`BFD needs the native addon, which is not available: ${addon.reason}`);
  const script = o.script === null ? undefined : (o.script ?? bfdWorkerScript());
  return script !== undefined ? new ThreadBfd(script, o.hooks) : new InlineBfd(o.hooks);
}

/** The last status per configured session, in configuration order. */
class Mirror {
  #specs: readonly BfdSessionSpec[] = [];
  readonly #status = new Map<string, BfdSessionStatus>();

  set specs(specs: readonly BfdSessionSpec[]) {
    this.#specs = specs;
    const wanted = new Set(specs.map((s) => s.peer));
    for (const peer of [...this.#status.keys()]) if (!wanted.has(peer)) this.#status.delete(peer);
  }

  has(peer: string): boolean {
    return this.#specs.some((s) => s.peer === peer);
  }

  update(s: BfdSessionStatus): void {
    if (this.has(s.peer)) this.#status.set(s.peer, s);
  }

  all(problem?: string): BfdSessionStatus[] {
    return this.#specs.map((spec) => this.#status.get(spec.peer) ?? initialStatus(spec, problem));
  }
}

class UnavailableBfd implements BfdService {
  readonly mode = 'unavailable';
  readonly unavailable: string;
  readonly #mirror = new Mirror();
  constructor(reason: string) {
    this.unavailable = reason;
  }
  configure(specs: readonly BfdSessionSpec[]): void {
    this.#mirror.specs = specs;
  }
  statuses(): BfdSessionStatus[] {
    return this.#mirror.all(this.unavailable);
  }
  refresh(): Promise<BfdSessionStatus[]> {
    return Promise.resolve(this.statuses());
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

class InlineBfd implements BfdService {
  readonly mode = 'inline';
  readonly unavailable = undefined;
  readonly #engine: BfdEngine;
  readonly #mirror = new Mirror();
  constructor(hooks: BfdServiceHooks) {
    this.#engine = new BfdEngine({ clock: systemClock, transport: nativeTransport(), hooks: { transition: (t, s) => hooks.transition(t, s) } });
  }
  configure(specs: readonly BfdSessionSpec[]): void {
    this.#mirror.specs = specs;
    this.#engine.configure(specs);
  }
  statuses(): BfdSessionStatus[] {
    for (const s of this.#engine.statuses()) this.#mirror.update(s);
    return this.#mirror.all();
  }
  refresh(): Promise<BfdSessionStatus[]> {
    return Promise.resolve(this.statuses());
  }
  close(): Promise<void> {
    this.#engine.close();
    return Promise.resolve();
  }
}

/** How long close() waits for the thread to end by itself before terminating it. */
const CLOSE_BOUND_MS = 2000;

class ThreadBfd implements BfdService {
  readonly mode = 'thread';
  #unavailable: string | undefined;
  readonly #worker: Worker;
  readonly #hooks: BfdServiceHooks;
  readonly #mirror = new Mirror();
  readonly #waiting = new Map<number, (s: readonly BfdSessionStatus[]) => void>();
  #ids = 0;
  #closing: Promise<void> | undefined;
  #ended = false;

  constructor(script: string, hooks: BfdServiceHooks) {
    this.#hooks = hooks;
    this.#worker = new Worker(script);
    this.#worker.unref();
    this.#worker.on('message', (m: FromBfdThread) => this.#onMessage(m));
    this.#worker.on('error', (err) => {
      throw new Error(`the BFD thread failed: ${err.message}`, { cause: err });
    });
    this.#worker.on('exit', (code) => {
      this.#ended = true;
      if (this.#closing === undefined && this.#unavailable === undefined) throw new Error(`the BFD thread exited (code ${code}) without being asked to`);
    });
  }

  get unavailable(): string | undefined {
    return this.#unavailable;
  }

  setPriority(realtime: boolean): void {
    this.#post({ type: 'priority', realtime });
  }

  configure(specs: readonly BfdSessionSpec[]): void {
    this.#mirror.specs = specs;
    this.#post({ type: 'configure', specs });
  }

  statuses(): BfdSessionStatus[] {
    return this.#mirror.all(this.#unavailable);
  }

  refresh(timeoutMs = 1000): Promise<BfdSessionStatus[]> {
    if (this.#ended || this.#closing) return Promise.resolve(this.statuses());
    const id = ++this.#ids;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        resolve(this.statuses());
      }, timeoutMs);
      this.#waiting.set(id, () => {
        clearTimeout(timer);
        resolve(this.statuses());
      });
      this.#post({ type: 'status', id });
    });
  }

  /** The thread closes its own sockets and ends (a worker is never terminated while it owns native sockets); bounded. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    const exited = new Promise<void>((resolve) => {
      if (this.#ended) resolve();
      else this.#worker.once('exit', () => resolve());
    });
    this.#post({ type: 'close' });
    this.#closing = exitWithin(this.#worker, exited, CLOSE_BOUND_MS);
    return this.#closing;
  }

  #post(m: ToBfdThread): void {
    if (!this.#ended) this.#worker.postMessage(m);
  }

  #onMessage(m: FromBfdThread): void {
    switch (m.type) {
      case 'transition':
        this.#mirror.update(m.status);
        this.#hooks.transition(m.transition, m.status);
        return;
      case 'statuses': {
        for (const s of m.sessions) this.#mirror.update(s);
        if (m.id !== undefined) {
          const w = this.#waiting.get(m.id);
          this.#waiting.delete(m.id);
          w?.(m.sessions);
        }
        return;
      }
      case 'priority':
        this.#hooks.priority?.(m.priority);
        return;
      case 'failed':
        this.#unavailable = `the BFD thread could not start: ${m.error}`;
        return;
      case 'closed':
        return;
    }
  }
}

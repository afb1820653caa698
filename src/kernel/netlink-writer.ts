/**
 * Where NetlinkKernel's batched route writes are sent from (docs/decisions/0005-bounded-route-work.md).
 *
 * The kernel applies a route message inside the sender's sendmsg(), holding its routing lock and
 * sometimes waiting for RCU grace periods: under a million-route load, one datagram was measured to
 * block its sender for up to 1.3 s. Sent from the main thread, that is a 1.3 s stall of every
 * KEEPALIVE and hold timer. So the daemon sends them from a worker thread with its own socket
 * (WorkerBatchWriter); the main thread only encodes and reads the results. InlineBatchWriter sends
 * from the calling thread: the fallback when no worker script is at hand (a bundled test driver) or
 * the worker failed.
 */
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { sendBatch, DEFAULT_BATCH_OPTIONS, type BatchOptions } from './netlink-batch.js';
import { messageCount, seqAt, type PackedBatch } from './packed-batch.js';
import { rawTransport } from './netlink-raw.js';
import { packRequest, type WorkerClose, type WorkerReply } from './netlink-writer-protocol.js';
import { exitWithin } from '../util/worker-exit.js';

const osErrno = osConstants.errno;

export { packRequest, unpackRequest, type WorkerClose, type WorkerReply, type WorkerRequest } from './netlink-writer-protocol.js';
export { rawTransport } from './netlink-raw.js';

export interface BatchWriter {
  /**
   * Sends the batch's units (messages of one unit share a datagram); errno per refused message, by
   * seq. The batch's bytes may be handed to another thread: not to be read afterwards.
   */
  write(batch: PackedBatch): Promise<Map<number, number>>;
  /** Closes the socket (and ends the thread); resolves once it is done. */
  close(): Promise<void>;
}

/** Sends from the calling thread. */
export class InlineBatchWriter implements BatchWriter {
  #raw: ReturnType<typeof rawTransport> | undefined;
  readonly #options: BatchOptions;

  constructor(options: BatchOptions = DEFAULT_BATCH_OPTIONS) {
    this.#options = options;
  }

  write(batch: PackedBatch): Promise<Map<number, number>> {
    this.#raw ??= rawTransport();
    return sendBatch(batch, this.#raw.transport, this.#options);
  }

  close(): Promise<void> {
    this.#raw?.close();
    this.#raw = undefined;
    return Promise.resolve();
  }
}

/** The worker script beside this module, when it exists (a build, not a bundle or a .ts run). */
export function workerScript(): string | undefined {
  try {
    const path = fileURLToPath(new URL('./netlink-writer-worker.js', import.meta.url));
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Batches of fewer units than this go through the in-thread fallback until one as large arrives,
 * starts the worker and is sent by it; from then on every batch is. The thread keeps the event loop
 * free while thousands of routes are written (decision 0005); a node that never writes a large
 * batch (a Calico node with a few hundred blocks) never pays for a second V8 isolate: about 12 MB
 * resident (measured: a Worker running this script, RSS before and after).
 */
export const WORKER_START_UNITS = 1024;

/**
 * Sends from a worker thread, started by the first batch of at least `startAt` units (the smaller
 * ones before it go through `fallback`). If the worker fails, the batches in flight resolve with EIO for
 * every message (the reconciler retries them) and later batches go through `fallback`. The
 * reconciler never has two writes of one key in flight (fib-sync.ts), so the two paths cannot
 * reorder the writes of a key.
 */
export class WorkerBatchWriter implements BatchWriter {
  readonly #script: string;
  readonly #startAt: number;
  #worker: Worker | undefined;
  readonly #pending = new Map<number, { batch: PackedBatch; resolve: (m: Map<number, number>) => void }>();
  readonly #options: BatchOptions;
  readonly #fallback: BatchWriter;
  #ids = 0;
  #broken: string | undefined;
  #closing: Promise<void> | undefined;

  constructor(script: string, options: BatchOptions = DEFAULT_BATCH_OPTIONS, fallback: BatchWriter = new InlineBatchWriter(options), startAt = WORKER_START_UNITS) {
    this.#script = script;
    this.#options = options;
    this.#fallback = fallback;
    this.#startAt = startAt;
  }

  /** Why the worker no longer serves (batches go through the fallback), if it does not. */
  get broken(): string | undefined {
    return this.#broken;
  }

  /** The worker thread has been started. */
  get started(): boolean {
    return this.#worker !== undefined;
  }

  write(batch: PackedBatch): Promise<Map<number, number>> {
    if (this.#broken !== undefined) return this.#fallback.write(batch);
    // A large batch starts the thread and goes to it: the message waits in the thread's queue while
    // it boots (tens of ms), off the event loop. Sent from here instead, it could hold the loop for
    // its kernel time, seconds on a loaded FIB (decision 0005).
    const worker = this.#worker ?? (batch.units.length >= this.#startAt ? this.#start() : undefined);
    if (worker === undefined) return this.#fallback.write(batch);
    // Its buffer already handed to the thread (a batch written twice): nothing can be sent.
    if (batch.bytes.byteLength === 0 && messageCount(batch) > 0) return Promise.resolve(everyMessage(batch, EIO));

    const id = ++this.#ids;
    const req = packRequest(id, batch, this.#options);
    return new Promise((resolve) => {
      this.#pending.set(id, { batch, resolve });
      try {
        worker.postMessage(req, [req.bytes]);
      } catch {
        // A request that cannot be posted: nothing was sent.
        this.#pending.delete(id);
        resolve(everyMessage(batch, EIO));
      }
    });
  }

  /** The thread, started; undefined (and the writer broken: batches go through the fallback) when it cannot be. */
  #start(): Worker | undefined {
    let worker: Worker;
    try {
      worker = new Worker(this.#script);
    } catch (err) {
      this.#broken = `worker not started: ${err instanceof Error ? err.message : String(err)}`;
      return undefined;
    }
    this.#worker = worker;
    worker.unref();
    worker.on('message', (reply: WorkerReply) => this.#onReply(reply));
    worker.on('error', (err) => this.#fail(err.message));
    worker.on('exit', (code) => this.#fail(`worker exited (${code})`));
    return worker;
  }

  /**
   * The worker closes its own socket and ends; terminating it from here while its native socket is
   * open can abort the process at exit. Bounded: terminated after CLOSE_BOUND_MS all the same.
   */
  async close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#broken ??= 'closed';
    const worker = this.#worker;
    if (worker === undefined) {
      this.#closing = this.#fallback.close();
      return this.#closing;
    }
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const msg: WorkerClose = { close: true };
    worker.postMessage(msg);
    this.#closing = (async () => {
      await exitWithin(worker, exited, CLOSE_BOUND_MS);
      await this.#fallback.close();
    })();
    return this.#closing;
  }

  #onReply(reply: WorkerReply): void {
    const p = this.#pending.get(reply.id);
    if (!p) return;
    this.#pending.delete(reply.id);
    if ('error' in reply) {
      p.resolve(everyMessage(p.batch, EIO));
      return;
    }
    const errnos = new Map<number, number>();
    for (let i = 0; i + 1 < reply.errnos.length; i += 2) errnos.set(reply.errnos[i] as number, reply.errnos[i + 1] as number);
    p.resolve(errnos);
  }

  #fail(why: string): void {
    if (this.#broken === undefined) this.#broken = why;
    for (const p of this.#pending.values()) p.resolve(everyMessage(p.batch, EIO));
    this.#pending.clear();
  }
}

const EIO = osErrno.EIO;
/** How long close() waits for the worker to end by itself. */
const CLOSE_BOUND_MS = 2000;

function everyMessage(batch: PackedBatch, errno: number): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < messageCount(batch); i++) m.set(seqAt(batch, i), errno);
  return m;
}

/** The writer the daemon uses: a worker when its script is built, else inline. */
export function defaultBatchWriter(options: BatchOptions = DEFAULT_BATCH_OPTIONS): BatchWriter {
  const script = workerScript();
  if (script === undefined) return new InlineBatchWriter(options);
  try {
    return new WorkerBatchWriter(script, options);
  } catch {
    return new InlineBatchWriter(options);
  }
}

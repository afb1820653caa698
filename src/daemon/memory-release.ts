/**
 * Memory back to the system after a large withdrawal (issue 14: "RSS after a 1M announce + full
 * withdraw back within 2x of the idle baseline").
 *
 * When the RIB cuts its columns after a withdrawal (Rib `onCompacted`), what the routes held is
 * garbage in V8's heap but still resident: V8 releases heap pages after a major collection, and
 * its memory reducer starts one on its own only 20 to 30 s after the allocation rate drops
 * (measured: docs/benchmarks.md, "Memory a table leaves behind"). This asks for full collections
 * once the daemon is quiet: no decision pending and the kernel reconciler idle (what they were still
 * holding is garbage by then too), checked every QUIET_POLL_MS, for at most MAX_WAIT_MS (a daemon
 * busy for that long gets no forced collection: V8's own reducer gives the memory back later). One
 * collection is not enough when the survivors are scattered over the heap's pages: the first marks
 * and picks fragmented pages, the next evacuates them and the pages are released (measured with a
 * script: heap 509 -> 403 -> 36 MB). So up to MAX_COLLECTIONS are run, QUIET_POLL_MS apart, until
 * the committed heap stops shrinking by a tenth; each pause is the event loop's, timed and logged (a
 * heap just emptied of a table collects in 10 to 70 ms).
 */
import type { Clock } from '../util/clock.js';
import { fullGc } from '../util/full-gc.js';
import type { Logger } from '../util/log.js';

const QUIET_POLL_MS = 1000;
const MAX_WAIT_MS = 60_000;
const MAX_COLLECTIONS = 3;
const MB = 1024 * 1024;

export interface MemoryReleaseOptions {
  readonly clock: Clock;
  readonly log: Logger;
  /** Nothing in flight that still holds the table's garbage. */
  readonly quiet: () => boolean;
  /** For tests: the collection (default: util/full-gc.ts). */
  readonly collect?: (() => void) | null;
}

export class MemoryRelease {
  readonly #o: MemoryReleaseOptions;
  #cancel: (() => void) | undefined;
  #since = 0;
  #stopped = false;

  constructor(o: MemoryReleaseOptions) {
    this.#o = o;
  }

  /** A large withdrawal happened: collect once the daemon is quiet (requests meanwhile are one). */
  request(): void {
    if (this.#cancel || this.#stopped) return;
    this.#since = this.#o.clock.now();
    this.#arm();
  }

  stop(): void {
    this.#stopped = true;
    this.#cancel?.();
    this.#cancel = undefined;
  }

  #arm(): void {
    this.#cancel = this.#o.clock.after(QUIET_POLL_MS, () => {
      this.#cancel = undefined;
      const waited = this.#o.clock.now() - this.#since;
      if (this.#o.quiet()) this.#collect(Math.round(waited), [], process.memoryUsage());
      else if (waited < MAX_WAIT_MS) this.#arm();
      else this.#o.log.debug({ waitedMs: Math.round(waited) }, 'no full GC after the withdrawal: the daemon stayed busy');
    });
  }

  /** One collection; another QUIET_POLL_MS later while the heap shrinks by a tenth or more (up to MAX_COLLECTIONS). */
  #collect(waitedMs: number, pausesMs: number[], start: NodeJS.MemoryUsage): void {
    const gc = this.#o.collect === undefined ? fullGc() : this.#o.collect;
    if (gc === null) return;
    const before = process.memoryUsage().heapTotal;
    const t0 = performance.now();
    gc();
    pausesMs.push(Math.round((performance.now() - t0) * 10) / 10);
    const after = process.memoryUsage().heapTotal;
    if (pausesMs.length < MAX_COLLECTIONS && after < before * 0.9) {
      this.#cancel = this.#o.clock.after(QUIET_POLL_MS, () => {
        this.#cancel = undefined;
        // Work came in meanwhile (a new table): no more pauses now.
        if (this.#o.quiet()) this.#collect(waitedMs, pausesMs, start);
        else this.#done(waitedMs, pausesMs, start);
      });
      return;
    }
    this.#done(waitedMs, pausesMs, start);
  }

  #done(waitedMs: number, pausesMs: readonly number[], start: NodeJS.MemoryUsage): void {
    const end = process.memoryUsage();
    this.#o.log.info(
      { waitedMs, gcPausesMs: pausesMs, heapMb: [round(start.heapTotal), round(end.heapTotal)], rssMb: [round(start.rss), round(end.rss)] },
      'memory given back after a large withdrawal (full GC)',
    );
  }
}

const round = (b: number): number => Math.round(b / MB);

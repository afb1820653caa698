/**
 * The worker-thread writer (kernel/netlink-writer.ts): the worker script (bundled here with esbuild,
 * as the build would compile it) starts, answers a batch, and ends by itself when closed — it owns a
 * native netlink socket and is never terminated from outside while the socket is open (that aborted
 * a process at exit once). Nothing is changed in the kernel: an empty batch, and messages of a type
 * rtnetlink does not know, each refused with an errno.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKER_START_UNITS, WorkerBatchWriter, type BatchWriter } from '../../../src/kernel/netlink-writer.js';
import { emptyBatch, packUnits, unpackUnits, type BatchMessage } from '../../../src/kernel/packed-batch.js';
import { encodeNlmsg } from '../../../src/kernel/rtmsg.js';

const osErrno = constants.errno;
const ROOT = join(import.meta.dirname, '..', '..', '..');
let dir: string;
let script: string;

beforeAll(async () => {
  // Inside the repository so that the bundle's `netlink` import resolves from node_modules.
  dir = mkdtempSync(join(ROOT, 'node_modules', '.wren-writer-test-'));
  script = join(dir, 'worker.cjs');
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(ROOT, 'src/kernel/netlink-writer-worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['netlink'],
    outfile: script,
    logLevel: 'silent',
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('WorkerBatchWriter', () => {
  it('answers a batch from its thread and ends by itself on close', async () => {
    const w = new WorkerBatchWriter(script, undefined, undefined, 0);
    expect(await w.write(emptyBatch())).toEqual(new Map()); // starts the thread
    expect(w.started).toBe(true);
    // A message type rtnetlink does not know: refused (EOPNOTSUPP) without touching anything.
    const units = [[{ seq: 9001, bytes: encodeNlmsg(0x7ff0, 0, 9001, Buffer.alloc(0)) }], [{ seq: 9002, bytes: encodeNlmsg(0x7ff0, 0, 9002, Buffer.alloc(0)) }]];
    const errnos = await w.write(packUnits(units));
    expect([...errnos.keys()].sort()).toEqual([9001, 9002]);
    expect(w.broken).toBeUndefined();
    const t0 = performance.now();
    await w.close();
    expect(performance.now() - t0).toBeLessThan(1500); // ended by itself, not by the 2 s bound
    expect(w.broken).toBe('closed');
  });

  it('a batch whose buffer cannot be transferred (written twice) fails every message with EIO, without rejecting', async () => {
    const w = new WorkerBatchWriter(script, undefined, undefined, 0);
    const batch = packUnits([[{ seq: 9101, bytes: encodeNlmsg(0x7ff0, 0, 9101, Buffer.alloc(0)) }]]);
    expect((await w.write(batch)).has(9101)).toBe(true); // refused by the kernel, but sent
    expect(await w.write(batch)).toEqual(new Map([[9101, osErrno.EIO]]));
    expect(w.broken).toBeUndefined();
    await w.close();
  });

  it('after close, batches go through the in-thread fallback', async () => {
    const w = new WorkerBatchWriter(script, undefined, undefined, 0);
    await w.write(emptyBatch());
    await w.close();
    expect(await w.write(emptyBatch())).toEqual(new Map());
  });

  it('starts no thread until a batch of WORKER_START_UNITS units, which the thread then sends; the smaller ones before it go through the fallback', async () => {
    const seen: number[] = [];
    const fallback: BatchWriter = {
      write: (batch) => {
        seen.push(batch.units.length);
        return Promise.resolve(new Map(unpackUnits(batch).flat().map((m) => [m.seq, 0])));
      },
      close: () => Promise.resolve(),
    };
    const w = new WorkerBatchWriter(script, undefined, fallback);
    const unit = (seq: number): BatchMessage[] => [{ seq, bytes: encodeNlmsg(0x7ff0, 0, seq, Buffer.alloc(0)) }];
    await w.write(packUnits([unit(1), unit(2)]));
    await w.write(packUnits(Array.from({ length: WORKER_START_UNITS - 1 }, (_, i) => unit(10 + i))));
    expect(w.started).toBe(false);
    expect(seen).toEqual([2, WORKER_START_UNITS - 1]);
    // The thread answers from now on: the message type rtnetlink does not know is refused there
    // (the fake fallback would have answered 0).
    const big = Array.from({ length: WORKER_START_UNITS }, (_, i) => unit(2000 + i));
    const errnos = await w.write(packUnits(big));
    expect(w.started).toBe(true);
    expect(errnos.size).toBe(WORKER_START_UNITS);
    expect(errnos.get(2000)).not.toBe(0);
    expect((await w.write(packUnits([unit(9003)]))).get(9003)).not.toBe(0);
    expect(seen).toEqual([2, WORKER_START_UNITS - 1]);
    await w.close();
  });

  it('a thread that cannot be started leaves the writer on the fallback, broken, without throwing', async () => {
    // A path that is neither absolute nor ./-relative: new Worker throws at once (ERR_WORKER_PATH).
    const w = new WorkerBatchWriter('no-such-script.cjs', undefined, undefined, 0);
    const errnos = await w.write(emptyBatch());
    expect(errnos).toEqual(new Map());
    await w.close();
    expect(w.broken).toBeDefined();
  });

  it('a writer that never started its thread closes at once', async () => {
    const w = new WorkerBatchWriter(script);
    await w.write(emptyBatch());
    const t0 = performance.now();
    await w.close();
    expect(w.started).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

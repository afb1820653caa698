/**
 * The worker-thread writer (kernel/netlink-writer.ts): the worker script (bundled here with esbuild,
 * as the build would compile it) starts, answers a batch, and ends by itself when closed — it owns a
 * native netlink socket and is never terminated from outside while the socket is open (that aborted
 * a process at exit once). Nothing is changed in the kernel: an empty batch, and messages of a type
 * rtnetlink does not know, each refused with an errno.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerBatchWriter } from '../../../src/kernel/netlink-writer.js';
import { encodeNlmsg } from '../../../src/kernel/rtmsg.js';

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
    const w = new WorkerBatchWriter(script);
    expect(await w.write([])).toEqual(new Map());
    // A message type rtnetlink does not know: refused (EOPNOTSUPP) without touching anything.
    const units = [[{ seq: 9001, bytes: encodeNlmsg(0x7ff0, 0, 9001, Buffer.alloc(0)) }], [{ seq: 9002, bytes: encodeNlmsg(0x7ff0, 0, 9002, Buffer.alloc(0)) }]];
    const errnos = await w.write(units);
    expect([...errnos.keys()].sort()).toEqual([9001, 9002]);
    expect(w.broken).toBeUndefined();
    const t0 = performance.now();
    await w.close();
    expect(performance.now() - t0).toBeLessThan(1500); // ended by itself, not by the 2 s bound
    expect(w.broken).toBe('closed');
  });

  it('after close, batches go through the in-thread fallback', async () => {
    const w = new WorkerBatchWriter(script);
    await w.close();
    expect(await w.write([])).toEqual(new Map());
  });
});

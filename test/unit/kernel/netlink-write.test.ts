/**
 * NetlinkKernel.write's encoding into one packed batch (kernel/netlink.ts, packed-batch.ts), with
 * the batch writer injected (nothing is sent to the kernel; only blackhole routes and removals, so
 * not even the links are read): a numeric FibKey gives the same bytes as the prefix text; a write
 * whose route cannot be encoded fails alone and leaves no message of it in the batch; each write's
 * result comes from the errnos of its own messages.
 */
import { constants as os } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { NetlinkKernel } from '../../../src/kernel/netlink.js';
import type { BatchWriter } from '../../../src/kernel/netlink-writer.js';
import { unpackUnits, type PackedBatch } from '../../../src/kernel/packed-batch.js';
import { fibKey, type KernelRoute, type KernelWrite } from '../../../src/kernel/port.js';

/** Keeps the batches it is given and answers with the errnos `answer` picks (by message index). */
class Capture implements BatchWriter {
  readonly batches: { seq: number; hex: string }[][][] = [];
  answer: (i: number) => number = () => 0;
  write(batch: PackedBatch): Promise<Map<number, number>> {
    const units = unpackUnits(batch).map((u) => u.map((m) => ({ seq: m.seq, hex: Buffer.from(m.bytes).toString('hex') })));
    this.batches.push(units);
    const errnos = new Map<number, number>();
    units.flat().forEach((m, i) => {
      const e = this.answer(i);
      if (e !== 0) errnos.set(m.seq, e);
    });
    return Promise.resolve(errnos);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const hole = (prefix: string, metric = 0): KernelRoute => ({ prefix, table: 254, protocol: 12, metric, type: 'blackhole', nextHops: [] });
/** The message bytes without the sequence number (bytes 8..11 of the header). */
const noSeq = (hex: string): string => hex.slice(0, 16) + hex.slice(24);

let kernel: NetlinkKernel | undefined;
afterEach(async () => {
  await kernel?.close();
  kernel = undefined;
});

describe('NetlinkKernel.write into one packed batch', () => {
  it('encodes the destination from a numeric key exactly as from the prefix text', async () => {
    const w = new Capture();
    kernel = new NetlinkKernel({ writer: w });
    const routes = [hole('10.65.1.0/26'), hole('10.65.2.64/26', 7), hole('0.0.0.0/0'), hole('192.0.2.1/32')];
    const writes = (keyed: boolean): KernelWrite[] =>
      routes.flatMap((r): KernelWrite[] => {
        const key = keyed ? { key: fibKey(r) } : {};
        return [{ op: 'add', route: r, ...key }, { op: 'remove', route: r, ...key }, { op: 'change', from: r, route: r, ...key }];
      });
    expect(await kernel.write(writes(true))).toEqual(writes(true).map(() => null));
    await kernel.write(writes(false));
    expect(routes.every((r) => typeof fibKey(r) === 'number')).toBe(true);
    const [byKey, byText] = w.batches.map((b) => b.map((u) => u.map((m) => noSeq(m.hex))));
    expect(byKey).toEqual(byText);
    expect(byKey?.map((u) => u.length)).toEqual(routes.flatMap(() => [1, 1, 3]));
  });

  it("a numeric key of another table or metric is not taken for the route's destination: its text is", async () => {
    const w = new Capture();
    kernel = new NetlinkKernel({ writer: w });
    const r = hole('10.65.1.0/26');
    const other = fibKey(hole('10.99.0.0/16', 9)) as number; // another prefix, metric 9
    await kernel.write([{ op: 'remove', route: r, key: other }]);
    await kernel.write([{ op: 'remove', route: r }]);
    const [withKey, byText] = w.batches.map((b) => b.flat().map((m) => noSeq(m.hex)));
    expect(withKey).toEqual(byText);
  });

  it('a write that cannot be encoded fails alone: none of its messages is in the batch', async () => {
    const w = new Capture();
    kernel = new NetlinkKernel({ writer: w });
    const bad: KernelRoute = { ...hole('10.65.9.0/26'), type: 'unicast' }; // unicast without next hops
    const results = await kernel.write([
      { op: 'add', route: hole('10.65.1.0/26') },
      { op: 'change', from: hole('10.65.9.0/26'), route: bad },
      { op: 'change', from: hole('10.65.8.0/26'), route: hole('10.65.7.0/26') }, // not the same key
      { op: 'remove', route: hole('10.65.2.0/26') },
    ]);
    expect(results[0]).toBeNull();
    expect(results[1]?.op).toBe('add');
    expect(results[2]?.code).toBe('EINVAL');
    expect(results[3]).toBeNull();
    const [batch] = w.batches;
    expect(batch?.map((u) => u.length)).toEqual([1, 1]);
    // Sequence numbers stay consecutive across the dropped unit (those it took are handed out again).
    const seqs = batch?.flat().map((m) => m.seq) ?? [];
    expect(seqs[1]).toBe((seqs[0] as number) + 1);
  });

  it('a writer that throws gives every write an error instead of rejecting', async () => {
    const broken: BatchWriter = { write: () => Promise.reject(new Error('writer gone')), close: () => Promise.resolve() };
    kernel = new NetlinkKernel({ writer: broken });
    const results = await kernel.write(Array.from({ length: 600 }, (_, i) => ({ op: 'remove' as const, route: hole(`10.66.${i >> 4}.${(i & 15) * 16}/28`) })));
    expect(results.every((e) => e !== null && e.op === 'remove')).toBe(true);
  });

  it("each write's result comes from its own messages' errnos (a delete finding nothing is done)", async () => {
    const w = new Capture();
    kernel = new NetlinkKernel({ writer: w });
    // Messages in order: add(0) | remove(1) | change: del(2) add(3) re-add(4) | remove(5)
    w.answer = (i) => [os.errno.EEXIST, os.errno.ESRCH, os.errno.ESRCH, os.errno.EEXIST, 0, os.errno.EPERM][i] ?? 0;
    const r = hole('10.65.1.0/26');
    const results = await kernel.write([
      { op: 'add', route: r },
      { op: 'remove', route: hole('10.65.2.0/26') },
      { op: 'change', from: hole('10.65.3.0/26'), route: hole('10.65.3.0/26', 0) },
      { op: 'remove', route: hole('10.65.4.0/26') },
    ]);
    expect(results.map((e) => (e === null ? null : `${e.op} ${e.code}`))).toEqual(['add EEXIST', null, 'add EEXIST', 'remove EPERM']);
  });
});

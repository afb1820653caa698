/**
 * The batched-write state machine (kernel/netlink-batch.ts) over a scripted transport: datagram
 * packing (units never split, ACK only on the last message), the window, errors by sequence
 * number, partial ACKs, a datagram that could not be sent (ENOBUFS on send: all of the batch, or
 * one datagram of several), ACKs for unknown or settled sequence numbers, and the no-progress
 * timeout (also for one datagram among others that complete); a batch whose messages are not back
 * to back, and errors matched when sequence numbers are not consecutive. Plus the packed batch
 * (kernel/packed-batch.ts) and the worker request (kernel/netlink-writer.ts).
 */
import { describe, expect, it } from 'vitest';
import { ETIMEDOUT, sendBatch, type BatchTransport } from '../../../src/kernel/netlink-batch.js';
import { packRequest, unpackRequest } from '../../../src/kernel/netlink-writer.js';
import { emptyBatch, PackedBatchBuilder, packUnits, unpackUnits, type BatchMessage, type PackedBatch } from '../../../src/kernel/packed-batch.js';
import { encodeNlmsg, NLM_F_ACK } from '../../../src/kernel/rtmsg.js';

const msg = (seq: number, size = 64): BatchMessage => ({ seq, bytes: encodeNlmsg(24, 0, seq, Buffer.alloc(size - 16)) });
const units = (n: number, perUnit = 1, first = 1): PackedBatch =>
  packUnits(Array.from({ length: n }, (_, i) => Array.from({ length: perUnit }, (_, j) => msg(first + i * perUnit + j))));

/** The messages of a datagram: seq and whether it asks for an ACK. */
function messagesOf(d: Buffer): { seq: number; ack: boolean }[] {
  const out: { seq: number; ack: boolean }[] = [];
  for (let at = 0; at < d.length; ) {
    const len = d.readUInt32LE(at);
    out.push({ seq: d.readUInt32LE(at + 8), ack: (d.readUInt16LE(at + 6) & NLM_F_ACK) !== 0 });
    at += (len + 3) & ~3;
  }
  return out;
}

/** A transport that records datagrams; the test answers them with `reply`. */
class Script implements BatchTransport {
  readonly datagrams: { seq: number; ack: boolean }[][] = [];
  #ack: ((seq: number, errno: number) => void) | undefined;
  #sent = 0;
  /** Every send fails with this errno. */
  sendFails: number | undefined;
  /** The send of the n-th datagram (from 0) fails with the errno returned, if any. */
  sendFailsAt: ((n: number) => number | undefined) | undefined;
  listening = false;
  send(datagram: Buffer, failed: (errno: number) => void): void {
    this.datagrams.push(messagesOf(datagram));
    const f = this.sendFails ?? this.sendFailsAt?.(this.#sent);
    this.#sent++;
    if (f !== undefined) setImmediate(() => failed(f));
  }
  listen(ack: (seq: number, errno: number) => void): () => void {
    this.#ack = ack;
    this.listening = true;
    return () => {
      this.listening = false;
      this.#ack = undefined;
    };
  }
  reply(seq: number, errno = 0): void {
    this.#ack?.(seq, errno);
  }
  /** Acknowledges every datagram sent so far (the last message of each). */
  ackAll(): void {
    for (const d of this.datagrams.splice(0)) this.reply(d[d.length - 1]?.seq ?? 0);
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function drive(t: Script, done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) {
    await tick();
    t.ackAll();
  }
}

describe('sendBatch', () => {
  it('packs whole units into datagrams, asks for an ACK on the last message only, and resolves when all are acknowledged', async () => {
    const t = new Script();
    let result: Map<number, number> | undefined;
    void sendBatch(units(10, 3), t, { window: 1000, datagramBytes: 400, timeoutMs: 5000 }).then((r) => (result = r));
    const sent = [...t.datagrams];
    // A datagram closes at the first unit boundary at or past 400 bytes: three 192-byte units.
    expect(sent.map((d) => d.length)).toEqual([9, 9, 9, 3]);
    for (const d of sent) expect(d.map((m) => m.ack)).toEqual(d.map((_, i) => i === d.length - 1));
    await drive(t, () => result !== undefined);
    expect(result).toEqual(new Map());
    expect(t.listening).toBe(false);
  });

  it('keeps at most `window` messages waiting for their ACK', async () => {
    const t = new Script();
    let result: Map<number, number> | undefined;
    void sendBatch(units(100), t, { window: 10, datagramBytes: 5 * 64, timeoutMs: 5000 }).then((r) => (result = r));
    expect(t.datagrams.flat().length).toBe(10);
    t.ackAll();
    await tick();
    expect(t.datagrams.flat().length).toBe(10);
    await drive(t, () => result !== undefined);
    expect(result?.size).toBe(0);
  });

  it('reports the errno of each refused message by sequence number (errors before the ACK of their datagram)', async () => {
    const t = new Script();
    let result: Map<number, number> | undefined;
    void sendBatch(units(4), t, { window: 100, datagramBytes: 10_000, timeoutMs: 5000 }).then((r) => (result = r));
    expect(t.datagrams).toHaveLength(1);
    t.reply(2, 22); // EINVAL for message 2, then the datagram's ACK (message 4)
    t.reply(4, 0);
    await drive(t, () => result !== undefined);
    expect(result).toEqual(new Map([[2, 22]]));
  });

  it('the last message of a datagram may fail too: its error is the datagram ACK', async () => {
    const t = new Script();
    let result: Map<number, number> | undefined;
    void sendBatch(units(2), t, { window: 100, datagramBytes: 10_000, timeoutMs: 5000 }).then((r) => (result = r));
    t.reply(2, 17); // EEXIST
    await drive(t, () => result !== undefined);
    expect(result).toEqual(new Map([[2, 17]]));
  });

  it('a datagram that could not be sent fails each of its messages with the send error', async () => {
    const t = new Script();
    t.sendFails = 105; // ENOBUFS
    const result = await sendBatch(units(3), t, { window: 100, datagramBytes: 10_000, timeoutMs: 5000 });
    expect(result).toEqual(new Map([[1, 105], [2, 105], [3, 105]]));
  });

  it('without progress for timeoutMs, every unanswered message fails with ETIMEDOUT (the answered ones keep their result)', async () => {
    const t = new Script();
    const p = sendBatch(units(4), t, { window: 100, datagramBytes: 2 * 64, timeoutMs: 50 });
    const [first] = t.datagrams;
    t.reply(first?.[1]?.seq ?? 0); // the first datagram (1, 2) is done; the second never answers
    const result = await p;
    expect(result).toEqual(new Map([[3, ETIMEDOUT], [4, ETIMEDOUT]]));
    expect(t.listening).toBe(false);
  });

  it('ENOBUFS on the send of one datagram fails only its messages; the other datagrams complete', async () => {
    const t = new Script();
    const ENOBUFS = 105;
    t.sendFailsAt = (n) => (n === 1 ? ENOBUFS : undefined);
    let result: Map<number, number> | undefined;
    void sendBatch(units(6), t, { window: 100, datagramBytes: 2 * 64, timeoutMs: 5000 }).then((r) => (result = r));
    expect(t.datagrams.map((d) => d.map((m) => m.seq))).toEqual([[1, 2], [3, 4], [5, 6]]);
    t.reply(2);
    t.reply(6);
    await drive(t, () => result !== undefined);
    expect(result).toEqual(new Map([[3, ENOBUFS], [4, ENOBUFS]]));
    expect(t.listening).toBe(false);
  });

  it('an ACK for an unknown sequence number, or a second ACK of a settled datagram, is ignored', async () => {
    const t = new Script();
    let result: Map<number, number> | undefined;
    void sendBatch(units(4), t, { window: 100, datagramBytes: 2 * 64, timeoutMs: 5000 }).then((r) => (result = r));
    t.reply(999, 22); // not ours (another batch on the socket, say)
    t.reply(2); // datagram (1, 2) done
    t.reply(2, 17); // the same ACK again, now with an error: no effect
    t.reply(1, 22); // an error for a message of a settled datagram: no effect
    await tick();
    expect(result).toBeUndefined(); // datagram (3, 4) is still due
    t.reply(4);
    await tick();
    expect(result).toEqual(new Map());
  });

  it('on the timeout, the messages never sent (the window full) fail with ETIMEDOUT too: none is reported done', async () => {
    const t = new Script();
    // One message per datagram, two in flight at most: messages 3 and 4 wait for a window that never opens.
    const result = await sendBatch(units(4), t, { window: 2, datagramBytes: 64, timeoutMs: 50 });
    expect(t.datagrams.flat().map((m) => m.seq)).toEqual([1, 2]);
    expect(result).toEqual(new Map([[1, ETIMEDOUT], [2, ETIMEDOUT], [3, ETIMEDOUT], [4, ETIMEDOUT]]));
  });

  it('a datagram whose ACK never comes times out while the datagrams around it complete', async () => {
    const t = new Script();
    const p = sendBatch(units(6), t, { window: 100, datagramBytes: 2 * 64, timeoutMs: 50 });
    t.reply(1, 22); // an error in the first datagram, then its ACK
    t.reply(2);
    t.reply(6); // the third datagram is done
    t.reply(3, 17); // the second (3, 4) answers for message 3 only (an error); its ACK never comes
    expect(await p).toEqual(new Map([[1, 22], [3, 17], [4, ETIMEDOUT]]));
    expect(t.listening).toBe(false);
  });

  it('partial ACKs: an error for a message does not settle its datagram; the window frees only with the datagram ACK', async () => {
    const t = new Script();
    let result: Map<number, number> | undefined;
    // Window of 3 messages, 3 messages per datagram: one datagram in flight at a time.
    void sendBatch(units(6), t, { window: 3, datagramBytes: 3 * 64, timeoutMs: 5000 }).then((r) => (result = r));
    expect(t.datagrams).toHaveLength(1);
    t.reply(1, 22);
    t.reply(2, 17);
    await tick();
    await tick();
    expect(t.datagrams).toHaveLength(1); // still waiting for message 3, the datagram's ACK
    t.reply(3);
    await tick();
    expect(t.datagrams).toHaveLength(2);
    expect(result).toBeUndefined();
    t.reply(6);
    await tick();
    expect(result).toEqual(new Map([[1, 22], [2, 17]]));
  });

  it('resolves at once for an empty batch', async () => {
    const t = new Script();
    expect(await sendBatch(emptyBatch(), t)).toEqual(new Map());
    expect(t.datagrams).toEqual([]);
  });
});

describe('sendBatch over any packing', () => {
  it('sends the same datagrams when the messages are not back to back in the buffer (copied together)', async () => {
    // Message 2 stored before message 1: offsets out of order.
    const a = msg(1, 64);
    const b = msg(2, 80);
    const bytes = new Uint8Array(144);
    bytes.set(b.bytes, 0);
    bytes.set(a.bytes, 80);
    const batch: PackedBatch = { bytes, messages: [1, 80, 64, 2, 0, 80], units: [1, 1] };
    const t = new Script();
    let result: Map<number, number> | undefined;
    void sendBatch(batch, t, { window: 100, datagramBytes: 10_000, timeoutMs: 5000 }).then((r) => (result = r));
    expect(t.datagrams).toEqual([[{ seq: 1, ack: false }, { seq: 2, ack: true }]]);
    t.reply(1, 22);
    t.reply(2);
    await tick();
    expect(result).toEqual(new Map([[1, 22]]));
  });

  it('sequence numbers whose first and last differ by the count are still matched one by one when not consecutive', async () => {
    const batch = packUnits([[msg(1)], [msg(5)], [msg(3)]]);
    const t = new Script();
    let result: Map<number, number> | undefined;
    void sendBatch(batch, t, { window: 100, datagramBytes: 10_000, timeoutMs: 5000 }).then((r) => (result = r));
    t.reply(5, 22); // ours, in the middle
    t.reply(2, 22); // not ours, though 1 + 1
    t.reply(3);
    await tick();
    expect(result).toEqual(new Map([[5, 22]]));
  });

  it('matches an error to its message when the sequence numbers of a datagram are not consecutive', async () => {
    const batch = packUnits([[msg(10)], [msg(30)], [msg(20)], [msg(40)]]);
    const t = new Script();
    let result: Map<number, number> | undefined;
    void sendBatch(batch, t, { window: 100, datagramBytes: 10_000, timeoutMs: 5000 }).then((r) => (result = r));
    t.reply(20, 22);
    t.reply(25, 22); // not a message of ours
    t.reply(40);
    await tick();
    expect(result).toEqual(new Map([[20, 22]]));
  });
});

describe('PackedBatchBuilder (packed-batch.ts)', () => {
  const write = (into: PackedBatchBuilder, seq: number, len: number, fill: number): void => {
    const at = into.reserve(len);
    into.buffer.fill(fill, at, at + len - 1); // the last byte left as it is: padding a writer skips
    into.push(seq, len);
  };

  it('packs units back to back, grows past its first guess, and drops an abandoned unit (its room zeroed when reused)', () => {
    const into = new PackedBatchBuilder(1, 8);
    write(into, 1, 100, 0xaa);
    into.endUnit();
    write(into, 2, 100, 0xbb);
    write(into, 3, 60, 0xbb);
    into.abandonUnit();
    write(into, 4, 40, 0xcc);
    write(into, 5, 300, 0xdd);
    into.endUnit();
    const b = into.build();
    expect(unpackUnits(b).map((u) => u.map((m) => [m.seq, m.bytes.length]))).toEqual([[[1, 100]], [[4, 40], [5, 300]]]);
    expect(b.bytes.byteLength).toBe(440);
    expect(b.bytes[139]).toBe(0); // the last byte of message 4 was message 2's: zeroed
    expect(b.bytes[99]).toBe(0);
    expect(b.bytes[100]).toBe(0xcc);
    expect(b.bytes.byteOffset).toBe(0);
    expect(b.bytes.buffer.byteLength).toBeGreaterThanOrEqual(440); // an ArrayBuffer of its own (transferable)
  });

  it('room a writer reserved and wrote into, then threw before pushing, is zeroed when reserved again', () => {
    const into = new PackedBatchBuilder(4, 8);
    const at = into.reserve(32);
    into.buffer.fill(0xee, at, at + 32); // written, then the writer threw: never pushed
    into.abandonUnit();
    const again = into.reserve(32);
    expect(again).toBe(at);
    expect([...into.buffer.subarray(again, again + 32)].every((b) => b === 0)).toBe(true);
  });

  it('packUnits and unpackUnits are inverse', () => {
    const u = [[msg(7, 40), msg(8, 80)], [msg(9, 120)]];
    const back = unpackUnits(packUnits(u));
    expect(back.map((x) => x.map((m) => m.seq))).toEqual([[7, 8], [9]]);
    expect(back.flat().map((m, i) => Buffer.from(m.bytes).equals(Buffer.from(u.flat()[i]?.bytes ?? [])))).toEqual([true, true, true]);
  });
});

describe('worker requests (netlink-writer.ts)', () => {
  it('a request carries the batch: its buffer (to transfer), messages and units', () => {
    const batch = packUnits([[msg(7, 40), msg(8, 80)], [msg(9, 120)]]);
    const req = packRequest(1, batch, { window: 1, datagramBytes: 2, timeoutMs: 3 });
    expect(req.bytes).toBe(batch.bytes.buffer);
    const back = unpackRequest(structuredClone(req, { transfer: [req.bytes] }));
    expect(unpackUnits(back).map((x) => x.map((m) => m.seq))).toEqual([[7, 8], [9]]);
    expect(back.bytes.byteLength).toBe(240);
    expect(batch.bytes.byteLength).toBe(0); // transferred, not copied
  });
});

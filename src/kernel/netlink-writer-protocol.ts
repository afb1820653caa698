/** The messages between WorkerBatchWriter (netlink-writer.ts) and its worker thread (netlink-writer-worker.ts). */
import type { BatchMessage, BatchOptions } from './netlink-batch.js';

/** A batch as posted to the worker: one buffer (transferred) and where each message is in it. */
export interface WorkerRequest {
  readonly id: number;
  readonly bytes: ArrayBuffer;
  /** Per message: seq, offset, length. */
  readonly messages: readonly number[];
  /** Per unit: how many of the messages (in order) it has. */
  readonly units: readonly number[];
  readonly options: BatchOptions;
}

export type WorkerReply = { readonly id: number; readonly errnos: readonly number[] } | { readonly id: number; readonly error: string };

/** Asks the worker to close its socket and end (it never is terminated from outside while it owns one). */
export interface WorkerClose {
  readonly close: true;
}

/** Packs units into a WorkerRequest: one fresh buffer of its own (transferable, never a pool slice). */
export function packRequest(id: number, units: readonly (readonly BatchMessage[])[], options: BatchOptions): WorkerRequest {
  let total = 0;
  for (const u of units) for (const m of u) total += m.bytes.length;
  const bytes = new Uint8Array(total);
  const messages: number[] = [];
  const counts: number[] = [];
  let at = 0;
  for (const u of units) {
    counts.push(u.length);
    for (const m of u) {
      bytes.set(m.bytes, at);
      messages.push(m.seq, at, m.bytes.length);
      at += m.bytes.length;
    }
  }
  return { id, bytes: bytes.buffer, messages, units: counts, options };
}

/** The units of a WorkerRequest, as views of its buffer. */
export function unpackRequest(r: WorkerRequest): BatchMessage[][] {
  const buf = Buffer.from(r.bytes);
  const out: BatchMessage[][] = [];
  let m = 0;
  for (const n of r.units) {
    const unit: BatchMessage[] = [];
    for (let i = 0; i < n; i++, m++) {
      const seq = r.messages[3 * m] as number;
      const off = r.messages[3 * m + 1] as number;
      const len = r.messages[3 * m + 2] as number;
      unit.push({ seq, bytes: buf.subarray(off, off + len) });
    }
    out.push(unit);
  }
  return out;
}

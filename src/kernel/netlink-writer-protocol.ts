/** The messages between WorkerBatchWriter (netlink-writer.ts) and its worker thread (netlink-writer-worker.ts). */
import type { BatchOptions } from './netlink-batch.js';
import type { PackedBatch } from './packed-batch.js';

/** A batch as posted to the worker: its buffer transferred (not copied), the message and unit tables cloned. */
export interface WorkerRequest {
  readonly id: number;
  readonly bytes: ArrayBuffer;
  readonly byteOffset: number;
  readonly byteLength: number;
  /** Per message: seq, offset, length. */
  readonly messages: ArrayLike<number>;
  /** Per unit: how many of the messages (in order) it has. */
  readonly units: ArrayLike<number>;
  readonly options: BatchOptions;
}

export type WorkerReply = { readonly id: number; readonly errnos: readonly number[] } | { readonly id: number; readonly error: string };

/** Asks the worker to close its socket and end (it never is terminated from outside while it owns one). */
export interface WorkerClose {
  readonly close: true;
}

/**
 * A batch as a WorkerRequest. Its buffer goes in the transfer list (packed-batch.ts makes it an
 * ArrayBuffer of its own, never a slice of Node.js's pool): the batch's bytes are unusable here
 * afterwards; its message table stays (the writer reads the sequence numbers if the worker fails).
 */
export function packRequest(id: number, batch: PackedBatch, options: BatchOptions): WorkerRequest {
  const b = batch.bytes;
  return { id, bytes: b.buffer as ArrayBuffer, byteOffset: b.byteOffset, byteLength: b.byteLength, messages: batch.messages, units: batch.units, options };
}

/** The batch of a WorkerRequest. */
export function unpackRequest(r: WorkerRequest): PackedBatch {
  return { bytes: new Uint8Array(r.bytes, r.byteOffset, r.byteLength), messages: r.messages, units: r.units };
}

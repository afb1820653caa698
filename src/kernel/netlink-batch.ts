/**
 * A batch of route messages through one rtnetlink socket, pipelined (NetlinkKernel.write):
 *
 * - messages are packed many per datagram (up to `datagramBytes`); the messages of one unit (the
 *   delete, add and re-add of a route change) always share a datagram, so the kernel handles them
 *   back to back, in order, within one sendmsg();
 * - only the last message of a datagram asks for an ACK: the kernel answers the others only when
 *   they fail, so that ACK means the whole datagram is done (one reply per datagram, not per route);
 * - at most `window` messages wait for their ACK at once; ACKs are matched by sequence number, an
 *   error for a message inside a datagram by the datagram's range of them;
 * - no progress for `timeoutMs`: every message still unanswered, or not sent yet, fails with ETIMEDOUT;
 * - a datagram that never reached the kernel: its messages fail with the send error;
 * - the kernel handles a datagram inside our sendmsg() (under its routing lock, waiting out whoever
 *   holds it and RCU grace periods), so sends are spread over turns of the event loop (util/slice.ts).
 *
 * The batch is one buffer (packed-batch.ts): a datagram is a view of consecutive messages in it.
 * The socket is injected (BatchTransport): the daemon runs this in a worker thread
 * (netlink-writer-worker.ts), so that a slow sendmsg() never holds the main event loop.
 */
import { constants as osConstants } from 'node:os';
import { Slicer } from '../util/slice.js';
import type { PackedBatch } from './packed-batch.js';
import { setNlmsgAckAt } from './rtmsg.js';

export const ETIMEDOUT = osConstants.errno.ETIMEDOUT;

export type { BatchMessage, PackedBatch } from './packed-batch.js';

export interface BatchTransport {
  /** Sends one datagram; calls `failed(errno)` when it could not be sent. */
  send(datagram: Buffer, failed: (errno: number) => void): void;
  /** Hands every ACK or error the kernel sends back to `ack(seq, errno)` until the returned function is called. */
  listen(ack: (seq: number, errno: number) => void): () => void;
}

export interface BatchOptions {
  /** Messages waiting for their ACK at once. */
  readonly window: number;
  /** A datagram is closed once it holds this many bytes (a unit is never split). */
  readonly datagramBytes: number;
  /** No ACK for this long fails what is still unanswered. */
  readonly timeoutMs: number;
}

export const DEFAULT_BATCH_OPTIONS: BatchOptions = { window: 8192, datagramBytes: 32 * 1024, timeoutMs: 5000 };

/** A datagram sent and not settled: its first and last message (indexes in the batch). */
interface Datagram {
  readonly first: number;
  readonly last: number;
  readonly firstSeq: number;
  /** Its sequence numbers are first's plus the index: a message is found by arithmetic. */
  readonly consecutive: boolean;
}

/**
 * Sends every unit; resolves with the errno of each message the kernel refused (or that never got
 * an answer), by sequence number. Never rejects. The datagrams in flight are kept by the sequence
 * number of their last message (the one whose ACK settles them); an error for another message is
 * matched to its datagram by range, not through an entry per message.
 */
export function sendBatch(batch: PackedBatch, t: BatchTransport, o: BatchOptions = DEFAULT_BATCH_OPTIONS): Promise<Map<number, number>> {
  const errnos = new Map<number, number>();
  const msgs = batch.messages;
  const units = batch.units;
  if (msgs.length === 0) return Promise.resolve(errnos);
  const buf = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  const seq = (i: number): number => msgs[3 * i] as number;
  const offset = (i: number): number => msgs[3 * i + 1] as number;
  const length = (i: number): number => msgs[3 * i + 2] as number;
  return new Promise<Map<number, number>>((resolve) => {
    /** Datagrams sent and not settled, by the sequence number of their last message. */
    const open = new Map<number, Datagram>();
    let nextUnit = 0;
    let nextMsg = 0;
    let inFlight = 0;
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let pumpScheduled = false;

    const finish = (): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      unlisten();
      resolve(errnos);
    };
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        for (const d of open.values()) for (let i = d.first; i <= d.last; i++) if (!errnos.has(seq(i))) errnos.set(seq(i), ETIMEDOUT);
        // The messages never sent (the window stayed full) fail too: none of them reached the kernel.
        for (let i = nextMsg; i < msgs.length / 3; i++) errnos.set(seq(i), ETIMEDOUT);
        finish();
      }, o.timeoutMs);
    };
    const settle = (lastSeq: number, d: Datagram): void => {
      open.delete(lastSeq);
      inFlight -= d.last - d.first + 1;
      if (nextUnit >= units.length && inFlight === 0) finish();
      else {
        arm();
        schedulePump();
      }
    };
    /** An error for a message that is not the last of its datagram: recorded if its datagram is open. */
    const refused = (s: number, errno: number): void => {
      for (const d of open.values()) {
        if (d.consecutive) {
          const i = d.first + (s - d.firstSeq);
          if (i >= d.first && i < d.last) {
            errnos.set(s, errno);
            return;
          }
          continue;
        }
        for (let i = d.first; i < d.last; i++) {
          if (seq(i) === s) {
            errnos.set(s, errno);
            return;
          }
        }
      }
    };
    const unlisten = t.listen((s, errno) => {
      if (done) return;
      const d = open.get(s);
      if (d === undefined) {
        if (errno !== 0) refused(s, errno);
        return;
      }
      if (errno !== 0) errnos.set(s, errno);
      settle(s, d);
    });
    const schedulePump = (): void => {
      if (pumpScheduled) return;
      pumpScheduled = true;
      // Never from inside the socket's receive callback: the send path must not be re-entered from
      // the read loop of the native socket (it aborts the process).
      setImmediate(() => {
        pumpScheduled = false;
        pump();
      });
    };
    const pump = (): void => {
      const slicer = new Slicer();
      while (!done && nextUnit < units.length && inFlight < o.window) {
        if (slicer.spent) {
          schedulePump();
          return;
        }
        const first = nextMsg;
        let size = 0;
        let contiguous = true;
        let consecutive = true;
        while (nextUnit < units.length && size < o.datagramBytes) {
          const n = units[nextUnit++] as number;
          for (let j = 0; j < n; j++, nextMsg++) {
            if (nextMsg > first) {
              if (offset(nextMsg - 1) + length(nextMsg - 1) !== offset(nextMsg)) contiguous = false;
              if (seq(nextMsg - 1) + 1 !== seq(nextMsg)) consecutive = false;
            }
            size += length(nextMsg);
          }
        }
        if (nextMsg === first) continue; // units without messages
        const last = nextMsg - 1;
        for (let i = first; i <= last; i++) setNlmsgAckAt(buf, offset(i), i === last);
        inFlight += last - first + 1;
        const lastSeq = seq(last);
        const d: Datagram = { first, last, firstSeq: seq(first), consecutive };
        open.set(lastSeq, d);
        const datagram = contiguous
          ? buf.subarray(offset(first), offset(last) + length(last))
          : Buffer.concat(Array.from({ length: last - first + 1 }, (_, j) => buf.subarray(offset(first + j), offset(first + j) + length(first + j))));
        t.send(datagram, (errno) => {
          // The datagram never reached the kernel: each of its messages fails with the send error.
          if (done || open.get(lastSeq) !== d) return;
          for (let i = first; i <= last; i++) errnos.set(seq(i), errno);
          settle(lastSeq, d);
        });
      }
      if (!done && nextUnit >= units.length && inFlight === 0) finish();
    };
    arm();
    pump();
  });
}

/**
 * A batch of route messages through one rtnetlink socket, pipelined (NetlinkKernel.write):
 *
 * - messages are packed many per datagram (up to `datagramBytes`); the messages of one unit (the
 *   delete, add and re-add of a route change) always share a datagram, so the kernel handles them
 *   back to back, in order, within one sendmsg();
 * - only the last message of a datagram asks for an ACK: the kernel answers the others only when
 *   they fail, so that ACK means the whole datagram is done (one reply per datagram, not per route);
 * - at most `window` messages wait for their ACK at once; ACKs are matched by sequence number;
 * - no progress for `timeoutMs`: every message still unanswered fails with ETIMEDOUT;
 * - a datagram that never reached the kernel: its messages fail with the send error;
 * - the kernel handles a datagram inside our sendmsg() (under its routing lock, waiting out whoever
 *   holds it and RCU grace periods), so sends are spread over turns of the event loop (util/slice.ts).
 *
 * The socket is injected (BatchTransport): the daemon runs this in a worker thread
 * (netlink-writer-worker.ts), so that a slow sendmsg() never holds the main event loop.
 */
import { constants as osConstants } from 'node:os';
import { Slicer } from '../util/slice.js';
import { setNlmsgAck } from './rtmsg.js';

export const ETIMEDOUT = osConstants.errno.ETIMEDOUT;

/** One encoded netlink message and its sequence number. */
export interface BatchMessage {
  readonly seq: number;
  readonly bytes: Buffer;
}

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

/**
 * Sends every unit; resolves with the errno of each message the kernel refused (or that never got
 * an answer), by sequence number. Never rejects.
 */
export function sendBatch(units: readonly (readonly BatchMessage[])[], t: BatchTransport, o: BatchOptions = DEFAULT_BATCH_OPTIONS): Promise<Map<number, number>> {
  const errnos = new Map<number, number>();
  if (units.every((u) => u.length === 0)) return Promise.resolve(errnos);
  return new Promise<Map<number, number>>((resolve) => {
    /** seq -> what to do with its ACK/error, for every message sent and not yet settled. */
    const waiting = new Map<number, (errno: number) => void>();
    let next = 0;
    let inFlight = 0;
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let pumpScheduled = false;
    const unlisten = t.listen((seq, errno) => waiting.get(seq)?.(errno));

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
        for (const seq of waiting.keys()) if (!errnos.has(seq)) errnos.set(seq, ETIMEDOUT);
        finish();
      }, o.timeoutMs);
    };
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
      while (!done && next < units.length && inFlight < o.window) {
        if (slicer.spent) {
          schedulePump();
          return;
        }
        const group: BatchMessage[] = [];
        let size = 0;
        while (next < units.length && size < o.datagramBytes) {
          const u = units[next++];
          if (!u) break;
          for (const m of u) {
            group.push(m);
            size += m.bytes.length;
          }
        }
        const last = group[group.length - 1];
        if (!last) continue;
        group.forEach((m) => setNlmsgAck(m.bytes, m === last));
        inFlight += group.length;
        for (const m of group) {
          waiting.set(m.seq, (errno) => {
            if (errno !== 0) errnos.set(m.seq, errno);
            if (m !== last) {
              waiting.delete(m.seq);
              return;
            }
            for (const g of group) waiting.delete(g.seq);
            inFlight -= group.length;
            if (next >= units.length && inFlight === 0) finish();
            else {
              arm();
              schedulePump();
            }
          });
        }
        t.send(Buffer.concat(group.map((m) => m.bytes)), (errno) => {
          // The datagram never reached the kernel: its messages fail with the send error.
          for (const m of group) if (m !== last) waiting.get(m.seq)?.(errno);
          waiting.get(last.seq)?.(errno);
        });
      }
      if (!done && next >= units.length && inFlight === 0) finish();
    };
    arm();
    pump();
  });
}

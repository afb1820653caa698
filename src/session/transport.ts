/**
 * One TCP connection of a peer: the net.Socket adapter. Bytes in -> Framer -> decodeMessage -> the
 * owner's callbacks, one message at a time, in order. Messages out are written as they come; bulk
 * UPDATE output is pulled by the owner while the socket's buffer is below a high-water mark
 * (docs/architecture.md convention 9: no unbounded queue of encoded UPDATEs).
 *
 * The framer accepts up to 65535 bytes because we always offer extended messages (RFC 8654); the
 * 4096-byte limit of a session where it was not negotiated is enforced per message here, with the
 * context current at that message, so an OPEN, KEEPALIVE and large UPDATE arriving in one segment
 * are each judged by the context in force when they are read.
 */
import type { Socket } from 'node:net';
import { MAX_LEN, MAX_LEN_EXTENDED, MsgType } from '../codec/constants.js';
import { BgpError, badMessageLength } from '../codec/errors.js';
import { Framer } from '../codec/framer.js';
import { decodeMessage, encodeMessage } from '../codec/message.js';
import { DEFAULT_CONTEXT, type BgpMessage, type CodecContext } from '../codec/types.js';
import { unmapIPv4 } from '../util/inet.js';
import type { Logger } from '../util/log.js';
import { Slicer } from '../util/slice.js';

export interface TransportEvents {
  /** A decoded message. Throwing a BgpError here is the peer's fault; anything else is ours. */
  message(msg: BgpMessage, bytes: number): void;
  /** The peer sent something malformed: the error is the NOTIFICATION to send. */
  decodeError(err: BgpError): void;
  /** Our code threw while handling peer input (a bug): the session is reset, the daemon goes on. */
  internalError(err: unknown): void;
  /** The socket can take more output. */
  drain(): void;
  /** The connection is gone (peer closed, reset, or an error). Not called after close()/destroy(). */
  closed(reason: string): void;
}

/** Output is pulled while less than this many bytes wait in the socket. */
export const HIGH_WATER_BYTES = 256 * 1024;
/** After end(), the socket is destroyed if the peer has not closed within this time. */
const CLOSE_GRACE_MS = 2000;

export class Transport {
  readonly #socket: Socket;
  readonly #framer = new Framer();
  readonly #log: Logger;
  readonly #events: TransportEvents;
  #ctx: CodecContext = DEFAULT_CONTEXT;
  /** Frames read and not yet handed over (the socket is paused meanwhile). */
  #backlog: Buffer[] = [];
  #open = true;
  #failed = false;
  readonly localAddress: string;
  readonly remoteAddress: string;
  readonly localPort: number;
  readonly remotePort: number;
  bytesIn = 0;
  bytesOut = 0;
  readonly #now: () => number;
  /**
   * When the socket last handed bytes of ours to TCP (`now()` time): the progress the RFC 9687 Send
   * Hold Timer watches. A write's callback runs once TCP has taken it.
   */
  lastProgressAt: number;
  readonly #written = (err?: Error | null): void => {
    if (!err) this.lastProgressAt = this.#now();
  };

  constructor(socket: Socket, log: Logger, now: () => number, events: TransportEvents) {
    this.#socket = socket;
    this.#log = log;
    this.#events = events;
    this.#now = now;
    this.lastProgressAt = now();
    // An IPv4 peer on a dual-stack socket is reported as ::ffff:a.b.c.d; a link-local one keeps its zone id.
    this.localAddress = unmapIPv4(socket.localAddress ?? '');
    this.remoteAddress = unmapIPv4(socket.remoteAddress ?? '');
    this.localPort = socket.localPort ?? 0;
    this.remotePort = socket.remotePort ?? 0;
    this.#framer.setMaxLength(MAX_LEN_EXTENDED);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => {
      if (this.#open) this.#events.drain();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#log.debug({ err: err.code ?? err.message }, 'socket error');
      this.#gone(err.code ?? err.message);
    });
    socket.on('close', () => this.#gone('connection closed'));
    socket.on('end', () => this.#gone('connection closed by peer'));
  }

  get ctx(): CodecContext {
    return this.#ctx;
  }

  /** Switches the codec context once the OPENs are exchanged. */
  setContext(ctx: CodecContext): void {
    this.#ctx = ctx;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Bytes waiting in the socket's buffer. */
  get queuedBytes(): number {
    return this.#socket.writableLength;
  }

  get writable(): boolean {
    return this.#open && this.#socket.writableLength < HIGH_WATER_BYTES;
  }

  send(msg: BgpMessage): void {
    this.write(encodeMessage(msg, this.#ctx));
  }

  write(buf: Buffer): void {
    if (!this.#open) return;
    this.bytesOut += buf.length;
    this.#socket.write(buf, this.#written);
  }

  /**
   * Writes several messages as one writev (cork/uncork, docs/architecture.md Node rules): a reflector sends
   * thousands of small UPDATEs, one syscall per batch instead of one per message.
   */
  writeMany(bufs: readonly Buffer[]): void {
    if (!this.#open || bufs.length === 0) return;
    if (bufs.length === 1) {
      this.write(bufs[0] as Buffer);
      return;
    }
    const s = this.#socket;
    s.cork();
    const last = bufs.length - 1;
    for (let i = 0; i <= last; i++) {
      const b = bufs[i] as Buffer;
      this.bytesOut += b.length;
      if (i === last) s.write(b, this.#written);
      else s.write(b);
    }
    s.uncork();
  }

  /**
   * Flushes what was written (a NOTIFICATION), half-closes, and destroys after a grace period.
   * No more callbacks. Resolves when the socket is closed.
   */
  close(): Promise<void> {
    const s = this.#socket;
    this.#open = false;
    if (s.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => s.destroy(), CLOSE_GRACE_MS);
      t.unref();
      s.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      s.end();
    });
  }

  /** Drops the connection at once. No more callbacks. */
  destroy(): void {
    this.#open = false;
    this.#socket.destroy();
  }

  #gone(reason: string): void {
    if (!this.#open) return;
    this.#open = false;
    this.#socket.destroy();
    this.#events.closed(reason);
  }

  #onData(chunk: Buffer): void {
    if (!this.#open || this.#failed) return;
    this.bytesIn += chunk.length;
    let frames: Buffer[];
    try {
      frames = this.#framer.push(chunk);
    } catch (err) {
      this.#fail(err);
      return;
    }
    if (this.#backlog.length > 0) {
      for (const f of frames) this.#backlog.push(f);
      return;
    }
    this.#deliver(frames, 0);
  }

  /**
   * Hands frames[from...] to the owner one by one for at most one slice (util/slice.ts). What is
   * left waits in the backlog with the socket paused (TCP flow control slows the peer) until the
   * event loop has turned: a table transfer read 2 MiB at a time never keeps timers waiting.
   */
  #deliver(frames: readonly Buffer[], from: number): void {
    const slicer = new Slicer();
    for (let i = from; i < frames.length; i++) {
      if (!this.#open || this.#failed) return;
      if (i > from && slicer.spent) {
        this.#backlog = frames.slice(i);
        this.#socket.pause();
        setImmediate(() => this.#drainBacklog());
        return;
      }
      const frame = frames[i] as Buffer;
      try {
        // RFC 8654 4: without the capability negotiated, a message over 4096 bytes is a length error;
        // OPEN and KEEPALIVE never exceed 4096 bytes.
        const type = frame.readUInt8(18);
        const limit = this.#ctx.extendedMessage && type !== MsgType.OPEN && type !== MsgType.KEEPALIVE ? MAX_LEN_EXTENDED : MAX_LEN;
        if (frame.length > limit) throw badMessageLength(frame.length);
        const msg = decodeMessage(frame, this.#ctx);
        this.#events.message(msg, frame.length);
      } catch (err) {
        this.#fail(err);
        return;
      }
    }
  }

  #drainBacklog(): void {
    const frames = this.#backlog;
    this.#backlog = [];
    if (!this.#open || this.#failed) return;
    this.#deliver(frames, 0);
    if (this.#backlog.length === 0 && this.#open) this.#socket.resume();
  }

  /** The one catch for peer input (docs/architecture.md convention 4). */
  #fail(err: unknown): void {
    this.#failed = true;
    if (err instanceof BgpError) this.#events.decodeError(err);
    else this.#events.internalError(err);
  }
}


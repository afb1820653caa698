/**
 * One control client: request lines in, answer lines out, in request order, with back-pressure.
 *
 * A client that sends requests and does not read the answers must not make the daemon buffer them:
 * - at most `maxQueuedRequests` requests are taken off the input and waiting for an answer;
 * - the next answer is computed only while the answers not yet taken by the client (handed to the
 *   socket and not yet flushed to the kernel, or computed and not yet handed over) are at most
 *   `maxUnsentBytes`; so they never exceed that cap plus one answer;
 * - while either bound is reached the socket is paused: the kernel's buffers fill and the client's
 *   writes block, and nothing more is read until the client reads and the answers drain.
 * A client that takes none of its pending answers for `stallTimeoutMs` is disconnected (a warn log
 * line); an idle client (nothing pending) is never disconnected. No request is dropped silently:
 * each is answered, in order, unless the connection ends first.
 *
 * Answers are handed to the socket in slices of WRITE_SLICE_BYTES, one at a time: each slice's write
 * callback (flushed to the kernel) is the "progress" the stall bound watches.
 *
 * The line protocol (LineProtocol) is wren's JSON lines by default (JSON_LINES); the BIRD socket
 * (birdsock/) sends a greeting, answers blank lines too, and answers a line that is too long with
 * an error and goes on after its newline instead of closing.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../util/log.js';
import type { ControlResponse } from './protocol.js';

export interface ConnectionLimits {
  /** Answer bytes not yet taken by the client above which no further answer is computed or request read. */
  readonly maxUnsentBytes: number;
  /** Requests read and not yet answered at which reading stops. */
  readonly maxQueuedRequests: number;
  /** A client with answers pending that takes none of them for this long is disconnected. */
  readonly stallTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxUnsentBytes: 64 * 1024,
  maxQueuedRequests: 16,
  stallTimeoutMs: 30_000,
};

/** A request is a short JSON object; anything longer is refused rather than buffered. */
export const MAX_REQUEST_BYTES = 64 * 1024;
const WRITE_SLICE_BYTES = 16 * 1024;

/** What a connection holds right now (for tests and diagnostics). */
export interface ConnectionStats {
  /** Requests read and waiting for an answer (the one being answered included). */
  readonly queuedRequests: number;
  /** Answer bytes computed and not yet flushed to the kernel. */
  readonly unsentBytes: number;
  /** Request bytes read and not yet split into requests. */
  readonly unparsedBytes: number;
  /** Reading from the client is paused. */
  readonly paused: boolean;
  readonly answered: number;
}

export interface Connection {
  stats(): ConnectionStats;
}

/** Turns one request line into one answer line; never rejects. */
export type AnswerLine = (line: string) => Promise<string>;

const tooLongAnswer = (): string => {
  const r: ControlResponse = { ok: false, error: { code: 'EBADREQ', message: `request longer than ${MAX_REQUEST_BYTES} bytes` } };
  return `${JSON.stringify(r)}\n`;
};

/** How request lines are read and what is said besides the answers. */
export interface LineProtocol {
  /** Sent as soon as the client connects (BIRD's `0001 BIRD ... ready.`). */
  readonly greeting?: () => string;
  /** A blank line is a request too (BIRD answers it with a syntax error); else it is skipped. */
  readonly answerBlankLines: boolean;
  /** A request line longer than this many bytes is not answered by the handler. */
  readonly maxLineBytes: number;
  /** The answer to such a line. */
  readonly tooLongAnswer: () => string;
  /**
   * After it: `close` (answer what came before, refuse, close: the JSON socket), or `skip-line`
   * (answer it in its turn, drop the input up to the next newline, go on: BIRD's `9000`).
   */
  readonly afterTooLong: 'close' | 'skip-line';
}

/** wren's control protocol: one JSON object per line. */
export const JSON_LINES: LineProtocol = { answerBlankLines: false, maxLineBytes: MAX_REQUEST_BYTES, tooLongAnswer, afterTooLong: 'close' };

/** Stands in the request queue for a line that was too long (skip-line). */
const TOO_LONG = Symbol('too long');

export function serveConnection(socket: Socket, answerLine: AnswerLine, limits: ConnectionLimits, log: Logger, protocol: LineProtocol = JSON_LINES): Connection {
  socket.setEncoding('utf8');

  let unparsed = ''; // read, not yet split into request lines
  const queued: (string | typeof TOO_LONG)[] = []; // request lines waiting for an answer
  let skipping = false; // skip-line: dropping the rest of a line that was too long
  let answering = false; // queued[0] is with the handler
  const outbox: Buffer[] = []; // answers computed, not yet handed to the socket (head partly handed)
  let outboxBytes = 0;
  let sliceInFlight = false;
  let ended = false; // the client half-closed: no more requests
  let refused = false; // a request line was too long: answer what came before, refuse, close
  let closing = false; // socket.end() once everything is flushed
  let endSent = false;
  let closed = false;
  let paused = false;
  let answered = 0;
  let stall: NodeJS.Timeout | undefined;

  const unsentBytes = (): number => outboxBytes + socket.writableLength;

  /**
   * Moves complete lines from `unparsed` to `queued`, up to the bound. An unfinished line longer
   * than MAX_REQUEST_BYTES is refused: the complete lines before it are still answered.
   */
  const split = (): void => {
    const skipLines = protocol.afterTooLong === 'skip-line';
    if (skipping) {
      const nl = unparsed.indexOf('\n');
      if (nl < 0) {
        unparsed = '';
        return;
      }
      unparsed = unparsed.slice(nl + 1);
      skipping = false;
    }
    if (!refused && !skipLines) {
      const lineStart = unparsed.lastIndexOf('\n') + 1;
      if (Buffer.byteLength(unparsed.slice(lineStart)) > protocol.maxLineBytes) {
        refused = true;
        unparsed = unparsed.slice(0, lineStart);
      }
    }
    while (queued.length < limits.maxQueuedRequests) {
      const nl = unparsed.indexOf('\n');
      if (nl < 0) {
        // An unfinished line already too long: refused now, the rest of it dropped as it comes.
        if (skipLines && Buffer.byteLength(unparsed) > protocol.maxLineBytes) {
          queued.push(TOO_LONG);
          unparsed = '';
          skipping = true;
        }
        break;
      }
      const line = unparsed.slice(0, nl);
      unparsed = unparsed.slice(nl + 1);
      if (skipLines && Buffer.byteLength(line) > protocol.maxLineBytes) queued.push(TOO_LONG);
      else if (protocol.answerBlankLines || line.trim() !== '') queued.push(line);
    }
  };

  const watchStall = (): void => {
    if (unsentBytes() === 0) {
      clearTimeout(stall);
      stall = undefined;
    } else if (stall) stall.refresh();
    else {
      stall = setTimeout(() => {
        log.warn(
          { unsentBytes: unsentBytes(), queuedRequests: queued.length, answered, stallTimeoutMs: limits.stallTimeoutMs },
          'control client takes no answers; disconnecting',
        );
        socket.destroy();
      }, limits.stallTimeoutMs);
      stall.unref();
    }
  };

  /** Hands the next slice of the outbox to the socket once the previous one reached the kernel. */
  const flush = (): void => {
    if (sliceInFlight || closed) return;
    const head = outbox[0];
    if (head === undefined) {
      if (closing && !endSent) {
        endSent = true;
        socket.end();
      }
      return;
    }
    const slice = head.subarray(0, WRITE_SLICE_BYTES);
    if (slice.length === head.length) outbox.shift();
    else outbox[0] = head.subarray(slice.length);
    outboxBytes -= slice.length;
    sliceInFlight = true;
    socket.write(slice, (err) => {
      sliceInFlight = false;
      if (err || closed) return; // 'error' and 'close' follow
      watchStall(); // progress: a slice reached the kernel
      flush();
      pump();
    });
  };

  const send = (text: string): void => {
    const bytes = Buffer.from(text, 'utf8');
    outbox.push(bytes);
    outboxBytes += bytes.length;
    flush();
    watchStall();
  };

  /**
   * Reads while there is room for requests and answers. After a refused (too long) request, once
   * everything before it is answered, the rest of the input is read and discarded until the client
   * closes (a paused socket would never see the client's end).
   */
  const setReading = (): void => {
    const want = refused ? closing : queued.length < limits.maxQueuedRequests && unsentBytes() <= limits.maxUnsentBytes;
    if (ended) return;
    if (want && paused) {
      paused = false;
      socket.resume();
    } else if (!want && !paused) {
      paused = true;
      socket.pause();
    }
  };

  /** Answers the next request if there is room for its answer; ends the connection when done. */
  function pump(): void {
    if (closed) return;
    split();
    const next = queued[0];
    if (!answering && next !== undefined && unsentBytes() <= limits.maxUnsentBytes) {
      answering = true;
      (next === TOO_LONG ? Promise.resolve(protocol.tooLongAnswer()) : answerLine(next)).then(
        (out) => {
          answering = false;
          queued.shift();
          answered++;
          if (closed) return;
          send(out);
          pump();
        },
        (err: unknown) => {
          log.error({ err }, 'control answer failed; closing the client');
          socket.destroy();
        },
      );
    } else if (!answering && next === undefined && (refused || ended) && !closing) {
      if (refused) send(protocol.tooLongAnswer());
      closing = true;
      flush();
    }
    setReading();
  }

  socket.on('data', (chunk: string) => {
    if (refused || ended) return;
    unparsed += chunk;
    pump();
  });
  // A client may send its last request without a newline and half-close: answer it, then close.
  socket.on('end', () => {
    ended = true;
    if (!refused && !skipping && unparsed.trim() !== '') unparsed += '\n';
    pump();
  });
  socket.on('close', () => {
    closed = true;
    clearTimeout(stall);
    outbox.length = 0;
    outboxBytes = 0;
    if (queued.length > 0) log.debug({ queuedRequests: queued.length, answered }, 'control client gone before its answers');
  });
  const greeting = protocol.greeting?.();
  if (greeting !== undefined) send(greeting);

  return {
    stats: () => ({ queuedRequests: queued.length, unsentBytes: unsentBytes(), unparsedBytes: Buffer.byteLength(unparsed), paused, answered }),
  };
}

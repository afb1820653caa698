/**
 * One BIRD-compatible control socket: BIRD's CLI protocol (docs/bird-socket.md) on a Unix stream
 * socket, served by the same code as wren's control socket (control/unix-server.ts,
 * control/connection.ts): stale socket files removed, mode 0660, answers in order with
 * back-pressure. What differs is the line protocol: the greeting `0001 BIRD <version> ready.` on
 * connect, blank lines answered (`9001`), and a command line over MAX_COMMAND_BYTES answered with
 * `9000 Command too long` and skipped up to its newline (BIRD itself closes the connection or, fed
 * the line in pieces, spins forever). Nothing a client sends stops the server: a failure while
 * answering is logged and answered with an `8000` line.
 */
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits, type LineProtocol } from '../control/connection.js';
import { startUnixLineServer, type UnixLineServer } from '../control/unix-server.js';
import type { Logger } from '../util/log.js';
import { answerCommand, greeting, type BirdContext } from './answer.js';
import { Code, single } from './reply.js';

/** The longest command line answered, without its newline: BIRD answered a 1023-byte line (newline included), no longer one. */
export const MAX_COMMAND_BYTES = 1022;

export const birdLineProtocol = (version: () => string): LineProtocol => ({
  greeting: () => greeting(version()),
  answerBlankLines: true,
  maxLineBytes: MAX_COMMAND_BYTES,
  tooLongAnswer: () => single(Code.COMMAND_TOO_LONG, 'Command too long'),
  afterTooLong: 'skip-line',
});

/** One request line -> its reply; never rejects. */
export function birdAnswerer(ctx: BirdContext, log: Logger): (line: string) => Promise<string> {
  return (line) => {
    try {
      return Promise.resolve(answerCommand(line, ctx));
    } catch (err) {
      log.error({ err, family: ctx.family }, 'BIRD socket request failed');
      return Promise.resolve(single(Code.REPLY_TOO_LONG, 'wren failed to answer; see its log'));
    }
  };
}

export function startBirdSocket(path: string, ctx: BirdContext, log: Logger, limits: Partial<ConnectionLimits> = {}): Promise<UnixLineServer> {
  return startUnixLineServer(path, birdAnswerer(ctx, log), log, {
    limits: { ...DEFAULT_CONNECTION_LIMITS, ...limits },
    protocol: birdLineProtocol(ctx.version),
    inUseHint: 'is BIRD or another wren running?',
    messages: { listening: 'BIRD socket listening', clientError: 'BIRD client error', socketError: 'BIRD socket error' },
  });
}

/**
 * The control socket: a Unix stream socket, one JSON request per line, one JSON response per line,
 * answered in order. Used by `wren show ...` (cli/) and by the lab.
 *
 * - The parent directory is created; a socket file left by a dead daemon is removed, but only after
 *   checking that nobody answers on it (a second daemon must not steal a live daemon's socket), and
 *   never a file that is not a socket.
 * - Mode 0660: root and the socket's group may ask.
 * - A bad line (not JSON, unknown cmd, bad fields) gets `{ ok:false, error:{ code:'EBADREQ' } }`; a
 *   handler that throws gets EINTERNAL (or the code of a ControlError). Nothing a client sends can
 *   stop the server; this file is the one place control requests are caught (convention 4).
 * - Each client is served by connection.ts: answers in request order, with back-pressure (a client
 *   that does not read its answers stops being read, and is disconnected after a bound).
 */
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from '../util/log.js';
import { DEFAULT_CONNECTION_LIMITS, MAX_REQUEST_BYTES, serveConnection, type Connection, type ConnectionLimits, type ConnectionStats } from './connection.js';
import { ControlError, type ControlRequest, type ControlResponse } from './protocol.js';

export { DEFAULT_CONNECTION_LIMITS, MAX_REQUEST_BYTES, type ConnectionLimits, type ConnectionStats };

export type ControlHandler = (req: ControlRequest) => Promise<unknown> | unknown;

export interface ControlServer {
  readonly path: string;
  /** What each connected client holds right now (queued requests, unsent answer bytes, paused). */
  clients(): ConnectionStats[];
  /** Stops listening, drops connected clients, removes the socket file. */
  close(): Promise<void>;
}

const SOCKET_MODE = 0o660;
const DIR_MODE = 0o755;

type Fields = Readonly<Record<string, unknown>>;

/** One entry per command (exhaustive): checks the fields and builds the typed request. */
const COMMANDS: { readonly [K in ControlRequest['cmd']]: (o: Fields) => ControlRequest | string } = {
  'show-peers': (o) => noExtraFields(o, []) ?? { cmd: 'show-peers' },
  'show-kernel': (o) => noExtraFields(o, []) ?? { cmd: 'show-kernel' },
  'show-datastore': (o) => noExtraFields(o, []) ?? { cmd: 'show-datastore' },
  'show-routes': (o) => {
    const extra = noExtraFields(o, ['prefix']);
    if (extra) return extra;
    if (o['prefix'] === undefined) return { cmd: 'show-routes' };
    if (typeof o['prefix'] !== 'string') return 'field "prefix" must be a string';
    return { cmd: 'show-routes', prefix: o['prefix'] };
  },
  'peer-disable': (o) => peerRequest(o, 'peer-disable', true),
  'peer-enable': (o) => peerRequest(o, 'peer-enable', false),
  'peer-reset': (o) => peerRequest(o, 'peer-reset', true),
  'peer-refresh': (o) => peerRequest(o, 'peer-refresh', false),
  reload: (o) => noExtraFields(o, []) ?? { cmd: 'reload' },
  stop: (o) => {
    const extra = noExtraFields(o, ['withdraw', 'message']);
    if (extra) return extra;
    const { withdraw, message } = o;
    if (withdraw !== undefined && typeof withdraw !== 'boolean') return 'field "withdraw" must be true or false';
    if (message !== undefined && typeof message !== 'string') return 'field "message" must be a string';
    return { cmd: 'stop', ...(withdraw !== undefined ? { withdraw } : {}), ...(message !== undefined ? { message } : {}) };
  },
};

function peerRequest(o: Fields, cmd: 'peer-disable' | 'peer-enable' | 'peer-reset' | 'peer-refresh', withMessage: boolean): ControlRequest | string {
  const extra = noExtraFields(o, withMessage ? ['address', 'message'] : ['address']);
  if (extra) return extra;
  const address = o['address'];
  if (typeof address !== 'string' || address === '') return 'field "address" must be a non-empty string';
  const message = o['message'];
  if (message !== undefined && typeof message !== 'string') return 'field "message" must be a string';
  if (cmd === 'peer-disable' || cmd === 'peer-reset') return { cmd, address, ...(typeof message === 'string' ? { message } : {}) };
  return { cmd, address };
}

function noExtraFields(o: Fields, allowed: readonly string[]): string | undefined {
  const extra = Object.keys(o).find((k) => k !== 'cmd' && !allowed.includes(k));
  return extra === undefined ? undefined : `unknown field ${JSON.stringify(extra)} for ${String(o['cmd'])}`;
}

/** One request line -> a typed request, or a ControlError with code EBADREQ. */
export function parseRequest(line: string): ControlRequest | ControlError {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return new ControlError('EBADREQ', 'request is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new ControlError('EBADREQ', 'request must be a JSON object with a "cmd"');
  }
  const o = value as Fields;
  const cmd = o['cmd'];
  if (typeof cmd !== 'string' || !Object.hasOwn(COMMANDS, cmd)) {
    const known = Object.keys(COMMANDS).join(', ');
    return new ControlError('EBADREQ', `unknown cmd ${JSON.stringify(cmd ?? null)} (known: ${known})`);
  }
  const parsed = COMMANDS[cmd as ControlRequest['cmd']](o);
  return typeof parsed === 'string' ? new ControlError('EBADREQ', parsed) : parsed;
}

const failure = (code: string, message: string): ControlResponse => ({ ok: false, error: { code, message } });

/** Runs one request line through the handler; never throws. */
export async function answer(line: string, handle: ControlHandler, log: Logger): Promise<string> {
  const req = parseRequest(line);
  let response: ControlResponse;
  if (req instanceof ControlError) {
    log.debug({ reason: req.message }, 'bad control request');
    response = failure(req.code, req.message);
  } else {
    log.debug({ cmd: req.cmd }, 'control request');
    try {
      response = { ok: true, result: (await handle(req)) ?? null };
    } catch (err) {
      if (err instanceof ControlError) response = failure(err.code, err.message);
      else {
        log.error({ err, cmd: req.cmd }, 'control request failed');
        response = failure('EINTERNAL', err instanceof Error ? err.message : String(err));
      }
    }
  }
  try {
    return `${JSON.stringify(response)}\n`;
  } catch (err) {
    log.error({ err }, 'control response is not serializable');
    return `${JSON.stringify(failure('EINTERNAL', 'response could not be serialized'))}\n`;
  }
}

/** Is a process accepting connections on this socket path? */
function someoneListens(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createConnection(path);
    probe.on('error', (err: NodeJS.ErrnoException) => {
      probe.destroy();
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false);
      else reject(err);
    });
    probe.on('connect', () => {
      probe.destroy();
      resolve(true);
    });
  });
}

async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!isSocket) throw new ControlError('EEXIST', `${path} exists and is not a socket; not removing it`);
  if (await someoneListens(path)) {
    throw new ControlError('EADDRINUSE', `another process is serving ${path} (is wren already running?)`);
  }
  await unlink(path);
}

/** Back-pressure bounds per client; each defaults to DEFAULT_CONNECTION_LIMITS. */
export type ControlServerOptions = Partial<ConnectionLimits>;

export async function startControlServer(path: string, handle: ControlHandler, log: Logger, options: ControlServerOptions = {}): Promise<ControlServer> {
  await mkdir(dirname(path), { recursive: true, mode: DIR_MODE });
  await removeStaleSocket(path);

  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...options };
  const clients = new Map<Socket, Connection>();
  const answerLine = (line: string): Promise<string> => answer(line, handle, log);
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', (err) => log.debug({ err }, 'control client error'));
    socket.on('close', () => clients.delete(socket));
    clients.set(socket, serveConnection(socket, answerLine, limits, log));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'control socket error'));
  await chmod(path, SOCKET_MODE);
  log.info({ path }, 'control socket listening');

  let closed: Promise<void> | undefined;
  return {
    path,
    clients: () => [...clients.values()].map((c) => c.stats()),
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        for (const c of clients.keys()) c.destroy();
        server.close(() => resolve());
      }).then(async () => {
        await unlink(path).catch(() => undefined); // libuv usually removed it already
      });
      return closed;
    },
  };
}

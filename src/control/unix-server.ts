/**
 * A Unix stream socket serving request lines (connection.ts), shared by wren's control socket
 * (server.ts, JSON lines) and the BIRD-compatible socket (birdsock/):
 *
 * - The parent directory is created; a socket file left by a dead daemon is removed, but only after
 *   checking that nobody answers on it (a second daemon must not steal a live daemon's socket), and
 *   never a file that is not a socket.
 * - Mode 0660: root and the socket's group may ask.
 * - Each client is served by connection.ts: answers in request order, with back-pressure.
 */
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from '../util/log.js';
import { serveConnection, type AnswerLine, type Connection, type ConnectionLimits, type ConnectionStats, type LineProtocol } from './connection.js';
import { ControlError } from './protocol.js';

export interface UnixLineServer {
  readonly path: string;
  /** What each connected client holds right now (queued requests, unsent answer bytes, paused). */
  clients(): ConnectionStats[];
  /** Stops listening, drops connected clients, removes the socket file. */
  close(): Promise<void>;
}

const SOCKET_MODE = 0o660;
const DIR_MODE = 0o755;

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

async function removeStaleSocket(path: string, inUseHint: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!isSocket) throw new ControlError('EEXIST', `${path} exists and is not a socket; not removing it`);
  if (await someoneListens(path)) throw new ControlError('EADDRINUSE', `another process is serving ${path} (${inUseHint})`);
  await unlink(path);
}

export interface UnixLineServerOptions {
  readonly limits: ConnectionLimits;
  readonly protocol: LineProtocol;
  /** Why the path may be in use, for the error: "is wren already running?". */
  readonly inUseHint: string;
  /** The log lines' messages (constant per socket kind, docs/logging.md). */
  readonly messages: { readonly listening: string; readonly clientError: string; readonly socketError: string };
}

export async function startUnixLineServer(path: string, answerLine: AnswerLine, log: Logger, o: UnixLineServerOptions): Promise<UnixLineServer> {
  await mkdir(dirname(path), { recursive: true, mode: DIR_MODE });
  await removeStaleSocket(path, o.inUseHint);

  const clients = new Map<Socket, Connection>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', (err) => log.debug({ err }, o.messages.clientError));
    socket.on('close', () => clients.delete(socket));
    clients.set(socket, serveConnection(socket, answerLine, o.limits, log, o.protocol));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err, path }, o.messages.socketError));
  await chmod(path, SOCKET_MODE);
  log.info({ path }, o.messages.listening);

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

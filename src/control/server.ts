/**
 * The control socket: a Unix stream socket, one JSON request per line, one JSON response per line,
 * answered in order. Used by `wren show ...` (cli/) and by the lab.
 *
 * - The socket itself (unix-server.ts): the directory is created, a stale socket file removed (never
 *   a live daemon's, never a file that is not a socket), mode 0660.
 * - A bad line (not JSON, unknown cmd, bad fields) gets `{ ok:false, error:{ code:'EBADREQ' } }`; a
 *   handler that throws gets EINTERNAL (or the code of a ControlError). Nothing a client sends can
 *   stop the server; this file is the one place control requests are caught (convention 4).
 * - Each client is served by connection.ts: answers in request order, with back-pressure (a client
 *   that does not read its answers stops being read, and is disconnected after a bound).
 */
import type { Logger } from '../util/log.js';
import { DEFAULT_CONNECTION_LIMITS, JSON_LINES, MAX_REQUEST_BYTES, type ConnectionLimits, type ConnectionStats } from './connection.js';
import { ControlError, type ControlRequest, type ControlResponse } from './protocol.js';
import { startUnixLineServer, type UnixLineServer } from './unix-server.js';

export { DEFAULT_CONNECTION_LIMITS, MAX_REQUEST_BYTES, type ConnectionLimits, type ConnectionStats };

export type ControlHandler = (req: ControlRequest) => Promise<unknown> | unknown;

export type ControlServer = UnixLineServer;

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
  'show-bfd': (o) => noExtraFields(o, []) ?? { cmd: 'show-bfd' },
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

/** Back-pressure bounds per client; each defaults to DEFAULT_CONNECTION_LIMITS. */
export type ControlServerOptions = Partial<ConnectionLimits>;

export async function startControlServer(path: string, handle: ControlHandler, log: Logger, options: ControlServerOptions = {}): Promise<ControlServer> {
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...options };
  return startUnixLineServer(path, (line) => answer(line, handle, log), log, {
    limits,
    protocol: JSON_LINES,
    inUseHint: 'is wren already running?',
    messages: { listening: 'control socket listening', clientError: 'control client error', socketError: 'control socket error' },
  });
}

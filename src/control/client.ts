/**
 * The control socket client: send one request, read one response line, close.
 *
 * Failures that are not the daemon's answer are thrown as ControlError with a message an operator
 * can act on: EUNREACHABLE ("cannot reach wren at /run/wren/wren.sock: ENOENT — is `wren run`
 * running?"), ETIMEDOUT, EBADRESP. An answer with ok:false is returned, not thrown.
 */
import { createConnection } from 'node:net';
import { systemClock, type Clock } from '../util/clock.js';
import { ControlError, type ControlRequest, type ControlResponse } from './protocol.js';

export const DEFAULT_TIMEOUT_MS = 5000;

function unreachable(path: string, err: NodeJS.ErrnoException): ControlError {
  const code = err.code ?? 'error';
  const hint =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied: run as root or as a member of the socket\'s group'
      : code === 'ENOENT' || code === 'ECONNREFUSED'
        ? 'is `wren run` running?'
        : err.message;
  return new ControlError('EUNREACHABLE', `cannot reach wren at ${path}: ${code} — ${hint}`, { cause: err });
}

/** Checks the shape of a response line. */
export function parseResponse(line: string): ControlResponse | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (o['ok'] === true && 'result' in o) return { ok: true, result: o['result'] };
  const e = o['error'] as Record<string, unknown> | null | undefined;
  if (o['ok'] === false && typeof e === 'object' && e !== null && typeof e['code'] === 'string' && typeof e['message'] === 'string') {
    return { ok: false, error: { code: e['code'], message: e['message'] } };
  }
  return undefined;
}

export function request(
  path: string,
  req: ControlRequest,
  timeoutMs: number = DEFAULT_TIMEOUT_MS,
  clock: Clock = systemClock,
): Promise<ControlResponse> {
  return new Promise<ControlResponse>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let connected = false;
    let done = false;
    const socket = createConnection(path);
    const finish = (outcome: { response: ControlResponse } | { error: ControlError }): void => {
      if (done) return;
      done = true;
      cancelTimer();
      socket.destroy();
      if ('response' in outcome) resolve(outcome.response);
      else reject(outcome.error);
    };
    const cancelTimer = clock.after(timeoutMs, () => {
      finish({ error: new ControlError('ETIMEDOUT', `no answer from wren at ${path} within ${timeoutMs} ms`) });
    });

    socket.on('error', (err: NodeJS.ErrnoException) => {
      finish({ error: connected ? new ControlError('EBADRESP', `connection to wren at ${path} failed: ${err.code ?? err.message}`, { cause: err }) : unreachable(path, err) });
    });
    socket.on('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify(req)}\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      const nl = chunk.indexOf(0x0a);
      if (nl < 0) {
        chunks.push(chunk);
        return;
      }
      chunks.push(chunk.subarray(0, nl));
      const line = Buffer.concat(chunks).toString('utf8');
      const response = parseResponse(line);
      finish(response ? { response } : { error: new ControlError('EBADRESP', `wren at ${path} sent a malformed response`) });
    });
    socket.on('close', () => {
      finish({ error: new ControlError('EBADRESP', `wren at ${path} closed the connection without answering`) });
    });
  });
}

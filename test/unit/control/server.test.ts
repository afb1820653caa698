import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlError, type ControlRequest } from '../../../src/control/protocol.js';
import { MAX_REQUEST_BYTES, parseRequest, startControlServer, type ControlServer } from '../../../src/control/server.js';
import { silentLogger } from '../../../src/util/log.js';

/** Sends `text`, half-closes, and collects everything the server writes until it closes. */
function exchange(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let got = '';
    s.setEncoding('utf8');
    s.on('error', reject);
    s.on('data', (d: string) => (got += d));
    s.on('close', () => resolve(got));
    s.on('connect', () => s.end(text));
  });
}

/**
 * A socket file whose listener died without cleaning up: a child node process listens, then
 * SIGKILLs itself (a closing Node server would unlink the file, a killed one cannot).
 */
function leaveStaleSocket(path: string): void {
  const script = `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
  const r = spawnSync(process.execPath, ['-e', script], { timeout: 10_000 });
  expect(r.signal).toBe('SIGKILL');
}

const responses = async (path: string, text: string): Promise<unknown[]> =>
  (await exchange(path, text))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);

describe('parseRequest', () => {
  it('accepts each known command', () => {
    expect(parseRequest('{"cmd":"show-peers"}')).toEqual({ cmd: 'show-peers' });
    expect(parseRequest('{"cmd":"show-kernel"}')).toEqual({ cmd: 'show-kernel' });
    expect(parseRequest('{"cmd":"show-routes"}')).toEqual({ cmd: 'show-routes' });
    expect(parseRequest('{"cmd":"show-routes","prefix":"10.0.0.0/8"}')).toEqual({ cmd: 'show-routes', prefix: '10.0.0.0/8' });
    expect(parseRequest('{"cmd":"stop"}')).toEqual({ cmd: 'stop' });
    expect(parseRequest('{"cmd":"stop","withdraw":true,"message":"bye"}')).toEqual({ cmd: 'stop', withdraw: true, message: 'bye' });
  });

  it('checks the fields of stop', () => {
    expect(parseRequest('{"cmd":"stop","withdraw":"yes"}')).toMatchObject({ code: 'EBADREQ', message: 'field "withdraw" must be true or false' });
    expect(parseRequest('{"cmd":"stop","force":true}')).toMatchObject({ code: 'EBADREQ', message: 'unknown field "force" for stop' });
  });

  it.each([
    ['not json', 'request is not valid JSON'],
    ['[1]', 'request must be a JSON object with a "cmd"'],
    ['{"cmd":"reboot"}', 'unknown cmd "reboot" (known: show-peers, show-kernel, show-routes, peer-disable, peer-enable, peer-reset, peer-refresh, reload, stop)'],
    ['{}', 'unknown cmd null (known: show-peers, show-kernel, show-routes, peer-disable, peer-enable, peer-reset, peer-refresh, reload, stop)'],
    ['{"cmd":"show-routes","prefix":1}', 'field "prefix" must be a string'],
    ['{"cmd":"show-peers","verbose":true}', 'unknown field "verbose" for show-peers'],
  ])('refuses %s with EBADREQ', (line, message) => {
    const r = parseRequest(line);
    expect(r).toBeInstanceOf(ControlError);
    expect(r).toMatchObject({ code: 'EBADREQ', message });
  });
});

describe('startControlServer', () => {
  let dir: string;
  let servers: ControlServer[];
  let others: Server[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wren-ctl-'));
    servers = [];
    others = [];
  });
  afterEach(async () => {
    for (const s of servers) await s.close();
    for (const o of others) await new Promise((r) => o.close(r));
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async (path: string, handle: (req: ControlRequest) => unknown): Promise<ControlServer> => {
    const s = await startControlServer(path, handle, silentLogger);
    servers.push(s);
    return s;
  };

  it('creates the parent directory and a socket with mode 0660', async () => {
    const path = join(dir, 'run', 'wren', 'wren.sock');
    await start(path, () => []);
    const st = statSync(path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
  });

  it('answers each request line with the handler result, in order', async () => {
    const path = join(dir, 'c.sock');
    await start(path, async (req) => (req.cmd === 'show-routes' ? { prefix: req.prefix ?? null } : req.cmd));
    expect(await responses(path, '{"cmd":"show-peers"}\n{"cmd":"show-routes","prefix":"10.0.0.0/8"}\n{"cmd":"show-kernel"}\n')).toEqual([
      { ok: true, result: 'show-peers' },
      { ok: true, result: { prefix: '10.0.0.0/8' } },
      { ok: true, result: 'show-kernel' },
    ]);
  });

  it('answers a last request sent without a newline before half-closing', async () => {
    const path = join(dir, 'c.sock');
    await start(path, () => [1]);
    expect(await responses(path, '{"cmd":"show-peers"}')).toEqual([{ ok: true, result: [1] }]);
  });

  it('answers undefined as null', async () => {
    const path = join(dir, 'c.sock');
    await start(path, () => undefined);
    expect(await responses(path, '{"cmd":"show-kernel"}\n')).toEqual([{ ok: true, result: null }]);
  });

  it('answers bad JSON and unknown commands with EBADREQ and keeps serving the connection', async () => {
    const path = join(dir, 'c.sock');
    await start(path, () => 'fine');
    expect(await responses(path, 'nope\n{"cmd":"reboot"}\n{"cmd":"show-peers"}\n')).toEqual([
      { ok: false, error: { code: 'EBADREQ', message: 'request is not valid JSON' } },
      { ok: false, error: { code: 'EBADREQ', message: 'unknown cmd "reboot" (known: show-peers, show-kernel, show-routes, peer-disable, peer-enable, peer-reset, peer-refresh, reload, stop)' } },
      { ok: true, result: 'fine' },
    ]);
  });

  it('answers a throwing handler with EINTERNAL and survives', async () => {
    const path = join(dir, 'c.sock');
    let calls = 0;
    await start(path, () => {
      calls++;
      if (calls === 1) throw new Error('rib exploded');
      return 'ok';
    });
    expect(await responses(path, '{"cmd":"show-peers"}\n')).toEqual([{ ok: false, error: { code: 'EINTERNAL', message: 'rib exploded' } }]);
    expect(await responses(path, '{"cmd":"show-peers"}\n')).toEqual([{ ok: true, result: 'ok' }]);
  });

  it('passes the code of a ControlError thrown by the handler', async () => {
    const path = join(dir, 'c.sock');
    await start(path, () => Promise.reject(new ControlError('ENOTFOUND', 'no route for 10.9.0.0/16')));
    expect(await responses(path, '{"cmd":"show-routes","prefix":"10.9.0.0/16"}\n')).toEqual([
      { ok: false, error: { code: 'ENOTFOUND', message: 'no route for 10.9.0.0/16' } },
    ]);
  });

  it('answers a result that cannot be serialized with EINTERNAL', async () => {
    const path = join(dir, 'c.sock');
    await start(path, () => ({ big: 1n }));
    expect(await responses(path, '{"cmd":"show-peers"}\n')).toEqual([
      { ok: false, error: { code: 'EINTERNAL', message: 'response could not be serialized' } },
    ]);
  });

  it('refuses a request line longer than the limit and closes the connection', async () => {
    const path = join(dir, 'c.sock');
    await start(path, () => 'x');
    expect(await responses(path, 'x'.repeat(MAX_REQUEST_BYTES + 10))).toEqual([
      { ok: false, error: { code: 'EBADREQ', message: `request longer than ${MAX_REQUEST_BYTES} bytes` } },
    ]);
  });

  it('replaces a stale socket file nobody listens on', async () => {
    const path = join(dir, 'c.sock');
    leaveStaleSocket(path);
    expect(statSync(path).isSocket()).toBe(true);
    await start(path, () => 'new');
    expect(await responses(path, '{"cmd":"show-peers"}\n')).toEqual([{ ok: true, result: 'new' }]);
  });

  it('refuses to take over a socket another process is serving', async () => {
    const path = join(dir, 'c.sock');
    const live = createServer((s) => s.end());
    others.push(live);
    await new Promise<void>((r) => live.listen(path, r));
    await expect(startControlServer(path, () => 'x', silentLogger)).rejects.toMatchObject({
      code: 'EADDRINUSE',
      message: `another process is serving ${path} (is wren already running?)`,
    });
  });

  it('never removes a file that is not a socket', async () => {
    const path = join(dir, 'c.sock');
    writeFileSync(path, 'precious');
    await expect(startControlServer(path, () => 'x', silentLogger)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(statSync(path).isFile()).toBe(true);
  });

  it('removes the socket file and drops clients on close', async () => {
    const path = join(dir, 'c.sock');
    const s = await startControlServer(path, () => 'x', silentLogger);
    const idle = createConnection(path);
    const closed = new Promise<void>((r) => idle.on('close', () => r()));
    idle.on('error', () => undefined);
    await new Promise<void>((r) => idle.on('connect', () => r()));
    await s.close();
    await closed;
    expect(existsSync(path)).toBe(false);
  });
});

describe('parseRequest: peer actions and reload', () => {
  it('builds peer-disable with an optional RFC 9003 message', () => {
    expect(parseRequest('{"cmd":"peer-disable","address":"10.0.0.2","message":"maintenance"}')).toEqual({ cmd: 'peer-disable', address: '10.0.0.2', message: 'maintenance' });
    expect(parseRequest('{"cmd":"peer-enable","address":"10.0.0.2"}')).toEqual({ cmd: 'peer-enable', address: '10.0.0.2' });
    expect(parseRequest('{"cmd":"reload"}')).toEqual({ cmd: 'reload' });
  });
  it('refuses a peer action without an address, or with a message where none is taken', () => {
    expect(parseRequest('{"cmd":"peer-reset"}')).toMatchObject({ code: 'EBADREQ', message: 'field "address" must be a non-empty string' });
    expect(parseRequest('{"cmd":"peer-enable","address":"10.0.0.2","message":"x"}')).toMatchObject({ code: 'EBADREQ' });
  });
});

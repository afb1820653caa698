import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlError, type ControlRequest } from '../../../src/control/protocol.js';
import {
  MAX_REQUEST_BYTES,
  parseRequest,
  startControlServer,
  type ControlServer,
  type ControlServerOptions,
} from '../../../src/control/server.js';
import { silentLogger, type Logger } from '../../../src/util/log.js';
import { waitFor } from '../../../tools/kit/wait.js';

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
    ['{"cmd":"reboot"}', 'unknown cmd "reboot" (known: show-peers, show-kernel, show-datastore, show-routes, peer-disable, peer-enable, peer-reset, peer-refresh, reload, stop, show-bfd)'],
    ['{}', 'unknown cmd null (known: show-peers, show-kernel, show-datastore, show-routes, peer-disable, peer-enable, peer-reset, peer-refresh, reload, stop, show-bfd)'],
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
      { ok: false, error: { code: 'EBADREQ', message: 'unknown cmd "reboot" (known: show-peers, show-kernel, show-datastore, show-routes, peer-disable, peer-enable, peer-reset, peer-refresh, reload, stop, show-bfd)' } },
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

/**
 * Back-pressure: a client that writes many requests and reads none of the answers. Each answer is
 * about ANSWER_PAD bytes; the server's cap on unsent answer bytes is CAP.
 */
describe('startControlServer: a client that does not read its answers', () => {
  const CAP = 8 * 1024;
  const QUEUE = 16;
  const ANSWER_PAD = 2000;
  let dir: string;
  let server: ControlServer | undefined;
  let clients: Socket[];
  let calls: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wren-ctl-bp-'));
    clients = [];
    calls = 0;
  });
  afterEach(async () => {
    for (const c of clients) c.destroy();
    await server?.close();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (options: ControlServerOptions, log: Logger = silentLogger): Promise<ControlServer> => {
    server = await startControlServer(
      join(dir, 'c.sock'),
      (req) => {
        calls++;
        return { prefix: req.cmd === 'show-routes' ? req.prefix : null, pad: 'x'.repeat(ANSWER_PAD) };
      },
      log,
      { maxUnsentBytes: CAP, maxQueuedRequests: QUEUE, ...options },
    );
    return server;
  };
  const requestLine = (i: number): string => `{"cmd":"show-routes","prefix":"${i}"}\n`;
  const answerBytes = (i: number): number => JSON.stringify({ ok: true, result: { prefix: String(i), pad: 'x'.repeat(ANSWER_PAD) } }).length + 1;

  /** Connects, writes `text` and reads nothing (no 'data' listener, paused). */
  const silentClient = async (path: string, text: string): Promise<Socket> => {
    const s = createConnection(path);
    clients.push(s);
    s.on('error', () => undefined);
    s.pause();
    await new Promise<void>((r) => s.on('connect', () => r()));
    s.write(text);
    return s;
  };
  const onlyClient = (s: ControlServer) => {
    const [c, ...more] = s.clients();
    expect(more).toEqual([]);
    if (!c) throw new Error('no client connected');
    return c;
  };

  it('stops reading it while its answers are not taken, resumes when it reads, and answers every request in order', async () => {
    const N = 20_000; // ~40 bytes each: ~800 KB of requests, more than the kernel's socket buffers hold
    const s = await start({ stallTimeoutMs: 60_000 });
    const client = await silentClient(s.path, Array.from({ length: N }, (_, i) => requestLine(i)).join(''));
    client.end(); // after the last request, once the server has read them all

    const blocked = await waitFor(
      () => {
        const c = onlyClient(s);
        return c.paused && c.unsentBytes > CAP && c;
      },
      { what: 'the server to stop reading the client', timeoutMs: 3_000, intervalMs: 10 },
    );
    // Bounded: unsent answers within the cap plus one answer, at most QUEUE requests taken off the
    // input, and what was read but not split into requests is at most one read (64 KiB) beyond a line.
    expect(blocked.unsentBytes).toBeLessThanOrEqual(CAP + answerBytes(N));
    expect(blocked.queuedRequests).toBeLessThanOrEqual(QUEUE);
    expect(blocked.unparsedBytes).toBeLessThanOrEqual(64 * 1024 + MAX_REQUEST_BYTES);
    // The client could not hand all its requests over: nobody reads them.
    expect(client.writableLength).toBeGreaterThan(0);
    const answeredWhenBlocked = calls;
    expect(answeredWhenBlocked).toBeLessThan(N / 10);
    // It stays so (a negative: a short wait, there is nothing to poll for).
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toBe(answeredWhenBlocked);
    const later = onlyClient(s);
    expect(later.paused).toBe(true);
    expect(later.unsentBytes).toBeLessThanOrEqual(CAP + answerBytes(N));
    expect(later.queuedRequests).toBeLessThanOrEqual(QUEUE);

    // Now it reads: every request is answered, in order, and the server closes after the last one.
    let got = '';
    client.setEncoding('utf8');
    const closed = new Promise<void>((r) => client.on('close', () => r()));
    client.on('data', (d: string) => (got += d));
    client.resume();
    await closed;
    const prefixes = got
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { ok: boolean; result: { prefix: string } }).result.prefix);
    expect(prefixes).toHaveLength(N);
    expect(prefixes.every((p, i) => p === String(i))).toBe(true);
    expect(calls).toBe(N);
  });

  it('is disconnected once it has taken none of its pending answers for the stall bound, with a warn line', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    const s = await start({ stallTimeoutMs: 300 }, log);
    const client = await silentClient(s.path, Array.from({ length: 1000 }, (_, i) => requestLine(i)).join(''));
    const t0 = Date.now();
    await waitFor(() => s.clients().length === 0, { what: 'the server to drop the client', timeoutMs: 3_000, intervalMs: 20 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    // The client, once it reads, finds what reached its buffers and then the end of the connection.
    const closed = new Promise<void>((r) => client.on('close', () => r()));
    let got = '';
    client.setEncoding('utf8');
    client.on('data', (d: string) => (got += d));
    client.resume();
    await closed;
    const answered = got.split('\n').filter((l) => l !== '').length;
    expect(answered).toBeLessThan(1000);
    const warn = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'control client takes no answers; disconnecting');
    expect(warn).toMatchObject({ level: 40, stallTimeoutMs: 300, queuedRequests: expect.any(Number), answered: expect.any(Number) });
    expect(warn?.['unsentBytes']).toBeGreaterThan(CAP);
    expect(warn?.['answered']).toBeLessThan(1000);
  });

  it('keeps an idle client (nothing pending) connected past the stall bound', async () => {
    const s = await start({ stallTimeoutMs: 50 });
    const idle = createConnection(s.path);
    clients.push(idle);
    let closed = false;
    idle.on('close', () => (closed = true));
    idle.setEncoding('utf8');
    await new Promise<void>((r) => idle.on('connect', () => r()));
    await new Promise((r) => setTimeout(r, 250)); // a negative: five stall bounds pass
    expect(closed).toBe(false);
    const answerLine = new Promise<string>((r) => idle.once('data', (d: string) => r(d)));
    idle.write(requestLine(7));
    expect(JSON.parse((await answerLine).split('\n')[0] ?? '')).toMatchObject({ ok: true, result: { prefix: '7' } });
  });

  it('answers the requests before a too-long line, then refuses it and closes, while back-pressure holds them', async () => {
    const s = await start({ stallTimeoutMs: 60_000 });
    const N = 200;
    const text = Array.from({ length: N }, (_, i) => requestLine(i)).join('') + 'y'.repeat(MAX_REQUEST_BYTES + 10);
    const got = (await exchange(s.path, text)).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(got).toHaveLength(N + 1);
    expect(got.slice(0, N).every((r, i) => (r['result'] as { prefix: string }).prefix === String(i))).toBe(true);
    expect(got[N]).toEqual({ ok: false, error: { code: 'EBADREQ', message: `request longer than ${MAX_REQUEST_BYTES} bytes` } });
  });
});

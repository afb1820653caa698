import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseResponse, request } from '../../../src/control/client.js';
import { ControlError } from '../../../src/control/protocol.js';
import { startControlServer } from '../../../src/control/server.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/log.js';

describe('parseResponse', () => {
  it('accepts ok and error responses', () => {
    expect(parseResponse('{"ok":true,"result":[1]}')).toEqual({ ok: true, result: [1] });
    expect(parseResponse('{"ok":false,"error":{"code":"EBADREQ","message":"m"}}')).toEqual({ ok: false, error: { code: 'EBADREQ', message: 'm' } });
  });

  it.each(['', 'null', '{"ok":true}', '{"ok":false,"error":"x"}', '{"ok":"yes","result":1}'])('refuses %j', (line) => {
    expect(parseResponse(line)).toBeUndefined();
  });
});

describe('request', () => {
  let dir: string;
  let servers: Server[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wren-cli-'));
    servers = [];
  });
  afterEach(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
    rmSync(dir, { recursive: true, force: true });
  });
  /** A raw server whose connection handler the test scripts. */
  const rawServer = async (path: string, onConnection: (s: Socket) => void): Promise<Server> => {
    const server = createServer(onConnection);
    servers.push(server);
    await new Promise<void>((r) => server.listen(path, r));
    return server;
  };

  it('returns the daemon answer', async () => {
    const path = join(dir, 'w.sock');
    const control = await startControlServer(path, (req) => ({ asked: req.cmd }), silentLogger);
    try {
      expect(await request(path, { cmd: 'show-kernel' })).toEqual({ ok: true, result: { asked: 'show-kernel' } });
    } finally {
      await control.close();
    }
  });

  it('returns an error answer rather than throwing it', async () => {
    const path = join(dir, 'w.sock');
    const control = await startControlServer(path, () => Promise.reject(new Error('boom')), silentLogger);
    try {
      expect(await request(path, { cmd: 'show-peers' })).toEqual({ ok: false, error: { code: 'EINTERNAL', message: 'boom' } });
    } finally {
      await control.close();
    }
  });

  it('says the daemon is not running when the socket does not exist', async () => {
    const path = join(dir, 'missing.sock');
    await expect(request(path, { cmd: 'show-peers' })).rejects.toMatchObject({
      name: 'ControlError',
      code: 'EUNREACHABLE',
      message: `cannot reach wren at ${path}: ENOENT — is \`wren run\` running?`,
    });
  });

  it('says the daemon is not running when nobody listens on the socket file', async () => {
    const path = join(dir, 'stale.sock');
    const script = `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
    expect(spawnSync(process.execPath, ['-e', script], { timeout: 10_000 }).signal).toBe('SIGKILL');
    await expect(request(path, { cmd: 'show-peers' })).rejects.toMatchObject({
      code: 'EUNREACHABLE',
      message: `cannot reach wren at ${path}: ECONNREFUSED — is \`wren run\` running?`,
    });
  });

  it('gives up after the timeout when the daemon never answers', async () => {
    const path = join(dir, 'w.sock');
    const clock = new ManualClock();
    let arrived: () => void = () => undefined;
    const requestArrived = new Promise<void>((r) => (arrived = r));
    await rawServer(path, (s) => {
      s.on('error', () => undefined);
      s.on('data', () => arrived());
    });
    const pending = request(path, { cmd: 'show-peers' }, 2000, clock);
    let settled = false;
    void pending.catch(() => undefined).finally(() => (settled = true));
    await requestArrived;
    clock.advance(1999);
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    clock.advance(1);
    await expect(pending).rejects.toMatchObject({ code: 'ETIMEDOUT', message: `no answer from wren at ${path} within 2000 ms` });
  });

  it('reports a malformed answer', async () => {
    const path = join(dir, 'w.sock');
    await rawServer(path, (s) => s.on('data', () => s.end('this is not json\n')));
    await expect(request(path, { cmd: 'show-peers' })).rejects.toMatchObject({ code: 'EBADRESP', message: `wren at ${path} sent a malformed response` });
  });

  it('reports a connection closed without an answer', async () => {
    const path = join(dir, 'w.sock');
    await rawServer(path, (s) => s.on('data', () => s.end()));
    await expect(request(path, { cmd: 'show-peers' })).rejects.toMatchObject({
      code: 'EBADRESP',
      message: `wren at ${path} closed the connection without answering`,
    });
  });

  it('reads an answer split over many chunks', async () => {
    const path = join(dir, 'w.sock');
    const big = { ok: true, result: Array.from({ length: 20000 }, (_, i) => ({ prefix: `10.${i >> 8}.${i & 255}.0/24` })) };
    const line = `${JSON.stringify(big)}\n`;
    await rawServer(path, (s) =>
      s.on('data', () => {
        for (let i = 0; i < line.length; i += 1000) s.write(line.slice(i, i + 1000));
        s.end();
      }),
    );
    const r = await request(path, { cmd: 'show-routes' });
    expect(r).toEqual(big);
  });

  it('throws ControlError instances', async () => {
    await expect(request(join(dir, 'none.sock'), { cmd: 'show-peers' })).rejects.toBeInstanceOf(ControlError);
  });
});

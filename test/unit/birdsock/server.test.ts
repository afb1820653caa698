/**
 * The BIRD socket on a real Unix socket (src/birdsock/server.ts, sockets.ts): greeting, several
 * commands on one connection and in one write, blank lines, a command too long (in one write and
 * in pieces: BIRD itself closes or spins), a client that never reads, a stale socket file, mode
 * 0660, and BirdSockets opening, moving and closing sockets as the config changes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_COMMAND_BYTES, startBirdSocket } from '../../../src/birdsock/server.js';
import { BirdSockets, defaultBirdVersion } from '../../../src/birdsock/sockets.js';
import type { UnixLineServer } from '../../../src/control/unix-server.js';
import { silentLogger } from '../../../src/util/log.js';
import { waitFor } from '../../../tools/kit/wait.js';
import { context, fakeSource } from './source.js';

/** A client that reads replies: the greeting, then one reply per command (a reply ends with a `DDDD ` line). */
class Client {
  readonly socket: Socket;
  #buf = '';
  constructor(path: string) {
    this.socket = createConnection(path);
    this.socket.setEncoding('utf8');
    this.socket.on('error', () => undefined);
    this.socket.on('data', (d: string) => (this.#buf += d));
  }
  /** The next complete reply. */
  async reply(): Promise<string> {
    return waitFor(
      () => {
        const m = /^\d{4} .*\n/m.exec(this.#buf);
        if (m === null) return undefined;
        const end = m.index + m[0].length;
        const r = this.#buf.slice(0, end);
        this.#buf = this.#buf.slice(end);
        return r;
      },
      { what: 'a complete reply', timeoutMs: 5000, intervalMs: 5 },
    );
  }
  send(text: string): void {
    this.socket.write(text);
  }
  close(): void {
    this.socket.destroy();
  }
}

describe('BIRD socket server', () => {
  let dir: string;
  const servers: UnixLineServer[] = [];
  const clients: Client[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wren-birdsock-'));
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const s of servers.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async (name = 'bird.ctl', limits = {}): Promise<string> => {
    const path = join(dir, 'run', name);
    servers.push(await startBirdSocket(path, context(), silentLogger, limits));
    return path;
  };
  const connect = (path: string): Client => {
    const c = new Client(path);
    clients.push(c);
    return c;
  };

  it('greets, answers commands one after another and several sent in one write; mode 0660', async () => {
    const path = await start();
    expect(statSync(path).mode & 0o777).toBe(0o660);
    const c = connect(path);
    expect(await c.reply()).toBe('0001 BIRD 1.6.8 ready.\n');
    c.send('show status\n');
    expect(await c.reply()).toMatch(/^1000-BIRD 1.6.8\n[\s\S]*0013 Daemon is up and running\n$/);
    c.send('show protocols "Node_*"\r\n\nshow route count\n');
    expect(await c.reply()).toBe('2002-name     proto    table    state  since       info\n1002-Node_10_99_0_3 BGP      master   start  05:36:37    Connect       Socket: No route to host\n0000 \n');
    expect(await c.reply()).toBe('9001 syntax error, empty command\n');
    expect(await c.reply()).toBe('0014 0 of 0 routes for 0 networks\n');
  });

  it('answers a command too long with 9000 and goes on after its newline, in one write or in pieces', async () => {
    const path = await start();
    const c = connect(path);
    await c.reply();
    c.send(`show status ${'x'.repeat(MAX_COMMAND_BYTES)}\nshow memory\n`);
    expect(await c.reply()).toBe('9000 Command too long\n');
    expect(await c.reply()).toMatch(/^1018-BIRD memory usage\n/);
    // BIRD 1.6.8 and 2.0.12 spin forever on this: 6000 bytes without a newline in 500-byte writes.
    for (let i = 0; i < 12; i++) {
      c.send('y'.repeat(500));
      await new Promise((r) => setImmediate(r));
    }
    c.send('still the same line\nshow protocols Mesh_10_98_0_2\n');
    expect(await c.reply()).toBe('9000 Command too long\n');
    expect(await c.reply()).toMatch(/^2002-name/);
    // The longest line still answered.
    c.send(`show status${' '.repeat(MAX_COMMAND_BYTES - 'show status'.length)}\n`);
    expect(await c.reply()).toMatch(/^1000-/);
  });

  it('stops reading a client that does not read its replies, and disconnects it after the bound', async () => {
    const path = await start('bp.ctl', { maxUnsentBytes: 1024, stallTimeoutMs: 300 });
    const s = createConnection(path);
    s.on('error', () => undefined);
    s.pause();
    await new Promise<void>((r) => s.on('connect', () => r()));
    s.write('show protocols all\n'.repeat(20_000));
    await waitFor(() => (servers[0]?.clients()[0]?.paused ?? false) || undefined, { what: 'the server to stop reading', timeoutMs: 5000 });
    const held = servers[0]?.clients()[0];
    expect(held?.queuedRequests).toBeLessThanOrEqual(16);
    await waitFor(() => s.destroyed || s.readableEnded || servers[0]?.clients().length === 0 || undefined, { what: 'the stalled client to be dropped', timeoutMs: 5000 });
    s.destroy();
  });

  it('replaces a stale socket file, and refuses a path that a live daemon serves', async () => {
    const path = join(dir, 'stale.ctl');
    const script = `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
    expect(spawnSync(process.execPath, ['-e', script], { timeout: 10_000 }).signal).toBe('SIGKILL');
    expect(existsSync(path)).toBe(true);
    servers.push(await startBirdSocket(path, context(), silentLogger));
    const c = connect(path);
    expect(await c.reply()).toBe('0001 BIRD 1.6.8 ready.\n');
    await expect(startBirdSocket(path, context(), silentLogger)).rejects.toMatchObject({ code: 'EADDRINUSE', message: `another process is serving ${path} (is BIRD or another wren running?)` });
  });
});

describe('BirdSockets', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wren-birdsocks-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('opens the sockets of the config, moves and closes them on apply, announces the configured version', async () => {
    let now = 1_000_000;
    const b = new BirdSockets({ source: fakeSource(), log: silentLogger, now: () => now });
    const v4 = join(dir, 'bird.ctl');
    const v6 = join(dir, 'bird6.ctl');
    try {
      await b.apply({ socket: join(dir, 'wren.sock'), birdSocket: v4 });
      expect(b.paths).toEqual({ ipv4: v4 });
      const c1 = new Client(v4);
      expect(await c1.reply()).toBe(`0001 BIRD ${defaultBirdVersion()} ready.\n`);
      expect(defaultBirdVersion()).toMatch(/^v\d+\.\d+\.\d+\+wren$/);
      c1.close();

      now += 60_000;
      await b.apply({ socket: join(dir, 'wren.sock'), birdSocket: v6, birdSocket6: v4, birdVersion: 'v0.3.3+birdv1.6.8' }, { reloaded: true });
      expect(b.paths).toEqual({ ipv4: v6, ipv6: v4 });
      const c2 = new Client(v6);
      expect(await c2.reply()).toBe('0001 BIRD v0.3.3+birdv1.6.8 ready.\n');
      c2.send('show status\n');
      const status = await c2.reply();
      expect(status).toContain(`Last reboot on `);
      expect(status.match(/Last reboot on (.*)\n/)?.[1]).not.toBe(status.match(/Last reconfiguration on (.*)\n/)?.[1]);
      c2.close();

      await b.apply({ socket: join(dir, 'wren.sock') }, { reloaded: true });
      expect(b.paths).toEqual({});
      expect(existsSync(v4) || existsSync(v6)).toBe(false);
    } finally {
      await b.close();
    }
  });

  it('leaves a socket it cannot open closed and runs on (a regular file at the path)', async () => {
    const path = join(dir, 'taken');
    spawnSync('touch', [path]);
    const b = new BirdSockets({ source: fakeSource(), log: silentLogger });
    await b.apply({ socket: join(dir, 'wren.sock'), birdSocket: path, birdSocket6: join(dir, 'bird6.ctl') });
    expect(b.paths).toEqual({ ipv6: join(dir, 'bird6.ctl') });
    expect(statSync(path).isFile()).toBe(true);
    await b.close();
  });
});

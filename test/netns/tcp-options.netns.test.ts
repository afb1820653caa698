/**
 * TCP MD5 (RFC 2385), outgoing TTL and GTSM (RFC 5082, IP_MINTTL) on real veth links, through
 * src/session/tcp-options.ts and the native addon. Run as root after `npm run build:native`:
 *   npx vitest run --project netns test/netns/tcp-options.netns.test.ts
 *
 *        near (10.1.0.2, fd01::2) ── srv (10.1.0.1, fd01::1; 10.2.0.1) ── rtr (10.2.0.2; 10.3.0.1) ── far (10.3.0.2)
 *                                     FRR bgpd for the MD5 session test         forwarding
 *
 * A Node process cannot enter a namespace, so the code under test runs in a driver child per
 * namespace (`ip netns exec NS node driver.mjs`, bundled here with esbuild from DRIVER below),
 * spoken to over JSON lines. Every negative case ("never completes a handshake") is the connect
 * timing out, and each has a positive twin on the same path, so a broken path cannot pass as a
 * refused handshake.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEEPALIVE_MESSAGE, decodeMessage, encodeMessage } from '../../src/codec/message.js';
import { DEFAULT_CONTEXT, type BgpMessage } from '../../src/codec/types.js';
import { startFrr, type FrrDaemon } from '../../tools/daemons/frr.js';
import { waitEstablished } from '../../tools/daemons/daemon.js';
import { Lab, waitFor } from './lib/netns.js';
import { ADDON_BUILT, describeNetns, FRR_INSTALLED, itNeeds, NETNS, TCPDUMP_INSTALLED } from './lib/requirements.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ADDON = join(ROOT, 'native', 'build', 'Release', 'wren_tcp.node');


/** Runs in each namespace. stdin: { id, op, arg }; stdout: { id, ok, value } | { id, ok: false, error }. */
const DRIVER = `
import { createInterface } from 'node:readline';
import { createServer } from 'node:net';
import {
  connectTcp, listenTcp, readTtlOptions, setListenerMd5, setListenerMinTtl, setSocketMinTtl, setSocketTtl,
} from '../../src/session/tcp-options.js';

const servers = new Map();
const conns = new Map();
let seq = 0;
const write = (x) => process.stdout.write(JSON.stringify(x) + '\\n');

function track(socket) {
  const id = ++seq;
  const c = { socket, buf: Buffer.alloc(0), waiters: [], closed: false };
  socket.on('data', (d) => { c.buf = Buffer.concat([c.buf, d]); for (const w of c.waiters.splice(0)) w(); });
  socket.on('error', () => undefined);
  socket.on('close', () => { c.closed = true; for (const w of c.waiters.splice(0)) w(); });
  conns.set(id, c);
  return id;
}

function conn(id) {
  const c = conns.get(id);
  if (!c) throw new Error('no connection ' + id);
  return c;
}

async function nextMessage(c, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (c.buf.length >= 19) {
      const len = c.buf.readUInt16BE(16);
      if (c.buf.length >= len) {
        const m = c.buf.subarray(0, len);
        c.buf = c.buf.subarray(len);
        return m.toString('hex');
      }
    }
    if (c.closed) throw new Error('connection closed');
    const left = deadline - Date.now();
    if (left <= 0) throw new Error('no complete message within ' + timeoutMs + ' ms');
    await new Promise((resolve) => { const t = setTimeout(resolve, left); c.waiters.push(() => { clearTimeout(t); resolve(); }); });
  }
}

const ops = {
  async listen(arg) {
    const id = ++seq;
    const server = createServer((s) => {
      const conn = track(s);
      server.accepted.push(conn);
      write({ event: 'accepted', server: id, conn, remoteAddress: s.remoteAddress, ttl: readTtlOptions(s) });
    });
    server.accepted = [];
    server.on('error', () => undefined);
    await listenTcp(server, arg);
    servers.set(id, server);
    return { server: id, port: server.address().port };
  },
  async connect(arg) {
    const s = await connectTcp(arg);
    return { conn: track(s), localAddress: s.localAddress, ttl: readTtlOptions(s) };
  },
  accepted(arg) { return servers.get(arg.server).accepted; },
  listenerMd5(arg) { setListenerMd5(servers.get(arg.server), { address: arg.address, password: arg.password }); return null; },
  listenerMinTtl(arg) { setListenerMinTtl(servers.get(arg.server), arg.minTtl); return null; },
  socketTtl(arg) { setSocketTtl(conn(arg.conn).socket, arg.ttl); return readTtlOptions(conn(arg.conn).socket); },
  socketMinTtl(arg) { setSocketMinTtl(conn(arg.conn).socket, arg.minTtl); return readTtlOptions(conn(arg.conn).socket); },
  readTtl(arg) { return readTtlOptions(arg.conn !== undefined ? conn(arg.conn).socket : servers.get(arg.server)); },
  send(arg) { conn(arg.conn).socket.write(Buffer.from(arg.hex, 'hex')); return null; },
  recvMessage(arg) { return nextMessage(conn(arg.conn), arg.timeoutMs); },
  close(arg) { conn(arg.conn).socket.destroy(); conns.delete(arg.conn); return null; },
};

createInterface({ input: process.stdin }).on('line', async (line) => {
  const req = JSON.parse(line);
  try {
    write({ id: req.id, ok: true, value: (await ops[req.op](req.arg)) ?? null });
  } catch (err) {
    write({ id: req.id, ok: false, error: { code: err.code ?? null, message: String(err.message ?? err) } });
  }
});
process.stdin.on('end', () => process.exit(0));
`;

interface TtlReadback {
  readonly ttl: number;
  readonly minTtl: number;
  readonly hopLimit: number | null;
  readonly minHopCount: number | null;
}

interface Reply {
  readonly id?: number;
  readonly ok?: boolean;
  readonly value?: unknown;
  readonly error?: { readonly code: string | null; readonly message: string };
  readonly event?: string;
}

class DriverError extends Error {
  override readonly name = 'DriverError';
  readonly code: string | null;
  constructor(message: string, code: string | null) {
    super(message);
    this.code = code;
  }
}

const children = new Set<ChildProcessWithoutNullStreams>();
function killChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
process.on('exit', killChildren);

/** A driver child in one namespace. */
class Driver {
  readonly ns: string;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #seq = 0;
  #stderr = '';

  constructor(ns: string, bundle: string) {
    this.ns = ns;
    this.#child = spawn('ip', ['netns', 'exec', ns, process.execPath, bundle], { env: { ...process.env, WREN_TCP_ADDON: ADDON } });
    children.add(this.#child);
    this.#child.stderr.on('data', (d: Buffer) => (this.#stderr += d.toString()));
    this.#child.on('exit', () => {
      for (const p of this.#pending.values()) p.reject(new Error(`driver in ${ns} exited; stderr: ${this.#stderr}`));
      this.#pending.clear();
    });
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const r = JSON.parse(line) as Reply;
      if (r.id === undefined) return; // events: the tests ask for `accepted` instead
      const p = this.#pending.get(r.id);
      this.#pending.delete(r.id);
      if (r.ok) p?.resolve(r.value);
      else p?.reject(new DriverError(r.error?.message ?? 'driver error', r.error?.code ?? null));
    });
  }

  call<T>(op: string, arg: unknown): Promise<T> {
    const id = ++this.#seq;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#child.stdin.write(`${JSON.stringify({ id, op, arg })}\n`);
    });
  }

  /** The error code a call fails with (it must fail). */
  async failure(op: string, arg: unknown): Promise<string | null> {
    try {
      await this.call(op, arg);
    } catch (err) {
      if (err instanceof DriverError) return err.code;
      throw err;
    }
    throw new Error(`${op} in ${this.ns} succeeded; expected a failure`);
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.stdin.end();
    const t = setTimeout(() => this.#child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
    children.delete(this.#child);
  }
}

interface Listening {
  readonly server: number;
  readonly port: number;
}
interface Connected {
  readonly conn: number;
  readonly localAddress: string;
  readonly ttl: TtlReadback;
}

/** How long a connect that must not complete is given. A good handshake on veth takes < 10 ms. */
const REFUSED_AFTER_MS = 2500;

describeNetns('TCP MD5, TTL and GTSM on veth links', [NETNS, ADDON_BUILT], () => {
  let lab: Lab | undefined;
  const ns = { srv: '', near: '', rtr: '', far: '' };
  let srv: Driver;
  let near: Driver;
  let far: Driver;
  let nextPort = 17900;
  const port = (): number => nextPort++;

  beforeAll(async () => {
    lab = new Lab({ id: 'tcpopt' });
    ns.srv = lab.addNamespace('srv');
    ns.near = lab.addNamespace('near');
    ns.rtr = lab.addNamespace('rtr', { forwarding: true });
    ns.far = lab.addNamespace('far');
    lab.link(ns.srv, 's-near', ['10.1.0.1/24', 'fd01::1/64'], ns.near, 'n-srv', ['10.1.0.2/24', 'fd01::2/64']);
    lab.link(ns.srv, 's-rtr', ['10.2.0.1/24'], ns.rtr, 'r-srv', ['10.2.0.2/24']);
    lab.link(ns.rtr, 'r-far', ['10.3.0.1/24'], ns.far, 'f-rtr', ['10.3.0.2/24']);
    lab.exec(null, 'ip', ['-n', ns.srv, 'route', 'add', '10.3.0.0/24', 'via', '10.2.0.2']);
    lab.exec(null, 'ip', ['-n', ns.rtr, 'route', 'add', '10.1.0.0/24', 'via', '10.2.0.1']);
    lab.exec(null, 'ip', ['-n', ns.far, 'route', 'add', 'default', 'via', '10.3.0.1']);
    const bundle = join(lab.dir, 'tcp-driver.mjs');
    const { build } = await import('esbuild');
    await build({
      stdin: { contents: DRIVER, resolveDir: join(ROOT, 'test', 'netns'), sourcefile: 'tcp-driver.js', loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: bundle,
      logLevel: 'error',
    });
    srv = new Driver(ns.srv, bundle);
    near = new Driver(ns.near, bundle);
    far = new Driver(ns.far, bundle);
  });

  afterAll(async () => {
    await Promise.allSettled([srv, near, far].filter((d) => d !== undefined).map((d) => d.stop()));
    killChildren();
    await lab?.destroy();
  });

  describe('MD5 signatures (RFC 2385)', () => {
    it('an MD5 listener accepts the right password and never completes a handshake with a wrong or missing one', async () => {
      const l = await srv.call<Listening>('listen', { host: '10.1.0.1', port: port(), md5Peers: [{ address: '10.1.0.2', password: 'wren-secret' }] });
      const to = { host: '10.1.0.1', port: l.port, timeoutMs: REFUSED_AFTER_MS };
      expect(await near.failure('connect', { ...to, md5Password: 'not-the-secret' })).toBe('ETIMEDOUT');
      expect(await near.failure('connect', to)).toBe('ETIMEDOUT');
      expect(await srv.call<number[]>('accepted', { server: l.server })).toEqual([]);
      const ok = await near.call<Connected>('connect', { ...to, md5Password: 'wren-secret' });
      expect(ok.localAddress).toBe('10.1.0.2');
      await waitFor(async () => (await srv.call<number[]>('accepted', { server: l.server })).length === 1, { what: 'the accept' });
    });

    it('a dual-stack listener keys an IPv4 peer through its mapped address and an IPv6 peer directly', async () => {
      const l = await srv.call<Listening>('listen', {
        host: '::',
        port: port(),
        md5Peers: [
          { address: '10.1.0.2', password: 'v4-secret' },
          { address: 'fd01::2', password: 'v6-secret' },
        ],
      });
      expect(await near.failure('connect', { host: '10.1.0.1', port: l.port, md5Password: 'v6-secret', timeoutMs: REFUSED_AFTER_MS })).toBe('ETIMEDOUT');
      expect(await near.failure('connect', { host: 'fd01::1', port: l.port, md5Password: 'v4-secret', timeoutMs: REFUSED_AFTER_MS })).toBe('ETIMEDOUT');
      await near.call<Connected>('connect', { host: '10.1.0.1', port: l.port, md5Password: 'v4-secret', timeoutMs: 5000 });
      await near.call<Connected>('connect', { host: 'fd01::1', port: l.port, md5Password: 'v6-secret', timeoutMs: 5000 });
    });

    it('a key set on a running listener takes effect for the next handshake, and removing it opens the door again', async () => {
      const l = await srv.call<Listening>('listen', { host: '10.1.0.1', port: port() });
      const to = { host: '10.1.0.1', port: l.port, timeoutMs: REFUSED_AFTER_MS };
      await near.call<Connected>('connect', to);
      await srv.call('listenerMd5', { server: l.server, address: '10.1.0.2', password: 'late-secret' });
      expect(await near.failure('connect', to)).toBe('ETIMEDOUT');
      await near.call<Connected>('connect', { ...to, md5Password: 'late-secret' });
      await srv.call('listenerMd5', { server: l.server, address: '10.1.0.2', password: null });
      await near.call<Connected>('connect', to);
    });

    itNeeds([FRR_INSTALLED])('FRR with `neighbor X password P` reaches Established with us over MD5, and never sees a wrong password', async () => {
      if (!lab) return;
      const frr: FrrDaemon = await startFrr(lab, {
        ns: ns.srv,
        routerId: '10.1.0.1',
        asn: 65001,
        neighbors: [{ address: '10.1.0.2', asn: 65002, passive: true, password: 'frr-md5-secret', families: ['ipv4'] }],
        originate: [],
      });
      try {
        const to = { host: '10.1.0.1', port: 179, timeoutMs: REFUSED_AFTER_MS };
        expect(await near.failure('connect', { ...to, md5Password: 'frr-md5-wrong' })).toBe('ETIMEDOUT');
        expect(await near.failure('connect', to)).toBe('ETIMEDOUT');
        const c = await near.call<Connected>('connect', { ...to, md5Password: 'frr-md5-secret', timeoutMs: 5000 });
        const theirs = decode(await near.call<string>('recvMessage', { conn: c.conn, timeoutMs: 10_000 }));
        expect(theirs).toMatchObject({ kind: 'open', myAs: 65001, bgpId: '10.1.0.1' });
        const ours: BgpMessage = {
          kind: 'open',
          version: 4,
          myAs: 65002,
          holdTime: 90,
          bgpId: '10.1.0.2',
          params: [{ type: 2, capabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'as4', asn: 65002 }] }],
        };
        await near.call('send', { conn: c.conn, hex: Buffer.concat([encodeMessage(ours, DEFAULT_CONTEXT), KEEPALIVE_MESSAGE]).toString('hex') });
        expect(decode(await near.call<string>('recvMessage', { conn: c.conn, timeoutMs: 10_000 })).kind).toBe('keepalive');
        await waitEstablished(frr, '10.1.0.2', 15_000);
        await near.call('close', { conn: c.conn });
      } finally {
        await frr.stop();
      }
    });
  });

  describe('outgoing TTL', () => {
    itNeeds([TCPDUMP_INSTALLED])('GTSM sends the SYN and the SYN-ACK with TTL 255, and getsockopt agrees on both ends', async () => {
      if (!lab) return;
      const l = await srv.call<Listening>('listen', { host: '10.1.0.1', port: port(), ttl: 255 });
      const log = join(lab.dir, 'syn.tcpdump');
      const dump = lab.spawn(ns.srv, 'tcpdump', ['-i', 's-near', '-n', '-v', '-l', '-c', '2', `tcp port ${l.port} and tcp[tcpflags] & tcp-syn != 0`], {
        logFile: log,
        name: 'tcpdump',
      });
      await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('listening on'), { what: 'tcpdump to start' });
      const c = await near.call<Connected>('connect', { host: '10.1.0.1', port: l.port, ttl: 255, minTtl: 255, timeoutMs: 5000 });
      expect(c.ttl).toEqual({ ttl: 255, minTtl: 255, hopLimit: null, minHopCount: null });
      await waitFor(() => !dump.running, { what: 'tcpdump to see SYN and SYN-ACK' });
      const text = readFileSync(log, 'utf8');
      expect(text).toMatch(new RegExp(`ttl 255,[^\\n]*\\n\\s*10\\.1\\.0\\.2\\.\\d+ > 10\\.1\\.0\\.1\\.${l.port}: Flags \\[S\\]`));
      expect(text).toMatch(new RegExp(`ttl 255,[^\\n]*\\n\\s*10\\.1\\.0\\.1\\.${l.port} > 10\\.1\\.0\\.2\\.\\d+: Flags \\[S\\.\\]`));
      const [accepted] = await srv.call<number[]>('accepted', { server: l.server });
      expect(await srv.call<TtlReadback>('readTtl', { conn: accepted })).toMatchObject({ ttl: 255 }); // inherited from the listener
      expect(await srv.call<TtlReadback>('socketMinTtl', { conn: accepted, minTtl: 255 })).toMatchObject({ ttl: 255, minTtl: 255 });
    });

    it('a GTSM client never completes a handshake with a listener whose SYN-ACKs leave with the default TTL', async () => {
      const plain = await srv.call<Listening>('listen', { host: '10.1.0.1', port: port() });
      expect(await near.failure('connect', { host: '10.1.0.1', port: plain.port, ttl: 255, minTtl: 255, timeoutMs: REFUSED_AFTER_MS })).toBe('ETIMEDOUT');
      await near.call<Connected>('connect', { host: '10.1.0.1', port: plain.port, ttl: 255, timeoutMs: 5000 });
    });
  });

  describe('GTSM receive check (RFC 5082, IP_MINTTL)', () => {
    it('a listener with minimum TTL 255 refuses a client two routed hops away and takes a direct one', async () => {
      const open = await srv.call<Listening>('listen', { host: '10.1.0.1', port: port(), ttl: 255 });
      await far.call<Connected>('connect', { host: '10.1.0.1', port: open.port, ttl: 255, timeoutMs: 5000 }); // the path works

      const gtsm = await srv.call<Listening>('listen', { host: '10.1.0.1', port: port(), ttl: 255, minTtl: 255 });
      expect(await far.failure('connect', { host: '10.1.0.1', port: gtsm.port, ttl: 255, timeoutMs: REFUSED_AFTER_MS })).toBe('ETIMEDOUT');
      expect(await srv.call<number[]>('accepted', { server: gtsm.server })).toEqual([]);
      const c = await near.call<Connected>('connect', { host: '10.1.0.1', port: gtsm.port, ttl: 255, minTtl: 255, timeoutMs: 5000 });
      expect(c.ttl.minTtl).toBe(255);
      const [accepted] = await waitFor(async () => {
        const a = await srv.call<number[]>('accepted', { server: gtsm.server });
        return a.length > 0 ? a : false;
      }, { what: 'the accept' });
      // The accepted socket inherits the listener's check from its first segment on.
      expect(await srv.call<TtlReadback>('readTtl', { conn: accepted })).toMatchObject({ ttl: 255, minTtl: 255 });
    });

    it('ttl-security hops 2 (minimum 254) lets the client two hops away in', async () => {
      const l = await srv.call<Listening>('listen', { host: '10.1.0.1', port: port(), ttl: 255, minTtl: 254 });
      await far.call<Connected>('connect', { host: '10.1.0.1', port: l.port, ttl: 255, minTtl: 254, timeoutMs: 5000 });
      expect(await far.failure('connect', { host: '10.1.0.1', port: l.port, timeoutMs: REFUSED_AFTER_MS })).toBe('ETIMEDOUT'); // default TTL 64
    });

    it('a minimum TTL set on a running listener drops the far client from then on', async () => {
      const l = await srv.call<Listening>('listen', { host: '10.1.0.1', port: port(), ttl: 255 });
      await far.call<Connected>('connect', { host: '10.1.0.1', port: l.port, ttl: 255, timeoutMs: 5000 });
      await srv.call('listenerMinTtl', { server: l.server, minTtl: 255 });
      expect(await far.failure('connect', { host: '10.1.0.1', port: l.port, ttl: 255, timeoutMs: REFUSED_AFTER_MS })).toBe('ETIMEDOUT');
    });
  });
});

function decode(hex: string): BgpMessage {
  return decodeMessage(Buffer.from(hex, 'hex'), DEFAULT_CONTEXT);
}

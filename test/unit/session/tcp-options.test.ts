/**
 * src/session/tcp-options.ts, tcp-native.ts, tcp-ttl.ts and tcp-errors.ts: argument checks, the
 * TTL policy, and the addon on loopback only (no root, no traffic beyond 127.0.0.1 / ::1).
 * Nothing here waits on a timer: connects either complete, are refused at once, or are aborted.
 * What needs a timeout or real links (a wrong MD5 key never completing a handshake, GTSM across
 * routed hops, FRR) is in test/netns/tcp-options.netns.test.ts.
 *
 * The addon tests need `npm run build:native`; without the addon they are skipped with the reason
 * printed, except under CI=true, where a missing addon fails the run (test/netns/lib/requirements.ts).
 */
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { createServer, Socket as NetSocket, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TcpOptionsError, errnoError } from '../../../src/session/tcp-errors.js';
import { tcpAddon } from '../../../src/session/tcp-native.js';
import {
  connectTcp,
  listenTcp,
  md5Key,
  readTtlOptions,
  setListenerMd5,
  setListenerMinTtl,
  setListenerTtl,
  setSocketMinTtl,
  setSocketTtl,
} from '../../../src/session/tcp-options.js';
import { gtsmMinTtl, listenerTtl, sessionTtl } from '../../../src/session/tcp-ttl.js';
import { ADDON_BUILT, describeNetns } from '../../netns/lib/requirements.js';

async function rejection(p: Promise<unknown>): Promise<TcpOptionsError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TcpOptionsError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

function thrown(fn: () => unknown): TcpOptionsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TcpOptionsError) return err;
    throw err;
  }
  throw new Error('expected a throw');
}

describe('argument checks (before the addon is used)', () => {
  const base = { host: '127.0.0.1', port: 179, timeoutMs: 1000 };

  it.each([
    ['a host name', { ...base, host: 'peer.example' }, /host must be an IPv4 or IPv6 address/],
    ['an IPv4 address with a zone', { ...base, host: '10.0.0.1%eth0' }, /host must be/],
    ['port 0', { ...base, port: 0 }, /port must be an integer 1..65535/],
    ['a fractional port', { ...base, port: 179.5 }, /port/],
    ['TTL 0', { ...base, ttl: 0 }, /ttl must be an integer 1..255/],
    ['TTL 256', { ...base, ttl: 256 }, /ttl/],
    ['minimum TTL 256', { ...base, minTtl: 256 }, /minTtl must be an integer 0..255/],
    ['a zero timeout', { ...base, timeoutMs: 0 }, /timeoutMs/],
    ['an empty password', { ...base, md5Password: '' }, /1..80 bytes/],
    ['an 81-byte password', { ...base, md5Password: 'x'.repeat(81) }, /got 81/],
    ['a local address of the other family', { ...base, localAddress: '::1' }, /same family/],
  ])('connectTcp rejects %s with ERR_INVALID_ARG_VALUE', async (_what, opts, message) => {
    const err = await rejection(connectTcp(opts));
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(err.message).toMatch(message);
  });

  it('counts the password limit in UTF-8 bytes, not characters', () => {
    expect(md5Key('é'.repeat(40)).length).toBe(80);
    expect(thrown(() => md5Key('é'.repeat(41))).message).toMatch(/got 82/);
  });

  it('accepts an IPv6 link-local host with a zone', async () => {
    const err = await rejection(connectTcp({ ...base, host: 'fe80::1%eth0', port: 0 }));
    expect(err.message).toMatch(/port/); // the host passed; the port did not
  });

  it('rejects a listener option out of range before creating a socket', async () => {
    const server = createServer();
    const err = await rejection(listenTcp(server, { host: '::', port: 0, minTtl: -1 }));
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(server.listening).toBe(false);
  });
});

describe('errors', () => {
  it('names a failed system call by its errno and keeps where it happened', () => {
    const err = errnoError(111, 'connect', { address: '10.0.0.2', port: 179 });
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'ECONNREFUSED', errno: 111, syscall: 'connect', address: '10.0.0.2', port: 179 });
    expect(err.message).toBe('connect ECONNREFUSED 10.0.0.2 port 179');
  });
});

describe('TTL policy (FRR semantics, RFC 5082)', () => {
  it('gives GTSM a minimum of 256 - hops: 255 for a directly connected peer', () => {
    expect(gtsmMinTtl(1)).toBe(255);
    expect(gtsmMinTtl(2)).toBe(254);
    expect(gtsmMinTtl(254)).toBe(2);
  });

  it.each([0, 255, 1.5])('refuses %s GTSM hops', (hops) => {
    expect(thrown(() => gtsmMinTtl(hops)).code).toBe('ERR_INVALID_ARG_VALUE');
  });

  it('sends GTSM sessions with TTL 255 whatever the peer type', () => {
    expect(sessionTtl({ ebgp: true, ttlSecurity: 1 })).toEqual({ ttl: 255, minTtl: 255 });
    expect(sessionTtl({ ebgp: false, ttlSecurity: 3 })).toEqual({ ttl: 255, minTtl: 253 });
  });

  it('sends plain eBGP with TTL 1, multihop eBGP with its TTL, and iBGP with 255', () => {
    expect(sessionTtl({ ebgp: true })).toEqual({ ttl: 1, minTtl: 0 });
    expect(sessionTtl({ ebgp: true, ebgpMultihop: 4 })).toEqual({ ttl: 4, minTtl: 0 });
    expect(sessionTtl({ ebgp: false })).toEqual({ ttl: 255, minTtl: 0 });
    expect(sessionTtl({ ebgp: false, ebgpMultihop: 4 })).toEqual({ ttl: 255, minTtl: 0 });
  });

  it('refuses ttlSecurity together with ebgpMultihop, as FRR does', () => {
    expect(thrown(() => sessionTtl({ ebgp: true, ttlSecurity: 1, ebgpMultihop: 2 })).message).toMatch(/cannot both be set/);
  });

  it('always sends SYN-ACKs with 255 and filters on the listener only when every peer uses GTSM', () => {
    expect(listenerTtl([])).toEqual({ ttl: 255, minTtl: 0 });
    expect(listenerTtl([{ ebgp: true, ttlSecurity: 1 }, { ebgp: true, ttlSecurity: 3 }])).toEqual({ ttl: 255, minTtl: 253 });
    expect(listenerTtl([{ ebgp: true, ttlSecurity: 1 }, { ebgp: false }])).toEqual({ ttl: 255, minTtl: 0 });
  });
});

describe('a missing addon', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('is reported by tcpOptionsAvailable and by every call, with how to build it', async () => {
    vi.stubEnv('WREN_TCP_ADDON', '/nonexistent/wren_tcp.node');
    vi.resetModules();
    const fresh = await import('../../../src/session/tcp-options.js');
    const status = fresh.tcpOptionsAvailable();
    expect(status.ok).toBe(false);
    expect(status.ok ? '' : status.reason).toMatch(/\/nonexistent\/wren_tcp\.node.*npm run build:native/);
    const err = await connectErr(fresh.connectTcp({ host: '127.0.0.1', port: 179, timeoutMs: 1000 }));
    expect(err.code).toBe('ERR_WREN_TCP_ADDON');
  });

  async function connectErr(p: Promise<unknown>): Promise<{ code: unknown }> {
    try {
      await p;
    } catch (err) {
      return err as { code: unknown };
    }
    throw new Error('expected a rejection');
  }
});

describeNetns('the addon on loopback', [ADDON_BUILT], () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
  });

  async function md5Server(
    host: string,
    md5Peers: { address: string; password: string }[] = [],
    ttl?: number,
  ): Promise<{ server: Server; port: number; accepted: Socket[] }> {
    const accepted: Socket[] = [];
    const server = createServer((s) => {
      accepted.push(s);
      sockets.push(s);
      s.end('hello');
    });
    servers.push(server);
    await listenTcp(server, { host, port: 0, md5Peers, ...(ttl === undefined ? {} : { ttl }) });
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no address');
    return { server, port: addr.port, accepted };
  }

  async function firstData(s: Socket): Promise<string> {
    const [chunk] = (await once(s, 'data')) as [Buffer];
    return chunk.toString();
  }

  it('connects with the key the listener has for the client, and the socket carries data', async () => {
    const { port } = await md5Server('127.0.0.1', [{ address: '127.0.0.1', password: 'secret' }]);
    const s = await connectTcp({ host: '127.0.0.1', port, md5Password: 'secret', timeoutMs: 5000 });
    sockets.push(s);
    expect(s.remotePort).toBe(port);
    expect(s.remoteAddress).toBe('127.0.0.1');
    expect(await firstData(s)).toBe('hello');
  });

  it('accepts a keyed IPv4 client on a dual-stack listener through the IPv4-mapped key', async () => {
    const { port, accepted } = await md5Server('::', [{ address: '127.0.0.1', password: 'secret' }]);
    const s = await connectTcp({ host: '127.0.0.1', port, md5Password: 'secret', timeoutMs: 5000 });
    sockets.push(s);
    expect(await firstData(s)).toBe('hello');
    expect(accepted[0]?.remoteAddress).toBe('::ffff:127.0.0.1');
  });

  it('shows that the kernel refuses an IPv4 key on an IPv6 socket (EINVAL) and takes the mapped one', async () => {
    const { server } = await md5Server('::');
    const addon = tcpAddon();
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no address');
    const fd = addon.findSocketFd(-1, '::', addr.port, null, 0);
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(addon.setMd5(fd, '127.0.0.1', Buffer.from('k'), 1)).toEqual({ errno: 22, syscall: 'setsockopt(TCP_MD5SIG)' });
    expect(addon.setMd5(fd, '::ffff:127.0.0.1', Buffer.from('k'), 1)).toBe(0);
  });

  it('lets an unkeyed client in once the key is removed, and removing it twice is fine', async () => {
    const { server, port } = await md5Server('127.0.0.1', [{ address: '127.0.0.1', password: 'secret' }]);
    setListenerMd5(server, { address: '127.0.0.1', password: null });
    setListenerMd5(server, { address: '127.0.0.1', password: null });
    const s = await connectTcp({ host: '127.0.0.1', port, timeoutMs: 5000 });
    sockets.push(s);
    expect(await firstData(s)).toBe('hello');
  });

  it('sets keys on a server that node:net created and listened itself', async () => {
    const server = createServer((c) => {
      sockets.push(c);
      c.end('plain');
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    setListenerMd5(server, { address: '127.0.0.1', password: 'late' });
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no address');
    const s = await connectTcp({ host: '127.0.0.1', port: addr.port, md5Password: 'late', timeoutMs: 5000 });
    sockets.push(s);
    expect(await firstData(s)).toBe('plain');
  });

  it('aborts a connect whose SYN the listener drops (no key) with ECANCELED', async () => {
    const { port } = await md5Server('127.0.0.1', [{ address: '127.0.0.1', password: 'secret' }]);
    const ac = new AbortController();
    const p = connectTcp({ host: '127.0.0.1', port, timeoutMs: 600_000, signal: ac.signal });
    ac.abort();
    const err = await rejection(p);
    expect(err).toMatchObject({ code: 'ECANCELED', syscall: 'connect' });
  });

  it('rejects at once when the signal is already aborted', async () => {
    const err = await rejection(connectTcp({ host: '127.0.0.1', port: 9, timeoutMs: 1000, signal: AbortSignal.abort() }));
    expect(err.code).toBe('ECANCELED');
  });

  it('reports a closed port as ECONNREFUSED with the address', async () => {
    const { server, port } = await md5Server('127.0.0.1');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const err = await rejection(connectTcp({ host: '127.0.0.1', port, timeoutMs: 5000 }));
    expect(err).toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port });
  });

  it('reports a local address this host does not have as EADDRNOTAVAIL from bind', async () => {
    const err = await rejection(connectTcp({ host: '127.0.0.1', port: 9, localAddress: '192.0.2.1', timeoutMs: 5000 }));
    expect(err).toMatchObject({ code: 'EADDRNOTAVAIL', syscall: 'bind' });
  });

  it('reports a port in use as EADDRINUSE and leaves the server not listening', async () => {
    const { port } = await md5Server('127.0.0.1');
    const other = createServer();
    const err = await rejection(listenTcp(other, { host: '127.0.0.1', port }));
    expect(err).toMatchObject({ code: 'EADDRINUSE', syscall: 'bind' });
    expect(other.listening).toBe(false);
  });

  it('sets the outgoing TTL and the minimum TTL before connecting, and reads them back', async () => {
    // The listener must answer with TTL 255 too: a SYN-ACK below the client's minimum is dropped.
    const { server, port } = await md5Server('127.0.0.1', [], 255);
    expect(readTtlOptions(server).ttl).toBe(255);
    const s = await connectTcp({ host: '127.0.0.1', port, ttl: 255, minTtl: 250, timeoutMs: 5000 });
    sockets.push(s);
    expect(readTtlOptions(s)).toEqual({ ttl: 255, minTtl: 250, hopLimit: null, minHopCount: null });
  });

  it('sets TTL options on an accepted socket and on a listener, IPv6 included', async () => {
    const { server, port, accepted } = await md5Server('::1');
    const s = await connectTcp({ host: '::1', port, timeoutMs: 5000 });
    sockets.push(s);
    await firstData(s);
    const a = accepted[0];
    if (!a) throw new Error('nothing accepted');
    setSocketTtl(a, 255);
    setSocketMinTtl(a, 254);
    expect(readTtlOptions(a)).toEqual({ ttl: 255, minTtl: 254, hopLimit: 255, minHopCount: 254 });
    setListenerTtl(server, 200);
    setListenerMinTtl(server, 100);
    expect(readTtlOptions(server)).toEqual({ ttl: 200, minTtl: 100, hopLimit: 200, minHopCount: 100 });
  });

  it('finds the descriptor by address when the private-handle hint is wrong', async () => {
    const { server, port } = await md5Server('127.0.0.1');
    const addon = tcpAddon();
    const right = addon.findSocketFd(-1, '127.0.0.1', port, null, 0);
    expect(right).toBeGreaterThanOrEqual(0);
    expect(addon.findSocketFd(0, '127.0.0.1', port, null, 0)).toBe(right); // fd 0 is not it
    expect(addon.findSocketFd(right, '127.0.0.1', port + 1 === 65536 ? 1 : port + 1, null, 0)).toBe(-1);
    expect(server.listening).toBe(true);
  });

  it('leaves no descriptor behind on any failure path', async () => {
    const { server, port } = await md5Server('127.0.0.1', [{ address: '127.0.0.1', password: 'secret' }]);
    const closed = await md5Server('127.0.0.1');
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    const open = (): number => readdirSync('/proc/self/fd').length;
    const before = open();
    for (let i = 0; i < 40; i++) {
      await rejection(connectTcp({ host: '127.0.0.1', port: closed.port, timeoutMs: 5000 })); // ECONNREFUSED
      await rejection(connectTcp({ host: '127.0.0.1', port, localAddress: '192.0.2.1', timeoutMs: 5000 })); // EADDRNOTAVAIL
      const ac = new AbortController();
      const p = connectTcp({ host: '127.0.0.1', port, timeoutMs: 600_000, signal: ac.signal }); // SYN dropped: no key
      ac.abort();
      await rejection(p); // ECANCELED
      await rejection(listenTcp(createServer(), { host: '127.0.0.1', port })); // EADDRINUSE
      await rejection(listenTcp(createServer(), { host: '127.0.0.1', port: 0, md5Peers: [{ address: 'fd00::1', password: 'x' }] })); // EAFNOSUPPORT
    }
    // A leak would be at least one descriptor per round (40); allow for unrelated noise.
    expect(open() - before).toBeLessThan(10);
    expect(server.listening).toBe(true);
  });

  it('refuses a server that is not listening and a socket that is not connected', () => {
    expect(thrown(() => setListenerMd5(createServer(), { address: '10.0.0.1', password: 'x' })).code).toBe('ERR_WREN_TCP_NOT_CONNECTED');
    expect(thrown(() => setSocketTtl(new NetSocket(), 64)).code).toBe('ERR_WREN_TCP_NOT_CONNECTED');
  });
});

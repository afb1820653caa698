/**
 * TCP socket options node:net cannot set, for BGP sessions (Linux only, through the native
 * helper in native/; docs/decisions/0002-tcp-socket-options.md):
 * - TCP MD5 signatures, RFC 2385 (TCP_MD5SIG), on outgoing connections and per peer on listeners;
 * - the outgoing TTL / IPv6 hop limit (IP_TTL, IPV6_UNICAST_HOPS): eBGP multihop, GTSM's 255;
 * - the minimum incoming TTL, RFC 5082 GTSM (IP_MINTTL, IPV6_MINHOPCOUNT).
 *
 * Outgoing connections are made natively (the key must be on the socket before the SYN) and the
 * connected descriptor is handed to `new net.Socket({ fd })`. Listeners are made natively too
 * (bound, keys set, then `server.listen({ fd })`), so no SYN can complete a handshake before the
 * keys are in place. For a server or socket whose descriptor we did not create, the descriptor is
 * found by its addresses (see `fdOf`), never trusted from node:net's private `_handle` alone.
 *
 * Every argument is checked here, before the addon is touched; errors are TcpOptionsError with
 * `code` = errno name (ECONNREFUSED, ETIMEDOUT, ...) or an ERR_* code of ours.
 */
import { closeSync } from 'node:fs';
import { Socket, type AddressInfo, type Server } from 'node:net';
import { constants } from 'node:os';
import { parseZonedAddress, unmapIPv4 } from '../util/inet.js';
import { errnoError, invalidArg, TcpOptionsError } from './tcp-errors.js';
import { isFailure, tcpAddon, type NativeResult, type WrenTcpAddon } from './tcp-native.js';

export { tcpOptionsAvailable } from './tcp-native.js';
export { TcpOptionsError } from './tcp-errors.js';

/** Linux TCP_MD5SIG_MAXKEYLEN. RFC 2385 sets no limit; the kernel does. */
export const MD5_MAX_KEY_BYTES = 80;

const { ECANCELED, ENOENT } = constants.errno;

export interface ConnectTcpOptions {
  /** The peer's IP address (no DNS); an IPv6 link-local address may carry a zone: `fe80::1%eth0`. */
  readonly host: string;
  readonly port: number;
  /** Source address, same family as host. */
  readonly localAddress?: string;
  /** RFC 2385 key for this peer, 1..80 bytes as UTF-8. */
  readonly md5Password?: string;
  /** Outgoing TTL / hop limit, 1..255. Default: the system's (64). */
  readonly ttl?: number;
  /** Minimum TTL / hop limit of received segments, 0..255 (0 = off). */
  readonly minTtl?: number;
  /** The handshake must complete within this time, or the promise rejects with ETIMEDOUT. */
  readonly timeoutMs: number;
  /** Aborting rejects with ECANCELED and closes whatever the attempt produced. */
  readonly signal?: AbortSignal;
}

export interface ListenTcpOptions {
  /** Local address: "0.0.0.0", "::" (dual-stack) or one address. */
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  readonly backlog?: number;
  /** TTL of SYN-ACKs (inherited by accepted sockets), 1..255. tcp-ttl.ts listenerTtl: 255. */
  readonly ttl?: number;
  /** Drop SYNs (and inherit to accepted sockets) below this TTL, 0..255. */
  readonly minTtl?: number;
  /** MD5 keys in place before the socket listens. */
  readonly md5Peers?: readonly { readonly address: string; readonly password: string }[];
}

/** What getsockopt says about a socket's TTL options. */
export interface TtlReadback {
  /** IP_TTL: IPv4 packets (also IPv4-mapped connections of an IPv6 socket). */
  readonly ttl: number;
  /** IP_MINTTL; 0 = off. */
  readonly minTtl: number;
  /** IPV6_UNICAST_HOPS; null on an IPv4 socket. */
  readonly hopLimit: number | null;
  /** IPV6_MINHOPCOUNT; null on an IPv4 socket. */
  readonly minHopCount: number | null;
}

// ------------------------------------------------------------------ validation

/** An IPv6 address may carry a zone id (`fe80::1%eth0`): the kernel needs it for a link-local peer. */
function checkAddress(what: string, address: unknown): 4 | 6 {
  const f = typeof address === 'string' ? (parseZonedAddress(address)?.family ?? 0) : 0;
  if (f === 0) throw invalidArg(`${what} must be an IPv4 or IPv6 address (got ${JSON.stringify(address)})`);
  return f;
}

function checkInt(what: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalidArg(`${what} must be an integer ${min}..${max} (got ${String(v)})`);
  }
  return v;
}

/** RFC 2385 key bytes: the password as UTF-8, 1..80 bytes (Linux TCP_MD5SIG_MAXKEYLEN). */
export function md5Key(password: unknown): Buffer {
  if (typeof password !== 'string') throw invalidArg('the MD5 password must be a string');
  const key = Buffer.from(password, 'utf8');
  if (key.length < 1 || key.length > MD5_MAX_KEY_BYTES) {
    throw invalidArg(`the MD5 password must be 1..${MD5_MAX_KEY_BYTES} bytes as UTF-8 (got ${key.length})`);
  }
  return key;
}

// ------------------------------------------------------------------ outgoing connections

/**
 * Opens a TCP connection with the options set before the SYN, and returns it as a connected
 * net.Socket. Rejects with a TcpOptionsError: ETIMEDOUT (no handshake within timeoutMs; a peer
 * whose MD5 key differs drops our SYN, so this is also what a wrong password looks like),
 * ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL (localAddress), ECANCELED (signal), ...
 * The attempt runs on a libuv thread-pool thread until it completes, times out or is aborted.
 */
export function connectTcp(opts: ConnectTcpOptions): Promise<Socket> {
  let addon: WrenTcpAddon;
  let key: Buffer | null;
  try {
    const f = checkAddress('host', opts.host);
    checkInt('port', opts.port, 1, 65535);
    if (opts.localAddress !== undefined && checkAddress('localAddress', opts.localAddress) !== f) {
      throw invalidArg(`localAddress ${opts.localAddress} is not of the same family as host ${opts.host}`);
    }
    if (opts.ttl !== undefined) checkInt('ttl', opts.ttl, 1, 255);
    if (opts.minTtl !== undefined) checkInt('minTtl', opts.minTtl, 0, 255);
    checkInt('timeoutMs', opts.timeoutMs, 1, 2 ** 31 - 1);
    key = opts.md5Password === undefined ? null : md5Key(opts.md5Password);
    addon = tcpAddon();
  } catch (err) {
    return Promise.reject(err);
  }
  const where = { address: opts.host, port: opts.port };
  const signal = opts.signal;
  if (signal?.aborted) return Promise.reject(errnoError(ECANCELED, 'connect', where));
  return new Promise<Socket>((resolve, reject) => {
    const onAbort = (): void => handle.cancel();
    // The addon calls this exactly once, on the main thread; it must not throw (it owns `fd`).
    const done = (errno: number, syscall: string | null, fd: number): void => {
      signal?.removeEventListener('abort', onAbort);
      if (errno !== 0) {
        reject(errnoError(errno, syscall ?? 'connect', where));
        return;
      }
      let socket: Socket;
      try {
        socket = new Socket({ fd, readable: true, writable: true });
      } catch (cause) {
        closeQuietly(fd);
        reject(new TcpOptionsError('ERR_WREN_TCP_FD_NOT_FOUND', 'could not wrap the connected descriptor in a net.Socket', { cause, ...where }));
        return;
      }
      if (signal?.aborted) {
        socket.destroy();
        reject(errnoError(ECANCELED, 'connect', where));
        return;
      }
      resolve(socket);
    };
    const handle = addon.connect(
      {
        address: opts.host,
        port: opts.port,
        localAddress: opts.localAddress ?? null,
        key,
        ttl: opts.ttl ?? -1,
        minTtl: opts.minTtl ?? -1,
        timeoutMs: opts.timeoutMs,
      },
      done,
    );
    key?.fill(0); // the addon copied it
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

// ------------------------------------------------------------------ listeners

/** Descriptors of servers started by listenTcp (checked again by address before each use). */
const listenerFds = new WeakMap<Server, number>();

/**
 * Makes `server` listen on a socket created natively with the options set before listen():
 * MD5 keys for `md5Peers`, TTL and minimum TTL. Resolves when listening. Rejects with
 * EADDRINUSE, EADDRNOTAVAIL, EACCES (port < 1024 without CAP_NET_BIND_SERVICE), ... Not for
 * cluster workers (node:net hands a listen fd to the primary's handle only in the primary).
 */
export function listenTcp(server: Server, opts: ListenTcpOptions): Promise<void> {
  let addon: WrenTcpAddon;
  let peers: { address: string; key: Buffer }[];
  try {
    checkAddress('host', opts.host);
    checkInt('port', opts.port, 0, 65535);
    if (opts.backlog !== undefined) checkInt('backlog', opts.backlog, 1, 65535);
    if (opts.ttl !== undefined) checkInt('ttl', opts.ttl, 1, 255);
    if (opts.minTtl !== undefined) checkInt('minTtl', opts.minTtl, 0, 255);
    peers = (opts.md5Peers ?? []).map((p) => {
      checkAddress('md5Peers address', p.address);
      return { address: unmapIPv4(p.address), key: md5Key(p.password) };
    });
    addon = tcpAddon();
    if (server.listening) throw new TcpOptionsError('ERR_INVALID_ARG_VALUE', 'the server is already listening');
  } catch (err) {
    return Promise.reject(err);
  }
  const where = { address: opts.host, port: opts.port };
  const fd = addon.openListener(opts.host, opts.port, opts.ttl ?? -1, opts.minTtl ?? -1);
  if (isFailure(fd)) return Promise.reject(errnoError(fd.errno, fd.syscall, where));
  for (const p of peers) {
    const r = addon.setMd5(fd, p.address, p.key, 0);
    p.key.fill(0);
    if (isFailure(r)) {
      addon.closeFd(fd);
      return Promise.reject(errnoError(r.errno, r.syscall, { address: p.address }));
    }
  }
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      server.removeListener('listening', onListening);
      reject(err); // node:net closed the handle, and with it fd
    };
    const onListening = (): void => {
      server.removeListener('error', onError);
      listenerFds.set(server, fd);
      server.once('close', () => listenerFds.delete(server));
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    try {
      // With { fd }, node:net takes the backlog only from the second argument, not from the object.
      if (opts.backlog === undefined) server.listen({ fd });
      else server.listen({ fd }, opts.backlog);
    } catch (err) {
      server.removeListener('error', onError);
      server.removeListener('listening', onListening);
      addon.closeFd(fd);
      reject(err);
    }
  });
}

/**
 * Sets (password) or removes (null) the RFC 2385 key for one peer address on a listening server.
 * On a dual-stack "::" listener an IPv4 peer's key is set in its IPv4-mapped form, the only form
 * the kernel accepts there (an AF_INET address on an AF_INET6 socket is EINVAL); it then applies
 * to that peer's IPv4 connections. Removing a key that is not set is not an error.
 */
export function setListenerMd5(server: Server, peer: { readonly address: string; readonly password: string | null }): void {
  checkAddress('peer address', peer.address);
  const key = peer.password === null ? null : md5Key(peer.password);
  const addon = tcpAddon();
  const fd = fdOf(addon, server);
  const address = unmapIPv4(peer.address);
  const r = addon.setMd5(fd, address, key, 0);
  key?.fill(0);
  if (isFailure(r) && !(key === null && r.errno === ENOENT /* no such key */)) throw errnoError(r.errno, r.syscall, { address });
}

/** IP_MINTTL / IPV6_MINHOPCOUNT on a listening server (0 = off): SYNs below it are dropped. */
export function setListenerMinTtl(server: Server, minTtl: number): void {
  checkInt('minTtl', minTtl, 0, 255);
  const addon = tcpAddon();
  check(addon.setMinTtl(fdOf(addon, server), minTtl));
}

/** IP_TTL / IPV6_UNICAST_HOPS on a listening server: the TTL of its SYN-ACKs, inherited on accept. */
export function setListenerTtl(server: Server, ttl: number): void {
  checkInt('ttl', ttl, 1, 255);
  const addon = tcpAddon();
  check(addon.setTtl(fdOf(addon, server), ttl));
}

// ------------------------------------------------------------------ connected sockets

/** Outgoing TTL / hop limit of a connected socket (for example one just accepted), 1..255. */
export function setSocketTtl(socket: Socket, ttl: number): void {
  checkInt('ttl', ttl, 1, 255);
  const addon = tcpAddon();
  check(addon.setTtl(fdOf(addon, socket), ttl));
}

/** Minimum TTL / hop limit of the segments a connected socket accepts, 0..255 (0 = off). */
export function setSocketMinTtl(socket: Socket, minTtl: number): void {
  checkInt('minTtl', minTtl, 0, 255);
  const addon = tcpAddon();
  check(addon.setMinTtl(fdOf(addon, socket), minTtl));
}

/** The TTL options of a connected socket or a listening server, as getsockopt reports them. */
export function readTtlOptions(target: Socket | Server): TtlReadback {
  const addon = tcpAddon();
  const r = addon.getTtl(fdOf(addon, target));
  if (isFailure(r)) throw errnoError(r.errno, r.syscall);
  return {
    ttl: r.ttl,
    minTtl: r.minTtl,
    hopLimit: r.hops < 0 ? null : r.hops,
    minHopCount: r.minHops < 0 ? null : r.minHops,
  };
}

function check(r: NativeResult): void {
  if (isFailure(r)) throw errnoError(r.errno, r.syscall);
}

// ------------------------------------------------------------------ descriptors

/**
 * The descriptor of a listening server or connected socket. node:net has no public accessor; its
 * private `_handle.fd` (or, for listenTcp servers, the fd we created) is only a hint: the addon
 * uses it when getsockname/getpeername match the object's public addresses (and SO_ACCEPTCONN its
 * kind), and otherwise scans /proc/self/fd for the descriptor that does. So a private-field change
 * in Node costs a scan, never an option set on the wrong socket.
 */
function fdOf(addon: WrenTcpAddon, target: Socket | Server): number {
  if (target instanceof Socket) {
    const { localAddress, localPort, remoteAddress, remotePort } = target;
    if (localAddress === undefined || localPort === undefined || remoteAddress === undefined || remotePort === undefined || target.destroyed) {
      throw new TcpOptionsError('ERR_WREN_TCP_NOT_CONNECTED', 'the socket is not connected');
    }
    return found(addon.findSocketFd(privateFd(target), localAddress, localPort, remoteAddress, remotePort), `${localAddress} port ${localPort}`);
  }
  const addr = target.listening ? target.address() : null;
  if (addr === null || typeof addr === 'string') {
    throw new TcpOptionsError('ERR_WREN_TCP_NOT_CONNECTED', 'the server is not listening on a TCP address');
  }
  const { address, port } = addr satisfies AddressInfo;
  return found(addon.findSocketFd(listenerFds.get(target) ?? privateFd(target), address, port, null, 0), `${address} port ${port}`);
}

function found(fd: number, what: string): number {
  if (fd < 0) throw new TcpOptionsError('ERR_WREN_TCP_FD_NOT_FOUND', `no descriptor of this process is the TCP socket at ${what}`);
  return fd;
}

function privateFd(target: object): number {
  const handle: unknown = Reflect.get(target, '_handle');
  const fd: unknown = typeof handle === 'object' && handle !== null ? Reflect.get(handle, 'fd') : undefined;
  return typeof fd === 'number' && Number.isInteger(fd) ? fd : -1;
}

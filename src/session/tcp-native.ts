/**
 * Loads wren's native helper, native/build/Release/wren_tcp.node (native/src/wren_tcp.c), and
 * describes its raw interface. Only tcp-options.ts (and tests) use this file; everything else goes
 * through tcp-options.ts, which validates arguments before they get here.
 *
 * The path is relative to this file, so it is the same from src/session/ (tests) and
 * dist/session/ (the build): ../../native/build/Release/wren_tcp.node. WREN_TCP_ADDON overrides
 * it with an absolute path (bundles, packaging). The addon is built by `npm run build:native`,
 * not by an install hook.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { TcpOptionsError } from './tcp-errors.js';

/** A failed system call, as the addon reports it: positive errno and the call's name. */
export interface NativeFailure {
  readonly errno: number;
  readonly syscall: string;
}

/** A number (descriptor, 0 for done) or a failure. */
export type NativeResult = number | NativeFailure;

export interface NativeConnectRequest {
  readonly address: string;
  readonly port: number;
  readonly localAddress: string | null;
  /** TCP MD5 key, 1..80 bytes; null: none. */
  readonly key: Buffer | null;
  /** -1: leave the default. */
  readonly ttl: number;
  /** -1: leave the default. */
  readonly minTtl: number;
  readonly timeoutMs: number;
}

export interface NativeTtl {
  readonly ttl: number;
  /** -1 on an AF_INET socket. */
  readonly hops: number;
  readonly minTtl: number;
  /** -1 on an AF_INET socket. */
  readonly minHops: number;
}

export interface NativeConnectHandle {
  /** Wakes the worker: the callback then reports ECANCELED (or the fd, if connect already won). */
  cancel(): void;
}

/**
 * 0: convert the peer address between IPv4 and IPv4-mapped IPv6 to match the socket's family;
 * 1: use it as given (tests use this to show what the kernel does with the other form).
 */
export type Md5MapMode = 0 | 1;

export interface WrenTcpAddon {
  /** Exactly one callback. errno 0: the callback owns fd (a connected, non-blocking TCP socket). */
  connect(req: NativeConnectRequest, callback: (errno: number, syscall: string | null, fd: number) => void): NativeConnectHandle;
  /** A bound, not yet listening TCP socket (SO_REUSEADDR; dual-stack on "::"). */
  openListener(address: string, port: number, ttl: number, minTtl: number): NativeResult;
  closeFd(fd: number): NativeResult;
  setMd5(fd: number, peerAddress: string, key: Buffer | null, mapMode: Md5MapMode): NativeResult;
  setTtl(fd: number, ttl: number): NativeResult;
  setMinTtl(fd: number, minTtl: number): NativeResult;
  getTtl(fd: number): NativeTtl | NativeFailure;
  socketFamily(fd: number): NativeResult;
  /** The descriptor with these endpoints (remoteAddress null: a listener), trying `hint` first; -1 if none. */
  findSocketFd(hint: number, localAddress: string, localPort: number, remoteAddress: string | null, remotePort: number): number;
}

export const isFailure = (r: unknown): r is NativeFailure => typeof r === 'object' && r !== null && 'errno' in r;

/** Where the addon is loaded from. */
export function addonPath(): string {
  const override = process.env['WREN_TCP_ADDON'];
  if (override !== undefined && override !== '') return override;
  return fileURLToPath(new URL('../../native/build/Release/wren_tcp.node', import.meta.url));
}

let loaded: { readonly addon: WrenTcpAddon } | { readonly error: TcpOptionsError } | undefined;

function load(): { readonly addon: WrenTcpAddon } | { readonly error: TcpOptionsError } {
  const path = addonPath();
  if (process.platform !== 'linux') {
    return { error: new TcpOptionsError('ERR_WREN_TCP_ADDON', `TCP MD5/TTL options need Linux (platform is ${process.platform})`) };
  }
  try {
    const required: unknown = createRequire(import.meta.url)(path);
    if (typeof required !== 'object' || required === null || typeof Reflect.get(required, 'connect') !== 'function') {
      return { error: new TcpOptionsError('ERR_WREN_TCP_ADDON', `${path} is not wren's TCP addon`) };
    }
    return { addon: required as WrenTcpAddon };
  } catch (cause) {
    const why = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    return {
      error: new TcpOptionsError(
        'ERR_WREN_TCP_ADDON',
        `cannot load the TCP options addon ${path} (${why}); build it with \`npm run build:native\``,
        { cause },
      ),
    };
  }
}

/** Whether TCP MD5 / TTL / GTSM options can be used here, and if not, why. Loads the addon once. */
export function tcpOptionsAvailable(): { ok: true } | { ok: false; reason: string } {
  loaded ??= load();
  return 'addon' in loaded ? { ok: true } : { ok: false, reason: loaded.error.message };
}

/** The addon, or a TcpOptionsError with code ERR_WREN_TCP_ADDON saying how to build it. */
export function tcpAddon(): WrenTcpAddon {
  loaded ??= load();
  if ('error' in loaded) throw loaded.error;
  return loaded.addon;
}

/**
 * BFD's UDP sockets, through wren's native addon (native/src/udp.c): node:dgram cannot tell the
 * TTL / hop limit a datagram arrived with, and RFC 5881 5 accepts single-hop packets only with
 * 255. The addon is the TCP options addon (src/session/tcp-native.ts loads it, in whichever thread
 * asks); its UDP calls are checked for here, so an addon built before them is reported as such.
 *
 * `nativeTransport()` is the BfdTransport the engine uses in the daemon; tests give the engine an
 * in-memory one.
 */
import { getSystemErrorName } from 'node:util';
import { isFailure, tcpAddon, tcpOptionsAvailable, type NativeFailure } from '../session/tcp-native.js';

/** One received datagram. */
export interface UdpDatagram {
  readonly bytes: Buffer;
  readonly from: string;
  readonly fromPort: number;
  /** TTL / hop limit it arrived with; -1 when the kernel gave none. */
  readonly ttl: number;
  /** The local address it was sent to ('' when unknown). */
  readonly to: string;
  readonly ifindex: number;
}

export interface UdpSocket {
  readonly localPort: number;
  /** Sends one datagram now; the errno name when the kernel refused it. */
  send(bytes: Buffer, address: string, port: number): string | null;
  close(): void;
}

export interface UdpOpenOptions {
  readonly address: string;
  readonly port: number;
  /** Outgoing TTL / hop limit; -1 for the system's default. */
  readonly ttl: number;
  /** Receive on this socket (with each datagram's TTL); absent: send only. */
  readonly onMessage?: (d: UdpDatagram) => void;
}

/** Opening a socket failed: `code` is the errno name (EADDRINUSE, EADDRNOTAVAIL, ...). */
export class UdpSocketError extends Error {
  override readonly name = 'UdpSocketError';
  readonly code: string;
  readonly syscall: string;
  constructor(code: string, syscall: string) {
    super(`${syscall}: ${code}`);
    this.code = code;
    this.syscall = syscall;
  }
}

/** What the engine needs of the network. */
export interface BfdTransport {
  /** Throws UdpSocketError. */
  open(o: UdpOpenOptions): UdpSocket;
}

type Handle = object;
interface UdpAddon {
  udpOpen(address: string, port: number, ttl: number, onMessage: ((b: Buffer, from: string, fromPort: number, ttl: number, to: string, ifindex: number) => void) | null): Handle | NativeFailure;
  udpSend(h: Handle, bytes: Buffer, address: string, port: number): number | NativeFailure;
  udpLocalPort(h: Handle): number | NativeFailure;
  udpClose(h: Handle): number;
  threadNice?(nice: number): number | NativeFailure;
  threadRealtime?(priority: number): number | NativeFailure;
}

const errName = (f: NativeFailure): string => {
  try {
    return getSystemErrorName(-f.errno);
  } catch {
    return `errno ${f.errno}`;
  }
};

/** Whether BFD's sockets can be opened here, and if not, why (one line an operator can act on). */
export function udpAvailable(): { ok: true } | { ok: false; reason: string } {
  const a = tcpOptionsAvailable();
  if (!a.ok) return a;
  const addon = tcpAddon() as unknown as Record<string, unknown>;
  if (typeof addon['udpOpen'] !== 'function') {
    return { ok: false, reason: 'the native addon was built before BFD (it has no udpOpen); rebuild it with `npm run build:native`' };
  }
  return { ok: true };
}

function addon(): UdpAddon {
  const ok = udpAvailable();
  if (!ok.ok) throw new UdpSocketError('ERR_WREN_TCP_ADDON', ok.reason);
  return tcpAddon() as unknown as UdpAddon;
}

/** The addon's sockets. Throws UdpSocketError (ERR_WREN_TCP_ADDON) when the addon is not there. */
export function nativeTransport(): BfdTransport {
  const a = addon();
  return {
    open(o: UdpOpenOptions): UdpSocket {
      const onMessage = o.onMessage;
      const h = a.udpOpen(
        o.address,
        o.port,
        o.ttl,
        onMessage ? (bytes, from, fromPort, ttl, to, ifindex) => onMessage({ bytes, from, fromPort, ttl, to, ifindex }) : null,
      );
      if (isFailure(h)) throw new UdpSocketError(errName(h), h.syscall);
      const port = a.udpLocalPort(h);
      if (isFailure(port)) {
        a.udpClose(h);
        throw new UdpSocketError(errName(port), port.syscall);
      }
      let closed = false;
      return {
        localPort: port,
        send(bytes, address, dport) {
          const r = a.udpSend(h, bytes, address, dport);
          return isFailure(r) ? errName(r) : null;
        },
        close() {
          if (closed) return;
          closed = true;
          a.udpClose(h);
        },
      };
    },
  };
}

/** The nice value the BFD thread asks for without real-time scheduling (docs/bfd.md). */
export const BFD_THREAD_NICE = -10;
/** Its SCHED_RR priority with `bfd.realtime` (the lowest: above every normal thread, below the kernel's). */
export const BFD_THREAD_RT_PRIORITY = 1;

const threadCall = (name: 'threadNice' | 'threadRealtime', arg: number): string | null => {
  const ok = udpAvailable();
  if (!ok.ok) return ok.reason;
  const a = tcpAddon() as unknown as UdpAddon;
  const f = a[name];
  if (typeof f !== 'function') return `the native addon has no ${name} (rebuild it with \`npm run build:native\`)`;
  const r = f.call(a, arg);
  return isFailure(r) ? errName(r) : null;
};

/**
 * Sets the calling thread's nice value (only that thread's: Linux schedules threads one by one).
 * Returns null when done, else why not: the errno name (EACCES without CAP_SYS_NICE), or a
 * sentence for an addon without the call.
 */
export const setThreadNice = (nice: number): string | null => threadCall('threadNice', nice);

/** The calling thread to SCHED_RR at `priority` (1..99), or back to SCHED_OTHER (0). Null when done, else why not (EPERM without CAP_SYS_NICE). */
export const setThreadRealtime = (priority: number): string | null => threadCall('threadRealtime', priority);

/** What the BFD thread's scheduling is, in words for logs and `show bfd`. */
export interface ThreadPriority {
  /** "SCHED_RR 1", "nice -10", or "normal" when neither could be set. */
  readonly scheduling: string;
  /** Why the asked-for scheduling was not had (real-time refused, nice refused). */
  readonly problem?: string;
}

/**
 * The BFD thread's scheduling (docs/bfd.md): with `realtime`, SCHED_RR at the lowest real-time
 * priority, else (or when refused) SCHED_OTHER at nice -10. Best effort: each refusal is said.
 */
export function applyThreadPriority(realtime: boolean): ThreadPriority {
  const problems: string[] = [];
  if (realtime) {
    const e = setThreadRealtime(BFD_THREAD_RT_PRIORITY);
    if (e === null) return { scheduling: `SCHED_RR ${BFD_THREAD_RT_PRIORITY}` };
    problems.push(`SCHED_RR refused: ${e}`);
  } else {
    setThreadRealtime(0);
  }
  const e = setThreadNice(BFD_THREAD_NICE);
  if (e === null) return { scheduling: `nice ${BFD_THREAD_NICE}`, ...(problems.length > 0 ? { problem: problems.join('; ') } : {}) };
  problems.push(`nice ${BFD_THREAD_NICE} refused: ${e}`);
  return { scheduling: 'normal', problem: problems.join('; ') };
}

/**
 * The BFD engine: every session of the process, their sockets, and the demultiplexing of received
 * packets (RFC 5880 6.3, RFC 5881, RFC 5883). It runs in the BFD thread (worker.ts), or on the
 * main thread when no worker can be had (service.ts); time, randomness and the network are
 * injected, so unit tests run it on a ManualClock over an in-memory network.
 *
 * Sockets:
 * - one receiving socket per family and port in use: UDP 3784 (single hop) and 4784 (multihop), on
 *   the unspecified address, each datagram reported with its TTL / hop limit;
 * - one sending socket per session, bound to the session's local address (or the unspecified one)
 *   and a source port drawn from 49152-65535 (RFC 5881 4: the same port for every packet of a
 *   session, unique among sessions), TTL / hop limit 255.
 *
 * Reception (RFC 5880 6.8.6, RFC 5881 5): the codec's checks, then the session: by Your
 * Discriminator when non-zero (and the source address must be that session's peer), else by the
 * source address and the port it came to; a packet to the single-hop port for a multihop session
 * (or the reverse) is discarded. Then the TTL: below the session's minimum (255 single hop) it is
 * discarded. A packet with the A bit is discarded: no authentication is configured, and wren
 * implements none (6.8.6: "If the A bit is set and no authentication is in use ... MUST be discarded").
 */
import { canonicalAddress } from '../util/inet.js';
import type { Clock } from '../util/clock.js';
import { BFD_TTL, BfdPort, SOURCE_PORT_MAX, SOURCE_PORT_MIN } from './constants.js';
import { decodeControl, encodeControl } from './packet.js';
import { BfdSession } from './session.js';
import type { BfdSessionSpec, BfdSessionStatus, BfdTransition } from './types.js';
import { UdpSocketError, type BfdTransport, type UdpDatagram, type UdpSocket } from './udp.js';

export interface BfdEngineHooks {
  /** A session changed state (its status after the change). */
  transition(t: BfdTransition, status: BfdSessionStatus): void;
}

export interface BfdEngineOptions {
  readonly clock: Clock;
  readonly transport: BfdTransport;
  readonly hooks: BfdEngineHooks;
  readonly wallNow?: () => number;
  readonly random?: () => number;
  /** How often sockets that could not be opened are tried again, ms (default 5000). */
  readonly retryMs?: number;
}

interface Entry {
  readonly spec: BfdSessionSpec;
  readonly session: BfdSession;
  readonly family: 4 | 6;
  tx: UdpSocket | undefined;
  /** Why the session cannot run right now (a socket could not be opened). */
  problem: string | undefined;
  started: boolean;
}

/** Datagrams that matched no session, by reason (for `show bfd` and tests). */
export interface UnmatchedCounters {
  undecodable: number;
  noSession: number;
}

const portOf = (multihop: boolean): number => (multihop ? BfdPort.MULTIHOP : BfdPort.SINGLE_HOP);
const familyOf = (address: string): 4 | 6 => (address.includes(':') ? 6 : 4);
const sameAddresses = (a: BfdSessionSpec, b: BfdSessionSpec): boolean =>
  a.remote === b.remote && a.local === b.local && a.multihop === b.multihop && a.minTtl === b.minTtl;

export class BfdEngine {
  readonly #o: BfdEngineOptions;
  readonly #random: () => number;
  readonly #sessions = new Map<string, Entry>();
  readonly #byDiscr = new Map<number, Entry>();
  /** Receiving sockets by `${family}/${port}`, or why it could not be opened. */
  readonly #receivers = new Map<string, UdpSocket | { readonly error: string }>();
  readonly #unmatched: UnmatchedCounters = { undecodable: 0, noSession: 0 };
  #retry: (() => void) | undefined;
  #closed = false;

  constructor(o: BfdEngineOptions) {
    this.#o = o;
    this.#random = o.random ?? Math.random;
  }

  /** The sessions the daemon wants: new ones start, gone ones end (AdminDown), changed timers go through a Poll. */
  configure(specs: readonly BfdSessionSpec[]): void {
    if (this.#closed) return;
    const wanted = new Map(specs.map((s) => [s.peer, s] as const));
    for (const [peer, e] of [...this.#sessions]) {
      const next = wanted.get(peer);
      if (next === undefined || !sameAddresses(e.spec, next)) this.#remove(e);
    }
    for (const spec of specs) {
      const e = this.#sessions.get(spec.peer);
      if (e) e.session.reconfigure(spec);
      else this.#add(spec);
    }
    this.#closeUnusedReceivers();
    this.#ensureSockets();
  }

  statuses(): BfdSessionStatus[] {
    return [...this.#sessions.values()].map((e) => this.#status(e));
  }

  get unmatched(): UnmatchedCounters {
    return { ...this.#unmatched };
  }

  /** Every session goes AdminDown (one packet each), every socket closes. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#retry?.();
    this.#retry = undefined;
    for (const e of [...this.#sessions.values()]) this.#remove(e);
    for (const r of this.#receivers.values()) if ('close' in r) r.close();
    this.#receivers.clear();
  }

  // ------------------------------------------------------------ sessions

  #status(e: Entry): BfdSessionStatus {
    const s = e.session.status();
    return e.problem !== undefined ? { ...s, problem: e.problem } : s;
  }

  #add(spec: BfdSessionSpec): void {
    let entry: Entry | undefined;
    const session = new BfdSession({
      spec,
      localDiscr: this.#newDiscriminator(),
      clock: this.#o.clock,
      ...(this.#o.wallNow ? { wallNow: this.#o.wallNow } : {}),
      random: this.#random,
      hooks: {
        send: (p) => {
          entry?.tx?.send(encodeControl(p), entry.spec.remote, portOf(entry.spec.multihop));
        },
        transition: (t) => {
          if (entry) this.#o.hooks.transition(t, this.#status(entry));
        },
      },
    });
    entry = { spec, session, family: familyOf(spec.remote), tx: undefined, problem: undefined, started: false };
    this.#sessions.set(spec.peer, entry);
    this.#byDiscr.set(session.localDiscr, entry);
  }

  #remove(e: Entry): void {
    e.session.close(); // AdminDown, sent while the socket is still open
    e.tx?.close();
    e.tx = undefined;
    this.#sessions.delete(e.spec.peer);
    this.#byDiscr.delete(e.session.localDiscr);
  }

  /** A random non-zero discriminator no session of ours uses (RFC 5880 6.8.1: unique, SHOULD be random). */
  #newDiscriminator(): number {
    for (;;) {
      const d = Math.floor(this.#random() * 0xffffffff) + 1;
      if (d <= 0xffffffff && !this.#byDiscr.has(d)) return d;
    }
  }

  // ------------------------------------------------------------ sockets

  /** Opens what is missing (receivers, each session's sender) and starts sessions that can run; retries later what failed. */
  #ensureSockets(): void {
    let failed = false;
    for (const e of this.#sessions.values()) {
      const rx = this.#receiver(e.family, portOf(e.spec.multihop));
      if ('error' in rx) {
        e.problem = `cannot receive on UDP port ${portOf(e.spec.multihop)} (IPv${e.family}): ${rx.error}`;
        failed = true;
        continue;
      }
      if (!e.tx) {
        const tx = this.#openSender(e);
        if (typeof tx === 'string') {
          e.problem = `cannot open the sending socket${e.spec.local !== undefined ? ` on ${e.spec.local}` : ''}: ${tx}`;
          failed = true;
          continue;
        }
        e.tx = tx;
      }
      e.problem = undefined;
      if (!e.started) {
        e.started = true;
        e.session.start();
      }
    }
    if (failed && this.#retry === undefined && !this.#closed) {
      this.#retry = this.#o.clock.after(this.#o.retryMs ?? 5000, () => {
        this.#retry = undefined;
        this.#ensureSockets();
      });
    }
  }

  #receiver(family: 4 | 6, port: number): UdpSocket | { readonly error: string } {
    const key = `${family}/${port}`;
    const have = this.#receivers.get(key);
    if (have && 'close' in have) return have;
    try {
      const s = this.#o.transport.open({ address: family === 4 ? '0.0.0.0' : '::', port, ttl: BFD_TTL, onMessage: (d) => this.#onDatagram(d, port) });
      this.#receivers.set(key, s);
      return s;
    } catch (err) {
      const r = { error: err instanceof UdpSocketError ? err.code : String(err) };
      this.#receivers.set(key, r);
      return r;
    }
  }

  #closeUnusedReceivers(): void {
    const used = new Set([...this.#sessions.values()].map((e) => `${e.family}/${portOf(e.spec.multihop)}`));
    for (const [key, r] of [...this.#receivers]) {
      if (used.has(key)) continue;
      if ('close' in r) r.close();
      this.#receivers.delete(key);
    }
  }

  /** RFC 5881 4: a source port from 49152-65535, the same for the whole session; drawn at random, tried again when taken. */
  #openSender(e: Entry): UdpSocket | string {
    const address = e.spec.local ?? (e.family === 4 ? '0.0.0.0' : '::');
    let last = 'EADDRINUSE';
    for (let i = 0; i < 64; i++) {
      const port = SOURCE_PORT_MIN + Math.floor(this.#random() * (SOURCE_PORT_MAX - SOURCE_PORT_MIN + 1));
      try {
        return this.#o.transport.open({ address, port, ttl: BFD_TTL });
      } catch (err) {
        last = err instanceof UdpSocketError ? err.code : String(err);
        if (last !== 'EADDRINUSE') return last;
      }
    }
    return last;
  }

  // ------------------------------------------------------------ reception

  #onDatagram(d: UdpDatagram, port: number): void {
    const r = decodeControl(d.bytes);
    const from = canonicalAddress(d.from);
    const multihop = port === BfdPort.MULTIHOP;
    if (!r.ok) {
      const e = this.#byAddress(from, multihop);
      if (e) e.session.discarded();
      else this.#unmatched.undecodable++;
      return;
    }
    const p = r.packet;
    const e = p.yourDiscr !== 0 ? this.#byDiscr.get(p.yourDiscr) : this.#byAddress(from, multihop);
    if (!e || e.spec.remote !== from || e.spec.multihop !== multihop || !e.started) {
      this.#unmatched.noSession++;
      return;
    }
    // RFC 5881 5 (single hop: only 255), RFC 5883 5 (multihop: the configured minimum); a
    // missing TTL (-1) fails the check.
    if (d.ttl < e.spec.minTtl || p.authPresent) {
      e.session.discarded();
      return;
    }
    e.session.receive(p);
  }

  #byAddress(remote: string, multihop: boolean): Entry | undefined {
    for (const e of this.#sessions.values()) if (e.spec.remote === remote && e.spec.multihop === multihop) return e;
    return undefined;
  }
}

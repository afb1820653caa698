/**
 * The peer driver: runs the FSM (session/fsm.ts) for one configured or dynamic neighbour and performs
 * its effects — timers on the injected Clock, TCP connects, writes, closes — and hands validated
 * UPDATEs and ROUTE-REFRESH requests to the speaker through hooks. It holds no routes.
 *
 * Connections: the main FSM instance is the peer's state. An incoming connection while the main one
 * is in OpenSent/OpenConfirm/Established gets a second FSM instance; when an OPEN reveals the
 * collision (RFC 4271 6.8), session/collision.ts picks the survivor and the other receives
 * CollisionDump. A new connection never disturbs an Established session before a valid OPEN arrives
 * on it: then, if graceful restart was negotiated, the peer has restarted (RFC 4724 4.2: the old
 * connection is dropped as if it had failed and the new one is used); without graceful restart the
 * Established connection wins (RFC 4271 6.8) and the new one is closed.
 *
 * Timers: Hold and SendHold (RFC 9687) move their deadlines instead of being re-armed per message;
 * SendHold only fires when output has been waiting, unread by the peer, for the whole SendHoldTime.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { CeaseSub, ErrCode } from '../codec/constants.js';
import { BgpError } from '../codec/errors.js';
import { validateUpdate } from '../codec/validate.js';
import type { BgpMessage, NotificationMsg, OpenMsg, RouteRefreshMsg, UpdateMsg } from '../codec/types.js';
import { notificationName } from '../codec/constants.js';
import type { NotificationRecord, PeerPhase } from '../control/protocol.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { Slicer } from '../util/slice.js';
import { jitter } from './backoff.js';
import { collisionWinner, openAcceptable, openSaysRestarting, RESTART_AFTER_ESTABLISHED_MS } from './collision.js';
import { PeerCounters, type PeerCountersView } from './peer-counters.js';
import { newSession, sendHoldSeconds, step, type DownReason, type Effect, type Event, type Session, type SessionConfig, type State, type TimerName } from './fsm.js';
import type { Negotiated } from './negotiate.js';
import { Transport } from './transport.js';

export interface ConnectionInfo {
  readonly localAddress: string;
  readonly remoteAddress: string;
  readonly localPort: number;
  readonly remotePort: number;
}

export interface DownInfo {
  readonly reason: DownReason;
  readonly wasEstablished: boolean;
  readonly notification?: NotificationRecord;
}

export interface PeerHooks {
  established(peer: Peer, n: Negotiated, conn: ConnectionInfo): void;
  /** The established session is gone (only called after `established`). */
  down(peer: Peer, info: DownInfo): void;
  /** A validated UPDATE (RFC 7606 outcome applied) from an established session. */
  update(peer: Peer, msg: UpdateMsg): void;
  routeRefresh(peer: Peer, msg: RouteRefreshMsg): void;
  /** Encoded UPDATEs to send now, about `budgetBytes` at most; empty when nothing is pending. */
  pull(peer: Peer, budgetBytes: number): Buffer[];
}

/**
 * Opens an outgoing TCP connection; resolves once it is connected. Aborting `signal` must cancel the
 * attempt. Injectable; the speaker passes one that sets MD5 / TTL options (session/tcp-options.ts).
 */
export type Connector = (opts: { host: string; port: number; localAddress?: string; signal: AbortSignal }) => Promise<Socket>;

export interface PeerOptions {
  /** Peer key: the canonical peer address. */
  readonly id: string;
  readonly address: string;
  readonly port: number;
  readonly localAddress?: string;
  readonly ebgp: boolean;
  readonly localAs: number;
  readonly dynamic: boolean;
  readonly session: SessionConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly hooks: PeerHooks;
  readonly random?: () => number;
  readonly connector?: Connector;
}

interface Conn {
  fsm: Session;
  transport: Transport | undefined;
  /** Outgoing connect in progress. */
  pending: AbortController | undefined;
  outgoing: boolean;
  readonly timers: Map<TimerName, () => void>;
  /** When the hold timer expires (see #startTimer), clock milliseconds. */
  holdDeadline: number;
  /** When the armed hold timer fires (it then re-arms if the deadline moved later). */
  holdFiresAt: number;
  /** SendHoldTime of this connection's session, ms (set when the FSM starts the SendHold timer). */
  sendHoldMs: number;
  /** Set once an OPEN arrived on this connection. */
  openReceived: boolean;
  readonly name: string;
}

/** Plain node:net connect, bound to the local address when one is given. */
export const netConnector: Connector = ({ host, port, localAddress, signal }) =>
  new Promise<Socket>((resolve, reject) => {
    const socket = netConnect({ host, port, ...(localAddress ? { localAddress } : {}), allowHalfOpen: false });
    const onAbort = (): void => {
      socket.destroy();
      reject(Object.assign(new Error('connect aborted'), { code: 'ECANCELED' }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(err);
    });
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });

/** RFC 9003: Cease subcodes 2 and 4 carry a length octet and UTF-8 text of at most 255 octets. */
export function shutdownData(text: string | undefined): Buffer {
  if (!text) return Buffer.alloc(0);
  let bytes = Buffer.from(text, 'utf8');
  while (bytes.length > 255) bytes = Buffer.from(bytes.subarray(0, 255).toString('utf8').replace(/\uFFFD$/, ''), 'utf8');
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

export function shutdownText(n: NotificationMsg): string | undefined {
  if (n.code !== ErrCode.CEASE || n.data.length < 1) return undefined;
  let data = n.data;
  let subcode = n.subcode;
  // RFC 8538 3: Hard Reset wraps the inner NOTIFICATION: error code, subcode, data.
  if (subcode === CeaseSub.HARD_RESET) {
    if (data.length < 2 || data.readUInt8(0) !== ErrCode.CEASE) return undefined;
    subcode = data.readUInt8(1);
    data = data.subarray(2);
  }
  if ((subcode !== 2 && subcode !== 4) || data.length < 1) return undefined;
  const len = data.readUInt8(0);
  if (len === 0 || len + 1 > data.length) return undefined;
  return data.subarray(1, 1 + len).toString('utf8');
}

export class Peer {
  readonly opts: PeerOptions;
  readonly #log: Logger;
  readonly #random: () => number;
  #main: Conn;
  #other: Conn | undefined;
  #stateSince: number;
  #phaseSince: number;
  #lastDownReason: string | undefined;
  #lastError: NotificationRecord | undefined;
  #negotiated: Negotiated | undefined;
  #connInfo: ConnectionInfo | undefined;
  #msgsIn = 0;
  #msgsOut = 0;
  #sendHoldExpired = 0;
  /** Messages by type, NOTIFICATIONs, flaps (docs/metrics.md). */
  readonly #counters = new PeerCounters();
  #pumpScheduled = false;
  readonly #closing = new Set<Promise<void>>();
  #seq = 0;
  /** The session settings new connections use (reconfigure() changes them). */
  #session: SessionConfig;

  constructor(opts: PeerOptions) {
    this.opts = opts;
    this.#log = opts.log;
    this.#random = opts.random ?? Math.random;
    this.#session = opts.session;
    this.#main = this.#newConn(true);
    this.#stateSince = opts.clock.now();
    this.#phaseSince = this.#stateSince;
  }

  get id(): string {
    return this.opts.id;
  }
  get state(): State {
    return this.#main.fsm.state;
  }
  get negotiated(): Negotiated | undefined {
    return this.#negotiated;
  }
  get connection(): ConnectionInfo | undefined {
    return this.#connInfo;
  }
  get stateSinceMs(): number {
    return this.#stateSince;
  }
  /** The session as BIRD's protocol state (control/protocol.ts PeerPhase). */
  get phase(): PeerPhase {
    const fsm = this.#main.fsm;
    if (fsm.state === 'Established') return 'up';
    return fsm.state === 'Idle' && !fsm.autoRestart ? 'down' : 'start';
  }
  /** When `phase` last changed (clock milliseconds). */
  get phaseSinceMs(): number {
    return this.#phaseSince;
  }
  get lastDownReason(): string | undefined {
    return this.#lastDownReason;
  }
  get lastError(): NotificationRecord | undefined {
    return this.#lastError;
  }
  get messages(): { in: number; out: number } {
    return { in: this.#msgsIn, out: this.#msgsOut };
  }
  /** Messages by type, NOTIFICATIONs by code, flaps, since wren started. */
  get counters(): PeerCountersView {
    return this.#counters.view();
  }
  /** Sessions closed because the peer stopped reading (RFC 9687 Send Hold Timer). */
  get sendHoldExpirations(): number {
    return this.#sendHoldExpired;
  }
  /** The established session's SendHoldTime in seconds (0: off; RFC 9687). */
  get sendHoldSec(): number {
    const n = this.#negotiated;
    return n ? sendHoldSeconds(this.#main.fsm.config, n) : 0;
  }
  /** Bytes of ours waiting for the peer to read them (in the socket's buffer). */
  get queuedBytes(): number {
    return this.#main.transport?.queuedBytes ?? 0;
  }

  start(): void {
    this.#feed(this.#main, { kind: 'ManualStart' });
  }

  /**
   * New session settings (a reload's in-place change: connect retry, passive, send hold time). A
   * connection that is up keeps what it negotiated; the next one uses these.
   */
  reconfigure(session: SessionConfig): void {
    this.#session = session;
  }

  /**
   * Administrative stop: Cease with `subcode` (default Administrative Shutdown) and an optional RFC 9003
   * text; `reason` replaces the words of `lastDownReason` (a BFD failure says so). Resolves once the
   * connection is closed (or at once if there is none).
   */
  async stop(subcode: number = CeaseSub.ADMINISTRATIVE_SHUTDOWN, text?: string, opts: { hardReset?: boolean; reason?: string } = {}): Promise<void> {
    let data = subcode === 2 || subcode === 4 ? shutdownData(text) : Buffer.alloc(0);
    // RFC 8538 3, 5: with the N bit negotiated, Cease / Hard Reset carries the "inner" NOTIFICATION's
    // error code, subcode and data, and tells the peer not to keep our routes.
    if (opts.hardReset === true && this.#negotiated?.gracefulNotification === true) {
      data = Buffer.concat([Buffer.from([ErrCode.CEASE, subcode]), data]);
      subcode = CeaseSub.HARD_RESET;
    }
    if (this.#other) this.#feed(this.#other, { kind: 'ManualStop', subcode, data });
    this.#feed(this.#main, { kind: 'ManualStop', subcode, data });
    if (opts.reason !== undefined) this.#lastDownReason = opts.reason;
    await Promise.all([...this.#closing]);
  }

  /**
   * Stop for a restart of our own with forwarding preserved (RFC 4724 4.1): the connection is closed
   * without a NOTIFICATION, as a restarting BIRD or FRR does, so that a graceful-restart helper
   * without RFC 8538 keeps our routes (also BFD's `graceful` failure, with its `reason`). Resolves
   * once the connection is closed.
   */
  async stopForRestart(reason?: string): Promise<void> {
    if (this.#other) this.#feed(this.#other, { kind: 'GracefulStop' });
    this.#feed(this.#main, { kind: 'GracefulStop' });
    if (reason !== undefined) this.#lastDownReason = reason;
    await Promise.all([...this.#closing]);
  }

  /** An incoming TCP connection from this peer's address. Returns false if it was refused. */
  accept(socket: Socket): boolean {
    const main = this.#main;
    if (main.fsm.state === 'Established') {
      // The new connection changes nothing until a valid OPEN arrives on it (#onOpen). One that has
      // not sent its OPEN yet is replaced by a newer one: a stray connection cannot hold the slot.
      const other = this.#other;
      if (other && other.openReceived) {
        this.#log.debug({ remote: socket.remoteAddress }, 'incoming connection refused: another new connection is being checked');
        socket.destroy();
        return false;
      }
      if (other) this.#discard(other);
      this.#log.debug({ remote: socket.remoteAddress }, 'new connection while established: waiting for its OPEN');
    }
    if (main.fsm.state === 'OpenSent' || main.fsm.state === 'OpenConfirm' || main.fsm.state === 'Established') {
      if (this.#other) {
        this.#log.info({}, 'incoming connection refused: a collision is already being resolved');
        socket.destroy();
        return false;
      }
      const other = this.#newConn(false);
      this.#other = other;
      this.#attach(other, socket);
      this.#feed(other, { kind: 'TcpConnectionUp' });
      return true;
    }
    if (main.fsm.state === 'Idle' && !main.fsm.autoRestart) {
      socket.destroy();
      return false;
    }
    // Idle (restart pending), Connect or Active: the incoming connection replaces any attempt of ours.
    this.#dropPending(main);
    main.outgoing = false;
    this.#attach(main, socket);
    this.#feed(main, { kind: 'TcpConnectionUp' });
    return true;
  }

  /** The RIB has output for this peer: pull and write while the socket takes it. */
  kick(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Sends a ROUTE-REFRESH request (RFC 2918) if the peer supports it. */
  requestRefresh(afi: number, safi: number): boolean {
    const t = this.#main.transport;
    if (this.state !== 'Established' || !t || !this.#negotiated?.routeRefresh) return false;
    this.#send(this.#main, { kind: 'route-refresh', afi, safi, subtype: 0 });
    return true;
  }

  /** Sends a message on the established session (BoRR/EoRR markers, End-of-RIB built by the speaker). */
  sendEstablished(msg: BgpMessage): void {
    if (this.state === 'Established') this.#send(this.#main, msg);
  }

  // ------------------------------------------------------------ internals

  #newConn(outgoing: boolean): Conn {
    return {
      fsm: newSession(this.#session),
      transport: undefined,
      pending: undefined,
      outgoing,
      timers: new Map(),
      holdDeadline: 0,
      holdFiresAt: 0,
      sendHoldMs: 0,
      openReceived: false,
      name: `c${this.#seq++}`,
    };
  }

  /** A second connection while the session is Established: it reports nothing about the session. */
  #secondary(conn: Conn): boolean {
    return conn !== this.#main && this.#main.fsm.state === 'Established';
  }

  /** Drops a second connection that has not proven itself: no NOTIFICATION, no state change. */
  #discard(conn: Conn): void {
    this.#clearTimers(conn);
    conn.transport?.destroy();
    conn.transport = undefined;
    if (this.#other === conn) this.#other = undefined;
  }

  #attach(conn: Conn, socket: Socket): void {
    const log = this.#log.child({ conn: conn.name });
    conn.transport = new Transport(socket, log, () => this.opts.clock.now(), {
      message: (msg) => this.#onMessage(conn, msg),
      decodeError: (err) => {
        this.#log.warn({ code: err.code, subcode: err.subcode, reason: err.message }, 'peer protocol error');
        this.#feed(conn, { kind: 'DecodeError', error: err });
      },
      internalError: (err) => {
        this.#log.error({ err }, 'internal error while handling peer input; resetting session');
        // Cease with no subcode: none of the RFC 4486 reasons describes a fault of our own.
        this.#feed(conn, { kind: 'DecodeError', error: new BgpError(ErrCode.CEASE, 0) });
      },
      drain: () => {
        // In a later turn, not from here: a write that completes at once emits its drain from the
        // same chain of ticks, and pumping from it would chain slice after slice without the event
        // loop ever turning (stalls of 150-170 ms measured in the inout benchmark).
        if (conn === this.#main) this.kick();
      },
      closed: (reason) => {
        if (conn.transport === undefined) return;
        this.#log.debug({ reason }, 'connection lost');
        if (!this.#secondary(conn) && (conn.fsm.state === 'Established' || conn.fsm.state === 'OpenConfirm' || conn.fsm.state === 'OpenSent')) this.#lastDownReason = reason;
        this.#feed(conn, { kind: 'TcpConnectionFails' });
      },
    });
  }

  #onMessage(conn: Conn, msg: BgpMessage): void {
    this.#msgsIn++;
    this.#counters.received(msg.kind);
    if (msg.kind === 'notification') this.#counters.notification('received', msg.code, msg.subcode);
    switch (msg.kind) {
      case 'open':
        conn.openReceived = true;
        if (conn !== this.#main && this.#main.fsm.state === 'Established') {
          this.#onOpenWhileEstablished(conn, msg);
          return;
        }
        if (this.#collisionLost(conn, msg.bgpId)) return;
        this.#feed(conn, { kind: 'BGPOpen', open: msg });
        return;
      case 'keepalive':
        this.#feed(conn, { kind: 'KeepAliveMsg' });
        return;
      case 'notification':
        this.#feed(conn, { kind: 'NotifMsg', msg });
        return;
      case 'route-refresh':
        this.#feed(conn, { kind: 'RouteRefreshMsg' });
        if (conn.fsm.state === 'Established') this.opts.hooks.routeRefresh(this, msg);
        return;
      case 'update': {
        this.#feed(conn, { kind: 'UpdateMsg' });
        if (conn.fsm.state !== 'Established') return;
        const n = conn.fsm.negotiated;
        const valid = validateUpdate(msg, { ebgp: this.opts.ebgp, peerAs: n?.peerAs ?? this.opts.session.expect.asn, localAs: this.opts.localAs });
        this.opts.hooks.update(this, valid);
        return;
      }
    }
  }

  /**
   * An OPEN on a new connection while the session is Established.
   *
   * Without graceful restart on the Established session: RFC 4271 6.8, the Established connection wins
   * and the new one is closed with Cease / Connection Collision Resolution.
   *
   * With graceful restart, a new OPEN can mean two things, and they need opposite answers:
   * - the peer restarted (RFC 4724 4.2): the old connection is dead on its side, so it is dropped as if
   *   it had failed (its routes kept as stale for the families the peer's capability listed) and the
   *   new connection becomes the session;
   * - a collision: the peer's own connection attempt, begun before it accepted ours, arrives just after
   *   ours reached Established. The peer resolves it by RFC 4271 6.8 (BIRD closes the new connection
   *   with Cease 6/7), so taking it for a restart would leave no connection at all.
   * It counts as a restart when the peer says so (the Restart State bit in its OPEN), or when the
   * Established connection is older than {@link RESTART_AFTER_ESTABLISHED_MS}. A younger one is a
   * collision: the new connection is closed, and a KEEPALIVE goes out on the Established one so that,
   * should the peer have restarted after all, its TCP stack answers with a reset and the session fails
   * over in one round trip instead of a hold time.
   *
   * The OPEN is checked first (negotiation), as BIRD checks an OPEN before it looks for a collision:
   * an invalid one is answered by the FSM on the new connection alone, whatever the age. A valid one
   * that is a collision is dumped from OpenSent: Cease 6/7 and nothing before it, no KEEPALIVE that
   * could let a peer still resolving its side take the connection as Established.
   */
  #onOpenWhileEstablished(conn: Conn, open: OpenMsg): void {
    const main = this.#main;
    if (!this.#negotiated?.gracefulRestart) {
      this.#log.info({ conn: conn.name }, 'new connection while established, without graceful restart: keeping the established one (RFC 4271 6.8)');
      this.#feed(conn, { kind: 'CollisionDump' });
      return;
    }
    const upMs = this.opts.clock.now() - this.#stateSince;
    if (!openSaysRestarting(open) && upMs < RESTART_AFTER_ESTABLISHED_MS && openAcceptable(conn.fsm.config, open)) {
      this.#log.info({ conn: conn.name, kept: main.name, upMs }, 'OPEN on a new connection just after established, without the Restart State bit: a collision, keeping the established one (RFC 4271 6.8)');
      this.#feed(conn, { kind: 'CollisionDump' });
      this.#send(main, { kind: 'keepalive' });
      return;
    }
    this.#feed(conn, { kind: 'BGPOpen', open });
    if (conn.fsm.state !== 'OpenConfirm') return; // refused: the NOTIFICATION went on the new connection only
    this.#log.info({ conn: conn.name, replaced: main.name }, 'valid OPEN on a new connection while established: the peer restarted (RFC 4724 4.2)');
    this.#feed(main, { kind: 'TcpConnectionFails' });
    this.#lastDownReason = 'the peer restarted: valid OPEN on a new connection';
  }

  /**
   * RFC 4271 6.8: an OPEN on `conn` while the other connection is in OpenConfirm (or Established) reveals
   * a collision. Returns true when `conn` lost (it has been dumped).
   */
  #collisionLost(conn: Conn, remoteId: string): boolean {
    const other = conn === this.#main ? this.#other : this.#main;
    if (!other || other === conn) return false;
    const os = other.fsm.state;
    if (os === 'Established') {
      this.#feed(conn, { kind: 'CollisionDump' });
      return true;
    }
    if (os !== 'OpenConfirm') return false;
    const winner = collisionWinner({ routerId: this.opts.session.local.routerId, asn: this.opts.localAs }, { routerId: remoteId, asn: this.opts.session.expect.asn });
    const survivor = (winner === 'outgoing') === conn.outgoing ? conn : other;
    const loser = survivor === conn ? other : conn;
    this.#log.info({ winner, kept: survivor.name, dumped: loser.name }, 'connection collision resolved');
    this.#feed(loser, { kind: 'CollisionDump' });
    return loser === conn;
  }

  /** Runs one FSM step on `conn` and performs its effects. */
  #feed(conn: Conn, e: Event): void {
    const before = conn.fsm.state;
    const phase = this.phase;
    // Settings changed by a reload apply from the next connection on (not to a session that is up).
    if (conn.fsm.config !== this.#session && (before === 'Idle' || before === 'Connect' || before === 'Active')) {
      conn.fsm = { ...conn.fsm, config: this.#session };
    }
    const r = step(conn.fsm, e);
    conn.fsm = r.session;
    if (r.session.state !== before) {
      // A second connection's steps while the session is up are noise unless they replace it.
      this.#log[this.#secondary(conn) ? 'debug' : 'info']({ from: before, to: r.session.state, event: e.kind, conn: conn.name }, 'fsm transition');
      if (conn === this.#main) this.#stateSince = this.opts.clock.now();
    }
    for (const eff of r.effects) this.#perform(conn, eff);
    this.#afterStep(conn);
    if (this.phase !== phase) this.#phaseSince = this.opts.clock.now();
  }

  #perform(conn: Conn, eff: Effect): void {
    switch (eff.kind) {
      case 'connect':
        if (conn === this.#main) this.#connect(conn);
        return;
      case 'send':
        this.#send(conn, eff.msg);
        return;
      case 'startTimer':
        this.#startTimer(conn, eff.timer, eff.seconds);
        return;
      case 'stopTimer':
        conn.timers.get(eff.timer)?.();
        conn.timers.delete(eff.timer);
        return;
      case 'close':
        this.#dropPending(conn);
        if (conn.transport) {
          const closed = conn.transport.close();
          this.#closing.add(closed);
          void closed.finally(() => this.#closing.delete(closed));
        }
        conn.transport = undefined;
        return;
      case 'openAccepted':
        // The RIB keys IPv4 destinations by number: received IPv4 prefixes are decoded to numbers, never text.
        conn.transport?.setContext({ ...eff.negotiated.ctx, ipv4PrefixNumbers: true });
        return;
      case 'established':
        this.#onEstablished(conn, eff.negotiated);
        return;
      case 'down':
        this.#onDown(conn, eff);
        return;
    }
  }

  #onEstablished(conn: Conn, n: Negotiated): void {
    if (conn !== this.#main) {
      // The second connection won: it becomes the peer's session; the old one is dumped.
      const old = this.#main;
      this.#main = conn;
      this.#other = undefined;
      if (old.fsm.state !== 'Idle') this.#feed(old, { kind: 'CollisionDump' });
      this.#clearTimers(old);
    } else if (this.#other) {
      const other = this.#other;
      this.#other = undefined;
      this.#feed(other, { kind: 'CollisionDump' });
      this.#clearTimers(other);
    }
    const t = conn.transport;
    this.#negotiated = n;
    this.#connInfo = t ? { localAddress: t.localAddress, remoteAddress: t.remoteAddress, localPort: t.localPort, remotePort: t.remotePort } : undefined;
    this.#stateSince = this.opts.clock.now();
    this.#log.info({ peerAs: n.peerAs, routerId: n.peerRouterId, holdTime: n.holdTimeSec, families: n.families }, 'session established');
    this.opts.hooks.established(this, n, this.#connInfo ?? { localAddress: '', remoteAddress: this.opts.address, localPort: 0, remotePort: 0 });
    this.kick();
  }

  #onDown(conn: Conn, eff: Extract<Effect, { kind: 'down' }>): void {
    let record: NotificationRecord | undefined;
    if (eff.notification) {
      const m = eff.notification.msg;
      const text = shutdownText(m);
      record = {
        direction: eff.notification.direction,
        code: m.code,
        subcode: m.subcode,
        name: notificationName(m.code, m.subcode),
        ...(text !== undefined ? { communication: text } : {}),
        at: new Date().toISOString(),
      };
      const secondary = this.#secondary(conn);
      if (eff.reason !== 'collision' && !secondary) this.#lastError = record;
      const level = eff.reason === 'admin-stop' || eff.reason === 'collision' || secondary ? 'info' : 'warn';
      // RFC 8538 3: a Hard Reset carries the NOTIFICATION it stands for; log its meaning too.
      const inner = m.code === ErrCode.CEASE && m.subcode === CeaseSub.HARD_RESET && m.data.length >= 2 ? { innerCode: m.data.readUInt8(0), innerSubcode: m.data.readUInt8(1), innerName: notificationName(m.data.readUInt8(0), m.data.readUInt8(1)) } : {};
      const fields = { direction: record.direction, code: m.code, subcode: m.subcode, name: record.name, ...inner, communication: text, reason: eff.reason, conn: conn.name };
      this.#log[level](fields, record.direction === 'sent' ? 'notification sent' : 'notification received');
    }
    if (eff.reason === 'send-hold-timer-expired') this.#sendHoldExpired++;
    if (!this.#secondary(conn) && (eff.reason !== 'collision' || eff.wasEstablished)) this.#lastDownReason = describeReason(eff.reason, record);
    if (eff.wasEstablished && conn === this.#main) {
      this.#counters.flap();
      this.#negotiated = undefined;
      // An operator's stop or our own planned restart is expected; any other loss is worth a warning.
      const planned = eff.reason === 'admin-stop' || eff.reason === 'graceful-stop';
      this.#log[planned ? 'info' : 'warn']({ reason: eff.reason, detail: this.#lastDownReason }, 'session down');
      this.opts.hooks.down(this, { reason: eff.reason, wasEstablished: true, ...(record ? { notification: record } : {}) });
    }
  }

  /** After a step: retire a dead second connection, or promote it when the main one died. */
  #afterStep(conn: Conn): void {
    if (conn === this.#other && (conn.fsm.state === 'Idle' || conn.fsm.state === 'Active') && !conn.transport) {
      this.#clearTimers(conn);
      this.#other = undefined;
    } else if (conn === this.#main && this.#other && conn.fsm.state === 'Idle' && !conn.transport && conn.fsm.autoRestart) {
      // The main connection lost a collision (or died) while the other one is alive: it takes over.
      this.#clearTimers(conn);
      this.#main = this.#other;
      this.#other = undefined;
    }
  }

  #send(conn: Conn, msg: BgpMessage): void {
    const t = conn.transport;
    if (!t) return;
    try {
      t.send(msg);
      this.#msgsOut++;
      this.#counters.sent(msg.kind);
      if (msg.kind === 'notification') this.#counters.notification('sent', msg.code, msg.subcode);
    } catch (err) {
      this.#log.error({ err, kind: msg.kind }, 'failed to encode a message');
    }
  }

  #connect(conn: Conn): void {
    this.#dropPending(conn);
    conn.outgoing = true;
    const connector = this.opts.connector ?? netConnector;
    const attempt = new AbortController();
    conn.pending = attempt;
    const failed = (err: unknown): void => {
      if (conn.pending !== attempt) return;
      conn.pending = undefined;
      const code = (err as NodeJS.ErrnoException | null)?.code ?? (err instanceof Error ? err.message : String(err));
      this.#log.debug({ code }, 'connect failed');
      this.#lastDownReason ??= `connect: ${code}`;
      this.#feed(conn, { kind: 'TcpConnectionFails' });
    };
    let p: Promise<Socket>;
    try {
      p = connector({ host: this.opts.address, port: this.opts.port, ...(this.opts.localAddress ? { localAddress: this.opts.localAddress } : {}), signal: attempt.signal });
    } catch (err) {
      queueMicrotask(() => failed(err));
      return;
    }
    p.then(
      (socket) => {
        if (conn.pending !== attempt) {
          socket.destroy();
          return;
        }
        conn.pending = undefined;
        this.#attach(conn, socket);
        this.#feed(conn, { kind: 'TcpConnectionUp' });
      },
      (err: unknown) => failed(err),
    );
  }

  #dropPending(conn: Conn): void {
    if (!conn.pending) return;
    const a = conn.pending;
    conn.pending = undefined;
    a.abort();
  }

  #startTimer(conn: Conn, timer: TimerName, seconds: number): void {
    const now = this.opts.clock.now();
    // The hold timer is restarted by every message received (thousands per second during a table
    // transfer): an armed hold timer only moves its deadline, and re-arms itself for the remainder
    // when it fires early, instead of a clearTimeout + setTimeout per message.
    // A deadline earlier than the armed firing (4 minutes in OpenSent, then the negotiated time) re-arms.
    if (timer === 'Hold' && conn.timers.has('Hold') && now + seconds * 1000 >= conn.holdFiresAt) {
      conn.holdDeadline = now + seconds * 1000;
      return;
    }
    conn.timers.get(timer)?.();
    // RFC 4271 10: ConnectRetry and Keepalive are jittered; Hold is not.
    const sec = timer === 'ConnectRetry' || timer === 'Keepalive' ? jitter(seconds, this.#random) : seconds;
    if (timer === 'Hold') conn.holdDeadline = now + sec * 1000;
    if (timer === 'SendHold') conn.sendHoldMs = sec * 1000;
    const arm = (ms: number): void => {
      if (timer === 'Hold') conn.holdFiresAt = this.opts.clock.now() + ms;
      const cancel = this.opts.clock.after(Math.max(0, Math.round(ms)), () => {
        if (conn.timers.get(timer) !== cancel) return;
        conn.timers.delete(timer);
        const left = timer === 'Hold' ? conn.holdDeadline - this.opts.clock.now() : timer === 'SendHold' ? this.#sendHoldLeft(conn) : 0;
        if (left > 0) {
          arm(left);
          return;
        }
        this.#feed(conn, { kind: 'TimerExpired', timer });
      });
      conn.timers.set(timer, cancel);
    };
    arm(sec * 1000);
  }

  /**
   * RFC 9687 3: the Send Hold Timer restarts whenever the peer takes our output. Milliseconds left
   * before it expires: a full period when nothing of ours is waiting, else the time since the socket
   * last handed bytes to TCP counted against SendHoldTime.
   */
  #sendHoldLeft(conn: Conn): number {
    const t = conn.transport;
    if (!t || t.queuedBytes === 0) return conn.sendHoldMs;
    return t.lastProgressAt + conn.sendHoldMs - this.opts.clock.now();
  }

  #clearTimers(conn: Conn): void {
    for (const cancel of conn.timers.values()) cancel();
    conn.timers.clear();
  }

  #pump(): void {
    const conn = this.#main;
    const t = conn.transport;
    if (conn.fsm.state !== 'Established' || !t) return;
    // Bounded like every other route work (decision 0005): a peer that reads as fast as we write
    // keeps the socket writable, and a million prefixes of output would otherwise be pulled and
    // encoded in one turn of the event loop (stalls of 160-200 ms measured in the inout benchmark).
    const slicer = new Slicer();
    while (t.writable) {
      if (slicer.spent) {
        this.kick();
        return;
      }
      const bufs = this.opts.hooks.pull(this, 64 * 1024);
      if (bufs.length === 0) return;
      t.writeMany(bufs);
      this.#msgsOut += bufs.length;
      this.#counters.sent('update', bufs.length);
    }
  }
}

function describeReason(reason: DownReason, n: NotificationRecord | undefined): string {
  switch (reason) {
    case 'admin-stop':
      return 'administratively stopped';
    case 'hold-timer-expired':
      return 'hold timer expired';
    case 'notification-received':
      return `notification received: ${n?.name ?? ''}${n?.communication ? ` "${n.communication}"` : ''}`;
    case 'notification-sent':
      return `notification sent: ${n?.name ?? ''}`;
    case 'connection-closed':
      return 'connection closed';
    case 'collision':
      return 'connection collision';
    case 'fsm-error':
      return `fsm error: ${n?.name ?? ''}`;
    case 'send-hold-timer-expired':
      return 'send hold timer expired: the peer did not read our messages';
    case 'graceful-stop':
      return 'stopped for a restart, without a NOTIFICATION (graceful restart)';
  }
}

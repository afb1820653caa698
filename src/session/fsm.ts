/**
 * The BGP session state machine of RFC 4271 section 8, as a transition table. Pure: `step` takes a
 * session and an event and returns the next session and the effects the driver must perform
 * (session/peer.ts). No handler touches a socket, a timer or the clock, and none awaits.
 *
 * One `Session` is one connection's FSM. During a connection collision (RFC 4271 6.8) the driver runs
 * a second instance for the other connection and resolves the collision with session/collision.ts;
 * the loser receives `CollisionDump` (RFC 4271 event 23, OpenCollisionDump).
 *
 * Deliberate departures (also in docs/rfc-compliance.md):
 * - DelayOpen and the optional passive-TCP timers are not implemented (RFC 4271 8.1.1, optional).
 * - In Idle with automatic restart pending (idle hold after an error), an incoming connection is
 *   accepted at once instead of refused, so a restarted peer does not wait for its own retry timer.
 * - Idle-hold backoff (DampPeerOscillations, optional): doubles after each error, reset after the
 *   session has been Established for `stableSec`.
 */
import { CeaseSub, ErrCode, FsmSub } from '../codec/constants.js';
import { BgpError } from '../codec/errors.js';
import type { BgpMessage, NotificationMsg, OpenMsg } from '../codec/types.js';
import { nextIdleHold } from './backoff.js';
import { buildOpen, negotiate, type LocalOffer, type Negotiated, type PeerExpectation } from './negotiate.js';

export type State = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';
export type TimerName = 'ConnectRetry' | 'Hold' | 'Keepalive' | 'IdleHold' | 'Stable' | 'SendHold';

/** RFC 4271 8.2.2: the hold timer while waiting for the peer's OPEN, "suggested value 4 minutes". */
export const LARGE_HOLD_SEC = 240;

/** RFC 9687 4: the SendHoldTime floor, 8 minutes. */
export const MIN_DEFAULT_SEND_HOLD_SEC = 480;

export interface SessionConfig {
  readonly local: LocalOffer;
  readonly expect: PeerExpectation;
  /** Never initiate; wait for the peer to connect. */
  readonly passive: boolean;
  readonly connectRetrySec: number;
  readonly idleHoldSec: number;
  readonly idleHoldMaxSec: number;
  /** Established for this long resets the idle-hold backoff. */
  readonly stableSec: number;
  /**
   * RFC 9687 Send Hold Timer, seconds: how long the peer may leave our output unread before the
   * session is closed. Absent: the RFC's default (sendHoldSeconds); 0: disabled.
   */
  readonly sendHoldSec?: number;
}

/**
 * The SendHoldTime of a session: the configured value, else RFC 9687 4's recommendation, "the
 * larger of 8 minutes or 2 times the negotiated HoldTime". 0 means the timer is not used.
 */
export function sendHoldSeconds(config: SessionConfig, n: Negotiated): number {
  if (config.sendHoldSec !== undefined) return config.sendHoldSec;
  return Math.max(MIN_DEFAULT_SEND_HOLD_SEC, 2 * n.holdTimeSec);
}

export type DownReason =
  | 'admin-stop'
  | 'hold-timer-expired'
  | 'notification-received'
  | 'notification-sent'
  | 'connection-closed'
  | 'collision'
  | 'fsm-error'
  /** RFC 9687: the peer did not read what we sent for SendHoldTime. */
  | 'send-hold-timer-expired'
  /** Our own stop for a restart with forwarding preserved: the connection closed without a NOTIFICATION. */
  | 'graceful-stop';

export interface Session {
  readonly state: State;
  readonly config: SessionConfig;
  /** Restart automatically after going down (false after ManualStop). */
  readonly autoRestart: boolean;
  /** Current idle-hold delay, seconds (grows after errors). */
  readonly idleHoldSec: number;
  /** Set once the peer's OPEN was accepted (OpenConfirm, Established). */
  readonly negotiated?: Negotiated;
  /** The peer's OPEN, once received. */
  readonly peerOpen?: OpenMsg;
}

export type Event =
  | { readonly kind: 'ManualStart' } // events 1/4
  | { readonly kind: 'AutomaticStart' } // event 3 (idle hold expired)
  | { readonly kind: 'ManualStop'; readonly subcode: number; readonly data?: Buffer } // event 2
  /**
   * Event 2 for a restart of our own with forwarding preserved (RFC 4724 4.1): stop without a
   * NOTIFICATION, so that a graceful-restart helper keeps our routes (a peer without RFC 8538 drops
   * them on any NOTIFICATION).
   */
  | { readonly kind: 'GracefulStop' }
  | { readonly kind: 'TimerExpired'; readonly timer: TimerName } // events 9, 10, 11
  | { readonly kind: 'TcpConnectionUp' } // events 16/17 (Tcp_CR_Acked, TcpConnectionConfirmed)
  | { readonly kind: 'TcpConnectionFails' } // event 18
  | { readonly kind: 'BGPOpen'; readonly open: OpenMsg } // event 19
  | { readonly kind: 'DecodeError'; readonly error: BgpError } // events 21, 22, 28
  | { readonly kind: 'NotifMsg'; readonly msg: NotificationMsg } // events 24, 25
  | { readonly kind: 'KeepAliveMsg' } // event 26
  | { readonly kind: 'UpdateMsg' } // event 27 (the driver hands the UPDATE itself to the RIB)
  | { readonly kind: 'RouteRefreshMsg' } // RFC 2918
  | { readonly kind: 'CollisionDump' }; // event 23

export type Effect =
  | { readonly kind: 'connect' }
  | { readonly kind: 'send'; readonly msg: BgpMessage }
  | { readonly kind: 'startTimer'; readonly timer: TimerName; readonly seconds: number }
  | { readonly kind: 'stopTimer'; readonly timer: TimerName }
  /** Close the TCP connection after what was queued has been written. */
  | { readonly kind: 'close' }
  /** The peer's OPEN was accepted: switch the codec context (AS4, extended message). */
  | { readonly kind: 'openAccepted'; readonly negotiated: Negotiated }
  | { readonly kind: 'established'; readonly negotiated: Negotiated }
  /** Left OpenSent/OpenConfirm/Established for Idle or Active. */
  | {
      readonly kind: 'down';
      readonly reason: DownReason;
      readonly wasEstablished: boolean;
      readonly notification?: { readonly direction: 'sent' | 'received'; readonly msg: NotificationMsg };
    };

export interface Step {
  readonly session: Session;
  readonly effects: readonly Effect[];
}

export function newSession(config: SessionConfig): Session {
  return { state: 'Idle', config, autoRestart: true, idleHoldSec: config.idleHoldSec };
}

// ---------------------------------------------------------------- helpers

const ALL_TIMERS: readonly TimerName[] = ['ConnectRetry', 'Hold', 'Keepalive', 'Stable', 'SendHold'];
const stopAll = (): Effect[] => ALL_TIMERS.map((timer) => ({ kind: 'stopTimer', timer }));
const notification = (code: number, subcode: number, data: Buffer = Buffer.alloc(0)): NotificationMsg => ({
  kind: 'notification',
  code,
  subcode,
  data,
});
const wasUp = (s: Session): boolean => s.state === 'Established';

/** Goes to Idle; schedules the automatic restart (idle hold) unless stopped by the operator. */
function toIdle(s: Session, effects: Effect[], opts: { error: boolean }): Step {
  const next: Session = {
    state: 'Idle',
    config: s.config,
    autoRestart: s.autoRestart,
    idleHoldSec: opts.error ? nextIdleHold(s.idleHoldSec, { initialSec: s.config.idleHoldSec, maxSec: s.config.idleHoldMaxSec }) : s.idleHoldSec,
  };
  const out = [...effects, ...stopAll()];
  if (next.autoRestart) out.push({ kind: 'startTimer', timer: 'IdleHold', seconds: opts.error ? s.idleHoldSec : 0 });
  return { session: next, effects: out };
}

/** Sends a NOTIFICATION, closes, and goes down (RFC 4271 8.2.2: "sends the NOTIFICATION ... drops the TCP connection"). */
function notifyAndDrop(s: Session, msg: NotificationMsg, reason: DownReason): Step {
  return toIdle(
    s,
    [
      { kind: 'send', msg },
      { kind: 'close' },
      { kind: 'down', reason, wasEstablished: wasUp(s), notification: { direction: 'sent', msg } },
    ],
    { error: reason !== 'admin-stop' && reason !== 'collision' },
  );
}

/** RFC 6608: an unexpected event gets an FSM Error whose subcode names the state it arrived in. */
function fsmError(s: Session): Step {
  const sub =
    s.state === 'OpenSent' ? FsmSub.IN_OPEN_SENT : s.state === 'OpenConfirm' ? FsmSub.IN_OPEN_CONFIRM : s.state === 'Established' ? FsmSub.IN_ESTABLISHED : FsmSub.UNSPECIFIED;
  return notifyAndDrop(s, notification(ErrCode.FSM, sub), 'fsm-error');
}

function holdEffect(seconds: number): Effect {
  return seconds > 0 ? { kind: 'startTimer', timer: 'Hold', seconds } : { kind: 'stopTimer', timer: 'Hold' };
}

// ---------------------------------------------------------------- handlers (function declarations: the table below refers to them)

/** Idle + ManualStart/AutomaticStart: connect (Connect) or wait for the peer (Active). RFC 4271 8.2.2. */
function start(s: Session): Step {
  const session: Session = { ...s, state: s.config.passive ? 'Active' : 'Connect', autoRestart: true };
  if (s.config.passive) return { session, effects: [{ kind: 'stopTimer', timer: 'IdleHold' }] };
  return {
    session,
    effects: [
      { kind: 'stopTimer', timer: 'IdleHold' },
      { kind: 'startTimer', timer: 'ConnectRetry', seconds: s.config.connectRetrySec },
      { kind: 'connect' },
    ],
  };
}

/** Connect/Active + TCP up: send OPEN, hold timer at the large value, OpenSent. RFC 4271 8.2.2. */
function sendOpen(s: Session): Step {
  return {
    session: { ...s, state: 'OpenSent' },
    effects: [
      { kind: 'stopTimer', timer: 'ConnectRetry' },
      { kind: 'stopTimer', timer: 'IdleHold' },
      { kind: 'send', msg: buildOpen(s.config.local) },
      { kind: 'startTimer', timer: 'Hold', seconds: LARGE_HOLD_SEC },
    ],
  };
}

/** Idle with automatic restart pending + incoming connection: start at once (see file comment). */
function acceptWhileIdle(s: Session): Step {
  if (!s.autoRestart) return { session: s, effects: [{ kind: 'close' }] };
  return sendOpen(s);
}

/** Connect + TCP attempt failed: wait for ConnectRetry in Active. */
function connectFailed(s: Session): Step {
  return { session: { ...s, state: 'Active' }, effects: [{ kind: 'close' }] };
}

/** ConnectRetry expired in Connect/Active: try again. */
function retryConnect(s: Session): Step {
  if (s.config.passive) return { session: s, effects: [] };
  return {
    session: { ...s, state: 'Connect' },
    effects: [{ kind: 'close' }, { kind: 'startTimer', timer: 'ConnectRetry', seconds: s.config.connectRetrySec }, { kind: 'connect' }],
  };
}

/** ManualStop before any OPEN was sent: no NOTIFICATION, just stop. */
function stopQuiet(s: Session): Step {
  return { session: { ...s, state: 'Idle', autoRestart: false }, effects: [{ kind: 'close' }, ...stopAll(), { kind: 'stopTimer', timer: 'IdleHold' }] };
}

/** GracefulStop after OPEN: close the connection without a NOTIFICATION; no automatic restart. */
function stopSilently(s: Session): Step {
  return toIdle(
    { ...s, autoRestart: false },
    [{ kind: 'close' }, { kind: 'down', reason: 'graceful-stop', wasEstablished: wasUp(s) }],
    { error: false },
  );
}

/** ManualStop after OPEN: Cease with the given subcode (RFC 4486; RFC 9003 text in data). */
function stopWithCease(s: Session, e: Extract<Event, { kind: 'ManualStop' }>): Step {
  return notifyAndDrop({ ...s, autoRestart: false }, notification(ErrCode.CEASE, e.subcode, e.data), 'admin-stop');
}

/** OpenSent + OPEN: accept and negotiate, or refuse with the OPEN error. RFC 4271 8.2.2. */
function acceptOpen(s: Session, e: Extract<Event, { kind: 'BGPOpen' }>): Step {
  let n: Negotiated;
  try {
    n = negotiate(s.config.local, s.config.expect, e.open);
  } catch (err) {
    if (!(err instanceof BgpError)) throw err;
    return notifyAndDrop(s, notification(err.code, err.subcode, err.data), 'notification-sent');
  }
  const effects: Effect[] = [{ kind: 'openAccepted', negotiated: n }, { kind: 'send', msg: { kind: 'keepalive' } }, holdEffect(n.holdTimeSec)];
  if (n.keepaliveSec > 0) effects.push({ kind: 'startTimer', timer: 'Keepalive', seconds: n.keepaliveSec });
  // RFC 9687 3: the Send Hold Timer runs from OpenConfirm on (the driver restarts it whenever the
  // peer takes our output; see session/peer.ts).
  const sendHold = sendHoldSeconds(s.config, n);
  if (sendHold > 0) effects.push({ kind: 'startTimer', timer: 'SendHold', seconds: sendHold });
  return { session: { ...s, state: 'OpenConfirm', negotiated: n, peerOpen: e.open }, effects };
}

/** OpenConfirm + KEEPALIVE: Established. */
function establish(s: Session): Step {
  const n = s.negotiated;
  if (!n) return fsmError(s);
  return {
    session: { ...s, state: 'Established' },
    effects: [
      holdEffect(n.holdTimeSec),
      { kind: 'startTimer', timer: 'Stable', seconds: s.config.stableSec },
      { kind: 'established', negotiated: n },
    ],
  };
}

/** Established + KEEPALIVE/UPDATE/ROUTE-REFRESH: restart the hold timer (RFC 4271 8.2.2 events 26, 27). */
function restartHold(s: Session): Step {
  return { session: s, effects: [holdEffect(s.negotiated?.holdTimeSec ?? 0)] };
}

function onTimer(s: Session, e: Extract<Event, { kind: 'TimerExpired' }>): Step {
  switch (e.timer) {
    case 'ConnectRetry':
      return s.state === 'Connect' || s.state === 'Active' ? retryConnect(s) : { session: s, effects: [] };
    case 'Hold':
      // RFC 4271 8.2.2 event 10: NOTIFICATION Hold Timer Expired, drop, Idle.
      if (!STRICT.has(s.state)) return { session: s, effects: [] };
      return notifyAndDrop(s, notification(ErrCode.HOLD_TIMER_EXPIRED, 0), 'hold-timer-expired');
    case 'Keepalive': {
      const ka = s.negotiated?.keepaliveSec ?? 0;
      if ((s.state !== 'OpenConfirm' && s.state !== 'Established') || ka === 0) return { session: s, effects: [] };
      return { session: s, effects: [{ kind: 'send', msg: { kind: 'keepalive' } }, { kind: 'startTimer', timer: 'Keepalive', seconds: ka }] };
    }
    case 'Stable':
      if (s.state !== 'Established') return { session: s, effects: [] };
      return { session: { ...s, idleHoldSec: s.config.idleHoldSec }, effects: [] };
    case 'IdleHold':
      return s.state === 'Idle' && s.autoRestart ? start(s) : { session: s, effects: [] };
    case 'SendHold':
      // RFC 9687 3: the peer has not read our output for SendHoldTime: NOTIFICATION Send Hold Timer
      // Expired (it may never be read; the close does not wait for it), drop the connection, Idle.
      if (s.state !== 'OpenConfirm' && s.state !== 'Established') return { session: s, effects: [] };
      return notifyAndDrop(s, notification(ErrCode.SEND_HOLD_TIMER_EXPIRED, 0), 'send-hold-timer-expired');
  }
}

/** NOTIFICATION received: drop, Idle (RFC 4271 8.2.2 events 24, 25). */
function notified(s: Session, e: Extract<Event, { kind: 'NotifMsg' }>): Step {
  return toIdle(
    s,
    [{ kind: 'close' }, { kind: 'down', reason: 'notification-received', wasEstablished: wasUp(s), notification: { direction: 'received', msg: e.msg } }],
    { error: true },
  );
}

/** The peer sent something malformed: its NOTIFICATION is the error itself (RFC 4271 6). */
function decodeFailed(s: Session, e: Extract<Event, { kind: 'DecodeError' }>): Step {
  return notifyAndDrop(s, notification(e.error.code, e.error.subcode, e.error.data), 'notification-sent');
}

/** TCP closed under us after OPEN: down, Idle. RFC 4271 8.2.2 event 18. */
function connectionLost(s: Session): Step {
  return toIdle(s, [{ kind: 'close' }, { kind: 'down', reason: 'connection-closed', wasEstablished: wasUp(s) }], { error: true });
}

/** OpenSent + TCP closed: back to Active and wait for ConnectRetry (RFC 4271 8.2.2, OpenSent event 18). */
function openSentConnectionLost(s: Session): Step {
  const effects: Effect[] = [{ kind: 'close' }, { kind: 'stopTimer', timer: 'Hold' }, { kind: 'down', reason: 'connection-closed', wasEstablished: false }];
  if (!s.config.passive) effects.push({ kind: 'startTimer', timer: 'ConnectRetry', seconds: s.config.connectRetrySec });
  return { session: { ...s, state: 'Active' }, effects };
}

/** RFC 4271 6.8: the losing connection of a collision is closed with Cease / Connection Collision Resolution. */
function collisionDump(s: Session): Step {
  return notifyAndDrop(s, notification(ErrCode.CEASE, CeaseSub.CONNECTION_COLLISION_RESOLUTION), 'collision');
}

const ignore = (s: Session): Step => ({ session: s, effects: [] });

// ---------------------------------------------------------------- the table

type Handler<K extends Event['kind']> = (s: Session, e: Extract<Event, { kind: K }>) => Step;
type Row = { readonly [K in Event['kind']]?: Handler<K> };

/** State x event. A missing cell in OpenSent/OpenConfirm/Established is an FSM error (RFC 6608); elsewhere it is ignored. */
const TABLE: { readonly [S in State]: Row } = {
  Idle: { ManualStart: start, AutomaticStart: start, TcpConnectionUp: acceptWhileIdle, TimerExpired: onTimer, ManualStop: stopQuiet, GracefulStop: stopQuiet },
  Connect: { TcpConnectionUp: sendOpen, TcpConnectionFails: connectFailed, TimerExpired: onTimer, ManualStop: stopQuiet, GracefulStop: stopQuiet, ManualStart: ignore },
  Active: { TcpConnectionUp: sendOpen, TcpConnectionFails: ignore, TimerExpired: onTimer, ManualStop: stopQuiet, GracefulStop: stopQuiet, ManualStart: ignore },
  OpenSent: {
    BGPOpen: acceptOpen,
    TimerExpired: onTimer,
    NotifMsg: notified,
    DecodeError: decodeFailed,
    TcpConnectionFails: openSentConnectionLost,
    ManualStop: stopWithCease,
    GracefulStop: stopSilently,
    CollisionDump: collisionDump,
    ManualStart: ignore,
  },
  OpenConfirm: {
    KeepAliveMsg: establish,
    TimerExpired: onTimer,
    NotifMsg: notified,
    DecodeError: decodeFailed,
    TcpConnectionFails: connectionLost,
    ManualStop: stopWithCease,
    GracefulStop: stopSilently,
    CollisionDump: collisionDump,
    ManualStart: ignore,
  },
  Established: {
    KeepAliveMsg: restartHold,
    UpdateMsg: restartHold,
    RouteRefreshMsg: restartHold,
    TimerExpired: onTimer,
    NotifMsg: notified,
    DecodeError: decodeFailed,
    TcpConnectionFails: connectionLost,
    ManualStop: stopWithCease,
    GracefulStop: stopSilently,
    ManualStart: ignore,
  },
};

const STRICT: ReadonlySet<State> = new Set<State>(['OpenSent', 'OpenConfirm', 'Established']);

export function step(s: Session, e: Event): Step {
  const handler = TABLE[s.state][e.kind] as ((s: Session, e: Event) => Step) | undefined;
  if (handler) return handler(s, e);
  return STRICT.has(s.state) ? fsmError(s) : ignore(s);
}

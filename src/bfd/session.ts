/**
 * One BFD session in asynchronous mode (RFC 5880): the state variables of 6.8.1, reception
 * (6.8.6), transmission (6.8.7), the Detection Time (6.8.4), timer changes by Poll Sequence
 * (6.5, 6.8.3), and administrative control (6.8.16). The state changes themselves are the table in
 * fsm.ts. Time and randomness are injected (convention 8): tests run two sessions against each
 * other on a ManualClock; the BFD thread (engine.ts) runs them on the system clock.
 *
 * Choices within the RFC:
 * - Active role: packets are sent from the start, before anything is heard (6.1).
 * - While not Up, bfd.DesiredMinTxInterval is max(configured, 1 s) (6.8.3); once Up the configured
 *   value is sent with a Poll Sequence. An increase of our TX (or a decrease of our RX) takes effect
 *   only when the peer's Final arrives (6.8.3); a decrease of TX (an increase of RX) at once.
 * - No packets besides the periodic ones and the Final answering a Poll (6.8.7).
 * - Jitter: each interval is 75-90% of the computed one, whatever the Detect Mult (6.8.7 allows
 *   75-100%, and asks for at most 90% with a Detect Mult of 1): the last 10% is headroom for a
 *   late timer.
 * - Echo, Demand mode and authentication are not implemented: we never set D or A, send a Required
 *   Min Echo RX of zero, keep transmitting if the peer sets D, and the engine discards packets with
 *   the A bit. C (Control Plane Independent) is zero: the BFD thread shares the fate of wren's
 *   BGP (RFC 5882 4.3).
 */
import type { Clock } from '../util/clock.js';
import { BFD_VERSION, BfdDiag, diagName, SLOW_TX_US, type BfdState } from './constants.js';
import { receivedEvent, step, type BfdEvent } from './fsm.js';
import type { ControlPacket } from './packet.js';
import type { BfdCounters, BfdSessionSpec, BfdSessionStatus, BfdTransition } from './types.js';

export interface BfdSessionHooks {
  /** A Control packet to send now. */
  send(packet: ControlPacket): void;
  /** The state changed. */
  transition(t: BfdTransition): void;
}

export interface BfdSessionOptions {
  readonly spec: BfdSessionSpec;
  /** bfd.LocalDiscr: non-zero, unique among the engine's sessions. */
  readonly localDiscr: number;
  readonly clock: Clock;
  /** Wall clock, ms since the epoch (status and transition times). */
  readonly wallNow?: () => number;
  readonly random?: () => number;
  readonly hooks: BfdSessionHooks;
}

const us = (ms: number): number => Math.round(ms * 1000);
const ms = (micro: number): number => micro / 1000;

export class BfdSession {
  #spec: BfdSessionSpec;
  readonly #clock: Clock;
  readonly #wallNow: () => number;
  readonly #random: () => number;
  readonly #hooks: BfdSessionHooks;

  // RFC 5880 6.8.1 state variables
  #state: BfdState = 'Down';
  #remoteState: BfdState = 'Down';
  readonly #localDiscr: number;
  #remoteDiscr = 0;
  #localDiag: number = BfdDiag.NO_DIAGNOSTIC;
  #remoteDiag: number = BfdDiag.NO_DIAGNOSTIC;
  /** What we advertise (µs): bfd.DesiredMinTxInterval, bfd.RequiredMinRxInterval, bfd.DetectMult. */
  #desiredMinTxUs: number;
  #requiredMinRxUs: number;
  #detectMult: number;
  /** What timing uses (µs): differs from the advertised values while a Poll Sequence holds a change back. */
  #txInUseUs: number;
  #rxInUseUs: number;
  /** bfd.RemoteMinRxInterval: 1 µs until heard (6.8.1). */
  #remoteMinRxUs = 1;
  #remoteMinTxUs = 0;
  #remoteDetectMult = 0;

  /** What the last packet carried, to tell a change that needs a Poll Sequence. */
  #lastAdvertisedRx: number;
  #lastAdvertisedMult: number;
  #polling = false;
  #heard = false;
  #since: number;
  #lastReceivedWall = 0;
  #lastTxAt = Number.NEGATIVE_INFINITY;
  #txDueAt = 0;
  #cancelTx: (() => void) | undefined;
  #cancelDetect: (() => void) | undefined;
  #lastDownReason: string | undefined;
  #counters: { -readonly [K in keyof BfdCounters]: BfdCounters[K] } = { packetsIn: 0, packetsOut: 0, discarded: 0, flaps: 0, transitions: 0, pollsCompleted: 0 };
  #closed = false;

  constructor(o: BfdSessionOptions) {
    if (!Number.isInteger(o.localDiscr) || o.localDiscr <= 0 || o.localDiscr > 0xffffffff) throw new RangeError(`BFD local discriminator ${o.localDiscr}`);
    this.#spec = o.spec;
    this.#clock = o.clock;
    this.#wallNow = o.wallNow ?? Date.now;
    this.#random = o.random ?? Math.random;
    this.#hooks = o.hooks;
    this.#localDiscr = o.localDiscr;
    this.#detectMult = o.spec.multiplier;
    this.#requiredMinRxUs = us(o.spec.minRxMs);
    this.#desiredMinTxUs = this.#advertisedTx();
    this.#txInUseUs = this.#desiredMinTxUs;
    this.#rxInUseUs = this.#requiredMinRxUs;
    this.#lastAdvertisedRx = this.#requiredMinRxUs;
    this.#lastAdvertisedMult = this.#detectMult;
    this.#since = this.#wallNow();
  }

  get state(): BfdState {
    return this.#state;
  }
  get localDiscr(): number {
    return this.#localDiscr;
  }
  get spec(): BfdSessionSpec {
    return this.#spec;
  }

  /** Starts transmitting (Active role). */
  start(): void {
    this.#scheduleTx();
  }

  /**
   * New timers or multiplier from a reload (6.8.3): advertised at once, with a Poll Sequence when
   * Up; timing follows the rules in the file comment. The addresses of a session never change (a
   * new address is a new session).
   */
  reconfigure(spec: BfdSessionSpec): void {
    this.#spec = spec;
    this.#detectMult = spec.multiplier;
    this.#requiredMinRxUs = us(spec.minRxMs);
    this.#advertise();
  }

  /** A valid packet (decodeControl accepted it) from this session's peer, TTL already checked. */
  receive(p: ControlPacket): void {
    if (this.#closed) return;
    // 6.8.6: discard when bfd.SessionState is AdminDown (after the structural checks, done by the codec).
    if (this.#state === 'AdminDown') return;
    this.#counters.packetsIn++;
    this.#heard = true;
    this.#lastReceivedWall = this.#wallNow();
    this.#remoteDiscr = p.myDiscr;
    this.#remoteState = p.state;
    this.#remoteDiag = p.diag;
    this.#remoteDetectMult = p.detectMult;
    this.#remoteMinRxUs = p.requiredMinRxUs;
    this.#remoteMinTxUs = p.desiredMinTxUs;
    // 6.8.6: "If a Poll Sequence is being transmitted by the local system and the Final (F) bit in
    // the received packet is set, the Poll Sequence MUST be terminated."
    if (p.final && this.#polling) {
      this.#polling = false;
      this.#counters.pollsCompleted++;
      this.#txInUseUs = this.#desiredMinTxUs;
      this.#rxInUseUs = this.#requiredMinRxUs;
    }
    this.#event(receivedEvent(p.state), p);
    // 6.8.7: a Poll is answered with a Final "as soon as practicable, without respect to the
    // transmission timer".
    if (p.poll) this.#transmit({ final: true });
    this.#armDetect();
    this.#rescheduleTx();
  }

  /** A datagram for this session was discarded (TTL, structure, authentication). */
  discarded(): void {
    this.#counters.discarded++;
  }

  /**
   * Takes the session out of service (6.8.16): AdminDown, diagnostic 7, one packet saying so, and
   * no more packets. Used when the session is removed or the daemon stops: the peer's clients must
   * not read it as a failure (RFC 5882 3.2).
   */
  close(): void {
    if (this.#closed) return;
    this.#event('AdminDown');
    this.#transmit({ final: false });
    this.#closed = true;
    this.#cancelTx?.();
    this.#cancelDetect?.();
    this.#cancelTx = undefined;
    this.#cancelDetect = undefined;
  }

  status(): BfdSessionStatus {
    const s = this.#spec;
    const detect = this.#detectTimeUs();
    return {
      peer: s.peer,
      remote: s.remote,
      ...(s.local !== undefined ? { local: s.local } : {}),
      multihop: s.multihop,
      state: this.#state,
      remoteState: this.#remoteState,
      diag: this.#localDiag,
      remoteDiag: this.#remoteDiag,
      localDiscr: this.#localDiscr,
      remoteDiscr: this.#remoteDiscr,
      desiredMinTxMs: ms(this.#desiredMinTxUs),
      requiredMinRxMs: ms(this.#requiredMinRxUs),
      multiplier: this.#detectMult,
      remoteMinTxMs: ms(this.#remoteMinTxUs),
      remoteMinRxMs: this.#heard ? ms(this.#remoteMinRxUs) : 0,
      remoteMultiplier: this.#remoteDetectMult,
      txIntervalMs: ms(this.#txIntervalUs()),
      rxIntervalMs: ms(this.#rxIntervalUs()),
      detectTimeMs: ms(detect),
      polling: this.#polling,
      heard: this.#heard,
      since: this.#since,
      lastReceived: this.#lastReceivedWall,
      ...(this.#lastDownReason !== undefined ? { lastDownReason: this.#lastDownReason } : {}),
      counters: { ...this.#counters },
    };
  }

  // ------------------------------------------------------------ internals

  /** 6.8.3: at least one second while not Up. */
  #advertisedTx(): number {
    const configured = us(this.#spec.minTxMs);
    return this.#state === 'Up' ? configured : Math.max(configured, SLOW_TX_US);
  }

  /** Recomputes what we advertise; starts a Poll Sequence when Up and something changed (6.8.3). */
  #advertise(): void {
    const up = this.#state === 'Up';
    const tx = this.#advertisedTx();
    const changed = tx !== this.#desiredMinTxUs || this.#requiredMinRxUs !== this.#lastAdvertisedRx || this.#detectMult !== this.#lastAdvertisedMult;
    this.#desiredMinTxUs = tx;
    this.#lastAdvertisedRx = this.#requiredMinRxUs;
    this.#lastAdvertisedMult = this.#detectMult;
    // An increase of TX waits for the Final while Up; a decrease applies now.
    if (!up || tx <= this.#txInUseUs) this.#txInUseUs = tx;
    // A decrease of RX waits for the Final while Up (the peer may still send at the old rate); an increase applies now.
    if (!up || this.#requiredMinRxUs >= this.#rxInUseUs) this.#rxInUseUs = this.#requiredMinRxUs;
    if (!up) this.#polling = false;
    else if (changed) this.#polling = true;
    this.#rescheduleTx();
  }

  #event(e: BfdEvent, p?: ControlPacket): void {
    const before = this.#state;
    const r = step(before, e);
    if (r.diag !== undefined) this.#localDiag = r.diag;
    if (r.state === before) return;
    this.#state = r.state;
    this.#since = this.#wallNow();
    this.#counters.transitions++;
    if (before === 'Up') this.#counters.flaps++;
    // RFC 5880 does not say when to clear bfd.LocalDiag; like FRR and BIRD, a session that comes Up has none.
    if (r.state === 'Up') this.#localDiag = BfdDiag.NO_DIAGNOSTIC;
    const reason = this.#reason(e, p);
    if (r.state !== 'Up' && before === 'Up') this.#lastDownReason = reason;
    this.#hooks.transition({
      peer: this.#spec.peer,
      from: before,
      to: r.state,
      diag: this.#localDiag,
      remoteState: this.#remoteState,
      remoteDiag: this.#remoteDiag,
      reason,
      at: this.#since,
    });
    // Entering or leaving Up changes what we advertise (the 1 s floor while not Up).
    if (r.state === 'Up' || before === 'Up') this.#advertise();
  }

  #reason(e: BfdEvent, p: ControlPacket | undefined): string {
    switch (e) {
      case 'DetectTimeout':
        return `detection time expired: no packet from the peer for ${ms(this.#detectTimeUs())} ms`;
      case 'RecvAdminDown':
        return 'the peer is administratively down';
      case 'RecvDown':
        return `the peer signalled Down (its diagnostic: ${diagName(p?.diag ?? 0)})`;
      case 'RecvInit':
        return 'the peer signalled Init';
      case 'RecvUp':
        return 'the peer signalled Up';
      case 'AdminDown':
        return 'administratively down';
      case 'AdminUp':
        return 'administratively enabled';
    }
  }

  /** 6.8.4: remote Detect Mult x max(bfd.RequiredMinRxInterval, the peer's Desired Min TX). */
  #rxIntervalUs(): number {
    return Math.max(this.#rxInUseUs, this.#remoteMinTxUs);
  }
  #detectTimeUs(): number {
    return this.#remoteDetectMult * this.#rxIntervalUs();
  }

  /** 6.8.7: max(bfd.DesiredMinTxInterval, bfd.RemoteMinRxInterval); 0 when the peer wants no packets. */
  #txIntervalUs(): number {
    if (this.#remoteMinRxUs === 0) return 0;
    return Math.max(this.#txInUseUs, this.#remoteMinRxUs);
  }

  #jittered(intervalUs: number): number {
    const r = this.#random();
    // 6.8.7: "reduced by a random value of 0 to 25%"; with bfd.DetectMult 1, "no more than 90% ... no less than 75%".
    // 75-90% for every multiplier: a timer fires late, never early, so the last 10% of the
    // interval is kept for a late wake-up of this thread (a busy machine), not spent on jitter.
    const factor = 0.75 + 0.15 * r;
    return ms(intervalUs * factor);
  }

  #armDetect(): void {
    this.#cancelDetect?.();
    this.#cancelDetect = undefined;
    const detect = this.#detectTimeUs();
    if (detect <= 0 || this.#state === 'AdminDown') return;
    this.#cancelDetect = this.#clock.after(ms(detect), () => {
      this.#cancelDetect = undefined;
      this.#onDetectTimeout();
    });
  }

  #onDetectTimeout(): void {
    // 6.8.1: bfd.RemoteDiscr is zeroed after a Detection Time without packets; the peer is
    // thought Down (we no longer know otherwise).
    this.#remoteDiscr = 0;
    this.#remoteState = 'Down';
    this.#event('DetectTimeout');
  }

  /** Sends one packet now; `final` answers a Poll (and then carries no P: 6.8.7 forbids both). */
  #transmit(o: { final: boolean }): void {
    const p: ControlPacket = {
      version: BFD_VERSION,
      diag: this.#localDiag,
      state: this.#state,
      poll: this.#polling && !o.final,
      final: o.final,
      cpi: false,
      authPresent: false,
      demand: false,
      multipoint: false,
      detectMult: this.#detectMult,
      myDiscr: this.#localDiscr,
      yourDiscr: this.#remoteDiscr,
      desiredMinTxUs: this.#desiredMinTxUs,
      requiredMinRxUs: this.#requiredMinRxUs,
      requiredMinEchoRxUs: 0,
    };
    this.#counters.packetsOut++;
    this.#hooks.send(p);
  }

  /** Arms the periodic timer for the next jittered interval after the last packet sent. */
  #scheduleTx(): void {
    if (this.#closed) return;
    this.#cancelTx?.();
    this.#cancelTx = undefined;
    const interval = this.#txIntervalUs();
    if (interval === 0) return; // 6.8.7: the peer's Required Min RX is zero: send nothing
    const now = this.#clock.now();
    const due = Math.max(now, this.#lastTxAt + this.#jittered(interval));
    this.#txDueAt = due;
    this.#cancelTx = this.#clock.after(due - now, () => {
      this.#cancelTx = undefined;
      this.#lastTxAt = this.#clock.now();
      this.#transmit({ final: false });
      this.#scheduleTx();
    });
  }

  /**
   * The interval may have changed: re-arm when the armed timer falls outside what the new interval
   * allows after the last packet (75-100% of it), or when none is armed.
   */
  #rescheduleTx(): void {
    if (this.#closed) return;
    const interval = ms(this.#txIntervalUs());
    if (this.#cancelTx === undefined || interval === 0) {
      this.#scheduleTx();
      return;
    }
    if (this.#txDueAt > this.#lastTxAt + interval || this.#txDueAt < this.#lastTxAt + 0.75 * interval) this.#scheduleTx();
  }
}

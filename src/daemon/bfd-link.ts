/**
 * BFD tied to BGP (docs/bfd.md): which BFD sessions the configuration asks for (one per configured
 * peer with `bfd`), what a BFD transition does to the BGP session, the gate that keeps a BGP
 * session down while its BFD session is, the `show bfd` view, the logs, and the stats a metrics
 * endpoint can read.
 *
 * - Up: a BGP session held down for BFD starts (bfd-gate.ts `release`).
 * - Up -> Down (or Init): a failure. The BGP session goes down at once (Cease / BFD Down, or, with
 *   `graceful`, a silent close treated as the peer restarting). Not a failure, and nothing is done
 *   to BGP: the peer signalling AdminDown (RFC 5882 3.2: "the client ... SHOULD NOT" take it as a
 *   failure, BIRD does the same), and our own AdminDown (the session was removed, wren stops).
 * - The gate (`requireUp`): after a failure the BGP session is not started, and incoming
 *   connections are refused, until BFD is Up again. Before the peer has answered BFD at all, BGP
 *   is not held: a peer that does not run BFD is reported (one warning after 10 s), never flapped,
 *   and a BFD session that never came Up never takes BGP down.
 * - Without the native addon no BFD session runs: one error line names the peers; their BGP
 *   sessions run as without BFD.
 */
import type { Config, PeerConfig } from '../config/types.js';
import type { BfdPeerStatus, BfdView } from '../control/protocol.js';
import { diagName } from '../bfd/constants.js';
import { startBfd, type BfdService, type BfdServiceHooks } from '../bfd/service.js';
import type { BfdSessionSpec, BfdSessionStatus, BfdTransition } from '../bfd/types.js';
import type { Clock } from '../util/clock.js';
import { canonicalAddress } from '../util/inet.js';
import type { Logger } from '../util/log.js';

/** How long a peer may stay silent after its BFD session was made before it is reported. */
export const SILENT_PEER_REPORT_MS = 10_000;

export interface BfdLinkOptions {
  readonly clock: Clock;
  readonly log: Logger;
  /** The BFD session of peer `id` failed: take its BGP session down (`hold`: and keep it down). */
  readonly failed: (id: string, o: { readonly graceful: boolean; readonly hold: boolean; readonly reason: string }) => void;
  /** The BFD session of peer `id` is Up. */
  readonly up: (id: string) => void;
  /** Whether peer `id`'s BGP session is held down for BFD (for `show bfd`). */
  readonly held: (id: string) => boolean;
  /** Starts the BFD engine (tests inject one). */
  readonly start?: (hooks: BfdServiceHooks) => BfdService;
}

/** What a metrics endpoint reads (no I/O, no waiting): per session, as of the last report from the BFD thread. */
export interface BfdStats {
  readonly mode: BfdView['mode'];
  readonly sessions: readonly {
    readonly peer: string;
    readonly state: BfdSessionStatus['state'];
    readonly up: boolean;
    readonly flaps: number;
    readonly transitions: number;
    readonly packetsIn: number;
    readonly packetsOut: number;
    readonly discarded: number;
    readonly detectTimeMs: number;
    readonly txIntervalMs: number;
  }[];
}

/** The BFD session a peer's configuration asks for, or undefined. */
export function bfdSpec(p: PeerConfig): BfdSessionSpec | undefined {
  if (p.kind !== 'static' || p.bfd === undefined) return undefined;
  const b = p.bfd;
  // RFC 5881 5: single hop accepts only 255. Multihop (RFC 5883 5 leaves it to the implementation):
  // the peer is at most `ebgpMultihop` hops away, as GTSM reckons it (256 - hops); no check without it.
  const hops = p.ebgpMultihop ?? p.ttlSecurity;
  const minTtl = !b.multihop ? 255 : hops !== undefined ? 256 - hops : 1;
  return {
    peer: canonicalAddress(p.address),
    remote: canonicalAddress(p.address),
    ...(p.localAddress !== undefined ? { local: p.localAddress } : {}),
    multihop: b.multihop,
    minTtl,
    minTxMs: b.minTx,
    minRxMs: b.minRx,
    multiplier: b.multiplier,
  };
}

export class BfdLink {
  readonly #o: BfdLinkOptions;
  #service: BfdService | undefined;
  /** Configured peers with BFD, by id. */
  #peers = new Map<string, PeerConfig>();
  /** Peers whose BFD session has been Up since it was made: only they are held down by the gate. */
  readonly #everUp = new Set<string>();
  readonly #reportedSilent = new Set<string>();
  #unavailableLogged = '';
  /** The BFD thread's scheduling as asked (`bfd.realtime`) and as had ("SCHED_RR 1", "nice -10", ...). */
  #realtime: boolean | undefined;
  #priority: string | undefined;
  #cancelCheck: (() => void) | undefined;
  #closed = false;

  constructor(o: BfdLinkOptions) {
    this.#o = o;
  }

  /** The BFD sessions of a (new or reloaded) configuration. The engine starts with the first one. */
  configure(config: Config): void {
    if (this.#closed) return;
    const specs: BfdSessionSpec[] = [];
    const peers = new Map<string, PeerConfig>();
    for (const p of config.peers) {
      const spec = bfdSpec(p);
      if (!spec) continue;
      specs.push(spec);
      peers.set(spec.peer, p);
    }
    for (const id of this.#peers.keys()) {
      if (!peers.has(id)) {
        this.#everUp.delete(id);
        this.#reportedSilent.delete(id);
      }
    }
    this.#peers = peers;
    if (specs.length === 0 && !this.#service) return;
    this.#service ??= (this.#o.start ?? ((hooks) => startBfd({ hooks })))({
      transition: (t, s) => this.#onTransition(t, s),
      priority: (p) => {
        this.#priority = p.scheduling;
        if (p.problem === undefined) this.#o.log.info({ scheduling: p.scheduling }, 'BFD thread scheduling');
        else this.#o.log.warn({ scheduling: p.scheduling, reason: p.problem }, 'BFD thread scheduling: not as asked');
      },
    });
    const svc = this.#service;
    svc.configure(specs);
    if (this.#realtime !== config.bfd.realtime) {
      this.#realtime = config.bfd.realtime;
      svc.setPriority?.(config.bfd.realtime);
    }
    if (svc.unavailable !== undefined && specs.length > 0) {
      const key = specs.map((s) => s.peer).join(',');
      if (key !== this.#unavailableLogged) {
        this.#unavailableLogged = key;
        this.#o.log.error({ peers: specs.map((s) => s.peer), reason: svc.unavailable }, 'BFD not started: the native addon is missing');
      }
    }
    this.#armSilentCheck();
  }

  /**
   * Why peer `id`'s BGP session must wait for BFD, or null. Only with `requireUp`, only after its
   * BFD session has been Up once, and only while BFD runs at all.
   */
  gate(id: string): string | null {
    const cfg = this.#peers.get(id);
    const svc = this.#service;
    if (!cfg?.bfd?.requireUp || !svc || svc.unavailable !== undefined || !this.#everUp.has(id)) return null;
    const s = svc.statuses().find((x) => x.peer === id);
    if (!s || s.state === 'Up' || s.remoteState === 'AdminDown') return null;
    return `BFD session ${s.state}${s.lastDownReason !== undefined ? `: ${s.lastDownReason}` : ''}`;
  }

  /** `show bfd`: statuses asked of the BFD thread now (bounded). */
  async view(nowMs = Date.now()): Promise<BfdView> {
    const svc = this.#service;
    if (!svc) return { mode: 'off', sessions: [] };
    const statuses = await svc.refresh();
    return {
      mode: svc.mode,
      ...(svc.unavailable !== undefined ? { problem: svc.unavailable } : {}),
      ...(this.#priority !== undefined ? { threadScheduling: this.#priority } : {}),
      sessions: statuses.map((s) => this.#peerStatus(s, nowMs)),
    };
  }

  /** For a metrics endpoint: synchronous, from the last report of the BFD thread (at most a second old). */
  stats(): BfdStats {
    const svc = this.#service;
    if (!svc) return { mode: 'off', sessions: [] };
    return {
      mode: svc.mode,
      sessions: svc.statuses().map((s) => ({
        peer: s.peer,
        state: s.state,
        up: s.state === 'Up',
        flaps: s.counters.flaps,
        transitions: s.counters.transitions,
        packetsIn: s.counters.packetsIn,
        packetsOut: s.counters.packetsOut,
        discarded: s.counters.discarded,
        detectTimeMs: s.detectTimeMs,
        txIntervalMs: s.txIntervalMs,
      })),
    };
  }

  /** Every BFD session AdminDown and the thread ended; call after the BGP sessions are closed. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#cancelCheck?.();
    this.#cancelCheck = undefined;
    await this.#service?.close();
  }

  // ------------------------------------------------------------ internals

  #peerStatus(s: BfdSessionStatus, nowMs: number): BfdPeerStatus {
    const cfg = this.#peers.get(s.peer);
    return {
      peer: s.peer,
      ...(cfg?.name !== undefined ? { name: cfg.name } : {}),
      multihop: s.multihop,
      ...(s.local !== undefined ? { localAddress: s.local } : {}),
      state: s.state,
      remoteState: s.remoteState,
      diagnostic: diagName(s.diag),
      remoteDiagnostic: diagName(s.remoteDiag),
      localDiscriminator: s.localDiscr,
      remoteDiscriminator: s.remoteDiscr,
      txIntervalMs: s.txIntervalMs,
      rxIntervalMs: s.rxIntervalMs,
      detectTimeMs: s.detectTimeMs,
      local: { minTxMs: s.desiredMinTxMs, minRxMs: s.requiredMinRxMs, multiplier: s.multiplier },
      remote: { minTxMs: s.remoteMinTxMs, minRxMs: s.remoteMinRxMs, multiplier: s.remoteMultiplier },
      uptimeSec: Math.max(0, Math.floor((nowMs - s.since) / 1000)),
      flaps: s.counters.flaps,
      ...(s.lastDownReason !== undefined ? { lastDownReason: s.lastDownReason } : {}),
      heard: s.heard,
      polling: s.polling,
      graceful: cfg?.bfd?.graceful ?? false,
      requireUp: cfg?.bfd?.requireUp ?? false,
      bgpHeld: this.#o.held(s.peer),
      ...(s.problem !== undefined ? { problem: s.problem } : {}),
      counters: {
        packetsIn: s.counters.packetsIn,
        packetsOut: s.counters.packetsOut,
        discarded: s.counters.discarded,
        transitions: s.counters.transitions,
        pollsCompleted: s.counters.pollsCompleted,
      },
    };
  }

  #onTransition(t: BfdTransition, s: BfdSessionStatus): void {
    const cfg = this.#peers.get(t.peer);
    const fields = {
      peer: t.peer,
      state: t.to,
      from: t.from,
      diag: diagName(t.diag),
      remoteState: t.remoteState,
      remoteDiag: diagName(t.remoteDiag),
      reason: t.reason,
      detectTimeMs: s.detectTimeMs,
      at: new Date(t.at).toISOString(),
    };
    const failure = t.from === 'Up' && t.to !== 'AdminDown' && t.remoteState !== 'AdminDown';
    if (t.to === 'Up') this.#o.log.info(fields, 'BFD session up');
    else if (failure) this.#o.log.warn(fields, 'BFD session down');
    else this.#o.log.info(fields, 'BFD session state');
    if (!cfg?.bfd || this.#closed) return;
    if (t.to === 'Up') {
      this.#everUp.add(t.peer);
      this.#reportedSilent.delete(t.peer);
      this.#o.up(t.peer);
      return;
    }
    if (t.from === 'Up' && !failure && t.to !== 'AdminDown') {
      this.#o.log.info({ peer: t.peer }, 'the peer took BFD down administratively: not a failure, the BGP session stays (RFC 5882 3.2)');
      return;
    }
    if (failure) this.#o.failed(t.peer, { graceful: cfg.bfd.graceful, hold: cfg.bfd.requireUp, reason: `BFD session down: ${t.reason}` });
  }

  /** Reports, once, a peer that has not answered BFD for SILENT_PEER_REPORT_MS (its BGP session is left alone). */
  #armSilentCheck(): void {
    if (this.#cancelCheck || this.#closed) return;
    this.#cancelCheck = this.#o.clock.after(SILENT_PEER_REPORT_MS / 2, () => {
      this.#cancelCheck = undefined;
      const svc = this.#service;
      if (!svc || svc.unavailable !== undefined || this.#peers.size === 0) return;
      const now = Date.now();
      for (const s of svc.statuses()) {
        if (s.heard || s.problem !== undefined || this.#reportedSilent.has(s.peer) || now - s.since < SILENT_PEER_REPORT_MS) continue;
        this.#reportedSilent.add(s.peer);
        this.#o.log.warn({ peer: s.peer, silentSec: Math.round((now - s.since) / 1000) }, 'BFD: no answer from the peer (BGP is not held for a peer that never answered)');
      }
      this.#armSilentCheck();
    });
  }
}

/**
 * Graceful restart, the helper side (RFC 4724 4.2, RFC 8538): what happens to a peer's routes
 * when its session goes down and comes back.
 *
 * - Down: the routes are kept, marked stale, only when the loss was graceful (`gracefulDown`) and
 *   graceful restart is on for the peer; then only the families the peer listed in its capability
 *   (the others are swept at once), and only for the restart time: min(the peer's restart time,
 *   `gracefulRestart.staleRoutesTime`). When that expires, the stale routes go.
 * - Back up: stale routes of a family whose forwarding state the peer did not preserve (F bit clear,
 *   or the family no longer listed) go at once; the rest wait for the family's End-of-RIB (the RIB
 *   sweeps a family on its End-of-RIB), but not forever: a stale-path bound of
 *   `gracefulRestart.staleRoutesTime` (like FRR's stale-path time) sweeps what is left. The bound
 *   ends once End-of-RIB has arrived for every negotiated family, so it never sweeps the stale marks
 *   of a later route refresh (route-refresh.ts).
 *
 * The restarting side (our own restart: R bit, End-of-RIB deferral) is convergence.ts.
 */
import { CeaseSub } from '../codec/constants.js';
import type { GracefulRestartConfig } from '../config/types.js';
import type { Family } from '../rib/types.js';
import { ALL_FAMILIES } from '../session/families.js';
import type { Negotiated, PeerGracefulRestart } from '../session/negotiate.js';
import type { DownInfo } from '../session/peer.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';

/** What the helper does to a peer's routes (rib/rib.ts `Rib` is one). */
export interface StaleRoutes {
  /** Session gone: keep the routes as stale, or withdraw them. */
  peerDown(id: string, o: { keepStale: boolean }): void;
  /** Removes the peer's stale routes (of one family, or all); returns how many. */
  sweepStale(id: string, family?: Family): number;
}

export interface GracefulRestartHelperOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly rib: StaleRoutes;
  /** The running config's `gracefulRestart` (read when used: a reload may change it). */
  readonly settings: () => GracefulRestartConfig;
  /** Routes changed: run the decision process. */
  readonly changed: () => void;
  /** A peer's restart timer expired without it coming back (called before `changed`). */
  readonly expired: (id: string) => void;
}

export class GracefulRestartHelper {
  readonly #o: GracefulRestartHelperOptions;
  /** Per peer: the restart timer while it is down, or the stale-path bound once it is back. */
  readonly #timers = new Map<string, () => void>();
  /** The GR capability of the last established session per peer (the FSM forgets it on the way down). */
  readonly #lastGr = new Map<string, PeerGracefulRestart>();
  /** Whether the last established session negotiated the RFC 8538 N bit. */
  readonly #lastN = new Map<string, boolean>();

  constructor(o: GracefulRestartHelperOptions) {
    this.#o = o;
  }

  /** Whether a restart timer or stale-path bound runs for the peer. */
  timing(id: string): boolean {
    return this.#timers.has(id);
  }

  /** The session is up (before the RIB hears of it): sweeps unpreserved families, arms the stale-path bound. */
  established(id: string, n: Negotiated): void {
    this.cancel(id);
    const { rib, settings, clock, log } = this.#o;
    // RFC 4724 4.2: stale routes of a family whose forwarding state the restarted peer did not
    // preserve (F bit clear, or the family no longer listed) are removed at once.
    const preserved = new Set((n.gracefulRestart?.families ?? []).filter((f) => f.forwardingPreserved).map((f) => f.family));
    for (const f of ALL_FAMILIES) if (!preserved.has(f)) rib.sweepStale(id, f);
    if (preserved.size > 0) {
      // The rest waits for its End-of-RIB, but not forever (like FRR's stale-path time): a peer that
      // never sends one loses its stale routes after gracefulRestart.staleRoutesTime.
      const sec = settings().staleRoutesTime;
      this.#arm(id, sec, () => {
        const swept = rib.sweepStale(id);
        if (swept > 0) log.warn({ peer: id, swept, waited: sec }, 'no End-of-RIB after the peer restarted: stale routes removed');
        this.#o.changed();
      });
    }
    if (n.gracefulRestart) this.#lastGr.set(id, n.gracefulRestart);
    else this.#lastGr.delete(id);
    this.#lastN.set(id, n.gracefulNotification);
  }

  /**
   * End-of-RIB arrived (`received`: every family whose End-of-RIB is in since the session came up):
   * once it is in for every negotiated family, the stale-path bound is done.
   */
  endOfRib(id: string, negotiated: readonly Family[] | undefined, received: ReadonlySet<Family>): void {
    if (negotiated?.every((f) => received.has(f))) this.cancel(id);
  }

  /**
   * The established session is gone (`peerGracefulRestart`: the peer's own `gracefulRestart`
   * setting). Tells the RIB to keep the routes as stale or withdraw them; returns whether any were kept.
   */
  down(id: string, info: DownInfo, peerGracefulRestart: boolean): boolean {
    const { rib, settings, log } = this.#o;
    const gr = this.#lastGr.get(id);
    const graceful = gr !== undefined && settings().enabled && peerGracefulRestart && gracefulDown(info, gr.notification && this.#lastN.get(id) === true);
    // RFC 4724 4.2: only the families the peer listed in its capability are retained.
    const kept = graceful ? gr.families.map((f) => f.family) : [];
    rib.peerDown(id, { keepStale: kept.length > 0 });
    if (kept.length === 0 || !gr) return false;
    for (const f of ALL_FAMILIES) if (!kept.includes(f)) rib.sweepStale(id, f);
    const sec = Math.min(gr.restartTimeSec, settings().staleRoutesTime);
    log.info({ peer: id, restartTime: sec }, 'peer restarting: keeping its routes as stale');
    this.#arm(id, sec, () => {
      const n = rib.sweepStale(id);
      log.info({ peer: id, swept: n }, 'graceful restart timer expired: stale routes removed');
      this.#o.expired(id);
      this.#o.changed();
    });
    return true;
  }

  /** Ends the peer's timer, if any (the peer is removed, or the daemon stops). */
  cancel(id: string): void {
    this.#timers.get(id)?.();
    this.#timers.delete(id);
  }

  /** The peer is gone for good: its timer and what its last session negotiated. */
  forget(id: string): void {
    this.cancel(id);
    this.#lastGr.delete(id);
    this.#lastN.delete(id);
  }

  cancelAll(): void {
    for (const id of [...this.#timers.keys()]) this.cancel(id);
  }

  #arm(id: string, sec: number, fire: () => void): void {
    this.cancel(id);
    const cancel = this.#o.clock.after(sec * 1000, () => {
      if (this.#timers.get(id) === cancel) this.#timers.delete(id);
      fire();
    });
    this.#timers.set(id, cancel);
  }
}

/**
 * Does the loss of a session keep the peer's routes (graceful restart helper)?
 * RFC 4724 4.2: a TCP failure does. A NOTIFICATION does not (the session was closed on purpose),
 * unless both sides set the N bit (RFC 8538 4): then every NOTIFICATION but Cease / Hard Reset does,
 * including Hold Timer Expired. An administrative stop of our own is never graceful on our side.
 */
export function gracefulDown(info: DownInfo, nBit: boolean): boolean {
  switch (info.reason) {
    case 'connection-closed':
      return true;
    case 'admin-stop':
    case 'graceful-stop':
    case 'collision':
      return false;
    case 'hold-timer-expired':
    case 'send-hold-timer-expired':
    case 'notification-received':
    case 'notification-sent':
    case 'fsm-error':
      return nBit && !(info.notification?.code === 6 && info.notification.subcode === CeaseSub.HARD_RESET);
  }
}

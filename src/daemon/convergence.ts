/**
 * First convergence, and graceful restart on the restarting side (RFC 4724 4.1): our own restart.
 *
 * - Restarting: routes of ours still in the kernel at start mean we restarted with forwarding
 *   state preserved. Our OPENs carry the R bit, and our End-of-RIB is held back (the selection
 *   deferral) until every configured peer that advertised graceful restart without the R bit has
 *   sent its End-of-RIB for each negotiated family, or until the deadline
 *   (`kernel.convergenceTimeout`). Excluded from the wait: peers that are themselves restarting (R
 *   bit), peers without graceful restart, dynamic and disabled peers. Routes flow meanwhile; only
 *   our End-of-RIB waits, so a helper does not sweep our stale routes before we relearned them.
 * - First convergence: End-of-RIB from every enabled configured peer for each negotiated family, or
 *   the same deadline. Then the kernel's stale routes may be purged (kernel/fib-sync.ts
 *   `converged`), the deferral is over if it was not yet, and the R bit is cleared: later OPENs
 *   no longer carry it (RFC 4724 3).
 *
 * The helper side (a peer's restart) is graceful-restart.ts.
 */
import type { Family } from '../rib/types.js';
import type { Negotiated } from '../session/negotiate.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';

/** Where one peer stands, as convergence sees it. */
export interface PeerProgress {
  readonly dynamic: boolean;
  readonly enabled: boolean;
  readonly established: boolean;
  readonly negotiated: Negotiated | undefined;
  /** Families whose End-of-RIB arrived since the session came up. */
  readonly eor: ReadonlySet<Family>;
}

/** Every enabled configured peer is established and has sent End-of-RIB for each negotiated family. */
export function endOfRibFromAll(peers: Iterable<PeerProgress>): boolean {
  for (const p of peers) {
    if (p.dynamic || !p.enabled) continue;
    const n = p.negotiated;
    if (!n || !p.established) return false;
    if (!n.families.every((f) => p.eor.has(f))) return false;
  }
  return true;
}

/**
 * RFC 4724 4.1: the restarting speaker defers its selection until it "receives the End-of-RIB
 * marker from all its peers (excluding the ones with the "Restart State" bit set in the received
 * capability and excluding the ones that do not advertise the graceful restart capability)".
 * A configured peer not yet established holds it (we cannot know what it advertises).
 */
export function deferralMayEnd(peers: Iterable<PeerProgress>): boolean {
  for (const p of peers) {
    if (p.dynamic || !p.enabled) continue;
    const n = p.negotiated;
    if (!n || !p.established) return false;
    if (!n.gracefulRestart || n.gracefulRestart.restarting) continue;
    if (!n.families.every((f) => p.eor.has(f))) return false;
  }
  return true;
}

/** Our restart while it lasts (BIRD's "Graceful restart recovery in progress" in `show status`). */
export interface RecoveryStatus {
  /** Configured, enabled peers not yet Established with End-of-RIB for each negotiated family. */
  readonly waitingFor: number;
  /** Seconds left before convergence is declared anyway, and the whole wait (`kernel.convergenceTimeout`). */
  readonly remainingSec: number;
  readonly timeoutSec: number;
}

export interface ConvergenceOptions {
  readonly clock: Clock;
  readonly log: Logger;
  /** Seconds until first convergence is declared anyway (`kernel.convergenceTimeout`, read when armed). */
  readonly timeoutSec: () => number;
  readonly peers: () => Iterable<PeerProgress>;
  /** Holds our End-of-RIB back from every peer, or lets it go (rib/rib.ts `holdEndOfRib`). */
  readonly holdEndOfRib: (hold: boolean) => void;
  /** End-of-RIB released: pull what peers now have pending. */
  readonly released: () => void;
  /** First convergence: the kernel's stale routes may go. Called once. */
  readonly converged: () => void;
}

export class Convergence {
  readonly #o: ConvergenceOptions;
  #restarting = false;
  #deferred = false;
  #converged = false;
  #cancelDeadline: (() => void) | undefined;
  #deadline: { readonly at: number; readonly sec: number } | undefined;

  constructor(o: ConvergenceOptions) {
    this.#o = o;
  }

  /** Our OPENs carry the R bit (read when each OPEN is built). */
  get restarting(): boolean {
    return this.#restarting;
  }

  /** Our End-of-RIB is held back. */
  get deferred(): boolean {
    return this.#deferred;
  }

  get converged(): boolean {
    return this.#converged;
  }

  /** We restarted with `kept` routes of ours in the kernel: R bit, End-of-RIB deferred. Before `arm`. */
  restarted(kept: number): void {
    this.#o.log.info({ kept }, 'restarting with forwarding state preserved');
    this.#restarting = true;
    this.#deferred = true;
    this.#o.holdEndOfRib(true);
  }

  /** Starts the deadline and checks at once (no configured peer: converged now). */
  arm(): void {
    const sec = this.#o.timeoutSec();
    this.#deadline = { at: this.#o.clock.now() + sec * 1000, sec };
    this.#cancelDeadline = this.#o.clock.after(sec * 1000, () => {
      this.#cancelDeadline = undefined;
      if (!this.#converged) this.#o.log.info({}, 'convergence deadline reached');
      this.#setConverged();
    });
    this.check();
  }

  /** Something a rule reads changed: a session came up, an End-of-RIB arrived, a reload removed a peer. */
  check(): void {
    if (this.#deferred && deferralMayEnd(this.#o.peers())) this.#endDeferral();
    if (this.#converged) return;
    if (endOfRibFromAll(this.#o.peers())) this.#setConverged();
  }

  /** While we are restarting and not yet converged: who is awaited and the time left; else null. */
  recovery(): RecoveryStatus | null {
    if (!this.#restarting || this.#converged) return null;
    let waitingFor = 0;
    for (const p of this.#o.peers()) {
      if (p.dynamic || !p.enabled) continue;
      const n = p.negotiated;
      if (!n || !p.established || !n.families.every((f) => p.eor.has(f))) waitingFor++;
    }
    const d = this.#deadline;
    const remainingSec = d ? Math.max(0, Math.ceil((d.at - this.#o.clock.now()) / 1000)) : 0;
    return { waitingFor, remainingSec, timeoutSec: d?.sec ?? this.#o.timeoutSec() };
  }

  /** The daemon stops: the deadline no longer fires. */
  cancel(): void {
    this.#cancelDeadline?.();
    this.#cancelDeadline = undefined;
  }

  #endDeferral(): void {
    if (!this.#deferred) return;
    this.#deferred = false;
    this.#o.holdEndOfRib(false);
    this.#o.log.info({}, 'selection deferral over: End-of-RIB to peers');
    this.#o.released();
  }

  #setConverged(): void {
    this.#endDeferral();
    if (this.#converged) return;
    this.#converged = true;
    // The restart is over: later OPENs no longer carry the R bit (RFC 4724 3).
    this.#restarting = false;
    this.cancel();
    this.#o.converged();
  }
}

/**
 * ROUTE-REFRESH from a peer (RFC 2918) and, when both sides offered enhanced route refresh, its
 * BoRR / EoRR (RFC 7313 4):
 *
 * - a request (subtype 0) is answered with the whole family (rib/rib.ts `refresh`), between our
 *   own BoRR and EoRR when enhanced;
 * - the peer's BoRR marks its routes of the family stale (`beginPeerRefresh`); with graceful
 *   restart, a BoRR before the peer's End-of-RIB of the family is ignored (RFC 7313 4);
 * - its EoRR removes the routes it did not send again (`sweepStale`); an EoRR without a BoRR is
 *   ignored (no refresh is under way);
 * - the wait for the EoRR is bounded by `gracefulRestart.staleRoutesTime` (RFC 7313 4.2 leaves
 *   the bound to the implementation): then the stale routes go, with a warning;
 * - a refresh under way ends with the session (its stale marks then follow graceful restart or go);
 * - other subtypes are ignored (RFC 7313 5).
 */
import type { RouteRefreshMsg } from '../codec/types.js';
import type { Family } from '../rib/types.js';
import { familyOf } from '../session/families.js';
import type { Negotiated } from '../session/negotiate.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';

/** What a refresh does to routes (rib/rib.ts `Rib` is one). */
export interface RefreshRoutes {
  refresh(id: string, afi: number, safi: number, enhanced: boolean): void;
  beginPeerRefresh(id: string, afi: number, safi: number): Family | null;
  sweepStale(id: string, family?: Family): number;
}

/** The session a refresh message came from (session/peer.ts `Peer` is one). */
export interface RefreshingPeer {
  readonly id: string;
  readonly negotiated: Negotiated | undefined;
  /** Output is pending: pull it. */
  kick(): void;
}

export interface RouteRefreshOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly rib: RefreshRoutes;
  /** Seconds to wait for the EoRR after a BoRR (`gracefulRestart.staleRoutesTime`, read at each BoRR). */
  readonly eorrWaitSec: () => number;
  /** Routes changed: run the decision process. */
  readonly changed: () => void;
}

export class RouteRefresh {
  readonly #o: RouteRefreshOptions;
  /** Per peer, per family: the bound on the wait for the peer's EoRR after its BoRR. */
  readonly #waits = new Map<string, Map<Family, () => void>>();

  constructor(o: RouteRefreshOptions) {
    this.#o = o;
  }

  /** Whether the peer's refresh of the family is under way (BoRR seen, EoRR not yet). */
  waiting(id: string, family: Family): boolean {
    return this.#waits.get(id)?.has(family) === true;
  }

  /**
   * A ROUTE-REFRESH message from `p`. `eor`: the families whose End-of-RIB the peer sent since its
   * session came up, or undefined when the peer is not registered (then only requests are answered).
   */
  received(p: RefreshingPeer, msg: RouteRefreshMsg, eor: ReadonlySet<Family> | undefined): void {
    const { rib, log, clock } = this.#o;
    const enhanced = p.negotiated?.enhancedRouteRefresh === true;
    if (msg.subtype === 0) {
      rib.refresh(p.id, msg.afi, msg.safi, enhanced);
      p.kick();
      return;
    }
    if (!enhanced || !eor || (msg.subtype !== 1 && msg.subtype !== 2)) return;
    const waits = this.#waitsOf(p.id);
    if (msg.subtype === 1) {
      // RFC 7313 4: with graceful restart, a BoRR before the peer's End-of-RIB of the family is
      // ignored (its EoRR then too: no refresh is under way).
      const f = familyOf(msg.afi, msg.safi);
      if (f === undefined || (p.negotiated?.gracefulRestart !== undefined && !eor.has(f))) return;
      const family = rib.beginPeerRefresh(p.id, msg.afi, msg.safi);
      if (family === null) return;
      waits.get(family)?.();
      const sec = this.#o.eorrWaitSec();
      waits.set(
        family,
        clock.after(sec * 1000, () => {
          waits.delete(family);
          const swept = rib.sweepStale(p.id, family);
          log.warn({ peer: p.id, family, swept, waited: sec }, "no EoRR after the peer's BoRR: stale routes removed");
          this.#o.changed();
        }),
      );
      this.#o.changed();
      return;
    }
    const family = familyOf(msg.afi, msg.safi);
    if (family === undefined || !waits.has(family)) return; // an EoRR without a BoRR
    waits.get(family)?.();
    waits.delete(family);
    const swept = rib.sweepStale(p.id, family);
    log.info({ peer: p.id, family, swept }, 'route refresh from the peer complete (EoRR): routes it did not send again removed');
    this.#o.changed();
  }

  /** The peer's session is gone (or the peer is): any refresh under way ends. */
  end(id: string): void {
    const waits = this.#waits.get(id);
    if (!waits) return;
    for (const cancel of waits.values()) cancel();
    this.#waits.delete(id);
  }

  endAll(): void {
    for (const id of [...this.#waits.keys()]) this.end(id);
  }

  #waitsOf(id: string): Map<Family, () => void> {
    let w = this.#waits.get(id);
    if (!w) {
      w = new Map();
      this.#waits.set(id, w);
    }
    return w;
  }
}

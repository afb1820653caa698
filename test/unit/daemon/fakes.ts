/** Fakes shared by the daemon module tests: negotiated sessions, a recording RIB, a log that keeps its lines. */
import { pino, type Logger } from 'pino';
import { DEFAULT_CONTEXT } from '../../../src/codec/types.js';
import type { NotificationRecord } from '../../../src/control/protocol.js';
import type { Family } from '../../../src/rib/types.js';
import type { Negotiated } from '../../../src/session/negotiate.js';

export const V4: Family = 'ipv4-unicast';
export const V6: Family = 'ipv6-unicast';

export interface GrSpec {
  readonly restartTimeSec?: number;
  readonly restarting?: boolean;
  /** The peer's N bit. */
  readonly notification?: boolean;
  /** Families in the capability, with their F bit (default: every negotiated family, F set). */
  readonly families?: readonly { readonly family: Family; readonly forwardingPreserved: boolean }[];
}

/** A negotiated session: families (default both), graceful restart when `gr` is given, the N bit on both sides when `nBit`. */
export function negotiated(o: { families?: readonly Family[]; gr?: GrSpec; nBit?: boolean; enhancedRouteRefresh?: boolean } = {}): Negotiated {
  const families = o.families ?? [V4, V6];
  const gr = o.gr;
  return {
    peerAs: 64512,
    peerRouterId: '10.0.0.2',
    holdTimeSec: 90,
    keepaliveSec: 30,
    ctx: { ...DEFAULT_CONTEXT, as4: true },
    families,
    routeRefresh: true,
    enhancedRouteRefresh: o.enhancedRouteRefresh ?? false,
    extendedNextHopV4: false,
    addPath: [],
    ...(gr
      ? {
          gracefulRestart: {
            restartTimeSec: gr.restartTimeSec ?? 120,
            restarting: gr.restarting ?? false,
            notification: gr.notification ?? false,
            families: gr.families ?? families.map((family) => ({ family, forwardingPreserved: true })),
          },
        }
      : {}),
    gracefulNotification: gr !== undefined && o.nBit === true && gr.notification === true,
    capabilities: [],
    peerOnlyCapabilities: [],
  };
}

export type RibCall =
  | { readonly op: 'peerDown'; readonly id: string; readonly keepStale: boolean }
  | { readonly op: 'sweepStale'; readonly id: string; readonly family: Family | 'all' }
  | { readonly op: 'refresh'; readonly id: string; readonly afi: number; readonly safi: number; readonly enhanced: boolean }
  | { readonly op: 'beginPeerRefresh'; readonly id: string; readonly family: Family | null };

/**
 * The RIB as the timer modules see it: every call recorded; `stale` says how many stale routes a
 * peer has per family (a sweep removes them and returns the count); `families` are the negotiated
 * families a BoRR may name.
 */
export class FakeRib {
  readonly calls: RibCall[] = [];
  readonly stale = new Map<string, Map<Family, number>>();
  families: readonly Family[] = [V4, V6];

  setStale(id: string, family: Family, n: number): void {
    const m = this.stale.get(id) ?? new Map<Family, number>();
    m.set(family, n);
    this.stale.set(id, m);
  }

  staleCount(id: string): number {
    let n = 0;
    for (const v of this.stale.get(id)?.values() ?? []) n += v;
    return n;
  }

  peerDown(id: string, o: { keepStale: boolean }): void {
    this.calls.push({ op: 'peerDown', id, keepStale: o.keepStale });
    if (!o.keepStale) this.stale.delete(id);
  }

  sweepStale(id: string, family?: Family): number {
    this.calls.push({ op: 'sweepStale', id, family: family ?? 'all' });
    const m = this.stale.get(id);
    if (!m) return 0;
    let n = 0;
    for (const [f, count] of [...m]) {
      if (family !== undefined && f !== family) continue;
      n += count;
      m.delete(f);
    }
    return n;
  }

  refresh(id: string, afi: number, safi: number, enhanced: boolean): void {
    this.calls.push({ op: 'refresh', id, afi, safi, enhanced });
  }

  beginPeerRefresh(id: string, afi: number, safi: number): Family | null {
    const f: Family | null = safi !== 1 ? null : afi === 1 ? V4 : afi === 2 ? V6 : null;
    const family = f !== null && this.families.includes(f) ? f : null;
    this.calls.push({ op: 'beginPeerRefresh', id, family });
    return family;
  }

  /** The sweeps so far, as `id family` strings. */
  sweeps(): string[] {
    return this.calls.flatMap((c) => (c.op === 'sweepStale' ? [`${c.id} ${c.family}`] : []));
  }
}

/** A logger whose lines are kept: `msgs()` lists the messages, `lines()` the parsed objects. */
export function recordingLog(): { log: Logger; lines: () => Record<string, unknown>[]; msgs: () => string[] } {
  const raw: string[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void raw.push(s) });
  const lines = (): Record<string, unknown>[] => raw.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, msgs: () => lines().map((l) => String(l['msg'])) };
}

export const notification = (code: number, subcode: number): NotificationRecord => ({ direction: 'received', code, subcode, name: '', at: '' });

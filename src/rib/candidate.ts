/**
 * Routes as decision candidates, and the forwarding facts of the selected paths. The attribute
 * part of a candidate is computed once per interned attribute set (cached on the set), the rest
 * comes from the route's source and its stale mark. The forwarding facts of a single path are also
 * frozen objects shared by next hop, cached on the set.
 */
import type { Route } from './adj-rib-in.js';
import type { AttrSet } from './attrs-store.js';
import { attrMetrics, type AttrMetrics, type Candidate } from './decision.js';
import { usableNextHop } from './next-hop.js';
import { BoundedMemo } from '../util/bounded-memo.js';
import { addressSortKey } from '../util/inet.js';
import type { BestForwarding } from './types.js';

export interface RouteCandidate extends Candidate {
  readonly route: Route;
}

function metricsOf(s: AttrSet): AttrMetrics {
  let m = s.metrics;
  if (m === null) s.metrics = m = attrMetrics(s.attrs);
  return m;
}

/** An accepted route (attrs not null) as a candidate. */
export function candidateOf(r: Route): RouteCandidate {
  const m = metricsOf(r.attrs as AttrSet);
  const s = r.source;
  return {
    route: r,
    local: s.role === 'local',
    localPref: m.localPref,
    asPathLen: m.asPathLen,
    origin: m.origin,
    med: m.med,
    neighborAs: m.firstAs ?? s.localAs,
    ebgp: s.ebgp,
    stale: r.stale && !r.refreshOnly,
    routerId: m.originatorId ?? s.routerIdNum,
    clusterListLen: m.clusterListLen,
    peerKey: s.key,
    pathId: r.pathId,
  };
}

const byAddress = (a: string, b: string): number => {
  const ka = addressSortKey(a);
  const kb = addressSortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/**
 * Single-path forwarding facts by next hop ('' for none): the attribute sets of a table are many
 * (a quarter of a million at a million routes) and their next hops a handful, so the sets share
 * these objects instead of holding 96 bytes each (docs/benchmarks.md, "kernel and memory: step 8 of issue 14").
 * A memo of pure values, cleared when it holds 4,096 of them (a peer sending endless
 * distinct next hops makes new objects then, which compare equal by value: sameForwarding).
 */
const forwardingByHop = new BoundedMemo<string, BestForwarding>(4096);
const NO_HOPS = Object.freeze([]) as readonly string[];

/** The forwarding facts of a locally originated prefix. */
export const LOCAL_FORWARDING: BestForwarding = Object.freeze({ local: true, nextHops: NO_HOPS });

const forwardingVia = (nh: string | null): BestForwarding =>
  forwardingByHop.get(nh ?? '', (key) => Object.freeze({ local: false, nextHops: key === '' ? NO_HOPS : (Object.freeze([key]) as readonly string[]) }));

/** The forwarding facts of a route that is the only path: cached on its attribute set, shared by next hop. */
export function singlePathForwarding(s: AttrSet): BestForwarding {
  let f = s.fwd;
  if (f === null) s.fwd = f = forwardingVia(usableNextHop(s.attrs));
  return f;
}

/** The ECMP set: distinct usable next hops of the multipath routes in ladder order, at most maxPaths, sorted. */
export function ecmpNextHops(paths: readonly Route[], maxPaths: number): string[] {
  const out: string[] = [];
  for (const r of paths) {
    if (out.length >= Math.max(1, maxPaths)) break;
    const nh = r.attrs === null ? null : usableNextHop(r.attrs.attrs);
    if (nh !== null && !out.includes(nh)) out.push(nh);
  }
  return out.sort(byAddress);
}

export const sameForwarding = (a: BestForwarding | null, b: BestForwarding | null): boolean =>
  a === b ||
  (a !== null && b !== null && a.local === b.local && a.nextHops.length === b.nextHops.length && a.nextHops.every((n, i) => n === b.nextHops[i]));

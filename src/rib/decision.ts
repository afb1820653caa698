/**
 * The decision process (RFC 4271 9.1.2, RFC 4456 9) as an ordered list of named tie-breakers.
 * Candidates are plain numbers precomputed from the route (no attribute lookups while comparing).
 * They are first put in a canonical order (peer address), so the result never depends on arrival
 * order: MED is only compared within one neighbour AS, which makes the comparison non-transitive.
 * Every loser records the rule that eliminated it.
 */
import type { AsPath, PathAttrs } from '../codec/types.js';
import { Origin } from '../codec/constants.js';
import { parseIPv4 } from '../util/inet.js';
import { DEFAULT_LOCAL_PREF } from './import.js';
import type { DecisionReason } from './types.js';

export interface Candidate {
  /** Originated by this router. */
  readonly local: boolean;
  readonly localPref: number;
  readonly asPathLen: number;
  readonly origin: number;
  readonly med: number;
  readonly neighborAs: number;
  readonly ebgp: boolean;
  /** Kept through a peer's graceful restart and not yet refreshed (RFC 4724 4.2). */
  readonly stale: boolean;
  /** ORIGINATOR_ID when present, else the peer's BGP identifier, as a number. */
  readonly routerId: number;
  readonly clusterListLen: number;
  /** Peer address as fixed-width hex (util/inet.ts addressSortKey): string order is numeric order. */
  readonly peerKey: string;
  /** RFC 7911: the path id the route was received with (0 without ADD-PATH). */
  readonly pathId: number;
}

interface TieBreak {
  readonly reason: DecisionReason;
  /** Negative when `a` is better, positive when `b` is, 0 when this rule cannot tell. */
  readonly cmp: (a: Candidate, b: Candidate) => number;
}

/** One rule per line, in order. Stale sits late on purpose: see docs/rib.md "Graceful restart". */
export const TIE_BREAKS: readonly TieBreak[] = [
  // Locally originated routes first (RFC 4271 9.1.1 leaves the degree of preference to local policy).
  { reason: 'local', cmp: (a, b) => Number(b.local) - Number(a.local) },
  // RFC 4271 9.1.1: the highest degree of preference (LOCAL_PREF).
  { reason: 'local-pref', cmp: (a, b) => b.localPref - a.localPref },
  // RFC 4271 9.1.2.2 a): the shortest AS_PATH (an AS_SET counts 1, confederation segments 0).
  { reason: 'as-path-len', cmp: (a, b) => a.asPathLen - b.asPathLen },
  // RFC 4271 9.1.2.2 b): the lowest ORIGIN (IGP < EGP < INCOMPLETE).
  { reason: 'origin', cmp: (a, b) => a.origin - b.origin },
  // RFC 4271 9.1.2.2 c): the lowest MED, only between routes from the same neighbour AS; a missing
  // MED counts as 0.
  { reason: 'med', cmp: (a, b) => (a.neighborAs === b.neighborAs ? a.med - b.med : 0) },
  // RFC 4271 9.1.2.2 d): routes learned over eBGP before routes learned over iBGP.
  { reason: 'ebgp-over-ibgp', cmp: (a, b) => Number(b.ebgp) - Number(a.ebgp) },
  // RFC 4271 9.1.2.2 e): the lowest IGP cost to the next hop. Every next hop is directly
  // connected here (no IGP), so all are equal and the rule has no line.
  // RFC 4724 4.2 leaves the treatment of stale routes open: a fresh route beats a stale one here.
  { reason: 'stale', cmp: (a, b) => Number(a.stale) - Number(b.stale) },
  // RFC 4271 9.1.2.2 f) + RFC 4456 9: the lowest BGP identifier (ORIGINATOR_ID when present).
  { reason: 'router-id', cmp: (a, b) => a.routerId - b.routerId },
  // RFC 4456 9: the shortest CLUSTER_LIST.
  { reason: 'cluster-list-len', cmp: (a, b) => a.clusterListLen - b.clusterListLen },
  // RFC 4271 9.1.2.2 g): the lowest peer address.
  { reason: 'peer-addr', cmp: (a, b) => (a.peerKey < b.peerKey ? -1 : a.peerKey > b.peerKey ? 1 : 0) },
  // Not in RFC 4271 or RFC 7911: two paths of one peer (ADD-PATH) that tie on everything above.
  // The lower received path id, so the choice never depends on arrival order. Without ADD-PATH
  // every path id is 0 and this rule never decides.
  { reason: 'path-id', cmp: (a, b) => a.pathId - b.pathId },
];

/** The first rule that separates a and b: negative `order` when a is better. */
export function compareCandidates(a: Candidate, b: Candidate): { readonly order: number; readonly reason: DecisionReason | null } {
  for (const t of TIE_BREAKS) {
    const r = t.cmp(a, b);
    if (r !== 0) return { order: r, reason: t.reason };
  }
  return { order: 0, reason: null };
}

export const canonicalOrder = (a: Candidate, b: Candidate): number =>
  a.peerKey < b.peerKey ? -1 : a.peerKey > b.peerKey ? 1 : Number(b.local) - Number(a.local) || a.pathId - b.pathId;

export interface Decision<T extends Candidate> {
  readonly best: T;
  /** Every candidate but the best, with the rule that beat it. */
  readonly lostBy: ReadonlyMap<T, DecisionReason>;
}

/**
 * Best path: walk the candidates in canonical order, keeping the current winner; each one beaten
 * (the challenger or the previous winner) records the rule that beat it.
 */
export function selectBest<T extends Candidate>(candidates: readonly T[]): Decision<T> | null {
  const sorted = [...candidates].sort(canonicalOrder);
  let best = sorted[0];
  if (best === undefined) return null;
  const lostBy = new Map<T, DecisionReason>();
  for (let i = 1; i < sorted.length; i++) {
    const c = sorted[i] as T;
    const { order, reason } = compareCandidates(c, best);
    if (order < 0) {
      lostBy.set(best, reason ?? 'path-id');
      best = c;
    } else {
      lostBy.set(c, reason ?? 'path-id');
    }
  }
  return { best, lostBy };
}

/**
 * Multipath (ECMP): candidates equal to the best on LOCAL_PREF, AS path length, ORIGIN, MED and
 * eBGP/iBGP (and, for eBGP, with the same neighbour AS). Returns the best first, then the others in
 * ladder order, up to `maxPaths` routes. Local routes never share.
 */
export function multipathSet<T extends Candidate>(best: T, candidates: readonly T[], maxPaths: number): T[] {
  if (best.local || maxPaths <= 1) return [best];
  const equal = candidates.filter(
    (c) =>
      c !== best &&
      !c.local &&
      c.localPref === best.localPref &&
      c.asPathLen === best.asPathLen &&
      c.origin === best.origin &&
      c.med === best.med &&
      c.ebgp === best.ebgp &&
      (!c.ebgp || c.neighborAs === best.neighborAs),
  );
  equal.sort((a, b) => compareCandidates(a, b).order || canonicalOrder(a, b));
  return [best, ...equal.slice(0, maxPaths - 1)];
}

// ---------------------------------------------------------------- metrics from attributes

/** RFC 4271 9.1.2.2 a): AS_SET counts as one; RFC 5065 5.3: confederation segments do not count. */
export function asPathLength(p: AsPath | undefined): number {
  let n = 0;
  for (const s of p ?? []) {
    if (s.type === 'sequence') n += s.asns.length;
    else if (s.type === 'set') n += 1;
  }
  return n;
}

/**
 * RFC 4271 9.1.2.2 c): neighborAS is the first AS of the path; for a route the iBGP neighbour
 * originated (no AS outside confederation segments), it is the local AS.
 */
export function neighborAs(p: AsPath | undefined, localAs: number): number {
  for (const s of p ?? []) {
    if (s.type === 'confed-sequence' || s.type === 'confed-set') continue;
    return s.asns[0] ?? localAs;
  }
  return localAs;
}

/** The attribute-derived part of a candidate (cacheable per interned attribute set). */
export interface AttrMetrics {
  readonly localPref: number;
  readonly asPathLen: number;
  readonly origin: number;
  readonly med: number;
  /** First AS of the path, or null for a path without one (then the session's local AS applies). */
  readonly firstAs: number | null;
  readonly originatorId: number | null;
  readonly clusterListLen: number;
}

export function attrMetrics(a: PathAttrs): AttrMetrics {
  const first = neighborAs(a.asPath, -1);
  return {
    // RFC 4271 5.1.5: the default degree of preference when the route has none (import.ts localPrefOf).
    localPref: a.localPref ?? DEFAULT_LOCAL_PREF,
    asPathLen: asPathLength(a.asPath),
    origin: a.origin ?? Origin.INCOMPLETE,
    med: a.med ?? 0,
    firstAs: first === -1 ? null : first,
    originatorId: a.originatorId === undefined ? null : parseIPv4(a.originatorId),
    clusterListLen: a.clusterList?.length ?? 0,
  };
}

/**
 * Import: the checks and normalization between Adj-RIB-In (as received) and the candidates of the
 * decision process. A refused route stays in Adj-RIB-In with its reason, so `show route` explains
 * it and a policy change re-evaluates it without the peer resending.
 *
 * Split in two so the hot path does the expensive part once per UPDATE: `importAttrs` (depends only
 * on the attributes and the peer) and `prefixAllowed` (depends on the prefix).
 */
import type { AsPath, PathAttrs } from '../codec/types.js';
import { allNextHops, usableNextHop } from './next-hop.js';
import { isDefaultRoute, parsePrefix, prefixCovers, type ParsedPrefix } from './prefix.js';
import { isReflectionLoop } from './reflect.js';
import type { PrefixFilterEntry, RejectReason } from './types.js';

/** RFC 4271 5.1.5: the degree of preference; ours when the route has none (eBGP, or iBGP without it). */
export const DEFAULT_LOCAL_PREF = 100;

export interface ImportPeer {
  readonly ebgp: boolean;
  /** Our AS on this session. */
  readonly localAs: number;
  readonly allowasIn: number;
}

export interface ImportEnv {
  /** Our global AS (checked too when a session uses a local-AS override). */
  readonly localAs: number;
  readonly routerId: string;
  readonly clusterId: string;
  /** Our addresses on every established session. */
  readonly ownAddresses: ReadonlySet<string>;
}

export type ImportResult =
  | { readonly attrs: PathAttrs; readonly reason: null }
  | { readonly attrs: null; readonly reason: RejectReason };

/** Occurrences of any of `asns` in every segment of the path. */
export function countAs(path: AsPath | undefined, asns: readonly number[]): number {
  let n = 0;
  for (const seg of path ?? []) for (const a of seg.asns) if (asns.includes(a)) n++;
  return n;
}

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

/** The prefix-independent part of import, in the order the reasons are reported. */
export function importAttrs(a: PathAttrs, peer: ImportPeer, env: ImportEnv): ImportResult {
  // RFC 4271 9.1.2: "If the AS_PATH attribute of a BGP route contains an AS loop, the BGP route
  // should be excluded from the Phase 2 decision function." allowasIn relaxes it on purpose.
  const ours = peer.localAs === env.localAs ? [env.localAs] : [env.localAs, peer.localAs];
  if (countAs(a.asPath, ours) > peer.allowasIn) return { attrs: null, reason: 'as-loop' };

  // RFC 4456 8: our router id as ORIGINATOR_ID, or our CLUSTER_ID in CLUSTER_LIST. Refusing it
  // replaces the peer's previous route for the prefix (a withdraw), as BIRD does.
  if (!peer.ebgp && isReflectionLoop(a, env.routerId, env.clusterId)) return { attrs: null, reason: 'reflection-loop' };

  // A next hop that is one of our own addresses would forward to ourselves.
  for (const nh of allNextHops(a)) if (env.ownAddresses.has(nh)) return { attrs: null, reason: 'next-hop-self-loop' };

  // RFC 4271 9.1.2.1: a route whose NEXT_HOP cannot be resolved is excluded from Phase 2.
  if (usableNextHop(a) === null) return { attrs: null, reason: 'no-next-hop' };

  const d: Mutable<PathAttrs> = { ...a };
  delete d.mpUnreach;
  // RFC 6793: the codec merged AS4_PATH / AS4_AGGREGATOR; the RIB keeps only the 4-octet form.
  delete d.as4Path;
  delete d.as4Aggregator;
  if (peer.ebgp) {
    // RFC 4271 5.1.5: LOCAL_PREF is not sent to external peers (RFC 7606 7.5: ignore it if it is);
    // RFC 4456 8: ORIGINATOR_ID and CLUSTER_LIST are not meaningful across an AS boundary.
    delete d.originatorId;
    delete d.clusterList;
    d.localPref = DEFAULT_LOCAL_PREF;
  } else if (d.localPref === undefined) {
    d.localPref = DEFAULT_LOCAL_PREF;
  }
  return { attrs: d as PathAttrs, reason: null };
}

export type PrefixFilter = (prefix: string) => boolean;

/**
 * Prefix-list entries with Cisco/FRR semantics: the route must lie within `prefix`, and its length
 * must be in [ge, le], where ge defaults to the entry's length and le to ge when given (else to the
 * entry's length, i.e. an exact match) or the family maximum when only ge is given.
 */
export function compilePrefixFilter(entries: readonly PrefixFilterEntry[]): PrefixFilter {
  const compiled: { p: ParsedPrefix; lo: number; hi: number }[] = [];
  for (const e of entries) {
    const p = parsePrefix(e.prefix);
    if (!p) continue;
    const max = p.bytes.length * 8;
    const lo = e.ge ?? p.len;
    const hi = e.le ?? (e.ge === undefined ? p.len : max);
    compiled.push({ p, lo, hi });
  }
  return (prefix) => {
    const r = parsePrefix(prefix);
    if (!r) return false;
    return compiled.some((c) => r.len >= c.lo && r.len <= c.hi && prefixCovers(c.p, r));
  };
}

/** The prefix-dependent import rules: default route, then the peer's prefix list. */
export function prefixAllowed(prefix: string, acceptDefaultRoute: boolean, filter: PrefixFilter | null): boolean {
  if (isDefaultRoute(prefix) && !acceptDefaultRoute) return false;
  return filter === null || filter(prefix);
}

/**
 * Import: the checks and normalization between Adj-RIB-In (as received) and the candidates of the
 * decision process. A refused route stays in Adj-RIB-In with its reason, so `show route` explains
 * it and a policy change re-evaluates it without the peer resending.
 *
 * Split in two so the hot path does the expensive part once per UPDATE: `importAttrs` (depends only
 * on the attributes and the peer) and `prefixAllowed` (depends on the prefix).
 */
import type { AsPath, PathAttrs } from '../codec/types.js';
import { judgedNextHop, nextHopVerdict, type NextHopSession } from './next-hop.js';
import { parsePrefix, prefixContains, type IpPrefix } from '../util/inet.js';
import { isReflectionLoop } from './reflect.js';
import type { PrefixFilterEntry, RejectReason } from './types.js';

/** RFC 4271 5.1.5: the degree of preference; ours when the route has none (eBGP, or iBGP without it). */
export const DEFAULT_LOCAL_PREF = 100;

/** The peer as import sees it; the next-hop facts come from its session (kept while it is down). */
export interface ImportPeer extends NextHopSession {
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
  /** `nextHop`: the offending next hop, for the next-hop reasons. */
  | { readonly attrs: null; readonly reason: RejectReason; readonly nextHop?: string };

/** Occurrences of any of `asns` in every segment of the path. */
export function countAs(path: AsPath | undefined, asns: readonly number[]): number {
  let n = 0;
  for (const seg of path ?? []) for (const a of seg.asns) if (asns.includes(a)) n++;
  return n;
}

/** countAs for our global AS and the session's (the same number, or a local-AS override), without an array. */
function countOurAs(path: AsPath | undefined, global: number, session: number): number {
  let n = 0;
  for (const seg of path ?? []) for (const a of seg.asns) if (a === global || a === session) n++;
  return n;
}

/** Attributes an accepted route never keeps; and those an eBGP route loses too. */
const NEVER_KEPT: readonly (keyof PathAttrs)[] = ['mpUnreach', 'as4Path', 'as4Aggregator'];
const NOT_FROM_EBGP: readonly (keyof PathAttrs)[] = [...NEVER_KEPT, 'localPref', 'originatorId', 'clusterList'];

/** A copy of `a` without the `drop` attributes (built, not deleted from, so it stays a fast object). */
function without(a: PathAttrs, drop: readonly (keyof PathAttrs)[]): PathAttrs {
  const d: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) if (v !== undefined && !drop.includes(k as keyof PathAttrs)) d[k] = v;
  return d as PathAttrs;
}

/**
 * The prefix-independent part of import, in the order the reasons are reported. An accepted route
 * that needs no change is returned as the very object it came as (it then shares the received
 * attribute set). LOCAL_PREF: see localPrefOf.
 */
export function importAttrs(a: PathAttrs, peer: ImportPeer, env: ImportEnv): ImportResult {
  // RFC 4271 9.1.2: "If the AS_PATH attribute of a BGP route contains an AS loop, the BGP route
  // should be excluded from the Phase 2 decision function." allowasIn relaxes it on purpose.
  if (countOurAs(a.asPath, env.localAs, peer.localAs) > peer.allowasIn) return { attrs: null, reason: 'as-loop' };

  // RFC 4456 8: our router id as ORIGINATOR_ID, or our CLUSTER_ID in CLUSTER_LIST. Refusing it
  // replaces the peer's previous route for the prefix (a withdraw), as BIRD does.
  if (!peer.ebgp && isReflectionLoop(a, env.routerId, env.clusterId)) return { attrs: null, reason: 'reflection-loop' };

  // A next hop that is one of our own addresses would forward to ourselves.
  if (a.mpReach !== undefined) {
    for (const nh of a.mpReach.nextHops) if (env.ownAddresses.has(nh)) return { attrs: null, reason: 'next-hop-self-loop' };
  } else if (a.nextHop !== undefined && env.ownAddresses.has(a.nextHop)) {
    return { attrs: null, reason: 'next-hop-self-loop' };
  }

  // RFC 4271 9.1.2.1: a route whose NEXT_HOP cannot be resolved is excluded from Phase 2.
  const nh = judgedNextHop(a);
  if (nh === null) return { attrs: null, reason: 'no-next-hop' };

  // RFC 4271 6.3: a semantically incorrect NEXT_HOP is logged and the route ignored; RFC 7606 7.3
  // and 7.11 make that treat-as-withdraw. Refusing it here does the same for selection (the
  // peer's previous route for the prefix is replaced, nothing of it is a candidate) and keeps it
  // in Adj-RIB-In, where `show route` explains it. Judged on the next hop that would be used, so
  // a "::" global with a link-local second next hop (RFC 2545 3) stays usable.
  const bad = nextHopVerdict(nh, peer);
  if (bad !== null) return { attrs: null, reason: bad.reason, nextHop: nh };

  // RFC 6793: the codec merged AS4_PATH / AS4_AGGREGATOR; the RIB keeps only the 4-octet form.
  // eBGP: RFC 4271 5.1.5, LOCAL_PREF is not sent to external peers (RFC 7606 7.5: ignore it if it
  // is), so a received one is dropped and the route gets the default; RFC 4456 8: ORIGINATOR_ID and
  // CLUSTER_LIST are not meaningful across an AS boundary.
  const drop = peer.ebgp ? NOT_FROM_EBGP : NEVER_KEPT;
  for (const k of drop) if (a[k] !== undefined) return { attrs: without(a, drop), reason: null };
  return { attrs: a, reason: null };
}

/**
 * RFC 4271 5.1.5 / 9.1.1: the degree of preference of an accepted route is its LOCAL_PREF, or
 * DEFAULT_LOCAL_PREF when it has none (every eBGP route, and iBGP routes sent without one). The
 * default is not written into the stored attributes, so an eBGP route shares the received
 * attribute set (one set per UPDATE, not two); the decision (attrMetrics), export to iBGP peers
 * (exportGroupAttrs), `show route` (view.ts) and the import policy hook (withLocalPref) apply it.
 */
export const localPrefOf = (a: PathAttrs): number => a.localPref ?? DEFAULT_LOCAL_PREF;

const policyViews = new WeakMap<PathAttrs, PathAttrs>();

/** An accepted route's attributes with the degree of preference written out (what policy hooks see; cached per object). */
export function withLocalPref(a: PathAttrs): PathAttrs {
  if (a.localPref !== undefined) return a;
  let v = policyViews.get(a);
  if (v === undefined) policyViews.set(a, (v = { ...a, localPref: DEFAULT_LOCAL_PREF }));
  return v;
}

export type PrefixFilter = (prefix: string) => boolean;

/**
 * Prefix-list entries with Cisco/FRR semantics: the route must lie within `prefix`, and its length
 * must be in [ge, le], where ge defaults to the entry's length and le to ge when given (else to the
 * entry's length, i.e. an exact match) or the family maximum when only ge is given.
 */
export function compilePrefixFilter(entries: readonly PrefixFilterEntry[]): PrefixFilter {
  const compiled: { p: IpPrefix; lo: number; hi: number }[] = [];
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
    return compiled.some((c) => r.len >= c.lo && r.len <= c.hi && prefixContains(c.p, r));
  };
}

/**
 * The prefix-dependent import rules: the default route (0.0.0.0/0, ::/0: length 0) unless accepted,
 * then the peer's prefix list. `text` makes the prefix's text, asked only for a prefix list (the RIB
 * keeps most IPv4 prefixes as numbers).
 */
export function prefixAllowed(length: number, text: () => string, acceptDefaultRoute: boolean, filter: PrefixFilter | null): boolean {
  if (length === 0 && !acceptDefaultRoute) return false;
  return filter === null || filter(text());
}

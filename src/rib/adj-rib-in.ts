/**
 * Adj-RIB-In: per peer, the routes as received (pre-import) and as accepted (post-import), with the
 * reason when refused, and the graceful-restart stale mark. One small `Route` object per
 * (peer, prefix); no closures. This file also splits a decoded UPDATE into what changes.
 */
import { Afi, Safi } from '../codec/constants.js';
import type { PathAttrs, UpdateMsg } from '../codec/types.js';
import type { AttrSet } from './attrs-store.js';
import type { DecisionReason, Family, RejectReason, SourceRole } from './types.js';

/** Where routes come from: a peer, or this router ("local"). */
export interface RouteSource {
  readonly id: string;
  /** Peer address as fixed-width hex (numeric order). */
  readonly key: string;
  readonly role: SourceRole;
  readonly ebgp: boolean;
  /** Our AS on the session (for neighborAS of routes without an external AS). */
  readonly localAs: number;
  /** The peer's BGP identifier, text and number (kept after the session goes down). */
  readonly routerId: string;
  readonly routerIdNum: number;
}

export interface Route {
  readonly prefix: string;
  readonly family: Family;
  readonly source: RouteSource;
  /** As received (normalized by the store). */
  received: AttrSet;
  /** After import; null when refused. */
  attrs: AttrSet | null;
  reason: RejectReason | null;
  /** RFC 4724 4.2: kept across the peer's restart, not yet re-announced. */
  stale: boolean;
  /** Set by the last decision run for a candidate that lost. */
  lostBy: DecisionReason | null;
}

/** One peer's Adj-RIB-In. */
export type AdjRibIn = Map<string, Route>;

export function familyOfAfi(afi: number, safi: number): Family | null {
  if (safi !== Safi.UNICAST) return null;
  return afi === Afi.IPV4 ? 'ipv4-unicast' : afi === Afi.IPV6 ? 'ipv6-unicast' : null;
}

export interface UpdateParts {
  /** Prefixes to withdraw (any family). */
  readonly withdrawn: readonly string[];
  /** Prefixes announced, with the attributes that apply to them. */
  readonly announced: readonly { readonly family: Family; readonly attrs: PathAttrs; readonly prefixes: readonly string[] }[];
  readonly endOfRib: Family[];
}

/** RFC 4724 2: End-of-RIB is an UPDATE with nothing (IPv4) or with only an empty MP_UNREACH_NLRI. */
export function endOfRibFamily(u: UpdateMsg): Family | null {
  if (u.withdrawn.length > 0 || u.nlri.length > 0) return null;
  if (u.attrs === null) return 'ipv4-unicast';
  const a = u.attrs;
  const un = a.mpUnreach;
  if (un === undefined || un.withdrawn.length > 0) return null;
  for (const [k, v] of Object.entries(a)) if (k !== 'mpUnreach' && v !== undefined) return null;
  return familyOfAfi(un.afi, un.safi);
}

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

/**
 * What an UPDATE changes. RFC 7606 2 ("treat-as-withdraw"): every prefix it carries, classic and
 * MP, is withdrawn. SAFIs other than unicast are ignored.
 */
export function splitUpdate(u: UpdateMsg): UpdateParts {
  const eor = endOfRibFamily(u);
  if (eor !== null) return { withdrawn: [], announced: [], endOfRib: [eor] };
  const a = u.attrs;
  const reach = a?.mpReach !== undefined && familyOfAfi(a.mpReach.afi, a.mpReach.safi) !== null ? a.mpReach : undefined;
  const unreach = a?.mpUnreach !== undefined && familyOfAfi(a.mpUnreach.afi, a.mpUnreach.safi) !== null ? a.mpUnreach : undefined;
  const withdrawn = [...u.withdrawn, ...(unreach?.withdrawn ?? [])];
  if (u.treatAsWithdraw === true) {
    return { withdrawn: [...withdrawn, ...u.nlri, ...(reach?.nlri ?? [])], announced: [], endOfRib: [] };
  }
  const announced: { family: Family; attrs: PathAttrs; prefixes: readonly string[] }[] = [];
  if (a !== null && u.nlri.length > 0) {
    const v4: Mutable<PathAttrs> = { ...a };
    delete v4.mpReach;
    delete v4.mpUnreach;
    announced.push({ family: 'ipv4-unicast', attrs: v4 as PathAttrs, prefixes: u.nlri });
  }
  if (a !== null && reach !== undefined && reach.nlri.length > 0) {
    const mp: Mutable<PathAttrs> = { ...a };
    delete mp.nextHop;
    delete mp.mpUnreach;
    const family = familyOfAfi(reach.afi, reach.safi) as Family;
    announced.push({ family, attrs: mp as PathAttrs, prefixes: reach.nlri });
  }
  return { withdrawn, announced, endOfRib: [] };
}

/**
 * Adj-RIB-In: per peer, the routes as received (pre-import) and as accepted (post-import), with the
 * reason when refused, and the graceful-restart stale mark. One small `Route` object per
 * (peer, prefix), hung off the prefix's destination (loc-rib.ts) rather than kept in a per-peer
 * map: the prefix is looked up once per UPDATE, and per-peer walks (session down, stale sweep,
 * re-import) walk the destinations. This file also splits a decoded UPDATE into what changes.
 */
import { Afi, Safi } from '../codec/constants.js';
import type { NlriEntry, PathAttrs, UpdateMsg } from '../codec/types.js';
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
  /** How many of its routes are the best route of their prefix (kept by decide-destination.ts). */
  preferred: number;
}

const REJECT_REASONS: readonly (RejectReason | null)[] = [
  null,
  'as-loop',
  'reflection-loop',
  'next-hop-self-loop',
  'no-next-hop',
  'next-hop-invalid',
  'next-hop-link-local',
  'filtered',
  'policy',
];
const DECISION_REASONS: readonly (DecisionReason | null)[] = [
  null,
  'local',
  'local-pref',
  'as-path-len',
  'origin',
  'med',
  'ebgp-over-ibgp',
  'stale',
  'router-id',
  'cluster-list-len',
  'peer-addr',
  'path-id',
];
/**
 * Bits of Route's packed integer: reject reason (index, 4 bits), stale, refresh-only, decision
 * reason (4 bits), and above them the path id we send the route with (ADD-PATH, 0 = none yet).
 */
const REASON_BITS = 0xf;
const STALE_BIT = 0x10;
const REFRESH_ONLY_BIT = 0x20;
const LOST_SHIFT = 6;
const LOST_BITS = 0xf << LOST_SHIFT;
/** Send-side path ids live in the 21 bits above (the integer stays a small integer). */
const TX_SHIFT = 10;

/**
 * One route of one source for one prefix (the prefix and family are its destination's), with the
 * path id it was received with (RFC 7911; 0 on a session without ADD-PATH receive): the
 * Adj-RIB-In key is (prefix, source, pathId).
 */
export class Route {
  readonly source: RouteSource;
  readonly pathId: number;
  /** As received (normalized by the store). */
  received: AttrSet;
  /** After import; null when refused. */
  attrs: AttrSet | null;
  /** Reject reason, stale mark and decision reason packed in one small integer (no per-route strings). */
  #bits = 0;

  constructor(source: RouteSource, received: AttrSet, attrs: AttrSet | null, pathId = 0) {
    this.source = source;
    this.received = received;
    this.attrs = attrs;
    this.pathId = pathId;
  }

  get reason(): RejectReason | null {
    return REJECT_REASONS[this.#bits & REASON_BITS] ?? null;
  }
  set reason(r: RejectReason | null) {
    this.#bits = (this.#bits & ~REASON_BITS) | (r === null ? 0 : REJECT_REASONS.indexOf(r));
  }

  /** RFC 4724 4.2: kept across the peer's restart, not yet re-announced. */
  get stale(): boolean {
    return (this.#bits & STALE_BIT) !== 0;
  }
  set stale(v: boolean) {
    this.#bits = v ? this.#bits | STALE_BIT : this.#bits & ~STALE_BIT;
  }

  /**
   * Stale only because the peer began an enhanced route refresh (RFC 7313 BoRR), not because it
   * restarted: swept like a stale route at its EoRR, but not ranked below fresh routes meanwhile
   * (a refresh must not move the best path).
   */
  get refreshOnly(): boolean {
    return (this.#bits & REFRESH_ONLY_BIT) !== 0;
  }
  set refreshOnly(v: boolean) {
    this.#bits = v ? this.#bits | REFRESH_ONLY_BIT : this.#bits & ~REFRESH_ONLY_BIT;
  }

  /** Set by the last decision run for a candidate that lost. */
  get lostBy(): DecisionReason | null {
    return DECISION_REASONS[(this.#bits & LOST_BITS) >>> LOST_SHIFT] ?? null;
  }
  set lostBy(r: DecisionReason | null) {
    this.#bits = (this.#bits & ~LOST_BITS) | ((r === null ? 0 : DECISION_REASONS.indexOf(r)) << LOST_SHIFT);
  }

  /**
   * The path id this route is sent with to ADD-PATH peers (docs/decisions/0011-add-path.md), 0
   * until loc-rib.ts txPathId allocates one; stable for the life of the route.
   */
  get txId(): number {
    return this.#bits >>> TX_SHIFT;
  }
  set txId(v: number) {
    this.#bits = (this.#bits & ((1 << TX_SHIFT) - 1)) | (v << TX_SHIFT);
  }
}

export function familyOfAfi(afi: number, safi: number): Family | null {
  if (safi !== Safi.UNICAST) return null;
  return afi === Afi.IPV4 ? 'ipv4-unicast' : afi === Afi.IPV6 ? 'ipv6-unicast' : null;
}

export interface UpdateParts {
  /** Prefixes to withdraw (any family; IPv4 ones of the UPDATE's own field may be numbers, codec NlriEntry). */
  readonly withdrawn: readonly NlriEntry[];
  /** RFC 7911: their path ids, parallel to `withdrawn`, when any part of the UPDATE carried them. */
  readonly withdrawnIds?: readonly number[];
  /** Prefixes announced, with the attributes that apply to them (and their path ids, RFC 7911). */
  readonly announced: readonly {
    readonly family: Family;
    readonly attrs: PathAttrs;
    readonly prefixes: readonly NlriEntry[];
    readonly pathIds?: readonly number[];
  }[];
  readonly endOfRib: Family[];
}

/** a's and b's path ids, parallel to a ++ b (0 where a list has none); undefined when neither has any. */
function joinIds(a: readonly NlriEntry[], aIds: readonly number[] | undefined, b: readonly NlriEntry[], bIds: readonly number[] | undefined): number[] | undefined {
  if (aIds === undefined && bIds === undefined) return undefined;
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) out.push(aIds?.[i] ?? 0);
  for (let i = 0; i < b.length; i++) out.push(bIds?.[i] ?? 0);
  return out;
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
  const withdrawn = unreach === undefined ? u.withdrawn : [...u.withdrawn, ...unreach.withdrawn];
  const withdrawnIds = joinIds(u.withdrawn, u.withdrawnPathIds, unreach?.withdrawn ?? [], unreach?.pathIds);
  if (u.treatAsWithdraw === true) {
    const announcedIds = joinIds(u.nlri, u.nlriPathIds, reach?.nlri ?? [], reach?.pathIds);
    const ids = joinIds(withdrawn, withdrawnIds, [...u.nlri, ...(reach?.nlri ?? [])], announcedIds);
    return { withdrawn: [...withdrawn, ...u.nlri, ...(reach?.nlri ?? [])], ...(ids !== undefined && { withdrawnIds: ids }), announced: [], endOfRib: [] };
  }
  const announced: { family: Family; attrs: PathAttrs; prefixes: readonly NlriEntry[]; pathIds?: readonly number[] }[] = [];
  if (a !== null && u.nlri.length > 0) {
    // The store ignores NLRI lists, so attributes without MP attributes are used as they are.
    let v4: PathAttrs = a;
    if (a.mpReach !== undefined || a.mpUnreach !== undefined) {
      const m: Mutable<PathAttrs> = { ...a };
      delete m.mpReach;
      delete m.mpUnreach;
      v4 = m as PathAttrs;
    }
    announced.push({ family: 'ipv4-unicast', attrs: v4, prefixes: u.nlri, ...(u.nlriPathIds !== undefined && { pathIds: u.nlriPathIds }) });
  }
  if (a !== null && reach !== undefined && reach.nlri.length > 0) {
    const mp: Mutable<PathAttrs> = { ...a };
    delete mp.nextHop;
    delete mp.mpUnreach;
    const family = familyOfAfi(reach.afi, reach.safi) as Family;
    announced.push({ family, attrs: mp as PathAttrs, prefixes: reach.nlri, ...(reach.pathIds !== undefined && { pathIds: reach.pathIds }) });
  }
  return { withdrawn, ...(withdrawnIds !== undefined && { withdrawnIds }), announced, endOfRib: [] };
}

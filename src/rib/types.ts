/**
 * Public types of the RIB: peers as the RIB sees them, session facts, policy hooks, decision output.
 * Plain readonly data; the `Rib` class (rib.ts) is the only stateful entry point.
 */
import type { CodecContext, LargeCommunity, PathAttrs } from '../codec/types.js';
import { familyOfText } from '../util/inet.js';
import type { Logger } from '../util/log.js';

/** The address families the RIB carries (AFI 1 / 2, SAFI 1). */
export type Family = 'ipv4-unicast' | 'ipv6-unicast';

/** A peer's prefixes: in its Adj-RIB-In (accepted or refused), of those accepted, and advertised to it. */
export interface PrefixCounts {
  readonly received: number;
  readonly accepted: number;
  readonly advertised: number;
}
export const FAMILIES: readonly Family[] = ['ipv4-unicast', 'ipv6-unicast'];

/** The family of canonical prefix or address text (a ':' makes it IPv6; no parsing, the RIB's hot path). */
export const familyOf = (prefixOrAddress: string): Family => (familyOfText(prefixOrAddress) === 6 ? 'ipv6-unicast' : 'ipv4-unicast');

/** How a session relates to us. RFC 4456 2: an iBGP peer is either a client or a non-client. */
export type PeerRole = 'ebgp' | 'ibgp' | 'rr-client';
/** Where a route came from: a peer of some role, or this router (originated). */
export type SourceRole = PeerRole | 'local';

export interface RibOptions {
  readonly localAs: number;
  /** Our BGP identifier, dotted quad. */
  readonly routerId: string;
  /** RFC 4456 7: CLUSTER_ID, dotted quad (the config defaults it to the router id). */
  readonly clusterId: string;
  /** ECMP: most next hops installed per prefix (1 = no multipath). */
  readonly maxPaths: number;
  readonly log?: Logger;
  /** After the RIB gave its columns back following a large withdrawal (rib.ts #compact): the daemon may ask for a GC. */
  readonly onCompacted?: () => void;
}

/** A prefix-list entry (Cisco/FRR semantics, see docs/rib.md). */
export interface PrefixFilterEntry {
  readonly prefix: string;
  readonly ge?: number;
  readonly le?: number;
}

/** What the RIB knows about a peer from configuration, before any session. */
export interface RibPeerConfig {
  /** Canonical peer address text. */
  readonly id: string;
  readonly asn: number;
  /** Our AS on this session (a per-peer override or the global AS). */
  readonly localAs: number;
  readonly role: PeerRole;
  readonly nextHopSelf: boolean;
  /** Absent = any prefix. A prefix matching no entry is refused ("filtered"). */
  readonly importPrefixes?: readonly PrefixFilterEntry[];
  /** 0.0.0.0/0 and ::/0 are refused unless true. */
  readonly acceptDefaultRoute: boolean;
  readonly maxPrefix?: { readonly limit: number; readonly action: 'warn' | 'stop' };
  /** Times our AS may appear in AS_PATH (0 = any occurrence is a loop). */
  readonly allowasIn: number;
  /** Added to every route we send to this peer. */
  readonly exportCommunities?: readonly number[];
  readonly exportLargeCommunities?: readonly LargeCommunity[];
  /** Import policy: return the (possibly changed) route, or null to refuse it. Identity when absent. */
  readonly importPolicy?: (r: PolicyRoute) => PolicyRoute | null;
  /** Export policy: runs last, on what would be sent. Identity when absent. */
  readonly exportPolicy?: (r: PolicyRoute) => PolicyRoute | null;
  /**
   * RFC 7911: the paths sent per prefix in families where the session sends ADD-PATH: every path
   * ("all") or the n best. Absent: the best only (also where ADD-PATH send was not negotiated).
   */
  readonly addPathSend?: 'all' | number;
}

/** What a policy hook sees and may change (only `attrs` changes are taken). */
export interface PolicyRoute {
  readonly prefix: string;
  readonly family: Family;
  /** Import: the sending peer. Export: the source of the route ("local" for originated ones). */
  readonly from: string;
  readonly attrs: PathAttrs;
}

/** Facts known once a session reaches Established. */
export interface RibSessionInfo {
  /** The peer's BGP identifier. */
  readonly routerId: string;
  /** Negotiated families. */
  readonly families: readonly Family[];
  /** For encoding (as4, extended message, add-path). */
  readonly ctx: CodecContext;
  /** Our address on this TCP connection (v4 or v6). */
  readonly localAddress: string;
  /** Our addresses for next-hop-self, per family. */
  readonly localV6?: string;
  readonly localV6LinkLocal?: string;
  readonly localV4?: string;
  readonly peerAddress: string;
  /** Single-hop session: the IPv6 link-local next hop is included (RFC 2545 3). */
  readonly directlyConnected: boolean;
  /**
   * RFC 8950 negotiated on an IPv6 session: IPv4 routes may carry IPv6 next hops; our own next hop
   * for IPv4 routes is then our IPv6 address (MP_REACH_NLRI with AFI 1).
   */
  readonly extendedNextHopV4?: boolean;
}

/** Forwarding facts of a prefix's best route(s): the ECMP next-hop set, or a local (originated) prefix. */
export interface BestForwarding {
  readonly local: boolean;
  /** Deduplicated, sorted. Empty for local prefixes. */
  readonly nextHops: readonly string[];
}

export type BestChange =
  | { readonly prefix: string; readonly best: null }
  | { readonly prefix: string; readonly best: { readonly local: boolean; readonly nextHops: string[] } };

/** Why a received route is not a candidate (kept in Adj-RIB-In with the reason). */
export type RejectReason =
  | 'as-loop'
  | 'reflection-loop'
  | 'next-hop-self-loop'
  | 'no-next-hop'
  /** The next hop can never be one: loopback, 0.0.0.0/8, multicast, 240.0.0.0/4, ::, IPv4-mapped... (next-hop.ts). */
  | 'next-hop-invalid'
  /** A link-local next hop from a session that is not directly connected (no interface for it). */
  | 'next-hop-link-local'
  | 'filtered'
  | 'policy';

/** The decision rule that made a candidate lose (decision.ts, in ladder order). */
export type DecisionReason =
  | 'local'
  | 'local-pref'
  | 'as-path-len'
  | 'origin'
  | 'med'
  | 'ebgp-over-ibgp'
  | 'stale'
  | 'router-id'
  | 'cluster-list-len'
  | 'peer-addr'
  /** Two paths of one peer (ADD-PATH, RFC 7911) that tie on everything else: the lower received path id. */
  | 'path-id';

/** A prefix this router announces (its pod block). */
export interface OriginatedRoute {
  readonly prefix: string;
  readonly communities?: readonly number[];
  readonly largeCommunities?: readonly LargeCommunity[];
}

export interface ReceiveResult {
  /** Families whose End-of-RIB marker this UPDATE was (RFC 4724 2). */
  readonly endOfRib: Family[];
  /** The peer's max-prefix limit with action 'stop' is exceeded: send Cease 6/1 (RFC 4486). */
  readonly maxPrefixExceeded: boolean;
  /** Announced prefixes accepted / refused by import in this UPDATE. */
  readonly accepted: number;
  readonly rejected: number;
}

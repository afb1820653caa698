/**
 * config/: the configuration file (one JSON document) as frozen, fully defaulted, readonly data.
 *
 * - types.ts        the `Config` types (this file), `Result`, `Issue`
 * - validate.ts     `validateConfig(raw)`: unknown -> Config, or every issue with its JSON path
 * - load.ts         `loadConfig(path)`: read, parse JSON (line/column on syntax errors), validate
 * - diff.ts         `diffConfig(old, next)`: what a reload must do to running sessions
 * - peers.ts, policies.ts, sections.ts   the rules and defaults of each part
 * - fields.ts, communities.ts             leaf value schemas (zod 4) and parsers (addresses: util/inet.ts)
 * - issues.ts, json-syntax.ts             JSON paths, zod issue conversion, JSON syntax locator
 *
 * Every key, its default and its meaning is documented in docs/configuration.md.
 * Addresses and prefixes are canonical text (IPv6 in RFC 5952 form); communities are numbers
 * (RFC 1997: u32 = high 16 bits AS, low 16 bits value), large communities are triples (RFC 8092).
 */
import type { LargeCommunity } from '../codec/types.js';
import type { LogLevel } from '../util/log.js';

export type { LargeCommunity } from '../codec/types.js';

/** The result of a leaf parser: the value, or the message an operator reads. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** One configuration problem. `path` is a JSON path such as `$.peers[1].asn`. */
export interface Issue {
  readonly path: string;
  readonly message: string;
  /** The offending value, when there is one (absent for missing keys and unknown keys). */
  readonly value?: unknown;
}

export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly Issue[] };

export type AddressFamily = 'ipv4' | 'ipv6';
/** AFI/SAFI pairs a session may negotiate (RFC 4760). */
export type PeerFamily = 'ipv4-unicast' | 'ipv6-unicast';

/** A prefix-list entry: matches routes inside `prefix` whose length is in ge..le (inclusive). */
export interface PrefixMatch {
  /** Canonical network prefix ("172.16.0.0/16"). */
  readonly prefix: string;
  /** Minimum length (default: the prefix length). */
  readonly ge: number;
  /** Maximum length (default: 32/128 when `ge` is given, else the prefix length: exact match). */
  readonly le: number;
}

export interface ListenConfig {
  readonly address: string;
  readonly port: number;
  readonly enabled: boolean;
}

/** Seconds. RFC 4271 10 suggested values are the defaults. */
export interface TimersConfig {
  readonly holdTime: number;
  readonly keepaliveTime: number;
  readonly connectRetryTime: number;
  readonly idleHoldTime: number;
  readonly idleHoldMaxTime: number;
  /** RFC 9687 SendHoldTime; absent: the RFC's default, max(480, 2 x the negotiated hold time); 0: off. */
  readonly sendHoldTime?: number;
}

export interface OriginateConfig {
  readonly prefix: string;
  readonly family: AddressFamily;
  readonly communities: readonly number[];
  readonly largeCommunities: readonly LargeCommunity[];
}

export interface PolicyMatch {
  readonly prefixes?: readonly PrefixMatch[];
  /** Matches when the route carries any of these. */
  readonly communities?: readonly number[];
  readonly largeCommunities?: readonly LargeCommunity[];
  readonly asPathContains?: number;
  readonly family?: AddressFamily;
}

export interface PolicySet {
  readonly localPref?: number;
  readonly med?: number;
  readonly addCommunities?: readonly number[];
  readonly removeCommunities?: readonly number[];
  readonly addLargeCommunities?: readonly LargeCommunity[];
  /** Prepend `asn` (default: the session's local AS) `count` times to the AS_PATH. */
  readonly prepend?: { readonly asn?: number; readonly count: number };
}

export type PolicyAction = 'accept' | 'reject' | 'next';

export interface PolicyRule {
  /** All given conditions must hold; an empty match matches every route. */
  readonly match: PolicyMatch;
  readonly action: PolicyAction;
  readonly set: PolicySet;
}

/** Rules are tried in order; the first rule that matches with accept/reject decides; else `default`. */
export interface Policy {
  readonly rules: readonly PolicyRule[];
  readonly default: 'accept' | 'reject';
}

/** What a peer's import or export does: everything, nothing, or a policy (named or inline). */
export type PolicyRef =
  | { readonly kind: 'all' }
  | { readonly kind: 'none' }
  | { readonly kind: 'named'; readonly name: string; readonly policy: Policy }
  | { readonly kind: 'inline'; readonly policy: Policy };

/** The top-level `bfd` section: defaults for every configured peer (config/bfd.ts). Milliseconds. */
export interface BfdDefaultsConfig {
  readonly enabled: boolean;
  readonly minTx: number;
  readonly minRx: number;
  readonly multiplier: number;
  /** A BFD failure is a graceful restart of the peer (routes kept stale), not a session loss. */
  readonly graceful: boolean;
  /** After a BFD failure, the BGP session stays down until BFD is Up again. */
  readonly requireUp: boolean;
  /** The BFD thread runs SCHED_RR (lowest real-time priority) when allowed; else nice -10. Top level only. */
  readonly realtime: boolean;
}

/** BFD for one peer, resolved (present only when on). */
export interface PeerBfdConfig {
  readonly minTx: number;
  readonly minRx: number;
  readonly multiplier: number;
  readonly graceful: boolean;
  readonly requireUp: boolean;
  /** RFC 5883 multihop (UDP 4784) instead of RFC 5881 single hop. */
  readonly multihop: boolean;
}

export interface MaxPrefixConfig {
  readonly limit: number;
  readonly action: 'warn' | 'stop';
  /** Seconds before re-enabling a session stopped by the limit; absent = stays down until reset. */
  readonly restartAfter?: number;
}

/**
 * RFC 7911 ADD-PATH of a session (docs/decisions/0011-add-path.md): offer to receive path ids, to
 * send them (`send`: every path, the n best, or not at all), in these families (absent: all the
 * session's families).
 */
export interface AddPathConfig {
  readonly receive: boolean;
  readonly send: 'all' | number | false;
  readonly families?: readonly PeerFamily[];
}

interface PeerCommon {
  /** Identity used by diffConfig and the control socket: the address, or the addressRange. */
  readonly key: string;
  readonly name?: string;
  readonly asn: number;
  /** Our AS on this session: the peer's `localAs`, or the top-level `asn`. */
  readonly localAs: number;
  /** Derived: 'ibgp' when asn == localAs. */
  readonly type: 'ibgp' | 'ebgp';
  readonly port: number;
  readonly localAddress?: string;
  readonly passive: boolean;
  /** Resolved: the peer's own value, or the top-level `timers` (keepalive from holdTime/3). */
  readonly holdTime: number;
  readonly keepaliveTime: number;
  readonly connectRetryTime: number;
  /** Resolved: the peer's own value, or `timers.sendHoldTime`; absent: the RFC 9687 default. */
  readonly sendHoldTime?: number;
  readonly families: readonly PeerFamily[];
  readonly routeReflectorClient: boolean;
  readonly nextHopSelf: boolean;
  readonly enabled: boolean;
  readonly password?: string;
  readonly ebgpMultihop?: number;
  readonly ttlSecurity?: number;
  readonly allowasIn: number;
  readonly gracefulRestart: boolean;
  readonly importPrefixes?: readonly PrefixMatch[];
  readonly acceptDefaultRoute: boolean;
  readonly maxPrefix?: MaxPrefixConfig;
  /** BFD (RFC 5880) tied to this session, when on (config/bfd.ts). */
  readonly bfd?: PeerBfdConfig;
  readonly communities: readonly number[];
  readonly largeCommunities: readonly LargeCommunity[];
  readonly import: PolicyRef;
  readonly export: PolicyRef;
  /** Resolved: the peer's own `addPath`, or the top-level one (default: off). */
  readonly addPath: AddPathConfig;
}

/** A peer at one address. */
export interface StaticPeerConfig extends PeerCommon {
  readonly kind: 'static';
  readonly address: string;
}

/** Dynamic peers: any address inside `addressRange` may connect (always passive). */
export interface DynamicPeerConfig extends PeerCommon {
  readonly kind: 'dynamic';
  readonly addressRange: string;
  readonly maxPeers: number;
}

export type PeerConfig = StaticPeerConfig | DynamicPeerConfig;

export type KernelMode = 'direct' | 'ipip' | 'ipip-cross-subnet';
/** A pool's mode: a KernelMode, or 'none' (routes inside the pool are not installed). */
export type KernelPoolMode = KernelMode | 'none';

/** `kernel.pools[]`: the data-plane mode of the routes inside one address pool (Calico's IPPool ipipMode). */
export interface KernelPoolConfig {
  /** Canonical network prefix. */
  readonly cidr: string;
  readonly mode: KernelPoolMode;
}

export interface KernelConfig {
  readonly enabled: boolean;
  readonly table: number;
  readonly protocol: number;
  readonly metric: number;
  readonly blackhole: boolean;
  readonly mode: KernelMode;
  /** Per-pool modes; the longest pool holding a route's prefix wins over `mode`. */
  readonly pools: readonly KernelPoolConfig[];
  readonly tunnelDevice: string;
  readonly withdrawOnStop: boolean;
  /** Seconds. */
  readonly convergenceTimeout: number;
  /** Seconds. */
  readonly scanInterval: number;
}

export interface ControlConfig {
  /** wren's own control socket (JSON lines; `wren show`). */
  readonly socket: string;
  /** BIRD-compatible control sockets (src/birdsock/): sessions over IPv4, and over IPv6. Absent: off. */
  readonly birdSocket?: string;
  readonly birdSocket6?: string;
  /** The version the BIRD sockets announce (`BIRD <version> ready.`); absent: `v<wren's version>+wren`. */
  readonly birdVersion?: string;
}

/** `datastore.etcd`, as written (environment variables complete it: config/datastore.ts). */
export interface EtcdConfig {
  readonly endpoints?: readonly string[];
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly username?: string;
  readonly password?: string;
}

/**
 * `datastore`: follow Calico's datastore; with it, routerId, asn, peers, originate and the route
 * reflector cluster id come from the datastore (docs/datastore.md). As written in the file.
 */
export interface DatastoreConfig {
  readonly type?: 'etcdv3';
  readonly etcd: EtcdConfig;
  readonly nodeName?: string;
  /** Write this node's Node resource when it is missing or different. */
  readonly register: boolean;
  /** The IPv4 address `register` writes ("10.0.0.1/24", or without a length); absent: found on the interfaces. */
  readonly nodeAddress?: string;
  /** The AS `register` writes; absent: none (the cluster's AS applies). */
  readonly asNumber?: number;
  readonly ipam: {
    /** Claim a block from an enabled pool when this node has none. */
    readonly claimBlock: boolean;
  };
}

export interface GracefulRestartConfig {
  readonly enabled: boolean;
  readonly restartTime: number;
  readonly staleRoutesTime: number;
}

export interface Config {
  readonly routerId: string;
  readonly asn: number;
  readonly listen: ListenConfig;
  readonly timers: TimersConfig;
  readonly originate: readonly OriginateConfig[];
  readonly peers: readonly PeerConfig[];
  /** Named policies, as written (peers hold resolved copies in their PolicyRef). */
  readonly policies: Readonly<Record<string, Policy>>;
  readonly ebgpRequiresPolicy: boolean;
  readonly routeReflector: { readonly clusterId: string };
  readonly multipath: { readonly maxPaths: number };
  /** The default `addPath` of every peer (RFC 7911; off unless written). */
  readonly addPath: AddPathConfig;
  readonly gracefulRestart: GracefulRestartConfig;
  readonly bfd: BfdDefaultsConfig;
  readonly kernel: KernelConfig;
  readonly control: ControlConfig;
  readonly log: { readonly level: LogLevel };
  /** Present when the file has a `datastore` section (then the rest was derived from it: datastore/derive.ts). */
  readonly datastore?: DatastoreConfig;
  readonly metrics: MetricsConfig;
}

/** What `/readyz` requires of the configured, enabled, non-dynamic peers (docs/metrics.md). */
export type ReadyPeers = 'all' | 'any' | 'none';
export const READY_PEERS: readonly ReadyPeers[] = ['all', 'any', 'none'];

export interface MetricsListen {
  /** Canonical IP address. */
  readonly address: string;
  readonly port: number;
}

/** The `metrics` section: the Prometheus metrics and health endpoints (config/metrics.ts). */
export interface MetricsConfig {
  /** Absent: no metrics listener. */
  readonly listen?: MetricsListen;
  /** Per-peer series (labels peer, session, asn); false keeps only the counts of sessions by state. */
  readonly perPeer: boolean;
  /** `/readyz` without `?peers=`: every peer Established (all), at least one (any), or no peer check (none). */
  readonly readyPeers: ReadyPeers;
  /** `/livez` fails while a stall of the event loop longer than this (seconds) ended within the last minute. */
  readonly livezMaxStall: number;
}

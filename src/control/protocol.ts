/**
 * Control socket protocol: one JSON request per line, one JSON response per line (Unix socket).
 * Shared by the daemon (control/server.ts) and the CLI (cli/), which imports nothing else from src/.
 */

export type ControlRequest =
  | { readonly cmd: 'show-peers' }
  | { readonly cmd: 'show-routes'; readonly prefix?: string }
  | { readonly cmd: 'show-kernel' }
  /** BFD sessions (docs/bfd.md). */
  | { readonly cmd: 'show-bfd' }
  /** The datastore: connection, revision, what was read, what was skipped and why. */
  | { readonly cmd: 'show-datastore' }
  /** Cease / Administrative Shutdown with an optional RFC 9003 message; stays down until enabled. */
  | { readonly cmd: 'peer-disable'; readonly address: string; readonly message?: string }
  | { readonly cmd: 'peer-enable'; readonly address: string }
  /** Cease / Administrative Reset, then reconnect. */
  | { readonly cmd: 'peer-reset'; readonly address: string; readonly message?: string }
  /** Inbound soft reset: ask the peer for its routes again (ROUTE-REFRESH, RFC 2918). */
  | { readonly cmd: 'peer-refresh'; readonly address: string }
  /** Re-read the configuration file (as SIGHUP does). */
  | { readonly cmd: 'reload' }
  /**
   * Stop the daemon. By default as SIGTERM does (a planned restart: kernel routes and the peers'
   * copies of ours kept by graceful restart); `withdraw: true` sends every peer a Cease (Hard Reset
   * where RFC 8538 was negotiated) and removes our kernel routes. Answered before the stop begins.
   */
  | { readonly cmd: 'stop'; readonly withdraw?: boolean; readonly message?: string };

/** What each request answers with (the `result` of an ok response). */
export interface ControlResults {
  readonly 'show-peers': readonly PeerStatus[];
  readonly 'show-routes': readonly RouteView[];
  /** null when kernel programming is disabled (`kernel.enabled: false`). */
  readonly 'show-kernel': KernelStatusView | null;
  readonly 'show-bfd': BfdView;
  /** null when wren runs from its file alone (no `datastore`). */
  readonly 'show-datastore': DatastoreStatusView | null;
  readonly 'peer-disable': null;
  readonly 'peer-enable': null;
  readonly 'peer-reset': null;
  readonly 'peer-refresh': { readonly requested: readonly string[] };
  readonly reload: { readonly changes: number; readonly refused?: string };
  readonly stop: { readonly stopping: true; readonly withdraw: boolean };
}

/**
 * Error codes in `{ ok: false, error: { code } }`: EBADREQ (not JSON, unknown cmd, bad fields),
 * EINTERNAL (the daemon failed while answering), ENOTFOUND (e.g. no such prefix); handlers may use
 * others by throwing a ControlError. The client adds EUNREACHABLE, ETIMEDOUT, EBADRESP locally.
 */
export type ControlErrorCode = 'EBADREQ' | 'EINTERNAL' | 'ENOTFOUND' | 'EUNREACHABLE' | 'ETIMEDOUT' | 'EBADRESP' | (string & {});

export type ControlResponse =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: { readonly code: ControlErrorCode; readonly message: string } };

/** An error with a stable code: thrown by request handlers (sent as-is) and by the client. */
export class ControlError extends Error {
  override readonly name = 'ControlError';
  readonly code: ControlErrorCode;
  constructor(code: ControlErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** One NOTIFICATION as kept for `show peers`. */
export interface NotificationRecord {
  readonly direction: 'sent' | 'received';
  readonly code: number;
  readonly subcode: number;
  /** e.g. "Cease / Administrative Shutdown". */
  readonly name: string;
  /** RFC 9003 shutdown communication, when present. */
  readonly communication?: string;
  /** ISO 8601 time. */
  readonly at: string;
}

export interface PeerStatus {
  /** The configured `name`, if any. */
  readonly name?: string;
  readonly address: string;
  readonly port: number;
  readonly asn: number;
  readonly type: 'ibgp' | 'ebgp';
  /** 'dynamic' when accepted from an addressRange entry. */
  readonly origin: 'configured' | 'dynamic';
  /**
   * With a datastore: where the session came from: confd's name of the derived session (Mesh_<ip>,
   * Global_<ip>, Node_<ip>: the node-to-node mesh, a global or a per-node BGPPeer) or "file".
   */
  readonly source?: string;
  /** With a datastore: the datastore keys the session was derived from (a BGPPeer, a Node). */
  readonly sourceResources?: readonly string[];
  readonly state: 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';
  /** Seconds in the current state. */
  readonly uptimeSec: number;
  readonly routerId?: string;
  /** Negotiated hold time and keepalive, seconds (Established only). */
  readonly holdTimeSec?: number;
  readonly keepaliveSec?: number;
  /** RFC 9687 SendHoldTime of the session, seconds, 0 when off (Established only). */
  readonly sendHoldTimeSec?: number;
  /** Bytes of ours the peer has not read yet (Established only). */
  readonly sendQueueBytes?: number;
  /** Sessions closed because the peer stopped reading (Send Hold Timer expired), since wren started. */
  readonly sendHoldExpirations: number;
  /** Capabilities both sides announced, e.g. ["ipv4-unicast", "ipv6-unicast", "route-refresh", "as4", ...]. */
  readonly capabilities: readonly string[];
  /**
   * RFC 7911 ADD-PATH as negotiated, per family: we receive path ids, send them, or both
   * (Established only, and only families where it is in use).
   */
  readonly addPath?: Readonly<Record<string, 'receive' | 'send' | 'receive+send'>>;
  /** `preferred`: of the accepted routes, those that are the best route of their prefix. */
  readonly prefixes: { readonly received: number; readonly accepted: number; readonly advertised: number; readonly preferred: number };
  readonly messages: { readonly in: number; readonly out: number };
  /** Why the session last went down, in words ("hold timer expired", "notification received", ...). */
  readonly lastDownReason?: string;
  readonly lastError?: NotificationRecord;
  /** The session as BIRD's protocol state (session/peer.ts `phase`): up, start (connecting or waiting to), down (stopped). */
  readonly phase: PeerPhase;
  /** ISO 8601 wall-clock time `phase` last changed: when the session came up, went down, or was stopped. */
  readonly phaseSince: string;
  /** Our address on the session (Established only). */
  readonly localAddress?: string;
  /** Route changes counted per prefix since the session came up (BIRD's "Route change stats"). */
  readonly routeChanges: RouteChangeStats;
}

/**
 * A session as BIRD's protocol state: 'up' when Established; 'down' when stopped and not restarting
 * by itself (disabled by the operator, stopped by maxPrefix); 'start' otherwise (connecting, waiting
 * for the peer, or waiting to reconnect after an error).
 */
export type PeerPhase = 'down' | 'start' | 'up';

/**
 * Per-prefix route change counters of one session, in BIRD's categories (`show protocols all`):
 * import updates received, rejected (an import check refused them: AS loop, unusable next hop, ...),
 * filtered (prefix filter or import policy), ignored (the same route again), accepted; withdraws
 * received, ignored (nothing to withdraw), accepted; export updates and withdraws sent to the peer.
 */
export interface RouteChangeStats {
  readonly importUpdates: { readonly received: number; readonly rejected: number; readonly filtered: number; readonly ignored: number; readonly accepted: number };
  readonly importWithdraws: { readonly received: number; readonly ignored: number; readonly accepted: number };
  readonly exportUpdates: number;
  readonly exportWithdraws: number;
}

export interface RouteView {
  readonly prefix: string;
  readonly nextHop: string;
  /** AS path as text, e.g. "65001 65002 {65003,65004}". Empty for local routes. */
  readonly asPath: string;
  readonly origin: 'igp' | 'egp' | 'incomplete';
  readonly localPref?: number;
  readonly med?: number;
  /** "65000:100", and well-known names ("no-export"). */
  readonly communities: readonly string[];
  /** "65000:1:2". */
  readonly largeCommunities: readonly string[];
  /** Peer address, or "local" for originated prefixes. */
  readonly from: string;
  readonly best: boolean;
  /**
   * For a non-best route: the decision rule that made it lose (e.g. "local-pref", "as-path-len"), or,
   * when `refused`, the import check that refused it (e.g. "as-loop", "next-hop-invalid").
   */
  readonly reason?: string;
  /** Refused on import: kept as received so it can be shown, never a candidate (never best, never installed). */
  readonly refused?: boolean;
  /** For a refused route, what exactly is wrong when the reason alone does not say (e.g. "::1 is a loopback address"). */
  readonly detail?: string;
  /** Marked stale during a peer's graceful restart. */
  readonly stale?: boolean;
  /** RFC 4456: set on reflected routes. */
  readonly originatorId?: string;
  readonly clusterList?: readonly string[];
  /** All next hops the route carries (IPv6: global and link-local), when more than the one shown. */
  readonly nextHops?: readonly string[];
  /** RFC 7911: the path identifier it was received with, when the session receives ADD-PATH (not 0). */
  readonly pathId?: number;
}

/**
 * `show kernel`: the reconciler's state (kernel/fib-sync.ts KernelStatus), with times turned into
 * ages in seconds so that the reader needs no access to the daemon's monotonic clock.
 */
export interface KernelStatusView {
  /** rtm_protocol of our routes (12 = "bird"). */
  readonly protocol: number;
  /** False until every peer sent End-of-RIB (or kernel.convergenceTimeout passed); stale routes are kept until then. */
  readonly converged: boolean;
  readonly desired: number;
  readonly installed: number;
  /** Routes a previous run left, not (yet) desired, kept until converged. */
  readonly staleCandidates: number;
  /** A foreign route sits at the key of one of ours; never overwritten. */
  readonly conflicts: readonly { readonly key: string; readonly prefix: string; readonly sinceSec: number }[];
  readonly pendingRetries: readonly {
    readonly key: string;
    readonly prefix: string;
    /** Errno name (ENETUNREACH, ...). */
    readonly code: string;
    readonly attempts: number;
    /** Waits for a link or address change rather than a timer. */
    readonly waitsForLink: boolean;
  }[];
  /**
   * Routes the kernel refused with an error that retrying cannot cure (EINVAL, EAFNOSUPPORT,
   * EOPNOTSUPP, ERANGE). Not retried until the route wanted at the key changes.
   */
  readonly failed: readonly {
    readonly key: string;
    readonly prefix: string;
    /** Errno name the kernel answered. */
    readonly errno: string;
    /** add, change (of a route of ours) or remove. */
    readonly op: string;
    readonly reason: string;
    /** The route as sent (`fd00::/64 via ::1`). */
    readonly route: string;
    readonly sinceSec: number;
  }[];
  readonly lastReconcile: {
    readonly agoSec: number;
    readonly kind: 'full' | 'incremental';
    readonly ok: boolean;
    readonly added: number;
    /** Routes of ours changed in place (protocol-matched delete + create-exclusive add). */
    readonly replaced: number;
    readonly removed: number;
    readonly failed: number;
    readonly durationMs: number;
    readonly error?: string;
  } | null;
}

export type BfdStateName = 'AdminDown' | 'Down' | 'Init' | 'Up';

/** `show bfd`: one BFD session (RFC 5880) and the BGP session it serves. Intervals in milliseconds. */
export interface BfdPeerStatus {
  /** The BGP peer's address. */
  readonly peer: string;
  readonly name?: string;
  readonly multihop: boolean;
  /** Our source address, when configured (`localAddress`). */
  readonly localAddress?: string;
  readonly state: BfdStateName;
  /** The State field of the peer's last packet. */
  readonly remoteState: BfdStateName;
  /** Our diagnostic (RFC 5880 4.1), by name: "No Diagnostic", "Control Detection Time Expired", ... */
  readonly diagnostic: string;
  readonly remoteDiagnostic: string;
  readonly localDiscriminator: number;
  readonly remoteDiscriminator: number;
  /** What we transmit at (the slower of our TX and the peer's RX, before jitter); 0: the peer wants none. */
  readonly txIntervalMs: number;
  /** What we expect the peer's packets at (the slower of our RX and the peer's TX). */
  readonly rxIntervalMs: number;
  /** The peer's multiplier x rxIntervalMs: how long a silence takes the session down. */
  readonly detectTimeMs: number;
  /** What we send (TX at least 1 s until Up) and what the peer sent. */
  readonly local: { readonly minTxMs: number; readonly minRxMs: number; readonly multiplier: number };
  readonly remote: { readonly minTxMs: number; readonly minRxMs: number; readonly multiplier: number };
  /** Seconds in the current state. */
  readonly uptimeSec: number;
  /** Up -> Down since the session was made. */
  readonly flaps: number;
  readonly lastDownReason?: string;
  /** Whether the peer has answered since the session was made. */
  readonly heard: boolean;
  /** A Poll Sequence (timer change) of ours waits for the peer's Final. */
  readonly polling: boolean;
  /** A BFD failure is a graceful restart of the peer. */
  readonly graceful: boolean;
  /** After a failure the BGP session waits for BFD. */
  readonly requireUp: boolean;
  /** The BGP session is held down, waiting for BFD. */
  readonly bgpHeld: boolean;
  /** Why the session cannot run (no native addon, a socket that cannot be opened). */
  readonly problem?: string;
  readonly counters: {
    readonly packetsIn: number;
    readonly packetsOut: number;
    readonly discarded: number;
    readonly transitions: number;
    readonly pollsCompleted: number;
  };
}

export interface BfdView {
  /** Where the sessions run: their own thread, the main thread (no worker script), nowhere (no addon), or no peer has BFD. */
  readonly mode: 'thread' | 'inline' | 'unavailable' | 'off';
  /** Why BFD cannot run, when it cannot. */
  readonly problem?: string;
  /** The BFD thread's scheduling: "SCHED_RR 1", "nice -10" or "normal" (`bfd.realtime`; thread mode only). */
  readonly threadScheduling?: string;
  readonly sessions: readonly BfdPeerStatus[];
}

/** `show datastore` (datastore/etcd.ts status, datastore/source.ts status, register and claim results). */
export interface DatastoreStatusView {
  readonly type: 'etcdv3';
  readonly endpoints: readonly string[];
  readonly nodeName: string;
  readonly connected: boolean;
  /** Seconds in the current connection state. */
  readonly sinceSec: number;
  /** Whether the first full read has been done. */
  readonly synced: boolean;
  /** The etcd revision wren's copy is at. */
  readonly revision: number;
  readonly lastError?: { readonly message: string; readonly agoSec: number };
  /** Full re-reads after the first (compaction, reconnect). */
  readonly resyncs: number;
  readonly counts: {
    readonly nodes: number;
    readonly bgpPeers: number;
    readonly bgpConfigurations: number;
    readonly bgpFilters: number;
    readonly ipPools: number;
    readonly blocks: number;
    readonly affinities: number;
  };
  readonly skipped: readonly { readonly key: string; readonly reason: string }[];
  /** Settings read and not applied as written (docs/datastore.md): the resource's key and why. */
  readonly notes: readonly { readonly key: string; readonly message: string }[];
  /** The last derivation: applied, unchanged, invalid (problems) or refused. */
  readonly last?: {
    readonly revision: number;
    readonly result: string;
    readonly agoSec: number;
    readonly changes?: number;
    readonly problems?: readonly string[];
    readonly deriveMs: number;
    readonly validateMs: number;
    readonly applyMs: number;
  };
  readonly reconfigurations: number;
  /** `datastore.register`: what was done with this node's Node resource. */
  readonly register?: string;
  /** `datastore.ipam.claimBlock`: the block claimed or found, or why none. */
  readonly claim?: string;
}

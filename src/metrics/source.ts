/**
 * What the metrics and health endpoints read: one snapshot of the daemon, taken at each scrape or
 * probe from the owners' status methods (daemon/metrics-source.ts builds it), as plain data. This
 * folder imports no other module of wren but these types (and control/protocol.ts for the session
 * state names), so the collectors are tested with fake snapshots.
 */
import type { BfdStateName, PeerStatus } from '../control/protocol.js';

export type SessionState = PeerStatus['state'];
export type AddressFamily = 'ipv4-unicast' | 'ipv6-unicast';
export const ADDRESS_FAMILIES: readonly AddressFamily[] = ['ipv4-unicast', 'ipv6-unicast'];
export type BgpMessageType = 'open' | 'update' | 'notification' | 'keepalive' | 'route-refresh';
export const BGP_MESSAGE_TYPES: readonly BgpMessageType[] = ['open', 'update', 'notification', 'keepalive', 'route-refresh'];
export type Direction = 'sent' | 'received';

/** RFC 4273 bgpPeerState numbering: idle(1) .. established(6). */
export const SESSION_STATES: readonly SessionState[] = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'];

export interface PeerSample {
  readonly address: string;
  /**
   * The session's name, as the BIRD-compatible socket shows it (docs/bird-socket.md, "Protocol names"):
   * the configured `name` when BIRD could call a protocol that, else Calico's `Mesh_…`/`Node_…` style.
   */
  readonly session: string;
  readonly asn: number;
  /** Accepted from an address range (not a configured peer). */
  readonly dynamic: boolean;
  readonly state: SessionState;
  /** Seconds since the session came up; 0 when it is not Established. */
  readonly uptimeSec: number;
  readonly flaps: number;
  readonly messagesReceived: Readonly<Record<BgpMessageType, number>>;
  readonly messagesSent: Readonly<Record<BgpMessageType, number>>;
  readonly notifications: readonly { readonly direction: Direction; readonly code: number; readonly subcode: number; readonly count: number }[];
  /** NOTIFICATIONs beyond the distinct pairs a peer keeps (session/peer-counters.ts). */
  readonly otherNotifications: Readonly<Record<Direction, number>>;
  readonly prefixes: Readonly<Record<AddressFamily, { readonly received: number; readonly accepted: number; readonly advertised: number }>>;
  /** The last NOTIFICATION that ended a session of this peer. */
  readonly lastError?: { readonly direction: Direction; readonly code: number; readonly subcode: number; readonly name: string };
}

/** RFC 5880 4.1 State values: AdminDown(0), Down(1), Init(2), Up(3). */
export const BFD_STATES: readonly BfdStateName[] = ['AdminDown', 'Down', 'Init', 'Up'];

/** One BFD session (RFC 5880) of a BGP peer (docs/bfd.md). */
export interface BfdSample {
  /** The BGP peer's address, its session name (PeerSample `session`) and AS number (the labels of its BGP series). */
  readonly address: string;
  readonly session: string;
  readonly asn: number;
  readonly state: BfdStateName;
  /** Up -> Down since the session was made (each took the BGP session down, or restarted it with `graceful`). */
  readonly downs: number;
  /** State changes since the session was made. */
  readonly transitions: number;
  /** How long a silence of the peer takes the session down (ms; 0 until the peer is heard). */
  readonly detectTimeMs: number;
  readonly packetsIn: number;
  readonly packetsOut: number;
  /** Packets received and discarded (RFC 5880 6.8.6 checks, the TTL check, no session for them). */
  readonly discarded: number;
}

export interface RibSample {
  readonly tables: Readonly<Record<AddressFamily, { readonly destinations: number; readonly paths: number }>>;
  readonly pendingDecisions: number;
  readonly decisionRuns: number;
}

export interface KernelSample {
  /** First convergence done: the routes a previous run left were purged (kernel/fib-sync.ts). */
  readonly converged: boolean;
  readonly desired: number;
  readonly installed: number;
  readonly conflicting: number;
  readonly pending: number;
  readonly failed: number;
  /** Errors the kernel answered, by errno name. */
  readonly errors: Readonly<Record<string, number>>;
}

export interface LoopSample {
  /** Now, on the loop monitor's clock (ms). */
  readonly now: number;
  readonly lastTickAt: number;
  readonly stalls: number;
  readonly maxStallMs: number;
  /** Stalls of the last minute: when each ended (monitor clock, ms) and how long it was. */
  readonly recentStalls: readonly { readonly endedAt: number; readonly ms: number }[];
}

export interface DaemonSample {
  /** Speaker started (kernel routes adopted, peers started); false while starting. */
  readonly started: boolean;
  /** What the start waits for, when it waits for something outside wren (the datastore). */
  readonly waitingFor?: string;
  readonly stopping: boolean;
  readonly reloads: { readonly ok: number; readonly failed: number };
}

export interface MetricsSnapshot {
  readonly daemon: DaemonSample;
  readonly peers: readonly PeerSample[];
  /** BFD sessions (empty when no peer asks for BFD). */
  readonly bfd: readonly BfdSample[];
  readonly rib: RibSample;
  /** null when kernel programming is off (`kernel.enabled: false`). */
  readonly kernel: KernelSample | null;
  readonly loop: LoopSample;
}

/** The current settings of the `metrics` section (a reload may change them). */
export interface MetricsSettings {
  readonly perPeer: boolean;
  readonly readyPeers: 'all' | 'any' | 'none';
  readonly livezMaxStall: number;
}

export interface MetricsSource {
  snapshot(): MetricsSnapshot;
  settings(): MetricsSettings;
}

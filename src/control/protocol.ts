/**
 * Control socket protocol: one JSON request per line, one JSON response per line (Unix socket).
 * Shared by the daemon (control/server.ts) and the CLI (cli/), which imports nothing else from src/.
 */

export type ControlRequest =
  | { readonly cmd: 'show-peers' }
  | { readonly cmd: 'show-routes'; readonly prefix?: string }
  | { readonly cmd: 'show-kernel' };

export type ControlResponse =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

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
  readonly address: string;
  readonly port: number;
  readonly asn: number;
  readonly type: 'ibgp' | 'ebgp';
  /** 'dynamic' when accepted from an addressRange entry. */
  readonly origin: 'configured' | 'dynamic';
  readonly state: 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';
  /** Seconds in the current state. */
  readonly uptimeSec: number;
  readonly routerId?: string;
  /** Negotiated hold time and keepalive, seconds (Established only). */
  readonly holdTimeSec?: number;
  readonly keepaliveSec?: number;
  /** Capabilities both sides announced, e.g. ["ipv4-unicast", "ipv6-unicast", "route-refresh", "as4", ...]. */
  readonly capabilities: readonly string[];
  readonly prefixes: { readonly received: number; readonly accepted: number; readonly advertised: number };
  readonly messages: { readonly in: number; readonly out: number };
  /** Why the session last went down, in words ("hold timer expired", "notification received", ...). */
  readonly lastDownReason?: string;
  readonly lastError?: NotificationRecord;
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
  /** For a non-best route: the decision rule that made it lose (e.g. "local-pref", "as-path-len"). */
  readonly reason?: string;
  /** Marked stale during a peer's graceful restart. */
  readonly stale?: boolean;
}

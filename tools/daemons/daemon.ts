/**
 * What the daemon drivers (BIRD 2, BIRD 1.6, FRR, GoBGP, OpenBGPD, wren) share: the small typed spec
 * a test or the bench writes, the handle a driver returns, and waits that put the daemon's log tail
 * into their error.
 */
import { describeLogs } from '../kit/files.js';
import type { Lab, LabProcess } from '../kit/netns.js';
import { waitFor } from '../kit/wait.js';

export type Family = 'ipv4' | 'ipv6';
export type DaemonKind = 'bird' | 'bird1' | 'frr' | 'gobgp' | 'openbgpd' | 'wren';

/** Attributes put on routes: on originated ones (`originateAttrs`) or on export to one neighbor. */
export interface RouteAttributes {
  readonly med?: number;
  /** Only meaningful towards iBGP neighbors. */
  readonly localPref?: number;
  /** RFC 1997 communities as "asn:value". */
  readonly communities?: readonly string[];
  /** RFC 8092 large communities as "global:local1:local2". */
  readonly largeCommunities?: readonly string[];
  /** RFC 4360 route-target extended communities as "asn:value" (2-octet AS specific, subtype 2). */
  readonly extCommunities?: readonly string[];
  /** ASNs to put into the AS_PATH after the daemon's own AS (prepend / originate with a path). */
  readonly asPath?: readonly number[];
}

export interface NeighborSpec {
  readonly address: string;
  readonly asn: number;
  readonly passive?: boolean;
  /** Source address of the session (update-source). */
  readonly localAddress?: string;
  /** eBGP multihop: true for the daemon's default TTL, or a TTL. */
  readonly multihop?: boolean | number;
  /** TCP MD5 password (RFC 2385). */
  readonly password?: string;
  /** This neighbor is our route-reflector client (RFC 4456); we are its reflector. */
  readonly rrClient?: boolean;
  /** Families negotiated on this session. Default both. */
  readonly families?: readonly Family[];
  /**
   * IPv6 next hop to announce over an IPv4 session. GoBGP needs it (it otherwise sends an
   * IPv4-mapped address that BIRD rejects); FRR uses it when given; BIRD picks one itself.
   */
  readonly ipv6NextHop?: string;
  /** false: do not send the 4-octet AS capability (RFC 6793). BIRD only (`enable as4 off`). */
  readonly as4?: boolean;
  /** true: send the extended message capability (RFC 8654). BIRD only; FRR always sends it. */
  readonly extendedMessage?: boolean;
  /** Attributes set on every route exported to this neighbor. BIRD and FRR. */
  readonly exportAttrs?: RouteAttributes;
  /** GTSM (RFC 5082): accept only packets from at most this many hops away, send with TTL 255. FRR only. */
  readonly ttlSecurity?: number;
  /** Offer the extended next hop capability for IPv4 unicast over an IPv6 session (RFC 8950). FRR only. */
  readonly extendedNextHop?: boolean;
  /**
   * ADD-PATH (RFC 7911) on this session: receive path ids, send every path, or both. BIRD 2
   * (`add paths rx|tx|on`), FRR (`addpath-tx-all-paths` for tx; FRR always offers receive), GoBGP
   * (`add-paths` receive / send-max), wren (`addPath: { receive, send: "all" | false }`).
   */
  readonly addPath?: 'rx' | 'tx' | 'on';
  /** A BFD session with this neighbor, tied to the BGP session (FRR: bfdd + `neighbor X bfd`; BIRD: `protocol bfd` + `bfd on`). */
  readonly bfd?: BfdNeighborSpec;
}

/** BFD toward one neighbor (RFC 5880); intervals in milliseconds. */
export interface BfdNeighborSpec {
  readonly minTx?: number;
  readonly minRx?: number;
  readonly multiplier?: number;
  /** RFC 5883 multihop (FRR and BIRD pick it themselves for eBGP multihop neighbors). */
  readonly multihop?: boolean;
  /** BIRD: `bfd graceful` (a BFD failure is a graceful restart of the neighbor). FRR: `bfd check-control-plane-failure`. */
  readonly graceful?: boolean;
}

/** An aggregate route (FRR only: `aggregate-address`). */
export interface AggregateSpec {
  readonly prefix: string;
  /** Carry an AS_SET of the contributing routes' ASNs. */
  readonly asSet?: boolean;
  readonly summaryOnly?: boolean;
}

export interface DaemonSpec {
  readonly ns: string;
  readonly routerId: string;
  readonly asn: number;
  readonly neighbors: readonly NeighborSpec[];
  /** IPv4 and IPv6 prefixes this daemon originates (blackhole/static routes in its own config). */
  readonly originate: readonly string[];
  /** Attributes on every originated route. */
  readonly originateAttrs?: RouteAttributes;
  /** Install learned routes in the namespace FIB (BIRD kernel protocol, FRR zebra). GoBGP cannot. */
  readonly kernel?: boolean;
  /** Hold time in seconds (keepalive = hold / 3). */
  readonly holdTime?: number;
  /** Advertise graceful restart (RFC 4724) with forwarding state for each family. */
  readonly gracefulRestart?: boolean;
  /**
   * With gracefulRestart, also set the RFC 8538 N bit (a NOTIFICATION other than Hard Reset keeps
   * routes too). GoBGP only (`notification-enabled`); FRR always sets it, BIRD 1.6 and 2.0 cannot.
   */
  readonly gracefulNotification?: boolean;
  readonly aggregates?: readonly AggregateSpec[];
  /** Hostname sent in FRR's and GoBGP's FQDN capability. Default the daemon kind. */
  readonly hostname?: string;
  /** Directory name under lab.dir. Default `<kind>-<ns tag>`. */
  readonly name?: string;
  /**
   * Log warnings and errors only: the bench, where logging must cost nothing. By default the
   * daemons log everything, so a failing test explains itself. OpenBGPD ignores it.
   */
  readonly quietLogs?: boolean;
  /**
   * Seconds between the kernel protocol's scans of the FIB (BIRD 2 and 1.6). Default 2, so tests
   * see kernel changes quickly; the bench leaves it at BIRD's own default (60) because a scan of a
   * million routes costs seconds of CPU.
   */
  readonly kernelScanTime?: number;
  /** BIRD 2: the kernel protocols install equal best paths as one ECMP route (`merge paths on`). */
  readonly kernelMergePaths?: boolean;
}

/** A best route learned from a BGP neighbor (locally originated routes are left out). */
export interface LearnedRoute {
  readonly prefix: string;
  /** Global next hop (the link-local one of an IPv6 pair is left out). */
  readonly nextHop: string;
  /** Every ASN in the AS_PATH in order, AS_SET members included. */
  readonly asPath: readonly number[];
  readonly communities?: readonly string[];
  readonly largeCommunities?: readonly string[];
  readonly med?: number;
  readonly localPref?: number;
}

/** A running daemon inside a lab namespace. */
export interface BgpDaemon {
  readonly kind: DaemonKind;
  readonly spec: DaemonSpec;
  /** Its config, sockets, pid files and logs. */
  readonly dir: string;
  readonly logFiles: readonly string[];
  /** Its processes while started (FRR: bgpd, then zebra; BIRD 1.6: bird, then bird6). */
  readonly processes: readonly LabProcess[];
  /** Best routes learned over BGP in one family. */
  routes(family: Family): LearnedRoute[];
  /** 'Established', or the daemon's word for another state ('Active', 'Idle', 'Connect', ...). */
  sessionState(peerAddress: string): string;
  /** Originate one more prefix. */
  announce(prefix: string): Promise<void>;
  /** Stop originating a prefix (sends a withdrawal). */
  withdraw(prefix: string): Promise<void>;
  /** Administrative shutdown of one session: Cease/2 with an RFC 9003 shutdown communication. */
  shutdownPeer(peerAddress: string, message: string): void;
  /** Undo shutdownPeer. */
  enablePeer(peerAddress: string): void;
  /** Ask the neighbor to resend its routes (BIRD and FRR send ROUTE-REFRESH, RFC 2918; GoBGP does not). */
  refreshPeer(peerAddress: string): void;
  /** SIGTERM and wait (a daemon says goodbye to its peers). */
  stop(): Promise<void>;
  /** stop() then start again with the same config and paths. */
  restart(): Promise<void>;
  /** SIGKILL: sessions drop without a NOTIFICATION. */
  kill(): Promise<void>;
  /** The tails of its logs, for error messages. */
  describeLogs(lines?: number): string;
}

export const familyOf = (prefix: string): Family => (prefix.includes(':') ? 'ipv6' : 'ipv4');
export const familiesOf = (n: NeighborSpec): readonly Family[] => n.families ?? ['ipv4', 'ipv6'];

/** The last label of a lab namespace (`w1a2b-bird` -> `bird`), for names that must stay short. */
export const nsTag = (ns: string): string => ns.slice(ns.lastIndexOf('-') + 1);

/** Starts a process and waits until `ready()` holds; fails fast, with logs, if it exits first. */
export async function spawnReady(
  lab: Lab,
  args: { ns: string; cmd: string; argv: readonly string[]; logFile: string; name: string; logs: readonly string[] },
  ready: () => boolean,
  timeoutMs = 15_000,
): Promise<LabProcess> {
  const p = lab.spawn(args.ns, args.cmd, args.argv, { logFile: args.logFile, name: args.name });
  try {
    await waitFor(
      () => {
        if (!p.running) throw new Error(`${args.name} exited (${p.status}) before it was ready`);
        return ready();
      },
      { what: `${args.name} to accept commands`, timeoutMs, intervalMs: 50 },
    );
  } catch (err) {
    await p.stop(1000).catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${describeLogs(args.logs)}`);
  }
  return p;
}

/** Waits for a session to reach Established; the error carries the daemon's log tails. */
export async function waitEstablished(d: BgpDaemon, peerAddress: string, timeoutMs = 30_000): Promise<void> {
  try {
    await waitFor(() => d.sessionState(peerAddress) === 'Established', {
      what: `${d.kind} in ${d.spec.ns}: session with ${peerAddress} Established`,
      timeoutMs,
      intervalMs: 200,
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${d.describeLogs()}`);
  }
}

/** Waits until `d` has learned `prefix` (and `match` holds for it); returns the route. */
export async function waitRoute(
  d: BgpDaemon,
  prefix: string,
  opts: { timeoutMs?: number; match?: (r: LearnedRoute) => boolean } = {},
): Promise<LearnedRoute> {
  try {
    return await waitFor(() => d.routes(familyOf(prefix)).find((r) => r.prefix === prefix && (opts.match?.(r) ?? true)), {
      what: `${d.kind} in ${d.spec.ns} to learn ${prefix}`,
      timeoutMs: opts.timeoutMs ?? 20_000,
      intervalMs: 200,
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${d.describeLogs()}`);
  }
}

/** Waits until `d` no longer has a learned route for `prefix`. */
export async function waitNoRoute(d: BgpDaemon, prefix: string, timeoutMs = 20_000): Promise<void> {
  try {
    await waitFor(() => !d.routes(familyOf(prefix)).some((r) => r.prefix === prefix), {
      what: `${d.kind} in ${d.spec.ns} to drop ${prefix}`,
      timeoutMs,
      intervalMs: 200,
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${d.describeLogs()}`);
  }
}

/** Every number in an AS path string ("65001 {65011,65012}" -> [65001, 65011, 65012]). */
export const asnsIn = (path: string): number[] => [...path.matchAll(/\d+/g)].map((m) => Number(m[0]));

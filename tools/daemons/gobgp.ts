/**
 * GoBGP 3 driver: `gobgpd -f DIR/gobgpd.toml -t toml --api-hosts 127.0.0.1:50051 --pprof-disable`
 * inside the namespace (127.0.0.1 is the namespace's own loopback, so every instance can use the
 * same port), driven with `ip netns exec NS gobgp -p 50051 ...`.
 *
 * gobgpd runs under `unshare --uts` with its own hostname, because it puts the host name into its
 * FQDN capability and captured OPENs should not depend on the machine. GoBGP has no static routes
 * in its config and no FIB: originated prefixes are added with `gobgp global rib add` once the API
 * answers, and `kernel: true` is refused. Over an IPv4 session GoBGP would announce IPv6 routes
 * with an IPv4-mapped next hop; a neighbor's `ipv6NextHop` becomes a `set-next-hop` export policy.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  familiesOf,
  familyOf,
  nsTag,
  spawnReady,
  type BgpDaemon,
  type DaemonSpec,
  type Family,
  type LearnedRoute,
  type RouteAttributes,
} from './daemon.js';
import { describeLogs } from '../kit/files.js';
import { exec, tryExec, type Lab, type LabProcess } from '../kit/netns.js';

export const GOBGP_API_PORT = 50051;

export interface GobgpPaths {
  readonly dir: string;
  readonly config: string;
  readonly log: string;
}

const str = (s: string): string => JSON.stringify(s); // TOML basic strings accept JSON escapes

/** gobgpd.toml for a spec (pure; exported for tests and for reading). */
export function gobgpConfig(spec: DaemonSpec): string {
  const out: string[] = ['[global.config]', `  as = ${spec.asn}`, `  router-id = ${str(spec.routerId)}`, '  port = 179'];
  const nh6 = spec.neighbors.map((n, i) => ({ n, i })).filter(({ n }) => n.ipv6NextHop !== undefined && familiesOf(n).includes('ipv6'));
  if (nh6.length > 0) {
    out.push('[global.apply-policy.config]', '  export-policy-list = ["ipv6-next-hop"]', '  default-export-policy = "accept-route"');
    for (const { n, i } of nh6) {
      out.push('[[defined-sets.neighbor-sets]]', `  neighbor-set-name = "n${i}"`, `  neighbor-info-list = [${str(n.address)}]`);
    }
    out.push('[[policy-definitions]]', '  name = "ipv6-next-hop"');
    for (const { n, i } of nh6) {
      out.push(
        '  [[policy-definitions.statements]]',
        `    name = "n${i}"`,
        '    [policy-definitions.statements.conditions.match-neighbor-set]',
        `      neighbor-set = "n${i}"`,
        '    [policy-definitions.statements.conditions.bgp-conditions]',
        '      afi-safi-in-list = ["ipv6-unicast"]',
        '    [policy-definitions.statements.actions]',
        '      route-disposition = "accept-route"',
        '    [policy-definitions.statements.actions.bgp-actions]',
        `      set-next-hop = ${str(n.ipv6NextHop ?? '')}`,
      );
    }
  }
  for (const n of spec.neighbors) {
    if (n.exportAttrs !== undefined) throw new Error('gobgp driver: exportAttrs is not supported; use originateAttrs');
    if (n.as4 === false || n.extendedMessage) throw new Error('gobgp driver: as4/extendedMessage cannot be changed');
    out.push('[[neighbors]]', '  [neighbors.config]', `    neighbor-address = ${str(n.address)}`, `    peer-as = ${n.asn}`);
    if (n.password !== undefined) out.push(`    auth-password = ${str(n.password)}`);
    // Fast (re)connects: GoBGP waits 30 s in Idle after a reset by default.
    out.push('  [neighbors.timers.config]', '    connect-retry = 1', '    idle-hold-time-after-reset = 1');
    if (spec.holdTime !== undefined) out.push(`    hold-time = ${spec.holdTime}`, `    keepalive-interval = ${Math.max(1, Math.floor(spec.holdTime / 3))}`);
    if (n.passive || n.localAddress !== undefined) {
      out.push('  [neighbors.transport.config]');
      if (n.passive) out.push('    passive-mode = true');
      if (n.localAddress !== undefined) out.push(`    local-address = ${str(n.localAddress)}`);
    }
    if (n.multihop !== undefined && n.multihop !== false) {
      out.push('  [neighbors.ebgp-multihop.config]', '    enabled = true', `    multihop-ttl = ${n.multihop === true ? 255 : n.multihop}`);
    }
    if (n.rrClient) {
      out.push('  [neighbors.route-reflector.config]', '    route-reflector-client = true', `    route-reflector-cluster-id = ${str(spec.routerId)}`);
    }
    if (spec.gracefulRestart) {
      out.push('  [neighbors.graceful-restart.config]', '    enabled = true', '    restart-time = 120');
      if (spec.gracefulNotification) out.push('    notification-enabled = true');
    }
    for (const f of familiesOf(n)) {
      out.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', `      afi-safi-name = "${f}-unicast"`);
      if (spec.gracefulRestart) out.push('    [neighbors.afi-safis.mp-graceful-restart.config]', '      enabled = true');
      if (n.addPath !== undefined) {
        out.push('    [neighbors.afi-safis.add-paths.config]');
        if (n.addPath !== 'tx') out.push('      receive = true');
        if (n.addPath !== 'rx') out.push('      send-max = 8');
      }
    }
  }
  return `${out.join('\n')}\n`;
}

/** `gobgp global rib add` words for attributes on an originated route. */
export function gobgpAttrArgs(a: RouteAttributes | undefined): string[] {
  const out = ['origin', 'igp'];
  if (!a) return out;
  if (a.asPath?.length) out.push('aspath', a.asPath.join(' '));
  if (a.med !== undefined) out.push('med', String(a.med));
  if (a.localPref !== undefined) out.push('local-pref', String(a.localPref));
  if (a.communities?.length) out.push('community', a.communities.join(','));
  if (a.largeCommunities?.length) out.push('large-community', a.largeCommunities.join(','));
  if (a.extCommunities?.length) out.push('rt', ...a.extCommunities);
  return out;
}

interface GobgpAttr {
  readonly type: number;
  readonly value?: unknown;
  readonly nexthop?: string;
  readonly metric?: number;
  readonly as_paths?: readonly { readonly asns?: readonly number[] }[];
  readonly communities?: readonly number[];
}
interface GobgpPath {
  readonly best?: boolean;
  readonly attrs?: readonly GobgpAttr[];
  readonly 'neighbor-ip'?: string;
}

/** Learned best routes from `gobgp global rib -a <afi> -j`. */
export function parseGobgpRib(json: string): LearnedRoute[] {
  const t = JSON.parse(json.trim() === '' ? '{}' : json) as Record<string, readonly GobgpPath[]>;
  const out: LearnedRoute[] = [];
  for (const [prefix, paths] of Object.entries(t)) {
    const p = paths.find((x) => x.best);
    if (!p?.['neighbor-ip']) continue;
    const attr = (type: number): GobgpAttr | undefined => p.attrs?.find((a) => a.type === type);
    const comms = (attr(8)?.communities ?? []).map((c) => `${Math.floor(c / 65536)}:${c % 65536}`);
    const largeRaw = attr(32)?.value;
    const large = Array.isArray(largeRaw)
      ? (largeRaw as readonly { ASN?: number; LocalData1?: number; LocalData2?: number }[]).map((l) => `${l.ASN}:${l.LocalData1}:${l.LocalData2}`)
      : [];
    const lp = attr(5)?.value;
    const med = attr(4)?.metric;
    out.push({
      prefix,
      nextHop: attr(3)?.nexthop ?? attr(14)?.nexthop ?? '',
      asPath: (attr(2)?.as_paths ?? []).flatMap((s) => s.asns ?? []),
      ...(comms.length > 0 ? { communities: comms } : {}),
      ...(large.length > 0 ? { largeCommunities: large } : {}),
      ...(med === undefined ? {} : { med }),
      ...(typeof lp === 'number' ? { localPref: lp } : {}),
    });
  }
  return out;
}

/** GoBGP's session_state enum (api/gobgp.proto PeerState.SessionState) in RFC 4271 words. */
const SESSION_STATES = ['Unknown', 'Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'] as const;

export function parseGobgpSessionState(json: string): string {
  const j = JSON.parse(json) as { state?: { session_state?: number | string } };
  const s = j.state?.session_state;
  if (typeof s === 'number') return SESSION_STATES[s] ?? `state ${s}`;
  if (typeof s === 'string') return SESSION_STATES.find((x) => x.toLowerCase() === s.toLowerCase()) ?? s;
  return 'Idle';
}

export class GobgpDaemon implements BgpDaemon {
  readonly kind = 'gobgp';
  readonly spec: DaemonSpec;
  readonly paths: GobgpPaths;
  readonly #lab: Lab;
  #originate: string[];
  #proc: LabProcess | undefined;

  /** PID of gobgpd (e.g. to SIGSTOP it in a test). */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  get processes(): readonly LabProcess[] {
    return this.#proc ? [this.#proc] : [];
  }

  constructor(lab: Lab, spec: DaemonSpec) {
    if (spec.kernel) throw new Error('gobgp driver: GoBGP has no FIB programming (kernel: true is not possible)');
    if (spec.aggregates?.length) throw new Error('gobgp driver: GoBGP does not aggregate');
    this.#lab = lab;
    this.spec = spec;
    this.#originate = [...spec.originate];
    const dir = join(lab.dir, spec.name ?? `gobgp-${nsTag(spec.ns)}`);
    exec(null, 'mkdir', ['-p', dir]);
    this.paths = { dir, config: join(dir, 'gobgpd.toml'), log: join(dir, 'gobgpd.log') };
  }

  get dir(): string {
    return this.paths.dir;
  }

  get logFiles(): readonly string[] {
    return [this.paths.log];
  }

  async start(): Promise<void> {
    writeFileSync(this.paths.config, gobgpConfig(this.spec));
    const daemon = ['gobgpd', '-f', this.paths.config, '-t', 'toml', '--api-hosts', `127.0.0.1:${GOBGP_API_PORT}`, '--pprof-disable', ...(this.spec.quietLogs ? ['-l', 'warn'] : [])];
    const host = this.spec.hostname ?? 'gobgp';
    if (!/^[a-z0-9.-]+$/i.test(host)) throw new Error(`bad hostname ${host}`);
    this.#proc = await spawnReady(
      this.#lab,
      {
        ns: this.spec.ns,
        cmd: 'unshare',
        argv: ['--uts', 'sh', '-c', `hostname ${host} && exec ${daemon.map((w) => `'${w}'`).join(' ')}`],
        logFile: this.paths.log,
        name: `gobgpd in ${this.spec.ns}`,
        logs: this.logFiles,
      },
      () => tryExec(this.spec.ns, 'gobgp', ['-p', String(GOBGP_API_PORT), 'global']).status === 0,
    );
    for (const p of this.#originate) this.#ribAdd(p);
  }

  /** Runs `gobgp -p PORT args...` inside the namespace; throws with its output. */
  gobgp(...args: string[]): string {
    return exec(this.spec.ns, 'gobgp', ['-p', String(GOBGP_API_PORT), ...args], { timeoutMs: 10_000 });
  }

  routes(family: Family): LearnedRoute[] {
    return parseGobgpRib(this.gobgp('global', 'rib', '-a', family, '-j'));
  }

  sessionState(peerAddress: string): string {
    return parseGobgpSessionState(this.gobgp('neighbor', peerAddress, '-j'));
  }

  announce(prefix: string): Promise<void> {
    this.#ribAdd(prefix);
    if (!this.#originate.includes(prefix)) this.#originate.push(prefix);
    return Promise.resolve();
  }

  withdraw(prefix: string): Promise<void> {
    this.gobgp('global', 'rib', '-a', familyOf(prefix), 'del', prefix);
    this.#originate = this.#originate.filter((p) => p !== prefix);
    return Promise.resolve();
  }

  /** `shutdown` (deprecated in favour of `disable`, which sends no shutdown communication). */
  shutdownPeer(peerAddress: string, message: string): void {
    this.gobgp('neighbor', peerAddress, 'shutdown', '--reason', message);
  }

  enablePeer(peerAddress: string): void {
    this.gobgp('neighbor', peerAddress, 'enable');
  }

  /**
   * `softresetin`. GoBGP 3 keeps an Adj-RIB-In, so this re-applies import policy and sends NO
   * ROUTE-REFRESH; GoBGP only answers ROUTE-REFRESH messages from its peers.
   */
  refreshPeer(peerAddress: string): void {
    this.gobgp('neighbor', peerAddress, 'softresetin');
  }

  async stop(): Promise<void> {
    await this.#proc?.stop(5000);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async kill(): Promise<void> {
    await this.#proc?.stop(0, 'SIGKILL');
  }

  describeLogs(lines = 25): string {
    return describeLogs(this.logFiles, lines);
  }

  #ribAdd(prefix: string): void {
    this.gobgp('global', 'rib', '-a', familyOf(prefix), 'add', prefix, ...gobgpAttrArgs(this.spec.originateAttrs));
  }
}

/** Starts gobgpd in spec.ns, waits for its API, adds the originated prefixes. */
export async function startGobgp(lab: Lab, spec: DaemonSpec): Promise<GobgpDaemon> {
  const d = new GobgpDaemon(lab, spec);
  await d.start();
  return d;
}

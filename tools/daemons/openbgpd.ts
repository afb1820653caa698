/**
 * OpenBGPD driver (Debian's `openbgpd`, the portable OpenBGPD 7.7): `bgpd -d -f DIR/bgpd.conf`
 * inside the namespace, with the control socket set in the config (`socket "DIR/bgpd.sock"`: in
 * 7.7 the socket is a config statement, not a bgpd flag), driven with `bgpctl -s DIR/bgpd.sock`
 * (`-j` for JSON). `-d` keeps it in the foreground logging to stderr, which goes to DIR/bgpd.log;
 * the PID the lab tracks is the parent process, whose SIGTERM ends the session, route decision and
 * RTR engines too (they run as `_openbgpd`, chrooted to its home `/run/openbgpd`, which the
 * package's systemd unit would create: the driver creates it when missing).
 *
 * The config follows the shared DaemonSpec: `network` statements for originated prefixes (with
 * `set { ... }` for originateAttrs), one `neighbor` block per neighbor announcing the families it
 * carries, and `allow from any` / `allow to any` (OpenBGPD filters everything out otherwise).
 * `fib-update no`: the portable build has no FIB support worth testing here (`kernel: true` is
 * refused), nor aggregation.
 *
 * IPv6 routes over an IPv4 session: OpenBGPD 7.7 on Linux puts `::1` in the IPv6 next hop (it finds
 * no IPv6 address of its own for the session), and `set nexthop` in an outbound filter did not
 * change that in our tries, so `ipv6NextHop` is refused rather than silently ignored.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { familiesOf, familyOf, nsTag, spawnReady, type BgpDaemon, type DaemonSpec, type Family, type LearnedRoute, type RouteAttributes } from './daemon.js';
import { describeLogs } from '../kit/files.js';
import { exec, tryExec, type Lab, type LabProcess } from '../kit/netns.js';

/** OpenBGPD's chroot (the `_openbgpd` user's home); normally made by its systemd unit. */
export const OPENBGPD_RUN_DIR = '/run/openbgpd';

export interface OpenbgpdPaths {
  readonly dir: string;
  readonly config: string;
  readonly socket: string;
  /** stderr/stdout of `bgpd -d`: its whole log. */
  readonly log: string;
}

const quote = (s: string): string => {
  if (/["\\\n]/.test(s)) throw new Error(`openbgpd driver: cannot quote ${JSON.stringify(s)}`);
  return `"${s}"`;
};

/** `set { ... }` for attributes, or '' when there are none. */
export function openbgpdSet(a: RouteAttributes | undefined): string {
  if (!a) return '';
  if (a.asPath?.length) throw new Error('openbgpd driver: asPath is not supported (OpenBGPD only prepends its own or the neighbor AS)');
  const items: string[] = [];
  if (a.med !== undefined) items.push(`med ${a.med}`);
  if (a.localPref !== undefined) items.push(`localpref ${a.localPref}`);
  for (const c of a.communities ?? []) items.push(`community ${c}`);
  for (const c of a.largeCommunities ?? []) items.push(`large-community ${c}`);
  for (const c of a.extCommunities ?? []) items.push(`ext-community rt ${c}`);
  return items.length === 0 ? '' : ` set { ${items.join(' ')} }`;
}

/** bgpd.conf for a spec (pure; exported for tests and for reading). */
export function openbgpdConfig(spec: DaemonSpec, paths: Pick<OpenbgpdPaths, 'socket'>, originate: readonly string[] = spec.originate): string {
  if (spec.kernel) throw new Error('openbgpd driver: kernel: true is not supported (fib-update no)');
  if (spec.aggregates?.length) throw new Error('openbgpd driver: aggregates are not supported');
  const out: string[] = [`AS ${spec.asn}`, `router-id ${spec.routerId}`, `socket ${quote(paths.socket)}`, 'fib-update no'];
  if (spec.holdTime !== undefined) out.push(`holdtime ${spec.holdTime}`);
  const set = openbgpdSet(spec.originateAttrs);
  for (const p of originate) out.push(`network ${p}${set}`);
  const filters: string[] = [];
  for (const n of spec.neighbors) {
    if (n.ipv6NextHop !== undefined) throw new Error('openbgpd driver: ipv6NextHop is not supported (OpenBGPD 7.7 on Linux sends ::1, see the header)');
    if (n.extendedMessage || n.ttlSecurity !== undefined || n.extendedNextHop) throw new Error('openbgpd driver: extendedMessage, ttlSecurity and extendedNextHop are not supported');
    const body: string[] = [`remote-as ${n.asn}`];
    if (n.passive) body.push('passive');
    if (n.localAddress !== undefined) body.push(`local-address ${n.localAddress}`);
    if (n.multihop !== undefined && n.multihop !== false) body.push(`multihop ${n.multihop === true ? 255 : n.multihop}`);
    if (n.password !== undefined) body.push(`tcp md5sig password ${n.password}`);
    if (n.rrClient) body.push('route-reflector');
    if (n.as4 === false) body.push('announce as-4byte no');
    body.push(spec.gracefulRestart ? 'announce restart yes' : 'announce restart no');
    const fam = familiesOf(n);
    body.push(`announce IPv4 ${fam.includes('ipv4') ? 'unicast' : 'none'}`, `announce IPv6 ${fam.includes('ipv6') ? 'unicast' : 'none'}`);
    out.push(`neighbor ${n.address} {`, ...body.map((l) => `\t${l}`), '}');
    const exportSet = openbgpdSet(n.exportAttrs);
    if (exportSet !== '') filters.push(`match to ${n.address}${exportSet}`);
  }
  out.push('allow from any', 'allow to any', ...filters);
  return `${out.join('\n')}\n`;
}

interface OpenbgpdRibEntry {
  readonly prefix: string;
  readonly aspath?: string;
  readonly exit_nexthop?: string;
  readonly neighbor?: { readonly description?: string; readonly remote_addr?: string };
  readonly best?: boolean;
  readonly source?: string;
  readonly metric?: number;
  readonly localpref?: number;
  readonly communities?: readonly string[];
  readonly large_communities?: readonly string[];
}

/** Learned best routes from `bgpctl -j show rib` (locally announced ones, neighbor "LOCAL", left out). */
export function parseOpenbgpdRib(json: string, family: Family): LearnedRoute[] {
  const t = JSON.parse(json.trim() === '' ? '{}' : json) as { rib?: readonly OpenbgpdRibEntry[] };
  const out: LearnedRoute[] = [];
  for (const r of t.rib ?? []) {
    if (r.best !== true || r.neighbor?.description === 'LOCAL' || familyOf(r.prefix) !== family) continue;
    out.push({
      prefix: r.prefix,
      nextHop: r.exit_nexthop ?? '',
      asPath: [...(r.aspath ?? '').matchAll(/\d+/g)].map((m) => Number(m[0])),
      ...(r.communities?.length ? { communities: [...r.communities] } : {}),
      ...(r.large_communities?.length ? { largeCommunities: [...r.large_communities] } : {}),
      ...(r.metric !== undefined && r.metric !== 0 ? { med: r.metric } : {}),
      ...(r.localpref !== undefined ? { localPref: r.localpref } : {}),
    });
  }
  return out;
}

/** The fields of `bgpctl -j show neighbor ADDR` the driver and tests read. */
export interface OpenbgpdNeighbor {
  readonly state?: string;
  readonly last_updown_sec?: number;
  readonly stats?: {
    readonly prefixes?: { readonly sent?: number; readonly received?: number };
    readonly message?: {
      readonly sent?: { readonly updates?: number; readonly route_refresh?: number; readonly open?: number };
      readonly received?: { readonly updates?: number; readonly route_refresh?: number; readonly open?: number };
    };
  };
}

export class OpenbgpdDaemon implements BgpDaemon {
  readonly kind = 'openbgpd';
  readonly spec: DaemonSpec;
  readonly paths: OpenbgpdPaths;
  readonly #lab: Lab;
  #originate: string[];
  #proc: LabProcess | undefined;

  /** PID of the bgpd parent process. */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  get processes(): readonly LabProcess[] {
    return this.#proc ? [this.#proc] : [];
  }

  constructor(lab: Lab, spec: DaemonSpec) {
    this.#lab = lab;
    this.spec = spec;
    this.#originate = [...spec.originate];
    const dir = join(lab.dir, spec.name ?? `openbgpd-${nsTag(spec.ns)}`);
    exec(null, 'mkdir', ['-p', dir]);
    this.paths = { dir, config: join(dir, 'bgpd.conf'), socket: join(dir, 'bgpd.sock'), log: join(dir, 'bgpd.log') };
  }

  get dir(): string {
    return this.paths.dir;
  }

  get logFiles(): readonly string[] {
    return [this.paths.log];
  }

  async start(): Promise<void> {
    writeFileSync(this.paths.config, openbgpdConfig(this.spec, this.paths, this.#originate));
    exec(null, 'bgpd', ['-n', '-f', this.paths.config]); // config check: an error names its line
    if (!existsSync(OPENBGPD_RUN_DIR)) mkdirSync(OPENBGPD_RUN_DIR, { mode: 0o755 });
    this.#proc = await spawnReady(
      this.#lab,
      { ns: this.spec.ns, cmd: 'bgpd', argv: ['-d', '-f', this.paths.config], logFile: this.paths.log, name: `bgpd in ${this.spec.ns}`, logs: this.logFiles },
      () => existsSync(this.paths.socket) && tryExec(null, 'bgpctl', ['-s', this.paths.socket, 'show']).status === 0,
    );
  }

  /** Runs `bgpctl -s SOCK args...`; throws with its output. */
  bgpctl(...args: string[]): string {
    return exec(null, 'bgpctl', ['-s', this.paths.socket, ...args], { timeoutMs: 10_000 });
  }

  /** `bgpctl -j show neighbor ADDR`. */
  neighbor(address: string): OpenbgpdNeighbor {
    const j = JSON.parse(this.bgpctl('-j', 'show', 'neighbor', address)) as { neighbors?: readonly OpenbgpdNeighbor[] };
    return j.neighbors?.[0] ?? {};
  }

  routes(family: Family): LearnedRoute[] {
    return parseOpenbgpdRib(this.bgpctl('-j', 'show', 'rib'), family);
  }

  sessionState(peerAddress: string): string {
    return this.neighbor(peerAddress).state ?? 'unknown';
  }

  /** `bgpctl network add`: announced at once, and kept in the config for a restart. */
  announce(prefix: string): Promise<void> {
    this.bgpctl('network', 'add', prefix);
    if (!this.#originate.includes(prefix)) this.#originate.push(prefix);
    return Promise.resolve();
  }

  withdraw(prefix: string): Promise<void> {
    this.bgpctl('network', 'delete', prefix);
    this.#originate = this.#originate.filter((p) => p !== prefix);
    return Promise.resolve();
  }

  /** `bgpctl neighbor ADDR down "reason"`: Cease/2 with the RFC 9003 communication. */
  shutdownPeer(peerAddress: string, message: string): void {
    this.bgpctl('neighbor', peerAddress, 'down', message);
  }

  enablePeer(peerAddress: string): void {
    this.bgpctl('neighbor', peerAddress, 'up');
  }

  /** `bgpctl neighbor ADDR refresh`: sends ROUTE-REFRESH. */
  refreshPeer(peerAddress: string): void {
    this.bgpctl('neighbor', peerAddress, 'refresh');
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
}

/** Starts OpenBGPD in spec.ns and waits for its control socket. */
export async function startOpenbgpd(lab: Lab, spec: DaemonSpec): Promise<OpenbgpdDaemon> {
  const d = new OpenbgpdDaemon(lab, spec);
  await d.start();
  return d;
}

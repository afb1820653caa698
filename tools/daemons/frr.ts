/**
 * FRR 8 driver: a private zebra + bgpd pair per namespace (and bfdd when a neighbor has `bfd`), every
 * path under the lab directory:
 *
 *   zebra -u frr -g frr -f DIR/zebra.conf -i DIR/zebra.pid -z DIR/zserv.api --vty_socket DIR -P 0 --log file:DIR/zebra.log
 *   bfdd  -u frr -g frr -f DIR/bfdd.conf  -i DIR/bfdd.pid  -z DIR/zserv.api --vty_socket DIR -P 0 --log file:DIR/bfdd.log --bfdctl DIR/bfdd.sock
 *   bgpd  -u frr -g frr -f DIR/bgpd.conf  -i DIR/bgpd.pid  -z DIR/zserv.api --vty_socket DIR -P 0 --log file:DIR/bgpd.log [-n]
 *   vtysh --vty_socket DIR -d bgpd -c '...'
 *
 * `-u frr -g frr`: FRR refuses to start as root unless the user is in the `frrvty` group, so the
 * daemons run as `frr` (which is) and the directory is handed to that user. `-z` gives each
 * instance its own zebra API socket, `--vty_socket` its own vty sockets, `-i` its own pid file,
 * `-P 0` turns the TCP vty off. zebra always runs (bgpd learns interface addresses, and so its IPv6
 * next hops, from it); `kernel: false` starts bgpd with `-n` so nothing is installed in the FIB.
 * Originated prefixes are `network` statements with `no bgp network import-check`.
 *
 * BFD: bfdd is a daemon of its own; bgpd asks it (through zebra) for a session per neighbor with
 * `neighbor X bfd` and `neighbor X bfd profile nI`, the profile (intervals, multiplier) being in
 * bfdd.conf. `bfd.graceful` adds `neighbor X bfd check-control-plane-failure`.
 */
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  asnsIn,
  familiesOf,
  familyOf,
  nsTag,
  spawnReady,
  type BgpDaemon,
  type DaemonSpec,
  type Family,
  type LearnedRoute,
  type NeighborSpec,
  type RouteAttributes,
} from './daemon.js';
import { describeLogs } from '../kit/files.js';
import { exec, tryExec, type Lab, type LabProcess } from '../kit/netns.js';
import { waitFor } from '../kit/wait.js';

export const FRR_BIN = '/usr/lib/frr';
/** The unprivileged user FRR's packages create; it is in the frrvty group FRR checks for. */
const FRR_USER = 'frr';

export interface FrrPaths {
  readonly dir: string;
  readonly zebraConfig: string;
  readonly bgpdConfig: string;
  readonly zserv: string;
  readonly zebraPid: string;
  readonly bgpdPid: string;
  readonly zebraLog: string;
  readonly bgpdLog: string;
  readonly zebraOut: string;
  readonly bgpdOut: string;
  readonly bfddConfig: string;
  readonly bfddPid: string;
  readonly bfddLog: string;
  readonly bfddOut: string;
  readonly bfdctl: string;
}

const ORIGINATE_MAP = 'ORIGINATE';
/** The bfdd profile of neighbor i. */
export const bfdProfile = (i: number): string => `n${i}`;

/** bfdd.conf for a spec: one profile per neighbor with `bfd` (pure; exported for tests). */
export function frrBfddConfig(spec: DaemonSpec): string {
  const out: string[] = [`hostname ${spec.hostname ?? 'frr'}`, '!', 'bfd'];
  spec.neighbors.forEach((n, i) => {
    if (!n.bfd) return;
    out.push(` profile ${bfdProfile(i)}`);
    if (n.bfd.multiplier !== undefined) out.push(`  detect-multiplier ${n.bfd.multiplier}`);
    if (n.bfd.minRx !== undefined) out.push(`  receive-interval ${n.bfd.minRx}`);
    if (n.bfd.minTx !== undefined) out.push(`  transmit-interval ${n.bfd.minTx}`);
    out.push(' exit', ' !');
  });
  out.push('exit', '!');
  return `${out.join('\n')}\n`;
}
const exportMap = (i: number, f: Family): string => `EXPORT-${i}-${f}`;

/** `set` lines of a route-map that put `a` on a route. */
export function frrSetLines(a: RouteAttributes | undefined): string[] {
  if (!a) return [];
  const out: string[] = [];
  if (a.med !== undefined) out.push(` set metric ${a.med}`);
  if (a.localPref !== undefined) out.push(` set local-preference ${a.localPref}`);
  if (a.communities?.length) out.push(` set community ${a.communities.join(' ')} additive`);
  if (a.largeCommunities?.length) out.push(` set large-community ${a.largeCommunities.join(' ')} additive`);
  if (a.extCommunities?.length) out.push(` set extcommunity rt ${a.extCommunities.join(' ')}`);
  if (a.asPath?.length) out.push(` set as-path prepend ${a.asPath.join(' ')}`);
  return out;
}

function neighborExportLines(n: NeighborSpec, f: Family): string[] {
  const lines = frrSetLines(n.exportAttrs);
  if (f === 'ipv6' && n.ipv6NextHop !== undefined) lines.push(` set ipv6 next-hop global ${n.ipv6NextHop}`);
  return lines;
}

/** bgpd.conf for a spec (pure; exported for tests and for reading). */
export function frrBgpdConfig(spec: DaemonSpec, originate: readonly string[] = spec.originate): string {
  const hasOrigAttrs = frrSetLines(spec.originateAttrs).length > 0;
  const out: string[] = ['frr defaults traditional', `hostname ${spec.hostname ?? 'frr'}`, '!', `router bgp ${spec.asn}`];
  out.push(` bgp router-id ${spec.routerId}`, ' no bgp ebgp-requires-policy', ' no bgp default ipv4-unicast', ' no bgp network import-check');
  if (spec.gracefulRestart) out.push(' bgp graceful-restart');
  if (spec.holdTime !== undefined) out.push(` timers bgp ${Math.max(1, Math.floor(spec.holdTime / 3))} ${spec.holdTime}`);
  for (const n of spec.neighbors) {
    if (n.as4 === false) throw new Error('frr: the 4-octet AS capability cannot be turned off (use BIRD for as4 off)');
    const a = n.address;
    out.push(` neighbor ${a} remote-as ${n.asn}`, ` neighbor ${a} timers connect 1`, ` neighbor ${a} advertisement-interval 0`);
    if (n.passive) out.push(` neighbor ${a} passive`);
    if (n.localAddress !== undefined) out.push(` neighbor ${a} update-source ${n.localAddress}`);
    if (n.multihop !== undefined && n.multihop !== false) out.push(` neighbor ${a} ebgp-multihop${n.multihop === true ? '' : ` ${n.multihop}`}`);
    if (n.password !== undefined) out.push(` neighbor ${a} password ${n.password}`);
    if (n.ttlSecurity !== undefined) out.push(` neighbor ${a} ttl-security hops ${n.ttlSecurity}`);
    if (n.extendedNextHop) out.push(` neighbor ${a} capability extended-nexthop`);
  }
  spec.neighbors.forEach((n, i) => {
    if (!n.bfd) return;
    const a = n.address;
    out.push(` neighbor ${a} bfd`, ` neighbor ${a} bfd profile ${bfdProfile(i)}`);
    if (n.bfd.graceful) out.push(` neighbor ${a} bfd check-control-plane-failure`);
  });
  for (const f of ['ipv4', 'ipv6'] as const) {
    out.push(' !', ` address-family ${f} unicast`);
    for (const p of originate.filter((x) => familyOf(x) === f)) out.push(`  network ${p}${hasOrigAttrs ? ` route-map ${ORIGINATE_MAP}` : ''}`);
    for (const g of (spec.aggregates ?? []).filter((x) => familyOf(x.prefix) === f)) {
      out.push(`  aggregate-address ${g.prefix}${g.asSet ? ' as-set' : ''}${g.summaryOnly ? ' summary-only' : ''}`);
    }
    spec.neighbors.forEach((n, i) => {
      if (!familiesOf(n).includes(f)) return;
      out.push(`  neighbor ${n.address} activate`);
      if (n.rrClient) out.push(`  neighbor ${n.address} route-reflector-client`);
      // FRR offers ADD-PATH receive on every session by itself; send is per address family.
      if (n.addPath === 'tx' || n.addPath === 'on') out.push(`  neighbor ${n.address} addpath-tx-all-paths`);
      if (neighborExportLines(n, f).length > 0) out.push(`  neighbor ${n.address} route-map ${exportMap(i, f)} out`);
    });
    out.push(' exit-address-family');
  }
  out.push('exit', '!');
  if (hasOrigAttrs) out.push(`route-map ${ORIGINATE_MAP} permit 10`, ...frrSetLines(spec.originateAttrs), 'exit', '!');
  spec.neighbors.forEach((n, i) => {
    for (const f of ['ipv4', 'ipv6'] as const) {
      const lines = neighborExportLines(n, f);
      if (lines.length > 0) out.push(`route-map ${exportMap(i, f)} permit 10`, ...lines, 'exit', '!');
    }
  });
  return `${out.join('\n')}\n`;
}

interface FrrPath {
  readonly valid?: boolean;
  readonly bestpath?: boolean | { readonly overall?: boolean };
  readonly peerId?: string;
  readonly path?: string;
  readonly aspath?: { readonly string?: string };
  readonly metric?: number;
  readonly locPrf?: number;
  readonly community?: { readonly list?: readonly string[] };
  readonly largeCommunity?: { readonly list?: readonly string[] };
  readonly nexthops?: readonly { readonly ip?: string; readonly scope?: string }[];
  readonly peer?: { readonly peerId?: string };
}

const isBest = (p: FrrPath): boolean => p.bestpath === true || (typeof p.bestpath === 'object' && p.bestpath.overall === true);
const fromPeer = (p: FrrPath): boolean => {
  const id = p.peerId ?? p.peer?.peerId;
  return id !== undefined && id !== '(unspec)' && id !== '0.0.0.0' && id !== '::';
};

/** One learned route from a path of `show bgp <afi> unicast <prefix> json` (the detailed form). */
export function frrPathToRoute(prefix: string, p: FrrPath): LearnedRoute {
  const global = p.nexthops?.find((h) => h.scope !== 'link-local') ?? p.nexthops?.[0];
  const comms = p.community?.list ?? [];
  const large = p.largeCommunity?.list ?? [];
  return {
    prefix,
    nextHop: global?.ip ?? '',
    asPath: asnsIn(p.aspath?.string ?? p.path ?? ''),
    ...(comms.length > 0 ? { communities: [...comms] } : {}),
    ...(large.length > 0 ? { largeCommunities: [...large] } : {}),
    ...(p.metric === undefined ? {} : { med: p.metric }),
    ...(p.locPrf === undefined ? {} : { localPref: p.locPrf }),
  };
}

/** Prefixes whose best path came from a neighbor, from `show bgp <afi> unicast json`. */
export function frrLearnedPrefixes(json: string): string[] {
  const table = JSON.parse(json) as { routes?: Record<string, readonly FrrPath[]> };
  return Object.entries(table.routes ?? {})
    .filter(([, paths]) => paths.some((p) => isBest(p) && fromPeer(p)))
    .map(([prefix]) => prefix);
}

/** True when `show bgp summary json` lists `count` distinct peers (over every address family) and none is Idle. */
export function frrPeersStarted(json: string, count: number): boolean {
  let j: Record<string, { peers?: Record<string, { state?: string }> } | null>;
  try {
    j = JSON.parse(json) as typeof j;
  } catch {
    return false;
  }
  const states = new Map<string, string | undefined>();
  for (const af of Object.values(j)) for (const [address, p] of Object.entries(af?.peers ?? {})) states.set(address, p.state);
  return states.size === count && [...states.values()].every((s) => s !== undefined && s !== 'Idle');
}

export class FrrDaemon implements BgpDaemon {
  readonly kind = 'frr';
  readonly spec: DaemonSpec;
  readonly paths: FrrPaths;
  readonly #lab: Lab;
  #originate: string[];
  #zebra: LabProcess | undefined;
  #bgpd: LabProcess | undefined;
  #bfdd: LabProcess | undefined;

  /** PID of bgpd (e.g. to SIGSTOP it in a test). */
  get pid(): number | undefined {
    return this.#bgpd?.pid;
  }

  /** bgpd, bfdd, then zebra. */
  get processes(): readonly LabProcess[] {
    return [this.#bgpd, this.#bfdd, this.#zebra].filter((p): p is LabProcess => p !== undefined);
  }

  get bgpd(): LabProcess | undefined {
    return this.#bgpd;
  }

  /** bfdd, when a neighbor has `bfd` (e.g. to SIGSTOP it: BFD stops, BGP goes on). */
  get bfdd(): LabProcess | undefined {
    return this.#bfdd;
  }

  get #withBfd(): boolean {
    return this.spec.neighbors.some((n) => n.bfd !== undefined);
  }

  constructor(lab: Lab, spec: DaemonSpec) {
    this.#lab = lab;
    this.spec = spec;
    this.#originate = [...spec.originate];
    const dir = join(lab.dir, spec.name ?? `frr-${nsTag(spec.ns)}`);
    const f = (name: string): string => join(dir, name);
    this.paths = {
      dir,
      zebraConfig: f('zebra.conf'),
      bgpdConfig: f('bgpd.conf'),
      zserv: f('zserv.api'),
      zebraPid: f('zebra.pid'),
      bgpdPid: f('bgpd.pid'),
      zebraLog: f('zebra.log'),
      bgpdLog: f('bgpd.log'),
      zebraOut: f('zebra.out'),
      bgpdOut: f('bgpd.out'),
      bfddConfig: f('bfdd.conf'),
      bfddPid: f('bfdd.pid'),
      bfddLog: f('bfdd.log'),
      bfddOut: f('bfdd.out'),
      bfdctl: f('bfdd.sock'),
    };
    chmodSync(lab.dir, 0o755); // the frr user must reach its directory
    exec(null, 'mkdir', ['-p', dir]);
    exec(null, 'chown', [`${FRR_USER}:${FRR_USER}`, dir]);
  }

  get dir(): string {
    return this.paths.dir;
  }

  get logFiles(): readonly string[] {
    const bfd = this.#withBfd ? [this.paths.bfddLog, this.paths.bfddOut] : [];
    return [this.paths.bgpdLog, this.paths.bgpdOut, ...bfd, this.paths.zebraLog, this.paths.zebraOut];
  }

  async start(): Promise<void> {
    const p = this.paths;
    writeFileSync(p.zebraConfig, `hostname ${this.spec.hostname ?? 'frr'}\n`);
    writeFileSync(p.bgpdConfig, frrBgpdConfig(this.spec, this.#originate));
    exec(null, 'chown', ['-R', `${FRR_USER}:${FRR_USER}`, p.dir]);
    const common = ['-u', FRR_USER, '-g', FRR_USER, '-z', p.zserv, '--vty_socket', p.dir, '-P', '0', ...(this.spec.quietLogs ? ['--log-level', 'warnings'] : [])];
    this.#zebra = await spawnReady(
      this.#lab,
      {
        ns: this.spec.ns,
        cmd: join(FRR_BIN, 'zebra'),
        argv: [...common, '-f', p.zebraConfig, '-i', p.zebraPid, '--log', `file:${p.zebraLog}`],
        logFile: p.zebraOut,
        name: `zebra in ${this.spec.ns}`,
        logs: this.logFiles,
      },
      () => existsSync(p.zserv) && existsSync(join(p.dir, 'zebra.vty')),
    );
    if (this.#withBfd) {
      writeFileSync(p.bfddConfig, frrBfddConfig(this.spec));
      exec(null, 'chown', [`${FRR_USER}:${FRR_USER}`, p.bfddConfig]);
      this.#bfdd = await spawnReady(
        this.#lab,
        {
          ns: this.spec.ns,
          cmd: join(FRR_BIN, 'bfdd'),
          argv: [...common, '-f', p.bfddConfig, '-i', p.bfddPid, '--log', `file:${p.bfddLog}`, '--bfdctl', p.bfdctl],
          logFile: p.bfddOut,
          name: `bfdd in ${this.spec.ns}`,
          logs: this.logFiles,
        },
        () => existsSync(join(p.dir, 'bfdd.vty')),
      );
    }
    this.#bgpd = await spawnReady(
      this.#lab,
      {
        ns: this.spec.ns,
        cmd: join(FRR_BIN, 'bgpd'),
        argv: [...common, '-f', p.bgpdConfig, '-i', p.bgpdPid, '--log', `file:${p.bgpdLog}`, ...(this.spec.kernel ? [] : ['-n'])],
        logFile: p.bgpdOut,
        name: `bgpd in ${this.spec.ns}`,
        logs: this.logFiles,
      },
      () => existsSync(join(p.dir, 'bgpd.vty')) && tryExec(null, 'vtysh', this.#vtyArgs(['show bgp summary json'])).status === 0,
    );
  }

  /**
   * Waits until every neighbor has left Idle: bgpd starts its peers on a timer about a second after
   * startup, and a connection accepted around that moment was seen closed right after Established
   * (the bench, whose speakers connect at once, waits for this).
   */
  async waitPeersStarted(timeoutMs = 30_000): Promise<void> {
    try {
      await waitFor(() => frrPeersStarted(tryExec(null, 'vtysh', this.#vtyArgs(['show bgp summary json']), { timeoutMs: 10_000 }).stdout, this.spec.neighbors.length), {
        what: `bgpd in ${this.spec.ns} to start its ${this.spec.neighbors.length} peers`,
        timeoutMs,
        intervalMs: 50,
      });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.describeLogs()}`);
    }
  }

  /** Runs vtysh commands against this bgpd (each string one `-c`); throws with FRR's answer. */
  vtysh(...commands: string[]): string {
    const r = tryExec(null, 'vtysh', this.#vtyArgs(commands), { timeoutMs: 10_000 });
    // vtysh exits 0 even for some rejected config lines; FRR marks them with '%'.
    if (r.status !== 0 || /^% /m.test(r.stdout)) {
      throw new Error(`vtysh ${commands.map((c) => `-c '${c}'`).join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
    }
    return r.stdout;
  }

  routes(family: Family): LearnedRoute[] {
    const out: LearnedRoute[] = [];
    for (const prefix of frrLearnedPrefixes(this.vtysh(`show bgp ${family} unicast json`))) {
      const detail = JSON.parse(this.vtysh(`show bgp ${family} unicast ${prefix} json`)) as { paths?: readonly FrrPath[] };
      const best = detail.paths?.find(isBest);
      if (best) out.push(frrPathToRoute(prefix, best));
    }
    return out;
  }

  sessionState(peerAddress: string): string {
    const j = JSON.parse(this.vtysh(`show bgp neighbors ${peerAddress} json`)) as Record<string, { bgpState?: string } | undefined>;
    return j[peerAddress]?.bgpState ?? 'Unknown';
  }

  announce(prefix: string): Promise<void> {
    const rm = frrSetLines(this.spec.originateAttrs).length > 0 ? ` route-map ${ORIGINATE_MAP}` : '';
    this.#configure(`address-family ${familyOf(prefix)} unicast`, `network ${prefix}${rm}`);
    if (!this.#originate.includes(prefix)) this.#originate.push(prefix);
    return Promise.resolve();
  }

  withdraw(prefix: string): Promise<void> {
    this.#configure(`address-family ${familyOf(prefix)} unicast`, `no network ${prefix}`);
    this.#originate = this.#originate.filter((p) => p !== prefix);
    return Promise.resolve();
  }

  shutdownPeer(peerAddress: string, message: string): void {
    this.#configure(`neighbor ${peerAddress} shutdown message ${message}`);
  }

  enablePeer(peerAddress: string): void {
    this.#configure(`no neighbor ${peerAddress} shutdown`);
  }

  refreshPeer(peerAddress: string): void {
    this.vtysh(`clear bgp ${peerAddress} soft in`);
  }

  async stop(): Promise<void> {
    await this.#bgpd?.stop(5000);
    await this.#bfdd?.stop(5000);
    await this.#zebra?.stop(5000);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async kill(): Promise<void> {
    await this.#bgpd?.stop(0, 'SIGKILL');
    await this.#bfdd?.stop(0, 'SIGKILL');
    await this.#zebra?.stop(0, 'SIGKILL');
  }

  /** Runs vtysh commands against bfdd; throws with FRR's answer. */
  bfdVtysh(...commands: string[]): string {
    const r = tryExec(null, 'vtysh', ['--vty_socket', this.paths.dir, '-d', 'bfdd', ...commands.flatMap((c) => ['-c', c])], { timeoutMs: 10_000 });
    if (r.status !== 0 || /^% /m.test(r.stdout)) {
      throw new Error(`vtysh -d bfdd ${commands.map((c) => `-c '${c}'`).join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
    }
    return r.stdout;
  }

  /** `show bfd peers json`: bfdd's sessions. */
  bfdPeers(): FrrBfdPeer[] {
    return JSON.parse(this.bfdVtysh('show bfd peers json')) as FrrBfdPeer[];
  }

  /** bfdd's session with `address`, if it has one. */
  bfdPeer(address: string): FrrBfdPeer | undefined {
    return this.bfdPeers().find((p) => p.peer === address);
  }

  /** `show bfd peers counters json`: per session packet and event counters. */
  bfdCounters(): FrrBfdCounters[] {
    return JSON.parse(this.bfdVtysh('show bfd peers counters json')) as FrrBfdCounters[];
  }

  /** Changes neighbor i's bfdd profile in place (bfdd then runs a Poll Sequence). */
  setBfdTimers(i: number, t: { minTx?: number; minRx?: number; multiplier?: number }): void {
    const lines = [
      ...(t.multiplier !== undefined ? [`detect-multiplier ${t.multiplier}`] : []),
      ...(t.minRx !== undefined ? [`receive-interval ${t.minRx}`] : []),
      ...(t.minTx !== undefined ? [`transmit-interval ${t.minTx}`] : []),
    ];
    this.bfdVtysh('configure terminal', 'bfd', `profile ${bfdProfile(i)}`, ...lines, 'end');
  }

  describeLogs(lines = 25): string {
    return describeLogs(this.logFiles, lines);
  }

  #configure(...lines: string[]): void {
    this.vtysh('configure terminal', `router bgp ${this.spec.asn}`, ...lines, 'end');
  }

  #vtyArgs(commands: readonly string[]): string[] {
    return ['--vty_socket', this.paths.dir, '-d', 'bgpd', ...commands.flatMap((c) => ['-c', c])];
  }
}

/** One session of `show bfd peers json` (FRR 8.4; intervals in ms). */
export interface FrrBfdPeer {
  readonly multihop: boolean;
  readonly peer: string;
  readonly local?: string;
  readonly interface?: string;
  readonly id: number;
  readonly 'remote-id': number;
  readonly status: string;
  readonly uptime?: number;
  readonly downtime?: number;
  readonly diagnostic: string;
  readonly 'remote-diagnostic': string;
  readonly 'receive-interval': number;
  readonly 'transmit-interval': number;
  readonly 'detect-multiplier': number;
  readonly 'remote-receive-interval': number;
  readonly 'remote-transmit-interval': number;
  readonly 'remote-detect-multiplier': number;
}

/** One session of `show bfd peers counters json`. */
export interface FrrBfdCounters {
  readonly peer: string;
  readonly 'control-packet-input': number;
  readonly 'control-packet-output': number;
  readonly 'session-up': number;
  readonly 'session-down': number;
  readonly 'zebra-notifications': number;
}

/** Starts zebra and bgpd in spec.ns and waits for bgpd's vty. */
export async function startFrr(lab: Lab, spec: DaemonSpec): Promise<FrrDaemon> {
  const d = new FrrDaemon(lab, spec);
  await d.start();
  return d;
}

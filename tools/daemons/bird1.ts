/**
 * BIRD 1.6 driver, configured the way Calico's calico-node configures it: `bird` (IPv4) and `bird6`
 * (IPv6) are separate daemons in BIRD 1.x, each with its own config, control socket, pid file and
 * logs under the lab directory, driven through `birdc`/`birdc6 -s SOCK`.
 *
 * The binaries come from Debian's `bird` package (1.6.8), which conflicts with `bird2` and is
 * therefore unpacked, not installed: `scripts/setup-bird1.sh` puts it in `.cache/bird1/` of this
 * checkout (`WREN_BIRD1_DIR` overrides).
 *
 * The config follows what calico-node's confd templates render (projectcalico/calico
 * `confd/etc/calico/confd/templates/bird.cfg.template`, `bird_ipam.cfg.template`,
 * `bird_aggr.cfg.template`) for a node in the node-to-node mesh; see `bird1Config` for what is kept
 * and what is left out.
 */
import { existsSync, writeFileSync } from 'node:fs';
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
  type NeighborSpec,
} from './daemon.js';
import { describeLogs } from '../kit/files.js';
import { exec, tryExec, type Lab, type LabProcess } from '../kit/netns.js';
import { parseBirdBgpState, type BirdPaths } from './bird.js';
import { REPO_ROOT } from '../kit/paths.js';

/** Where scripts/setup-bird1.sh unpacks the `bird` package (its `usr/sbin` holds the four programs). */
export const BIRD1_DIR = process.env['WREN_BIRD1_DIR'] ?? join(REPO_ROOT, '.cache', 'bird1');
const SBIN = join(BIRD1_DIR, 'usr', 'sbin');

/** The daemon and client of one family: `bird`/`birdc` for IPv4, `bird6`/`birdc6` for IPv6. */
export const bird1Programs = (family: Family): { readonly daemon: string; readonly client: string } =>
  family === 'ipv4' ? { daemon: join(SBIN, 'bird'), client: join(SBIN, 'birdc') } : { daemon: join(SBIN, 'bird6'), client: join(SBIN, 'birdc6') };

/** Why BIRD 1.6 cannot run here (not unpacked), or null. */
export function bird1MissingReason(): string | null {
  const missing = (['ipv4', 'ipv6'] as const).flatMap((f) => Object.values(bird1Programs(f))).filter((p) => !existsSync(p));
  return missing.length > 0 ? `BIRD 1.6 is not unpacked (missing ${missing.join(', ')}): run scripts/setup-bird1.sh` : null;
}

/** `Mesh_10_0_0_1` for 10.0.0.1, `Mesh_fd00__1` for fd00::1: Calico's protocol name for a mesh peer. */
export const bird1ProtocolName = (address: string): string => `Mesh_${address.replace(/[^0-9a-zA-Z]/g, '_')}`;

const quote = (s: string): string => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/** Numeric order of two addresses of one family (Calico compares them to make the mesh one-way). */
function addressGreater(a: string, b: string): boolean {
  const words = (x: string): number[] => {
    if (!x.includes(':')) return x.split('.').map(Number);
    const [head = '', tail = ''] = x.split('::');
    const h = head === '' ? [] : head.split(':');
    const t = tail === '' ? [] : tail.split(':');
    return [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t].map((w) => parseInt(w, 16));
  };
  const wa = words(a);
  const wb = words(b);
  for (let i = 0; i < Math.max(wa.length, wb.length); i++) {
    const d = (wa[i] ?? 0) - (wb[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return false;
}

function checkNeighbor(n: NeighborSpec, family: Family): void {
  const unsupported: string[] = [];
  if (n.exportAttrs !== undefined) unsupported.push('exportAttrs');
  if (n.as4 === false) unsupported.push('as4: false');
  if (n.extendedMessage) unsupported.push('extendedMessage');
  if (n.ipv6NextHop !== undefined) unsupported.push('ipv6NextHop');
  if (n.ttlSecurity !== undefined) unsupported.push('ttlSecurity');
  if (n.extendedNextHop) unsupported.push('extendedNextHop');
  // Families default to the session's own family here (BIRD 1.x has no MP-BGP across families).
  if (n.families !== undefined && familiesOf(n).some((f) => f !== family)) {
    unsupported.push(`families ${familiesOf(n).join(',')} (BIRD 1.x: an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} session carries ${family} only)`);
  }
  if (unsupported.length > 0) throw new Error(`bird1 driver, neighbor ${n.address}: not supported: ${unsupported.join('; ')}`);
}

/**
 * bird.conf (family ipv4) or bird6.conf (ipv6) for a spec (pure; exported for tests and reading).
 *
 * Kept from Calico's templates (what decides whether routes survive a peer's restart, and how they
 * reach the kernel): `protocol kernel { learn; persist; scan time 2; import all; export filter
 * calico_kernel_programming; graceful restart; merge paths on; }`, `protocol device { scan time 2; }`,
 * `protocol direct` without cali*, the `bgp_template` (local as, multihop, gateway recursive, import
 * all, export filter calico_export_to_bgp_peers, add paths on, graceful restart, connect delay time 1,
 * connect retry time 3, error wait time 5,60) and per peer `protocol bgp Mesh_<ip> from bgp_template
 * { neighbor; source address; passive on when the peer's address is the greater; graceful restart
 * time 120; }`, the node's blocks as blackhole routes of a static protocol, and the export filter's
 * shape (own blocks accepted, everything under them rejected).
 *
 * Left out: `protocol bfd` and `bfd graceful` (no BFD in these labs), `krt_tunnel` in the kernel
 * filter (an attribute of Calico's BIRD fork; these labs use no IPIP/VXLAN, where Calico sets it to
 * ""), the IP pool clauses of the export filter (there is no pool here; routes learned over BGP are
 * accepted instead, which is what the pool clause does for learned pod blocks), communities,
 * `listen bgp port`, `debug all`. Added: a log file, `debug { states, events }` on the sessions
 * (Calico logs states only), `hold time` when the spec sets one, and `rr client` / `password` when a
 * neighbor asks for them.
 */
export function bird1Config(spec: DaemonSpec, family: Family, paths: Pick<BirdPaths, 'log'>, originate: readonly string[] = spec.originate): string {
  const blocks = originate.filter((p) => familyOf(p) === family);
  const neighbors = spec.neighbors.filter((n) => familyOf(n.address) === family);
  for (const n of neighbors) checkNeighbor(n, family);
  const gr = spec.gracefulRestart === true;
  const out: string[] = [
    '# Calico-like BIRD 1.6 configuration (calico-node confd templates), written by tools/daemons/bird1.ts',
    `log ${quote(paths.log)} ${spec.quietLogs ? '{ warning, error, fatal }' : 'all'};`,
    `router id ${spec.routerId};`,
    '',
    '# bird_aggr.cfg: the IP blocks of this host',
    'protocol static {',
    ...blocks.map((b) => `  route ${b} blackhole;`),
    '}',
    '',
    '# bird_aggr.cfg / bird_ipam.cfg: export the blocks, nothing beneath them',
    'function calico_aggr ()',
    '{',
    ...blocks.flatMap((b) => [`  if ( net = ${b} ) then { accept; }`, `  if ( net ~ ${b} ) then { reject; }`]),
    '}',
    'filter calico_export_to_bgp_peers {',
    '  calico_aggr();',
    '  if ( source = RTS_BGP ) then { accept; }',
    '  reject;',
    '}',
    'filter calico_kernel_programming {',
    '  accept;',
    '}',
    '',
  ];
  if (spec.kernel) {
    out.push(
      'protocol kernel {',
      '  learn;             # Learn all alien routes from the kernel',
      "  persist;           # Don't remove routes on bird shutdown",
      `  scan time ${spec.kernelScanTime ?? 2};       # Scan kernel routing table every ${spec.kernelScanTime ?? 2} seconds`,
      '  import all;',
      '  export filter calico_kernel_programming;',
      ...(gr ? ['  graceful restart;'] : []),
      '  merge paths on;    # Allow export multipath routes (ECMP)',
      '}',
      '',
    );
  }
  out.push('protocol device {', '  scan time 2;', '}', '', 'protocol direct {', '  interface -"cali*", -"kube-ipvs*", "*";', '}', '');
  out.push(
    'template bgp bgp_template {',
    '  debug { states, events };',
    '  description "Connection to BGP peer";',
    `  local as ${spec.asn};`,
    '  multihop;',
    '  gateway recursive;',
    '  import all;',
    '  export filter calico_export_to_bgp_peers;',
    '  add paths on;',
    ...(gr ? ['  graceful restart;'] : []),
    '  connect delay time 1;',
    '  connect retry time 3;',
    '  error wait time 5,60;',
    ...(spec.holdTime !== undefined ? [`  hold time ${spec.holdTime};`, `  keepalive time ${Math.max(1, Math.floor(spec.holdTime / 3))};`] : []),
    '}',
  );
  for (const n of neighbors) {
    const source = n.localAddress ?? (family === 'ipv4' ? spec.routerId : undefined);
    // Calico makes the mesh one-way: the node with the greater address connects, the other listens.
    const passive = n.passive ?? (source !== undefined && addressGreater(n.address, source));
    out.push(
      '',
      `protocol bgp ${bird1ProtocolName(n.address)} from bgp_template {`,
      `  neighbor ${n.address} as ${n.asn};`,
      ...(source !== undefined ? [`  source address ${source};`] : []),
      ...(passive ? ['  passive on;'] : []),
      ...(gr ? ['  graceful restart time 120;'] : []),
      ...(n.password !== undefined ? [`  password ${quote(n.password)};`] : []),
      ...(n.rrClient ? ['  rr client;', `  rr cluster id ${spec.routerId};`] : []),
      '}',
    );
  }
  return `${out.join('\n')}\n`;
}

const ROUTE_LINE = /^(\S+)?\s+(?:via\s+(\S+)\s+on\s+\S+|blackhole|unreachable|prohibit|dev\s+\S+|multipath)?.*?\[(\S+)[^\]]*\]\s+(\*)?/;

/**
 * Best BGP routes from BIRD 1.6's `show route all`: a route is a line such as
 * `172.16.0.0/26      via 10.0.0.1 on eth0 [Mesh_10_0_0_1 04:10:00] * (100/0) [i]` (the prefix is left
 * out on the second and later routes of one prefix), followed by indented attribute lines
 * (`\tBGP.as_path: 64512`, `\tBGP.next_hop: 10.0.0.1`, ...).
 */
export function parseBird1Routes(text: string): LearnedRoute[] {
  const out: LearnedRoute[] = [];
  let prefix = '';
  let cur: { prefix: string; primary: boolean; via?: string; attrs: Map<string, string> } | undefined;
  const flush = (): void => {
    if (!cur?.primary) return;
    const path = cur.attrs.get('as_path');
    if (path === undefined) return; // not a BGP route
    const comms = [...(cur.attrs.get('community') ?? '').matchAll(/\((\d+),\s*(\d+)\)/g)].map((m) => `${m[1]}:${m[2]}`);
    const large = [...(cur.attrs.get('large_community') ?? '').matchAll(/\((\d+),\s*(\d+),\s*(\d+)\)/g)].map((m) => `${m[1]}:${m[2]}:${m[3]}`);
    const med = cur.attrs.get('med');
    const lp = cur.attrs.get('local_pref');
    out.push({
      prefix: cur.prefix,
      nextHop: cur.attrs.get('next_hop')?.split(/\s+/)[0] ?? cur.via ?? '',
      asPath: [...path.matchAll(/\d+/g)].map((m) => Number(m[0])),
      ...(comms.length > 0 ? { communities: comms } : {}),
      ...(large.length > 0 ? { largeCommunities: large } : {}),
      ...(med === undefined ? {} : { med: Number(med) }),
      ...(lp === undefined ? {} : { localPref: Number(lp) }),
    });
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('BIRD ') || line.trim() === '') continue;
    const attr = /^\s+BGP\.(\w+):\s*(.*)$/.exec(line);
    if (attr?.[1] !== undefined) {
      cur?.attrs.set(attr[1], attr[2] ?? '');
      continue;
    }
    if (line.startsWith('\t')) continue; // Type: ..., other attributes
    const r = ROUTE_LINE.exec(line);
    if (!r) continue;
    flush();
    if (r[1] !== undefined) prefix = r[1];
    cur = { prefix, primary: r[4] === '*', attrs: new Map(), ...(r[2] !== undefined ? { via: r[2] } : {}) };
  }
  flush();
  return out;
}

interface Bird1Instance {
  readonly family: Family;
  readonly paths: BirdPaths;
  proc?: LabProcess;
}

export class Bird1Daemon implements BgpDaemon {
  readonly kind = 'bird1';
  readonly spec: DaemonSpec;
  readonly #lab: Lab;
  readonly #dir: string;
  /** One per family that has a neighbor or a block: `bird` for IPv4, `bird6` for IPv6. */
  readonly #instances: Bird1Instance[];
  #originate: string[];

  constructor(lab: Lab, spec: DaemonSpec) {
    this.#lab = lab;
    this.spec = spec;
    this.#originate = [...spec.originate];
    this.#dir = join(lab.dir, spec.name ?? `bird1-${nsTag(spec.ns)}`);
    exec(null, 'mkdir', ['-p', this.#dir]);
    const used = (f: Family): boolean => spec.neighbors.some((n) => familyOf(n.address) === f) || spec.originate.some((p) => familyOf(p) === f);
    this.#instances = (['ipv4', 'ipv6'] as const).filter(used).map((family) => {
      const base = family === 'ipv4' ? 'bird' : 'bird6';
      const f = (ext: string): string => join(this.#dir, `${base}.${ext}`);
      return { family, paths: { dir: this.#dir, config: f('conf'), socket: f('ctl'), pidFile: f('pid'), log: f('log'), out: f('out') } };
    });
    // Fail on a spec BIRD 1.6 cannot run before anything starts.
    for (const i of this.#instances) bird1Config(spec, i.family, i.paths);
  }

  get dir(): string {
    return this.#dir;
  }

  get logFiles(): readonly string[] {
    return this.#instances.flatMap((i) => [i.paths.log, i.paths.out]);
  }

  /** Paths of the daemon of one family (`bird` or `bird6`). */
  paths(family: Family): BirdPaths {
    return this.#instance(family).paths;
  }

  /** PID of `bird` (or of `bird6` when there is no IPv4 daemon), e.g. to SIGSTOP it in a test. */
  get pid(): number | undefined {
    return this.#instances[0]?.proc?.pid;
  }

  get processes(): readonly LabProcess[] {
    return this.#instances.flatMap((i) => (i.proc ? [i.proc] : []));
  }

  /** PID of the daemon of one family. */
  pidOf(family: Family): number | undefined {
    return this.#instance(family).proc?.pid;
  }

  async start(): Promise<void> {
    for (const i of this.#instances) {
      const { daemon, client } = bird1Programs(i.family);
      writeFileSync(i.paths.config, bird1Config(this.spec, i.family, i.paths, this.#originate));
      exec(null, daemon, ['-p', '-c', i.paths.config]); // parse check: a config error names its line
      i.proc = await spawnReady(
        this.#lab,
        {
          ns: this.spec.ns,
          cmd: daemon,
          argv: ['-f', '-c', i.paths.config, '-s', i.paths.socket, '-P', i.paths.pidFile],
          logFile: i.paths.out,
          name: `${i.family === 'ipv4' ? 'bird' : 'bird6'} 1.6 in ${this.spec.ns}`,
          logs: this.logFiles,
        },
        () => existsSync(i.paths.socket) && tryExec(null, client, ['-s', i.paths.socket, 'show', 'status']).stdout.includes('up and running'),
      );
    }
  }

  /** Runs a birdc (ipv4) or birdc6 (ipv6) command; throws with BIRD's answer. */
  birdc(family: Family, ...words: string[]): string {
    return exec(null, bird1Programs(family).client, ['-s', this.#instance(family).paths.socket, ...words], { timeoutMs: 10_000 });
  }

  /** The argv of `birdc -s SOCK show route` for one family: what a sampler runs. */
  showRouteArgv(family: Family): string[] {
    return [bird1Programs(family).client, '-s', this.#instance(family).paths.socket, 'show', 'route'];
  }

  routes(family: Family): LearnedRoute[] {
    return parseBird1Routes(this.birdc(family, 'show', 'route', 'all'));
  }

  sessionState(peerAddress: string): string {
    return parseBirdBgpState(this.birdc(familyOf(peerAddress), 'show', 'protocols', 'all', bird1ProtocolName(peerAddress)));
  }

  announce(prefix: string): Promise<void> {
    if (!this.#originate.includes(prefix)) this.#originate.push(prefix);
    this.#reconfigure(familyOf(prefix));
    return Promise.resolve();
  }

  withdraw(prefix: string): Promise<void> {
    this.#originate = this.#originate.filter((p) => p !== prefix);
    this.#reconfigure(familyOf(prefix));
    return Promise.resolve();
  }

  shutdownPeer(peerAddress: string, message: string): void {
    this.birdc(familyOf(peerAddress), 'disable', bird1ProtocolName(peerAddress), quote(message));
  }

  enablePeer(peerAddress: string): void {
    this.birdc(familyOf(peerAddress), 'enable', bird1ProtocolName(peerAddress));
  }

  refreshPeer(peerAddress: string): void {
    this.birdc(familyOf(peerAddress), 'reload', 'in', bird1ProtocolName(peerAddress));
  }

  async stop(): Promise<void> {
    for (const i of this.#instances) await i.proc?.stop(5000);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async kill(): Promise<void> {
    for (const i of this.#instances) await i.proc?.stop(0, 'SIGKILL');
  }

  describeLogs(lines = 25): string {
    return describeLogs(this.logFiles, lines);
  }

  #instance(family: Family): Bird1Instance {
    const i = this.#instances.find((x) => x.family === family);
    if (!i) throw new Error(`bird1 in ${this.spec.ns}: no ${family === 'ipv4' ? 'bird' : 'bird6'} (no ${family} neighbor or block in the spec)`);
    return i;
  }

  #reconfigure(family: Family): void {
    const i = this.#instance(family);
    writeFileSync(i.paths.config, bird1Config(this.spec, family, i.paths, this.#originate));
    const out = this.birdc(family, 'configure');
    if (!/Reconfigured|Reconfiguration in progress/.test(out)) throw new Error(`birdc configure: ${out}\n${this.describeLogs()}`);
  }
}

/** Starts BIRD 1.6 (`bird` and/or `bird6`) in spec.ns and waits for its control sockets. */
export async function startBird1(lab: Lab, spec: DaemonSpec): Promise<Bird1Daemon> {
  const d = new Bird1Daemon(lab, spec);
  await d.start();
  return d;
}

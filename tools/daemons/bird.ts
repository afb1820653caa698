/**
 * BIRD 2 driver: one `bird -f` per namespace with its own config, control socket and pid file
 * under the lab directory, driven through `birdc -s SOCK`.
 *
 * Originated prefixes are blackhole routes of two static protocols; BGP sessions export static and
 * BGP routes only (never `direct` ones); `kernel: true` adds kernel protocols with `learn` that
 * export everything except device routes into the namespace FIB.
 *
 * BFD: a neighbor with `bfd` gets `bfd { [graceful;] min rx interval ..; min tx interval ..;
 * multiplier ..; }` in its BGP protocol (BIRD picks single hop or multihop from the BGP session),
 * and the config a `protocol bfd` (whose sessions BGP asks for).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  familiesOf,
  familyOf,
  nsTag,
  spawnReady,
  type BfdNeighborSpec,
  type BgpDaemon,
  type DaemonSpec,
  type Family,
  type LearnedRoute,
  type NeighborSpec,
  type RouteAttributes,
} from './daemon.js';
import { describeLogs } from '../kit/files.js';
import { exec, tryExec, type Lab, type LabProcess } from '../kit/netns.js';

export interface BirdPaths {
  readonly dir: string;
  readonly config: string;
  readonly socket: string;
  readonly pidFile: string;
  /** BIRD's own log (`log "..." all`). */
  readonly log: string;
  /** stdout/stderr of the process. */
  readonly out: string;
}

/** `n_10_0_0_2` for 10.0.0.2, `n_fd00__2` for fd00::2: the BGP protocol name of a neighbor. */
export const birdProtocolName = (address: string): string => `n_${address.replace(/[^0-9a-zA-Z]/g, '_')}`;

const quote = (s: string): string => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
const pair = (s: string, n: number): string[] => {
  const parts = s.split(':');
  if (parts.length !== n || parts.some((p) => !/^\d+$/.test(p))) throw new Error(`bad community "${s}", want ${n} numbers joined by ':'`);
  return parts;
};

/** BIRD filter statements that set `a` on a route. */
export function birdAttrStatements(a: RouteAttributes | undefined): string[] {
  if (!a) return [];
  const out: string[] = [];
  if (a.med !== undefined) out.push(`bgp_med = ${a.med};`);
  if (a.localPref !== undefined) out.push(`bgp_local_pref = ${a.localPref};`);
  for (const c of a.communities ?? []) out.push(`bgp_community.add((${pair(c, 2).join(',')}));`);
  for (const c of a.largeCommunities ?? []) out.push(`bgp_large_community.add((${pair(c, 3).join(',')}));`);
  for (const c of a.extCommunities ?? []) out.push(`bgp_ext_community.add((rt, ${pair(c, 2).join(', ')}));`);
  // prepend puts an ASN in front, so the last one goes first.
  for (const asn of [...(a.asPath ?? [])].reverse()) out.push(`bgp_path.prepend(${asn});`);
  return out;
}

function staticProtocol(name: string, family: Family, prefixes: readonly string[], attrs: RouteAttributes | undefined): string {
  const body = birdAttrStatements(attrs).join(' ');
  const routes = prefixes.map((p) => `  route ${p} blackhole${body ? ` { ${body} }` : ''};`);
  return [`protocol static ${name} {`, `  ${family};`, ...routes, '}'].join('\n');
}

function bgpProtocol(spec: DaemonSpec, n: NeighborSpec): string {
  const lines: string[] = [];
  lines.push(n.localAddress === undefined ? `  local as ${spec.asn};` : `  local ${n.localAddress} as ${spec.asn};`);
  lines.push(`  neighbor ${n.address} as ${n.asn};`);
  // Fast (re)connects for tests: BIRD's defaults wait 5 s before connecting and 60 s after an error.
  lines.push('  connect delay time 1;', '  connect retry time 2;', '  error wait time 1, 5;');
  if (spec.holdTime !== undefined) lines.push(`  hold time ${spec.holdTime};`, `  keepalive time ${Math.max(1, Math.floor(spec.holdTime / 3))};`);
  if (n.passive) lines.push('  passive on;');
  if (n.multihop !== undefined && n.multihop !== false) lines.push(n.multihop === true ? '  multihop;' : `  multihop ${n.multihop};`);
  if (n.password !== undefined) lines.push(`  password ${quote(n.password)};`);
  if (n.rrClient) lines.push('  rr client;');
  if (spec.gracefulRestart) lines.push('  graceful restart on;');
  if (n.as4 === false) lines.push('  enable as4 off;');
  if (n.extendedMessage) lines.push('  enable extended messages on;');
  if (n.bfd) lines.push(`  ${birdBfdOptions(n.bfd)}`);
  const exportBody = [
    'if !(source = RTS_STATIC || source = RTS_BGP) then reject;',
    ...birdAttrStatements(n.exportAttrs),
    'accept;',
  ].join(' ');
  for (const f of familiesOf(n)) {
    const extra: string[] = [];
    if (f === 'ipv6' && n.ipv6NextHop !== undefined && familyOf(n.address) === 'ipv4') extra.push(`next hop address ${n.ipv6NextHop};`);
    if (n.addPath !== undefined) extra.push(`add paths ${n.addPath};`);
    lines.push(`  ${f} { import all; export filter { ${exportBody} }; ${extra.join(' ')}};`);
  }
  return [`protocol bgp ${birdProtocolName(n.address)} {`, ...lines, '}'].join('\n');
}

/** A BGP protocol's `bfd { ... };` line. */
export function birdBfdOptions(b: BfdNeighborSpec): string {
  const opts = [
    ...(b.graceful ? ['graceful;'] : []),
    ...(b.minRx !== undefined ? [`min rx interval ${b.minRx} ms;`] : []),
    ...(b.minTx !== undefined ? [`min tx interval ${b.minTx} ms;`] : []),
    ...(b.multiplier !== undefined ? [`multiplier ${b.multiplier};`] : []),
  ];
  return `bfd { ${opts.join(' ')} };`;
}

/** The whole bird.conf for a spec (pure; exported for tests and for reading). */
export function birdConfig(spec: DaemonSpec, paths: Pick<BirdPaths, 'log'>, originate: readonly string[] = spec.originate): string {
  const v4 = originate.filter((p) => familyOf(p) === 'ipv4');
  const v6 = originate.filter((p) => familyOf(p) === 'ipv6');
  const parts = [
    `log ${quote(paths.log)} ${spec.quietLogs ? '{ warning, error, fatal }' : 'all'};`,
    `router id ${spec.routerId};`,
    'protocol device { scan time 2; }',
    // Connected routes let iBGP next hops resolve (gateway recursive); they are never exported.
    'protocol direct { ipv4; ipv6; }',
    staticProtocol('originate4', 'ipv4', v4, spec.originateAttrs),
    staticProtocol('originate6', 'ipv6', v6, spec.originateAttrs),
  ];
  if (spec.kernel) {
    for (const f of ['ipv4', 'ipv6'] as const) {
      const merge = spec.kernelMergePaths ? ' merge paths on;' : '';
      parts.push(`protocol kernel kernel${f.slice(-1)} { ${f} { import all; export where source != RTS_DEVICE; }; learn; scan time ${spec.kernelScanTime ?? 2};${merge} }`);
    }
  }
  if (spec.neighbors.some((n) => n.bfd !== undefined)) parts.push('protocol bfd bfd1 { }');
  for (const n of spec.neighbors) parts.push(bgpProtocol(spec, n));
  return `${parts.join('\n')}\n`;
}

const COMMUNITY = /\((\d+),\s*(\d+)\)/g;
const LARGE = /\((\d+),\s*(\d+),\s*(\d+)\)/g;
const HEADER = /^(\S+)?\s+(unicast|blackhole|unreachable|prohibit)\s+\[(\S+)[^\]]*\]\s+(\*)?/;

/**
 * Best BGP routes from `birdc show route all` output. A route block starts with a header line
 * (the prefix is left out on the second and later routes of one prefix) followed by tab-indented
 * lines: `via ...`, `Type: BGP univ`, `BGP.as_path: 65003 65010 {65011 65012}`, ...
 */
export function parseBirdRoutes(text: string): LearnedRoute[] {
  const out: LearnedRoute[] = [];
  let prefix = '';
  let cur: { prefix: string; primary: boolean; attrs: Map<string, string>; via?: string } | undefined;
  const flush = (): void => {
    if (!cur?.primary) return;
    const path = cur.attrs.get('as_path');
    if (path === undefined) return; // not a BGP route
    const nh = cur.attrs.get('next_hop')?.split(/\s+/)[0] ?? cur.via ?? '';
    const comms = [...(cur.attrs.get('community') ?? '').matchAll(COMMUNITY)].map((m) => `${m[1]}:${m[2]}`);
    const large = [...(cur.attrs.get('large_community') ?? '').matchAll(LARGE)].map((m) => `${m[1]}:${m[2]}:${m[3]}`);
    const med = cur.attrs.get('med');
    const lp = cur.attrs.get('local_pref');
    out.push({
      prefix: cur.prefix,
      nextHop: nh,
      asPath: [...path.matchAll(/\d+/g)].map((m) => Number(m[0])),
      ...(comms.length > 0 ? { communities: comms } : {}),
      ...(large.length > 0 ? { largeCommunities: large } : {}),
      ...(med === undefined ? {} : { med: Number(med) }),
      ...(lp === undefined ? {} : { localPref: Number(lp) }),
    });
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('Table ') || line.startsWith('BIRD ') || line.trim() === '') continue;
    const h = HEADER.exec(line);
    if (h && !line.startsWith('\t')) {
      flush();
      if (h[1] !== undefined) prefix = h[1];
      cur = { prefix, primary: h[4] === '*', attrs: new Map() };
      continue;
    }
    if (!cur) continue;
    const attr = /^\s+BGP\.(\w+):\s*(.*)$/.exec(line);
    if (attr?.[1] !== undefined) cur.attrs.set(attr[1], attr[2] ?? '');
    const via = /^\s+via\s+(\S+)/.exec(line);
    if (via?.[1] !== undefined && cur.via === undefined) cur.via = via[1];
  }
  flush();
  return out;
}

/** One row of `birdc show bfd sessions` (intervals in ms). */
export interface BirdBfdSession {
  readonly address: string;
  readonly iface: string;
  readonly state: string;
  /** The transmit interval in use. */
  readonly intervalMs: number;
  /** The detection time. */
  readonly timeoutMs: number;
}

/**
 * `birdc show bfd sessions`: rows of address, interface, state, since, interval, timeout (seconds
 * with three decimals), e.g. `10.0.0.1   eth0   Up   07:01:02.123   0.300   0.900`.
 */
export function parseBirdBfdSessions(text: string): BirdBfdSession[] {
  const out: BirdBfdSession[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\S+)\s+(AdminDown|Down|Init|Up)\s+.*?([\d.]+)\s+([\d.]+)\s*$/.exec(line);
    if (!m?.[1] || !m[2] || !m[3] || !m[4] || !m[5]) continue;
    out.push({ address: m[1], iface: m[2], state: m[3], intervalMs: Math.round(Number(m[4]) * 1000), timeoutMs: Math.round(Number(m[5]) * 1000) });
  }
  return out;
}

/** "Established", "Active", "Idle", ... from `birdc show protocols all NAME`; "Down" when disabled. */
export function parseBirdBgpState(text: string): string {
  const m = /BGP state:\s+(\S+)/.exec(text);
  if (m?.[1] !== undefined) return m[1];
  const row = /^\S+\s+BGP\s+\S+\s+(\S+)/m.exec(text);
  return row?.[1] === 'down' ? 'Down' : 'Unknown';
}

export class BirdDaemon implements BgpDaemon {
  readonly kind = 'bird';
  spec: DaemonSpec;
  readonly paths: BirdPaths;
  readonly #lab: Lab;
  #originate: string[];
  #proc: LabProcess | undefined;

  constructor(lab: Lab, spec: DaemonSpec) {
    this.#lab = lab;
    this.spec = spec;
    this.#originate = [...spec.originate];
    const dir = join(lab.dir, spec.name ?? `bird-${nsTag(spec.ns)}`);
    exec(null, 'mkdir', ['-p', dir]);
    this.paths = {
      dir,
      config: join(dir, 'bird.conf'),
      socket: join(dir, 'bird.ctl'),
      pidFile: join(dir, 'bird.pid'),
      log: join(dir, 'bird.log'),
      out: join(dir, 'bird.out'),
    };
  }

  get dir(): string {
    return this.paths.dir;
  }

  get logFiles(): readonly string[] {
    return [this.paths.log, this.paths.out];
  }

  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  get processes(): readonly LabProcess[] {
    return this.#proc ? [this.#proc] : [];
  }

  async start(): Promise<void> {
    writeFileSync(this.paths.config, birdConfig(this.spec, this.paths, this.#originate));
    exec(null, 'bird', ['-p', '-c', this.paths.config]); // parse check: a config error names its line
    this.#proc = await spawnReady(
      this.#lab,
      {
        ns: this.spec.ns,
        cmd: 'bird',
        argv: ['-f', '-c', this.paths.config, '-s', this.paths.socket, '-P', this.paths.pidFile],
        logFile: this.paths.out,
        name: `bird in ${this.spec.ns}`,
        logs: this.logFiles,
      },
      () => existsSync(this.paths.socket) && tryExec(null, 'birdc', ['-s', this.paths.socket, 'show', 'status']).stdout.includes('up and running'),
    );
  }

  /** Runs a birdc command (words are joined by birdc with spaces); throws with BIRD's answer. */
  birdc(...words: string[]): string {
    return exec(null, 'birdc', ['-s', this.paths.socket, ...words], { timeoutMs: 10_000 });
  }

  routes(family: Family): LearnedRoute[] {
    return parseBirdRoutes(this.birdc('show', 'route', 'table', family === 'ipv4' ? 'master4' : 'master6', 'all'));
  }

  sessionState(peerAddress: string): string {
    return parseBirdBgpState(this.birdc('show', 'protocols', 'all', birdProtocolName(peerAddress)));
  }

  announce(prefix: string): Promise<void> {
    if (!this.#originate.includes(prefix)) this.#originate.push(prefix);
    this.#reconfigure();
    return Promise.resolve();
  }

  withdraw(prefix: string): Promise<void> {
    this.#originate = this.#originate.filter((p) => p !== prefix);
    this.#reconfigure();
    return Promise.resolve();
  }

  shutdownPeer(peerAddress: string, message: string): void {
    this.birdc('disable', birdProtocolName(peerAddress), quote(message));
  }

  enablePeer(peerAddress: string): void {
    this.birdc('enable', birdProtocolName(peerAddress));
  }

  refreshPeer(peerAddress: string): void {
    this.birdc('reload', 'in', birdProtocolName(peerAddress));
  }

  /** BIRD's BFD sessions (`show bfd sessions`). */
  bfdSessions(): BirdBfdSession[] {
    return parseBirdBfdSessions(this.birdc('show', 'bfd', 'sessions'));
  }

  /** Changes neighbor `address`'s BFD options and reconfigures (BIRD then runs a Poll Sequence). */
  setBfd(address: string, bfd: BfdNeighborSpec): void {
    this.spec = { ...this.spec, neighbors: this.spec.neighbors.map((n) => (n.address === address ? { ...n, bfd } : n)) };
    this.#reconfigure();
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

  #reconfigure(): void {
    writeFileSync(this.paths.config, birdConfig(this.spec, this.paths, this.#originate));
    const out = this.birdc('configure');
    if (!/Reconfigured|Reconfiguration in progress/.test(out)) throw new Error(`birdc configure: ${out}\n${this.describeLogs()}`);
  }
}

/** Starts BIRD in spec.ns and waits for its control socket. */
export async function startBird(lab: Lab, spec: DaemonSpec): Promise<BirdDaemon> {
  const d = new BirdDaemon(lab, spec);
  await d.start();
  return d;
}

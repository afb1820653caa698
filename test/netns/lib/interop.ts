/**
 * The interop lab shared by test/netns/interop-{bird,frr,gobgp}.netns.test.ts: one wren and two
 * instances of another implementation on one bridged segment, so that a peer can be cut off
 * without either end seeing its link go down.
 *
 *            wren AS 65000 (10.0.0.1, fd00:10::1)
 *                 | eth0
 *        [br0 in namespace "sw": ports p0 (wren), p1 (ebgp), p2 (ibgp)]
 *               | eth0                          | eth0
 *   ebgp AS 65001 (10.0.0.2, fd00:10::2)   ibgp AS 65000 (10.0.0.3, fd00:10::3)
 *   passive: wren dials, hold time 3 s      dials wren; wren is passive
 *
 * Every session is IPv4 and carries IPv4 and IPv6 unicast (MP-BGP, RFC 4760). Each daemon
 * originates one IPv4 and one IPv6 prefix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, expect } from 'vitest';
import { waitEstablished, type BgpDaemon, type DaemonSpec, type Family, type LearnedRoute } from '../../../tools/daemons/daemon.js';
import { tailFile } from '../../../tools/kit/files.js';
import { Lab, type LabProcess } from './netns.js';
import { NETNS, fileExists, type Requirement } from './requirements.js';
import { waitFor } from '../../../tools/kit/wait.js';
import { WREN_CLI, startWren, type WrenDaemon } from '../../../tools/daemons/wren.js';
import { request } from '../../../src/control/client.js';
import type { ControlRequest, ControlResults, NotificationRecord, PeerStatus, RouteView } from '../../../src/control/protocol.js';

/**
 * What an interop file needs (requirements.ts): a namespace lab, wren built, and the other
 * implementation (BIRD, FRR, ...). Use with `describeNetns(title, interopNeeds(BIRD), ...)`.
 */
export const interopNeeds = (...daemons: readonly Requirement[]): Requirement[] => [NETNS, fileExists(WREN_CLI, 'run `npm run build` first'), ...daemons];

/** A driver handle that can also be started again after stop(). */
export type StartableDaemon = BgpDaemon & { start(): Promise<void> };

export type Role = 'wren' | 'ebgp' | 'ibgp';

export interface LabNode {
  readonly asn: number;
  readonly routerId: string;
  readonly v4: string;
  readonly v6: string;
  /** Bridge port in the switch namespace. */
  readonly port: string;
  readonly originate: readonly [string, string];
}

export const NODES: Readonly<Record<Role, LabNode>> = {
  wren: { asn: 65000, routerId: '10.0.0.1', v4: '10.0.0.1', v6: 'fd00:10::1', port: 'p0', originate: ['172.16.0.0/24', 'fd00:172:16::/64'] },
  ebgp: { asn: 65001, routerId: '10.0.0.2', v4: '10.0.0.2', v6: 'fd00:10::2', port: 'p1', originate: ['172.16.1.0/24', 'fd00:172:16:1::/64'] },
  ibgp: { asn: 65000, routerId: '10.0.0.3', v4: '10.0.0.3', v6: 'fd00:10::3', port: 'p2', originate: ['172.16.2.0/24', 'fd00:172:16:2::/64'] },
};

/** Hold time of the eBGP session (both ends), short so that a silent peer is noticed quickly. */
export const SHORT_HOLD_TIME = 3;

export const IF_NAME = 'eth0';

export interface InteropLab<D extends StartableDaemon> {
  readonly lab: Lab;
  readonly ns: Readonly<Record<Role | 'sw', string>>;
  readonly wren: WrenDaemon;
  readonly ebgp: D;
  readonly ibgp: D;
}

export type StartPeer<D extends StartableDaemon> = (lab: Lab, spec: DaemonSpec) => Promise<D>;

/**
 * Builds the lab and starts the three daemons. `peerSpec` may adjust each peer's spec (GoBGP needs
 * its own IPv6 next hop set, for instance).
 */
export async function startInteropLab<D extends StartableDaemon>(
  id: string,
  startPeer: StartPeer<D>,
  peerSpec: (role: 'ebgp' | 'ibgp', spec: DaemonSpec) => DaemonSpec = (_r, s) => s,
): Promise<InteropLab<D>> {
  const lab = new Lab({ id });
  try {
    const ns = {
      wren: lab.addNamespace('wren'),
      ebgp: lab.addNamespace('ebgp'),
      ibgp: lab.addNamespace('ibgp'),
    };
    const sw = lab.bridgeSegment(
      'sw',
      (['wren', 'ebgp', 'ibgp'] as const).map((r) => ({ ns: ns[r], ifName: IF_NAME, addrs: [`${NODES[r].v4}/24`, `${NODES[r].v6}/64`] })),
    );
    const w = NODES.wren;
    const e = NODES.ebgp;
    const i = NODES.ibgp;
    const wrenSpecBase: DaemonSpec = {
      ns: ns.wren,
      routerId: w.routerId,
      asn: w.asn,
      neighbors: [
        { address: e.v4, asn: e.asn },
        { address: i.v4, asn: i.asn, passive: true },
      ],
      originate: [...w.originate],
    };
    const ebgpSpec = peerSpec('ebgp', {
      ns: ns.ebgp,
      routerId: e.routerId,
      asn: e.asn,
      neighbors: [{ address: w.v4, asn: w.asn, passive: true }],
      originate: [...e.originate],
      holdTime: SHORT_HOLD_TIME,
    });
    const ibgpSpec = peerSpec('ibgp', {
      ns: ns.ibgp,
      routerId: i.routerId,
      asn: i.asn,
      neighbors: [{ address: w.v4, asn: w.asn }],
      originate: [...i.originate],
    });
    const [wren, ebgp, ibgp] = await Promise.all([
      startWren(lab, { ...wrenSpecBase, peerExtra: { [e.v4]: { holdTime: SHORT_HOLD_TIME } } }),
      startPeer(lab, ebgpSpec),
      startPeer(lab, ibgpSpec),
    ]);
    return { lab, ns: { ...ns, sw }, wren, ebgp, ibgp };
  } catch (err) {
    await lab.destroy().catch(() => undefined);
    throw err;
  }
}

/**
 * What a test reads from the other implementation about its session with wren. Counters may
 * count across sessions; the tests only compare values read on one session.
 */
export interface PeerProbe<D extends StartableDaemon> {
  /** UPDATE messages received from wren. */
  updatesFromWren(d: D): number;
  /** UPDATE messages sent to wren. */
  updatesToWren(d: D): number;
  /** ROUTE-REFRESH messages received from wren; absent when the implementation does not count them. */
  readonly refreshesFromWren?: (d: D) => number;
  /** A value that changes whenever the session with wren is established anew. */
  sessionMark(d: D): string;
  /** Whether two marks name one session (default: equal); for marks read with some jitter. */
  readonly sameSession?: (before: string, after: string) => boolean;
  /** What the peer shows about the last NOTIFICATION wren sent it ('' when nothing). */
  shutdownSeen(d: D): string;
}

/** Keeps the lab's files (configs, logs, captures) when a test of the file failed. */
export function keepFilesOnFailure(lab: () => Lab | undefined): void {
  afterEach((ctx) => {
    const l = lab();
    if (l && ctx.task.result?.state === 'fail') l.keepFiles = true;
  });
}

/**
 * Asks wren over its control socket from this process. Polls use this rather than the CLI (the
 * driver's routes()/sessionState()): a CLI call starts a Node process, which costs about 0.25 s
 * of CPU, and three files polling in parallel on two cores made every wait slow.
 */
export async function askWren<C extends ControlRequest['cmd']>(wren: WrenDaemon, req: Extract<ControlRequest, { cmd: C }>): Promise<ControlResults[C]> {
  const r = await request(wren.paths.socket, req, 5000);
  if (!r.ok) throw new Error(`wren ${req.cmd}: ${r.error.code}: ${r.error.message}`);
  return r.result as ControlResults[C];
}

export const wrenPeers = (wren: WrenDaemon): Promise<readonly PeerStatus[]> => askWren(wren, { cmd: 'show-peers' });
export const wrenRoutes = (wren: WrenDaemon): Promise<readonly RouteView[]> => askWren(wren, { cmd: 'show-routes' });

/** wren's `show peers` row for one peer. */
export async function wrenPeer(wren: WrenDaemon, address: string): Promise<PeerStatus> {
  const row = (await wrenPeers(wren)).find((p) => p.address === address);
  if (!row) throw new Error(`wren has no peer ${address}`);
  return row;
}

/**
 * The last `lines` lines of wren's log without its control-request lines (the tests' polls would
 * fill any tail), for error messages.
 */
export function wrenLogTail(wren: WrenDaemon, lines = 60): string {
  const path = wren.paths.log;
  if (!existsSync(path)) return `(no file ${path})`;
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.includes('"component":"control"'));
  return `--- ${path} (last ${lines} lines without control requests)\n${kept.slice(-lines).join('\n')}`;
}

/** Waits until wren's row for `address` satisfies `ok`; returns it. Errors carry wren's log. */
export async function waitWrenPeer(
  wren: WrenDaemon,
  address: string,
  what: string,
  ok: (p: PeerStatus) => boolean,
  timeoutMs = 20_000,
): Promise<PeerStatus> {
  let last: PeerStatus | undefined;
  try {
    return await waitFor(
      async () => {
        last = await wrenPeer(wren, address);
        return ok(last) ? last : false;
      },
      { what: `wren: peer ${address} ${what}`, timeoutMs, intervalMs: 200 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast seen: ${JSON.stringify(last)}\n${wrenLogTail(wren)}`);
  }
}

/**
 * Waits until `ok` holds for wren's `show peers` and `show routes` (one call of each per poll);
 * errors carry both answers and wren's log.
 */
export async function waitWren<D extends StartableDaemon>(
  t: InteropLab<D>,
  what: string,
  ok: (peers: readonly PeerStatus[], routes: readonly RouteView[]) => boolean,
  timeoutMs = 20_000,
): Promise<void> {
  let last = '';
  try {
    await waitFor(
      async () => {
        const [peers, routes] = await Promise.all([wrenPeers(t.wren), wrenRoutes(t.wren)]);
        last = JSON.stringify({ peers: peers.map((p) => ({ address: p.address, state: p.state, lastError: p.lastError })), routes });
        return ok(peers, routes);
      },
      { what: `wren to ${what}`, timeoutMs, intervalMs: 200 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast seen: ${last}\n${wrenLogTail(t.wren)}`);
  }
}

/** A NOTIFICATION record at or after `sinceMs` (wall clock), with the given direction, code and one of the subcodes. */
export const notificationSince =
  (sinceMs: number, direction: NotificationRecord['direction'], code: number, subcodes: readonly number[]) =>
  (p: PeerStatus): boolean => {
    const e = p.lastError;
    // 1 s of slack: `at` and Date.now() are the same wall clock, read by two processes.
    return e !== undefined && e.direction === direction && e.code === code && subcodes.includes(e.subcode) && Date.parse(e.at) >= sinceMs - 1000;
  };

/**
 * Cease subcodes of an administrative shutdown: Administrative Shutdown (2), or Hard Reset (9)
 * wrapping it when both sides set the graceful restart N bit (RFC 8538 3; FRR and wren do).
 */
export const SHUTDOWN_SUBCODES: readonly number[] = [2, 9];

/** wren's route for `prefix` from `from` (best or not), from `show routes --json`. */
export async function wrenRouteFrom(wren: WrenDaemon, prefix: string, from: string): Promise<RouteView | undefined> {
  return (await wrenRoutes(wren)).find((x) => x.prefix === prefix && x.from === from);
}

/**
 * Waits until wren has a fresh (not stale) route for `from`'s prefix of `family`, from `from`, with
 * `from`'s address as next hop and its AS as path (empty for iBGP).
 */
export async function expectWrenLearned(wren: WrenDaemon, from: Role, family: Family, timeoutMs = 20_000): Promise<RouteView> {
  const n = NODES[from];
  const prefix = family === 'ipv4' ? n.originate[0] : n.originate[1];
  const want = { prefix, nextHop: family === 'ipv4' ? n.v4 : n.v6, asPath: n.asn === NODES.wren.asn ? [] : [n.asn] };
  try {
    return await waitFor(
      async () => {
        const r = await wrenRouteFrom(wren, prefix, n.v4);
        return r && r.best && r.stale !== true && r.nextHop === want.nextHop && r.asPath === want.asPath.join(' ') ? r : false;
      },
      { what: `wren to learn ${prefix} from ${n.v4} via ${want.nextHop} with AS path [${want.asPath.join(' ')}], best and not stale`, timeoutMs, intervalMs: 200 },
    );
  } catch (err) {
    const seen = (await wrenRoutes(wren).catch(() => [])).filter((x) => x.prefix === prefix);
    throw new Error(`${(err as Error).message}\nwren show routes for ${prefix}: ${JSON.stringify(seen)}\n${wrenLogTail(wren)}`);
  }
}

/**
 * Waits until `peer` has wren's prefix of `family` from wren with wren's address as next hop (the
 * global IPv6 address for IPv6: not link-local, not IPv4-mapped) and AS path [65000] (eBGP) or []
 * (iBGP).
 */
export async function expectPeerLearnedFromWren(peer: BgpDaemon, role: 'ebgp' | 'ibgp', family: Family, timeoutMs = 20_000): Promise<LearnedRoute> {
  const w = NODES.wren;
  const prefix = family === 'ipv4' ? w.originate[0] : w.originate[1];
  const nextHop = family === 'ipv4' ? w.v4 : w.v6;
  const asPath = role === 'ebgp' ? [w.asn] : [];
  try {
    return await waitFor(
      () => peer.routes(family).find((r) => r.prefix === prefix && r.nextHop === nextHop && r.asPath.join(' ') === asPath.join(' ')),
      { what: `${peer.kind} (${role}) to learn ${prefix} via ${nextHop} with AS path [${asPath.join(' ')}]`, timeoutMs, intervalMs: 200 },
    );
  } catch (err) {
    let seen = '';
    try {
      seen = JSON.stringify(peer.routes(family));
    } catch (e) {
      seen = String(e);
    }
    throw new Error(`${(err as Error).message}\n${peer.kind} routes: ${seen}\n${peer.describeLogs()}`);
  }
}

/** Both sessions Established on both ends. */
export async function waitAllEstablished<D extends StartableDaemon>(t: InteropLab<D>, timeoutMs = 30_000): Promise<void> {
  await Promise.all([
    waitWren(t, 'have both sessions Established', (peers) => peers.length === 2 && peers.every((p) => p.state === 'Established'), timeoutMs),
    waitEstablished(t.ebgp, NODES.wren.v4, timeoutMs),
    waitEstablished(t.ibgp, NODES.wren.v4, timeoutMs),
  ]);
}

/** Every route of the topology is where it should be (the four checks of scenario 1). */
export async function expectAllRoutes<D extends StartableDaemon>(t: InteropLab<D>, timeoutMs = 20_000): Promise<void> {
  await Promise.all([
    ...(['ipv4', 'ipv6'] as const).flatMap((f) => [
      expectPeerLearnedFromWren(t.ebgp, 'ebgp', f, timeoutMs),
      expectPeerLearnedFromWren(t.ibgp, 'ibgp', f, timeoutMs),
      expectWrenLearned(t.wren, 'ebgp', f, timeoutMs),
      expectWrenLearned(t.wren, 'ibgp', f, timeoutMs),
    ]),
  ]);
}

/** Pings `address` from `ns` once (proves a next hop is a usable address on the segment). */
export function expectPingable(lab: Lab, ns: string, address: string): void {
  const v6 = address.includes(':');
  expect(() => lab.exec(ns, 'ping', [...(v6 ? ['-6'] : []), '-c', '1', '-W', '2', address])).not.toThrow();
}

/**
 * Cuts `role` off the segment by taking its port out of the bridge: its frames go nowhere and
 * frames to it are dropped, but no interface changes state, so neither end's TCP socket or routes
 * notice anything. (There is no netem, prio or tc classifier in this kernel, and no nftables or
 * iptables in the image; see docs/testing.md.)
 */
export function silence<D extends StartableDaemon>(t: InteropLab<D>, role: Role): void {
  t.lab.exec(null, 'ip', ['-n', t.ns.sw, 'link', 'set', NODES[role].port, 'nomaster']);
}

/** Puts `role`'s port back into the bridge. */
export function unsilence<D extends StartableDaemon>(t: InteropLab<D>, role: Role): void {
  t.lab.exec(null, 'ip', ['-n', t.ns.sw, 'link', 'set', NODES[role].port, 'master', 'br0']);
}

/** One BGP NOTIFICATION read back from a capture. */
export interface CapturedNotification {
  readonly src: string;
  readonly dst: string;
  readonly code: number;
  readonly subcode: number;
}

/** tshark on one interface of a lab namespace, writing a pcap and printing a line per packet. */
export class BgpCapture {
  readonly file: string;
  readonly #lab: Lab;
  readonly #proc: LabProcess;

  constructor(lab: Lab, ns: string, ifName: string, name: string) {
    this.#lab = lab;
    this.file = `${lab.dir}/${name}.pcap`;
    this.#proc = lab.spawn(ns, 'tshark', ['-i', ifName, '-f', 'tcp port 179', '-w', this.file, '-P', '-l'], {
      logFile: `${lab.dir}/${name}.tshark.log`,
      name: `tshark ${name}`,
    });
  }

  /** Waits until tshark has started capturing. */
  async ready(): Promise<void> {
    await waitFor(
      () => {
        if (!this.#proc.running) throw new Error(`tshark exited (${this.#proc.status}): ${this.#proc.logTail()}`);
        return /Capturing on/.test(tailFile(this.#proc.logFile, 50));
      },
      { what: 'tshark to start capturing', timeoutMs: 15_000, intervalMs: 100 },
    );
  }

  /** Waits until tshark has printed a packet line matching `re` (so it is in the file). */
  async sawLine(re: RegExp, timeoutMs = 10_000): Promise<void> {
    await waitFor(() => re.test(tailFile(this.#proc.logFile, 500)), { what: `tshark to print a line matching ${re}`, timeoutMs, intervalMs: 100 });
  }

  async stop(): Promise<void> {
    await this.#proc.stop(5000, 'SIGINT');
  }

  /** Every NOTIFICATION in the file, decoded by tshark. */
  notifications(): CapturedNotification[] {
    const out = this.#lab.exec(null, 'tshark', [
      '-r',
      this.file,
      '-Y',
      'bgp.type == 3',
      '-T',
      'fields',
      '-e',
      'ip.src',
      '-e',
      'ip.dst',
      '-e',
      'bgp.notify.major_error',
      '-e',
      'bgp.notify.minor_error_expired',
      '-e',
      'bgp.notify.minor_error_cease',
    ]);
    return out
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const [src = '', dst = '', code = '', expired = '', cease = ''] = l.split('\t');
        return { src, dst, code: Number(code), subcode: Number(expired || cease || '0') };
      });
  }

  /** tshark's full decode of the NOTIFICATIONs, for error messages. */
  describeNotifications(): string {
    return this.#lab.tryExec(null, 'tshark', ['-r', this.file, '-Y', 'bgp.type == 3', '-V', '-O', 'bgp']).stdout;
  }
}

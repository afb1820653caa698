/**
 * The daemon under test (DUT): one of wren, BIRD 2, FRR (bgpd, + zebra) or GoBGP, started in its own
 * namespace by the shared drivers of tools/daemons, the same code the netns tests run, with the
 * simplest accept-all setup that does the scenario's job: IPv4 unicast sessions, every neighbour
 * passive (the bench's speakers connect), a long hold time, no graceful restart, and logs at
 * warning level (`quietLogs`), so that logging costs nothing.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { describeLogs } from '../kit/files.js';
import type { Lab, LabProcess } from '../kit/netns.js';
import { WREN_CLI } from '../kit/paths.js';
import { BirdDaemon } from '../daemons/bird.js';
import type { BgpDaemon, DaemonSpec } from '../daemons/daemon.js';
import { FrrDaemon } from '../daemons/frr.js';
import { GobgpDaemon } from '../daemons/gobgp.js';
import { WrenDaemon, type WrenSpec } from '../daemons/wren.js';

export const DUT_KINDS = ['wren', 'bird', 'frr', 'gobgp'] as const;
export type DutKind = (typeof DUT_KINDS)[number];

export interface DutNeighbor {
  readonly address: string;
  readonly asn: number;
  /** Our route-reflector client (RFC 4456); iBGP only. */
  readonly rrClient?: boolean;
  /**
   * ADD-PATH (RFC 7911) receive and send every path (reflector-addpath): wren `addPath: { receive:
   * true, send: "all" }`, BIRD `add paths on`, FRR `addpath-tx-all-paths` (FRR always offers receive).
   */
  readonly addPath?: boolean;
}

export interface DutSpec {
  readonly ns: string;
  readonly routerId: string;
  readonly asn: number;
  /** Every neighbour is passive on the DUT side: the bench's speakers connect. */
  readonly neighbors: readonly DutNeighbor[];
  /** Install best routes into the namespace's FIB. */
  readonly kernel: boolean;
  readonly holdTime: number;
  /** wren only: run node with --cpu-prof, profiles written here on SIGTERM. */
  readonly cpuProfileDir?: string;
  /** wren only: the CLI of another build of wren (a `--baseline` commit), instead of this checkout's. */
  readonly cli?: string;
}

export interface Dut {
  readonly kind: DutKind;
  readonly daemon: BgpDaemon;
  /** The processes whose CPU and memory count (FRR: bgpd, plus zebra when it installs routes). */
  readonly measured: readonly LabProcess[];
  /** Every process started (for liveness checks). */
  readonly processes: readonly LabProcess[];
  /**
   * Whether it sends End-of-RIB to a graceful-restart-aware peer (RFC 4724 2). GoBGP 3 does not
   * unless graceful restart is configured on its side, so the bench does not wait for it there.
   */
  readonly sendsEndOfRib: boolean;
  /** `rtm_protocol` of the routes it installs (kernel scenario). */
  readonly kernelProtocol: number;
  readonly logFiles: readonly string[];
  /** SIGTERM, SIGKILL after a bound. */
  stop(): Promise<void>;
}

/** RTPROT_BIRD: BIRD's, and wren's default `kernel.protocol`. */
const PROTO_BIRD = 12;
/** RTPROT_BGP: zebra installs BGP routes as `proto bgp`. */
const PROTO_BGP = 186;

/** The shared drivers' spec for a DUT. */
export function dutDaemonSpec(kind: DutKind, spec: DutSpec): DaemonSpec {
  return {
    ns: spec.ns,
    routerId: spec.routerId,
    asn: spec.asn,
    neighbors: spec.neighbors.map((n) => ({
      address: n.address,
      asn: n.asn,
      passive: true,
      families: ['ipv4'],
      ...(n.rrClient ? { rrClient: true } : {}),
      ...(n.addPath ? { addPath: 'on' as const } : {}),
    })),
    originate: [],
    kernel: spec.kernel,
    holdTime: spec.holdTime,
    gracefulRestart: false,
    quietLogs: true,
    // BIRD's own default: a scan of a million kernel routes every 2 s (the tests' setting) would cost seconds of CPU.
    kernelScanTime: 60,
    name: kind,
  };
}

/** wren's spec: the shared one, plus what the bench always ran wren with (routes withdrawn on stop, no blackholes, optional CPU profile). */
export function dutWrenSpec(spec: DutSpec): WrenSpec {
  return {
    ...dutDaemonSpec('wren', spec),
    extra: { kernel: { withdrawOnStop: true, blackhole: false } },
    ...(spec.cpuProfileDir === undefined ? {} : { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', spec.cpuProfileDir] }),
    ...(spec.cli === undefined ? {} : { cli: spec.cli }),
  };
}

export async function startDut(lab: Lab, kind: DutKind, spec: DutSpec): Promise<Dut> {
  switch (kind) {
    case 'wren':
      return startWrenDut(lab, dutWrenSpec(spec));
    case 'bird': {
      const d = new BirdDaemon(lab, dutDaemonSpec(kind, spec));
      await d.start();
      return dut(kind, d, d.processes, PROTO_BIRD, true, () => d.stop());
    }
    case 'frr': {
      const d = new FrrDaemon(lab, dutDaemonSpec(kind, spec));
      await d.start();
      await d.waitPeersStarted();
      const measured = spec.kernel ? d.processes : d.processes.filter((p) => p === d.bgpd);
      return dut(kind, d, measured, PROTO_BGP, true, () => d.stop());
    }
    case 'gobgp': {
      if (spec.kernel) throw new Error('gobgp: GoBGP does not program the kernel FIB');
      const d = new GobgpDaemon(lab, dutDaemonSpec(kind, spec));
      await d.start();
      return dut(kind, d, d.processes, 0, false, () => d.stop());
    }
  }
}

/** wren as the DUT from a spec of its own (dutWrenSpec, adjusted: the bfd-load scenario adds a BFD neighbour). */
export async function startWrenDut(lab: Lab, spec: WrenSpec): Promise<Dut> {
  const d = new WrenDaemon(lab, spec);
  await d.start();
  // wren bounds its own shutdown at 10 s; a CPU profile is written on the way out.
  return dut('wren', d, d.processes, PROTO_BIRD, true, () => d.stop(20_000));
}

function dut(kind: DutKind, daemon: BgpDaemon, measured: readonly LabProcess[], kernelProtocol: number, sendsEndOfRib: boolean, stop: () => Promise<void>): Dut {
  return { kind, daemon, measured, processes: daemon.processes, sendsEndOfRib, kernelProtocol, logFiles: daemon.logFiles, stop };
}

/** "bgpd exited (exit code 1)" when a process of the DUT is gone, else null. */
export function dutGone(d: Dut): string | null {
  const dead = d.processes.find((p) => !p.running);
  return dead ? `${dead.name} exited (${dead.status})` : null;
}

/** The last lines of the DUT's logs, for error messages. */
export const dutLogs = (d: Dut, lines = 10): string => describeLogs(d.logFiles, lines);

const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Why `kind` cannot run here (a missing binary and the Debian package that has it), or null. */
export function dutProblem(kind: DutKind): string | null {
  switch (kind) {
    case 'wren':
      return existsSync(WREN_CLI) ? null : `${WREN_CLI} is missing: run npm run build`;
    case 'bird':
      return onPath('bird') && onPath('birdc') ? null : 'bird/birdc not found: apt-get install bird2 (scripts/setup.sh)';
    case 'frr':
      return existsSync('/usr/lib/frr/bgpd') && onPath('vtysh') ? null : 'FRR not found: apt-get install frr (scripts/setup.sh)';
    case 'gobgp':
      return onPath('gobgpd') && onPath('gobgp') ? null : 'gobgpd not found: apt-get install gobgpd (scripts/setup.sh)';
  }
}

/** Version strings of the DUTs, for the report. */
export function dutVersions(): Record<DutKind, string> {
  const first = (cmd: string, args: string[]): string => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.trim() !== '')?.trim() ?? 'unknown';
  };
  return {
    wren: `Node.js ${process.version}`,
    bird: first('bird', ['--version']),
    frr: first('/usr/lib/frr/bgpd', ['--version']),
    gobgp: first('gobgpd', ['--version']),
  };
}

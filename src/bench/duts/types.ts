/**
 * The daemon under test (DUT): one of wren, BIRD 2, FRR (bgpd, + zebra) or GoBGP, started in its own
 * namespace with the simplest accept-all configuration that does the scenario's job. Config
 * renderers are adapted from test/netns/lib/{bird,frr,gobgp,wren}.ts, cut down to what the bench
 * needs (IPv4 unicast, passive sessions, long hold time, quiet logs).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { BenchProcess } from '../netns.js';

export const DUT_KINDS = ['wren', 'bird', 'frr', 'gobgp'] as const;
export type DutKind = (typeof DUT_KINDS)[number];

export interface DutNeighbor {
  readonly address: string;
  readonly asn: number;
  /** Our route-reflector client (RFC 4456); iBGP only. */
  readonly rrClient?: boolean;
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
}

export interface Dut {
  readonly kind: DutKind;
  /** The processes whose CPU and memory count (FRR: bgpd, plus zebra when it installs routes). */
  readonly measured: readonly BenchProcess[];
  /** Every process started (for liveness checks and stop). */
  readonly processes: readonly BenchProcess[];
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

/** The last lines of each log, for error messages. */
export function logTails(files: readonly string[], lines = 15): string {
  return files
    .map((f) => {
      if (!existsSync(f)) return `--- ${f}: (missing)`;
      const all = readFileSync(f, 'utf8').split('\n').filter((l) => l !== '');
      return `--- ${f} (last ${Math.min(lines, all.length)} lines)\n${all.slice(-lines).join('\n')}`;
    })
    .join('\n');
}

/** "bgpd exited (exit code 1)" when a process of the DUT is gone, else null. */
export function dutGone(d: Dut): string | null {
  const dead = d.processes.find((p) => !p.running);
  return dead ? `${dead.name} exited (${dead.status})` : null;
}

/** Polls `ready` every 50 ms until it holds; fails with the logs if a process exits or timeoutMs passes. */
export async function waitReady(name: string, procs: readonly BenchProcess[], logs: readonly string[], ready: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = procs.find((p) => !p.running);
    if (dead) throw new Error(`${name}: ${dead.name} exited (${dead.status}) before it was ready\n${logTails(logs)}`);
    try {
      if (await ready()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${name}: not ready after ${timeoutMs / 1000} s\n${logTails(logs)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * What the BFD netns tests share: the requirements beyond the daemons (nft, FRR's bfdd), a silent
 * failure of a peer (its packets dropped with nft in its own namespace: no link goes down, the
 * kernel reports nothing), and clocks outside wren to time what wren does:
 *
 * - `PacketTimes`: tcpdump in a namespace, printing each matching packet's capture time;
 * - `RouteEvents`: `ip -ts monitor route` in a namespace, each route added or deleted with its time;
 * - `wrenBfdEvents`: wren's own log lines (BFD transitions with the BFD thread's time of the change,
 *   `at`; BGP `session down` with the main thread's time).
 *
 * All of them read the system's real-time clock, as Date.now() does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec, type Lab, type LabProcess } from '../../../tools/kit/netns.js';
import { waitFor } from '../../../tools/kit/wait.js';
import { programs } from './requirements.js';

export const NFT_INSTALLED = programs('nft');
export const BFDD_INSTALLED = programs('/usr/lib/frr/bfdd');

/** A silent failure of the daemons in `ns`: every packet they send out of `ifName` is dropped (nft, output hook). */
export class Silence {
  readonly #lab: Lab;
  readonly #ns: string;
  readonly #file: string;
  constructor(lab: Lab, ns: string, ifName = 'eth0') {
    this.#lab = lab;
    this.#ns = ns;
    this.#file = join(lab.dir, `silence-${ns}.nft`);
    writeFileSync(this.#file, `table inet wren_silence {\n  chain out {\n    type filter hook output priority 0; policy accept;\n    oifname "${ifName}" drop\n  }\n}\n`);
  }

  /** Starts dropping; returns when nft has committed the rule, with the time just before it was asked to (ms). */
  on(): { readonly askedAt: number; readonly doneAt: number } {
    const askedAt = Date.now();
    exec(this.#ns, 'nft', ['-f', this.#file]);
    return { askedAt, doneAt: Date.now() };
  }

  off(): void {
    exec(this.#ns, 'nft', ['delete', 'table', 'inet', 'wren_silence']);
  }

  get lab(): Lab {
    return this.#lab;
  }
}

/** Capture times of packets matching a tcpdump filter in a namespace (ms since the epoch, microsecond precision). */
export class PacketTimes {
  readonly #proc: LabProcess;
  readonly #file: string;
  private constructor(proc: LabProcess, file: string) {
    this.#proc = proc;
    this.#file = file;
  }

  static async start(lab: Lab, ns: string, ifName: string, filter: string, name: string): Promise<PacketTimes> {
    const file = join(lab.dir, `${name}.txt`);
    const proc = lab.spawn(ns, 'tcpdump', ['-i', ifName, '-n', '-tt', '-l', '-U', '-B', '4096', filter], { logFile: file, name });
    await waitFor(() => readFileSync(file, 'utf8').includes('listening on'), { what: `tcpdump ${name} to listen`, timeoutMs: 10_000, intervalMs: 20 });
    return new PacketTimes(proc, file);
  }

  /** Every captured packet's time, in order. */
  times(): number[] {
    const out: number[] = [];
    for (const line of readFileSync(this.#file, 'utf8').split('\n')) {
      const m = /^(\d+)\.(\d{6}) IP6? /.exec(line);
      if (m?.[1] && m[2]) out.push(Number(m[1]) * 1000 + Number(m[2]) / 1000);
    }
    return out;
  }

  /** The last packet captured at or before `t`. */
  lastBefore(t: number): number | undefined {
    return this.times().filter((x) => x <= t).at(-1);
  }

  stop(): Promise<void> {
    return this.#proc.stop(2000);
  }
}

export interface RouteEvent {
  readonly at: number;
  readonly deleted: boolean;
  readonly prefix: string;
}

/** `ip -ts monitor route` in a namespace. */
export class RouteEvents {
  readonly #proc: LabProcess;
  readonly #file: string;
  private constructor(proc: LabProcess, file: string) {
    this.#proc = proc;
    this.#file = file;
  }

  static start(lab: Lab, ns: string, name: string): RouteEvents {
    const file = join(lab.dir, `${name}.txt`);
    return new RouteEvents(lab.spawn(ns, 'ip', ['-ts', 'monitor', 'route'], { logFile: file, name }), file);
  }

  /** Events so far; `[2026-12-06T07:08:10.447541] Deleted 10.9.0.0/24 via ...` (local time, as Date parses it). */
  events(): RouteEvent[] {
    const out: RouteEvent[] = [];
    for (const line of readFileSync(this.#file, 'utf8').split('\n')) {
      const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\] (Deleted )?(?:(?:unicast|blackhole|local|broadcast) )?(\S+)/.exec(line);
      if (!m?.[1] || !m[2] || !m[4]) continue;
      out.push({ at: new Date(m[1]).getTime() + Number(m[2]) / 1000, deleted: m[3] !== undefined, prefix: m[4] });
    }
    return out;
  }

  /** The first deletion of `prefix` at or after `t`. */
  deletedAfter(prefix: string, t: number): number | undefined {
    return this.events().find((e) => e.deleted && e.prefix === prefix && e.at >= t)?.at;
  }

  stop(): Promise<void> {
    return this.#proc.stop(2000);
  }
}

export interface WrenBfdEvents {
  /** BFD transitions: the BFD thread's time of the change. */
  readonly transitions: { readonly at: number; readonly peer: string; readonly from: string; readonly to: string; readonly diag: string }[];
  /** BGP sessions that went down: the main thread's time of the line. */
  readonly sessionDowns: { readonly at: number; readonly peer: string }[];
}

/** wren's BFD transitions and BGP session downs, from its JSON log. */
export function wrenBfdEvents(logFile: string): WrenBfdEvents {
  const transitions: WrenBfdEvents['transitions'][number][] = [];
  const sessionDowns: WrenBfdEvents['sessionDowns'][number][] = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const msg = j['msg'];
    if (j['component'] === 'bfd' && (msg === 'BFD session up' || msg === 'BFD session down' || msg === 'BFD session state')) {
      transitions.push({ at: Date.parse(String(j['at'])), peer: String(j['peer']), from: String(j['from']), to: String(j['state']), diag: String(j['diag']) });
    } else if (msg === 'session down') {
      sessionDowns.push({ at: Number(j['time']), peer: String(j['peer']) });
    }
  }
  return { transitions, sessionDowns };
}

/** Median and worst of a list of numbers. */
export function summary(xs: readonly number[]): { readonly n: number; readonly median: number; readonly worst: number; readonly best: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length === 0 ? 0 : s.length % 2 === 1 ? (s[(s.length - 1) / 2] ?? 0) : ((s[s.length / 2 - 1] ?? 0) + (s[s.length / 2] ?? 0)) / 2;
  return { n: s.length, median: Math.round(mid), worst: Math.round(s.at(-1) ?? 0), best: Math.round(s[0] ?? 0) };
}

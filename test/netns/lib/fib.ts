/**
 * Reading a namespace's FIB the way an operator does: `ip -j route show` (both families) turned
 * into plain records, and a recorder of `ip -ts monitor route` that keeps every change the kernel
 * announced, with its time, so a test can ask "was this route ever deleted?" after the fact.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec, type Lab, type LabProcess } from './netns.js';
import { waitFor } from '../../../tools/kit/wait.js';

/** One route of `ip -j route show`, normalized. */
export interface FibRoute {
  /** Canonical prefix ("172.16.1.0/24"; `ip` prints host routes without the length, they get /32 or /128). */
  readonly prefix: string;
  /** "unicast", "blackhole", "local", ... */
  readonly type: string;
  /** iproute2's name ("bird", "bgp", "static", "kernel", "boot") or the number as text. */
  readonly protocol: string;
  /** Every gateway: the single `via`, or each `nexthop via` of a multipath route, in kernel order. */
  readonly gateways: readonly string[];
  /** Output devices, same order as gateways (or the one device of a device route). */
  readonly devices: readonly string[];
  readonly metric: number;
  readonly table?: string;
  /** True when a gateway is an RTA_VIA address of the other family (`via inet6 ...` on an IPv4 route, RFC 8950). */
  readonly viaOtherFamily?: boolean;
}

interface IpJsonVia {
  readonly family?: string;
  readonly host?: string;
}

interface IpJsonRoute {
  readonly dst: string;
  readonly type?: string;
  readonly protocol?: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly metric?: number;
  readonly table?: string;
  /** RTA_VIA (a gateway of the other family): `"via": { "family": "inet6", "host": "fd00::2" }`. */
  readonly via?: IpJsonVia;
  readonly nexthops?: readonly { readonly gateway?: string; readonly via?: IpJsonVia; readonly dev?: string }[];
}

const withLength = (dst: string, v6: boolean): string => {
  if (dst === 'default') return v6 ? '::/0' : '0.0.0.0/0';
  return dst.includes('/') ? dst : `${dst}/${v6 ? 128 : 32}`;
};

/** Pure: the records of one `ip -j [-6] route show` answer. */
export function parseIpRouteJson(text: string, v6: boolean): FibRoute[] {
  const rows = JSON.parse(text.trim() === '' ? '[]' : text) as IpJsonRoute[];
  return rows.map((r) => {
    const single = r.gateway ?? r.via?.host;
    const hops = (r.nexthops ?? (single !== undefined ? [{ gateway: single, ...(r.dev !== undefined ? { dev: r.dev } : {}) }] : [])).map((h) => ({
      gateway: h.gateway ?? h.via?.host,
      dev: h.dev,
    }));
    const other = r.via?.host !== undefined || (r.nexthops ?? []).some((h) => h.via?.host !== undefined);
    return {
      prefix: withLength(r.dst, v6),
      type: r.type ?? 'unicast',
      protocol: r.protocol ?? 'boot',
      gateways: hops.flatMap((h) => (h.gateway !== undefined ? [h.gateway] : [])),
      devices: hops.length > 0 ? hops.flatMap((h) => (h.dev !== undefined ? [h.dev] : [])) : r.dev !== undefined ? [r.dev] : [],
      metric: r.metric ?? 0,
      ...(r.table !== undefined ? { table: r.table } : {}),
      ...(other ? { viaOtherFamily: true } : {}),
    };
  });
}

/** The main table of `ns`, IPv4 then IPv6 (not filtered by `ip`, so `protocol` is always present). */
export function fibRoutes(ns: string, table = 'main'): FibRoute[] {
  return [
    ...parseIpRouteJson(exec(null, 'ip', ['-j', '-n', ns, '-4', 'route', 'show', 'table', table]), false),
    ...parseIpRouteJson(exec(null, 'ip', ['-j', '-n', ns, '-6', 'route', 'show', 'table', table]), true),
  ];
}

/** Every route of `ns` for `prefix` (more than one means duplicates at different metrics or types). */
export const fibRoutesFor = (ns: string, prefix: string): FibRoute[] => fibRoutes(ns).filter((r) => r.prefix === prefix);

/** The single route for `prefix`, or undefined; throws when there is more than one. */
export function fibRoute(ns: string, prefix: string): FibRoute | undefined {
  const all = fibRoutesFor(ns, prefix);
  if (all.length > 1) throw new Error(`${ns}: ${all.length} routes for ${prefix}: ${JSON.stringify(all)}`);
  return all[0];
}

/** `ip route show` text of both families, for error messages. */
export function describeFib(ns: string): string {
  return `--- ip -n ${ns} route\n${exec(null, 'ip', ['-n', ns, 'route'])}--- ip -n ${ns} -6 route\n${exec(null, 'ip', ['-n', ns, '-6', 'route'])}`;
}

/** One change announced by the kernel, as `ip -ts monitor route` printed it. */
export interface RouteEvent {
  /** Milliseconds since the epoch (from the `[...]` timestamp, local time). */
  readonly at: number;
  readonly deleted: boolean;
  readonly prefix: string;
  /** The whole entry, nexthop lines included, without the timestamp. */
  readonly text: string;
}

const STAMP = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?\]\s?(.*)$/;
const ROUTE_WORDS = new Set(['blackhole', 'unreachable', 'prohibit', 'throw', 'local', 'broadcast', 'multicast', 'anycast', 'unicast']);

/** Pure: the events of an `ip -ts monitor route` transcript (continuation lines belong to the entry above). */
export function parseRouteMonitor(text: string): RouteEvent[] {
  const out: { at: number; lines: string[] }[] = [];
  for (const line of text.split('\n')) {
    const m = STAMP.exec(line);
    if (m) {
      const frac = (m[2] ?? '.0').slice(0, 4).padEnd(4, '0');
      out.push({ at: new Date(`${m[1]}${frac}`).getTime(), lines: [m[3] ?? ''] });
    } else if (line.trim() !== '' && out.length > 0) {
      out.at(-1)?.lines.push(line.trim());
    }
  }
  return out.map(({ at, lines }) => {
    const head = lines[0] ?? '';
    const deleted = head.startsWith('Deleted ');
    const words = (deleted ? head.slice('Deleted '.length) : head).split(/\s+/);
    const first = ROUTE_WORDS.has(words[0] ?? '') ? words[1] : words[0];
    const v6 = (first ?? '').includes(':');
    return { at, deleted, prefix: withLength(first ?? '', v6), text: lines.join(' ') };
  });
}

/**
 * Records `ip -ts monitor route` inside a namespace into a file of the lab (the process is the
 * lab's, so destroy() stops it). `start` returns once the monitor has provably seen a change (a
 * marker route added and deleted), so nothing the test does afterwards can be missed.
 */
export class RouteMonitor {
  readonly ns: string;
  readonly file: string;
  readonly #proc: LabProcess;

  private constructor(ns: string, file: string, proc: LabProcess) {
    this.ns = ns;
    this.file = file;
    this.#proc = proc;
  }

  static async start(lab: Lab, ns: string, name = 'route-monitor'): Promise<RouteMonitor> {
    const file = join(lab.dir, `${name}-${ns}.txt`);
    const proc = lab.spawn(ns, 'ip', ['-ts', 'monitor', 'route'], { logFile: file, name: `ip monitor route in ${ns}` });
    const m = new RouteMonitor(ns, file, proc);
    // TEST-NET-1 address as a marker: a blackhole needs no device and no wren cares about it.
    const marker = '192.0.2.254/32';
    await waitFor(
      () => {
        if (!proc.running) throw new Error(`ip monitor exited (${proc.status}): ${proc.logTail()}`);
        exec(null, 'ip', ['-n', ns, 'route', 'replace', 'blackhole', marker, 'proto', 'static']);
        exec(null, 'ip', ['-n', ns, 'route', 'del', 'blackhole', marker, 'proto', 'static']);
        return m.events().some((e) => e.prefix === marker && e.deleted);
      },
      { what: `ip monitor in ${ns} to report a marker route`, timeoutMs: 5000, intervalMs: 100 },
    );
    return m;
  }

  /** Every event so far (the marker's included). */
  events(): RouteEvent[] {
    if (!existsSync(this.file)) throw new Error(`route monitor file ${this.file} is gone (was the lab directory removed?)`);
    return parseRouteMonitor(readFileSync(this.file, 'utf8'));
  }

  /** Deletions of any of `prefixes` since `sinceMs` (epoch ms; default: since the monitor started). */
  deletions(prefixes: readonly string[], sinceMs = 0): RouteEvent[] {
    return this.events().filter((e) => e.deleted && e.at >= sinceMs && prefixes.includes(e.prefix));
  }

  /**
   * Deletions of any of `prefixes` since `sinceMs` that were not the first half of a change. wren
   * changes a route of ours by a protocol-matched delete and an exclusive add sent back to back in
   * one datagram (docs/kernel.md, "Route changes"): the kernel announces the deletion and, as the
   * very next route event, the new route for the same prefix. A deletion followed by anything else
   * (or by nothing) left the prefix without our route for longer, and is returned. `withinMs` bounds
   * the gap between the two `ip -ts` stamps (print times in `ip`, not kernel times: kept loose).
   */
  deletionsNotReplaced(prefixes: readonly string[], sinceMs = 0, withinMs = 50): RouteEvent[] {
    const all = this.events();
    return all.filter((e, i) => {
      if (!e.deleted || e.at < sinceMs || !prefixes.includes(e.prefix)) return false;
      const next = all[i + 1];
      return !(next && !next.deleted && next.prefix === e.prefix && next.at - e.at <= withinMs);
    });
  }

  async stop(): Promise<void> {
    await this.#proc.stop(1000);
  }
}

/** Waits until `ns` has a route for `prefix` that `match` accepts; polls every `intervalMs` (default 25). */
export async function waitForFibRoute(
  ns: string,
  prefix: string,
  match: (r: FibRoute) => boolean = () => true,
  opts: { readonly timeoutMs?: number; readonly intervalMs?: number } = {},
): Promise<FibRoute> {
  try {
    return await waitFor(() => fibRoutesFor(ns, prefix).find(match), {
      what: `a matching route for ${prefix} in ${ns}`,
      timeoutMs: opts.timeoutMs ?? 20_000,
      intervalMs: opts.intervalMs ?? 25,
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${describeFib(ns)}`);
  }
}

/** Waits until `ns` has no route at all for `prefix`. */
export async function waitForNoFibRoute(ns: string, prefix: string, opts: { readonly timeoutMs?: number; readonly intervalMs?: number } = {}): Promise<void> {
  try {
    await waitFor(() => fibRoutesFor(ns, prefix).length === 0, {
      what: `no route for ${prefix} in ${ns}`,
      timeoutMs: opts.timeoutMs ?? 20_000,
      intervalMs: opts.intervalMs ?? 25,
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${describeFib(ns)}`);
  }
}

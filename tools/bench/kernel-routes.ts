/**
 * The content check of the kernel scenario: once the FIB holds N more routes, every prefix of the
 * feeder's table must be in the main table as a unicast route via the feeder's address on the
 * DUT's link with the DUT's protocol id, and no other route may carry that protocol id. Counting
 * (fib-count.ts) says when the work is done; this says whether it was the right work.
 *
 * Input: `ip -N -4 route show table main` (-N: protocol and type as numbers, whatever
 * /etc/iproute2/rt_protos names them). Its lines look like
 *
 *   1.2.3.0/24 via 10.0.1.2 dev f0 proto 12 metric 32
 *   6 1.2.5.0/24 proto 12                          (a non-unicast type, here blackhole, as a number)
 *   1.2.6.0/24 proto 12                            (multipath: the next hops on the lines below,
 *   	nexthop via 10.0.1.2 dev f0 weight 1          each starting with a tab)
 */
import { exec } from '../kit/netns.js';

export interface KernelRoute {
  /** "a.b.c.d/len" (a host route printed without a length gets /32). */
  readonly prefix: string;
  /** The route type when it is not unicast (a number with -N), else undefined. */
  readonly type?: string;
  readonly via?: string;
  readonly dev?: string;
  readonly proto?: number;
  /** Next hops of a multipath route (none for a single-path one). */
  readonly nexthops: number;
}

const IPV4 = /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/;

/** Parses `ip -N -4 route show` output into routes. */
export function parseRoutes(text: string): KernelRoute[] {
  const out: KernelRoute[] = [];
  let last: { -readonly [K in keyof KernelRoute]: KernelRoute[K] } | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (/^\s/.test(line)) {
      if (last && line.trim().startsWith('nexthop')) last.nexthops++;
      continue;
    }
    const words = line.trim().split(/\s+/);
    let i = 0;
    let type: string | undefined;
    if (!IPV4.test(words[0] ?? '') && words[0] !== 'default') type = words[i++];
    const dst = words[i++] ?? '';
    const r: { -readonly [K in keyof KernelRoute]: KernelRoute[K] } = { prefix: dst === 'default' ? '0.0.0.0/0' : dst.includes('/') ? dst : `${dst}/32`, nexthops: 0 };
    if (type !== undefined) r.type = type;
    for (; i < words.length; i++) {
      const w = words[i];
      const v = words[i + 1];
      if (v === undefined) break;
      if (w === 'via') r.via = v;
      else if (w === 'dev') r.dev = v;
      else if (w === 'proto') r.proto = Number(v);
      else continue;
      i++;
    }
    out.push(r);
    last = r;
  }
  return out;
}

export interface KernelExpectation {
  /** The table's prefixes ("a.b.c.d/len", network address, as the kernel prints them). */
  readonly prefixes: readonly string[];
  readonly nextHop: string;
  readonly dev: string;
  readonly protocol: number;
}

export interface KernelCheck {
  /** Expected prefixes installed exactly as expected. */
  readonly good: number;
  readonly missing: number;
  /** Expected prefixes installed with another next hop, device, type or protocol, or multipath. */
  readonly wrong: number;
  /** Routes with the DUT's protocol id whose prefix was never sent. */
  readonly extra: number;
  /** Up to 5 examples, one line each. */
  readonly examples: readonly string[];
}

const describeRoute = (r: KernelRoute): string =>
  [r.type !== undefined ? `type ${r.type}` : '', r.via !== undefined ? `via ${r.via}` : '', r.dev !== undefined ? `dev ${r.dev}` : '', r.nexthops > 0 ? `${r.nexthops} next hops` : '', `proto ${r.proto ?? '?'}`]
    .filter((s) => s !== '')
    .join(' ');

/** Compares the FIB with the expectation. */
export function checkKernelRoutes(routes: readonly KernelRoute[], e: KernelExpectation, max = 5): KernelCheck {
  const want = new Set(e.prefixes);
  const seen = new Set<string>();
  let good = 0;
  let wrong = 0;
  let extra = 0;
  const examples: string[] = [];
  const note = (s: string): void => {
    if (examples.length < max) examples.push(s);
  };
  for (const r of routes) {
    if (!want.has(r.prefix)) {
      if (r.proto === e.protocol) {
        extra++;
        note(`${r.prefix}: ${describeRoute(r)}, never sent`);
      }
      continue;
    }
    // A prefix the FIB holds twice (several metrics) counts once, judged by its first route.
    if (seen.has(r.prefix)) continue;
    seen.add(r.prefix);
    if (r.type === undefined && r.nexthops === 0 && r.via === e.nextHop && r.dev === e.dev && r.proto === e.protocol) good++;
    else {
      wrong++;
      note(`${r.prefix}: ${describeRoute(r)}, expected via ${e.nextHop} dev ${e.dev} proto ${e.protocol}`);
    }
  }
  const missing = want.size - seen.size;
  if (missing > 0) {
    for (const p of e.prefixes) {
      if (examples.length >= max) break;
      if (!seen.has(p)) note(`${p}: missing`);
    }
  }
  return { good, missing, wrong, extra, examples };
}

export const kernelCheckOk = (c: KernelCheck): boolean => c.missing === 0 && c.wrong === 0 && c.extra === 0;

export const describeKernelCheck = (c: KernelCheck): string =>
  `${c.good} right, ${c.missing} missing, ${c.wrong} with another next hop, device, type or protocol, ${c.extra} extra with the protocol id; ${c.examples.join('; ')}`;

/** The IPv4 main table of a namespace (`ip -N -4 route show table main`), parsed. Slow for big tables: once per phase. */
export function readKernelRoutes(ns: string): KernelRoute[] {
  return parseRoutes(exec(null, 'ip', ['-N', '-n', ns, '-4', 'route', 'show', 'table', 'main'], { timeoutMs: 120_000 }));
}

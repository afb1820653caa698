/**
 * A deterministic, realistic IPv4 table for the feeder: mostly /24, some /16../23, one attribute
 * set per about 4 prefixes, AS paths of 2..6 hops starting with the feeder's AS, communities on most
 * sets, a MED on some. Same seed, same table, on every machine.
 */
import type { PathAttrs } from '../../src/codec/types.js';
import { prng } from '../../src/util/prng.js';

export interface RouteGroup {
  /** Prefixes sharing one attribute set, as "a.b.c.d/len". */
  readonly prefixes: readonly string[];
  readonly attrs: PathAttrs;
}

export interface TableOptions {
  readonly n: number;
  readonly seed: number;
  /** The feeder's AS: first in every AS_PATH (RFC 4271 9.1.2: a neighbour puts its own AS first). */
  readonly firstAs: number;
  readonly nextHop: string;
  /** ASNs that must not appear in a path (the DUT's and the sink's, or the routes would be loops). */
  readonly avoidAs: readonly number[];
}

/** First octets the generated prefixes never use: 0, 10 (lab links), 100 (reflector blocks), 127, 169, 172, 192, 224+. */
const RESERVED_FIRST = new Set([0, 10, 100, 127, 169, 172, 192]);

const formatPrefix = (addr: number, len: number): string =>
  `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}/${len}`;

/** A prefix length: 85 % /24, the rest spread over /16../23 (more of the longer ones). */
function pickLength(r: () => number): number {
  const x = r();
  if (x < 0.85) return 24;
  const y = r();
  return 23 - Math.floor(y * y * 8); // 23..16, skewed to 23
}

/** N distinct prefixes (no two with the same address and length). */
export function generatePrefixes(n: number, r: () => number): string[] {
  const seen = new Set<number>();
  const out: string[] = [];
  while (out.length < n) {
    const len = pickLength(r);
    const first = 1 + Math.floor(r() * 223);
    if (RESERVED_FIRST.has(first)) continue;
    const rest = Math.floor(r() * 2 ** 24);
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    const addr = ((first * 2 ** 24 + rest) & mask) >>> 0;
    const key = addr * 64 + len;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(formatPrefix(addr, len));
  }
  return out;
}

function pickAsn(r: () => number, avoid: readonly number[]): number {
  for (;;) {
    // Mostly 2-octet public-looking ASNs, some 4-octet ones.
    const asn = r() < 0.85 ? 1 + Math.floor(r() * 64000) : 4200000000 + Math.floor(r() * 90000000);
    if (!avoid.includes(asn)) return asn;
  }
}

function attributeSet(o: TableOptions, r: () => number): PathAttrs {
  const hops = 2 + Math.floor(r() * 5); // 2..6
  const asns = [o.firstAs];
  while (asns.length < hops) asns.push(pickAsn(r, [...o.avoidAs, o.firstAs]));
  const comms: number[] = [];
  const nComms = r() < 0.3 ? 0 : 1 + Math.floor(r() * 4);
  for (let i = 0; i < nComms; i++) comms.push(((asns[1] ?? o.firstAs) & 0xffff) * 65536 + Math.floor(r() * 1000));
  const uniq = [...new Set(comms)].sort((a, b) => a - b);
  return {
    origin: r() < 0.9 ? 0 : 2,
    asPath: [{ type: 'sequence', asns }],
    nextHop: o.nextHop,
    ...(r() < 0.2 ? { med: Math.floor(r() * 1000) } : {}),
    ...(uniq.length > 0 ? { communities: uniq } : {}),
  };
}

/** The table as groups of prefixes sharing an attribute set (1..7 prefixes, 4 on average). */
export function generateTable(o: TableOptions): RouteGroup[] {
  const r = prng(o.seed);
  const prefixes = generatePrefixes(o.n, r);
  const groups: RouteGroup[] = [];
  let i = 0;
  while (i < prefixes.length) {
    const size = 1 + Math.floor(r() * 7);
    groups.push({ prefixes: prefixes.slice(i, i + size), attrs: attributeSet(o, r) });
    i += size;
  }
  return groups;
}

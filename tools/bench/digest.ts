/**
 * The content check of the inout scenario: at the end of the announce phase, every prefix the sink
 * holds must carry the next hop and AS path the feeder's table implies (the DUT's own address on
 * the sink's link, the DUT's AS prepended to the feeder's path). Counting prefixes is not enough: a
 * daemon that sent every prefix with a wrong next hop or path would otherwise be timed.
 *
 * A route is its prefix plus `routeText(nextHop, path)`; a table is summarized by an
 * order-independent digest (the count and two 32-bit sums of per-route hashes), so the sink and the
 * harness can compare a million routes with one short string. When the digests differ, `diffRoutes`
 * says which routes are missing, extra or carry other attributes. Not cryptographic: it detects a
 * daemon's mistakes, not an adversary.
 */
import type { AsPath } from '../../src/codec/types.js';
import { parsePrefix4 } from '../../src/codec/nlri.js';
import type { RouteGroup } from './table.js';

/** An AS path as text: sequences as "a b c", sets as "{a,b}", confederation segments as "(a b)" and "[a,b]". */
export function asPathText(path: AsPath): string {
  const parts: string[] = [];
  for (const s of path) {
    if (s.asns.length === 0) continue;
    if (s.type === 'sequence') parts.push(s.asns.join(' '));
    else if (s.type === 'set') parts.push(`{${s.asns.join(',')}}`);
    else if (s.type === 'confed-sequence') parts.push(`(${s.asns.join(' ')})`);
    else parts.push(`[${s.asns.join(',')}]`);
  }
  return parts.join(' ');
}

/** What the check compares of a route besides its prefix. */
export const routeText = (nextHop: string, asPath: string): string => `via ${nextHop} path ${asPath === '' ? '(empty)' : asPath}`;

/** "a.b.c.d/len" of a numeric prefix key (address * 64 + length, codec/nlri.ts parsePrefix4). */
export function prefixText(key: number): string {
  const len = key % 64;
  const addr = (key - len) / 64;
  return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}/${len}`;
}

/** murmur3's 32-bit finalizer. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Two independent 32-bit hashes of a route's attribute text (computed once per attribute set). */
export interface AttrHash {
  readonly a: number;
  readonly b: number;
}

export function attrHash(text: string): AttrHash {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) + i;
  }
  return { a: fmix32(a), b: fmix32(b ^ 0x9e3779b9) };
}

/** One route's contribution to a lane: prefix key (up to 38 bits) mixed with the attribute hash. */
function mix(key: number, h: number): number {
  const lo = key >>> 0; // the low 32 bits (key < 2^38, so `>>> 0` is key mod 2^32)
  const hi = Math.floor(key / 2 ** 32);
  return fmix32((fmix32((lo ^ h) >>> 0) + Math.imul(hi + 1, 0x9e3779b1)) >>> 0);
}

/** An order-independent digest of a set of routes (each prefix at most once). */
export class Digest {
  #count = 0;
  #a = 0;
  #b = 0;

  add(key: number, h: AttrHash): void {
    this.#count++;
    this.#a = (this.#a + mix(key, h.a)) >>> 0;
    this.#b = (this.#b + mix(key, h.b ^ 0x5f356495)) >>> 0;
  }

  get count(): number {
    return this.#count;
  }

  /** "<count>:<16 hex digits>". */
  get value(): string {
    return `${this.#count}:${this.#a.toString(16).padStart(8, '0')}${this.#b.toString(16).padStart(8, '0')}`;
  }
}

/** How the DUT changes the feeder's routes on their way to the sink (eBGP: next hop self, its AS prepended). */
export interface Transform {
  readonly nextHop: string;
  readonly prepend: readonly number[];
}

/** The routes of a table: prefix key -> route text, as sent (no transform) or as the sink should hold them. */
export function tableRoutes(groups: readonly RouteGroup[], t?: Transform): Map<number, string> {
  const out = new Map<number, string>();
  for (const g of groups) {
    const path = asPathText(t ? [{ type: 'sequence', asns: [...t.prepend] }, ...(g.attrs.asPath ?? [])] : (g.attrs.asPath ?? []));
    const text = routeText(t ? t.nextHop : (g.attrs.nextHop ?? '?'), path);
    for (const p of g.prefixes) out.set(parsePrefix4(p), text);
  }
  return out;
}

/** The digest of prefix -> route text pairs (hashes of repeated texts are computed once). */
export function digestOf(routes: Iterable<readonly [number, string]>): Digest {
  const d = new Digest();
  const cache = new Map<string, AttrHash>();
  for (const [key, text] of routes) {
    let h = cache.get(text);
    if (h === undefined) {
      h = attrHash(text);
      cache.set(text, h);
    }
    d.add(key, h);
  }
  return d;
}

export interface RouteDiff {
  /** Expected prefixes the holder does not have. */
  readonly missing: number;
  /** Prefixes the holder has that were never sent. */
  readonly extra: number;
  /** Prefixes held with other attributes than expected. */
  readonly wrong: number;
  /** Up to `max` examples, one line each ("10.1.2.0/24: via 10.0.2.9 path 65000 65001, expected via 10.0.2.1 path 65000 65001"). */
  readonly examples: readonly string[];
}

export function diffRoutes(held: ReadonlyMap<number, string>, expected: ReadonlyMap<number, string>, max = 5): RouteDiff {
  let extra = 0;
  let wrong = 0;
  let matched = 0;
  const examples: string[] = [];
  const note = (line: string): void => {
    if (examples.length < max) examples.push(line);
  };
  for (const [key, text] of held) {
    const want = expected.get(key);
    if (want === undefined) {
      extra++;
      note(`${prefixText(key)}: ${text}, never sent`);
    } else if (want !== text) {
      wrong++;
      matched++;
      note(`${prefixText(key)}: ${text}, expected ${want}`);
    } else matched++;
  }
  const missing = expected.size - matched;
  if (missing > 0 && examples.length < max) {
    for (const [key, want] of expected) {
      if (examples.length >= max) break;
      if (!held.has(key)) note(`${prefixText(key)}: missing, expected ${want}`);
    }
  }
  return { missing, extra, wrong, examples };
}

/** One line for an error message: "3 missing, 0 extra, 2 with other attributes; 10.1.2.0/24: ...; ...". */
export const describeDiff = (d: RouteDiff): string => `${d.missing} missing, ${d.extra} extra, ${d.wrong} with other attributes; ${d.examples.join('; ')}`;

/**
 * Canonical prefix keys and address helpers. The RIB keys everything by canonical text
 * ("10.0.1.0/24", "fd00:1::/64" in RFC 5952 form); the codec already produces that form, so the hot
 * path only looks at the text (family by ':', length after '/'). Parsing to bytes is for prefix
 * filters, canonicalizing originated prefixes, and numeric ordering of peer addresses.
 */
import type { Family } from './types.js';

export const familyOf = (prefixOrAddress: string): Family =>
  prefixOrAddress.includes(':') ? 'ipv6-unicast' : 'ipv4-unicast';

/** Prefix length from canonical text (digits after the '/'; hot path, no allocation). */
export function prefixLength(prefix: string): number {
  let n = 0;
  let mul = 1;
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c === 47) return n; // '/'
    if (c < 48 || c > 57) break;
    n += (c - 48) * mul;
    mul *= 10;
  }
  return prefix.includes(':') ? 128 : 32;
}

/** RFC 4271 4.3: an NLRI entry is a length octet plus the prefix bytes. */
export const prefixWireBytes = (prefix: string): number => 1 + ((prefixLength(prefix) + 7) >>> 3);

export const isDefaultRoute = (prefix: string): boolean => prefix === '0.0.0.0/0' || prefix === '::/0';

export function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? '';
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** RFC 4291 2.2 text forms: full, "::"-compressed, with an embedded dotted quad. No zone ids. */
export function parseIpv6(text: string): Uint8Array | null {
  if (text.includes('%')) return null;
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return null;
  const head = dbl >= 0 ? text.slice(0, dbl) : text;
  const tail = dbl >= 0 ? text.slice(dbl + 2) : '';
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const items = s.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i] ?? '';
      if (i === items.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (!v4) return null;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  if (!h || !t) return null;
  const fill = 8 - h.length - t.length;
  if (dbl >= 0 ? fill < 1 : fill !== 0) return null;
  const all = [...h, ...new Array<number>(dbl >= 0 ? fill : 0).fill(0), ...t];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** 4 bytes for IPv4 text, 16 for IPv6, null when not an address. */
export const parseAddress = (text: string): Uint8Array | null =>
  text.includes(':') ? parseIpv6(text) : parseIpv4(text);

export const formatIpv4 = (b: Uint8Array): string => `${b[0] ?? 0}.${b[1] ?? 0}.${b[2] ?? 0}.${b[3] ?? 0}`;

/** RFC 5952 4: lower case, leading zeros dropped, the longest run (>= 2) of zero groups as "::". */
export function formatIpv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(((b[2 * i] ?? 0) << 8) | (b[2 * i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestLen < 2) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

export interface ParsedPrefix {
  readonly bytes: Uint8Array;
  readonly len: number;
}

/** Parses "addr/len"; host bits are cleared. Null when malformed. */
export function parsePrefix(text: string): ParsedPrefix | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const bytes = parseAddress(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!bytes || !/^\d{1,3}$/.test(lenText)) return null;
  const len = Number(lenText);
  if (len > bytes.length * 8) return null;
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, len - 8 * i));
    bytes[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return { bytes, len };
}

export const formatPrefix = (p: ParsedPrefix): string =>
  `${p.bytes.length === 4 ? formatIpv4(p.bytes) : formatIpv6(p.bytes)}/${p.len}`;

/** The canonical key of a prefix text; throws on malformed input (config is validated before). */
export function canonicalPrefix(text: string): string {
  const p = parsePrefix(text);
  if (!p) throw new Error(`not a prefix: ${text}`);
  return formatPrefix(p);
}

/** True when `inner` lies within `outer` (same family, at least as long, equal on outer's bits). */
export function prefixCovers(outer: ParsedPrefix, inner: ParsedPrefix): boolean {
  if (outer.bytes.length !== inner.bytes.length || inner.len < outer.len) return false;
  const full = outer.len >>> 3;
  for (let i = 0; i < full; i++) if (outer.bytes[i] !== inner.bytes[i]) return false;
  const rem = outer.len & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return ((outer.bytes[full] ?? 0) & mask) === ((inner.bytes[full] ?? 0) & mask);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Fixed-width hex of an address (IPv4 as IPv4-mapped IPv6, RFC 4291 2.5.5.2), so string order is
 * numeric order: "10.0.0.9" sorts before "10.0.0.10". Unparseable text sorts after every address.
 */
export function addressKey(address: string): string {
  const b = parseAddress(address);
  if (!b) return `~${address}`;
  let s = b.length === 4 ? '00000000000000000000ffff' : '';
  for (const x of b) s += HEX[x];
  return s;
}

/** A dotted-quad BGP identifier as an unsigned 32-bit number (0 when malformed). */
export function routerIdNumber(id: string): number {
  const b = parseIpv4(id);
  if (!b) return 0;
  return (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
}

/** Numeric order: IPv4 before IPv6, then address, then length. */
export function comparePrefixes(a: string, b: string): number {
  const ka = addressKey(a.slice(0, a.indexOf('/')));
  const kb = addressKey(b.slice(0, b.indexOf('/')));
  const fa = a.includes(':') ? 1 : 0;
  const fb = b.includes(':') ? 1 : 0;
  if (fa !== fb) return fa - fb;
  if (ka !== kb) return ka < kb ? -1 : 1;
  return prefixLength(a) - prefixLength(b);
}

/** fe80::/10 (RFC 4291 2.5.6). */
export const isLinkLocalV6 = (address: string): boolean => /^fe[89ab][0-9a-f]:/i.test(address);

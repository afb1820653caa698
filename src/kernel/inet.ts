/**
 * IPv4/IPv6 addresses and prefixes as bytes, for the kernel module only: parse, format (canonical,
 * RFC 5952 for IPv6), and "is this address inside that subnet". No dependency beyond node:net.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type Family = 4 | 6;

export interface Inet {
  readonly family: Family;
  readonly bytes: Buffer;
}

export interface InetPrefix extends Inet {
  readonly len: number;
}

/** A strict dotted quad without the regex of node:net (the hot path of route encoding); null if not one. */
function parseV4(text: string): Buffer | null {
  if (text.length < 7 || text.length > 15) return null;
  const out = Buffer.allocUnsafe(4);
  let part = 0;
  let digits = 0;
  let i = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c >= 48 && c <= 57) {
      // No leading zeros ("01"), as isIPv4 refuses them.
      if (digits === 1 && part === 0) return null;
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return null;
    } else if (c === 46 && digits > 0 && i < 3) {
      out[i++] = part;
      part = 0;
      digits = 0;
    } else return null;
  }
  if (digits === 0 || i !== 3) return null;
  out[3] = part;
  return out;
}

/** Parses a dotted quad or an IPv6 address (with optional embedded IPv4 tail); throws on anything else. */
export function parseAddress(text: string): Inet {
  const quad = parseV4(text);
  if (quad) return { family: 4, bytes: quad };
  if (isIPv4(text)) return { family: 4, bytes: Buffer.from(text.split('.').map(Number)) };
  if (!isIPv6(text)) throw new Error(`not an IP address: ${text}`);
  const zone = text.indexOf('%');
  let s = zone >= 0 ? text.slice(0, zone) : text;
  const groups: number[] = [];
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4?.[1]) {
    const q = v4[1].split('.').map(Number);
    tail.push(((q[0] ?? 0) << 8) | (q[1] ?? 0), ((q[2] ?? 0) << 8) | (q[3] ?? 0));
    s = s.slice(0, s.length - v4[1].length);
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const hex = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const dbl = s.indexOf('::');
  if (dbl >= 0) {
    const head = hex(s.slice(0, dbl));
    const rest = hex(s.slice(dbl + 2));
    const fill = 8 - head.length - rest.length - tail.length;
    groups.push(...head, ...new Array<number>(fill).fill(0), ...rest, ...tail);
  } else {
    groups.push(...hex(s), ...tail);
  }
  const bytes = Buffer.alloc(16);
  groups.forEach((g, i) => bytes.writeUInt16BE(g, i * 2));
  return { family: 6, bytes };
}

/** Formats 4 or 16 bytes; IPv6 in RFC 5952 canonical form (longest run of >= 2 zero groups as `::`). */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw new Error(`bad address length ${bytes.length}`);
  const b = Buffer.from(bytes);
  const g = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const h = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return h(g);
  return `${h(g.slice(0, bestAt))}::${h(g.slice(bestAt + bestLen))}`;
}

/** Parses `addr/len` (or a bare address = host prefix); host bits are cleared. */
export function parsePrefix(text: string): InetPrefix {
  const slash = text.indexOf('/');
  const addr = parseAddress(slash >= 0 ? text.slice(0, slash) : text);
  const max = addr.family === 4 ? 32 : 128;
  const len = slash >= 0 ? Number(text.slice(slash + 1)) : max;
  if (!Number.isInteger(len) || len < 0 || len > max) throw new Error(`bad prefix length: ${text}`);
  return { family: addr.family, bytes: maskBytes(addr.bytes, len), len };
}

/** Canonical text of a prefix: network address (host bits cleared) and length. */
export function canonicalPrefix(text: string): string {
  const p = parsePrefix(text);
  return `${formatAddress(p.bytes)}/${p.len}`;
}

export function familyOf(text: string): Family {
  return parseAddress(text.split('/')[0] ?? '').family;
}

/** True when `addr` lies inside the subnet of `cidr` (an interface address such as 192.168.1.10/24). */
export function subnetContains(cidr: string, addr: string): boolean {
  const slash = cidr.indexOf('/');
  if (slash < 0) return false;
  const net = parseAddress(cidr.slice(0, slash));
  const a = parseAddress(addr);
  if (net.family !== a.family) return false;
  const len = Number(cidr.slice(slash + 1));
  return maskBytes(net.bytes, len).equals(maskBytes(a.bytes, len));
}

function maskBytes(bytes: Buffer, len: number): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, len - i * 8));
    out[i] = (out[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

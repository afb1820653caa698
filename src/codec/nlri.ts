/**
 * NLRI prefixes <-> bytes (RFC 4271 4.3, RFC 4760 5, RFC 7911 3).
 *
 *   +---------------------------+
 *   |   Length (1 octet)        |   prefix length in bits
 *   +---------------------------+
 *   |   Prefix (variable)       |   ceil(length / 8) octets
 *   +---------------------------+
 *
 * With ADD-PATH (RFC 7911 3) every entry is preceded by a 4-octet Path Identifier.
 * Prefixes are canonical strings; host bits beyond the length are cleared on decode (RFC 4271 4.3:
 * trailing bits are irrelevant) so one prefix has one spelling.
 */
import { formatIPv4, formatIPv6Bytes, parsePrefix4, parsePrefix6 } from '../util/inet.js';
import { Afi } from './constants.js';
import { type Cursor, u32, u8 } from './cursor.js';
import { invalidNetworkField, ShortRead } from './errors.js';
import type { NlriEntry } from './types.js';

/** Bytes an NLRI entry of this prefix length takes on the wire (without a path id). */
export const prefixWireLength = (bits: number): number => 1 + ((bits + 7) >>> 3);

const maskByte = (bits: number): number => (0xff00 >>> (bits & 7 || 8)) & 0xff;

/** Reads one IPv4 NLRI entry. Throws BgpError 3/10 if the length is over 32, ShortRead on overrun. */
export function decodePrefix4(c: Cursor): string {
  const bits = u8(c);
  if (bits > 32) throw invalidNetworkField(`IPv4 prefix length ${bits}`);
  const n = (bits + 7) >>> 3;
  if (c.off + n > c.end) throw new ShortRead(`IPv4 prefix of ${bits} bits overruns the field`);
  const b = c.buf;
  let addr = 0;
  for (let i = 0; i < n; i++) {
    let v = b.readUInt8(c.off + i);
    if (i === n - 1) v &= maskByte(bits);
    addr += v * 2 ** (24 - 8 * i);
  }
  c.off += n;
  return `${formatIPv4(addr)}/${bits}`;
}

/** Reads one IPv4 NLRI entry as parsePrefix4's number (address * 64 + length, host bits clear): no text. */
export function decodePrefix4Number(c: Cursor): number {
  const bits = u8(c);
  if (bits > 32) throw invalidNetworkField(`IPv4 prefix length ${bits}`);
  const n = (bits + 7) >>> 3;
  if (c.off + n > c.end) throw new ShortRead(`IPv4 prefix of ${bits} bits overruns the field`);
  const b = c.buf;
  const o = c.off;
  let addr = n > 0 ? (b[o] as number) << 24 : 0;
  if (n > 1) addr |= (b[o + 1] as number) << 16;
  if (n > 2) addr |= (b[o + 2] as number) << 8;
  if (n > 3) addr |= b[o + 3] as number;
  if (bits < 32) addr &= bits === 0 ? 0 : ~(0xffffffff >>> bits);
  c.off = o + n;
  return (addr >>> 0) * 64 + bits;
}

/** The text of an NlriEntry (a number is an IPv4 prefix, see decodePrefix4Number). */
export function nlriText(p: NlriEntry): string {
  if (typeof p === 'string') return p;
  const bits = p % 64;
  return `${formatIPv4((p - bits) / 64)}/${bits}`;
}

const scratch6 = Buffer.alloc(16);

/** Reads one IPv6 NLRI entry. Throws BgpError 3/10 if the length is over 128, ShortRead on overrun. */
export function decodePrefix6(c: Cursor): string {
  const bits = u8(c);
  if (bits > 128) throw invalidNetworkField(`IPv6 prefix length ${bits}`);
  const n = (bits + 7) >>> 3;
  if (c.off + n > c.end) throw new ShortRead(`IPv6 prefix of ${bits} bits overruns the field`);
  c.buf.copy(scratch6, 0, c.off, c.off + n);
  if (n > 0) scratch6.writeUInt8(scratch6.readUInt8(n - 1) & maskByte(bits), n - 1);
  c.off += n;
  return `${formatIPv6Bytes(scratch6, 0, n)}/${bits}`;
}

/** Re-exported for src/bench (speaker/roles.ts) until it moves out of the product. */
export { parsePrefix4 };

/** Writes a prefix parsed by parsePrefix4 at off; returns the next offset. */
export function writePrefix4(buf: Buffer, off: number, packed: number): number {
  const bits = packed % 64;
  const addr = (packed - bits) / 64; // < 2^32, so >>> below is exact
  buf[off++] = bits;
  if (bits === 0) return off;
  const mask = maskByte(bits);
  if (bits <= 8) {
    buf[off] = (addr >>> 24) & mask;
    return off + 1;
  }
  buf[off] = addr >>> 24;
  if (bits <= 16) {
    buf[off + 1] = (addr >>> 16) & mask;
    return off + 2;
  }
  buf[off + 1] = (addr >>> 16) & 0xff;
  if (bits <= 24) {
    buf[off + 2] = (addr >>> 8) & mask;
    return off + 3;
  }
  buf[off + 2] = (addr >>> 8) & 0xff;
  buf[off + 3] = addr & mask;
  return off + 4;
}

/** Writes one IPv4 NLRI entry for a "a.b.c.d/len" string; returns the next offset. TypeError if invalid. */
export function encodePrefix4(buf: Buffer, off: number, prefix: string): number {
  const p = parsePrefix4(prefix);
  if (p < 0) throw new TypeError(`not an IPv4 prefix: ${JSON.stringify(prefix)}`);
  return writePrefix4(buf, off, p);
}

/** Scratch for an IPv6 prefix being encoded: parsePrefix6(text, prefix6Bytes, 0), then writePrefix6. */
export const prefix6Bytes = Buffer.alloc(16);

/** Writes prefix6Bytes with `bits` bits at off; returns the next offset. */
export function writePrefix6(buf: Buffer, off: number, bits: number): number {
  buf[off++] = bits;
  const n = (bits + 7) >>> 3;
  const src = prefix6Bytes;
  for (let i = 0; i < n; i++) buf[off + i] = src[i] ?? 0;
  if (n > 0) buf[off + n - 1] = (src[n - 1] ?? 0) & maskByte(bits);
  return off + n;
}

/** Writes one IPv6 NLRI entry for an "addr/len" string; returns the next offset. TypeError if invalid. */
export function encodePrefix6(buf: Buffer, off: number, prefix: string): number {
  const bits = parsePrefix6(prefix, prefix6Bytes, 0);
  if (bits < 0) throw new TypeError(`not an IPv6 prefix: ${JSON.stringify(prefix)}`);
  return writePrefix6(buf, off, bits);
}

/** Wire length of a prefix string's NLRI entry (without a path id); TypeError if invalid. */
export function encodedPrefixLength(afi: number, prefix: string): number {
  const bits = afi === Afi.IPV6 ? parsePrefix6(prefix, prefix6Bytes, 0) : parsePrefix4(prefix) % 64;
  if (bits < 0) throw new TypeError(`not a prefix of AFI ${afi}: ${JSON.stringify(prefix)}`);
  return prefixWireLength(bits);
}

export interface PrefixList {
  readonly prefixes: string[];
  /** Present only when the field carried ADD-PATH identifiers. */
  readonly pathIds?: number[];
}

/**
 * Reads NLRI entries until the cursor's end. IPv4 for AFI 1, IPv6 for AFI 2. Throws BgpError 3/10
 * for a prefix length over the maximum and ShortRead for an entry overrunning the field (RFC 7606 5.3);
 * callers convert both to the error their field calls for.
 */
export function decodePrefixes(c: Cursor, afi: number, addPath: boolean): PrefixList {
  const prefixes: string[] = [];
  const decode = afi === Afi.IPV6 ? decodePrefix6 : decodePrefix4;
  if (!addPath) {
    while (c.off < c.end) prefixes.push(decode(c));
    return { prefixes };
  }
  const pathIds: number[] = [];
  while (c.off < c.end) {
    pathIds.push(u32(c));
    prefixes.push(decode(c));
  }
  return { prefixes, pathIds };
}

/**
 * Reads IPv4 NLRI entries until the cursor's end, as numbers (decodePrefix4Number). Errors as
 * decodePrefixes. Its own loop, not decodePrefixes' with another decoder: an array literal shared
 * with the text decoders would turn generic once it met a string, and then box every number above
 * 2^31 (most prefixes: address * 64 + length) in a heap object of its own.
 */
export function decodePrefixNumbers4(c: Cursor, addPath: boolean): { readonly prefixes: number[]; readonly pathIds?: number[] } {
  const prefixes: number[] = [];
  if (!addPath) {
    while (c.off < c.end) prefixes.push(decodePrefix4Number(c));
    return { prefixes };
  }
  const pathIds: number[] = [];
  while (c.off < c.end) {
    pathIds.push(u32(c));
    prefixes.push(decodePrefix4Number(c));
  }
  return { prefixes, pathIds };
}

/** Bytes needed to write these prefixes (with path ids when addPath). TypeError on an invalid prefix. */
export function prefixesLength(afi: number, prefixes: readonly NlriEntry[], addPath: boolean): number {
  let n = 0;
  for (const p of prefixes) n += (typeof p === 'number' ? prefixWireLength(p % 64) : encodedPrefixLength(afi, p)) + (addPath ? 4 : 0);
  return n;
}

/** Writes prefixes (with path ids, 0 when missing, if addPath) at off; returns the next offset. */
export function writePrefixes(
  buf: Buffer,
  off: number,
  afi: number,
  prefixes: readonly NlriEntry[],
  pathIds: readonly number[] | undefined,
  addPath: boolean,
): number {
  const enc = afi === Afi.IPV6 ? encodePrefix6 : encodePrefix4;
  for (let i = 0; i < prefixes.length; i++) {
    if (addPath) off = buf.writeUInt32BE((pathIds?.[i] ?? 0) >>> 0, off);
    const p = prefixes[i] ?? '';
    off = typeof p === 'number' ? writePrefix4(buf, off, p) : enc(buf, off, p);
  }
  return off;
}

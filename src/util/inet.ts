/**
 * IPv4 and IPv6 addresses and prefixes: the one place their text is read and written, for every
 * layer (codec, RIB, kernel, config, daemon, session). docs/architecture.md "Addresses" says who
 * uses what.
 *
 * Text accepted (the node:net rules): IPv4 as a dotted quad without leading zeros ("10.0.0.1", not
 * "010.0.0.1"); IPv6 in the RFC 4291 2.2 forms (full, "::"-compressed, a dotted quad in the last 32
 * bits), hex digits of either case. A prefix is "address/length" with a decimal length 0..32 or
 * 0..128 without leading zeros ("10.0.0.0/8", not "10.0.0.0/08" nor a bare address).
 *
 * Text written is canonical: the dotted quad; IPv6 in RFC 5952 4 form (lower case, leading zeros
 * dropped, the longest run of two or more zero groups as "::", the first one on a tie). Deliberate
 * departure: RFC 5952 5 recommends "::ffff:192.0.2.1" for IPv4-mapped addresses; they are written
 * in hex ("::ffff:c000:201") like ip-address's correctForm() and the WHATWG URL parser, so one
 * address has one spelling whichever library produced it. `unmapIPv4` turns a mapped address (what
 * a dual-stack socket reports for an IPv4 peer) into the IPv4 address.
 *
 * Zone ids ("fe80::1%eth0", RFC 4007 11): no BGP or netlink field carries one, so `parseAddress`,
 * `parsePrefix`, the codec's and the kernel's parsers refuse them. Only socket addresses have them
 * (Node appends the interface to a link-local peer's address): `parseZonedAddress` reads them,
 * `canonicalAddress` drops them (a peer is keyed by its address), and session/tcp-options.ts
 * passes them on to the kernel. The configuration refuses them.
 *
 * Hot paths (NLRI decode/encode, kernel route encode/decode, RIB keys) use the range and byte
 * functions: IPv4 as an unsigned 32-bit number, IPv6 into caller-owned bytes, no allocation but the
 * resulting string. Module-level scratch buffers are used only inside one synchronous call. Bytes
 * made here are Buffers, like those of the codec and netlink, so the byte loops see one kind of
 * array (a mix of Buffer and plain Uint8Array makes V8's element access polymorphic: ~15 % slower).
 */

export type IpFamily = 4 | 6;

/** An address as its bytes: 4 for IPv4, 16 for IPv6 (network byte order). */
export interface IpAddress {
  readonly family: IpFamily;
  readonly bytes: Uint8Array;
}

/** An address with the zone id it was written with, if any (IPv6 only). */
export interface ZonedAddress extends IpAddress {
  readonly zone?: string;
}

/** A prefix: the network address (host bits cleared) and the length. */
export interface IpPrefix extends IpAddress {
  readonly len: number;
  /** The text had bits set after the length (they are cleared in `bytes`): "10.0.0.1/8". */
  readonly hostBits: boolean;
}

// ------------------------------------------------------------------ text at a glance (no parsing)

/** The family of address or prefix text already known to be valid: 6 when it holds a ':'. */
export const familyOfText = (text: string): IpFamily => (text.includes(':') ? 6 : 4);

/** The length of valid prefix text (the digits after '/'); the family's maximum without a '/'. No allocation. */
export function prefixLength(prefix: string): number {
  let n = 0;
  let mul = 1;
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c === 47 /* / */) return n;
    if (c < 48 || c > 57) break;
    n += (c - 48) * mul;
    mul *= 10;
  }
  return prefix.includes(':') ? 128 : 32;
}

function hexValue(ch: number): number {
  if (ch >= 48 && ch <= 57) return ch - 48;
  if (ch >= 97 && ch <= 102) return ch - 87;
  if (ch >= 65 && ch <= 70) return ch - 55;
  return -1;
}

/**
 * fe80::/10 (RFC 4291 2.5.6), read from the text's first group: any spelling, with or without a zone
 * id. False for text that does not start with a 4-digit group.
 */
export function isLinkLocalV6(text: string): boolean {
  if (text.length < 5 || text.charCodeAt(4) !== 58 /* : */) return false;
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const d = hexValue(text.charCodeAt(i));
    if (d < 0) return false;
    v = v * 16 + d;
  }
  return (v & 0xffc0) === 0xfe80;
}

// ------------------------------------------------------------------ IPv4 as a u32

/** Dotted quad of a u32. */
export function formatIPv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/** Dotted quad of the 4 bytes at off. RangeError if they are not all there. */
export function formatIPv4Bytes(buf: Uint8Array, off: number): string {
  if (off < 0 || off + 4 > buf.length) throw new RangeError(`IPv4 address at ${off} overruns ${buf.length} bytes`);
  return `${buf[off] ?? 0}.${buf[off + 1] ?? 0}.${buf[off + 2] ?? 0}.${buf[off + 3] ?? 0}`;
}

/**
 * Parses a dotted quad between start and end (exclusive) to a u32, or returns -1.
 * Rejects leading zeros ("01"), empty parts and values over 255, like node:net.isIPv4.
 */
export function parseIPv4Range(s: string, start: number, end: number): number {
  let addr = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  let leadingZero = false;
  for (let i = start; i < end; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 46 /* . */) {
      if (digits === 0 || parts === 3) return -1;
      addr = addr * 256 + part;
      parts++;
      part = 0;
      digits = 0;
      leadingZero = false;
    } else if (ch >= 48 && ch <= 57) {
      if (leadingZero) return -1;
      if (digits === 0 && ch === 48) leadingZero = true;
      part = part * 10 + (ch - 48);
      digits++;
      if (part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (digits === 0 || parts !== 3) return -1;
  return addr * 256 + part;
}

/** Dotted quad to u32; TypeError on anything else (for text that is ours: config-validated or decoded). */
export function parseIPv4(s: string): number {
  const v = parseIPv4Range(s, 0, s.length);
  if (v < 0) throw new TypeError(`not an IPv4 address: ${JSON.stringify(s)}`);
  return v;
}

/** Writes the 4 bytes of a dotted quad at off; returns the next offset. TypeError if invalid. */
export function writeIPv4(buf: Buffer, off: number, s: string): number {
  return buf.writeUInt32BE(parseIPv4(s), off);
}

// ------------------------------------------------------------------ IPv6 as 16 bytes

const HEX = '0123456789abcdef';

function hex16(n: number): string {
  if (n < 0x10) return HEX.charAt(n);
  if (n < 0x100) return HEX.charAt(n >>> 4) + HEX.charAt(n & 15);
  if (n < 0x1000) return HEX.charAt(n >>> 8) + HEX.charAt((n >>> 4) & 15) + HEX.charAt(n & 15);
  return HEX.charAt(n >>> 12) + HEX.charAt((n >>> 8) & 15) + HEX.charAt((n >>> 4) & 15) + HEX.charAt(n & 15);
}

/** Scratch for formatIPv6Bytes: the 8 groups. */
const outGroups = new Uint16Array(8);

/**
 * RFC 5952 text of `len` bytes (len <= 16) at off, zero-padded to 16 bytes: full addresses (len 16)
 * and NLRI prefixes, whose trailing bytes are implicitly zero. RangeError if the bytes are not there.
 */
export function formatIPv6Bytes(buf: Uint8Array, off: number, len = 16): string {
  if (off < 0 || len > 16 || off + len > buf.length) throw new RangeError(`IPv6 address of ${len} bytes at ${off} overruns ${buf.length} bytes`);
  const g = outGroups;
  g.fill(0);
  for (let i = 0; i < len; i++) {
    const b = buf[off + i] ?? 0;
    const k = i >>> 1;
    g[k] = (g[k] ?? 0) | (i & 1 ? b : b << 8);
  }
  // RFC 5952 4.2: the longest run of >= 2 zero groups becomes "::"; the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
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
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    out += hex16(g[i] ?? 0);
    if (i < 7) out += ':';
  }
  return out;
}

/** Scratch for parseIPv6Range: the groups as written. */
const inGroups = new Uint16Array(8);

/**
 * Parses IPv6 text between start and end into 16 bytes at out[off..]. Accepts the RFC 4291 2.2
 * forms (full, "::"-compressed, trailing dotted quad); no zone id. Returns false when invalid
 * (out may then hold garbage). No allocation.
 */
export function parseIPv6Range(s: string, start: number, end: number, out: Uint8Array, off: number): boolean {
  let n = 0; // groups parsed
  let gap = -1; // index in groups where "::" sits
  let i = start;
  if (end - start < 2) return false;
  if (s.charCodeAt(i) === 58 /* : */) {
    if (s.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
    if (i === end) return fillIPv6(n, gap, out, off);
  }
  for (;;) {
    // one group, or a dotted quad at the very end
    let v = 0;
    let digits = 0;
    const gstart = i;
    while (i < end) {
      const ch = s.charCodeAt(i);
      let d: number;
      if (ch >= 48 && ch <= 57) d = ch - 48;
      else if (ch >= 97 && ch <= 102) d = ch - 87;
      else if (ch >= 65 && ch <= 70) d = ch - 55;
      else break;
      v = v * 16 + d;
      digits++;
      i++;
    }
    if (i < end && s.charCodeAt(i) === 46 /* . */) {
      const v4 = parseIPv4Range(s, gstart, end);
      if (v4 < 0 || n > 6) return false;
      inGroups[n++] = v4 >>> 16;
      inGroups[n++] = v4 & 0xffff;
      break;
    }
    if (digits === 0 || digits > 4 || n === 8) return false;
    inGroups[n++] = v;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return false; // trailing single ':'
    }
  }
  return fillIPv6(n, gap, out, off);
}

function fillIPv6(n: number, gap: number, out: Uint8Array, off: number): boolean {
  if (gap < 0 ? n !== 8 : n > 7) return false;
  if (off < 0 || off + 16 > out.length) throw new RangeError(`IPv6 address at ${off} overruns ${out.length} bytes`);
  const zeros = 8 - n;
  let k = off;
  for (let gi = 0; gi <= n; gi++) {
    if (gi === gap) {
      out.fill(0, k, k + 2 * zeros);
      k += 2 * zeros;
    }
    if (gi === n) break;
    const g = inGroups[gi] ?? 0;
    out[k++] = g >>> 8;
    out[k++] = g & 0xff;
  }
  return true;
}

/** Writes the 16 bytes of an IPv6 address at off; returns the next offset. TypeError if invalid. */
export function writeIPv6(buf: Uint8Array, off: number, s: string): number {
  if (!parseIPv6Range(s, 0, s.length, buf, off)) throw new TypeError(`not an IPv6 address: ${JSON.stringify(s)}`);
  return off + 16;
}

// ------------------------------------------------------------------ addresses

/** Scratch for one synchronous call: an IPv6 address or network. */
const scratchA = Buffer.alloc(16);
const scratchB = Buffer.alloc(16);

function ipv4Bytes(v: number): Uint8Array {
  const b = Buffer.alloc(4);
  b[0] = v >>> 24;
  b[1] = (v >>> 16) & 0xff;
  b[2] = (v >>> 8) & 0xff;
  b[3] = v & 0xff;
  return b;
}

/** An IPv4 or IPv6 address (no zone id), or null. */
export function parseAddress(text: string): IpAddress | null {
  if (text.includes(':')) {
    const bytes = Buffer.alloc(16);
    return parseIPv6Range(text, 0, text.length, bytes, 0) ? { family: 6, bytes } : null;
  }
  const v = parseIPv4Range(text, 0, text.length);
  return v < 0 ? null : { family: 4, bytes: ipv4Bytes(v) };
}

/**
 * An address as a socket reports it: IPv6 may carry a zone id after '%' (an interface name or
 * number: not empty, no '%', '/' or white space). Null when not an address.
 */
export function parseZonedAddress(text: string): ZonedAddress | null {
  const pct = text.indexOf('%');
  if (pct < 0) return parseAddress(text);
  const zone = text.slice(pct + 1);
  if (!/^[^%/\s]+$/.test(zone)) return null;
  const bytes = Buffer.alloc(16);
  return parseIPv6Range(text, 0, pct, bytes, 0) ? { family: 6, bytes, zone } : null;
}

/** Canonical text of 4 or 16 bytes; TypeError for another length. */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return formatIPv4Bytes(bytes, 0);
  if (bytes.length === 16) return formatIPv6Bytes(bytes, 0);
  throw new TypeError(`an address has 4 or 16 bytes, not ${bytes.length}`);
}

/**
 * The canonical text of an address (with or without a zone id), by which the daemon finds a peer:
 * the zone id is dropped ("FE80::1%eth0" -> "fe80::1"). Text that is not an address comes back
 * unchanged, so it matches no peer.
 */
export function canonicalAddress(text: string): string {
  const a = parseZonedAddress(text);
  return a === null ? text : formatAddress(a.bytes);
}

/** ::ffff:0:0/96 (RFC 4291 2.5.5.2) in 16 bytes. */
function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/**
 * An IPv4-mapped IPv6 address as the IPv4 address ("::ffff:192.0.2.1", "::FFFF:c000:201" ->
 * "192.0.2.1"): what a dual-stack socket reports for an IPv4 peer. Any other text is returned as is.
 */
export function unmapIPv4(text: string): string {
  if (!text.includes(':')) return text;
  const b = scratchA;
  if (!parseIPv6Range(text, 0, text.length, b, 0) || !isMapped(b)) return text;
  return formatIPv4Bytes(b, 12);
}

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Fixed-width hex of an address (IPv4 as IPv4-mapped IPv6, RFC 4291 2.5.5.2), so string order is
 * numeric order: "10.0.0.9" sorts before "10.0.0.10". Text that is not an address sorts after every
 * address.
 */
export function addressSortKey(address: string): string {
  const a = parseAddress(address);
  if (a === null) return `~${address}`;
  let s = a.family === 4 ? '00000000000000000000ffff' : '';
  for (const x of a.bytes) s += HEX_BYTE[x];
  return s;
}

// ------------------------------------------------------------------ prefixes

/** A decimal prefix length in s[start, end): 0..max, no sign, no leading zero; -1 otherwise. Unrolled: once per route. */
function parseLength(s: string, start: number, end: number, max: number): number {
  const d0 = s.charCodeAt(start) - 48;
  if (!(d0 >= 0 && d0 <= 9)) return -1; // also an empty length (NaN)
  const n = end - start;
  if (n === 1) return d0 <= max ? d0 : -1;
  if (d0 === 0 || n > 3) return -1;
  const d1 = s.charCodeAt(start + 1) - 48;
  if (!(d1 >= 0 && d1 <= 9)) return -1;
  let v = d0 * 10 + d1;
  if (n === 3) {
    const d2 = s.charCodeAt(start + 2) - 48;
    if (!(d2 >= 0 && d2 <= 9)) return -1;
    v = v * 10 + d2;
  }
  return v <= max ? v : -1;
}

/** The u32 mask of an IPv4 prefix length. */
const maskV4 = (len: number): number => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);

/** Clears the bits after `len` in bytes[off, off + size); true when any of them was set. */
function clearBits(bytes: Uint8Array, off: number, size: number, len: number): boolean {
  let set = false;
  const end = off + size;
  let i = off + (len >>> 3);
  const rem = len & 7;
  if (rem !== 0 && i < end) {
    const keep = (0xff00 >>> rem) & 0xff;
    const b = bytes[i] ?? 0;
    if ((b & ~keep) !== 0) set = true;
    bytes[i] = b & keep;
    i++;
  }
  for (; i < end; i++) {
    if (bytes[i] !== 0) set = true;
    bytes[i] = 0;
  }
  return set;
}

/**
 * Clears the bits after `len` in `bytes` (in place), leaving the network address of a prefix.
 * Returns true when any of them was set.
 */
export const clearHostBits = (bytes: Uint8Array, len: number): boolean => clearBits(bytes, 0, bytes.length, len);

/**
 * Parses "a.b.c.d/len" into one number, address * 64 + len, or -1. Host bits are kept as written
 * (the NLRI writer masks them). No allocation: the NLRI encoder's form (codec/nlri.ts writePrefix4).
 */
export function parsePrefix4(s: string): number {
  const slash = s.indexOf('/');
  if (slash < 0) return -1;
  const addr = parseIPv4Range(s, 0, slash);
  if (addr < 0) return -1;
  const len = parseLength(s, slash + 1, s.length, 32);
  return len < 0 ? -1 : addr * 64 + len;
}

/** parsePrefix4 of a prefix written canonically (host bits clear), else -1: the text is then the canonical one as it stands. */
export function parseCanonicalPrefix4(s: string): number {
  const p = parsePrefix4(s);
  if (p < 0) return -1;
  const len = p % 64;
  const addr = (p - len) / 64;
  return ((addr & maskV4(len)) >>> 0) === addr ? p : -1;
}

/**
 * Parses "addr/len" (IPv6) into 16 bytes at out[off..]; returns len, or -1. Host bits are kept as
 * written (the NLRI writer masks them). No allocation.
 */
export function parsePrefix6(s: string, out: Uint8Array, off: number): number {
  const slash = s.indexOf('/');
  if (slash < 0 || !parseIPv6Range(s, 0, slash, out, off)) return -1;
  return parseLength(s, slash + 1, s.length, 128);
}

/** "address/length" as bytes and length (the network: host bits cleared, and noted), or null. */
export function parsePrefix(text: string): IpPrefix | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const a = parseAddress(text.slice(0, slash));
  if (a === null) return null;
  const len = parseLength(text, slash + 1, text.length, a.family === 4 ? 32 : 128);
  if (len < 0) return null;
  const hostBits = clearHostBits(a.bytes, len);
  return { family: a.family, bytes: a.bytes, len, hostBits };
}

/** Canonical text of a prefix's bytes and length. */
export const formatPrefix = (p: { readonly bytes: Uint8Array; readonly len: number }): string => `${formatAddress(p.bytes)}/${p.len}`;

/**
 * Canonical text of a prefix: the network address (host bits cleared) and the length. TypeError on
 * text that is not a prefix (for text that is ours: config-validated or decoded). No allocation but
 * the result.
 */
export function canonicalPrefix(text: string): string {
  if (text.includes(':')) {
    const len = parsePrefix6(text, scratchA, 0);
    if (len >= 0) {
      clearBits(scratchA, 0, 16, len);
      return `${formatIPv6Bytes(scratchA, 0)}/${len}`;
    }
  } else {
    const p = parsePrefix4(text);
    if (p >= 0) {
      const len = p % 64;
      return `${formatIPv4((Math.floor(p / 64) & maskV4(len)) >>> 0)}/${len}`;
    }
  }
  throw new TypeError(`not an IP prefix: ${JSON.stringify(text)}`);
}

/** The first `len` bits of a and b are equal. */
function bitsEqual(a: Uint8Array, b: Uint8Array, len: number): boolean {
  const full = len >>> 3;
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false;
  const rem = len & 7;
  if (rem === 0) return true;
  const mask = (0xff00 >>> rem) & 0xff;
  return ((a[full] ?? 0) & mask) === ((b[full] ?? 0) & mask);
}

/** `inner` lies within `outer`: same family, at least as long, equal on outer's bits. */
export function prefixContains(
  outer: { readonly bytes: Uint8Array; readonly len: number },
  inner: { readonly bytes: Uint8Array; readonly len: number },
): boolean {
  return outer.bytes.length === inner.bytes.length && inner.len >= outer.len && bitsEqual(outer.bytes, inner.bytes, outer.len);
}

/**
 * `address` lies inside `subnet`, "address/length" text whose host bits are ignored (an interface
 * address such as "192.168.1.10/24", or a range "10.0.0.0/8"). False when either is not valid or
 * the families differ. No allocation.
 */
export function inSubnet(address: string, subnet: string): boolean {
  const slash = subnet.indexOf('/');
  if (slash < 0) return false;
  const v6 = address.includes(':');
  const len = parseLength(subnet, slash + 1, subnet.length, v6 ? 128 : 32);
  if (len < 0) return false;
  if (!v6) {
    const a = parseIPv4Range(address, 0, address.length);
    const n = parseIPv4Range(subnet, 0, slash);
    return a >= 0 && n >= 0 && (len === 0 || (a ^ n) >>> (32 - len) === 0);
  }
  return (
    parseIPv6Range(address, 0, address.length, scratchA, 0) && parseIPv6Range(subnet, 0, slash, scratchB, 0) && bitsEqual(scratchA, scratchB, len)
  );
}

/** Numeric order of prefix text: IPv4 before IPv6, then by address, then by length. */
export function comparePrefixes(a: string, b: string): number {
  const fa = familyOfText(a);
  const fb = familyOfText(b);
  if (fa !== fb) return fa - fb;
  const ka = addressSortKey(a.slice(0, a.indexOf('/')));
  const kb = addressSortKey(b.slice(0, b.indexOf('/')));
  if (ka !== kb) return ka < kb ? -1 : 1;
  return prefixLength(a) - prefixLength(b);
}

/**
 * Allocation-light IPv4/IPv6 text <-> bytes conversions for the codec's hot paths (NLRI, next hops).
 * `ip-address` is for config and display; these are checked against it and node:net in the tests.
 *
 * Output is canonical: IPv4 dotted quad without leading zeros; IPv6 in RFC 5952 form (lower case,
 * leading zeros dropped, the longest run of two or more zero groups shortened to "::", the first run
 * on a tie). Deliberate departure: RFC 5952 5 recommends "::ffff:192.0.2.1" for IPv4-mapped addresses;
 * we print them in hex ("::ffff:c000:201") like ip-address's correctForm() and the WHATWG URL parser,
 * so the RIB sees one spelling whichever library produced it.
 */

const HEX = '0123456789abcdef';

/** Dotted quad of a u32. */
export function formatIPv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/** Dotted quad of 4 bytes at off. */
export function formatIPv4Bytes(buf: Buffer, off: number): string {
  return `${buf.readUInt8(off)}.${buf.readUInt8(off + 1)}.${buf.readUInt8(off + 2)}.${buf.readUInt8(off + 3)}`;
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

/** Dotted quad to u32; throws TypeError on anything else (encoder input is ours, not the peer's). */
export function parseIPv4(s: string): number {
  const v = parseIPv4Range(s, 0, s.length);
  if (v < 0) throw new TypeError(`not an IPv4 address: ${JSON.stringify(s)}`);
  return v;
}

/** Writes 4 bytes of a dotted quad at off; returns the next offset. */
export function writeIPv4(buf: Buffer, off: number, s: string): number {
  return buf.writeUInt32BE(parseIPv4(s), off);
}

/**
 * RFC 5952 text of `len` bytes (len <= 16) at off, zero-padded to 16 bytes. Used for full addresses
 * (len 16) and for prefixes, whose trailing bytes are implicitly zero.
 */
export function formatIPv6Bytes(buf: Buffer, off: number, len = 16): string {
  const g = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < len; i++) {
    const b = buf.readUInt8(off + i);
    const k = i >>> 1;
    g[k] = (g[k] ?? 0) | (i & 1 ? b : b << 8);
  }
  return formatGroups(g);
}

function hex16(n: number): string {
  if (n < 0x10) return HEX.charAt(n);
  if (n < 0x100) return HEX.charAt(n >>> 4) + HEX.charAt(n & 15);
  if (n < 0x1000) return HEX.charAt(n >>> 8) + HEX.charAt((n >>> 4) & 15) + HEX.charAt(n & 15);
  return HEX.charAt(n >>> 12) + HEX.charAt((n >>> 8) & 15) + HEX.charAt((n >>> 4) & 15) + HEX.charAt(n & 15);
}

function formatGroups(g: readonly number[]): string {
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

const groups = new Uint16Array(8);

/**
 * Parses IPv6 text between start and end into 16 bytes at out[off..]. Accepts the RFC 4291 2.2
 * forms (full, "::"-compressed, trailing dotted quad); no zone ids. Returns false when invalid
 * (out may then hold garbage). No allocation: groups go through a shared scratch array.
 */
export function parseIPv6Range(s: string, start: number, end: number, out: Buffer, off: number): boolean {
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
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      break;
    }
    if (digits === 0 || digits > 4 || n === 8) return false;
    groups[n++] = v;
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

function fillIPv6(n: number, gap: number, out: Buffer, off: number): boolean {
  if (gap < 0 ? n !== 8 : n > 7) return false;
  const zeros = 8 - n;
  let k = off;
  for (let gi = 0; gi <= n; gi++) {
    if (gi === gap) {
      out.fill(0, k, k + 2 * zeros);
      k += 2 * zeros;
    }
    if (gi === n) break;
    const g = groups[gi] ?? 0;
    out[k++] = g >>> 8;
    out[k++] = g & 0xff;
  }
  return true;
}

/** Writes the 16 bytes of an IPv6 address at off; returns the next offset. Throws TypeError if invalid. */
export function writeIPv6(buf: Buffer, off: number, s: string): number {
  if (!parseIPv6Range(s, 0, s.length, buf, off)) throw new TypeError(`not an IPv6 address: ${JSON.stringify(s)}`);
  return off + 16;
}

/** Canonical (RFC 5952) form of any accepted IPv6 text. Throws TypeError if invalid. */
export function canonicalIPv6(s: string): string {
  const b = Buffer.alloc(16);
  writeIPv6(b, 0, s);
  return formatIPv6Bytes(b, 0);
}

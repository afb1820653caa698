/**
 * The sink's fast path: the IPv4 prefixes an UPDATE withdraws and announces, as numeric keys
 * (address * 64 + length, the form of codec/nlri.ts parsePrefix4), without building strings or
 * decoding attributes. Only the classic Withdrawn Routes and NLRI fields are read (RFC 4271 4.3);
 * the bench's sessions negotiate IPv4 unicast only, without ADD-PATH, so nothing else carries IPv4
 * prefixes. Bounds are checked; a malformed message throws (the sink reports it and stops).
 */
import { HEADER_LEN } from '../../src/codec/constants.js';

export interface PrefixSink {
  withdraw(key: number): void;
  announce(key: number): void;
}

function walk(buf: Buffer, off: number, end: number, each: (key: number) => void): void {
  while (off < end) {
    const bits = buf[off++] ?? 0;
    if (bits > 32) throw new RangeError(`IPv4 prefix length ${bits}`);
    const n = (bits + 7) >>> 3;
    if (off + n > end) throw new RangeError('prefix overruns its field');
    let addr = 0;
    for (let i = 0; i < 4; i++) addr = addr * 256 + (i < n ? (buf[off + i] ?? 0) : 0);
    // Host bits beyond the length are irrelevant (RFC 4271 4.3): clear them.
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    each(((addr & mask) >>> 0) * 64 + bits);
    off += n;
  }
}

/** Walks one whole UPDATE message (header included). */
export function walkUpdate(frame: Buffer, sink: PrefixSink): void {
  let off = HEADER_LEN;
  const end = frame.length;
  if (off + 2 > end) throw new RangeError('UPDATE too short');
  const wlen = frame.readUInt16BE(off);
  off += 2;
  if (off + wlen + 2 > end) throw new RangeError('Withdrawn Routes Length overruns the message');
  walk(frame, off, off + wlen, (k) => sink.withdraw(k));
  off += wlen;
  const alen = frame.readUInt16BE(off);
  off += 2 + alen;
  if (off > end) throw new RangeError('Total Path Attribute Length overruns the message');
  walk(frame, off, end, (k) => sink.announce(k));
}

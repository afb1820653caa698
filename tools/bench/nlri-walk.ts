/**
 * The sink's fast path: the IPv4 prefixes an UPDATE withdraws and announces, as numeric keys
 * (address * 64 + length, the form of codec/nlri.ts parsePrefix4), without building strings or
 * decoding attributes. Only the classic Withdrawn Routes and NLRI fields are read (RFC 4271 4.3);
 * the bench's sessions negotiate IPv4 unicast only, so nothing else carries IPv4 prefixes. The
 * reflector-addpath clients negotiate ADD-PATH (RFC 7911) and read those fields with a Path
 * Identifier before each prefix (walkUpdatePaths). Bounds are checked; a malformed message throws
 * (the sink reports it and stops).
 */
import { HEADER_LEN } from '../../src/codec/constants.js';
import { routeText } from './digest.js';

export interface PrefixSink {
  withdraw(key: number): void;
  announce(key: number): void;
}

/**
 * Every IPv4 prefix of an NLRI field as a number (address * 64 + length, host bits cleared), with
 * its RFC 7911 path identifier when the field carries them (`withPathIds`), else 0.
 */
function walkNlri(buf: Buffer, off: number, end: number, withPathIds: boolean, each: (key: number, pathId: number) => void): void {
  while (off < end) {
    let pathId = 0;
    if (withPathIds) {
      // RFC 7911 3: a 4-octet Path Identifier, then the prefix as RFC 4271 4.3 encodes it.
      if (off + 5 > end) throw new RangeError('path identifier overruns its field');
      pathId = buf.readUInt32BE(off);
      off += 4;
    }
    const bits = buf[off++] ?? 0;
    if (bits > 32) throw new RangeError(`IPv4 prefix length ${bits}`);
    const n = (bits + 7) >>> 3;
    if (off + n > end) throw new RangeError('prefix overruns its field');
    let addr = 0;
    for (let i = 0; i < 4; i++) addr = addr * 256 + (i < n ? (buf[off + i] ?? 0) : 0);
    // Host bits beyond the length are irrelevant (RFC 4271 4.3): clear them.
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    each(((addr & mask) >>> 0) * 64 + bits, pathId);
    off += n;
  }
}

/** A receiver of (prefix, path id) pairs: RFC 7911 NLRI encoding. */
export interface PathSink {
  withdraw(key: number, pathId: number): void;
  announce(key: number, pathId: number): void;
}

/**
 * Walks one whole UPDATE message (header included) of a session that receives path ids in IPv4
 * unicast (RFC 7911 3: every entry of Withdrawn Routes and NLRI starts with a Path Identifier).
 */
export function walkUpdatePaths(frame: Buffer, sink: PathSink): void {
  walkUpdateNlri(frame, true, sink);
}

/** The Withdrawn Routes, then the NLRI of one whole UPDATE, to `sink`. */
function walkUpdateNlri(frame: Buffer, withPathIds: boolean, sink: PathSink): void {
  let off = HEADER_LEN;
  const end = frame.length;
  if (off + 2 > end) throw new RangeError('UPDATE too short');
  const wlen = frame.readUInt16BE(off);
  off += 2;
  if (off + wlen + 2 > end) throw new RangeError('Withdrawn Routes Length overruns the message');
  walkNlri(frame, off, off + wlen, withPathIds, (k, id) => sink.withdraw(k, id));
  off += wlen;
  const alen = frame.readUInt16BE(off);
  off += 2 + alen;
  if (off > end) throw new RangeError('Total Path Attribute Length overruns the message');
  walkNlri(frame, off, end, withPathIds, (k, id) => sink.announce(k, id));
}

/**
 * The IPv4 NEXT_HOP (type 3) of one whole UPDATE as an unsigned 32-bit number, without building a
 * string; -1 when the UPDATE has none (a withdrawal).
 */
export function nextHopNumber(frame: Buffer): number {
  let nh = -1;
  forEachAttr(frame, (type, off, len) => {
    if (type === 3 && len === 4) nh = frame.readUInt32BE(off);
  });
  return nh;
}

/** Calls `f(type, offset, length)` for each path attribute of one whole UPDATE, in order. */
function forEachAttr(frame: Buffer, f: (type: number, off: number, len: number) => void): void {
  let off = HEADER_LEN;
  const wlen = frame.readUInt16BE(off);
  off += 2 + wlen;
  const alen = frame.readUInt16BE(off);
  off += 2;
  const end = off + alen;
  if (end > frame.length) throw new RangeError('Total Path Attribute Length overruns the message');
  while (off < end) {
    const flags = frame[off] ?? 0;
    const type = frame[off + 1] ?? 0;
    const extended = (flags & 0x10) !== 0;
    const len = extended ? frame.readUInt16BE(off + 2) : (frame[off + 2] ?? 0);
    off += extended ? 4 : 3;
    if (off + len > end) throw new RangeError(`path attribute ${type} overruns the attribute field`);
    f(type, off, len);
    off += len;
  }
}

/** Walks one whole UPDATE message (header included). */
export function walkUpdate(frame: Buffer, sink: PrefixSink): void {
  walkUpdateNlri(frame, false, sink);
}

/** NEXT_HOP and AS_PATH of an UPDATE, as the sink's content check compares them (digest.ts routeText). */
export interface RouteAttrs {
  readonly nextHop: string;
  /** digest.ts asPathText's form: "a b c", sets "{a,b}", confederation segments "(a b)" / "[a,b]". */
  readonly asPath: string;
}

const SEGMENT_OPEN: Readonly<Record<number, readonly [string, string, string]>> = {
  1: ['{', ',', '}'],
  2: ['', ' ', ''],
  3: ['(', ' ', ')'],
  4: ['[', ',', ']'],
};

function asPathAt(buf: Buffer, off: number, end: number, as4: boolean): string {
  const parts: string[] = [];
  const width = as4 ? 4 : 2;
  while (off < end) {
    if (off + 2 > end) throw new RangeError('AS_PATH segment header overruns the attribute');
    const type = buf[off] ?? 0;
    const count = buf[off + 1] ?? 0;
    off += 2;
    if (off + count * width > end) throw new RangeError('AS_PATH segment overruns the attribute');
    const [open, sep, close] = SEGMENT_OPEN[type] ?? [`?${type}(`, ' ', ')'];
    const asns: number[] = [];
    for (let i = 0; i < count; i++, off += width) asns.push(as4 ? buf.readUInt32BE(off) : buf.readUInt16BE(off));
    if (count > 0) parts.push(`${open}${asns.join(sep)}${close}`);
  }
  return parts.join(' ');
}

/**
 * NEXT_HOP (type 3) and AS_PATH (type 2) of one whole UPDATE, read from its path attributes
 * (RFC 4271 4.3, 5.1.2, 5.1.3) without decoding the rest; `as4`: the session negotiated 4-octet AS
 * numbers (RFC 6793), so AS_PATH carries 4-octet ASNs. A missing NEXT_HOP reads as "none".
 */
export function readRouteAttrs(frame: Buffer, as4: boolean): RouteAttrs {
  let nextHop = 'none';
  let asPath = '';
  forEachAttr(frame, (type, off, len) => {
    if (type === 3 && len === 4) nextHop = `${frame[off]}.${frame[off + 1]}.${frame[off + 2]}.${frame[off + 3]}`;
    else if (type === 2) asPath = asPathAt(frame, off, off + len, as4);
  });
  return { nextHop, asPath };
}

/**
 * What a receiver of these UPDATEs holds, in order: prefix key -> route text (digest.ts routeText)
 * of the UPDATE that last announced it; a withdrawal removes it. The sink's content check.
 */
export function replayRoutes(frames: readonly Buffer[], as4: boolean): Map<number, string> {
  const out = new Map<number, string>();
  for (const frame of frames) {
    let text: string | undefined;
    walkUpdate(frame, {
      withdraw: (k) => {
        out.delete(k);
      },
      announce: (k) => {
        if (text === undefined) {
          const a = readRouteAttrs(frame, as4);
          text = routeText(a.nextHop, a.asPath);
        }
        out.set(k, text);
      },
    });
  }
  return out;
}

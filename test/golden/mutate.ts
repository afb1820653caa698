/**
 * A seeded mutation engine for BGP messages (no dependency): finds the landmarks of a valid message
 * (length fields, attribute flags and types, attribute extents, prefix length octets) and produces
 * mutants around them, plus blind truncation, extension and byte flips.
 */
import { HEADER_LEN } from '../../src/codec/constants.js';
import type { CodecContext } from '../../src/codec/types.js';

export interface Field {
  readonly off: number;
  readonly size: 1 | 2;
}

export interface Landmarks {
  readonly lengths: Field[];
  readonly flags: number[];
  readonly types: number[];
  readonly attrs: { start: number; end: number }[];
  /** Offset of the Total Path Attribute Length and the end of the attribute block (UPDATE only). */
  attrBlock?: { readonly lenOff: number; readonly end: number };
  readonly prefixLens: number[];
}

const u8 = (b: Buffer, o: number): number => (o < b.length ? (b[o] ?? 0) : 0);
const u16 = (b: Buffer, o: number): number => (u8(b, o) << 8) | u8(b, o + 1);

/** Prefix length octets of an NLRI field in [start, end); stops quietly at anything odd. */
function prefixes(b: Buffer, start: number, end: number, addPath: boolean, out: number[]): void {
  let o = start;
  while (o < end) {
    if (addPath) o += 4;
    if (o >= end) return;
    out.push(o);
    o += 1 + ((u8(b, o) + 7) >>> 3);
  }
}

/** Walks a valid message leniently and records where its structure lives. */
export function landmarks(b: Buffer, ctx: CodecContext): Landmarks {
  const L: Landmarks = { lengths: [{ off: 16, size: 2 }], flags: [], types: [], attrs: [], prefixLens: [] };
  const type = u8(b, 18);
  if (type === 1) {
    L.lengths.push({ off: 28, size: 1 });
    let o = 29;
    const ext = u8(b, 28) !== 0 && u8(b, 29) === 255;
    if (ext) {
      L.lengths.push({ off: 30, size: 2 });
      o = 32;
    }
    while (o < b.length) {
      L.types.push(o);
      L.lengths.push({ off: o + 1, size: ext ? 2 : 1 });
      const len = ext ? u16(b, o + 1) : u8(b, o + 1);
      const vStart = o + (ext ? 3 : 2);
      for (let c = vStart; c + 1 < vStart + len; c += 2 + u8(b, c + 1)) {
        L.types.push(c);
        L.lengths.push({ off: c + 1, size: 1 });
      }
      o = vStart + len;
    }
  } else if (type === 2) {
    const addPath = ctx.addPathRx.has('1/1');
    L.lengths.push({ off: 19, size: 2 });
    const wl = u16(b, 19);
    prefixes(b, 21, 21 + wl, addPath, L.prefixLens);
    const lenOff = 21 + wl;
    L.lengths.push({ off: lenOff, size: 2 });
    const end = lenOff + 2 + u16(b, lenOff);
    L.attrBlock = { lenOff, end };
    let o = lenOff + 2;
    while (o + 3 <= end) {
      const flags = u8(b, o);
      const t = u8(b, o + 1);
      const ext = (flags & 0x10) !== 0;
      const len = ext ? u16(b, o + 2) : u8(b, o + 2);
      const v = o + (ext ? 4 : 3);
      L.flags.push(o);
      L.types.push(o + 1);
      L.lengths.push({ off: o + 2, size: ext ? 2 : 1 });
      L.attrs.push({ start: o, end: v + len });
      if (t === 2 || t === 17) for (let s = v; s + 1 < v + len; s += 2 + u8(b, s + 1) * (t === 17 || ctx.as4 ? 4 : 2)) L.lengths.push({ off: s + 1, size: 1 });
      if (t === 14 && len >= 5) {
        L.lengths.push({ off: v + 3, size: 1 });
        const afi = u16(b, v);
        const nlri = v + 5 + u8(b, v + 3);
        prefixes(b, nlri, v + len, ctx.addPathRx.has(`${afi}/${u8(b, v + 2)}`), L.prefixLens);
      }
      if (t === 15 && len >= 3) prefixes(b, v + 3, v + len, ctx.addPathRx.has(`${u16(b, v)}/${u8(b, v + 2)}`), L.prefixLens);
      o = v + len;
    }
    prefixes(b, end, b.length, addPath, L.prefixLens);
  } else if (type === 3 && b.length > 21) {
    L.lengths.push({ off: 21, size: 1 });
  }
  return L;
}

export interface Mutant {
  readonly bytes: Buffer;
  readonly ops: string[];
}

const INTERESTING_TYPES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32, 99, 128, 255];
const INTERESTING_PREFIX_LENS = [0, 1, 7, 8, 9, 24, 31, 32, 33, 64, 127, 128, 129, 255];

function setLength(b: Buffer, f: Field, v: number): void {
  if (f.off + f.size > b.length) return;
  if (f.size === 1) b.writeUInt8(v & 0xff, f.off);
  else b.writeUInt16BE(v & 0xffff, f.off);
}

/** Rewrites the header length to the real size. */
export function fixHeader(b: Buffer): void {
  if (b.length >= HEADER_LEN) b.writeUInt16BE(Math.min(b.length, 0xffff), 16);
}

function insert(b: Buffer, at: number, piece: Buffer): Buffer {
  return Buffer.concat([b.subarray(0, at), piece, b.subarray(at)]);
}

/** Inserts an attribute TLV into an UPDATE's attribute block and fixes the block length. */
function insertAttr(b: Buffer, L: Landmarks, at: number, piece: Buffer): Buffer {
  const block = L.attrBlock;
  if (!block) return b;
  const out = insert(b, at, piece);
  out.writeUInt16BE((u16(b, block.lenOff) + piece.length) & 0xffff, block.lenOff);
  return out;
}

/** One mutant of a valid message. `donors` supplies attributes from other vectors for splicing. */
export function mutate(orig: Buffer, L: Landmarks, rnd: () => number, donors: readonly Buffer[]): Mutant {
  const pick = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(rnd() * xs.length)];
  const int = (n: number): number => Math.floor(rnd() * n);
  let b: Buffer = Buffer.from(orig);
  const ops: string[] = [];
  let fix = rnd() < 0.85;
  const rounds = 1 + (rnd() < 0.3 ? 1 : 0) + (rnd() < 0.1 ? 1 : 0);
  for (let r = 0; r < rounds; r++) {
    switch (int(10)) {
      case 0: {
        const at = int(b.length + 1);
        b = b.subarray(0, at);
        ops.push(`truncate@${at}`);
        break;
      }
      case 1: {
        const n = 1 + int(64);
        const extra = Buffer.alloc(n);
        for (let i = 0; i < n; i++) extra[i] = int(256);
        const at = rnd() < 0.5 ? b.length : HEADER_LEN + int(Math.max(1, b.length - HEADER_LEN));
        b = insert(b, Math.min(at, b.length), extra);
        ops.push(`extend+${n}@${at}`);
        break;
      }
      case 2: {
        const n = 1 + int(4);
        for (let i = 0; i < n && b.length > 16; i++) {
          const at = 16 + int(b.length - 16);
          b[at] = rnd() < 0.5 ? (b[at] ?? 0) ^ (1 << int(8)) : int(256);
          ops.push(`flip@${at}`);
        }
        break;
      }
      case 3: {
        const f = pick(L.lengths);
        if (!f) break;
        const cur = f.size === 1 ? u8(b, f.off) : u16(b, f.off);
        const max = f.size === 1 ? 0xff : 0xffff;
        const v = pick([0, 1, 2, 3, 18, 19, 20, 23, 29, 255, 256, 4096, 4097, max, cur - 1, cur + 1, cur + 4, int(max + 1)]) ?? 0;
        setLength(b, f, v);
        if (f.off === 16) fix = false;
        ops.push(`length@${f.off}=${v & max}`);
        break;
      }
      case 4: {
        const at = pick(L.flags);
        if (at === undefined || at >= b.length) break;
        const bits = pick([0x80, 0x40, 0x20, 0x10, 0xc0, 0x50, 0x0f]) ?? 0x80;
        b[at] = (b[at] ?? 0) ^ bits;
        ops.push(`flags@${at}^${bits.toString(16)}`);
        break;
      }
      case 5: {
        const a = pick(L.attrs);
        if (!a || a.end > b.length) break;
        b = insertAttr(b, L, rnd() < 0.5 ? a.end : (L.attrBlock?.end ?? a.end), Buffer.from(orig.subarray(a.start, a.end)));
        ops.push(`duplicate@${a.start}`);
        r = rounds; // offsets moved: stop here
        break;
      }
      case 6: {
        const at = pick(L.types);
        if (at === undefined || at >= b.length) break;
        const t = rnd() < 0.6 ? (pick(INTERESTING_TYPES) ?? 0) : int(256);
        b[at] = t;
        ops.push(`type@${at}=${t}`);
        break;
      }
      case 7: {
        const at = pick(L.prefixLens);
        if (at === undefined || at >= b.length) break;
        const v = rnd() < 0.6 ? (pick(INTERESTING_PREFIX_LENS) ?? 0) : int(256);
        b[at] = v;
        ops.push(`prefixlen@${at}=${v}`);
        break;
      }
      case 8: {
        const donor = pick(donors);
        if (!donor || !L.attrBlock || L.attrBlock.end > b.length) break;
        b = insertAttr(b, L, rnd() < 0.5 ? L.attrBlock.lenOff + 2 : L.attrBlock.end, donor);
        ops.push(`splice+${donor.toString('hex')}`);
        r = rounds;
        break;
      }
      default: {
        // zero or fill a random run
        if (b.length <= HEADER_LEN) break;
        const at = HEADER_LEN + int(b.length - HEADER_LEN);
        const n = 1 + int(8);
        b.fill(rnd() < 0.5 ? 0 : 0xff, at, Math.min(b.length, at + n));
        ops.push(`fill@${at}+${n}`);
      }
    }
  }
  if (fix) fixHeader(b);
  return { bytes: b, ops };
}

/**
 * UPDATE packing: many prefixes -> as few UPDATEs as fit the session's maximum length (4096, or
 * 65535 with RFC 8654). This is the hot path of a full-table send, so: the attribute block is
 * encoded once per call, prefixes are parsed from their strings and written straight into
 * preallocated slabs (no per-prefix objects), and each message is a view of a slab.
 *
 * Message shapes, in output order (RFC 7606 5.1: an UPDATE carries only one of non-empty withdrawn
 * routes, non-empty NLRI, MP_REACH_NLRI, MP_UNREACH_NLRI; MP attributes first):
 *   1. classic withdrawals: Withdrawn Routes only, no attributes;
 *   2. attrs.mpUnreach: MP_UNREACH_NLRI as the only attribute (one message even when empty: that is
 *      the family's End-of-RIB, RFC 4724 2);
 *   3. classic NLRI: the attribute block (without MP attributes) + NLRI;
 *   4. attrs.mpReach: MP_REACH_NLRI (next hop repeated) + the other attributes.
 * Attributes without reachability (no nlri, no mpReach) are not sent. Every message repeats the
 * attributes it needs. Path ids are written when ctx.addPathTx has the family (0 where missing).
 */
import { HEADER_LEN, MsgType, Afi, AttrFlag, AttrType } from './constants.js';
import { encodeAttrList, encodeBlock } from './attrs/encode.js';
import { mpReachHeadLength, writeMpReachHead } from './attrs/mp-reach.js';
import { writeHeader } from './header.js';
import { maxMessageLength } from './message.js';
import { parsePrefix4, parsePrefix6 } from '../util/inet.js';
import { prefix6Bytes, writePrefix4, writePrefix6 } from './nlri.js';
import { type CodecContext, familyKey, type MpReach, type NlriEntry, type PathAttrs } from './types.js';

export { encodePathAttrs } from './attrs/encode.js';

/** A prefix to encode (types.ts): the RIB hands over numbers for the IPv4 destinations it keeps by number. */
export type { NlriEntry };

export interface UpdateBatch {
  readonly withdrawn?: readonly NlriEntry[];
  readonly withdrawnPathIds?: readonly number[];
  readonly nlri?: readonly NlriEntry[];
  readonly nlriPathIds?: readonly number[];
  readonly attrs?: PathAttrs | null;
}

const SLAB = 256 * 1024;
/** Header + Withdrawn Routes Length + Total Path Attribute Length. */
const FIXED = HEADER_LEN + 4;

/**
 * Messages are written into one scratch slab shared by all calls (encodeUpdates is synchronous and
 * not re-entrant), then copied once into an exactly sized buffer per slab-full; the returned
 * messages are views of that copy. A call that yields one small UPDATE thus costs one small
 * allocation, not a 256 KiB slab kept alive by the view (the reflector case: many one-prefix calls).
 */
let scratch = Buffer.allocUnsafe(SLAB);

class Slabs {
  readonly out: Buffer[] = [];
  #used = 0;
  readonly #pending: number[] = [];
  readonly #room: number;

  constructor(max: number) {
    this.#room = max + 1;
    if (scratch.length < Math.max(SLAB, this.#room)) scratch = Buffer.allocUnsafe(Math.max(SLAB, this.#room));
  }

  /** The scratch slab with at least max + 1 free bytes and the offset to start the next message at. */
  begin(): { buf: Buffer; base: number } {
    if (scratch.length - this.#used < this.#room) this.#flush();
    return { buf: scratch, base: this.#used };
  }

  end(len: number): void {
    this.#pending.push(len);
    this.#used += len;
  }

  /** Every finished message, copied out of the scratch slab. */
  done(): Buffer[] {
    this.#flush();
    return this.out;
  }

  #flush(): void {
    if (this.#used === 0) return;
    const copy = Buffer.allocUnsafe(this.#used);
    scratch.copy(copy, 0, 0, this.#used);
    let off = 0;
    for (const len of this.#pending) {
      this.out.push(copy.subarray(off, off + len));
      off += len;
    }
    this.#pending.length = 0;
    this.#used = 0;
  }
}

/** Cursor over one prefix list across messages. */
interface Walk {
  readonly afi: number;
  readonly list: readonly NlriEntry[];
  readonly ids: readonly number[] | undefined;
  readonly addPath: boolean;
  i: number;
}

/**
 * Writes prefixes from w.i on while they fit; returns the next offset. A prefix fits when its end
 * is <= limit, or <= limit + 1 while the attribute value that starts at valueStart stays <= 255
 * octets (its header then loses the extended length octet; see finishMpAttr).
 */
function writeSome(buf: Buffer, pos: number, limit: number, valueStart: number, w: Walk): number {
  const v6 = w.afi === Afi.IPV6;
  const idLen = w.addPath ? 4 : 0;
  const { list } = w;
  while (w.i < list.length) {
    const p = list[w.i] ?? '';
    let bits: number;
    let packed = 0;
    if (v6) {
      bits = typeof p === 'string' ? parsePrefix6(p, prefix6Bytes, 0) : -1;
    } else {
      packed = typeof p === 'number' ? (Number.isInteger(p) && p >= 0 && p % 64 <= 32 && p < 2 ** 38 ? p : -1) : parsePrefix4(p);
      bits = packed < 0 ? -1 : packed % 64;
    }
    if (bits < 0) throw new TypeError(`not a prefix of AFI ${w.afi}: ${JSON.stringify(p)}`);
    const next = pos + idLen + 1 + ((bits + 7) >>> 3);
    if (next > limit + (next - valueStart <= 255 ? 1 : 0)) break;
    if (w.addPath) pos = buf.writeUInt32BE((w.ids?.[w.i] ?? 0) >>> 0, pos);
    pos = v6 ? writePrefix6(buf, pos, bits) : writePrefix4(buf, pos, packed);
    w.i++;
  }
  return pos;
}

function tooBig(what: string): never {
  throw new RangeError(`${what}: the attributes leave no room for a single prefix`);
}

/**
 * Finishes an MP attribute written with a 4-octet header at attrAt whose value ends at valueEnd, and
 * `tail` bytes after it. Returns the end of the tail, shifted left by one when the value fits a
 * 3-octet header (the Extended Length bit is set only for values over 255 octets).
 */
function finishMpAttr(buf: Buffer, attrAt: number, type: number, valueEnd: number, tailEnd: number): number {
  const len = valueEnd - attrAt - 4;
  if (len > 255) {
    buf.writeUInt8(AttrFlag.OPTIONAL | AttrFlag.EXTENDED_LENGTH, attrAt);
    buf.writeUInt8(type, attrAt + 1);
    buf.writeUInt16BE(len, attrAt + 2);
    return tailEnd;
  }
  buf.copyWithin(attrAt + 3, attrAt + 4, tailEnd);
  buf.writeUInt8(AttrFlag.OPTIONAL, attrAt);
  buf.writeUInt8(type, attrAt + 1);
  buf.writeUInt8(len, attrAt + 2);
  return tailEnd - 1;
}

function finishMessage(s: Slabs, buf: Buffer, base: number, end: number): void {
  writeHeader(buf, base, end - base, MsgType.UPDATE);
  s.end(end - base);
}

function packWithdrawn(s: Slabs, max: number, w: Walk): void {
  do {
    const { buf, base } = s.begin();
    const start = base + HEADER_LEN + 2;
    const end = writeSome(buf, start, base + max - 2, -Infinity, w);
    if (end === start) tooBig('withdrawn');
    buf.writeUInt16BE(end - start, base + HEADER_LEN);
    buf.writeUInt16BE(0, end);
    finishMessage(s, buf, base, end + 2);
  } while (w.i < w.list.length);
}

function packNlri(s: Slabs, max: number, block: Buffer, w: Walk): void {
  do {
    const { buf, base } = s.begin();
    buf.writeUInt16BE(0, base + HEADER_LEN);
    buf.writeUInt16BE(block.length, base + HEADER_LEN + 2);
    const start = base + FIXED + block.copy(buf, base + FIXED);
    const end = writeSome(buf, start, base + max, -Infinity, w);
    if (end === start) tooBig('NLRI');
    finishMessage(s, buf, base, end);
  } while (w.i < w.list.length);
}

/** MP_REACH_NLRI (head = AFI..Reserved) or MP_UNREACH_NLRI (head = AFI, SAFI) + `tail` attributes. */
function packMp(s: Slabs, max: number, type: number, writeHead: (b: Buffer, o: number) => number, tail: Buffer, w: Walk): void {
  do {
    const { buf, base } = s.begin();
    const attrAt = base + FIXED;
    const valueStart = attrAt + 4;
    const start = writeHead(buf, valueStart);
    const end = writeSome(buf, start, base + max - tail.length, valueStart, w);
    if (end === start && w.list.length > 0) tooBig(type === AttrType.MP_REACH_NLRI ? 'MP_REACH_NLRI' : 'MP_UNREACH_NLRI');
    const last = finishMpAttr(buf, attrAt, type, end, end + tail.copy(buf, end));
    buf.writeUInt16BE(0, base + HEADER_LEN);
    buf.writeUInt16BE(last - FIXED - base, base + HEADER_LEN + 2);
    finishMessage(s, buf, base, last);
  } while (w.i < w.list.length);
}

const walk = (afi: number, list: readonly NlriEntry[], ids: readonly number[] | undefined, addPath: boolean): Walk => ({
  afi,
  list,
  ids,
  addPath,
  i: 0,
});

/** Splits withdrawals and announcements into as many UPDATEs as needed to fit ctx's maximum length. */
export function encodeUpdates(u: UpdateBatch, ctx: CodecContext): Buffer[] {
  const max = maxMessageLength(ctx);
  const s = new Slabs(max);
  const attrs = u.attrs ?? null;
  const v4Key = familyKey(Afi.IPV4, 1);
  const withdrawn = u.withdrawn ?? [];
  const nlri = u.nlri ?? [];

  if (withdrawn.length > 0) packWithdrawn(s, max, walk(Afi.IPV4, withdrawn, u.withdrawnPathIds, ctx.addPathTx.has(v4Key)));

  const un = attrs?.mpUnreach;
  if (un) {
    const head = (b: Buffer, o: number): number => b.writeUInt8(un.safi, b.writeUInt16BE(un.afi, o));
    packMp(s, max, AttrType.MP_UNREACH_NLRI, head, Buffer.alloc(0), walk(un.afi, un.withdrawn, un.pathIds, ctx.addPathTx.has(familyKey(un.afi, un.safi))));
  }

  const reach: MpReach | undefined = attrs?.mpReach;
  if (attrs === null || (nlri.length === 0 && reach === undefined)) return s.done();
  const block = encodeBlock(encodeAttrList(attrs, ctx, true));
  if (FIXED + block.length > max) throw new RangeError(`attribute block of ${block.length} octets exceeds the maximum ${max}`);

  if (nlri.length > 0) packNlri(s, max, block, walk(Afi.IPV4, nlri, u.nlriPathIds, ctx.addPathTx.has(v4Key)));

  if (reach) {
    if (FIXED + 4 + mpReachHeadLength(reach) + block.length > max) tooBig('MP_REACH_NLRI');
    const head = (b: Buffer, o: number): number => writeMpReachHead(b, o, reach);
    packMp(s, max, AttrType.MP_REACH_NLRI, head, block, walk(reach.afi, reach.nlri, reach.pathIds, ctx.addPathTx.has(familyKey(reach.afi, reach.safi))));
  }
  return s.done();
}

/**
 * PathAttrs -> the path attribute block of an UPDATE.
 *
 * Canonical order: MP_REACH_NLRI and MP_UNREACH_NLRI first (RFC 7606 5.1: "SHALL be encoded as the
 * very first path attribute"), then ascending type code (RFC 4271 5: "SHOULD be ordered by
 * ascending attribute type"), unknown attributes included. The Extended Length bit is set only when
 * a value is longer than 255 octets. Flags are the attribute's definition (Optional/Transitive);
 * unknown optional transitive attributes are sent with Partial set (RFC 4271 5), other unknown ones
 * with the flags they carry. The Partial bit of a received known attribute is not kept.
 */
import { writeIPv4 } from '../../util/inet.js';
import { AttrFlag, AttrType } from '../constants.js';
import type { CodecContext, PathAttrs } from '../types.js';
import { Writer } from '../writer.js';
import { writeAsPath } from './as-path.js';
import { writeMpReach, writeMpUnreach } from './mp-reach.js';

interface Encoded {
  readonly rank: number;
  readonly flags: number;
  readonly type: number;
  readonly value: Buffer;
}

const WELL_KNOWN = AttrFlag.TRANSITIVE;
const OPT_NON_TRANS = AttrFlag.OPTIONAL;
const OPT_TRANS = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;

const rankOf = (type: number): number =>
  type === AttrType.MP_REACH_NLRI ? -2 : type === AttrType.MP_UNREACH_NLRI ? -1 : type;

function value(fill: (w: Writer) => void): Buffer {
  const w = new Writer(32);
  fill(w);
  return w.finish();
}

/** Each attribute present in attrs, as (flags, type, value), in canonical order. */
export function encodeAttrList(attrs: PathAttrs, ctx: CodecContext, skipMp = false): Encoded[] {
  const out: Encoded[] = [];
  const add = (type: number, flags: number, v: Buffer): void => {
    out.push({ rank: rankOf(type), flags, type, value: v });
  };
  const asnLen = ctx.as4 ? 4 : 2;
  const { mpReach, mpUnreach, origin, asPath, nextHop, med, localPref, aggregator, communities } = attrs;
  const { originatorId, clusterList, extCommunities, as4Path, as4Aggregator, largeCommunities } = attrs;
  const ipv4 = (w: Writer, a: string): Writer => w.with(4, (b, o) => writeIPv4(b, o, a));
  if (!skipMp && mpReach) add(AttrType.MP_REACH_NLRI, OPT_NON_TRANS, value((w) => writeMpReach(w, mpReach, ctx)));
  if (!skipMp && mpUnreach) add(AttrType.MP_UNREACH_NLRI, OPT_NON_TRANS, value((w) => writeMpUnreach(w, mpUnreach, ctx)));
  if (origin !== undefined) add(AttrType.ORIGIN, WELL_KNOWN, Buffer.from([origin]));
  if (asPath) add(AttrType.AS_PATH, WELL_KNOWN, value((w) => writeAsPath(w, asPath, asnLen)));
  if (nextHop !== undefined) add(AttrType.NEXT_HOP, WELL_KNOWN, value((w) => ipv4(w, nextHop)));
  if (med !== undefined) add(AttrType.MULTI_EXIT_DISC, OPT_NON_TRANS, value((w) => w.u32(med)));
  if (localPref !== undefined) add(AttrType.LOCAL_PREF, WELL_KNOWN, value((w) => w.u32(localPref)));
  if (attrs.atomicAggregate === true) add(AttrType.ATOMIC_AGGREGATE, WELL_KNOWN, Buffer.alloc(0));
  if (aggregator) {
    const { asn, address } = aggregator;
    if (asnLen === 2 && asn > 0xffff) throw new RangeError(`AGGREGATOR ASN ${asn} in a 2-octet session (call downgradeAs4 first)`);
    add(AttrType.AGGREGATOR, OPT_TRANS, value((w) => ipv4(asnLen === 4 ? w.u32(asn) : w.u16(asn), address)));
  }
  if (communities && communities.length > 0) {
    add(AttrType.COMMUNITIES, OPT_TRANS, value((w) => communities.forEach((c) => w.u32(c))));
  }
  if (originatorId !== undefined) add(AttrType.ORIGINATOR_ID, OPT_NON_TRANS, value((w) => ipv4(w, originatorId)));
  if (clusterList && clusterList.length > 0) {
    add(AttrType.CLUSTER_LIST, OPT_NON_TRANS, value((w) => clusterList.forEach((id) => ipv4(w, id))));
  }
  if (extCommunities && extCommunities.length > 0) {
    add(AttrType.EXTENDED_COMMUNITIES, OPT_TRANS, value((w) => extCommunities.forEach((c) => w.bytes(c))));
  }
  if (as4Path) add(AttrType.AS4_PATH, OPT_TRANS, value((w) => writeAsPath(w, as4Path, 4)));
  if (as4Aggregator) add(AttrType.AS4_AGGREGATOR, OPT_TRANS, value((w) => ipv4(w.u32(as4Aggregator.asn), as4Aggregator.address)));
  if (largeCommunities && largeCommunities.length > 0) {
    add(AttrType.LARGE_COMMUNITY, OPT_TRANS, value((w) => largeCommunities.forEach((l) => w.u32(l.global).u32(l.local1).u32(l.local2))));
  }
  for (const u of attrs.unknown ?? []) {
    const optTrans = (u.flags & OPT_TRANS) === OPT_TRANS;
    add(u.type, (u.flags & ~AttrFlag.EXTENDED_LENGTH & 0xf0) | (optTrans ? AttrFlag.PARTIAL : 0), u.value);
  }
  out.sort((x, y) => x.rank - y.rank);
  return out;
}

/** Octets one attribute takes with its header. */
export const attrLength = (e: { readonly value: Buffer }): number => (e.value.length > 255 ? 4 : 3) + e.value.length;

/** Writes one attribute (header + value) at off; returns the next offset. */
export function writeAttr(buf: Buffer, off: number, e: { readonly flags: number; readonly type: number; readonly value: Buffer }): number {
  const len = e.value.length;
  if (len > 0xffff) throw new RangeError(`attribute ${e.type} value of ${len} octets`);
  const ext = len > 255;
  off = buf.writeUInt8(ext ? e.flags | AttrFlag.EXTENDED_LENGTH : e.flags & ~AttrFlag.EXTENDED_LENGTH, off);
  off = buf.writeUInt8(e.type, off);
  off = ext ? buf.writeUInt16BE(len, off) : buf.writeUInt8(len, off);
  return off + e.value.copy(buf, off);
}

/** The whole attribute block, canonical order. */
export function encodePathAttrs(attrs: PathAttrs, ctx: CodecContext): Buffer {
  return encodeBlock(encodeAttrList(attrs, ctx));
}

export function encodeBlock(list: readonly Encoded[]): Buffer {
  const out = Buffer.allocUnsafe(list.reduce((n, e) => n + attrLength(e), 0));
  let off = 0;
  for (const e of list) off = writeAttr(out, off, e);
  return out;
}

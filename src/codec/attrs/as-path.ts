/**
 * AS_PATH and AS4_PATH (RFC 4271 4.3 / 5.1.2, RFC 5065 3, RFC 6793) and the 2 <-> 4 octet conversion.
 *
 *   one segment:  +-----------------+------------------+------------------------------+
 *                 | type (1 octet)  | length (1 octet, | ASNs (length x 2 or 4 octets) |
 *                 | 1 SET 2 SEQ     |  number of ASNs) |                              |
 *                 | 3 CONFED_SEQ    |                  |                              |
 *                 | 4 CONFED_SET    |                  |                              |
 *                 +-----------------+------------------+------------------------------+
 *
 * The codec is literal: with a 2-octet session (ctx.as4 = false) AS_PATH decodes to 2-octet ASNs as
 * on the wire and AS4_PATH is a separate field; encode writes what it is given. reconcileAs4()
 * (receiving from an OLD speaker) and downgradeAs4() (sending to one) do the RFC 6793 conversions.
 */
import { AS_TRANS, AsPathSegType, UpdateSub } from '../constants.js';
import type { CodecContext, AsPath, AsPathSegment, PathAttrs } from '../types.js';
import type { Writer } from '../writer.js';
import { type AttrInput, type AttrsDraft, attrError } from './common.js';

type SegType = AsPathSegment['type'];

const SEG_NAME: Readonly<Record<number, SegType>> = {
  [AsPathSegType.AS_SET]: 'set',
  [AsPathSegType.AS_SEQUENCE]: 'sequence',
  [AsPathSegType.AS_CONFED_SEQUENCE]: 'confed-sequence',
  [AsPathSegType.AS_CONFED_SET]: 'confed-set',
};
const SEG_CODE: Readonly<Record<SegType, number>> = {
  set: AsPathSegType.AS_SET,
  sequence: AsPathSegType.AS_SEQUENCE,
  'confed-sequence': AsPathSegType.AS_CONFED_SEQUENCE,
  'confed-set': AsPathSegType.AS_CONFED_SET,
};

const isConfed = (t: SegType): boolean => t === 'confed-sequence' || t === 'confed-set';

/**
 * Parses path segments with asnLen-octet ASNs. Returns the path, or a reason string when malformed
 * per RFC 7606 7.2: an unrecognized segment type, a segment overrunning the attribute, a single
 * octet left over (not even an empty segment header), or a segment length of zero.
 */
export function parseAsPath(v: Buffer, asnLen: 2 | 4): AsPath | string {
  const path: AsPathSegment[] = [];
  let off = 0;
  while (off < v.length) {
    if (v.length - off < 2) return 'a single octet after the last segment';
    const type = SEG_NAME[v.readUInt8(off)];
    const n = v.readUInt8(off + 1);
    if (type === undefined) return `unrecognized segment type ${v.readUInt8(off)}`;
    if (n === 0) return 'segment length zero';
    off += 2;
    if (off + n * asnLen > v.length) return 'segment overruns the attribute';
    const asns = new Array<number>(n);
    for (let i = 0; i < n; i++, off += asnLen) asns[i] = asnLen === 4 ? v.readUInt32BE(off) : v.readUInt16BE(off);
    path.push({ type, asns });
  }
  return path;
}

/** Writes segments with asnLen-octet ASNs. Sequences over 255 ASNs are split; empty segments skipped. */
export function writeAsPath(w: Writer, path: AsPath, asnLen: 2 | 4): void {
  for (const seg of path) {
    if (seg.asns.length > 255 && (seg.type === 'set' || seg.type === 'confed-set')) {
      throw new RangeError(`${seg.type} of ${seg.asns.length} ASNs does not fit one segment`);
    }
    for (let start = 0; start < seg.asns.length; start += 255) {
      const chunk = seg.asns.slice(start, start + 255);
      w.u8(SEG_CODE[seg.type]).u8(chunk.length);
      for (const asn of chunk) {
        if (asnLen === 4) w.u32(asn);
        else if (asn > 0xffff) throw new RangeError(`ASN ${asn} in a 2-octet AS_PATH (call downgradeAs4 first)`);
        else w.u16(asn);
      }
    }
  }
}

/** RFC 7606 7.2: a malformed AS_PATH is treat-as-withdraw. */
export function decodeAsPathAttr(a: AttrInput, d: AttrsDraft, ctx: CodecContext): void {
  const p = parseAsPath(a.value, ctx.as4 ? 4 : 2);
  if (typeof p === 'string') throw attrError(a, 'treat-as-withdraw', UpdateSub.MALFORMED_AS_PATH, `AS_PATH: ${p}`);
  d.asPath = p;
}

/**
 * RFC 6793 6: "A NEW BGP speaker that receives the AS4_PATH attribute ... from another NEW BGP speaker
 * MUST discard the path attribute"; a malformed AS4_PATH (length not a multiple of two or under 6,
 * segment length zero or inconsistent, unknown segment type) is handled by attribute discard.
 * Confederation segments are kept here and ignored by reconcileAs4 (RFC 6793 6).
 */
export function decodeAs4PathAttr(a: AttrInput, d: AttrsDraft, ctx: CodecContext): void {
  if (ctx.as4) throw attrError(a, 'attribute-discard', UpdateSub.OPTIONAL_ATTRIBUTE_ERROR, 'AS4_PATH from a 4-octet AS speaker');
  if (a.value.length < 6 || a.value.length % 2 !== 0) {
    throw attrError(a, 'attribute-discard', UpdateSub.ATTRIBUTE_LENGTH_ERROR, `AS4_PATH with length ${a.value.length}`);
  }
  const p = parseAsPath(a.value, 4);
  if (typeof p === 'string') throw attrError(a, 'attribute-discard', UpdateSub.OPTIONAL_ATTRIBUTE_ERROR, `AS4_PATH: ${p}`);
  d.as4Path = p;
}

/**
 * Number of ASes for path comparison: RFC 4271 9.1.2.2 a) (an AS_SET counts as 1) and RFC 5065 5.3
 * (confederation segments count as 0). RFC 6793 4.2.3 uses the same count.
 */
export function asPathLength(path: AsPath): number {
  let n = 0;
  for (const seg of path) {
    if (seg.type === 'sequence') n += seg.asns.length;
    else if (seg.type === 'set') n += 1;
  }
  return n;
}

/** True when a segment of the path is a confederation segment. */
export const hasConfedSegments = (path: AsPath): boolean => path.some((s) => isConfed(s.type));

/**
 * RFC 6793 4.2.3: "the AS path information SHALL be constructed by taking as many AS numbers and
 * path segments as necessary from the leading part of the AS_PATH attribute, and then prepending
 * them to the AS4_PATH attribute so that the AS path information has a number of AS numbers
 * identical to that of the AS_PATH attribute. Note that a valid AS_CONFED_SEQUENCE or AS_CONFED_SET
 * path segment SHALL be prepended if it is either the leading path segment or is adjacent to a path
 * segment that is prepended."
 */
function mergeAsPaths(asPath: AsPath, as4Path: AsPath): AsPath {
  let need = asPathLength(asPath) - asPathLength(as4Path);
  const taken: AsPathSegment[] = [];
  for (const seg of asPath) {
    if (isConfed(seg.type)) {
      taken.push(seg); // leading, or adjacent to what was prepended (we only take a contiguous prefix)
      continue;
    }
    if (need === 0) break;
    if (seg.type === 'set') {
      taken.push(seg);
      need -= 1;
      continue;
    }
    const k = Math.min(need, seg.asns.length);
    taken.push(k === seg.asns.length ? seg : { type: seg.type, asns: seg.asns.slice(0, k) });
    need -= k;
    if (k < seg.asns.length) break;
  }
  const last = taken[taken.length - 1];
  const first = as4Path[0];
  if (last?.type === 'sequence' && first?.type === 'sequence' && last.asns.length + first.asns.length <= 255) {
    return [...taken.slice(0, -1), { type: 'sequence', asns: [...last.asns, ...first.asns] }, ...as4Path.slice(1)];
  }
  return [...taken, ...as4Path];
}

function withoutAs4(attrs: PathAttrs): PathAttrs {
  const { as4Path: _p, as4Aggregator: _a, ...rest } = attrs;
  return rest;
}

/**
 * Receiving from an OLD (2-octet) speaker: RFC 6793 4.2.3. Returns the attributes with the real
 * AS path and aggregator and without AS4_PATH / AS4_AGGREGATOR:
 * - "When both of the attributes are received, if the AS number in the AGGREGATOR attribute is not
 *   AS_TRANS" the route was aggregated by an OLD speaker: AS4_AGGREGATOR and AS4_PATH are ignored and
 *   AS_PATH / AGGREGATOR stand.
 * - otherwise AS4_AGGREGATOR (when AGGREGATOR is AS_TRANS) replaces AGGREGATOR. An AS4_AGGREGATOR
 *   without an AGGREGATOR is dropped (BIRD does the same).
 * - AS4_PATH is used only with an AS_PATH at least as long (by asPathLength); its confederation
 *   segments are dropped first (RFC 6793 6: they MUST NOT be carried in AS4_PATH).
 */
export function reconcileAs4(attrs: PathAttrs): PathAttrs {
  if (attrs.as4Path === undefined && attrs.as4Aggregator === undefined) return attrs;
  const out = withoutAs4(attrs);
  const agg = attrs.aggregator;
  if (agg !== undefined && attrs.as4Aggregator !== undefined && agg.asn !== AS_TRANS) return out;
  let result: PathAttrs = out;
  if (agg !== undefined && attrs.as4Aggregator !== undefined) result = { ...result, aggregator: attrs.as4Aggregator };
  const as4 = attrs.as4Path?.filter((s) => !isConfed(s.type));
  if (attrs.asPath !== undefined && as4 !== undefined && asPathLength(attrs.asPath) >= asPathLength(as4)) {
    result = { ...result, asPath: mergeAsPaths(attrs.asPath, as4) };
  }
  return result;
}

const mappable = (asn: number): boolean => asn <= 0xffff;

/**
 * Sending to an OLD (2-octet) speaker: RFC 6793 4.2.2. Input attributes are in 4-octet form.
 * Non-mappable ASNs become AS_TRANS in AS_PATH and AGGREGATOR; AS4_PATH (without confederation
 * segments) is added only when the path holds a non-mappable ASN, and AS4_AGGREGATOR only when the
 * aggregator's ASN is non-mappable ("SHOULD NOT send" them otherwise).
 */
export function downgradeAs4(attrs: PathAttrs): PathAttrs {
  let out = withoutAs4(attrs);
  const path = attrs.asPath;
  if (path !== undefined && path.some((s) => s.asns.some((a) => !mappable(a)))) {
    out = { ...out, asPath: path.map((s) => ({ type: s.type, asns: s.asns.map((a) => (mappable(a) ? a : AS_TRANS)) })) };
    const as4Path = path.filter((s) => !isConfed(s.type));
    if (as4Path.length > 0) out = { ...out, as4Path };
  }
  const agg = attrs.aggregator;
  if (agg !== undefined && !mappable(agg.asn)) {
    out = { ...out, aggregator: { asn: AS_TRANS, address: agg.address }, as4Aggregator: agg };
  }
  return out;
}

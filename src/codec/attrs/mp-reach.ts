/**
 * MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760 3, 4) for IPv4 and IPv6 unicast/multicast, with the
 * IPv6 next hop forms of RFC 2545 3 (global, or global + link-local: length 16 or 32), IPv4 NLRI with
 * an IPv6 next hop (RFC 8950 3: length 16 or 32), and ADD-PATH identifiers (RFC 7911 3).
 *
 *   MP_REACH_NLRI                              MP_UNREACH_NLRI
 *   +---------------------------------------+  +---------------------------------------+
 *   | AFI (2) | SAFI (1)                    |  | AFI (2) | SAFI (1)                    |
 *   | Length of Next Hop (1)                |  | Withdrawn Routes (variable)           |
 *   | Next Hop (variable)                   |  +---------------------------------------+
 *   | Reserved (1)                          |
 *   | NLRI (variable)                       |
 *   +---------------------------------------+
 *
 * Errors: RFC 4760 7 and RFC 7606 7.11 / 5.3 call for "AFI/SAFI disable" or "session reset" when
 * these attributes are malformed (too short, a next hop length wrong for the AFI, NLRI that cannot
 * be parsed). AFI/SAFI disable is not implemented, so they are a session reset with UPDATE Message
 * Error / Optional Attribute Error (the subcode RFC 4760 7 names) and the attribute as data.
 * Deliberate departure: an AFI/SAFI we do not implement (anything but AFI 1/2 with SAFI 1/2) is
 * attribute-discarded instead (recorded as a problem), as BIRD does for families without a channel:
 * its NLRI cannot be parsed, and a peer should not send a family that was not negotiated.
 */
import { formatIPv4Bytes, formatIPv6Bytes, writeIPv4, writeIPv6 } from '../../util/inet.js';
import { Afi, UpdateSub } from '../constants.js';
import { cursor } from '../cursor.js';
import { BgpError, ShortRead } from '../errors.js';
import { decodePrefixes, type PrefixList, prefixesLength, writePrefixes } from '../nlri.js';
import { type CodecContext, familyKey, type MpReach, type MpUnreach } from '../types.js';
import type { Writer } from '../writer.js';
import { type AttrInput, type AttrsDraft, attrError } from './common.js';

/** The families whose NLRI this codec can parse: AFI 1/2 with SAFI 1 (unicast) or 2 (multicast). */
export const isSupportedFamily = (afi: number, safi: number): boolean =>
  (afi === Afi.IPV4 || afi === Afi.IPV6) && (safi === 1 || safi === 2);

function reset(a: AttrInput, why: string): never {
  throw attrError(a, 'session-reset', UpdateSub.OPTIONAL_ATTRIBUTE_ERROR, why);
}

function unsupported(a: AttrInput, name: string, afi: number, safi: number): never {
  throw attrError(a, 'attribute-discard', UpdateSub.OPTIONAL_ATTRIBUTE_ERROR, `${name} for unsupported AFI/SAFI ${afi}/${safi}`);
}

function parseNlri(a: AttrInput, name: string, afi: number, safi: number, start: number, ctx: CodecContext): PrefixList {
  try {
    return decodePrefixes(cursor(a.value, start), afi, ctx.addPathRx.has(familyKey(afi, safi)));
  } catch (e) {
    if (e instanceof ShortRead || e instanceof BgpError) reset(a, `${name} NLRI: ${e.message}`);
    throw e;
  }
}

/** Next hop text(s) from the Network Address of Next Hop field; undefined if the length is wrong for the AFI. */
function parseNextHops(v: Buffer, off: number, len: number, afi: number): string[] | undefined {
  if (afi === Afi.IPV4 && len === 4) return [formatIPv4Bytes(v, off)];
  if (len === 16) return [formatIPv6Bytes(v, off)];
  if (len === 32) return [formatIPv6Bytes(v, off), formatIPv6Bytes(v, off + 16)];
  return undefined;
}

export function decodeMpReach(a: AttrInput, d: AttrsDraft, ctx: CodecContext): void {
  const v = a.value;
  if (v.length < 5) reset(a, `MP_REACH_NLRI with length ${v.length}`);
  const afi = v.readUInt16BE(0);
  const safi = v.readUInt8(2);
  const nhLen = v.readUInt8(3);
  if (v.length < 5 + nhLen) reset(a, `MP_REACH_NLRI next hop length ${nhLen} overruns the attribute`);
  if (!isSupportedFamily(afi, safi)) unsupported(a, 'MP_REACH_NLRI', afi, safi);
  const nextHops = parseNextHops(v, 4, nhLen, afi);
  if (nextHops === undefined) reset(a, `MP_REACH_NLRI next hop length ${nhLen} for AFI ${afi}`);
  // RFC 4760 3: the Reserved octet "MUST be set to 0, and SHOULD be ignored upon receipt".
  const list = parseNlri(a, 'MP_REACH_NLRI', afi, safi, 5 + nhLen, ctx);
  const mp: MpReach = { afi, safi, nextHops, nlri: list.prefixes };
  d.mpReach = list.pathIds ? { ...mp, pathIds: list.pathIds } : mp;
}

export function decodeMpUnreach(a: AttrInput, d: AttrsDraft, ctx: CodecContext): void {
  const v = a.value;
  if (v.length < 3) reset(a, `MP_UNREACH_NLRI with length ${v.length}`);
  const afi = v.readUInt16BE(0);
  const safi = v.readUInt8(2);
  if (!isSupportedFamily(afi, safi)) unsupported(a, 'MP_UNREACH_NLRI', afi, safi);
  const list = parseNlri(a, 'MP_UNREACH_NLRI', afi, safi, 3, ctx);
  const mp: MpUnreach = { afi, safi, withdrawn: list.prefixes };
  d.mpUnreach = list.pathIds ? { ...mp, pathIds: list.pathIds } : mp;
}

/** Octets of the next hop field: 4 per IPv4 address, 16 per IPv6 address. */
export const nextHopsLength = (nextHops: readonly string[]): number =>
  nextHops.reduce((n, h) => n + (h.includes(':') ? 16 : 4), 0);

/** Writes AFI, SAFI, next hop length, next hops and the reserved octet (the part before the NLRI). */
export function writeMpReachHead(buf: Buffer, off: number, mp: MpReach): number {
  off = buf.writeUInt16BE(mp.afi, off);
  off = buf.writeUInt8(mp.safi, off);
  off = buf.writeUInt8(nextHopsLength(mp.nextHops), off);
  for (const h of mp.nextHops) off = h.includes(':') ? writeIPv6(buf, off, h) : writeIPv4(buf, off, h);
  return buf.writeUInt8(0, off);
}

export const mpReachHeadLength = (mp: MpReach): number => 5 + nextHopsLength(mp.nextHops);

export function writeMpReach(w: Writer, mp: MpReach, ctx: CodecContext): void {
  const addPath = ctx.addPathTx.has(familyKey(mp.afi, mp.safi));
  const n = mpReachHeadLength(mp) + prefixesLength(mp.afi, mp.nlri, addPath);
  w.with(n, (b, o) => writePrefixes(b, writeMpReachHead(b, o, mp), mp.afi, mp.nlri, mp.pathIds, addPath));
}

export function writeMpUnreach(w: Writer, mp: MpUnreach, ctx: CodecContext): void {
  const addPath = ctx.addPathTx.has(familyKey(mp.afi, mp.safi));
  w.u16(mp.afi).u8(mp.safi);
  w.with(prefixesLength(mp.afi, mp.withdrawn, addPath), (b, o) => writePrefixes(b, o, mp.afi, mp.withdrawn, mp.pathIds, addPath));
}

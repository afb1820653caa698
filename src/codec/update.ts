/**
 * UPDATE (RFC 4271 4.3): withdrawn routes, path attributes, NLRI.
 *
 *   +-----------------------------------------------------+
 *   |   Withdrawn Routes Length (2 octets)                |
 *   +-----------------------------------------------------+
 *   |   Withdrawn Routes (variable)                       |
 *   +-----------------------------------------------------+
 *   |   Total Path Attribute Length (2 octets)            |
 *   +-----------------------------------------------------+
 *   |   Path Attributes (variable)                        |
 *   +-----------------------------------------------------+
 *   |   Network Layer Reachability Information (variable) |
 *   +-----------------------------------------------------+
 *
 * Errors (RFC 4271 6.3 as revised by RFC 7606):
 * - Withdrawn Routes Length or Total Path Attribute Length overrunning the message => session reset,
 *   3/1 Malformed Attribute List (RFC 4271 6.3; RFC 7606 keeps this a reset).
 * - Withdrawn Routes or NLRI field syntactically incorrect (a prefix length over 32, an entry
 *   overrunning the field) => session reset, 3/10 Invalid Network Field. RFC 7606 5.3: the fields
 *   cannot be parsed, so treat-as-withdraw is not possible.
 * - Attributes: see attrs/decode.ts. A treat-as-withdraw error in an UPDATE with no reachable NLRI
 *   (empty NLRI field and no MP_REACH_NLRI prefixes) => session reset with that error's NOTIFICATION
 *   (RFC 7606 5.2: "if any path attribute errors are encountered in such an UPDATE message and if
 *   any encountered error specifies an error-handling approach other than 'attribute discard', then
 *   the 'session reset' approach MUST be used"). BIRD does the same, with subcode 1.
 */
import { Afi, Safi } from './constants.js';
import { type Cursor, remaining, sub, u16 } from './cursor.js';
import { BgpError, invalidNetworkField, malformedAttributeList, ShortRead } from './errors.js';
import { decodePathAttrs } from './attrs/decode.js';
import { encodePathAttrs } from './attrs/encode.js';
import { decodePrefixes, decodePrefixNumbers4, prefixesLength, writePrefixes } from './nlri.js';
import { type CodecContext, familyKey, type NlriEntry, type UpdateMsg } from './types.js';
import type { Writer } from './writer.js';

const IPV4_UNICAST = familyKey(Afi.IPV4, Safi.UNICAST);

function decodeField(c: Cursor, addPath: boolean, name: string, numbers: boolean): { readonly prefixes: readonly NlriEntry[]; readonly pathIds?: number[] } {
  try {
    return numbers ? decodePrefixNumbers4(c, addPath) : decodePrefixes(c, Afi.IPV4, addPath);
  } catch (e) {
    if (e instanceof ShortRead) throw invalidNetworkField(`${name}: entry overruns the field`);
    if (e instanceof BgpError) throw invalidNetworkField(`${name}: ${e.message}`);
    throw e;
  }
}

/** Decodes an UPDATE body (cursor after the header, bounded by the message length). Throws BgpError. */
export function decodeUpdate(c: Cursor, ctx: CodecContext): UpdateMsg {
  const addPath = ctx.addPathRx.has(IPV4_UNICAST);
  let wc: Cursor;
  let ac: Cursor;
  try {
    wc = sub(c, u16(c));
  } catch {
    throw malformedAttributeList('Withdrawn Routes Length overruns the message');
  }
  try {
    ac = sub(c, u16(c));
  } catch {
    throw malformedAttributeList('Total Path Attribute Length overruns the message');
  }
  const numbers = ctx.ipv4PrefixNumbers === true;
  const withdrawn = decodeField(wc, addPath, 'Withdrawn Routes', numbers);
  const nlri = decodeField(c, addPath, 'NLRI', numbers);

  let msg: UpdateMsg = { kind: 'update', withdrawn: withdrawn.prefixes, attrs: null, nlri: nlri.prefixes };
  if (withdrawn.pathIds) msg = { ...msg, withdrawnPathIds: withdrawn.pathIds };
  if (nlri.pathIds) msg = { ...msg, nlriPathIds: nlri.pathIds };
  if (remaining(ac) === 0) return msg;

  const decoded = decodePathAttrs(ac, ctx);
  msg = { ...msg, attrs: decoded.attrs };
  if (decoded.problems.length === 0) return msg;
  msg = { ...msg, problems: decoded.problems };
  if (decoded.withdrawError === undefined) return msg;
  const reachable = nlri.prefixes.length > 0 || (decoded.attrs.mpReach?.nlri.length ?? 0) > 0;
  if (!reachable) throw decoded.withdrawError;
  return { ...msg, treatAsWithdraw: true };
}

/** Writes an UPDATE body. Path ids are written when ctx.addPathTx has 1/1 (0 where missing). */
export function writeUpdate(w: Writer, msg: UpdateMsg, ctx: CodecContext): void {
  const addPath = ctx.addPathTx.has(IPV4_UNICAST);
  const wlen = prefixesLength(Afi.IPV4, msg.withdrawn, addPath);
  w.u16(wlen).with(wlen, (b, o) => writePrefixes(b, o, Afi.IPV4, msg.withdrawn, msg.withdrawnPathIds, addPath));
  const attrs = msg.attrs === null ? Buffer.alloc(0) : encodePathAttrs(msg.attrs, ctx);
  w.u16(attrs.length).bytes(attrs);
  const nlen = prefixesLength(Afi.IPV4, msg.nlri, addPath);
  w.with(nlen, (b, o) => writePrefixes(b, o, Afi.IPV4, msg.nlri, msg.nlriPathIds, addPath));
}

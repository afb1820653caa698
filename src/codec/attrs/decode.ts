/**
 * The path attribute block of an UPDATE (RFC 4271 4.3) with RFC 7606 error handling.
 *
 *   +---------------------------------------------------------+
 *   | Attr. Flags (1) | Attr. Type Code (1) | Length (1 or 2) |  Extended Length bit => 2 octets
 *   +---------------------------------------------------------+
 *   | Attribute Value (Length octets)                         |
 *   +---------------------------------------------------------+
 *
 * Decoding never stops at a treat-as-withdraw or attribute-discard error: it records a problem and
 * goes on, so MP_REACH_NLRI / MP_UNREACH_NLRI are still found (their NLRI is what gets withdrawn).
 * A session-reset error is thrown at once as a BgpError.
 */
import { AttrFlag, AttrType, UpdateSub } from '../constants.js';
import type { Cursor } from '../cursor.js';
import { type AttrAction, AttrError, BgpError, malformedAttributeList, ShortRead } from '../errors.js';
import { ErrCode } from '../constants.js';
import type { AttrProblem, CodecContext, PathAttrs, RawAttr } from '../types.js';
import { type AttrInput, type AttrsDraft, attrError, FLAG_CLASS, FLAG_KEEP } from './common.js';
import { ATTRS } from './table.js';

export interface DecodedAttrs {
  readonly attrs: PathAttrs;
  readonly problems: readonly AttrProblem[];
  /**
   * The NOTIFICATION the first treat-as-withdraw error would have been under RFC 4271, for
   * RFC 7606 5.2 (an UPDATE without reachable NLRI cannot be treated as withdraw: session reset).
   */
  readonly withdrawError: BgpError | undefined;
}

const isMp = (type: number): boolean => type === AttrType.MP_REACH_NLRI || type === AttrType.MP_UNREACH_NLRI;

/** Decodes attributes until the cursor's end (the Total Path Attribute Length). Throws BgpError on session reset. */
export function decodePathAttrs(c: Cursor, ctx: CodecContext): DecodedAttrs {
  const d: AttrsDraft = {};
  const problems: AttrProblem[] = [];
  const unknown: RawAttr[] = [];
  const seen = new Uint8Array(256);
  let withdrawError: BgpError | undefined;
  const record = (attrType: number, action: Exclude<AttrAction, 'session-reset'>, reason: string, err: BgpError): void => {
    problems.push({ attrType, action, reason });
    if (action === 'treat-as-withdraw' && withdrawError === undefined) withdrawError = err;
  };
  const buf = c.buf;

  while (c.off < c.end) {
    const start = c.off;
    const left = c.end - start;
    const type = left >= 2 ? buf.readUInt8(start + 1) : 0;
    // RFC 7606 4: fewer octets than an attribute header, or a length overrunning the Total Path
    // Attribute Length: treat-as-withdraw, and the Total Path Attribute Length locates the NLRI.
    const ext = left >= 1 && (buf.readUInt8(start) & AttrFlag.EXTENDED_LENGTH) !== 0;
    const hdr = ext ? 4 : 3;
    if (left < hdr) {
      const why = `${left} octets left, fewer than an attribute header (RFC 7606 4)`;
      record(type, 'treat-as-withdraw', why, malformedAttributeList(why));
      break;
    }
    const flags = buf.readUInt8(start);
    const len = ext ? buf.readUInt16BE(start + 2) : buf.readUInt8(start + 2);
    if (hdr + len > left) {
      const why = `attribute ${type} length ${len} overruns the attribute block (RFC 7606 4)`;
      record(type, 'treat-as-withdraw', why, malformedAttributeList(why));
      break;
    }
    c.off = start + hdr + len;
    const a: AttrInput = { flags, type, value: buf.subarray(start + hdr, c.off), raw: buf.subarray(start, c.off) };

    // RFC 7606 3 g: MP_REACH_NLRI / MP_UNREACH_NLRI more than once => Malformed Attribute List;
    // any other attribute more than once => all but the first are discarded.
    if (seen[type] === 1) {
      if (isMp(type)) throw malformedAttributeList(`${type === AttrType.MP_REACH_NLRI ? 'MP_REACH_NLRI' : 'MP_UNREACH_NLRI'} appears twice`);
      record(type, 'attribute-discard', `duplicate attribute ${type} discarded (RFC 7606 3 g)`, malformedAttributeList('duplicate'));
      continue;
    }
    seen[type] = 1;

    const spec = ATTRS.get(type);
    if (spec === undefined) {
      // RFC 4271 6.3: an unrecognized well-known attribute => Unrecognized Well-known Attribute,
      // data = the attribute. RFC 4271 5: unrecognized optional transitive attributes are passed on
      // (with Partial set when sent); unrecognized optional non-transitive ones are quietly ignored.
      if ((flags & AttrFlag.OPTIONAL) === 0) {
        throw new BgpError(ErrCode.UPDATE_MESSAGE, UpdateSub.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE, Buffer.from(a.raw), `unrecognized well-known attribute ${type}`);
      }
      // Kept ready to pass on: with the Partial bit set (RFC 4271 5), so a re-encode is literal.
      if ((flags & AttrFlag.TRANSITIVE) !== 0) unknown.push({ flags: (flags & FLAG_KEEP) | AttrFlag.PARTIAL, type, value: Buffer.from(a.value) });
      continue;
    }

    if ((flags & FLAG_CLASS) !== spec.flags) {
      const e = attrError(a, spec.onFlagsError, UpdateSub.ATTRIBUTE_FLAGS_ERROR, `${spec.name} with flags 0x${flags.toString(16)} (RFC 7606 3 c)`);
      if (e.action === 'session-reset') throw e.toBgpError();
      record(type, e.action, e.message, e.toBgpError());
      // The NLRI of an MP attribute with wrong flags is still needed: it is what gets withdrawn.
      if (!isMp(type)) continue;
    }

    try {
      spec.decode(a, d, ctx);
    } catch (e) {
      const err = e instanceof ShortRead ? attrError(a, 'treat-as-withdraw', UpdateSub.ATTRIBUTE_LENGTH_ERROR, `${spec.name}: ${e.message}`) : e;
      if (!(err instanceof AttrError)) throw err;
      if (err.action === 'session-reset') throw err.toBgpError();
      record(err.attrType, err.action, err.message, err.toBgpError());
    }
  }

  if (unknown.length > 0) d.unknown = unknown;
  return { attrs: d, problems, withdrawError };
}

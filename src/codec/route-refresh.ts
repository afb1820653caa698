/**
 * ROUTE-REFRESH (RFC 2918 3) with the Message Subtype of RFC 7313 3.2 (0 request, 1 BoRR, 2 EoRR).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |              AFI              | Message Subtype |     SAFI    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Length: RFC 7313 5: "If the length, excluding the fixed-size message header, of the received
 * ROUTE-REFRESH message with Message Subtype 1 and 2 is not 4, then the BGP speaker MUST send a
 * NOTIFICATION message with the Error Code of 'ROUTE-REFRESH Message Error' and the subcode of
 * 'Invalid Message Length'. The Data field of the NOTIFICATION message MUST contain the complete
 * ROUTE-REFRESH message." Any other length error (subtype 0 or unknown, or too short to carry the
 * subtype) is a Message Header Error / Bad Message Length with the length field (RFC 4271 6.1).
 * Unknown subtypes are decoded as they are; RFC 7313 says to ignore them, which the session does.
 */
import { HEADER_LEN, RouteRefreshSubtype } from './constants.js';
import { type Cursor, remaining, u16, u8 } from './cursor.js';
import { badMessageLength, routeRefreshInvalidLength } from './errors.js';
import type { RouteRefreshMsg } from './types.js';
import type { Writer } from './writer.js';

const BODY_LEN = 4;

/** Decodes a ROUTE-REFRESH body; `frame` is the whole message, for the RFC 7313 error data. */
export function decodeRouteRefresh(c: Cursor, frame: Buffer): RouteRefreshMsg {
  const len = remaining(c);
  if (len !== BODY_LEN) {
    const subtype = len >= 3 ? c.buf.readUInt8(c.off + 2) : -1;
    if (subtype === RouteRefreshSubtype.BORR || subtype === RouteRefreshSubtype.EORR) throw routeRefreshInvalidLength(frame);
    throw badMessageLength(HEADER_LEN + len);
  }
  const afi = u16(c);
  const subtype = u8(c);
  return { kind: 'route-refresh', afi, subtype, safi: u8(c) };
}

export function writeRouteRefresh(w: Writer, msg: RouteRefreshMsg): void {
  w.u16(msg.afi).u8(msg.subtype).u8(msg.safi);
}

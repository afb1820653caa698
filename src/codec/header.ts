/**
 * The BGP message header (RFC 4271 4.1) and its checks (RFC 4271 6.1, RFC 8654 4).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                                                               |
 *   +                           Marker (16 octets, all ones)        +
 *   |                                                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Length               |      Type     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { HEADER_LEN, MARKER_LEN, MAX_LEN, MsgType } from './constants.js';
import { badMessageLength, badMessageType, connectionNotSynchronized } from './errors.js';

/** Minimum total length per message type (RFC 4271 4.2-4.5; ROUTE-REFRESH is checked by its decoder). */
const MIN_LEN: Readonly<Record<number, number>> = {
  [MsgType.OPEN]: 29,
  [MsgType.UPDATE]: 23,
  [MsgType.NOTIFICATION]: 21,
  [MsgType.KEEPALIVE]: HEADER_LEN,
  [MsgType.ROUTE_REFRESH]: HEADER_LEN,
};

/**
 * Validates the 19-byte header at off and returns the message length. Throws BgpError:
 * - marker not all ones => 1/1 (RFC 4271 6.1)
 * - length < 19 or > maxLen => 1/2 with the length field as data
 * - unknown type => 1/3 with the type as data
 * - length wrong for the type (KEEPALIVE != 19, OPEN < 29, UPDATE < 23, NOTIFICATION < 21) => 1/2
 * - OPEN or KEEPALIVE over 4096 even when extended messages are negotiated (RFC 8654 4) => 1/2
 *
 * ROUTE-REFRESH lengths are checked by decodeMessage: RFC 7313 5 answers a bad length with 7/1 for
 * subtypes 1 and 2, which needs the subtype octet, so it cannot be decided from the header alone.
 */
export function checkHeader(buf: Buffer, off: number, maxLen: number): number {
  for (let i = 0; i < MARKER_LEN; i += 4) {
    if (buf.readUInt32BE(off + i) !== 0xffffffff) throw connectionNotSynchronized();
  }
  const len = buf.readUInt16BE(off + MARKER_LEN);
  const type = buf.readUInt8(off + MARKER_LEN + 2);
  if (len < HEADER_LEN || len > maxLen) throw badMessageLength(len);
  const min = MIN_LEN[type];
  if (min === undefined) throw badMessageType(type);
  if (len < min) throw badMessageLength(len);
  if (type === MsgType.KEEPALIVE && len !== HEADER_LEN) throw badMessageLength(len);
  if ((type === MsgType.OPEN || type === MsgType.KEEPALIVE) && len > MAX_LEN) throw badMessageLength(len);
  return len;
}

/** Writes a header (marker, length, type) at off; returns the offset of the body. */
export function writeHeader(buf: Buffer, off: number, len: number, type: number): number {
  buf.fill(0xff, off, off + MARKER_LEN);
  buf.writeUInt16BE(len, off + MARKER_LEN);
  buf.writeUInt8(type, off + MARKER_LEN + 2);
  return off + HEADER_LEN;
}

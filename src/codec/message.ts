/**
 * Message dispatch: one whole message (header included) <-> BgpMessage.
 *
 * decodeMessage throws only BgpError: ShortRead and AttrError are converted inside, each to the
 * NOTIFICATION its RFC prescribes. Every Buffer in the result is a copy, never a view of the frame,
 * so a decoded message may be kept after the socket chunk is gone.
 * encodeMessage throws RangeError/TypeError for input no peer could have sent us (a prefix that is
 * not a prefix, a 4-octet ASN in a 2-octet session, a message over the maximum length): those are
 * bugs of the caller, not protocol errors.
 */
import { HEADER_LEN, MAX_LEN, MAX_LEN_EXTENDED, MsgType } from './constants.js';
import { cursor } from './cursor.js';
import { badMessageLength, badMessageType, ShortRead } from './errors.js';
import { checkHeader, writeHeader } from './header.js';
import { decodeNotification, notificationData } from './notification.js';
import { decodeOpen, writeOpen } from './open.js';
import { decodeRouteRefresh, writeRouteRefresh } from './route-refresh.js';
import type { BgpMessage, CodecContext } from './types.js';
import { decodeUpdate, writeUpdate } from './update.js';
import { Writer } from './writer.js';
import { assertNever } from '../util/assert.js';

export { endOfRib, endOfRibFamily } from './end-of-rib.js';

/** The maximum message length for this session (RFC 8654). */
export const maxMessageLength = (ctx: CodecContext): number => (ctx.extendedMessage ? MAX_LEN_EXTENDED : MAX_LEN);

/** A KEEPALIVE (RFC 4271 4.4): the header alone. Shared; do not modify. */
export const KEEPALIVE_MESSAGE: Buffer = (() => {
  const b = Buffer.alloc(HEADER_LEN);
  writeHeader(b, 0, HEADER_LEN, MsgType.KEEPALIVE);
  return b;
})();

/** Decodes one whole message (as cut by the Framer). Throws BgpError only. */
export function decodeMessage(frame: Buffer, ctx: CodecContext): BgpMessage {
  if (frame.length < HEADER_LEN) throw badMessageLength(frame.length);
  const len = checkHeader(frame, 0, maxMessageLength(ctx));
  if (len !== frame.length) throw badMessageLength(len);
  const type = frame.readUInt8(HEADER_LEN - 1);
  const c = cursor(frame, HEADER_LEN, len);
  try {
    switch (type) {
      case MsgType.OPEN:
        return decodeOpen(c);
      case MsgType.UPDATE:
        return decodeUpdate(c, ctx);
      case MsgType.NOTIFICATION:
        return decodeNotification(c);
      case MsgType.KEEPALIVE:
        return { kind: 'keepalive' };
      case MsgType.ROUTE_REFRESH:
        return decodeRouteRefresh(c, frame);
      default:
        throw badMessageType(type); // unreachable: checkHeader knows the types
    }
  } catch (e) {
    // The header check guarantees every fixed part; a ShortRead escaping a decoder means a length
    // field inside the body lied, which is a Bad Message Length of this message.
    if (e instanceof ShortRead) throw badMessageLength(len);
    throw e;
  }
}

/** Encodes a whole message with its header. */
export function encodeMessage(msg: BgpMessage, ctx: CodecContext): Buffer {
  if (msg.kind === 'keepalive') return Buffer.from(KEEPALIVE_MESSAGE);
  const w = new Writer(msg.kind === 'update' ? 4096 : 128);
  const head = w.reserve(HEADER_LEN);
  let type: number;
  let max = maxMessageLength(ctx);
  switch (msg.kind) {
    case 'open':
      type = MsgType.OPEN;
      max = MAX_LEN; // RFC 8654 4: OPEN stays within 4096 octets
      writeOpen(w, msg);
      break;
    case 'update':
      type = MsgType.UPDATE;
      writeUpdate(w, msg, ctx);
      break;
    case 'notification': {
      // Data that would not fit (say, a whole maximum-size message echoed back) is cut to fit.
      type = MsgType.NOTIFICATION;
      const data = notificationData(msg);
      w.u8(msg.code).u8(msg.subcode).bytes(data.subarray(0, max - HEADER_LEN - 2));
      break;
    }
    case 'route-refresh':
      type = MsgType.ROUTE_REFRESH;
      writeRouteRefresh(w, msg);
      break;
    default:
      return assertNever(msg);
  }
  const out = w.finish();
  if (out.length > max) throw new RangeError(`${msg.kind} of ${out.length} octets exceeds the maximum ${max}`);
  writeHeader(out, head, out.length, type);
  return out;
}

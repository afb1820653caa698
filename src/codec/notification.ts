/**
 * NOTIFICATION (RFC 4271 4.5) and the shutdown communication of RFC 9003.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | Error code    | Error subcode |   Data (variable)             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * RFC 9003 2: for Cease / Administrative Shutdown (2) and Administrative Reset (4) the data may be
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Length       | Shutdown Communication (UTF-8, Length octets)... |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The decoder always keeps the raw data (copied) and adds `shutdownCommunication` only when the data
 * is exactly a length octet plus that many octets of valid UTF-8; anything else is logged by the
 * session as data, per RFC 9003 ("a receiver MUST NOT ... act on an invalid" communication).
 * The encoder writes `shutdownCommunication` when it is set (truncated to 255 octets at a character
 * boundary), else `data`.
 */
import { CeaseSub, ErrCode } from './constants.js';
import { type Cursor, keep, rest, u8 } from './cursor.js';
import type { NotificationMsg } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

const carriesCommunication = (code: number, subcode: number): boolean =>
  code === ErrCode.CEASE && (subcode === CeaseSub.ADMINISTRATIVE_SHUTDOWN || subcode === CeaseSub.ADMINISTRATIVE_RESET);

function parseCommunication(data: Buffer): string | undefined {
  if (data.length < 1 || data.readUInt8(0) !== data.length - 1) return undefined;
  try {
    return utf8.decode(data.subarray(1));
  } catch {
    return undefined;
  }
}

export function decodeNotification(c: Cursor): NotificationMsg {
  const code = u8(c);
  const subcode = u8(c);
  const data = keep(rest(c));
  if (carriesCommunication(code, subcode)) {
    const text = parseCommunication(data);
    if (text !== undefined) return { kind: 'notification', code, subcode, data, shutdownCommunication: text };
  }
  return { kind: 'notification', code, subcode, data };
}

/** UTF-8 bytes of text, cut to at most 255 octets without splitting a character (RFC 9003 2). */
export function shutdownCommunicationBytes(text: string): Buffer {
  const b = Buffer.from(text, 'utf8');
  if (b.length <= 255) return b;
  let end = 255;
  while (end > 0 && (b.readUInt8(end) & 0xc0) === 0x80) end--; // back off continuation bytes
  return b.subarray(0, end);
}

/** The data field a NOTIFICATION is written with. */
export function notificationData(msg: NotificationMsg): Buffer {
  if (msg.shutdownCommunication === undefined || !carriesCommunication(msg.code, msg.subcode)) return msg.data;
  const text = shutdownCommunicationBytes(msg.shutdownCommunication);
  const out = Buffer.allocUnsafe(1 + text.length);
  out.writeUInt8(text.length, 0);
  text.copy(out, 1);
  return out;
}

/** A Cease NOTIFICATION with an RFC 9003 shutdown communication (subcode 2 or 4). */
export function shutdownNotification(subcode: 2 | 4, text: string): NotificationMsg {
  const bytes = shutdownCommunicationBytes(text);
  const msg: NotificationMsg = {
    kind: 'notification',
    code: ErrCode.CEASE,
    subcode,
    data: Buffer.alloc(0),
    shutdownCommunication: bytes.toString('utf8'),
  };
  return { ...msg, data: notificationData(msg) };
}

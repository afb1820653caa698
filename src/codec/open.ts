/**
 * OPEN (RFC 4271 4.2) with optional parameters (RFC 5492) and the extended optional parameters
 * length (RFC 9072).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+
 *   |    Version    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     My Autonomous System      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Hold Time           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         BGP Identifier                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | Opt Parm Len  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |             Optional Parameters (variable)                    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * RFC 9072 2: when "Non-Ext OP Len" is non-zero and the next octet ("Non-Ext OP Type") is 255, a
 * 2-octet Extended Opt. Parm. Length follows and every parameter has a 2-octet length.
 *
 * Errors: the fixed part is guaranteed by the header check (OPEN >= 29). Parameters overrunning the
 * message, or bytes left after them, => 2/0 (Unspecific; BIRD answers the latter with 1/2, we keep
 * every optional-parameter framing error in one subcode). A parameter type other than Capabilities
 * => 2/4 (RFC 4271 6.2). Version, AS, hold time and identifier acceptance belong to session/negotiate.ts.
 */
import { formatIPv4Bytes, writeIPv4 } from '../util/inet.js';
import { encodeCapabilities } from './capability-encode.js';
import { decodeCapabilities } from './capabilities.js';
import { OptParamType } from './constants.js';
import { type Cursor, remaining, sub, u16, u8 } from './cursor.js';
import { openUnspecific, ShortRead, unsupportedOptionalParameter } from './errors.js';
import type { OpenMsg, OptParam } from './types.js';
import { Writer } from './writer.js';

function decodeParams(c: Cursor, extended: boolean): OptParam[] {
  const params: OptParam[] = [];
  while (remaining(c) > 0) {
    const type = u8(c);
    const len = extended ? u16(c) : u8(c);
    const v = sub(c, len);
    if (type !== OptParamType.CAPABILITIES) throw unsupportedOptionalParameter(type);
    params.push({ type: OptParamType.CAPABILITIES, capabilities: decodeCapabilities(v) });
  }
  return params;
}

/** Decodes an OPEN body (cursor after the header, bounded by the message length). Throws BgpError. */
export function decodeOpen(c: Cursor): OpenMsg {
  const version = u8(c);
  const myAs = u16(c);
  const holdTime = u16(c);
  const bgpId = formatIPv4Bytes(c.buf, c.off);
  c.off += 4;
  const optLen = u8(c);
  let params: OptParam[];
  let extended = false;
  try {
    if (optLen !== 0 && remaining(c) > 0 && c.buf.readUInt8(c.off) === OptParamType.EXTENDED_LENGTH) {
      extended = true;
      c.off += 1;
      params = decodeParams(sub(c, u16(c)), true);
    } else {
      params = decodeParams(sub(c, optLen), false);
    }
  } catch (e) {
    if (e instanceof ShortRead) throw openUnspecific('optional parameters overrun the message');
    throw e;
  }
  if (remaining(c) !== 0) throw openUnspecific(`${remaining(c)} bytes after the optional parameters`);
  const msg: OpenMsg = { kind: 'open', version, myAs, holdTime, bgpId, params };
  return extended ? { ...msg, extendedParams: true } : msg;
}

function paramValue(p: OptParam): Buffer {
  return 'capabilities' in p ? encodeCapabilities(p.capabilities) : p.value;
}

/**
 * Writes an OPEN body. Uses the RFC 9072 encoding when msg.extendedParams is set or when the
 * parameters do not fit the classic one-octet lengths; otherwise the RFC 4271 encoding.
 */
export function writeOpen(w: Writer, msg: OpenMsg): void {
  w.u8(msg.version).u16(msg.myAs).u16(msg.holdTime);
  w.with(4, (b, o) => writeIPv4(b, o, msg.bgpId));
  const values = msg.params.map((p) => ({ type: p.type, value: paramValue(p) }));
  const classicLen = values.reduce((n, p) => n + 2 + p.value.length, 0);
  const extended = msg.extendedParams === true || classicLen > 255 || values.some((p) => p.value.length > 255);
  if (!extended) {
    w.u8(classicLen);
    for (const p of values) w.u8(p.type).u8(p.value.length).bytes(p.value);
    return;
  }
  // RFC 9072 2: Non-Ext OP Len = 255, Non-Ext OP Type = 255, then the 2-octet length.
  w.u8(255).u8(OptParamType.EXTENDED_LENGTH).u16(values.reduce((n, p) => n + 3 + p.value.length, 0));
  for (const p of values) w.u8(p.type).u16(p.value.length).bytes(p.value);
}

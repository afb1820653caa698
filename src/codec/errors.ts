import { encodeCapabilities } from './capability-encode.js';
import { BGP_VERSION, ErrCode, HeaderSub, OpenSub, RouteRefreshSub, UpdateSub } from './constants.js';
import type { Capability } from './types.js';

const EMPTY = Buffer.alloc(0);

/**
 * A protocol error that *is* a NOTIFICATION: code, subcode and data exactly as they go on the wire.
 * The only thing decoders throw at their callers (besides ShortRead inside the codec).
 */
export class BgpError extends Error {
  override readonly name = 'BgpError';
  readonly code: ErrCode;
  readonly subcode: number;
  readonly data: Buffer;
  constructor(code: ErrCode, subcode: number, data: Buffer = EMPTY, message = `bgp error ${code}/${subcode}`) {
    super(message);
    this.code = code;
    this.subcode = subcode;
    this.data = data;
  }
}

/** RFC 7606 actions, weakest first. The strongest action seen while decoding an UPDATE wins. */
export type AttrAction = 'attribute-discard' | 'treat-as-withdraw' | 'session-reset';
const RANK: Record<AttrAction, number> = { 'attribute-discard': 0, 'treat-as-withdraw': 1, 'session-reset': 2 };
export const strongest = (a: AttrAction | undefined, b: AttrAction): AttrAction =>
  a === undefined || RANK[b] > RANK[a] ? b : a;

/**
 * A malformed path attribute. Carries the RFC 7606 action and the NOTIFICATION it would become
 * if the action is session-reset (RFC 4271 6.3 code 3 with the attribute's subcode and data).
 */
export class AttrError extends Error {
  override readonly name = 'AttrError';
  readonly attrType: number;
  readonly action: AttrAction;
  readonly subcode: number;
  readonly data: Buffer;
  constructor(attrType: number, action: AttrAction, subcode: number, data: Buffer, message: string) {
    super(message);
    this.attrType = attrType;
    this.action = action;
    this.subcode = subcode;
    this.data = data;
  }
  toBgpError(): BgpError {
    return new BgpError(ErrCode.UPDATE_MESSAGE, this.subcode, this.data, this.message);
  }
}

const u16be = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff, 0);
  return b;
};

/** RFC 4271 6.1: the Data field carries the erroneous Length field. */
export const badMessageLength = (len: number): BgpError =>
  new BgpError(ErrCode.MESSAGE_HEADER, HeaderSub.BAD_MESSAGE_LENGTH, u16be(len), `bad message length ${len}`);

/** RFC 4271 6.1: the Data field carries the erroneous Type field. */
export const badMessageType = (type: number): BgpError =>
  new BgpError(ErrCode.MESSAGE_HEADER, HeaderSub.BAD_MESSAGE_TYPE, Buffer.from([type & 0xff]), `bad message type ${type}`);

/** RFC 4271 6.1: marker not all ones. Data empty. */
export const connectionNotSynchronized = (): BgpError =>
  new BgpError(ErrCode.MESSAGE_HEADER, HeaderSub.CONNECTION_NOT_SYNCHRONIZED, EMPTY, 'marker not all ones');

/** RFC 4271 6.3: Malformed Attribute List (RFC 7606 keeps it a session reset only where it says so). */
export const malformedAttributeList = (why: string): BgpError =>
  new BgpError(ErrCode.UPDATE_MESSAGE, UpdateSub.MALFORMED_ATTRIBUTE_LIST, EMPTY, `malformed attribute list: ${why}`);

/** RFC 4271 6.3: Invalid Network Field (an NLRI prefix length over the maximum). */
export const invalidNetworkField = (why: string): BgpError =>
  new BgpError(ErrCode.UPDATE_MESSAGE, UpdateSub.INVALID_NETWORK_FIELD, EMPTY, `invalid network field: ${why}`);

// ---------------------------------------------------------------- OPEN (RFC 4271 6.2, RFC 5492)

/**
 * OPEN Message Error / Unspecific (subcode 0). Used for structural errors RFC 4271 gives no subcode
 * for: optional parameters overrunning the message, a capability TLV overrunning its parameter, a
 * known capability with an impossible length. BIRD (bgp_read_options / bgp_read_capabilities) and FRR
 * answer these the same way.
 */
export const openUnspecific = (why: string): BgpError =>
  new BgpError(ErrCode.OPEN_MESSAGE, OpenSub.UNSPECIFIC, EMPTY, `malformed OPEN: ${why}`);

/** RFC 4271 6.2: an optional parameter that is not recognized. Data empty (RFC 4271 defines none; FRR sends none). */
export const unsupportedOptionalParameter = (type: number): BgpError =>
  new BgpError(ErrCode.OPEN_MESSAGE, OpenSub.UNSUPPORTED_OPTIONAL_PARAMETER, EMPTY, `unsupported optional parameter ${type}`);

/** RFC 4271 6.2: Data is a 2-octet unsigned integer, the largest locally supported version number (4). */
export const unsupportedVersion = (): BgpError =>
  new BgpError(ErrCode.OPEN_MESSAGE, OpenSub.UNSUPPORTED_VERSION_NUMBER, u16be(BGP_VERSION), 'unsupported version number');

/** RFC 4271 6.2: the My Autonomous System field (or the AS4 capability, RFC 6793) is unacceptable. */
export const badPeerAs = (): BgpError => new BgpError(ErrCode.OPEN_MESSAGE, OpenSub.BAD_PEER_AS, EMPTY, 'bad peer AS');

/** RFC 4271 6.2 / RFC 6286 2.2: the BGP Identifier is zero or otherwise unacceptable. */
export const badBgpIdentifier = (): BgpError =>
  new BgpError(ErrCode.OPEN_MESSAGE, OpenSub.BAD_BGP_IDENTIFIER, EMPTY, 'bad BGP identifier');

/** RFC 4271 6.2: a Hold Time of one or two seconds (or otherwise unacceptable). */
export const unacceptableHoldTime = (): BgpError =>
  new BgpError(ErrCode.OPEN_MESSAGE, OpenSub.UNACCEPTABLE_HOLD_TIME, EMPTY, 'unacceptable hold time');

/**
 * RFC 5492 3: "The Data field of the NOTIFICATION message MUST list the set of capabilities that
 * cause the speaker to send the message. Each such capability is encoded in the same way as it
 * would be encoded in the OPEN message."
 */
export const unsupportedCapability = (caps: readonly Capability[]): BgpError =>
  new BgpError(ErrCode.OPEN_MESSAGE, OpenSub.UNSUPPORTED_CAPABILITY, encodeCapabilities(caps), 'unsupported capability');

// ---------------------------------------------------------------- ROUTE-REFRESH (RFC 7313 5)

/** RFC 7313 5: "The Data field of the NOTIFICATION message MUST contain the complete ROUTE-REFRESH message." */
export const routeRefreshInvalidLength = (message: Buffer): BgpError =>
  new BgpError(
    ErrCode.ROUTE_REFRESH_MESSAGE,
    RouteRefreshSub.INVALID_MESSAGE_LENGTH,
    Buffer.from(message),
    `ROUTE-REFRESH with invalid length ${message.length}`,
  );

/** Internal: a read past the end of a bounded cursor. Each layer converts it to its RFC error. */
export class ShortRead extends Error {
  override readonly name = 'ShortRead';
}

/**
 * The BFD Control packet (RFC 5880 4.1), bytes <-> a typed packet. Pure (convention 1): no socket,
 * no clock; a decode never reads past the Length field or the datagram.
 *
 * `decodeControl` does the structural reception checks of RFC 5880 6.8.6 (the ones that need no
 * session): version, Length, Detect Mult, Multipoint, My Discriminator, and Your Discriminator
 * zero only in Down or AdminDown. A packet that fails one is returned as a reason (errors are data,
 * convention 4): the receiver discards it and counts why. Authentication sections are decoded as
 * raw bytes (Auth Type, Auth Len, the rest) and never checked: wren implements no BFD
 * authentication, and the receiver discards a packet with the A bit set (docs/bfd.md).
 */
import { BFD_HEADER_LEN, BFD_MIN_AUTH_LEN, BFD_VERSION, BfdStateCode, stateOfCode, type BfdState } from './constants.js';

export interface BfdAuth {
  readonly type: number;
  /** Auth Len as sent: the length of the whole auth section, type and length bytes included. */
  readonly len: number;
  /** The bytes after Auth Type and Auth Len (Auth Len - 2 of them). */
  readonly data: Buffer;
}

export interface ControlPacket {
  readonly version: number;
  readonly diag: number;
  readonly state: BfdState;
  /** P: Poll (RFC 5880 6.5). */
  readonly poll: boolean;
  /** F: Final, the answer to a Poll. */
  readonly final: boolean;
  /** C: Control Plane Independent (RFC 5880 4.1, RFC 5882 4.3). */
  readonly cpi: boolean;
  /** A: Authentication Present. */
  readonly authPresent: boolean;
  /** D: Demand. */
  readonly demand: boolean;
  /** M: Multipoint (must be zero, RFC 5880 4.1). */
  readonly multipoint: boolean;
  readonly detectMult: number;
  readonly myDiscr: number;
  readonly yourDiscr: number;
  /** Microseconds. */
  readonly desiredMinTxUs: number;
  /** Microseconds; zero: the sender does not want Control packets. */
  readonly requiredMinRxUs: number;
  /** Microseconds; zero: no Echo packets wanted. */
  readonly requiredMinEchoRxUs: number;
  readonly auth?: BfdAuth;
}

/** Why a datagram is not a usable Control packet (RFC 5880 6.8.6), one word each for counters. */
export type DiscardReason =
  | 'short' // shorter than the Length field says, or than 24 bytes
  | 'version'
  | 'length' // Length below the minimum (24, or 26 with the A bit)
  | 'detect-mult-zero'
  | 'multipoint'
  | 'my-discriminator-zero'
  | 'your-discriminator-zero' // Your Discriminator zero in Init or Up
  | 'auth-length'; // Auth Len not within the Length

export type DecodeResult = { readonly ok: true; readonly packet: ControlPacket } | { readonly ok: false; readonly reason: DiscardReason };

const bit = (b: number, mask: number): boolean => (b & mask) !== 0;

export function decodeControl(buf: Buffer): DecodeResult {
  if (buf.length < BFD_HEADER_LEN) return { ok: false, reason: 'short' };
  const b0 = buf.readUInt8(0);
  const b1 = buf.readUInt8(1);
  const version = b0 >> 5;
  if (version !== BFD_VERSION) return { ok: false, reason: 'version' };
  const authPresent = bit(b1, 0x04);
  const length = buf.readUInt8(3);
  if (length < (authPresent ? BFD_MIN_AUTH_LEN : BFD_HEADER_LEN)) return { ok: false, reason: 'length' };
  if (length > buf.length) return { ok: false, reason: 'short' };
  const detectMult = buf.readUInt8(2);
  if (detectMult === 0) return { ok: false, reason: 'detect-mult-zero' };
  const multipoint = bit(b1, 0x01);
  if (multipoint) return { ok: false, reason: 'multipoint' };
  const myDiscr = buf.readUInt32BE(4);
  if (myDiscr === 0) return { ok: false, reason: 'my-discriminator-zero' };
  const yourDiscr = buf.readUInt32BE(8);
  const state = stateOfCode(b1 >> 6);
  if (yourDiscr === 0 && state !== 'Down' && state !== 'AdminDown') return { ok: false, reason: 'your-discriminator-zero' };
  let auth: BfdAuth | undefined;
  if (authPresent) {
    const type = buf.readUInt8(BFD_HEADER_LEN);
    const len = buf.readUInt8(BFD_HEADER_LEN + 1);
    if (len < 2 || BFD_HEADER_LEN + len > length) return { ok: false, reason: 'auth-length' };
    auth = { type, len, data: Buffer.from(buf.subarray(BFD_HEADER_LEN + 2, BFD_HEADER_LEN + len)) };
  }
  return {
    ok: true,
    packet: {
      version,
      diag: b0 & 0x1f,
      state,
      poll: bit(b1, 0x20),
      final: bit(b1, 0x10),
      cpi: bit(b1, 0x08),
      authPresent,
      demand: bit(b1, 0x02),
      multipoint,
      detectMult,
      myDiscr,
      yourDiscr,
      desiredMinTxUs: buf.readUInt32BE(12),
      requiredMinRxUs: buf.readUInt32BE(16),
      requiredMinEchoRxUs: buf.readUInt32BE(20),
      ...(auth ? { auth } : {}),
    },
  };
}

/**
 * The bytes of a Control packet. Length is 24, or 24 + Auth Len when an auth section is given
 * (which is written as given: wren never signs a packet). Throws on a value that does not fit its
 * field: a packet we build is a bug, never peer input.
 */
export function encodeControl(p: ControlPacket): Buffer {
  const fits = (v: number, bits: number, what: string): number => {
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) throw new RangeError(`BFD ${what} ${v} does not fit ${bits} bits`);
    return v;
  };
  const authLen = p.auth ? p.auth.data.length + 2 : 0;
  const buf = Buffer.alloc(BFD_HEADER_LEN + authLen);
  buf.writeUInt8((fits(p.version, 3, 'version') << 5) | fits(p.diag, 5, 'diagnostic'), 0);
  const flags =
    (BfdStateCode[p.state] << 6) |
    (p.poll ? 0x20 : 0) |
    (p.final ? 0x10 : 0) |
    (p.cpi ? 0x08 : 0) |
    (p.authPresent ? 0x04 : 0) |
    (p.demand ? 0x02 : 0) |
    (p.multipoint ? 0x01 : 0);
  buf.writeUInt8(flags, 1);
  buf.writeUInt8(fits(p.detectMult, 8, 'detect multiplier'), 2);
  buf.writeUInt8(fits(buf.length, 8, 'length'), 3);
  buf.writeUInt32BE(fits(p.myDiscr, 32, 'my discriminator'), 4);
  buf.writeUInt32BE(fits(p.yourDiscr, 32, 'your discriminator'), 8);
  buf.writeUInt32BE(fits(p.desiredMinTxUs, 32, 'desired min tx'), 12);
  buf.writeUInt32BE(fits(p.requiredMinRxUs, 32, 'required min rx'), 16);
  buf.writeUInt32BE(fits(p.requiredMinEchoRxUs, 32, 'required min echo rx'), 20);
  if (p.auth) {
    buf.writeUInt8(fits(p.auth.type, 8, 'auth type'), BFD_HEADER_LEN);
    buf.writeUInt8(authLen, BFD_HEADER_LEN + 1);
    p.auth.data.copy(buf, BFD_HEADER_LEN + 2);
  }
  return buf;
}

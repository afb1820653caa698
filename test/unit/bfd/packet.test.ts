/** The BFD Control packet codec (src/bfd/packet.ts): fields, flags, the RFC 5880 6.8.6 structural checks. */
import { describe, expect, it } from 'vitest';
import { decodeControl, encodeControl, type ControlPacket } from '../../../src/bfd/packet.js';

const base: ControlPacket = {
  version: 1,
  diag: 0,
  state: 'Up',
  poll: false,
  final: false,
  cpi: false,
  authPresent: false,
  demand: false,
  multipoint: false,
  detectMult: 3,
  myDiscr: 0x01020304,
  yourDiscr: 0xa0b0c0d0,
  desiredMinTxUs: 300_000,
  requiredMinRxUs: 300_000,
  requiredMinEchoRxUs: 0,
};

// RFC 5880 4.1 by hand: version 1, diag 0 = 0x20; Up (3 << 6) = 0xc0; mult 3; length 24.
const HEX = '20c00318' + '01020304' + 'a0b0c0d0' + '000493e0' + '000493e0' + '00000000';

const withByte = (hex: string, at: number, value: number): Buffer => {
  const b = Buffer.from(hex, 'hex');
  b[at] = value;
  return b;
};

describe('encode and decode', () => {
  it('encodes the fields where RFC 5880 4.1 puts them', () => {
    expect(encodeControl(base).toString('hex')).toBe(HEX);
  });

  it('decodes them back', () => {
    expect(decodeControl(Buffer.from(HEX, 'hex'))).toEqual({ ok: true, packet: base });
  });

  it('puts each flag in its bit (P 0x20, F 0x10, C 0x08, D 0x02) and the state in the top two bits', () => {
    const cases: [Partial<ControlPacket>, number][] = [
      [{ poll: true }, 0xe0],
      [{ final: true }, 0xd0],
      [{ cpi: true }, 0xc8],
      [{ demand: true }, 0xc2],
      [{ state: 'AdminDown' }, 0x00],
      [{ state: 'Down' }, 0x40],
      [{ state: 'Init' }, 0x80],
    ];
    for (const [change, byte] of cases) {
      const p = { ...base, ...change };
      const bytes = encodeControl(p);
      expect(bytes[1], JSON.stringify(change)).toBe(byte);
      expect(decodeControl(bytes)).toEqual({ ok: true, packet: p });
    }
  });

  it('carries the diagnostic in the low five bits of the first byte', () => {
    const bytes = encodeControl({ ...base, diag: 7 });
    expect(bytes[0]).toBe(0x27);
    const r = decodeControl(bytes);
    expect(r.ok && r.packet.diag).toBe(7);
  });

  it('keeps an authentication section as raw bytes (Length counts it)', () => {
    const p: ControlPacket = { ...base, authPresent: true, auth: { type: 1, len: 7, data: Buffer.from('01616263', 'hex') } };
    const bytes = encodeControl(p);
    expect(bytes.length).toBe(30);
    expect(bytes[3]).toBe(30);
    expect(decodeControl(bytes)).toEqual({ ok: true, packet: { ...p, auth: { type: 1, len: 6, data: Buffer.from('01616263', 'hex') } } });
  });

  it('ignores bytes after Length (the UDP payload may be longer)', () => {
    const r = decodeControl(Buffer.concat([Buffer.from(HEX, 'hex'), Buffer.from('ffff', 'hex')]));
    expect(r).toEqual({ ok: true, packet: base });
  });

  it('refuses to encode a value that does not fit its field (a bug, never peer input)', () => {
    expect(() => encodeControl({ ...base, detectMult: 256 })).toThrow(RangeError);
    expect(() => encodeControl({ ...base, diag: 32 })).toThrow(RangeError);
    expect(() => encodeControl({ ...base, myDiscr: 2 ** 32 })).toThrow(RangeError);
  });
});

describe('RFC 5880 6.8.6 structural checks: the packet is discarded, with the reason', () => {
  it('shorter than 24 bytes', () => {
    expect(decodeControl(Buffer.from(HEX, 'hex').subarray(0, 23))).toEqual({ ok: false, reason: 'short' });
  });
  it('version other than 1', () => {
    expect(decodeControl(withByte(HEX, 0, 0x40))).toEqual({ ok: false, reason: 'version' });
  });
  it('Length below 24', () => {
    expect(decodeControl(withByte(HEX, 3, 23))).toEqual({ ok: false, reason: 'length' });
  });
  it('Length below 26 with the A bit set', () => {
    expect(decodeControl(withByte(HEX, 1, 0xc4))).toEqual({ ok: false, reason: 'length' });
  });
  it('Length beyond the datagram', () => {
    expect(decodeControl(withByte(HEX, 3, 25))).toEqual({ ok: false, reason: 'short' });
  });
  it('Detect Mult zero', () => {
    expect(decodeControl(withByte(HEX, 2, 0))).toEqual({ ok: false, reason: 'detect-mult-zero' });
  });
  it('Multipoint set', () => {
    expect(decodeControl(withByte(HEX, 1, 0xc1))).toEqual({ ok: false, reason: 'multipoint' });
  });
  it('My Discriminator zero', () => {
    const b = Buffer.from(HEX, 'hex');
    b.writeUInt32BE(0, 4);
    expect(decodeControl(b)).toEqual({ ok: false, reason: 'my-discriminator-zero' });
  });
  it('Your Discriminator zero in Up or Init, but not in Down or AdminDown', () => {
    for (const [flags, ok] of [[0xc0, false], [0x80, false], [0x40, true], [0x00, true]] as const) {
      const b = withByte(HEX, 1, flags);
      b.writeUInt32BE(0, 8);
      const r = decodeControl(b);
      expect(r.ok, `flags ${flags}`).toBe(ok);
      if (!ok) expect(r).toEqual({ ok: false, reason: 'your-discriminator-zero' });
    }
  });
  it('Auth Len beyond Length', () => {
    const b = Buffer.concat([withByte(HEX, 1, 0xc4), Buffer.from('0109', 'hex')]);
    b[3] = 26;
    expect(decodeControl(b)).toEqual({ ok: false, reason: 'auth-length' });
  });
});

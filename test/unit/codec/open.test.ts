import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../../src/codec/message.js';
import type { Capability, OpenMsg } from '../../../src/codec/types.js';
import { ctx, expectBgpError, hex, message } from './bytes.js';

const FIXED = '04 fde8 00f0 0a000001'; // version 4, AS 65000, hold 240, id 10.0.0.1

const BIRD_CAPS =
  '01040001 0001' + // multiprotocol IPv4 unicast
  '01040002 0001' + // multiprotocol IPv6 unicast
  '0200' + // route refresh
  '0506 0001 0001 0002' + // extended next hop: IPv4 unicast over IPv6
  '0600' + // extended message
  '4006 8078 0001 01 80' + // graceful restart: R, 120 s, IPv4 unicast with F
  '4104 0000fde8' + // 4-octet AS 65000
  '4504 0001 01 03' + // ADD-PATH IPv4 unicast send+receive
  '4600'; // enhanced route refresh

const BIRD_DECODED: Capability[] = [
  { kind: 'multiprotocol', afi: 1, safi: 1 },
  { kind: 'multiprotocol', afi: 2, safi: 1 },
  { kind: 'route-refresh' },
  { kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] },
  { kind: 'extended-message' },
  { kind: 'graceful-restart', restarting: true, notification: false, restartTimeSec: 120, families: [{ afi: 1, safi: 1, forwardingPreserved: true }] },
  { kind: 'as4', asn: 65000 },
  { kind: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 3 }] },
  { kind: 'enhanced-route-refresh' },
];

const open = (params: string): Buffer => {
  const p = hex(params);
  return message(1, Buffer.concat([hex(FIXED), Buffer.from([p.length]), p]));
};

describe('OPEN (RFC 4271 4.2, RFC 5492)', () => {
  it('decodes a single Capabilities parameter holding many capabilities (BIRD style)', () => {
    const m = open('022e' + BIRD_CAPS);
    const msg = decodeMessage(m, ctx()) as OpenMsg;
    expect(msg).toEqual({ kind: 'open', version: 4, myAs: 65000, holdTime: 240, bgpId: '10.0.0.1', params: [{ type: 2, capabilities: BIRD_DECODED }] });
    expect(encodeMessage(msg, ctx()).toString('hex')).toBe(m.toString('hex'));
  });

  it('decodes one capability per parameter (FRR style) and keeps unknown capabilities', () => {
    const m = open('0206 01040001 0001' + '0202 8000' + '0202 0200' + '0206 4104 fcde3a11' + '020c 490a 08 6e6f64652d6f6e65 00');
    const msg = decodeMessage(m, ctx()) as OpenMsg;
    expect(msg.params).toEqual([
      { type: 2, capabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }] },
      { type: 2, capabilities: [{ kind: 'unknown', code: 128, value: Buffer.alloc(0) }] },
      { type: 2, capabilities: [{ kind: 'route-refresh' }] },
      { type: 2, capabilities: [{ kind: 'as4', asn: 4242422289 }] },
      { type: 2, capabilities: [{ kind: 'unknown', code: 73, value: hex('08 6e6f64652d6f6e65 00') }] },
    ]);
    expect(encodeMessage(msg, ctx()).toString('hex')).toBe(m.toString('hex'));
  });

  it('decodes an OPEN without optional parameters', () => {
    expect(decodeMessage(open(''), ctx())).toEqual({ kind: 'open', version: 4, myAs: 65000, holdTime: 240, bgpId: '10.0.0.1', params: [] });
  });

  it('decodes the graceful restart N bit and per-family flags (RFC 4724 3, RFC 8538)', () => {
    const msg = decodeMessage(open('020c 400a c000 0002 01 00 0001 01 80'), ctx()) as OpenMsg;
    expect(msg.params[0]).toEqual({
      type: 2,
      capabilities: [
        {
          kind: 'graceful-restart',
          restarting: true,
          notification: true,
          restartTimeSec: 0,
          families: [
            { afi: 2, safi: 1, forwardingPreserved: false },
            { afi: 1, safi: 1, forwardingPreserved: true },
          ],
        },
      ],
    });
  });

  it('keeps an ADD-PATH capability with a Send/Receive value outside 1..3 as unknown', () => {
    const msg = decodeMessage(open('0206 4504 0001 01 07'), ctx()) as OpenMsg;
    expect(msg.params[0]).toEqual({ type: 2, capabilities: [{ kind: 'unknown', code: 69, value: hex('0001 01 07') }] });
  });

  it('uses the extended optional parameters length of RFC 9072 when the first parameter type is 255', () => {
    const params = hex('ff ff 000b 02 0008 4104 0000fde8 0200');
    const m = message(1, Buffer.concat([hex(FIXED), params]));
    const msg = decodeMessage(m, ctx()) as OpenMsg;
    expect(msg).toEqual({
      kind: 'open',
      version: 4,
      myAs: 65000,
      holdTime: 240,
      bgpId: '10.0.0.1',
      params: [{ type: 2, capabilities: [{ kind: 'as4', asn: 65000 }, { kind: 'route-refresh' }] }],
      extendedParams: true,
    });
    expect(encodeMessage(msg, ctx()).toString('hex')).toBe(m.toString('hex'));
  });

  it('switches to the RFC 9072 encoding by itself when the parameters exceed 255 octets', () => {
    const many: Capability[] = Array.from({ length: 50 }, (_, i) => ({ kind: 'multiprotocol' as const, afi: 1, safi: i }));
    const msg: OpenMsg = { kind: 'open', version: 4, myAs: 65000, holdTime: 90, bgpId: '192.0.2.1', params: [{ type: 2, capabilities: many }] };
    const bytes = encodeMessage(msg, ctx());
    expect(bytes.readUInt8(28)).toBe(255);
    expect(bytes.readUInt8(29)).toBe(255);
    expect(decodeMessage(bytes, ctx())).toEqual({ ...msg, extendedParams: true });
  });

  describe('errors', () => {
    it('answers optional parameters overrunning the message with 2/0', () => {
      const m = message(1, hex(FIXED + '10 0206 01040001 0001'));
      expectBgpError(() => decodeMessage(m, ctx()), 2, 0, '');
    });

    it('answers bytes left after the optional parameters with 2/0', () => {
      const m = message(1, hex(FIXED + '00 00'));
      expectBgpError(() => decodeMessage(m, ctx()), 2, 0);
    });

    it('answers a parameter overrunning the optional parameters with 2/0', () => {
      expectBgpError(() => decodeMessage(open('0208 01040001 0001'), ctx()), 2, 0);
    });

    it('answers an unknown optional parameter type with Unsupported Optional Parameter (RFC 4271 6.2)', () => {
      expectBgpError(() => decodeMessage(open('0102 0000'), ctx()), 2, 4, '');
    });

    it('answers a capability overrunning its parameter with 2/0', () => {
      expectBgpError(() => decodeMessage(open('0203 0104 00'), ctx()), 2, 0);
    });

    it('answers a known capability with an impossible length with 2/0', () => {
      expectBgpError(() => decodeMessage(open('0205 0103 000100'), ctx()), 2, 0); // multiprotocol 3
      expectBgpError(() => decodeMessage(open('0205 4103 000001'), ctx()), 2, 0); // AS4 3
      expectBgpError(() => decodeMessage(open('0203 0201 00'), ctx()), 2, 0); // route refresh 1
      expectBgpError(() => decodeMessage(open('0205 4003 000000'), ctx()), 2, 0); // GR 3
      expectBgpError(() => decodeMessage(open('0205 4503 000101'), ctx()), 2, 0); // ADD-PATH 3
      expectBgpError(() => decodeMessage(open('0207 0505 0001000100'), ctx()), 2, 0); // ext next hop 5
    });

    it('answers an extended parameter block overrunning the message with 2/0', () => {
      const m = message(1, Buffer.concat([hex(FIXED), hex('ff ff 0010 02 0002 0200')]));
      expectBgpError(() => decodeMessage(m, ctx()), 2, 0);
    });
  });
});

import { describe, expect, it } from 'vitest';
import { encodePathAttrs } from '../../../../src/codec/attrs/encode.js';
import type { PathAttrs } from '../../../../src/codec/types.js';
import { ctx, hex } from '../bytes.js';

const enc = (a: PathAttrs, c = ctx()): string => encodePathAttrs(a, c).toString('hex');

describe('encodePathAttrs', () => {
  it('writes MP attributes first, then ascending type codes, unknown ones included (RFC 7606 5.1, RFC 4271 5)', () => {
    const attrs: PathAttrs = {
      largeCommunities: [{ global: 65001, local1: 1, local2: 2 }],
      unknown: [{ flags: 0xc0, type: 30, value: hex('01') }],
      communities: [0xfde90064],
      med: 5,
      origin: 2,
      mpUnreach: { afi: 2, safi: 1, withdrawn: ['2001:db8::/32'] },
    };
    const types: number[] = [];
    const b = encodePathAttrs(attrs, ctx());
    for (let off = 0; off < b.length; ) {
      const flags = b.readUInt8(off);
      types.push(b.readUInt8(off + 1));
      const ext = (flags & 0x10) !== 0;
      off += (ext ? 4 : 3) + (ext ? b.readUInt16BE(off + 2) : b.readUInt8(off + 2));
    }
    expect(types).toEqual([15, 1, 4, 8, 30, 32]);
  });

  it('writes each attribute with the flags its definition fixes', () => {
    expect(enc({ origin: 0 })).toBe('40010100');
    expect(enc({ med: 100 })).toBe('80040400000064');
    expect(enc({ localPref: 100 })).toBe('40050400000064');
    expect(enc({ atomicAggregate: true })).toBe('400600');
    expect(enc({ aggregator: { asn: 65001, address: '10.0.0.9' } })).toBe('c007080000fde90a000009');
    expect(enc({ aggregator: { asn: 65001, address: '10.0.0.9' } }, ctx({ as4: false }))).toBe('c00706fde90a000009');
    expect(enc({ originatorId: '10.0.0.2' })).toBe('8009040a000002');
    expect(enc({ clusterList: ['10.0.0.3', '10.0.0.4'] })).toBe('800a080a0000030a000004');
    expect(enc({ extCommunities: [hex('0002fde900000064')] })).toBe('c010080002fde900000064');
    expect(enc({ as4Aggregator: { asn: 4200000000, address: '10.0.0.9' } })).toBe('c01208fa56ea000a000009');
  });

  it('sets the Partial bit on unknown optional transitive attributes (RFC 4271 5)', () => {
    expect(enc({ unknown: [{ flags: 0xc0, type: 99, value: hex('ab') }] })).toBe('e06301ab');
    expect(enc({ unknown: [{ flags: 0x80, type: 99, value: hex('ab') }] })).toBe('806301ab');
  });

  it('uses the Extended Length bit only for values over 255 octets', () => {
    const communities = (n: number): PathAttrs => ({ communities: Array.from({ length: n }, (_, i) => i) });
    expect(enc(communities(63)).slice(0, 6)).toBe('c008fc');
    expect(enc(communities(64)).slice(0, 8)).toBe('d0080100');
  });

  it('splits AS_SEQUENCE segments of more than 255 ASNs', () => {
    const b = encodePathAttrs({ asPath: [{ type: 'sequence', asns: Array.from({ length: 300 }, (_, i) => i + 1) }] }, ctx());
    expect(b.readUInt8(0)).toBe(0x50); // extended length
    expect(b.readUInt16BE(2)).toBe(2 + 255 * 4 + 2 + 45 * 4);
    expect(b.readUInt8(4)).toBe(2);
    expect(b.readUInt8(5)).toBe(255);
  });

  it('refuses a 4-octet ASN in a 2-octet session', () => {
    expect(() => enc({ asPath: [{ type: 'sequence', asns: [4200000000] }] }, ctx({ as4: false }))).toThrow(RangeError);
    expect(() => enc({ aggregator: { asn: 4200000000, address: '10.0.0.9' } }, ctx({ as4: false }))).toThrow(RangeError);
  });

  it('writes IPv4 NLRI with an IPv6 next hop (RFC 8950) and path ids when ADD-PATH is sent', () => {
    const a: PathAttrs = { mpReach: { afi: 1, safi: 1, nextHops: ['2001:db8::1'], nlri: ['10.0.1.0/24'], pathIds: [3] } };
    expect(enc(a, ctx({ addPathTx: ['1/1'] }))).toBe('800e1d' + '0001' + '01' + '10' + '20010db8000000000000000000000001' + '00' + '00000003' + '180a0001');
  });
});

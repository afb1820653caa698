import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../../src/codec/message.js';
import type { UpdateMsg } from '../../../../src/codec/types.js';
import { AS_PATH_4, BASIC, ctx, expectBgpError, hex, NEXT_HOP, ORIGIN_IGP, update } from '../bytes.js';

const NLRI = '18 0a0001';
const decode = (attrs: string, c = ctx(), nlri = NLRI, withdrawn = ''): UpdateMsg =>
  decodeMessage(update(withdrawn, attrs, nlri), c) as UpdateMsg;

/**
 * One malformed attribute, checked both ways: next to NLRI it must be handled with `action` (and be
 * absent from attrs); in an UPDATE without reachable NLRI a treat-as-withdraw error must become the
 * session reset 3/`subcode` with the attribute as data (RFC 7606 5.2).
 */
function malformed(name: string, bad: string, others: string, action: 'treat-as-withdraw' | 'attribute-discard', subcode: number, c = ctx()): void {
  it(`handles ${name} with ${action}`, () => {
    const type = hex(bad).readUInt8(1);
    const msg = decode(others + bad, c);
    expect(msg.problems?.map((p) => [p.attrType, p.action])).toEqual([[type, action]]);
    expect(msg.treatAsWithdraw).toBe(action === 'treat-as-withdraw' ? true : undefined);
    expect(msg.nlri).toEqual(['10.0.1.0/24']);
    if (action === 'treat-as-withdraw') expectBgpError(() => decode(bad, c, '', NLRI), 3, subcode, bad);
  });
}

describe('RFC 7606 7: per-attribute handling of malformed values', () => {
  const noOrigin = AS_PATH_4 + NEXT_HOP;
  malformed('ORIGIN of length 2 (7.1)', '40 01 02 0000', noOrigin, 'treat-as-withdraw', 5);
  malformed('ORIGIN value 3 (7.1)', '40 01 01 03', noOrigin, 'treat-as-withdraw', 6);
  const noPath = ORIGIN_IGP + NEXT_HOP;
  malformed('an AS_PATH with an unknown segment type (7.2)', '40 02 06 05 01 0000fde9', noPath, 'treat-as-withdraw', 11);
  malformed('an AS_PATH segment of length zero (7.2)', '40 02 02 02 00', noPath, 'treat-as-withdraw', 11);
  malformed('an AS_PATH segment overrunning the attribute (7.2)', '40 02 06 02 02 0000fde9', noPath, 'treat-as-withdraw', 11);
  malformed('an AS_PATH with one octet after the last segment (7.2)', '40 02 07 02 01 0000fde9 02', noPath, 'treat-as-withdraw', 11);
  const noHop = ORIGIN_IGP + AS_PATH_4;
  malformed('NEXT_HOP of length 5 (7.3)', '40 03 05 0a00000100', noHop, 'treat-as-withdraw', 5);
  malformed('MULTI_EXIT_DISC of length 3 (7.4)', '80 04 03 000001', BASIC, 'treat-as-withdraw', 5);
  malformed('LOCAL_PREF of length 2 (7.5)', '40 05 02 0064', BASIC, 'treat-as-withdraw', 5);
  malformed('ATOMIC_AGGREGATE of length 1 (7.6)', '40 06 01 00', BASIC, 'attribute-discard', 5);
  malformed('AGGREGATOR of length 6 in a 4-octet session (7.7)', 'c0 07 06 fde9 0a000009', BASIC, 'attribute-discard', 5);
  malformed('COMMUNITIES of length 0 (7.8)', 'c0 08 00', BASIC, 'treat-as-withdraw', 5);
  malformed('COMMUNITIES of length 5 (7.8)', 'c0 08 05 fde9006400', BASIC, 'treat-as-withdraw', 5);
  malformed('ORIGINATOR_ID of length 3 (7.9)', '80 09 03 0a0000', BASIC, 'treat-as-withdraw', 5);
  malformed('CLUSTER_LIST of length 6 (7.10)', '80 0a 06 0a0000030000', BASIC, 'treat-as-withdraw', 5);
  malformed('EXTENDED COMMUNITIES of length 7 (7.14)', 'c0 10 07 0002fde9000000', BASIC, 'treat-as-withdraw', 5);
  malformed('LARGE_COMMUNITY of length 11 (RFC 8092 6)', 'c0 20 0b 0000fde9 00000001 000000', BASIC, 'treat-as-withdraw', 5);
  malformed('AS4_PATH from a 4-octet speaker (RFC 6793 6)', 'c0 11 06 02 01 0000fde9', BASIC, 'attribute-discard', 9);
  malformed('AS4_AGGREGATOR from a 4-octet speaker (RFC 6793 6)', 'c0 12 08 0000fde9 0a000009', BASIC, 'attribute-discard', 9);
  const old = ctx({ as4: false });
  const basic2 = ORIGIN_IGP + '40 02 04 02 01 fde9' + NEXT_HOP;
  malformed('AGGREGATOR of length 8 in a 2-octet session (7.7)', 'c0 07 08 0000fde9 0a000009', basic2, 'attribute-discard', 5, old);
  malformed('AS4_PATH shorter than 6 octets (RFC 6793 6)', 'c0 11 04 02 01 fde9', basic2, 'attribute-discard', 5, old);
  malformed('AS4_PATH with a zero-length segment (RFC 6793 6)', 'c0 11 06 02 00 00000000', basic2, 'attribute-discard', 9, old);
  malformed('AS4_AGGREGATOR of length 6 (RFC 6793 6)', 'c0 12 06 fde9 0a000009', basic2, 'attribute-discard', 5, old);
  malformed('an MP_REACH_NLRI of an unsupported AFI/SAFI (kept apart: cannot be parsed)', '80 0e 09 0019 46 04 0a000001 00', BASIC, 'attribute-discard', 9);

  it('decodes the attributes a 2-octet speaker sends for 4-octet ASNs', () => {
    const msg = decode(basic2 + 'c0 11 0a 02 02 0000fde9 fa56ea00' + 'c0 12 08 fa56ea00 0a000009', old);
    expect(msg.attrs?.as4Path).toEqual([{ type: 'sequence', asns: [65001, 4200000000] }]);
    expect(msg.attrs?.as4Aggregator).toEqual({ asn: 4200000000, address: '10.0.0.9' });
    expect(msg.problems).toBeUndefined();
  });
});

describe('RFC 7606: MP_REACH_NLRI / MP_UNREACH_NLRI errors reset the session (7.11, 5.3)', () => {
  const reset = (name: string, attr: string): void => {
    it(`answers ${name} with 3/9 carrying the attribute`, () => {
      expectBgpError(() => decode(BASIC + attr), 3, 9, attr);
    });
  };
  reset('an MP_REACH_NLRI shorter than 5 octets', '80 0e 04 0002 01 10');
  reset('a next hop length overrunning MP_REACH_NLRI', '80 0e 06 0002 01 10 0000');
  reset('a next hop length wrong for IPv6', '80 0e 0a 0002 01 04 0a000001 00 00');
  reset('a next hop length wrong for IPv4', '80 0e 0d 0001 01 08 0a000001 0a000002 00');
  reset('an IPv6 prefix length over 128 in MP_REACH_NLRI', '80 0e 16 0002 01 10 20010db8000000000000000000000001 00 81');
  reset('an MP_UNREACH_NLRI shorter than 3 octets', '80 0f 02 0002');
  reset('an MP_UNREACH_NLRI entry overrunning the attribute', '80 0f 06 0002 01 30 2001');
  reset('an MP_UNREACH_NLRI IPv4 prefix over 32', '80 0f 06 0001 01 21 0a00');
});

describe('MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760, RFC 2545, RFC 8950)', () => {
  const GLOBAL = '20010db8 00000000 00000000 00000001';
  const LINK_LOCAL = 'fe800000 00000000 02000000 00000001';
  it('decodes an IPv6 global and link-local next hop', () => {
    const msg = decode(`80 0e 35 0002 01 20 ${GLOBAL} ${LINK_LOCAL} 00 30 20010db80001 40 20010db800020000` + ORIGIN_IGP + AS_PATH_4, ctx(), '');
    expect(msg.attrs?.mpReach).toEqual({ afi: 2, safi: 1, nextHops: ['2001:db8::1', 'fe80::200:0:0:1'], nlri: ['2001:db8:1::/48', '2001:db8:2::/64'] });
  });

  it('decodes IPv4 NLRI with an IPv6 next hop (RFC 8950)', () => {
    const msg = decode(`80 0e 1d 0001 01 10 ${GLOBAL} 00 18 0a0001 18 0a0002` + ORIGIN_IGP + AS_PATH_4, ctx(), '');
    expect(msg.attrs?.mpReach).toEqual({ afi: 1, safi: 1, nextHops: ['2001:db8::1'], nlri: ['10.0.1.0/24', '10.0.2.0/24'] });
  });

  it('decodes IPv4 NLRI with an IPv4 next hop in MP_REACH_NLRI', () => {
    const msg = decode('80 0e 0d 0001 01 04 0a000001 00 18 0a0001' + ORIGIN_IGP + AS_PATH_4, ctx(), '');
    expect(msg.attrs?.mpReach).toEqual({ afi: 1, safi: 1, nextHops: ['10.0.0.1'], nlri: ['10.0.1.0/24'] });
  });

  it('decodes an IPv6 withdrawal with path ids when ADD-PATH is received for 2/1', () => {
    const msg = decode('80 0f 0e 0002 01 00000005 30 20010db80001', ctx({ addPathRx: ['2/1'] }), '');
    expect(msg.attrs?.mpUnreach).toEqual({ afi: 2, safi: 1, withdrawn: ['2001:db8:1::/48'], pathIds: [5] });
  });
});

describe('RFC 7606 3: flags, duplicates, unknown attributes', () => {
  it('treats a well-known attribute with the Optional bit as withdraw (3 c)', () => {
    const msg = decode('c0 01 01 00' + AS_PATH_4 + NEXT_HOP);
    expect(msg.problems?.[0]).toMatchObject({ attrType: 1, action: 'treat-as-withdraw' });
    expect(msg.treatAsWithdraw).toBe(true);
    expect(msg.attrs?.origin).toBeUndefined();
    expectBgpError(() => decode('c0 01 01 00', ctx(), '', NLRI), 3, 4, 'c0 01 01 00');
  });

  it('treats an optional transitive attribute sent as well-known as withdraw (3 c)', () => {
    const msg = decode(BASIC + '40 08 04 fde90064');
    expect(msg.problems).toEqual([{ attrType: 8, action: 'treat-as-withdraw', reason: 'COMMUNITIES with flags 0x40 (RFC 7606 3 c)' }]);
  });

  it('discards an AS4_PATH with conflicting flags (RFC 6793 6)', () => {
    const msg = decode(ORIGIN_IGP + '40 02 04 02 01 fde9' + NEXT_HOP + '80 11 06 02 01 0000fde9', ctx({ as4: false }));
    expect(msg.problems?.[0]).toMatchObject({ attrType: 17, action: 'attribute-discard' });
    expect(msg.treatAsWithdraw).toBeUndefined();
  });

  it('still reads the NLRI of an MP_REACH_NLRI with conflicting flags, to withdraw it', () => {
    const msg = decode('c0 0e 0d 0001 01 04 0a000001 00 18 0a0009' + ORIGIN_IGP + AS_PATH_4, ctx(), '');
    expect(msg.treatAsWithdraw).toBe(true);
    expect(msg.attrs?.mpReach?.nlri).toEqual(['10.0.9.0/24']);
  });

  it('keeps the first of duplicate attributes and discards the rest (3 g)', () => {
    const msg = decode(BASIC + '40 01 01 02');
    expect(msg.attrs?.origin).toBe(0);
    expect(msg.problems).toEqual([{ attrType: 1, action: 'attribute-discard', reason: 'duplicate attribute 1 discarded (RFC 7606 3 g)' }]);
  });

  it('answers a duplicate MP_REACH_NLRI or MP_UNREACH_NLRI with 3/1 (3 g)', () => {
    const reach = '80 0e 0d 0001 01 04 0a000001 00 18 0a0009';
    expectBgpError(() => decode(BASIC + reach + reach), 3, 1);
    const unreach = '80 0f 03 0002 01';
    expectBgpError(() => decode(unreach + unreach, ctx(), ''), 3, 1);
  });

  it('answers an unrecognized well-known attribute with 3/2 carrying the attribute (RFC 4271 6.3)', () => {
    expectBgpError(() => decode(BASIC + '40 63 02 abcd'), 3, 2, '40 63 02 abcd');
  });

  it('keeps unknown optional transitive attributes with Partial set and quietly drops non-transitive ones (RFC 4271 5)', () => {
    const msg = decode(BASIC + 'c0 63 02 abcd' + '80 64 01 ff' + 'f0 65 0002 0102');
    expect(msg.attrs?.unknown).toEqual([
      { flags: 0xe0, type: 99, value: hex('abcd') },
      { flags: 0xe0, type: 101, value: hex('0102') },
    ]);
    expect(msg.problems).toBeUndefined();
  });

  it('accepts the Extended Length bit on a short attribute', () => {
    expect(decode('50 01 0001 00' + AS_PATH_4 + NEXT_HOP).attrs?.origin).toBe(0);
  });
});

describe('RFC 7606 4: attribute framing errors', () => {
  it('treats an attribute overrunning the Total Path Attribute Length as withdraw and still reads the NLRI', () => {
    const msg = decode(BASIC + 'c0 08 08 fde90064');
    expect(msg.treatAsWithdraw).toBe(true);
    expect(msg.nlri).toEqual(['10.0.1.0/24']);
    expect(msg.problems?.[0]).toMatchObject({ attrType: 8, action: 'treat-as-withdraw' });
  });

  it('treats fewer octets than an attribute header as withdraw', () => {
    const msg = decode(BASIC + 'c0 08');
    expect(msg.treatAsWithdraw).toBe(true);
    expect(decode(BASIC + '50 08 00').treatAsWithdraw).toBe(true);
  });
});

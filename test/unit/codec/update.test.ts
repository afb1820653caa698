import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../../src/codec/message.js';
import type { UpdateMsg } from '../../../src/codec/types.js';
import { AS_PATH_2, BASIC, BASIC_ATTRS, ctx, expectBgpError, message, NEXT_HOP, ORIGIN_IGP, update } from './bytes.js';

const decode = (m: Buffer, c = ctx()): UpdateMsg => decodeMessage(m, c) as UpdateMsg;

describe('UPDATE structure (RFC 4271 4.3)', () => {
  it('decodes an announcement and encodes it back byte for byte', () => {
    const m = update('', BASIC + '80 04 04 00000064', '18 0a0001 18 0a0002');
    const msg = decode(m);
    expect(msg).toEqual({ kind: 'update', withdrawn: [], attrs: { ...BASIC_ATTRS, med: 100 }, nlri: ['10.0.1.0/24', '10.0.2.0/24'] });
    expect(encodeMessage(msg, ctx()).equals(m)).toBe(true);
  });

  it('decodes a withdrawal with attrs null', () => {
    const m = update('18 0a0001 10 ac10', '', '');
    expect(decode(m)).toEqual({ kind: 'update', withdrawn: ['10.0.1.0/24', '172.16.0.0/16'], attrs: null, nlri: [] });
    expect(encodeMessage(decode(m), ctx()).equals(m)).toBe(true);
  });

  it('decodes 2-octet AS_PATH literally when 4-octet AS was not negotiated', () => {
    const msg = decode(update('', ORIGIN_IGP + AS_PATH_2 + NEXT_HOP, '18 0a0001'), ctx({ as4: false }));
    expect(msg.attrs?.asPath).toEqual([{ type: 'sequence', asns: [65001, 65002] }]);
    expect(encodeMessage(msg, ctx({ as4: false })).equals(update('', ORIGIN_IGP + AS_PATH_2 + NEXT_HOP, '18 0a0001'))).toBe(true);
  });

  it('reads path identifiers in the classic fields when ADD-PATH is received for IPv4 unicast (RFC 7911)', () => {
    const c = ctx({ addPathRx: ['1/1'], addPathTx: ['1/1'] });
    const m = update('00000009 18 0a0009', BASIC, '00000001 18 0a0001 00000002 18 0a0001');
    const msg = decode(m, c);
    expect(msg.withdrawn).toEqual(['10.0.9.0/24']);
    expect(msg.withdrawnPathIds).toEqual([9]);
    expect(msg.nlri).toEqual(['10.0.1.0/24', '10.0.1.0/24']);
    expect(msg.nlriPathIds).toEqual([1, 2]);
    expect(encodeMessage(msg, c).equals(m)).toBe(true);
  });

  it('copies what it keeps, so decoded UPDATEs outlive the frame', () => {
    const m = update('', BASIC + 'c0 10 08 0002fde900000064' + 'e0 63 02 abcd', '18 0a0001');
    const msg = decode(m);
    m.fill(0);
    expect(msg.attrs?.extCommunities?.[0]?.toString('hex')).toBe('0002fde900000064');
    expect(msg.attrs?.unknown?.[0]?.value.toString('hex')).toBe('abcd');
  });
});

describe('UPDATE errors that reset the session', () => {
  it('answers a Withdrawn Routes Length overrunning the message with 3/1', () => {
    expectBgpError(() => decode(message(2, '0005 0a00 0000')), 3, 1, '');
  });

  it('answers a Total Path Attribute Length overrunning the message with 3/1', () => {
    expectBgpError(() => decode(message(2, '0000 0009 40010100')), 3, 1, '');
  });

  it('answers a prefix length over 32 in the NLRI with 3/10 (RFC 7606 5.3)', () => {
    expectBgpError(() => decode(update('', BASIC, '21 0a000000 00')), 3, 10);
  });

  it('answers an NLRI entry overrunning the field with 3/10', () => {
    expectBgpError(() => decode(update('', BASIC, '18 0a00')), 3, 10);
  });

  it('answers a bad withdrawn prefix with 3/10', () => {
    expectBgpError(() => decode(update('28 0a000000', '', '')), 3, 10);
    expectBgpError(() => decode(update('18 0a', '', '')), 3, 10);
  });

  it('answers a path id without its prefix with 3/10 when ADD-PATH applies', () => {
    expectBgpError(() => decode(update('', BASIC, '00000001'), ctx({ addPathRx: ['1/1'] })), 3, 10);
  });

  it('answers a treat-as-withdraw error in an UPDATE with no reachable NLRI with a session reset (RFC 7606 5.2)', () => {
    // ORIGIN of length 2 in an UPDATE that only withdraws: nothing to treat as withdrawn.
    expectBgpError(() => decode(update('18 0a0001', '40 01 02 0000', '')), 3, 5, '40 01 02 0000');
  });

  it('answers an attribute framing error without reachable NLRI with 3/1', () => {
    expectBgpError(() => decode(update('18 0a0001', '40 01', '')), 3, 1);
  });

  it('keeps attribute-discard errors in an UPDATE without NLRI a discard', () => {
    const msg = decode(update('18 0a0001', '40 06 01 00', ''));
    expect(msg.problems).toEqual([{ attrType: 6, action: 'attribute-discard', reason: 'ATOMIC_AGGREGATE with length 1' }]);
    expect(msg.treatAsWithdraw).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import {
  AttrError,
  badBgpIdentifier,
  badMessageLength,
  badPeerAs,
  BgpError,
  strongest,
  unacceptableHoldTime,
  unsupportedCapability,
  unsupportedVersion,
} from '../../../src/codec/errors.js';

const wire = (e: BgpError): [number, number, string] => [e.code, e.subcode, e.data.toString('hex')];

describe('OPEN error helpers (RFC 4271 6.2, RFC 5492 3)', () => {
  it('carries the largest supported version, 4, as a 2-octet Unsupported Version Number', () => {
    expect(wire(unsupportedVersion())).toEqual([2, 1, '0004']);
  });

  it('builds Bad Peer AS, Bad BGP Identifier and Unacceptable Hold Time', () => {
    expect(wire(badPeerAs())).toEqual([2, 2, '']);
    expect(wire(badBgpIdentifier())).toEqual([2, 3, '']);
    expect(wire(unacceptableHoldTime())).toEqual([2, 6, '']);
  });

  it('lists the offending capabilities encoded as in the OPEN', () => {
    expect(wire(unsupportedCapability([{ kind: 'multiprotocol', afi: 2, safi: 1 }, { kind: 'unknown', code: 9, value: Buffer.from([1]) }]))).toEqual([
      2,
      7,
      '010400020001' + '090101',
    ]);
  });
});

describe('error data', () => {
  it('puts the erroneous length field in Bad Message Length', () => {
    expect(wire(badMessageLength(5000))).toEqual([1, 2, '1388']);
  });

  it('turns an attribute error into its UPDATE Message Error', () => {
    const e = new AttrError(1, 'treat-as-withdraw', 5, Buffer.from('40010200', 'hex'), 'ORIGIN with length 2');
    expect(wire(e.toBgpError())).toEqual([3, 5, '40010200']);
  });

  it('ranks RFC 7606 actions from discard to reset', () => {
    expect(strongest(undefined, 'attribute-discard')).toBe('attribute-discard');
    expect(strongest('treat-as-withdraw', 'attribute-discard')).toBe('treat-as-withdraw');
    expect(strongest('treat-as-withdraw', 'session-reset')).toBe('session-reset');
  });
});

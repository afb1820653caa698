import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../../src/codec/message.js';
import { ctx, expectBgpError, message } from './bytes.js';

describe('ROUTE-REFRESH (RFC 2918, RFC 7313)', () => {
  it('decodes and encodes a normal request', () => {
    const m = message(5, '0001 00 01');
    const msg = decodeMessage(m, ctx());
    expect(msg).toEqual({ kind: 'route-refresh', afi: 1, subtype: 0, safi: 1 });
    expect(encodeMessage(msg, ctx()).equals(m)).toBe(true);
  });

  it('decodes BoRR and EoRR subtypes', () => {
    expect(decodeMessage(message(5, '0002 01 01'), ctx())).toEqual({ kind: 'route-refresh', afi: 2, subtype: 1, safi: 1 });
    expect(decodeMessage(message(5, '0002 02 01'), ctx())).toEqual({ kind: 'route-refresh', afi: 2, subtype: 2, safi: 1 });
  });

  it('passes unknown subtypes through for the session to ignore (RFC 7313 5)', () => {
    expect(decodeMessage(message(5, '0001 07 01'), ctx())).toEqual({ kind: 'route-refresh', afi: 1, subtype: 7, safi: 1 });
  });

  it('answers a BoRR or EoRR of the wrong length with 7/1 carrying the whole message (RFC 7313 5)', () => {
    const long = message(5, '0001 01 01 00');
    expectBgpError(() => decodeMessage(long, ctx()), 7, 1, long);
    const short = message(5, '0001 02');
    expectBgpError(() => decodeMessage(short, ctx()), 7, 1, short);
  });

  it('answers a normal request of the wrong length with Bad Message Length (RFC 4271 6.1)', () => {
    expectBgpError(() => decodeMessage(message(5, '0001 00 01 00'), ctx()), 1, 2, '0018');
    expectBgpError(() => decodeMessage(message(5, '00'), ctx()), 1, 2, '0014');
  });
});

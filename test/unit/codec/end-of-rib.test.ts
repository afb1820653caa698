import { describe, expect, it } from 'vitest';
import { endOfRib, endOfRibFamily } from '../../../src/codec/end-of-rib.js';
import { decodeMessage, encodeMessage } from '../../../src/codec/message.js';
import type { UpdateMsg } from '../../../src/codec/types.js';
import { ctx, MARKER } from './bytes.js';

describe('End-of-RIB (RFC 4724 2)', () => {
  it('is an empty UPDATE for IPv4 unicast', () => {
    const msg = endOfRib(1, 1);
    expect(encodeMessage(msg, ctx()).toString('hex')).toBe(MARKER + '001702' + '0000' + '0000');
    expect(endOfRibFamily(msg)).toEqual({ afi: 1, safi: 1 });
  });

  it('is an UPDATE with only an empty MP_UNREACH_NLRI for IPv6 unicast', () => {
    const msg = endOfRib(2, 1);
    const bytes = encodeMessage(msg, ctx());
    expect(bytes.toString('hex')).toBe(MARKER + '001d02' + '0000' + '0006' + '800f03000201');
    expect(endOfRibFamily(decodeMessage(bytes, ctx()) as UpdateMsg)).toEqual({ afi: 2, safi: 1 });
  });

  it('is not any UPDATE that withdraws, announces or carries other attributes', () => {
    const not: UpdateMsg[] = [
      { kind: 'update', withdrawn: ['10.0.0.0/8'], attrs: null, nlri: [] },
      { kind: 'update', withdrawn: [], attrs: { origin: 0 }, nlri: ['10.0.0.0/8'] },
      { kind: 'update', withdrawn: [], attrs: { mpUnreach: { afi: 2, safi: 1, withdrawn: ['2001:db8::/32'] } }, nlri: [] },
      { kind: 'update', withdrawn: [], attrs: { origin: 0, mpUnreach: { afi: 2, safi: 1, withdrawn: [] } }, nlri: [] },
      { kind: 'update', withdrawn: [], attrs: { origin: 0 }, nlri: [] },
    ];
    for (const m of not) expect(endOfRibFamily(m)).toBeNull();
  });
});

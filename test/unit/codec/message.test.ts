import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, KEEPALIVE_MESSAGE, maxMessageLength } from '../../../src/codec/message.js';
import type { UpdateMsg } from '../../../src/codec/types.js';
import { ctx, expectBgpError, MARKER, hex, message, update } from './bytes.js';

describe('decodeMessage / encodeMessage', () => {
  it('encodes a KEEPALIVE as the bare header and decodes it back', () => {
    expect(KEEPALIVE_MESSAGE.toString('hex')).toBe(MARKER + '001304');
    expect(encodeMessage({ kind: 'keepalive' }, ctx()).equals(KEEPALIVE_MESSAGE)).toBe(true);
    expect(decodeMessage(KEEPALIVE_MESSAGE, ctx())).toEqual({ kind: 'keepalive' });
  });

  it('checks the header like the framer does', () => {
    expectBgpError(() => decodeMessage(hex('00'.repeat(16) + '001304'), ctx()), 1, 1);
    expectBgpError(() => decodeMessage(hex(MARKER + '001309'), ctx()), 1, 3, '09');
    expectBgpError(() => decodeMessage(hex(MARKER + '0014'), ctx()), 1, 2, '0012');
  });

  it('answers a frame whose length field disagrees with its size with Bad Message Length', () => {
    const m = Buffer.concat([update('', '', ''), hex('00')]);
    expectBgpError(() => decodeMessage(m, ctx()), 1, 2, '0017');
  });

  it('accepts an UPDATE over 4096 octets only with extended messages', () => {
    const big = update('', '', '180a0001'.repeat(1100));
    expectBgpError(() => decodeMessage(big, ctx()), 1, 2);
    expect((decodeMessage(big, ctx({ extendedMessage: true })) as UpdateMsg).nlri).toHaveLength(1100);
    expect(maxMessageLength(ctx({ extendedMessage: true }))).toBe(65535);
  });

  it('refuses to encode an UPDATE larger than the session maximum', () => {
    const nlri = Array.from({ length: 1100 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    const msg: UpdateMsg = { kind: 'update', withdrawn: [], attrs: null, nlri };
    expect(() => encodeMessage(msg, ctx())).toThrow(RangeError);
    expect(encodeMessage(msg, ctx({ extendedMessage: true })).length).toBe(23 + 4 * 1100);
  });

  it('dispatches every message type', () => {
    expect(decodeMessage(message(3, '0600'), ctx()).kind).toBe('notification');
    expect(decodeMessage(message(5, '00010001'), ctx()).kind).toBe('route-refresh');
    expect(decodeMessage(update('', '', ''), ctx()).kind).toBe('update');
    expect(decodeMessage(message(1, '04fde800f00a00000100'), ctx()).kind).toBe('open');
  });
});

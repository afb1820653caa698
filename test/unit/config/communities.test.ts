import { describe, expect, it } from 'vitest';
import { formatCommunity, formatLargeCommunity, parseCommunity, parseLargeCommunity } from '../../../src/config/communities.js';

describe('community text', () => {
  it('reads "AS:value" as a 32-bit number (RFC 1997)', () => {
    expect(parseCommunity('65000:100')).toEqual({ ok: true, value: 65000 * 65536 + 100 });
    expect(parseCommunity('0:0')).toEqual({ ok: true, value: 0 });
    expect(parseCommunity('65535:65535')).toEqual({ ok: true, value: 0xffffffff });
  });

  it.each([
    ['no-export', 0xffffff01],
    ['no-advertise', 0xffffff02],
    ['no-export-subconfed', 0xffffff03],
    ['no-peer', 0xffffff04],
    ['graceful-shutdown', 0xffff0000],
  ])('knows the well-known community %s', (name, value) => {
    expect(parseCommunity(name)).toEqual({ ok: true, value });
    expect(formatCommunity(value)).toBe(name);
  });

  it.each(['65536:1', '1:65536', '1', '1:2:3', 'a:b', '-1:1', 'toString', ''])('refuses %j', (text) => {
    expect(parseCommunity(text).ok).toBe(false);
  });

  it('writes a number back as "AS:value"', () => {
    expect(formatCommunity(65000 * 65536 + 100)).toBe('65000:100');
  });

  it('reads large communities as three 32-bit numbers (RFC 8092)', () => {
    expect(parseLargeCommunity('4294967295:0:1')).toEqual({ ok: true, value: { global: 4294967295, local1: 0, local2: 1 } });
    expect(formatLargeCommunity({ global: 1, local1: 2, local2: 3 })).toBe('1:2:3');
  });

  it.each(['1:2', '1:2:3:4', '4294967296:0:0', 'a:1:2'])('refuses the large community %j', (text) => {
    expect(parseLargeCommunity(text).ok).toBe(false);
  });
});

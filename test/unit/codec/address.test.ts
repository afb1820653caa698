import { isIPv4, isIPv6 } from 'node:net';
import { Address6 } from 'ip-address';
import { describe, expect, it } from 'vitest';
import {
  canonicalIPv6,
  formatIPv4,
  formatIPv6Bytes,
  parseIPv4,
  parseIPv4Range,
  parseIPv6Range,
} from '../../../src/codec/address.js';

/** Deterministic pseudo-random bytes (xorshift32) so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

describe('IPv4 text', () => {
  it('formats and parses dotted quads both ways', () => {
    expect(formatIPv4(0x0a000101)).toBe('10.0.1.1');
    expect(formatIPv4(0xffffffff)).toBe('255.255.255.255');
    expect(parseIPv4('192.0.2.1')).toBe(0xc0000201);
    expect(parseIPv4('0.0.0.0')).toBe(0);
  });

  it('accepts exactly what node:net accepts as IPv4 on tricky inputs', () => {
    const inputs = ['1.2.3.4', '01.2.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '', '1.2.3.4 ', 'a.b.c.d', '0.0.0.0', '255.255.255.255', '1.2.3.04'];
    for (const s of inputs) expect(parseIPv4Range(s, 0, s.length) >= 0, s).toBe(isIPv4(s));
  });

  it('throws a TypeError on text that is not an address', () => {
    expect(() => parseIPv4('10.0.0')).toThrow(TypeError);
  });
});

describe('IPv6 text (RFC 5952)', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['fe80:0:0:0:0:0:0:1', 'fe80::1'],
    ['FE80::ABCD', 'fe80::abcd'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'],
  ];
  for (const [input, want] of cases) {
    it(`writes ${input} as ${want}`, () => expect(canonicalIPv6(input)).toBe(want));
  }

  it('rejects malformed text', () => {
    const out = Buffer.alloc(16);
    for (const s of ['1:::2', ':1', '1:', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '::1.2.3', 'g::', '1:2:3:4:5:6:7::8', '', ':', '1.2.3.4']) {
      expect(parseIPv6Range(s, 0, s.length, out, 0), s).toBe(false);
      expect(isIPv6(s), s).toBe(false);
    }
  });

  it('formats random addresses exactly like ip-address correctForm()', () => {
    const next = rng(0x5952);
    const b = Buffer.alloc(16);
    for (let n = 0; n < 3000; n++) {
      for (let i = 0; i < 16; i += 4) b.writeUInt32BE(next(), i);
      // Make zero runs likely: clear some random groups.
      const mask = next();
      for (let g = 0; g < 8; g++) if (mask & (1 << g)) b.writeUInt16BE(0, 2 * g);
      const text = formatIPv6Bytes(b, 0);
      expect(text).toBe(new Address6(text).correctForm());
      expect(isIPv6(text)).toBe(true);
      const back = Buffer.alloc(16);
      expect(parseIPv6Range(text, 0, text.length, back, 0)).toBe(true);
      expect(back.equals(b)).toBe(true);
    }
  });

  it('formats a prefix given fewer than 16 bytes as if zero-padded', () => {
    expect(formatIPv6Bytes(Buffer.from([0x20, 0x01, 0x0d, 0xb8]), 0, 4)).toBe('2001:db8::');
    expect(formatIPv6Bytes(Buffer.alloc(0), 0, 0)).toBe('::');
  });
});

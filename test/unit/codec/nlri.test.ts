import { describe, expect, it } from 'vitest';
import { cursor } from '../../../src/codec/cursor.js';
import { ShortRead } from '../../../src/codec/errors.js';
import {
  decodePrefix4,
  decodePrefix4Number,
  decodePrefixNumbers4,
  decodePrefix6,
  nlriText,
  parsePrefix4,
  decodePrefixes,
  encodePrefix4,
  encodePrefix6,
  prefixesLength,
  writePrefixes,
} from '../../../src/codec/nlri.js';
import { expectBgpError, hex } from './bytes.js';

const enc4 = (p: string): string => {
  const b = Buffer.alloc(5);
  return b.subarray(0, encodePrefix4(b, 0, p)).toString('hex');
};
const enc6 = (p: string): string => {
  const b = Buffer.alloc(17);
  return b.subarray(0, encodePrefix6(b, 0, p)).toString('hex');
};

describe('IPv4 NLRI entries as numbers (ctx.ipv4PrefixNumbers)', () => {
  it('decodes to parsePrefix4 of the text decodePrefix4 gives, for every length and seeded random bytes', () => {
    let seed = 0x2545f491;
    const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
    for (let bits = 0; bits <= 32; bits++) {
      for (let k = 0; k < 50; k++) {
        const n = (bits + 7) >>> 3;
        const bytes = Buffer.from([bits, ...Array.from({ length: n }, rnd)]);
        const text = decodePrefix4(cursor(bytes));
        const c = cursor(bytes);
        const num = decodePrefix4Number(c);
        expect(num, `${bytes.toString('hex')}`).toBe(parsePrefix4(text));
        expect(nlriText(num)).toBe(text);
        expect(c.off).toBe(1 + n);
      }
    }
  });

  it('rejects what decodePrefix4 rejects, the same way', () => {
    expectBgpError(() => decodePrefix4Number(cursor(hex('21 0a000000 00'))), 3, 10);
    expect(() => decodePrefix4Number(cursor(hex('18 0a00')))).toThrow(ShortRead);
  });

  it('reads a field, with path ids under ADD-PATH, and writes it back byte for byte', () => {
    const field = hex('18 0a0001 00 20 c0000201');
    expect(decodePrefixNumbers4(cursor(field), false).prefixes.map(nlriText)).toEqual(['10.0.1.0/24', '0.0.0.0/0', '192.0.2.1/32']);
    const withIds = hex('00000007 18 0a0001 00000009 10 ac10');
    const d = decodePrefixNumbers4(cursor(withIds), true);
    expect([d.prefixes.map(nlriText), d.pathIds]).toEqual([['10.0.1.0/24', '172.16.0.0/16'], [7, 9]]);
    const out = Buffer.alloc(prefixesLength(1, d.prefixes, true));
    expect(writePrefixes(out, 0, 1, d.prefixes, d.pathIds, true)).toBe(out.length);
    expect(out.toString('hex')).toBe(withIds.toString('hex'));
  });
});

describe('IPv4 NLRI entries (RFC 4271 4.3)', () => {
  it('decodes length + minimal prefix octets to canonical text', () => {
    expect(decodePrefix4(cursor(hex('18 0a0001')))).toBe('10.0.1.0/24');
    expect(decodePrefix4(cursor(hex('20 c0000201')))).toBe('192.0.2.1/32');
    expect(decodePrefix4(cursor(hex('00')))).toBe('0.0.0.0/0');
    expect(decodePrefix4(cursor(hex('11 ac1080')))).toBe('172.16.128.0/17');
  });

  it('clears host bits beyond the prefix length on decode', () => {
    expect(decodePrefix4(cursor(hex('17 0a00ff')))).toBe('10.0.254.0/23');
    expect(decodePrefix4(cursor(hex('01 ff')))).toBe('128.0.0.0/1');
  });

  it('rejects a length over 32 with Invalid Network Field', () => {
    expectBgpError(() => decodePrefix4(cursor(hex('21 0a000000 00'))), 3, 10);
  });

  it('reports an entry longer than its field as a short read', () => {
    expect(() => decodePrefix4(cursor(hex('18 0a00')))).toThrow(ShortRead);
  });

  it('encodes the minimal number of octets and masks host bits', () => {
    expect(enc4('10.0.1.0/24')).toBe('180a0001');
    expect(enc4('0.0.0.0/0')).toBe('00');
    expect(enc4('10.0.1.7/24')).toBe('180a0001');
    expect(enc4('192.0.2.1/32')).toBe('20c0000201');
    expect(enc4('10.255.0.0/9')).toBe('090a80');
  });

  it('refuses to encode text that is not an IPv4 prefix', () => {
    for (const bad of ['10.0.1.0', '10.0.1.0/33', '10.0.1/24', '2001:db8::/32', '10.0.1.0/', '10.0.1.0/2a']) {
      expect(() => enc4(bad), bad).toThrow(TypeError);
    }
  });
});

describe('IPv6 NLRI entries (RFC 4760 5, RFC 2545)', () => {
  it('decodes to RFC 5952 text', () => {
    expect(decodePrefix6(cursor(hex('20 20010db8')))).toBe('2001:db8::/32');
    expect(decodePrefix6(cursor(hex('30 20010db80001')))).toBe('2001:db8:1::/48');
    expect(decodePrefix6(cursor(hex('00')))).toBe('::/0');
    expect(decodePrefix6(cursor(hex('80 20010db8000000000000000000000001')))).toBe('2001:db8::1/128');
    expect(decodePrefix6(cursor(hex('40 fd00000100000000')))).toBe('fd00:1::/64');
  });

  it('clears host bits beyond the prefix length on decode', () => {
    expect(decodePrefix6(cursor(hex('21 20010db8ff')))).toBe('2001:db8:8000::/33');
  });

  it('rejects a length over 128 with Invalid Network Field', () => {
    expectBgpError(() => decodePrefix6(cursor(hex('81 ' + '00'.repeat(17)))), 3, 10);
  });

  it('encodes minimal octets from any accepted spelling', () => {
    expect(enc6('2001:db8::/32')).toBe('2020010db8');
    expect(enc6('2001:DB8:0:0::/48')).toBe('3020010db80000');
    expect(enc6('::/0')).toBe('00');
    expect(enc6('2001:db8::1/127')).toBe('7f20010db8000000000000000000000000');
  });

  it('round-trips every prefix length of an address with all bits set', () => {
    for (let bits = 0; bits <= 128; bits++) {
      const b = Buffer.alloc(17);
      const end = encodePrefix6(b, 0, `ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/${bits}`);
      const text = decodePrefix6(cursor(b.subarray(0, end)));
      expect(text.endsWith(`/${bits}`)).toBe(true);
      const b2 = Buffer.alloc(17);
      expect(b2.subarray(0, encodePrefix6(b2, 0, text)).equals(b.subarray(0, end))).toBe(true);
    }
  });
});

describe('prefix lists', () => {
  it('reads path identifiers before each entry when ADD-PATH applies (RFC 7911 3)', () => {
    const list = decodePrefixes(cursor(hex('00000001 180a0001 00000002 180a0002')), 1, true);
    expect(list).toEqual({ prefixes: ['10.0.1.0/24', '10.0.2.0/24'], pathIds: [1, 2] });
  });

  it('writes lists with path ids (0 when missing) and measures them exactly', () => {
    const prefixes = ['10.0.1.0/24', '10.0.2.0/24'];
    const n = prefixesLength(1, prefixes, true);
    const b = Buffer.alloc(n);
    expect(writePrefixes(b, 0, 1, prefixes, [7], true)).toBe(n);
    expect(b.toString('hex')).toBe('00000007180a000100000000180a0002');
  });
});

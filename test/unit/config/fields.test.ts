import { describe, expect, it } from 'vitest';
import { addressFamily, dottedQuad, ipLiteral, readPrefix } from '../../../src/config/fields.js';

describe('config address and prefix fields', () => {
  it('accepts IPv4 and IPv6 literals and nothing else: no leading zeros, no zone ids, no prefix', () => {
    expect(ipLiteral.safeParse('192.168.1.1').data).toBe('192.168.1.1');
    expect(ipLiteral.safeParse('fd00::1').data).toBe('fd00::1');
    for (const bad of ['192.168.01.1', 'fe80::1%eth0', 'host.example', '10.0.0.1/32', '']) expect(ipLiteral.safeParse(bad).success, bad).toBe(false);
    expect(addressFamily('192.168.1.1')).toBe('ipv4');
    expect(addressFamily('fd00::1')).toBe('ipv6');
  });

  it('writes IPv6 in RFC 5952 form (IPv4-mapped in hex)', () => {
    expect(ipLiteral.safeParse('2001:DB8:0:0:0:0:0:1').data).toBe('2001:db8::1');
    expect(ipLiteral.safeParse('::ffff:192.0.2.1').data).toBe('::ffff:c000:201');
  });

  it('takes a router id as a dotted quad only', () => {
    expect(dottedQuad.safeParse('10.0.0.1').success).toBe(true);
    for (const bad of ['10.0.0.01', '10.0.0', 'fd00::1']) expect(dottedQuad.safeParse(bad).success, bad).toBe(false);
  });

  it('parses a prefix into canonical text, family and length', () => {
    expect(readPrefix('FD00:10:0::/64')).toEqual({ ok: true, value: { text: 'fd00:10::/64', family: 'ipv6', len: 64, maxLen: 128 } });
    expect(readPrefix('0.0.0.0/0')).toEqual({ ok: true, value: { text: '0.0.0.0/0', family: 'ipv4', len: 0, maxLen: 32 } });
  });

  it('refuses host bits, naming the network', () => {
    expect(readPrefix('172.16.0.1/24')).toEqual({ ok: false, error: 'host bits are set: the network is "172.16.0.0/24"' });
    expect(readPrefix('fd00::1/64')).toEqual({ ok: false, error: 'host bits are set: the network is "fd00::/64"' });
  });

  it('names the range of a length that is too long', () => {
    expect(readPrefix('10.0.0.0/33')).toEqual({ ok: false, error: 'prefix length must be 0..32' });
    expect(readPrefix('fd00::/129')).toEqual({ ok: false, error: 'prefix length must be 0..128' });
  });

  it.each(['10.0.0.0', '10.0.0.0/', '10.0.0.0/08', '10.0.0.0/-1', '10.0.0.0/24/1', '/24', 'fe80::/10%eth0'])('refuses %j', (text) => {
    expect(readPrefix(text)).toEqual({ ok: false, error: 'expected a prefix such as "172.16.0.0/24" or "fd00:10::/64"' });
  });
});

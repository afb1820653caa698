import { describe, expect, it } from 'vitest';
import { canonicalAddress, familyOfAddress, parsePrefix } from '../../../src/config/inet.js';

describe('config address and prefix parsing', () => {
  it('recognizes IPv4 and IPv6 literals and nothing else', () => {
    expect(familyOfAddress('192.168.1.1')).toBe('ipv4');
    expect(familyOfAddress('fd00::1')).toBe('ipv6');
    expect(familyOfAddress('192.168.01.1')).toBeUndefined();
    expect(familyOfAddress('fe80::1%eth0')).toBeUndefined();
    expect(familyOfAddress('host.example')).toBeUndefined();
  });

  it('writes IPv6 in RFC 5952 form', () => {
    expect(canonicalAddress('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalAddress('::ffff:192.0.2.1')).toBe('::ffff:c000:201');
  });

  it('parses a prefix into canonical text, family and length', () => {
    expect(parsePrefix('FD00:10:0::/64')).toEqual({ ok: true, value: { text: 'fd00:10::/64', family: 'ipv6', len: 64, maxLen: 128 } });
    expect(parsePrefix('0.0.0.0/0')).toEqual({ ok: true, value: { text: '0.0.0.0/0', family: 'ipv4', len: 0, maxLen: 32 } });
  });

  it('refuses host bits, which ip-address would accept', () => {
    expect(parsePrefix('172.16.0.1/24')).toEqual({ ok: false, error: 'host bits are set: the network is "172.16.0.0/24"' });
  });

  it.each(['10.0.0.0', '10.0.0.0/', '10.0.0.0/08', '10.0.0.0/-1', '10.0.0.0/24/1', '/24'])('refuses %j', (text) => {
    expect(parsePrefix(text).ok).toBe(false);
  });
});

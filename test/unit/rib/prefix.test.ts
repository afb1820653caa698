import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  addressKey,
  canonicalPrefix,
  comparePrefixes,
  formatIpv6,
  isLinkLocalV6,
  parseIpv6,
  parsePrefix,
  prefixCovers,
  prefixWireBytes,
  routerIdNumber,
} from '../../../src/rib/prefix.js';

describe('prefix helpers', () => {
  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['FD00:0:0:0:0:0:0:0', 'fd00::'],
  ])('formats %s as %s (RFC 5952)', (input, want) => {
    const b = parseIpv6(input);
    expect(b).not.toBeNull();
    expect(formatIpv6(b as Uint8Array)).toBe(want);
    expect(isIP(want)).toBe(6);
  });

  it('rejects malformed IPv6 text', () => {
    for (const t of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'fe80::1%eth0', 'g::1', '1:2:3:4:5:6:7']) expect(parseIpv6(t)).toBeNull();
  });

  it('canonicalizes prefixes and clears host bits', () => {
    expect(canonicalPrefix('10.0.1.7/24')).toBe('10.0.1.0/24');
    expect(canonicalPrefix('FD00:0001:0:0::/64')).toBe('fd00:1::/64');
    expect(canonicalPrefix('fd00:1:2:3::/40')).toBe('fd00:1::/40');
    expect(() => canonicalPrefix('10.0.0.0/33')).toThrow();
  });

  it('orders addresses numerically, IPv4 before IPv6', () => {
    expect(addressKey('10.0.0.9') < addressKey('10.0.0.10')).toBe(true);
    expect(addressKey('10.255.0.0') < addressKey('fd00::1')).toBe(true);
    expect(['10.0.0.10/32', '10.0.0.9/32', 'fd00::/64', '10.0.0.0/8'].sort(comparePrefixes)).toEqual([
      '10.0.0.0/8',
      '10.0.0.9/32',
      '10.0.0.10/32',
      'fd00::/64',
    ]);
  });

  it('knows containment, wire size, router ids and link-local addresses', () => {
    const outer = parsePrefix('172.16.0.0/12');
    const inner = parsePrefix('172.31.1.0/24');
    expect(outer && inner && prefixCovers(outer, inner)).toBe(true);
    expect(outer && inner && prefixCovers(inner, outer)).toBe(false);
    expect(prefixWireBytes('10.0.0.0/8')).toBe(2);
    expect(prefixWireBytes('10.0.0.0/9')).toBe(3);
    expect(prefixWireBytes('::/0')).toBe(1);
    expect(routerIdNumber('255.0.0.1')).toBe(0xff000001);
    expect(isLinkLocalV6('fe80::1')).toBe(true);
    expect(isLinkLocalV6('fe8::1')).toBe(false);
    expect(isLinkLocalV6('fd00::1')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { parsePrefix4 } from '../../../src/codec/nlri.js';
import { LocRib } from '../../../src/rib/loc-rib.js';

describe('LocRib prefixes: IPv4 kept by number, no text per prefix', () => {
  it('gives the text back made afresh, and the number the encoder takes', () => {
    const loc = new LocRib();
    for (const p of ['10.1.2.0/24', '0.0.0.0/0', '203.0.113.255/32', '100.64.0.0/10']) {
      const id = loc.getOrCreate(p, 'ipv4-unicast');
      expect(loc.prefix(id)).toBe(p);
      expect(loc.nlri(id)).toBe(parsePrefix4(p));
      expect(loc.get(p)).toBe(id);
    }
  });

  it('keeps the text of a prefix it does not keep by number (IPv6)', () => {
    const loc = new LocRib();
    const id = loc.getOrCreate('fd00:1::/64', 'ipv6-unicast');
    expect(loc.prefix(id)).toBe('fd00:1::/64');
    expect(loc.nlri(id)).toBe('fd00:1::/64');
  });

  it('a dropped id reused by another prefix answers with the new one', () => {
    const loc = new LocRib();
    const a = loc.getOrCreate('10.0.0.0/24', 'ipv4-unicast');
    loc.drop(a);
    expect(loc.isLive(a)).toBe(false);
    const b = loc.getOrCreate('fd00::/64', 'ipv6-unicast');
    expect(b).toBe(a);
    expect(loc.prefix(b)).toBe('fd00::/64');
    loc.drop(b);
    const c = loc.getOrCreate('10.9.0.0/16', 'ipv4-unicast');
    expect([loc.prefix(c), loc.isLive(c)]).toEqual(['10.9.0.0/16', true]);
  });
});

import { describe, expect, it } from 'vitest';
import { PrefixIndex } from '../../../src/rib/prefix-index.js';

const v4 = (i: number): string => `${10 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}.0/24`;

describe('PrefixIndex', () => {
  it('finds what was added and nothing else', () => {
    const ix = new PrefixIndex();
    ix.add('10.0.0.0/24', 7);
    ix.add('10.0.0.0/25', 8);
    ix.add('fd00::/64', 9);
    expect(ix.get('10.0.0.0/24')).toBe(7);
    expect(ix.get('10.0.0.0/25')).toBe(8);
    expect(ix.get('fd00::/64')).toBe(9);
    expect(ix.get('10.0.1.0/24')).toBe(-1);
    expect(ix.get('fd00::/48')).toBe(-1);
    expect(ix.size).toBe(3);
  });

  it('an id too large to pack is kept by text, and found and removed by number or by text', () => {
    const ix = new PrefixIndex();
    const big = 1 << 25;
    const n = (0xc0000200 * 64 + 24) as number; // 192.0.2.0/24
    expect(ix.add(n, big)).toBe(false);
    expect(ix.get('192.0.2.0/24')).toBe(big);
    expect(ix.get(n)).toBe(big);
    ix.add('198.51.100.0/24', big + 1);
    expect(ix.get(0xc6336400 * 64 + 24)).toBe(big + 1);
    ix.delete('192.0.2.0/24');
    expect(ix.get(n)).toBe(-1);
    ix.delete(0xc6336400 * 64 + 24);
    expect(ix.get('198.51.100.0/24')).toBe(-1);
    expect(ix.size).toBe(0);
  });

  it('keeps text that is not a canonical IPv4 prefix by its text', () => {
    const ix = new PrefixIndex();
    ix.add('010.0.0.0/24', 1);
    ix.add('10.0.0.0/33', 2);
    ix.add('not a prefix', 3);
    ix.add('0.0.0.0/0', 4);
    expect(ix.get('010.0.0.0/24')).toBe(1);
    expect(ix.get('10.0.0.0/24')).toBe(-1);
    expect(ix.get('10.0.0.0/33')).toBe(2);
    expect(ix.get('not a prefix')).toBe(3);
    expect(ix.get('0.0.0.0/0')).toBe(4);
    ix.delete('not a prefix');
    expect(ix.get('not a prefix')).toBe(-1);
  });

  it('survives growth and deletions in any order (backward-shift deletion keeps every probe run whole)', () => {
    const ix = new PrefixIndex();
    const n = 50_000;
    const all = Array.from({ length: n }, (_, i) => i);
    const found = (): number[] => all.map((i) => ix.get(v4(i)));
    for (const i of all) ix.add(v4(i), i);
    for (let i = 0; i < n; i += 3) ix.delete(v4(i));
    expect(found()).toEqual(all.map((i) => (i % 3 === 0 ? -1 : i)));
    for (let i = 0; i < n; i += 3) ix.add(v4(i), n + i);
    expect(found()).toEqual(all.map((i) => (i % 3 === 0 ? n + i : i)));
    for (let i = n - 1; i >= 0; i--) ix.delete(v4(i));
    expect(ix.size).toBe(0);
    expect(found().every((id) => id === -1)).toBe(true);
  });

  it('adds after a miss at the place the miss found, even when the table grows meanwhile', () => {
    const ix = new PrefixIndex();
    const all = Array.from({ length: 5000 }, (_, i) => i);
    for (const i of all) {
      ix.get(v4(i));
      ix.add(v4(i), i);
    }
    expect(all.map((i) => ix.get(v4(i)))).toEqual(all);
  });

  it('shrinks after most entries are deleted, and still finds exactly the ones left', () => {
    const ix = new PrefixIndex();
    const p = (i: number): string => `${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`;
    for (let i = 0; i < 100_000; i++) ix.add(p(i), i);
    const big = ix.capacity;
    expect(ix.shrink()).toBe(false); // full: nothing to give back
    for (let i = 10; i < 100_000; i++) ix.delete(p(i));
    expect(ix.shrink()).toBe(true);
    expect(ix.capacity).toBeLessThan(big / 64);
    expect(Array.from({ length: 10 }, (_, i) => ix.get(p(i)))).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(ix.get(p(10))).toBe(-1);
    expect(ix.get(p(99_999))).toBe(-1);
    ix.add(p(12), 12);
    expect(ix.get(p(12))).toBe(12);
    expect(ix.size).toBe(11);
  });
});

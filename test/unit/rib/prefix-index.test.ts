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
});

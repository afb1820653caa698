import { describe, expect, it } from 'vitest';
import { BoundedMemo } from '../../../src/util/bounded-memo.js';
import { grownSlots, grownTyped } from '../../../src/util/grown-slots.js';

describe('BoundedMemo', () => {
  it('makes a value once per key and hands the kept one out after', () => {
    const m = new BoundedMemo<string, { k: string }>(10);
    let made = 0;
    const make = (k: string): { k: string } => ({ k: `${k}${made++}` });
    const a = m.get('a', make);
    expect(m.get('a', make)).toBe(a);
    expect(m.get('b', make)).toEqual({ k: 'b1' });
    expect(made).toBe(2);
  });

  it('forgets everything once it holds its maximum, then makes values again', () => {
    const m = new BoundedMemo<number, { n: number }>(3);
    const first = m.get(1, (n) => ({ n }));
    m.get(2, (n) => ({ n }));
    m.get(3, (n) => ({ n }));
    expect(m.size).toBe(3);
    m.get(4, (n) => ({ n }));
    expect(m.size).toBe(1);
    const again = m.get(1, (n) => ({ n }));
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });
});

describe('grown columns', () => {
  it('grownSlots doubles (at least to min), keeps every slot, fills the new ones', () => {
    expect(grownSlots([1, null, 3], 0, null)).toEqual([1, null, 3, null, null, null]);
    expect(grownSlots<number, undefined>([1], 5, undefined)).toEqual([1, undefined, undefined, undefined, undefined]);
  });

  it('grownTyped keeps the array type and values, doubling or to min', () => {
    const a = grownTyped(Int32Array.from([-1, 2]), 0);
    expect(a).toBeInstanceOf(Int32Array);
    expect([...a]).toEqual([-1, 2, 0, 0]);
    const b = grownTyped(Uint32Array.from([4294967295]), 3);
    expect(b).toBeInstanceOf(Uint32Array);
    expect([...b]).toEqual([4294967295, 0, 0]);
  });
});

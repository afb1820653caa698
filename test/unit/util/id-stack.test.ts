import { describe, expect, it } from 'vitest';
import { IdStack } from '../../../src/util/id-stack.js';
import { prng } from '../../../src/util/prng.js';

describe('IdStack', () => {
  it('pops the id pushed last, and -1 when empty', () => {
    const s = new IdStack();
    expect(s.pop()).toBe(-1);
    s.push(3);
    s.push(0);
    s.push(7);
    expect(s.length).toBe(3);
    expect([s.pop(), s.pop(), s.pop(), s.pop()]).toEqual([7, 0, 3, -1]);
    expect(s.length).toBe(0);
  });

  it('grows past its capacity by doubling and keeps every id', () => {
    const s = new IdStack();
    const first = s.capacity;
    for (let i = 0; i < 10_000; i++) s.push(i);
    expect(s.capacity).toBeGreaterThanOrEqual(10_000);
    expect(s.capacity & (s.capacity - 1)).toBe(0);
    expect(s.capacity / first).toBe(2 ** Math.ceil(Math.log2(10_000 / first)));
    for (let i = 9_999; i >= 0; i--) expect(s.pop()).toBe(i);
  });

  it('keepBelow forgets the ids at or above top, hands the rest out lowest first, and cuts its capacity', () => {
    const s = new IdStack();
    for (const id of [9, 2, 70_000, 5, 100, 0, 99_999]) s.push(id);
    for (let i = 200_000; i < 300_000; i++) s.push(i);
    s.keepBelow(100);
    expect(s.length).toBe(4);
    expect(s.capacity).toBe(256);
    expect([s.pop(), s.pop(), s.pop(), s.pop(), s.pop()]).toEqual([0, 2, 5, 9, -1]);
  });

  it('clear empties it and gives back a grown capacity', () => {
    const s = new IdStack();
    for (let i = 0; i < 5000; i++) s.push(i);
    s.clear();
    expect(s.length).toBe(0);
    expect(s.pop()).toBe(-1);
    expect(s.capacity).toBe(256);
  });

  it('behaves as an array used as a stack over a seeded run of pushes, pops and cuts', () => {
    const rnd = prng(14);
    const s = new IdStack();
    let model: number[] = [];
    for (let step = 0; step < 50_000; step++) {
      const r = rnd();
      if (r < 0.55) {
        const id = Math.floor(rnd() * 1_000_000);
        s.push(id);
        model.push(id);
      } else if (r < 0.999) {
        expect(s.pop()).toBe(model.pop() ?? -1);
      } else {
        const top = Math.floor(rnd() * 1_000_000);
        s.keepBelow(top);
        model = model.filter((id) => id < top).sort((a, b) => b - a);
      }
      expect(s.length).toBe(model.length);
    }
  });
});

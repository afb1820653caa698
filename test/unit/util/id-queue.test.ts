import { describe, expect, it } from 'vitest';
import { IdQueue } from '../../../src/util/id-queue.js';
import { prng } from '../../../src/util/prng.js';

describe('IdQueue', () => {
  it('hands ids out in the order they came, and -1 when empty', () => {
    const q = new IdQueue();
    expect(q.shift()).toBe(-1);
    for (const id of [5, 0, 9, 5]) q.push(id);
    expect(q.length).toBe(4);
    expect([q.shift(), q.shift(), q.shift(), q.shift(), q.shift()]).toEqual([5, 0, 9, 5, -1]);
  });

  it('moves its ids down when full and the taken head is exactly half of it (no growth)', () => {
    const q = new IdQueue();
    const cap = q.capacity;
    for (let i = 0; i < cap; i++) q.push(i);
    for (let i = 0; i < cap / 2; i++) expect(q.shift()).toBe(i);
    q.push(cap);
    expect(q.capacity).toBe(cap);
    expect(q.toArray()).toEqual(Array.from({ length: cap / 2 + 1 }, (_, i) => cap / 2 + i));
  });

  it('doubles when full and the taken head is less than half of it, keeping only what is queued', () => {
    const q = new IdQueue();
    const cap = q.capacity;
    for (let i = 0; i < cap; i++) q.push(i);
    for (let i = 0; i < cap / 2 - 1; i++) q.shift();
    q.push(cap);
    expect(q.capacity).toBe(cap * 2);
    expect(q.toArray()).toEqual(Array.from({ length: cap / 2 + 2 }, (_, i) => cap / 2 - 1 + i));
  });

  it('gives a grown array back once emptied', () => {
    const q = new IdQueue();
    for (let i = 0; i < 200_000; i++) q.push(i);
    expect(q.capacity).toBeGreaterThanOrEqual(200_000);
    while (q.shift() >= 0);
    expect(q.capacity).toBe(1024);
    for (let i = 0; i < 100; i++) q.push(i);
    q.clear();
    expect([q.length, q.shift()]).toEqual([0, -1]);
  });

  it('is a FIFO over a seeded run of bursts of pushes and of shifts', () => {
    const rnd = prng(11);
    const q = new IdQueue();
    const model: number[] = [];
    let head = 0;
    for (let step = 0; step < 100_000; step++) {
      const pushing = Math.floor(step / 5000) % 2 === 0 ? 0.9 : 0.3;
      if (rnd() < pushing) {
        const id = Math.floor(rnd() * 2 ** 31);
        q.push(id);
        model.push(id);
      } else {
        expect(q.shift()).toBe(head < model.length ? model[head++] : -1);
      }
      expect(q.length).toBe(model.length - head);
    }
    expect(q.toArray()).toEqual(model.slice(head));
  });
});

import { describe, expect, it } from 'vitest';
import { LocRib } from '../../../src/rib/loc-rib.js';
import { prng } from '../../../src/util/prng.js';

/** IPv4 /32 prefix text of i. */
const p32 = (i: number): string => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}/32`;

describe('LocRib decision queue', () => {
  it('hands out dirty destinations once each, oldest first, in slices', () => {
    const loc = new LocRib();
    const ids = Array.from({ length: 3000 }, (_, i) => loc.getOrCreate(p32(i), 'ipv4-unicast'));
    for (const id of ids) loc.markDirty(id);
    for (const id of ids) loc.markDirty(id); // already queued: no second entry
    expect(loc.dirtyCount).toBe(3000);
    expect(loc.takeDirty(1000)).toEqual(ids.slice(0, 1000));
    expect(loc.isDirty(ids[0] as number)).toBe(false);
    expect(loc.isDirty(ids[1000] as number)).toBe(true);
    expect(loc.takeDirty()).toEqual(ids.slice(1000));
    expect(loc.dirtyCount).toBe(0);
    expect(loc.takeDirty()).toEqual([]);
  });

  it('is a FIFO of distinct ids over a seeded run of bursts of marks and of takes', () => {
    const rnd = prng(7);
    const loc = new LocRib();
    const n = 5000;
    const ids = Array.from({ length: n }, (_, i) => loc.getOrCreate(p32(i), 'ipv4-unicast'));
    const model: number[] = [];
    const queued = new Set<number>();
    for (let step = 0; step < 40_000; step++) {
      // Phases of mostly marks (the queue grows past its capacity) and of mostly takes (it moves down).
      const marking = Math.floor(step / 4000) % 2 === 0 ? 0.995 : 0.6;
      if (rnd() < marking) {
        const id = ids[Math.floor(rnd() * n)] as number;
        loc.markDirty(id);
        if (!queued.has(id)) {
          queued.add(id);
          model.push(id);
        }
      } else {
        const max = 1 + Math.floor(rnd() * 300);
        const want = model.splice(0, max);
        for (const id of want) queued.delete(id);
        expect(loc.takeDirty(max)).toEqual(want);
      }
      expect(loc.dirtyCount).toBe(model.length);
    }
    expect(loc.takeDirty()).toEqual(model);
  });
});

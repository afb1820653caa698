import { describe, expect, it } from 'vitest';
import { FibState } from '../../../src/kernel/fib-state.js';
import { fibKey, type FibKey, type KernelNextHop, type KernelRoute } from '../../../src/kernel/port.js';
import { prng } from '../../../src/util/prng.js';

const HOPS: readonly (readonly KernelNextHop[])[] = [
  [{ via: '10.0.0.2', dev: 'eth0' }],
  [{ via: '10.0.0.3', dev: 'eth0' }],
  [{ via: '10.0.0.2', dev: 'tunl0', onlink: true }],
  [
    { via: '10.0.0.2', dev: 'eth0' },
    { via: '10.0.0.3', dev: 'eth0' },
  ],
  [],
];

function route(prefix: string, hops: number, metric = 0): KernelRoute {
  const nextHops = HOPS[hops] as readonly KernelNextHop[];
  // A fresh copy of the hop list now and then: shapes must be found by value too, not only by the list's identity.
  return { prefix, table: 254, protocol: 12, metric, type: nextHops.length === 0 ? 'blackhole' : 'unicast', nextHops: hops % 2 === 0 ? [...nextHops] : nextHops };
}

const v4 = (i: number): string => `${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`;
const v6 = (i: number): string => `fd00:${i.toString(16)}::/64`;

/** Same content (the state hands out fresh objects). */
function same(a: KernelRoute | undefined, b: KernelRoute | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

describe('FibState', () => {
  it('gives back what was set, by numeric and by text key, and counts it', () => {
    const s = new FibState();
    const a = route('10.1.2.0/24', 0);
    const b = route('fd00:1::/64', 1, 1024);
    expect(typeof fibKey(a)).toBe('number');
    expect(typeof fibKey(b)).toBe('string');
    s.setWant(fibKey(a), a);
    s.setHave(fibKey(a), a);
    s.setWant(fibKey(b), b);
    expect(s.want(fibKey(a))).toEqual(a);
    expect(s.have(fibKey(a))).toEqual(a);
    expect(s.want(fibKey(b))).toEqual(b);
    expect(s.have(fibKey(b))).toBeUndefined();
    expect([s.desiredSize, s.installedSize, s.size]).toEqual([2, 1, 2]);
    // One shape for the desired and installed route of a: they compare by id.
    const e = s.find(fibKey(a));
    expect(s.wantAt(e)).toBe(s.haveAt(e));
    expect(s.shapes.size).toBe(2);
    s.setWant(fibKey(a), null);
    s.setHave(fibKey(a), null);
    s.setWant(fibKey(b), null);
    expect([s.desiredSize, s.installedSize, s.size, s.shapes.size]).toEqual([0, 0, 0, 0]);
    expect(s.find(fibKey(a))).toBe(-1);
  });

  it('matches a pair of Maps under a seeded run of random changes, pins and listings (compact is called, a no-op at this size)', () => {
    for (const seed of [1, 2, 3]) {
      const rnd = prng(seed);
      const s = new FibState();
      const want = new Map<FibKey, KernelRoute>();
      const have = new Map<FibKey, KernelRoute>();
      const dirty = new Set<FibKey>();
      /** Keys whose write is in the kernel: their entries stay while pinned. */
      const pinned = new Set<FibKey>();
      const held = (k: FibKey): boolean => want.has(k) || have.has(k) || pinned.has(k);
      /** The model of the dirty queue: a key whose entry goes (nothing wanted or installed, not pinned) leaves it. */
      const settle = (k: FibKey): void => {
        if (!held(k)) dirty.delete(k);
      };
      const pick = (): KernelRoute => {
        const i = Math.floor(rnd() * 3000);
        const h = Math.floor(rnd() * HOPS.length);
        return rnd() < 0.1 ? route(v6(i), h, 1024) : route(v4(i), h);
      };
      for (let step = 0; step < 40_000; step++) {
        const r = pick();
        const k = fibKey(r);
        const x = rnd();
        if (x < 0.3) {
          s.setWant(k, r);
          want.set(k, r);
        } else if (x < 0.5) {
          s.setWant(k, null);
          want.delete(k);
          settle(k);
        } else if (x < 0.7) {
          s.setHave(k, r);
          have.set(k, r);
        } else if (x < 0.85) {
          s.setHave(k, null);
          have.delete(k);
          settle(k);
        } else if (x < 0.9) {
          expect(s.markDirty(k)).toBe(held(k));
          if (held(k)) dirty.add(k);
        } else if (x < 0.93) {
          // A write of the key goes into the kernel (it has an entry: something to write).
          if (want.has(k) || have.has(k)) {
            s.pin(s.find(k));
            pinned.add(k);
          }
        } else if (x < 0.95) {
          // The oldest write in the kernel settles: an entry left holding nothing goes, with its dirty mark.
          const u = pinned.values().next();
          if (!u.done) {
            pinned.delete(u.value);
            const gone = !want.has(u.value) && !have.has(u.value);
            expect(s.unpin(u.value)).toBe(gone && dirty.has(u.value));
            settle(u.value);
            if (gone) expect(s.find(u.value)).toBe(-1);
          }
        } else if (x < 0.9995) {
          // Take a few: each is a dirty key, taken once.
          for (let i = 0; i < 3; i++) {
            const t = s.takeDirty();
            if (t === undefined) {
              expect(dirty.size).toBe(0);
              break;
            }
            expect(dirty.delete(t)).toBe(true);
          }
        } else if (x < 0.9997) {
          s.clearWant();
          for (const wk of [...want.keys()]) {
            want.delete(wk);
            settle(wk);
          }
        } else {
          // A listing that holds a random half of what is installed: the rest is cleared.
          const n = s.beginListing();
          const listed = new Set<FibKey>();
          for (const [lk, lr] of [...have]) {
            if (rnd() < 0.5) {
              s.setHave(lk, lr);
              s.listed(lk, n);
              listed.add(lk);
            }
          }
          const gone = [...s.unlisted(n)].filter((u): u is FibKey => u !== null);
          expect(new Set(gone)).toEqual(new Set([...have.keys()].filter((hk) => !listed.has(hk))));
          for (const g of gone) {
            s.setHave(g, null);
            have.delete(g);
            settle(g);
          }
        }
        if (step % 5000 === 4999) s.compact();
        if (step % 997 === 0) {
          expect(s.desiredSize).toBe(want.size);
          expect(s.installedSize).toBe(have.size);
          expect(s.dirtyCount).toBe(dirty.size);
          expect(s.pinned).toBe(pinned.size);
          expect(s.size).toBe(new Set([...want.keys(), ...have.keys(), ...pinned]).size);
          for (const pk of pinned) expect(s.flyingAt(s.find(pk))).toBe(true);
          for (const [mk, mr] of want) expect(same(s.want(mk), mr)).toBe(true);
          for (const [mk, mr] of have) expect(same(s.have(mk), mr)).toBe(true);
          const keys = new Set([...s.keys()].filter((u) => u !== null));
          expect(keys).toEqual(new Set([...want.keys(), ...have.keys()]));
        }
      }
      const drained = new Set<FibKey>();
      for (let t = s.takeDirty(); t !== undefined; t = s.takeDirty()) drained.add(t);
      expect(drained).toEqual(dirty);
      for (const k of [...want.keys()]) s.setWant(k, null);
      for (const k of [...have.keys()]) s.setHave(k, null);
      expect(s.size).toBe(pinned.size);
      for (const k of pinned) s.unpin(k);
      expect([s.size, s.pinned, s.shapes.size]).toEqual([0, 0, 0]);
    }
  });

  it('lists by generation: a key set in this listing is kept, one installed before and not listed is given back', () => {
    const s = new FibState();
    const keep = route(v4(1), 0);
    const drop = route(v4(2), 1);
    const wantOnly = route(v4(3), 0);
    s.setHave(fibKey(keep), keep);
    s.setHave(fibKey(drop), drop);
    s.setWant(fibKey(wantOnly), wantOnly);
    const n = s.beginListing();
    s.setHave(fibKey(keep), keep);
    s.listed(fibKey(keep), n);
    expect([...s.unlisted(n)].filter((k) => k !== null)).toEqual([fibKey(drop)]);
    // A later listing forgets the earlier marks.
    const m = s.beginListing();
    expect(new Set([...s.unlisted(m)].filter((k) => k !== null))).toEqual(new Set([fibKey(keep), fibKey(drop)]));
  });

  it('compacts after a large withdrawal and keeps every key it still holds', () => {
    const s = new FibState();
    for (let i = 0; i < 100_000; i++) s.setWant(fibKey(route(v4(i), i % 2)), route(v4(i), i % 2));
    for (let i = 0; i < 100_000; i++) if (i % 1000 !== 0) s.setWant(fibKey(route(v4(i), 0)), null);
    s.compact();
    expect(s.desiredSize).toBe(100);
    for (let i = 0; i < 100_000; i += 1000) expect(same(s.want(fibKey(route(v4(i), 0))), route(v4(i), 0))).toBe(true);
    expect(s.find(fibKey(route(v4(1), 0)))).toBe(-1);
    expect(s.shapes.size).toBe(1);
  });

  it('empties its queue when the last dirty key goes without being taken, so compact() is not held back by stale ids', () => {
    const s = new FibState();
    for (let i = 0; i < 100_000; i++) s.setWant(fibKey(route(v4(i), 0)), route(v4(i), 0));
    const kept = fibKey(route(v4(99_999), 0));
    for (let i = 0; i < 99_000; i++) s.markDirty(fibKey(route(v4(i), 0)));
    expect(s.dirtyCount).toBe(99_000);
    // Withdrawn before any batch took them: the entries are released with their marks.
    for (let i = 0; i < 99_000; i++) s.setWant(fibKey(route(v4(i), 0)), null);
    expect(s.dirtyCount).toBe(0);
    s.compact(); // no batch ran (takeDirty would have drained the stale ids)
    expect(s.takeDirty()).toBeUndefined();
    expect(s.find(kept)).toBeLessThan(1000);
    expect(same(s.want(kept), route(v4(99_999), 0))).toBe(true);
  });

  it('keeps a pinned entry whose routes were cleared (found after the index grows), releases it at unpin, and does not compact while any is pinned', () => {
    const s = new FibState();
    const a = route('172.16.9.0/24', 0); // outside v4()'s keys
    const k = fibKey(a);
    const e = s.setWant(k, a);
    s.pin(e);
    expect(s.pinned).toBe(1);
    // Withdrawn while its add is in the kernel: the entry, and its mark, stay.
    expect(s.setWant(k, null)).toBe(-1);
    expect(s.find(k)).toBe(e);
    expect(s.flyingAt(e)).toBe(true);
    // Thousands of keys more: the index is rebuilt three times; the pinned entry is placed again each time.
    for (let i = 0; i < 5000; i++) s.setWant(fibKey(route(v4(i), 1)), route(v4(i), 1));
    expect(s.find(k)).toBe(e);
    // Its add settled: installed (by the entry id, which the pin keeps the key's), then unpinned;
    // the mark goes, the entry stays (it holds a route).
    s.setHaveAt(e, s.shapes.intern(a));
    s.shapes.unref(s.haveAt(e)); // the column holds its own reference
    expect(same(s.have(k), a)).toBe(true);
    s.unpin(k);
    expect(s.pinned).toBe(0);
    expect(s.flyingAt(e)).toBe(false);
    expect(s.find(k)).toBe(e);
    // The removal settles: nothing held and not pinned any more, the entry is released.
    s.pin(e);
    s.setHave(k, null);
    expect(s.find(k)).toBe(e);
    expect(s.unpin(k)).toBe(false); // released, but it was not marked dirty
    expect(() => s.setHaveAt(e, -1)).toThrow(/not pinned/); // an entry id is the key's only while pinned
    expect(s.find(k)).toBe(-1);
    expect(s.size).toBe(5000);
    // Marked dirty while only its pin kept the entry: unpin says so (the mark goes with the entry).
    const e2 = s.setWant(k, a);
    s.pin(e2);
    s.setWant(k, null);
    expect(s.markDirty(k)).toBe(true);
    expect(s.dirtyCount).toBe(1);
    expect(s.unpin(k)).toBe(true);
    expect(s.dirtyCount).toBe(0);
    expect(s.find(k)).toBe(-1);
    // compact() renumbers entries: never while a write is pinned to one.
    const big = new FibState();
    for (let i = 0; i < 100_000; i++) big.setWant(fibKey(route(v4(i), 0)), route(v4(i), 0));
    const kept = fibKey(route(v4(99_999), 0));
    const at = big.find(kept);
    for (let i = 0; i < 99_000; i++) big.setWant(fibKey(route(v4(i), 0)), null);
    big.pin(at);
    big.compact();
    expect(big.find(kept)).toBe(at);
    big.unpin(kept);
    big.compact();
    expect(big.find(kept)).toBeLessThan(1000);
    expect(same(big.want(kept), route(v4(99_999), 0))).toBe(true);
  });
});

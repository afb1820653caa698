import { describe, expect, it } from 'vitest';
import { Coalescer } from '../../../src/datastore/coalesce.js';
import { kindOfKey, ResourceCache } from '../../../src/datastore/resource-cache.js';
import { ManualClock } from '../../../src/util/clock.js';

const N = '/calico/resources/v3/projectcalico.org/nodes/';
const r = (key: string, value: string, modRevision: number) => ({ key, value, modRevision });

describe('ResourceCache', () => {
  it('a re-list replaces the copy and says what differs (added, changed, removed)', () => {
    const c = new ResourceCache();
    expect(c.listed).toBe(false);
    expect(c.replaceAll([r(`${N}a`, '1', 5), r(`${N}b`, '1', 6)], 10)).toEqual({ added: 2, changed: 0, removed: 0 });
    expect(c.listed).toBe(true);
    expect(c.replaceAll([r(`${N}a`, '2', 11), r(`${N}c`, '1', 12)], 12)).toEqual({ added: 1, changed: 1, removed: 1 });
    expect([...c.snapshot().resources.keys()].sort()).toEqual([`${N}a`, `${N}c`]);
    expect(c.revision).toBe(12);
  });

  it('watch events: a put or delete older than what the copy holds is ignored; progress moves the revision', () => {
    const c = new ResourceCache();
    c.replaceAll([r(`${N}a`, 'new', 20)], 20);
    expect(c.put(r(`${N}a`, 'old', 15))).toBe(false);
    expect(c.delete(`${N}a`, 18)).toBe(false);
    expect(c.snapshot().resources.get(`${N}a`)?.value).toBe('new');
    expect(c.put(r(`${N}a`, 'newer', 21))).toBe(true);
    expect(c.delete(`${N}a`, 22)).toBe(true);
    c.progress(30);
    expect(c.revision).toBe(30);
  });

  it('a snapshot does not change when the copy does', () => {
    const c = new ResourceCache();
    c.replaceAll([r(`${N}a`, '1', 1)], 1);
    const s = c.snapshot();
    c.put(r(`${N}b`, '1', 2));
    expect(s.resources.size).toBe(1);
    expect(s.revision).toBe(1);
  });

  it('counts keys per kind', () => {
    expect(kindOfKey(`${N}x`)).toBe('nodes');
    expect(kindOfKey('/calico/ipam/v2/assignment/ipv4/block/10.0.0.0-26')).toBe('blocks');
    expect(kindOfKey('/calico/ipam/v2/host/n/ipv4/block/10.0.0.0-26')).toBe('affinities');
    expect(kindOfKey('/calico/resources/v3/projectcalico.org/ippools/p')).toBe('ipPools');
    expect(kindOfKey('/calico/other')).toBe('other');
  });
});

describe('Coalescer', () => {
  it('fires once after the changes have been quiet, not once per change', () => {
    const clock = new ManualClock();
    let fired = 0;
    const c = new Coalescer({ clock, quietMs: 20, maxDelayMs: 1000, fire: () => fired++ });
    for (let i = 0; i < 500; i++) {
      c.poke();
      clock.advance(5);
    }
    expect(fired).toBe(2); // 2500 ms of a steady trickle: the 1 s bound fired it twice
    clock.advance(20);
    expect(fired).toBe(3);
    clock.advance(1000);
    expect(fired).toBe(3);
  });

  it('a burst inside the quiet period is one reconfiguration', () => {
    const clock = new ManualClock();
    let fired = 0;
    const c = new Coalescer({ clock, quietMs: 20, maxDelayMs: 1000, fire: () => fired++ });
    for (let i = 0; i < 500; i++) c.poke();
    clock.advance(19);
    expect(fired).toBe(0);
    clock.advance(1);
    expect(fired).toBe(1);
    expect(c.pending).toBe(false);
  });

  const burstCoalescer = (clock: ManualClock, fired: number[]): Coalescer =>
    new Coalescer({ clock, quietMs: 20, maxDelayMs: 1000, burstQuietMs: 250, burstWindowMs: 500, burstChanges: 10, fire: () => fired.push(clock.now()) });

  it('burst mode: an import in clumps with gaps longer than the quiet period is one reconfiguration per second and one at its end', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const c = burstCoalescer(clock, fired);
    // 1.4 s of clumps of 12 changes every 40 ms (etcd committing puts in groups).
    for (let t = 0; t < 1400; t += 40) {
      c.poke(12);
      clock.advance(40);
    }
    clock.advance(300);
    // The first clump alone (after its 20 ms quiet), then burst mode: at the 1 s bound, and 250 ms after the last clump.
    expect(fired.length).toBe(3);
    expect(c.burst).toBe(true);
  });

  it('burst mode: isolated changes, even one after another, keep the short quiet period', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const c = burstCoalescer(clock, fired);
    for (let j = 0; j < 5; j++) {
      const t0 = clock.now();
      c.poke(1);
      clock.advance(20);
      expect(fired.at(-1)).toBe(t0 + 20);
      clock.advance(60); // the next join comes 60 ms later
    }
    expect(fired.length).toBe(5);
    expect(c.burst).toBe(false);
  });

  it('burst mode ends once a window passes without changes', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const c = burstCoalescer(clock, fired);
    c.poke(50);
    clock.advance(20);
    c.poke(1); // within 500 ms of a batch of 50: burst
    expect(c.burst).toBe(true);
    clock.advance(250);
    expect(fired.length).toBe(2);
    clock.advance(600);
    c.poke(1);
    expect(c.burst).toBe(false);
    clock.advance(20);
    expect(fired.length).toBe(3);
  });
});

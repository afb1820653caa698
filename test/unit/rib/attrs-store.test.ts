import { describe, expect, it } from 'vitest';
import type { PathAttrs } from '../../../src/codec/types.js';
import { attrsEqual, attrsHash } from '../../../src/rib/attrs-hash.js';
import { AttrsStore, type AttrSet } from '../../../src/rib/attrs-store.js';

const a: PathAttrs = { origin: 0, asPath: [{ type: 'sequence', asns: [65001] }], nextHop: '192.0.2.1', communities: [1, 2] };

describe('AttrsStore', () => {
  it('returns one shared frozen object for equal attributes', () => {
    const store = new AttrsStore();
    const x = store.intern(a);
    const y = store.intern({ ...a, asPath: [{ type: 'sequence', asns: [65001] }], communities: [1, 2] });
    expect(y).toBe(x);
    expect(Object.isFrozen(x.attrs)).toBe(true);
    expect(Object.isFrozen(x.attrs.asPath)).toBe(true);
    expect(store.size).toBe(1);
  });

  it('keeps every next hop as given, also past the memo that shares their texts (IPv4 and MP_REACH)', () => {
    const store = new AttrsStore();
    const sets: AttrSet[] = [];
    for (let i = 0; i < 5000; i++) {
      const v4 = `10.${i >> 8}.${i & 255}.1`;
      const v6 = `fd00::${i.toString(16)}`;
      sets.push(store.intern({ ...a, nextHop: v4 }));
      sets.push(store.intern({ origin: 0, asPath: [], mpReach: { afi: 2, safi: 1, nextHops: [v6, 'fe80::1'], nlri: [] } }));
    }
    for (let i = 0; i < 5000; i++) {
      expect(sets[2 * i]?.attrs.nextHop).toBe(`10.${i >> 8}.${i & 255}.1`);
      expect(sets[2 * i + 1]?.attrs.mpReach?.nextHops).toEqual([`fd00::${i.toString(16)}`, 'fe80::1']);
      expect(Object.isFrozen(sets[2 * i + 1]?.attrs.mpReach?.nextHops)).toBe(true);
    }
  });

  it('keeps different attribute sets apart', () => {
    const store = new AttrsStore();
    expect(store.intern(a)).not.toBe(store.intern({ ...a, med: 0 }));
    expect(store.intern({ ...a, asPath: [] })).not.toBe(store.intern({ ...a, asPath: undefined as never }));
    expect(store.intern({ ...a, asPath: [{ type: 'set', asns: [65001] }] })).not.toBe(store.intern(a));
  });

  it('removes a set when its last reference is released', () => {
    const store = new AttrsStore();
    const x = store.intern(a);
    store.retain(x);
    store.release(x);
    expect(store.size).toBe(1);
    store.release(x);
    expect(store.size).toBe(0);
    expect(() => store.release(x)).toThrow(/released/);
    expect(store.intern(a)).not.toBe(x);
  });

  it('stores route attributes: no NLRI, no MP_UNREACH, copied buffers', () => {
    const store = new AttrsStore();
    const chunk = Buffer.from('0002fde800000001', 'hex');
    const s = store.intern({
      ...a,
      mpReach: { afi: 2, safi: 1, nextHops: ['fd00::1'], nlri: ['fd00:1::/64'], pathIds: [1] },
      mpUnreach: { afi: 2, safi: 1, withdrawn: ['fd00:2::/64'] },
      extCommunities: [chunk],
    });
    expect(s.attrs.mpReach).toEqual({ afi: 2, safi: 1, nextHops: ['fd00::1'], nlri: [] });
    expect(s.attrs.mpUnreach).toBeUndefined();
    chunk.fill(0);
    expect(s.attrs.extCommunities?.[0]?.toString('hex')).toBe('0002fde800000001');
  });

  it('hashes and compares the same attributes as equal whatever the NLRI', () => {
    const x: PathAttrs = { ...a, mpReach: { afi: 2, safi: 1, nextHops: ['fd00::1'], nlri: ['fd00:1::/64'] } };
    const y: PathAttrs = { ...a, mpReach: { afi: 2, safi: 1, nextHops: ['fd00::1'], nlri: [] }, mpUnreach: { afi: 2, safi: 1, withdrawn: ['fd00:2::/64'] } };
    expect(attrsHash(x)).toBe(attrsHash(y));
    expect(attrsEqual(x, y)).toBe(true);
  });

  it('tells apart attributes that differ in any field', () => {
    const variants: PathAttrs[] = [
      a,
      { ...a, origin: 1 },
      { ...a, asPath: [{ type: 'sequence', asns: [65001, 1] }] },
      { ...a, asPath: [{ type: 'set', asns: [65001] }] },
      { ...a, nextHop: '192.0.2.2' },
      { ...a, med: 0 },
      { ...a, localPref: 100 },
      { ...a, atomicAggregate: true },
      { ...a, aggregator: { asn: 1, address: '192.0.2.9' } },
      { ...a, communities: [2, 1] },
      { ...a, originatorId: '1.1.1.1' },
      { ...a, clusterList: ['1.1.1.1'] },
      { ...a, extCommunities: [Buffer.from('0002fde800000001', 'hex')] },
      { ...a, largeCommunities: [{ global: 1, local1: 2, local2: 3 }] },
      { ...a, unknown: [{ flags: 0xe0, type: 99, value: Buffer.from([1]) }] },
    ];
    const store = new AttrsStore();
    const sets = variants.map((v) => store.intern(v));
    expect(new Set(sets).size).toBe(variants.length);
    for (let i = 0; i < variants.length; i++) for (let j = 0; j < variants.length; j++) expect(attrsEqual(variants[i] as PathAttrs, variants[j] as PathAttrs)).toBe(i === j);
  });

  it('keeps sets whose hashes collide apart, and finds each again', () => {
    const store = new AttrsStore();
    const sets = Array.from({ length: 3000 }, (_, i) => store.intern({ ...a, med: i }));
    expect(store.size).toBe(3000);
    for (let i = 0; i < 3000; i++) expect(store.intern({ ...a, med: i })).toBe(sets[i]);
    for (const s of sets) {
      store.release(s);
      store.release(s);
    }
    expect(store.size).toBe(0);
    expect(store.totalRefs).toBe(0);
  });

  it('finds every live set again after others were released in any order', () => {
    const store = new AttrsStore();
    const n = 5000;
    const sets = Array.from({ length: n }, (_, i) => store.intern({ ...a, med: i }));
    let seed = 7;
    const order = Array.from({ length: n }, (_, i) => i).sort(() => ((seed = (seed * 1103515245 + 12345) >>> 0) & 1 ? 1 : -1));
    const gone = new Set(order.slice(0, n / 2));
    for (const i of gone) store.release(sets[i] as AttrSet);
    const again = Array.from({ length: n }, (_, i) => store.intern({ ...a, med: i }));
    expect(again.filter((s, i) => (s === sets[i]) === gone.has(i))).toEqual([]);
    expect(store.size).toBe(n);
  });

  it('compacts after most sets are released: ids cut after the highest live one, lookups still right', () => {
    const store = new AttrsStore();
    const n = 40_000;
    const sets = Array.from({ length: n }, (_, i) => store.intern({ ...a, med: i }));
    expect(store.compact()).toBe(false); // all live
    for (let i = 100; i < n; i++) store.release(sets[i] as AttrSet);
    expect(store.compact()).toBe(true);
    expect(store.idLimit).toBe(100);
    expect(store.intern({ ...a, med: 7 })).toBe(sets[7]);
    const fresh = store.intern({ ...a, med: n + 1 });
    expect(fresh.id).toBeLessThan(100 + 1);
    expect(store.size).toBe(101);
  });

  it('does not compact while a live set sits at a high id, and does once it is released', () => {
    const store = new AttrsStore();
    const n = 40_000;
    const sets = Array.from({ length: n }, (_, i) => store.intern({ ...a, med: i }));
    for (let i = 0; i < n - 1; i++) store.release(sets[i] as AttrSet);
    expect(store.compact()).toBe(false);
    expect(store.idLimit).toBe(n);
    store.release(sets[n - 1] as AttrSet);
    expect(store.compact()).toBe(true);
    expect(store.idLimit).toBe(0);
  });
});

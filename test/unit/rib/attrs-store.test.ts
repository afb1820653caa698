import { describe, expect, it } from 'vitest';
import type { PathAttrs } from '../../../src/codec/types.js';
import { attrsKey, AttrsStore } from '../../../src/rib/attrs-store.js';

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

  it('serializes the same attributes to the same key whatever the NLRI', () => {
    const k1 = attrsKey({ ...a, mpReach: { afi: 2, safi: 1, nextHops: ['fd00::1'], nlri: ['fd00:1::/64'] } });
    const k2 = attrsKey({ ...a, mpReach: { afi: 2, safi: 1, nextHops: ['fd00::1'], nlri: [] } });
    expect(k1).toBe(k2);
  });
});

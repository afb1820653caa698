import { describe, expect, it } from 'vitest';
import { AttrsStore } from '../../../src/rib/attrs-store.js';
import { sameForwarding, singlePathForwarding } from '../../../src/rib/candidate.js';
import type { PathAttrs } from '../../../src/codec/types.js';

const attrs = (nextHop: string, asn: number): PathAttrs => ({ origin: 0, asPath: [{ type: 'sequence', asns: [asn] }], nextHop });

describe('single-path forwarding facts', () => {
  it('are one frozen object per next hop, shared by the attribute sets that have it', () => {
    const store = new AttrsStore();
    const a = store.intern(attrs('192.0.2.1', 65001));
    const b = store.intern(attrs('192.0.2.1', 65002));
    const c = store.intern(attrs('192.0.2.2', 65001));
    expect(a).not.toBe(b);
    const fa = singlePathForwarding(a);
    expect(fa).toEqual({ local: false, nextHops: ['192.0.2.1'] });
    expect(Object.isFrozen(fa) && Object.isFrozen(fa.nextHops)).toBe(true);
    expect(singlePathForwarding(b)).toBe(fa);
    expect(singlePathForwarding(a)).toBe(fa);
    expect(singlePathForwarding(c)).toEqual({ local: false, nextHops: ['192.0.2.2'] });
    expect(singlePathForwarding(c)).not.toBe(fa);
  });

  it('a set without a usable next hop forwards over none', () => {
    const store = new AttrsStore();
    const s = store.intern({ origin: 0, asPath: [] });
    expect(singlePathForwarding(s)).toEqual({ local: false, nextHops: [] });
  });

  it('stay right when endless distinct next hops overflow the memo (equal by value, not by identity)', () => {
    const store = new AttrsStore();
    const first = singlePathForwarding(store.intern(attrs('10.0.0.1', 1)));
    for (let i = 0; i < 5000; i++) singlePathForwarding(store.intern(attrs(`10.1.${i >> 8}.${i & 255}`, 1)));
    const again = singlePathForwarding(store.intern(attrs('10.0.0.1', 2)));
    expect(again).toEqual({ local: false, nextHops: ['10.0.0.1'] });
    expect(again).not.toBe(first); // the memo was cleared: a new object
    expect(sameForwarding(first, again)).toBe(true);
  });
});

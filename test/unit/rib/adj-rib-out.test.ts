import { describe, expect, it } from 'vitest';
import { AdjRibOut, type OutBatch } from '../../../src/rib/adj-rib-out.js';
import { AttrsStore, type AttrSet } from '../../../src/rib/attrs-store.js';

const ALL = Number.MAX_SAFE_INTEGER;

function setup(): { store: AttrsStore; out: AdjRibOut; sets: AttrSet[] } {
  const store = new AttrsStore();
  const sets = [1, 2, 3, 4].map((i) => store.intern({ origin: 0, asPath: [], nextHop: `10.0.0.${i}` }));
  return { store, out: new AdjRibOut(store, 4096), sets };
}

const v4 = (i: number): string => `10.${(i >> 8) & 255}.${i & 255}.0/24`;
const prefixesOf = (bs: OutBatch[]): string[] => bs.flatMap((b) => (b.kind === 'end-of-rib' ? [] : b.prefixes));

describe('AdjRibOut', () => {
  it('groups 1000 prefixes with 4 attribute sets into 4 announcements', () => {
    const { out, sets } = setup();
    for (let i = 0; i < 1000; i++) out.enqueue(v4(i), sets[i % 4] as AttrSet);
    const batches = out.pull(ALL);
    expect(batches).toHaveLength(4);
    expect(batches.every((b) => b.kind === 'announce' && b.prefixes.length === 250)).toBe(true);
    expect(out.advertisedCount).toBe(1000);
    expect(out.hasPending()).toBe(false);
  });

  it('sends a flapping prefix once, with its latest attributes', () => {
    const { out, sets } = setup();
    const [a, b, c] = sets as [AttrSet, AttrSet, AttrSet];
    out.enqueue('10.0.0.0/24', a);
    out.enqueue('10.0.0.0/24', null);
    out.enqueue('10.0.0.0/24', b);
    out.enqueue('10.0.0.0/24', c);
    expect(out.pendingCount).toBe(1);
    expect(out.pull(ALL)).toEqual([{ kind: 'announce', family: 'ipv4-unicast', attrs: c, prefixes: ['10.0.0.0/24'] }]);
  });

  it('drops a pending change back to what was advertised', () => {
    const { out, sets } = setup();
    const [a, b] = sets as [AttrSet, AttrSet];
    out.enqueue('10.0.0.0/24', a);
    out.pull(ALL);
    out.enqueue('10.0.0.0/24', b);
    out.enqueue('10.0.0.0/24', a);
    expect(out.hasPending()).toBe(false);
    out.enqueue('10.0.0.0/24', null);
    out.enqueue('10.0.0.0/24', a);
    expect(out.pull(ALL)).toEqual([]);
  });

  it('withdraws only what was advertised, many prefixes per batch, before announcements', () => {
    const { out, sets } = setup();
    const a = sets[0] as AttrSet;
    for (let i = 0; i < 300; i++) out.enqueue(v4(i), a);
    out.pull(ALL);
    for (let i = 0; i < 300; i++) out.enqueue(v4(i), null);
    out.enqueue('192.168.0.0/16', null); // never advertised: nothing to withdraw
    out.enqueue('fd00::/64', a);
    const batches = out.pull(ALL);
    expect(batches.map((b) => b.kind)).toEqual(['withdraw', 'announce']);
    expect(batches[0]).toMatchObject({ kind: 'withdraw', family: 'ipv4-unicast' });
    expect(prefixesOf(batches.slice(0, 1))).toHaveLength(300);
    expect(out.advertisedCount).toBe(1);
  });

  it('keeps IPv4 and IPv6 in separate batches even with the same attribute set', () => {
    const { out, sets } = setup();
    const a = sets[0] as AttrSet;
    out.enqueue('10.0.0.0/24', a);
    out.enqueue('fd00::/64', a);
    expect(out.pull(ALL).map((b) => (b.kind === 'end-of-rib' ? b.kind : `${b.kind} ${b.family}`))).toEqual([
      'announce ipv4-unicast',
      'announce ipv6-unicast',
    ]);
  });

  it('sends End-of-RIB per family after that family is drained', () => {
    const { out, sets } = setup();
    out.requestEndOfRib(['ipv4-unicast', 'ipv6-unicast']);
    for (let i = 0; i < 2000; i++) out.enqueue(v4(i), sets[0] as AttrSet);
    const first = out.pull(1000);
    expect(first.some((b) => b.kind === 'end-of-rib' && b.family === 'ipv4-unicast')).toBe(false);
    expect(first).toContainEqual({ kind: 'end-of-rib', family: 'ipv6-unicast' });
    const rest = out.pull(ALL);
    expect(rest.at(-1)).toEqual({ kind: 'end-of-rib', family: 'ipv4-unicast' });
    expect(out.hasPending()).toBe(false);
    expect(out.pull(ALL)).toEqual([]);
  });

  it('respects the byte budget roughly and always makes progress', () => {
    const { out, sets } = setup();
    for (let i = 0; i < 5000; i++) out.enqueue(v4(i), sets[i % 2] as AttrSet);
    const small = out.pull(1);
    expect(prefixesOf(small)).toHaveLength(1);
    const chunk = out.pull(8192);
    const n = prefixesOf(chunk).length;
    // 4 bytes per /24 plus message overheads: about 2000 prefixes in 8 KiB.
    expect(n).toBeGreaterThan(1500);
    expect(n).toBeLessThan(2100);
    let total = 1 + n;
    while (out.hasPending()) total += prefixesOf(out.pull(8192)).length;
    expect(total).toBe(5000);
  });

  it('holds one reference per advertised or pending entry and releases them all on clear', () => {
    const { store, out, sets } = setup();
    const before = store.totalRefs; // the test's own reference on each set
    expect(before).toBe(4);
    out.enqueue('10.0.0.0/24', sets[0] as AttrSet);
    out.enqueue('10.0.1.0/24', sets[1] as AttrSet);
    out.pull(ALL);
    out.enqueue('10.0.1.0/24', sets[2] as AttrSet);
    expect(store.totalRefs).toBe(before + 3);
    out.clear();
    expect(store.totalRefs).toBe(before);
    for (const s of sets) store.release(s);
    expect(store.size).toBe(0);
  });
});

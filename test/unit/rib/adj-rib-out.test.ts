import { describe, expect, it } from 'vitest';
import { AdjRibOut, batchWithText, type OutBatchText as OutBatch, type OutFeed } from '../../../src/rib/adj-rib-out.js';
import { AttrsStore, type AttrSet } from '../../../src/rib/attrs-store.js';
import { ExportJournal } from '../../../src/rib/export-journal.js';
import { LocRib } from '../../../src/rib/loc-rib.js';
import { familyOf } from '../../../src/rib/types.js';

const ALL = Number.MAX_SAFE_INTEGER;

/**
 * An Adj-RIB-Out over a Loc-RIB whose export is a table the test fills: `change(prefix, set)` is a
 * decided change (what the peer should now have, journaled); `table(prefix, set)` only sets what
 * a dump would find.
 */
function setup() {
  const store = new AttrsStore();
  const loc = new LocRib();
  const journal = new ExportJournal(loc);
  const wanted = new Map<number, AttrSet | null>();
  const feed: OutFeed = {
    want: (id) => {
      const s = wanted.get(id) ?? null;
      if (s !== null) store.retain(s);
      return s;
    },
    wantPaths: () => [],
    idle: (id) => {
      if (wanted.get(id) == null && loc.idle(id)) {
        journal.remove(id);
        loc.drop(id);
      }
    },
  };
  const sets = [1, 2, 3, 4].map((i) => store.intern({ origin: 0, asPath: [], nextHop: `10.0.0.${i}` }));
  const out = new AdjRibOut(store, 4096, loc, journal);
  const table = (prefix: string, s: AttrSet | null): number => {
    const id = loc.getOrCreate(prefix, familyOf(prefix));
    wanted.set(id, s);
    return id;
  };
  const change = (prefix: string, s: AttrSet | null): void => journal.append(table(prefix, s));
  // As text: the Loc-RIB keeps IPv4 prefixes by number, and the batches carry them so (the encoder's input).
  const pull = (budget: number): OutBatch[] => out.pull(budget, feed).map(batchWithText);
  return { store, loc, journal, out, sets, table, change, pull, feed };
}

const v4 = (i: number): string => `10.${(i >> 8) & 255}.${i & 255}.0/24`;
const prefixesOf = (bs: OutBatch[]): string[] => bs.flatMap((b) => (b.kind === 'end-of-rib' || b.kind === 'refresh-marker' ? [] : b.prefixes));

describe('AdjRibOut', () => {
  it('groups 1000 prefixes with 4 attribute sets into 4 announcements', () => {
    const { out, sets, change, pull } = setup();
    for (let i = 0; i < 1000; i++) change(v4(i), sets[i % 4] as AttrSet);
    const batches = pull(ALL);
    expect(batches).toHaveLength(4);
    expect(batches.every((b) => b.kind === 'announce' && b.prefixes.length === 250)).toBe(true);
    expect(out.advertisedCount).toBe(1000);
    expect(out.hasPending()).toBe(false);
  });

  it('sends a flapping prefix once, with its latest attributes', () => {
    const { journal, sets, change, pull } = setup();
    const [a, b, c] = sets as [AttrSet, AttrSet, AttrSet];
    change('10.0.0.0/24', a);
    change('10.0.0.0/24', null);
    change('10.0.0.0/24', b);
    change('10.0.0.0/24', c);
    const live = [0, 1, 2, 3].filter((p) => journal.at(p) >= 0);
    expect(live).toEqual([3]); // the older entries were cleared
    expect(pull(ALL)).toEqual([{ kind: 'announce', family: 'ipv4-unicast', attrs: c, prefixes: ['10.0.0.0/24'] }]);
  });

  it('sends nothing for a change back to what was advertised, nor for a withdraw of what never was', () => {
    const { out, sets, change, pull } = setup();
    const [a, b] = sets as [AttrSet, AttrSet];
    change('10.0.0.0/24', a);
    pull(ALL);
    change('10.0.0.0/24', b);
    change('10.0.0.0/24', a);
    expect(pull(ALL)).toEqual([]);
    expect(out.hasPending()).toBe(false);
    change('10.0.0.0/24', null);
    change('10.0.0.0/24', a);
    change('192.168.0.0/16', null);
    expect(pull(ALL)).toEqual([]);
  });

  it('withdraws only what was advertised, many prefixes per batch, before announcements', () => {
    const { out, sets, change, pull } = setup();
    const a = sets[0] as AttrSet;
    for (let i = 0; i < 300; i++) change(v4(i), a);
    pull(ALL);
    for (let i = 0; i < 300; i++) change(v4(i), null);
    change('192.168.0.0/16', null); // never advertised: nothing to withdraw
    change('fd00::/64', a);
    const batches = pull(ALL);
    expect(batches.map((b) => b.kind)).toEqual(['withdraw', 'announce']);
    expect(batches[0]).toMatchObject({ kind: 'withdraw', family: 'ipv4-unicast' });
    expect(prefixesOf(batches.slice(0, 1))).toHaveLength(300);
    expect(out.advertisedCount).toBe(1);
  });

  it('keeps IPv4 and IPv6 in separate batches even with the same attribute set', () => {
    const { sets, change, pull } = setup();
    const a = sets[0] as AttrSet;
    change('10.0.0.0/24', a);
    change('fd00::/64', a);
    expect(pull(ALL).map((b) => (b.kind === 'end-of-rib' ? b.kind : `${b.kind} ${b.family}`))).toEqual([
      'announce ipv4-unicast',
      'announce ipv6-unicast',
    ]);
  });

  it('dumps the table one family after the other, each followed by its End-of-RIB', () => {
    const { out, sets, table, pull } = setup();
    for (let i = 0; i < 2000; i++) table(v4(i), sets[0] as AttrSet);
    for (let i = 0; i < 10; i++) table(`fd00:${i}::/64`, sets[1] as AttrSet);
    out.dump(['ipv4-unicast', 'ipv6-unicast']);
    out.requestEndOfRib(['ipv4-unicast', 'ipv6-unicast']);
    const first = pull(1000);
    expect(first.some((b) => b.kind === 'end-of-rib')).toBe(false);
    const seen: string[] = [];
    for (const b of first) seen.push(b.kind === 'end-of-rib' ? `eor ${b.family}` : b.family);
    while (out.hasPending()) for (const b of pull(1000)) seen.push(b.kind === 'end-of-rib' ? `eor ${b.family}` : b.family);
    expect(seen.indexOf('eor ipv4-unicast')).toBeGreaterThan(seen.lastIndexOf('ipv4-unicast'));
    expect(seen.indexOf('eor ipv6-unicast')).toBeGreaterThan(seen.lastIndexOf('ipv6-unicast'));
    expect(seen.filter((x) => x.startsWith('eor'))).toHaveLength(2);
    expect(out.advertisedCount).toBe(2010);
    expect(pull(ALL)).toEqual([]);
  });

  it('resends what the peer already has when the dump is forced (ROUTE-REFRESH), and only that family', () => {
    const { out, sets, change, pull } = setup();
    change('10.0.0.0/24', sets[0] as AttrSet);
    change('fd00::/64', sets[0] as AttrSet);
    pull(ALL);
    out.dump(['ipv6-unicast'], true);
    expect(prefixesOf(pull(ALL))).toEqual(['fd00::/64']);
    out.dump(['ipv6-unicast']);
    expect(pull(ALL)).toEqual([]);
  });

  it('skips a destination that is not decided yet and has it journaled again by the decision', () => {
    const { loc, journal, sets, change, pull } = setup();
    change('10.0.0.0/24', sets[0] as AttrSet);
    const id = loc.get('10.0.0.0/24');
    loc.markDirty(id);
    expect(pull(ALL)).toEqual([]);
    expect(loc.exportPending(id)).toBe(true);
    loc.takeDirty();
    journal.append(id); // what the decision does for a destination marked for export
    expect(prefixesOf(pull(ALL))).toEqual(['10.0.0.0/24']);
  });

  it('respects the byte budget roughly and always makes progress', () => {
    const { out, sets, change, pull } = setup();
    for (let i = 0; i < 5000; i++) change(v4(i), sets[i % 2] as AttrSet);
    const small = pull(1);
    expect(prefixesOf(small)).toHaveLength(1);
    const chunk = pull(8192);
    const n = prefixesOf(chunk).length;
    // 4 bytes per /24 plus message overheads: about 2000 prefixes in 8 KiB.
    expect(n).toBeGreaterThan(1500);
    expect(n).toBeLessThan(2100);
    let total = 1 + n;
    while (out.hasPending()) total += prefixesOf(pull(8192)).length;
    expect(total).toBe(5000);
  });

  it('sends a prefix once when one pull meets it in the dump and in the journal, and holds one reference for it', () => {
    // The first pull of a peer grows its columns into new arrays while it runs: what was recorded
    // before the growth must be read from the new one.
    const { store, out, sets, table, change, pull } = setup();
    const a = sets[0] as AttrSet;
    for (let i = 0; i < 2000; i++) table(v4(i), a);
    change(v4(3), a);
    change(v4(1999), a);
    out.dump(['ipv4-unicast']);
    const sent = prefixesOf(pull(ALL));
    expect(sent).toHaveLength(2000);
    expect(new Set(sent).size).toBe(2000);
    expect(out.advertisedCount).toBe(2000);
    expect(store.totalRefs).toBe(4 + 2000);
  });

  it('holds one reference per advertised entry and releases them all on clear', () => {
    const { store, out, sets, change, pull, feed } = setup();
    const before = store.totalRefs; // the test's own reference on each set
    expect(before).toBe(4);
    change('10.0.0.0/24', sets[0] as AttrSet);
    change('10.0.1.0/24', sets[1] as AttrSet);
    pull(ALL);
    expect(store.totalRefs).toBe(before + 2);
    change('10.0.1.0/24', sets[2] as AttrSet);
    pull(ALL);
    expect(store.totalRefs).toBe(before + 2);
    out.clear(feed);
    expect(store.totalRefs).toBe(before);
    expect(out.advertisedCount).toBe(0);
    for (const s of sets) store.release(s);
    expect(store.size).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { COMPACT_MIN_IDS } from '../../../src/rib/loc-rib.js';
import { addPeer, announce4, makeRib, peer, sent, seq, withdraw4 } from './fixtures.js';

/** N distinct /24s, each with its own MED (so each has its own attribute set, as a full table nearly does per 4 prefixes). */
const v4 = (i: number): string => `${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`;
const N = COMPACT_MIN_IDS + 4464; // 70,000

function loaded(n: number, onCompacted?: () => void) {
  const rib = makeRib(onCompacted ? { onCompacted } : {});
  addPeer(rib, peer('10.0.0.2', 65001));
  addPeer(rib, peer('10.0.0.3', 65002));
  for (let i = 0; i < n; i += 4) {
    rib.receive('10.0.0.2', announce4([v4(i), v4(i + 1), v4(i + 2), v4(i + 3)].slice(0, Math.min(4, n - i)), { nextHop: '10.0.0.2', asPath: seq(65001), med: i }));
  }
  rib.decide();
  return { rib, out: sent(rib, '10.0.0.3') };
}

describe('Rib compaction after a large withdrawal (issue 14)', () => {
  it('gives the columns, the attribute sets and the journal back after a full withdrawal, and works on from low ids', () => {
    let compacted = 0;
    const { rib, out } = loaded(N, () => compacted++);
    expect(out.size).toBe(N);
    expect(rib.stats().idLimit).toBe(N);
    const all = Array.from({ length: N }, (_, i) => v4(i));
    for (let i = 0; i < N; i += 1000) rib.receive('10.0.0.2', withdraw4(all.slice(i, i + 1000)));
    rib.decide();
    const gone = sent(rib, '10.0.0.3');
    expect(gone.size).toBe(N);
    expect([...gone.values()].every((v) => v === null)).toBe(true);
    const st = rib.stats();
    expect(st).toMatchObject({ prefixes: 0, idLimit: 0, attrSets: 0, setIdLimit: 0 });
    expect(st.journalCapacity).toBeLessThan(65536);
    expect(compacted).toBeGreaterThanOrEqual(1);

    // The table comes back: ids start again from 0, and the peer gets every route.
    rib.receive('10.0.0.2', announce4([v4(1), v4(2), v4(3)], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    const back = sent(rib, '10.0.0.3');
    expect([...back.keys()].sort()).toEqual([v4(1), v4(2), v4(3)].sort());
    expect(rib.stats().idLimit).toBe(3);
    expect(rib.routes(v4(2))[0]?.best).toBe(true);
  });

  it('cuts after the highest live id and keeps the routes below it exactly as they were', () => {
    const { rib } = loaded(N);
    const keep = 1000; // the first prefixes got the lowest ids
    const all = Array.from({ length: N }, (_, i) => v4(i));
    for (let i = keep; i < N; i += 1000) rib.receive('10.0.0.2', withdraw4(all.slice(i, i + 1000)));
    rib.decide();
    const changes = sent(rib, '10.0.0.3');
    expect(changes.size).toBe(N - keep); // only withdrawals: nothing kept was sent again
    expect(rib.stats()).toMatchObject({ prefixes: keep, idLimit: keep });
    for (const p of [v4(0), v4(999)]) expect(rib.routes(p)[0]?.best).toBe(true);
    expect(rib.routes(v4(1000))).toEqual([]);
    // A withdrawal of a kept prefix after the cut goes out; a re-announced one too.
    rib.receive('10.0.0.2', withdraw4([v4(5)]));
    rib.receive('10.0.0.2', announce4([v4(5000)], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    const after = sent(rib, '10.0.0.3');
    expect(after.get(v4(5))).toBeNull();
    expect(after.get(v4(5000))?.nextHop).toBeDefined();
  });

  it('does not cut while live ids are high up, and reuses free ids instead of growing', () => {
    let compacted = 0;
    const { rib } = loaded(N, () => compacted++);
    const all = Array.from({ length: N }, (_, i) => v4(i));
    // Withdraw the first 60,000 (the low ids): 10,000 live ids remain at the top.
    for (let i = 0; i < 60_000; i += 1000) rib.receive('10.0.0.2', withdraw4(all.slice(i, i + 1000)));
    rib.decide();
    sent(rib, '10.0.0.3');
    expect(rib.stats()).toMatchObject({ prefixes: N - 60_000, idLimit: N });
    expect(compacted).toBe(0);
    rib.receive('10.0.0.2', announce4([v4(70_001)], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    expect(rib.stats().idLimit).toBe(N); // a free id was reused, the columns did not grow
  });

  it('cuts after a partial withdrawal whose live ids end up low (a second peer\'s table stays)', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.4', 65004));
    addPeer(rib, peer('10.0.0.3', 65002));
    const keep = 20_000;
    // 10.0.0.4's table first (the low ids), then 10.0.0.2's 70,000 above it.
    for (let i = 0; i < keep; i += 1000) rib.receive('10.0.0.4', announce4(Array.from({ length: 1000 }, (_, j) => `172.${16 + ((i + j) >> 16)}.${((i + j) >> 8) & 255}.${(i + j) & 255}/32`), { nextHop: '10.0.0.4', asPath: seq(65004) }));
    const mine = Array.from({ length: N }, (_, i) => v4(i));
    for (let i = 0; i < N; i += 1000) rib.receive('10.0.0.2', announce4(mine.slice(i, i + 1000), { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    sent(rib, '10.0.0.3');
    expect(rib.stats().idLimit).toBe(keep + N);
    // Withdrawn in order, a decision run and a pull after each UPDATE (the lowest ids go first).
    for (let i = 0; i < N; i += 1000) {
      rib.receive('10.0.0.2', withdraw4(mine.slice(i, i + 1000)));
      rib.decide();
      sent(rib, '10.0.0.3');
    }
    expect(rib.stats()).toMatchObject({ prefixes: keep, idLimit: keep });
  });

  it('cuts when a session goes down holding the last advertisement of a withdrawn table', () => {
    const { rib } = loaded(N);
    const all = Array.from({ length: N }, (_, i) => v4(i));
    for (let i = 0; i < N; i += 1000) rib.receive('10.0.0.2', withdraw4(all.slice(i, i + 1000)));
    rib.decide(); // 10.0.0.3 does not read its withdrawals: its Adj-RIB-Out still holds every destination
    expect(rib.stats().idLimit).toBe(N);
    rib.peerDown('10.0.0.3', { keepStale: false });
    expect(rib.stats()).toMatchObject({ prefixes: 0, idLimit: 0 });
  });
});


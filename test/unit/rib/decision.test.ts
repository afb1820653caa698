import { describe, expect, it } from 'vitest';
import {
  asPathLength,
  multipathSet,
  neighborAs,
  selectBest,
  TIE_BREAKS,
  type Candidate,
} from '../../../src/rib/decision.js';
import { addressSortKey } from '../../../src/util/inet.js';

type C = Candidate & { readonly name: string };

/** A candidate equal to every other one built here unless overridden. */
function cand(name: string, o: Partial<Candidate> = {}): C {
  return {
    name,
    local: false,
    localPref: 100,
    asPathLen: 2,
    origin: 0,
    med: 0,
    neighborAs: 65001,
    ebgp: true,
    stale: false,
    routerId: 1,
    clusterListLen: 0,
    peerKey: addressSortKey(`10.0.0.${name.charCodeAt(0)}`),
    pathId: 0,
    ...o,
  };
}

function decide(...cs: C[]): { best: string; lost: Record<string, string> } {
  const d = selectBest(cs);
  if (d === null) throw new Error('no decision');
  const lost: Record<string, string> = {};
  for (const [c, r] of d.lostBy) lost[c.name] = r;
  return { best: d.best.name, lost };
}

describe('decision ladder: each rule decides between candidates equal on every earlier rule', () => {
  it('prefers a locally originated route', () => {
    expect(decide(cand('a', { localPref: 500 }), cand('b', { local: true, localPref: 100 }))).toEqual({ best: 'b', lost: { a: 'local' } });
  });

  it('prefers the highest local-pref', () => {
    expect(decide(cand('a', { localPref: 100, asPathLen: 1 }), cand('b', { localPref: 200, asPathLen: 5 }))).toEqual({
      best: 'b',
      lost: { a: 'local-pref' },
    });
  });

  it('prefers the shortest AS path', () => {
    expect(decide(cand('a', { asPathLen: 3, origin: 0 }), cand('b', { asPathLen: 2, origin: 2 }))).toEqual({
      best: 'b',
      lost: { a: 'as-path-len' },
    });
  });

  it('prefers the lowest origin', () => {
    expect(decide(cand('a', { origin: 1, med: 0 }), cand('b', { origin: 0, med: 50 }))).toEqual({ best: 'b', lost: { a: 'origin' } });
  });

  it('prefers the lowest MED between routes from the same neighbour AS', () => {
    expect(decide(cand('a', { med: 20, ebgp: true }), cand('b', { med: 10, ebgp: false }))).toEqual({ best: 'b', lost: { a: 'med' } });
  });

  it('does not compare MED between routes from different neighbour ASes', () => {
    const r = decide(cand('a', { med: 0, neighborAs: 65001, routerId: 9 }), cand('b', { med: 99, neighborAs: 65002, routerId: 2 }));
    expect(r).toEqual({ best: 'b', lost: { a: 'router-id' } });
  });

  it('prefers eBGP over iBGP', () => {
    expect(decide(cand('a', { ebgp: false, routerId: 1 }), cand('b', { ebgp: true, routerId: 9 }))).toEqual({
      best: 'b',
      lost: { a: 'ebgp-over-ibgp' },
    });
  });

  it('prefers a fresh route over a stale one', () => {
    expect(decide(cand('a', { stale: true, routerId: 1 }), cand('b', { stale: false, routerId: 9 }))).toEqual({
      best: 'b',
      lost: { a: 'stale' },
    });
  });

  it('prefers the lowest router id (ORIGINATOR_ID when present, computed by the caller)', () => {
    expect(decide(cand('a', { routerId: 5, clusterListLen: 0 }), cand('b', { routerId: 4, clusterListLen: 3 }))).toEqual({
      best: 'b',
      lost: { a: 'router-id' },
    });
  });

  it('prefers the shortest cluster list', () => {
    expect(decide(cand('a', { clusterListLen: 2 }), cand('b', { clusterListLen: 1 }))).toEqual({ best: 'b', lost: { a: 'cluster-list-len' } });
  });

  it('prefers the lowest peer address, compared numerically', () => {
    const a = cand('a', { peerKey: addressSortKey('10.0.0.10') });
    const b = cand('b', { peerKey: addressSortKey('10.0.0.9') });
    expect(decide(a, b)).toEqual({ best: 'b', lost: { a: 'peer-addr' } });
  });

  it('has one named rule per line in RFC order', () => {
    expect(TIE_BREAKS.map((t) => t.reason)).toEqual([
      'local',
      'local-pref',
      'as-path-len',
      'origin',
      'med',
      'ebgp-over-ibgp',
      'stale',
      'router-id',
      'cluster-list-len',
      'peer-addr',
      'path-id',
    ]);
  });

  it('two paths of one peer (ADD-PATH) that tie on everything: the lower received path id, in any order', () => {
    const key = addressSortKey('10.0.0.7');
    const p = [cand('x', { peerKey: key, pathId: 9 }), cand('y', { peerKey: key, pathId: 2 }), cand('z', { peerKey: key, pathId: 5 })];
    for (const order of permutations(p)) {
      const d = selectBest(order);
      expect(d?.best.name).toBe('y');
      expect([...(d?.lostBy.values() ?? [])]).toEqual(['path-id', 'path-id']);
    }
  });

  it('two paths of one peer with different originators: the router-id rule decides, and they share ECMP', () => {
    const key = addressSortKey('10.0.0.7');
    const a = cand('a', { peerKey: key, pathId: 1, routerId: 20, ebgp: false });
    const b = cand('b', { peerKey: key, pathId: 2, routerId: 10, ebgp: false });
    const d = selectBest([a, b]);
    expect(d?.best.name).toBe('b');
    expect(d?.lostBy.get(a)).toBe('router-id');
    expect(multipathSet(b, [a, b], 8).map((c) => c.name)).toEqual(['b', 'a']);
  });
});

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  const out: T[][] = [];
  xs.forEach((x, i) => {
    for (const rest of permutations([...xs.slice(0, i), ...xs.slice(i + 1)])) out.push([x, ...rest]);
  });
  return out;
}

describe('decision independence from arrival order', () => {
  it('gives the same best and the same reasons for every permutation of MED-intransitive candidates', () => {
    // a beats b on MED (same AS 65001); b beats c on router id (different AS); c beats a on router id:
    // a cycle, which canonical ordering resolves the same way every time.
    const cs = [
      cand('a', { neighborAs: 65001, med: 10, routerId: 30, peerKey: addressSortKey('10.0.0.1') }),
      cand('b', { neighborAs: 65001, med: 20, routerId: 10, peerKey: addressSortKey('10.0.0.2') }),
      cand('c', { neighborAs: 65002, med: 5, routerId: 20, peerKey: addressSortKey('10.0.0.3') }),
      cand('d', { neighborAs: 65003, med: 0, routerId: 40, peerKey: addressSortKey('10.0.0.4') }),
      cand('e', { neighborAs: 65002, med: 1, routerId: 25, peerKey: addressSortKey('10.0.0.5'), ebgp: false }),
    ];
    const first = decide(...cs);
    const perms = permutations(cs);
    expect(perms).toHaveLength(120);
    for (const p of perms) expect(decide(...p)).toEqual(first);
    expect(Object.keys(first.lost).sort()).toEqual(['a', 'b', 'c', 'd', 'e'].filter((n) => n !== first.best));
  });
});

describe('multipath', () => {
  const best = cand('a', { routerId: 1 });

  it('joins routes equal on local-pref, AS path length, origin, MED, eBGP and neighbour AS', () => {
    const same = cand('b', { routerId: 2 });
    const otherAs = cand('c', { neighborAs: 65009, routerId: 3 });
    const longer = cand('d', { asPathLen: 3 });
    const ibgp = cand('e', { ebgp: false });
    const med = cand('f', { med: 5 });
    const set = multipathSet(best, [best, same, otherAs, longer, ibgp, med], 16);
    expect(set.map((c) => c.name)).toEqual(['a', 'b']);
  });

  it('joins iBGP routes whatever their neighbour AS', () => {
    const ib = cand('a', { ebgp: false, neighborAs: 65001 });
    const ib2 = cand('b', { ebgp: false, neighborAs: 65002, routerId: 2 });
    expect(multipathSet(ib, [ib, ib2], 4).map((c) => c.name)).toEqual(['a', 'b']);
  });

  it('stops at maxPaths, keeping the better routes', () => {
    const cs = [best, cand('d', { routerId: 4 }), cand('b', { routerId: 2 }), cand('c', { routerId: 3 })];
    expect(multipathSet(best, cs, 3).map((c) => c.name)).toEqual(['a', 'b', 'c']);
    expect(multipathSet(best, cs, 1).map((c) => c.name)).toEqual(['a']);
  });

  it('never shares a local route', () => {
    const l = cand('l', { local: true });
    expect(multipathSet(l, [l, cand('b')], 8).map((c) => c.name)).toEqual(['l']);
  });
});

describe('metrics', () => {
  it('counts an AS_SET as one and confederation segments as zero', () => {
    expect(
      asPathLength([
        { type: 'confed-sequence', asns: [1, 2] },
        { type: 'sequence', asns: [3, 4, 5] },
        { type: 'set', asns: [6, 7, 8] },
        { type: 'confed-set', asns: [9] },
      ]),
    ).toBe(4);
  });

  it('takes the neighbour AS from the first non-confederation segment, else the local AS', () => {
    expect(neighborAs([{ type: 'confed-sequence', asns: [1] }, { type: 'sequence', asns: [7, 8] }], 65000)).toBe(7);
    expect(neighborAs([], 65000)).toBe(65000);
  });
});

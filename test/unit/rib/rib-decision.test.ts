import { describe, expect, it } from 'vitest';
import type { UpdateMsg } from '../../../src/codec/types.js';
import { addPeer, announce4, announce6, makeRib, peer, seq, withdraw4 } from './fixtures.js';

const P = '172.16.1.0/24';

describe('Rib decision', () => {
  it('reports a new best route with its next hop, and its withdrawal', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    expect(rib.decide()).toEqual([{ prefix: P, best: { local: false, nextHops: ['10.0.0.2'] } }]);
    expect(rib.decide()).toEqual([]);
    rib.receive('10.0.0.2', withdraw4([P]));
    expect(rib.decide()).toEqual([{ prefix: P, best: null }]);
    expect(rib.bestNextHops().size).toBe(0);
    expect(rib.stats().prefixes).toBe(0);
  });

  it('decides without reporting when nobody takes the changes (no kernel), and keeps the forwarding state for a later resync', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    expect(rib.decide(Infinity, false)).toEqual([]);
    expect([...rib.bestNextHops()]).toEqual([[P, { local: false, nextHops: ['10.0.0.2'] }]]);
    expect(rib.decide()).toEqual([]); // decided already: nothing left to report
    rib.receive('10.0.0.2', withdraw4([P]));
    expect(rib.decide()).toEqual([{ prefix: P, best: null }]);
  });

  it('falls back to the next best route when the best is withdrawn', () => {
    const rib = makeRib({ maxPaths: 1 });
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65002));
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.receive('10.0.0.3', announce4([P], { nextHop: '10.0.0.3', asPath: seq(65002, 65009) }));
    expect(rib.decide()).toEqual([{ prefix: P, best: { local: false, nextHops: ['10.0.0.2'] } }]);
    const views = rib.routes(P);
    expect(views.map((v) => [v.from, v.best, v.reason])).toEqual([
      ['10.0.0.2', true, undefined],
      ['10.0.0.3', false, 'as-path-len'],
    ]);
    rib.receive('10.0.0.2', withdraw4([P]));
    expect(rib.decide()).toEqual([{ prefix: P, best: { local: false, nextHops: ['10.0.0.3'] } }]);
  });

  it('prefers an originated prefix and reports it as local', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001), localPref: 1000 }));
    rib.setOriginated([{ prefix: P }]);
    expect(rib.decide()).toEqual([{ prefix: P, best: { local: true, nextHops: [] } }]);
    expect(rib.routes(P).map((v) => [v.from, v.best, v.reason ?? null])).toEqual([
      ['local', true, null],
      ['10.0.0.2', false, 'local'],
    ]);
  });

  it('uses ORIGINATOR_ID as the router id of a reflected route', () => {
    const rib = makeRib({ maxPaths: 1 });
    addPeer(rib, peer('10.0.0.2', 65000), { routerId: '1.0.0.1' });
    addPeer(rib, peer('10.0.0.3', 65000), { routerId: '1.0.0.2' });
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.9.0.2', originatorId: '9.9.9.9', clusterList: ['8.8.8.8'] }));
    rib.receive('10.0.0.3', announce4([P], { nextHop: '10.9.0.3' }));
    rib.decide();
    expect(rib.routes(P).map((v) => [v.from, v.reason ?? 'best'])).toEqual([
      ['10.0.0.3', 'best'],
      ['10.0.0.2', 'router-id'],
    ]);
  });

  it('decides by the lowest peer address numerically when everything else is equal', () => {
    const rib = makeRib({ maxPaths: 1 });
    addPeer(rib, peer('10.0.0.10', 65000), { routerId: '1.1.1.1' });
    addPeer(rib, peer('10.0.0.9', 65000), { routerId: '1.1.1.1' });
    rib.receive('10.0.0.10', announce4([P], { nextHop: '10.9.0.10' }));
    rib.receive('10.0.0.9', announce4([P], { nextHop: '10.9.0.9' }));
    rib.decide();
    expect(rib.routes(P).map((v) => [v.from, v.reason ?? 'best'])).toEqual([
      ['10.0.0.9', 'best'],
      ['10.0.0.10', 'peer-addr'],
    ]);
  });
});

describe('Rib ECMP', () => {
  function threeWay(maxPaths: number): ReturnType<typeof makeRib> {
    const rib = makeRib({ maxPaths });
    for (const id of ['10.0.0.4', '10.0.0.2', '10.0.0.3']) addPeer(rib, peer(id, 65001));
    for (const id of ['10.0.0.4', '10.0.0.2', '10.0.0.3']) rib.receive(id, announce4([P], { nextHop: id, asPath: seq(65001) }));
    return rib;
  }

  it('installs every equal eBGP path from the same neighbour AS, sorted', () => {
    expect(threeWay(8).decide()).toEqual([{ prefix: P, best: { local: false, nextHops: ['10.0.0.2', '10.0.0.3', '10.0.0.4'] } }]);
  });

  it('stops at maxPaths, keeping the paths the ladder prefers', () => {
    expect(threeWay(2).decide()).toEqual([{ prefix: P, best: { local: false, nextHops: ['10.0.0.2', '10.0.0.3'] } }]);
  });

  it('leaves out paths from another neighbour AS or with a longer AS path', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65002));
    addPeer(rib, peer('10.0.0.4', 65001));
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.receive('10.0.0.3', announce4([P], { nextHop: '10.0.0.3', asPath: seq(65002) }));
    rib.receive('10.0.0.4', announce4([P], { nextHop: '10.0.0.4', asPath: seq(65001, 65005) }));
    expect(rib.decide()).toEqual([{ prefix: P, best: { local: false, nextHops: ['10.0.0.2'] } }]);
  });

  it('reports a change of the ECMP set even when the best route stays', () => {
    const rib = threeWay(8);
    rib.decide();
    rib.receive('10.0.0.4', withdraw4([P]));
    expect(rib.decide()).toEqual([{ prefix: P, best: { local: false, nextHops: ['10.0.0.2', '10.0.0.3'] } }]);
  });

  it('deduplicates next hops shared by several paths', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65000), { routerId: '1.1.1.2' });
    addPeer(rib, peer('10.0.0.3', 65000), { routerId: '1.1.1.3' });
    rib.receive('10.0.0.2', announce4([P], { nextHop: '192.0.2.7' }));
    rib.receive('10.0.0.3', announce4([P], { nextHop: '192.0.2.7' }));
    expect(rib.decide()).toEqual([{ prefix: P, best: { local: false, nextHops: ['192.0.2.7'] } }]);
  });

  it('uses the IPv6 global next hop, or the link-local one when there is no global', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    rib.receive('10.0.0.2', announce6(['fd00:1::/64'], ['fd00:9::2', 'fe80::2'], { asPath: seq(65001) }));
    rib.receive('10.0.0.2', announce6(['fd00:2::/64'], ['::', 'fe80::2'], { asPath: seq(65001) }));
    expect(rib.decide()).toEqual([
      { prefix: 'fd00:1::/64', best: { local: false, nextHops: ['fd00:9::2'] } },
      { prefix: 'fd00:2::/64', best: { local: false, nextHops: ['fe80::2'] } },
    ]);
  });
});

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('Rib decision independence from arrival order', () => {
  it('picks the same best and records the same reasons for 50 shuffles of 6 candidates', () => {
    // Neighbour ASes and MEDs chosen so that MED comparisons form a cycle with router-id ones.
    const feeds: { id: string; asn: number; med: number; routerId: string }[] = [
      { id: '10.0.0.2', asn: 65001, med: 30, routerId: '1.0.0.5' },
      { id: '10.0.0.3', asn: 65001, med: 10, routerId: '1.0.0.6' },
      { id: '10.0.0.4', asn: 65002, med: 0, routerId: '1.0.0.4' },
      { id: '10.0.0.5', asn: 65002, med: 20, routerId: '1.0.0.1' },
      { id: '10.0.0.6', asn: 65003, med: 5, routerId: '1.0.0.3' },
      { id: '10.0.0.7', asn: 65001, med: 10, routerId: '1.0.0.2' },
    ];
    const run = (order: typeof feeds, peerOrder: typeof feeds): string => {
      const rib = makeRib({ maxPaths: 1 });
      for (const f of peerOrder) addPeer(rib, peer(f.id, f.asn), { routerId: f.routerId });
      for (const f of order) {
        const u: UpdateMsg = announce4([P], { nextHop: f.id, asPath: seq(f.asn), med: f.med });
        rib.receive(f.id, u);
        rib.decide(); // decide after each arrival too: history must not matter either
      }
      return JSON.stringify(rib.routes(P).map((v) => [v.from, v.best, v.reason ?? null]).sort());
    };
    const reference = run(feeds, feeds);
    const parsed = JSON.parse(reference) as [string, boolean, string | null][];
    expect(parsed.filter(([, best]) => best)).toHaveLength(1);
    expect(parsed.filter(([, , r]) => r !== null)).toHaveLength(5);
    for (let seed = 1; seed <= 50; seed++) expect(run(shuffled(feeds, seed), shuffled(feeds, seed * 7))).toBe(reference);
  });
});

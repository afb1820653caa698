/**
 * A table dump (session start, ROUTE-REFRESH) that meets a destination changed but not yet decided,
 * and a peer that stops reading while routes keep changing.
 */
import { describe, expect, it } from 'vitest';
import type { Rib } from '../../../src/rib/rib.js';
import { addPeer, announce4, makeRib, peer, seq, session } from './fixtures.js';

const ALL = Number.MAX_SAFE_INTEGER;
const P = '172.16.1.0/24';
const Q = '172.16.2.0/24';

function pullAll(rib: Rib, id: string): string[] {
  return rib
    .nextBatches(id, ALL)
    .map((b) =>
      b.kind === 'end-of-rib'
        ? `eor ${b.family}`
        : b.kind === 'refresh-marker'
          ? `${b.subtype === 1 ? 'borr' : 'eorr'} ${b.family}`
          : `${b.kind} ${[...b.prefixes].sort().join(',')}`,
    );
}

describe('a dump meeting an undecided destination', () => {
  it('waits for the decision run, so End-of-RIB follows the whole table', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    rib.receive('10.0.0.2', announce4([P, Q], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001, 7) })); // P dirty
    rib.configurePeer(peer('10.0.0.3', 65002));
    rib.peerUp('10.0.0.3', session('10.0.0.3'));
    const first = pullAll(rib, '10.0.0.3');
    expect(first.some((x) => x.startsWith('eor'))).toBe(false);
    expect(rib.hasPending('10.0.0.3')).toBe(true);
    rib.decide();
    const rest = pullAll(rib, '10.0.0.3');
    const all = [...first, ...rest];
    const eor = all.indexOf('eor ipv4-unicast');
    expect(eor).toBeGreaterThan(-1);
    expect(all.slice(0, eor).join(' ')).toContain(P);
    expect(all.slice(0, eor).join(' ')).toContain(Q);
  });

  it('ROUTE-REFRESH resends a destination that was undecided when it came', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.4', 65004));
    addPeer(rib, peer('10.0.0.3', 65002));
    rib.receive('10.0.0.2', announce4([P, Q], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    pullAll(rib, '10.0.0.3');
    // A losing route for P: P is dirty, its best will not change.
    rib.receive('10.0.0.4', announce4([P], { nextHop: '10.0.0.4', asPath: seq(65004, 1, 2) }));
    rib.refresh('10.0.0.3', 1, 1);
    const a = pullAll(rib, '10.0.0.3');
    rib.decide();
    const b = pullAll(rib, '10.0.0.3');
    const announced = [...a, ...b].filter((x) => x.startsWith('announce')).join(' ');
    expect(announced).toContain(P);
    expect(announced).toContain(Q);
  });
});

describe('a peer that stops reading', () => {
  it('does not let the export journal grow with every change; it gets the current table when it reads again', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65002)); // never pulled until the end
    addPeer(rib, peer('10.0.0.5', 65005)); // pulled after every decision run
    const prefixes = Array.from({ length: 100 }, (_, i) => `10.${i}.0.0/16`);
    for (let round = 0; round < 1500; round++) {
      rib.receive('10.0.0.2', announce4(prefixes, { nextHop: '10.0.0.2', asPath: seq(65001, 100 + (round % 7)) }));
      rib.decide();
      rib.nextBatches('10.0.0.5', ALL);
    }
    const stats = rib.stats();
    expect(stats.journal).toBeLessThanOrEqual(2 * 100 + 65536 + 100);
    const got = new Map<string, number>();
    for (let i = 0; i < 10 && rib.hasPending('10.0.0.3'); i++) {
      for (const b of rib.nextBatches('10.0.0.3', ALL)) {
        if (b.kind !== 'announce') continue;
        const hop = b.attrs.attrs.asPath?.[0]?.asns[2] ?? -1;
        for (const p of b.prefixes) got.set(p, hop);
      }
    }
    expect(got.size).toBe(100);
    // The last round's attributes (the eBGP export prepends our AS: 65000 65001 10x).
    for (const v of got.values()) expect(v).toBe(100 + (1499 % 7));
  });
});

describe('End-of-RIB held back (RFC 4724 4.1, restarting speaker)', () => {
  it('sends the routes but not End-of-RIB while held, and End-of-RIB at the first pull after release', () => {
    const rib = makeRib();
    rib.holdEndOfRib(true);
    addPeer(rib, peer('10.0.0.2', 65001));
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    rib.configurePeer(peer('10.0.0.3', 65002));
    rib.peerUp('10.0.0.3', session('10.0.0.3'));
    const held = pullAll(rib, '10.0.0.3');
    expect(held).toContain(`announce ${P}`);
    expect(held.some((x) => x.startsWith('eor'))).toBe(false);
    expect(rib.hasPending('10.0.0.3')).toBe(true);
    rib.holdEndOfRib(false);
    expect(pullAll(rib, '10.0.0.3')).toEqual(['eor ipv4-unicast', 'eor ipv6-unicast']);
    expect(rib.hasPending('10.0.0.3')).toBe(false);
  });
});

describe('enhanced route refresh (RFC 7313)', () => {
  it('answers a refresh between BoRR and EoRR', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65002));
    rib.receive('10.0.0.2', announce4([P, Q], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    pullAll(rib, '10.0.0.3');
    rib.refresh('10.0.0.3', 1, 1, true);
    expect(pullAll(rib, '10.0.0.3')).toEqual(['borr ipv4-unicast', `announce ${P},${Q}`, 'eorr ipv4-unicast']);
    rib.refresh('10.0.0.3', 1, 1);
    expect(pullAll(rib, '10.0.0.3')).toEqual([`announce ${P},${Q}`]);
  });

  it("marks the peer's routes of the family stale at its BoRR; its EoRR removes what it did not send again", () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65002));
    rib.receive('10.0.0.2', announce4([P, Q], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    pullAll(rib, '10.0.0.3');
    expect(rib.beginPeerRefresh('10.0.0.2', 1, 1)).toBe('ipv4-unicast');
    rib.decide();
    // Stale routes stay in use meanwhile: nothing is withdrawn from the other peer.
    expect(pullAll(rib, '10.0.0.3').filter((x) => x.startsWith('withdraw'))).toEqual([]);
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    expect(rib.sweepStale('10.0.0.2', 'ipv4-unicast')).toBe(1);
    rib.decide();
    expect(pullAll(rib, '10.0.0.3')).toEqual([`withdraw ${Q}`]);
    expect(rib.beginPeerRefresh('10.0.0.2', 2, 128)).toBe(null);
  });
});

describe('enhanced route refresh, the fine print (RFC 7313 4)', () => {
  it("a peer's BoRR moves no best path: its routes are not ranked as stale while it re-sends them", () => {
    const rib = makeRib({ maxPaths: 1 });
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65001));
    addPeer(rib, peer('10.0.0.4', 65004));
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.receive('10.0.0.3', announce4([P], { nextHop: '10.0.0.3', asPath: seq(65001) }));
    const first = rib.decide();
    const via = first.find((c) => c.prefix === P)?.best?.nextHops.join();
    pullAll(rib, '10.0.0.4');
    expect(via === '10.0.0.2' || via === '10.0.0.3').toBe(true);
    const winner = via as string;
    rib.beginPeerRefresh(winner, 1, 1);
    // Something else makes the decision run for P meanwhile: a worse path from the listener.
    rib.receive('10.0.0.4', announce4([P], { nextHop: '10.0.0.4', asPath: seq(65004, 1, 2) }));
    expect(rib.decide()).toEqual([]);
    expect(pullAll(rib, '10.0.0.4')).toEqual([]);
    rib.receive(winner, announce4([P], { nextHop: winner, asPath: seq(65001) }));
    expect(rib.decide()).toEqual([]);
    expect(pullAll(rib, '10.0.0.4')).toEqual([]);
    expect(rib.sweepStale(winner, 'ipv4-unicast')).toBe(0);
  });

  it('sends no BoRR/EoRR before our End-of-RIB of the family: the re-dump answers, End-of-RIB follows it', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    rib.configurePeer(peer('10.0.0.3', 65002));
    rib.peerUp('10.0.0.3', session('10.0.0.3'));
    rib.refresh('10.0.0.3', 1, 1, true); // before the initial dump was pulled
    const out = pullAll(rib, '10.0.0.3');
    expect(out.some((x) => x.startsWith('borr') || x.startsWith('eorr'))).toBe(false);
    expect(out).toEqual([`announce ${P}`, 'eor ipv4-unicast', 'eor ipv6-unicast']);
  });
});

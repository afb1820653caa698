import { describe, expect, it } from 'vitest';
import { addPeer, announce4, announce6, makeRib, peer, sent, seq, session } from './fixtures.js';

const v4 = (i: number): string => `10.${(i >> 8) & 255}.${i & 255}.0/24`;

describe('Rib interned attributes and lifecycle', () => {
  it('shares one attribute set among prefixes announced together', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65002));
    rib.receive('10.0.0.2', announce4(Array.from({ length: 10_000 }, (_, i) => v4(i)), { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    sent(rib, '10.0.0.3');
    // As received (import changes nothing, so it is also the accepted set), and as exported to 10.0.0.3.
    expect(rib.stats().attrSets).toBe(2);
  });

  it('releases every interned set once routes, peers and originated prefixes are gone', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65000, { role: 'rr-client' }));
    addPeer(rib, peer('10.0.0.4', 65000, { role: 'rr-client' }));
    rib.setOriginated([{ prefix: '172.16.0.0/24', communities: [1] }, { prefix: 'fd00:10::/64' }]);
    rib.receive('10.0.0.2', announce4([v4(1), v4(2)], { nextHop: '10.0.0.2', asPath: seq(65001), med: 3 }));
    rib.receive('10.0.0.3', announce4([v4(2), v4(3)], { nextHop: '10.0.0.3', localPref: 200 }));
    rib.receive('10.0.0.4', announce6(['fd00:1::/64'], ['fd00::4', 'fe80::4']));
    rib.receive('10.0.0.4', announce4([v4(4)], { nextHop: '10.0.0.4', asPath: seq(65000) })); // refused: as-loop
    rib.decide();
    for (const id of ['10.0.0.2', '10.0.0.3', '10.0.0.4']) sent(rib, id);
    rib.receive('10.0.0.3', announce4([v4(3)], { nextHop: '10.0.0.3', localPref: 300 }));
    rib.decide(); // leaves a pending change unsent
    expect(rib.stats().attrSets).toBeGreaterThan(5);

    rib.peerDown('10.0.0.4', { keepStale: true });
    rib.peerUp('10.0.0.4', session('10.0.0.4'));
    rib.removePeer('10.0.0.2');
    rib.removePeer('10.0.0.3');
    rib.sweepStale('10.0.0.4');
    rib.setOriginated([]);
    rib.decide();
    rib.peerDown('10.0.0.4', { keepStale: false });
    rib.decide();
    expect(rib.stats()).toMatchObject({ attrSets: 0, attrRefs: 0, prefixes: 0, dirty: 0 });
  });

  it('drops the Adj-RIB-Out of a session that goes down and rebuilds it on the next session', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65002));
    rib.receive('10.0.0.2', announce4([v4(1)], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    sent(rib, '10.0.0.3');
    expect(rib.counts('10.0.0.3').advertised).toBe(1);
    rib.peerDown('10.0.0.3', { keepStale: false });
    expect(rib.counts('10.0.0.3').advertised).toBe(0);
    expect(rib.hasPending('10.0.0.3')).toBe(false);
    rib.peerUp('10.0.0.3', session('10.0.0.3'));
    expect([...sent(rib, '10.0.0.3').keys()]).toEqual([v4(1)]);
  });

  it('refuses to take input for a peer it does not know', () => {
    const rib = makeRib();
    expect(() => rib.receive('10.9.9.9', announce4([v4(1)], { nextHop: '10.9.9.9' }))).toThrow(/unknown peer/);
  });
});

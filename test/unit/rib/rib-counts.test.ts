/** Per-family counts for metrics (docs/metrics.md): a peer's prefixes, and the Loc-RIB's destinations and paths. */
import { describe, expect, it } from 'vitest';
import { addPeer, announce4, announce6, makeRib, peer, sent, seq, withdraw4, withdraw6 } from './fixtures.js';

describe('Rib.familyCounts', () => {
  it('splits received, accepted and advertised by family, and follows withdrawals, refusals and session ends', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65002));
    rib.receive('10.0.0.2', announce4(['10.1.0.0/24', '10.2.0.0/24', '10.3.0.0/24'], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.receive('10.0.0.2', announce4(['10.9.0.0/24'], { nextHop: '10.0.0.2', asPath: seq(65001, 65000) })); // refused: as-loop
    rib.receive('10.0.0.2', announce6(['fd00:1::/64', 'fd00:2::/64'], ['fd00::2'], { asPath: seq(65001) }));
    rib.decide();
    sent(rib, '10.0.0.3');
    expect(rib.familyCounts('10.0.0.2')).toEqual({
      'ipv4-unicast': { received: 4, accepted: 3, advertised: 0 },
      'ipv6-unicast': { received: 2, accepted: 2, advertised: 0 },
    });
    expect(rib.familyCounts('10.0.0.3')).toEqual({
      'ipv4-unicast': { received: 0, accepted: 0, advertised: 3 },
      'ipv6-unicast': { received: 0, accepted: 0, advertised: 2 },
    });
    // The totals agree with counts() (show peers).
    expect(rib.counts('10.0.0.2')).toEqual({ received: 6, accepted: 5, advertised: 0 });

    // A route that becomes refused (same prefix, now with a loop) leaves accepted, stays received.
    rib.receive('10.0.0.2', announce6(['fd00:2::/64'], ['fd00::2'], { asPath: seq(65001, 65000) }));
    rib.receive('10.0.0.2', withdraw4(['10.1.0.0/24']));
    rib.decide();
    sent(rib, '10.0.0.3');
    expect(rib.familyCounts('10.0.0.2')).toEqual({
      'ipv4-unicast': { received: 3, accepted: 2, advertised: 0 },
      'ipv6-unicast': { received: 2, accepted: 1, advertised: 0 },
    });
    expect(rib.familyCounts('10.0.0.3')['ipv4-unicast'].advertised).toBe(2);
    expect(rib.familyCounts('10.0.0.3')['ipv6-unicast'].advertised).toBe(1);

    rib.peerDown('10.0.0.3', { keepStale: false });
    expect(rib.familyCounts('10.0.0.3')).toEqual({
      'ipv4-unicast': { received: 0, accepted: 0, advertised: 0 },
      'ipv6-unicast': { received: 0, accepted: 0, advertised: 0 },
    });
    rib.peerDown('10.0.0.2', { keepStale: false });
    expect(rib.familyCounts('10.0.0.2')['ipv6-unicast']).toEqual({ received: 0, accepted: 0, advertised: 0 });
    expect(rib.familyCounts('10.9.9.9')['ipv4-unicast']).toEqual({ received: 0, accepted: 0, advertised: 0 });
  });
});

describe('Rib.tableCounts', () => {
  it('counts destinations with a best route and every path held, per family, as routes come and go', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65002));
    rib.setOriginated([{ prefix: '172.16.0.0/24' }, { prefix: 'fd00:172::/64' }]);
    rib.receive('10.0.0.2', announce4(['10.1.0.0/24', '10.2.0.0/24'], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.receive('10.0.0.3', announce4(['10.1.0.0/24'], { nextHop: '10.0.0.3', asPath: seq(65002) }));
    rib.receive('10.0.0.3', announce4(['10.9.0.0/24'], { nextHop: '10.0.0.3', asPath: seq(65002, 65000) })); // refused: a path, no best
    rib.receive('10.0.0.2', announce6(['fd00:1::/64'], ['fd00::2'], { asPath: seq(65001) }));
    // Before the decision: the paths are there, no best yet.
    expect(rib.tableCounts()).toEqual({ 'ipv4-unicast': { destinations: 0, paths: 5 }, 'ipv6-unicast': { destinations: 0, paths: 2 } });
    rib.decide();
    expect(rib.tableCounts()).toEqual({ 'ipv4-unicast': { destinations: 3, paths: 5 }, 'ipv6-unicast': { destinations: 2, paths: 2 } });
    rib.receive('10.0.0.2', withdraw4(['10.1.0.0/24', '10.2.0.0/24']));
    rib.receive('10.0.0.2', withdraw6(['fd00:1::/64']));
    rib.decide();
    expect(rib.tableCounts()).toEqual({ 'ipv4-unicast': { destinations: 2, paths: 3 }, 'ipv6-unicast': { destinations: 1, paths: 1 } });
    rib.removePeer('10.0.0.3');
    rib.setOriginated([]);
    rib.decide();
    expect(rib.tableCounts()).toEqual({ 'ipv4-unicast': { destinations: 0, paths: 0 }, 'ipv6-unicast': { destinations: 0, paths: 0 } });
  });
});

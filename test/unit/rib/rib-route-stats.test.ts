/**
 * `Rib.routeStats`: the preferred count (routes of a peer that are the best of their prefix) and
 * BIRD's route change statistics (`show protocols all`), counted per prefix while the session is up.
 */
import { describe, expect, it } from 'vitest';
import { addPeer, announce4, makeRib, peer, sent, seq, withdraw4 } from './fixtures.js';

const A = '172.16.1.0/24';
const B = '172.16.2.0/24';
const C = '172.16.3.0/24';

describe('Rib route stats', () => {
  it('counts import updates as received, rejected, filtered, ignored and accepted', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001, { importPrefixes: [{ prefix: '172.16.0.0/16', ge: 24, le: 24 }] }));
    // A accepted; 10.9.0.0/24 filtered by the prefix list.
    rib.receive('10.0.0.2', announce4([A, '10.9.0.0/24'], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    // B rejected: our own AS in the path.
    rib.receive('10.0.0.2', announce4([B], { nextHop: '10.0.0.2', asPath: seq(65001, 65000) }));
    // A again, unchanged: ignored. Then A with a new MED: accepted.
    rib.receive('10.0.0.2', announce4([A], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.receive('10.0.0.2', announce4([A], { nextHop: '10.0.0.2', asPath: seq(65001), med: 7 }));
    expect(rib.routeStats('10.0.0.2').changes.importUpdates).toEqual({ received: 5, rejected: 1, filtered: 1, ignored: 1, accepted: 2 });
  });

  it('counts a route refused by the import policy as filtered', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001, { importPolicy: (route) => (route.prefix === B ? null : route) }));
    rib.receive('10.0.0.2', announce4([A, B], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    expect(rib.routeStats('10.0.0.2').changes.importUpdates).toEqual({ received: 2, rejected: 0, filtered: 1, ignored: 0, accepted: 1 });
  });

  it('counts withdraws as accepted when they remove an accepted route, else ignored', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    rib.receive('10.0.0.2', announce4([A], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.receive('10.0.0.2', announce4([B], { nextHop: '10.0.0.2', asPath: seq(65001, 65000) })); // refused (AS loop)
    rib.receive('10.0.0.2', withdraw4([A, B, C]));
    expect(rib.routeStats('10.0.0.2').changes.importWithdraws).toEqual({ received: 3, ignored: 2, accepted: 1 });
  });

  it('counts the updates and withdraws sent to a peer, and zeroes every counter when the session goes down', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65002));
    rib.receive('10.0.0.2', announce4([A, B], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    sent(rib, '10.0.0.3');
    rib.receive('10.0.0.2', withdraw4([B]));
    rib.decide();
    sent(rib, '10.0.0.3');
    expect(rib.routeStats('10.0.0.3').changes).toMatchObject({ exportUpdates: 2, exportWithdraws: 1 });
    expect(rib.routeStats('10.0.0.2').changes.importUpdates.received).toBe(2);
    rib.peerDown('10.0.0.2', { keepStale: false });
    expect(rib.routeStats('10.0.0.2').changes).toEqual({
      importUpdates: { received: 0, rejected: 0, filtered: 0, ignored: 0, accepted: 0 },
      importWithdraws: { received: 0, ignored: 0, accepted: 0 },
      exportUpdates: 0,
      exportWithdraws: 0,
    });
  });

  it('counts the routes of a peer that are the best of their prefix', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65002));
    rib.receive('10.0.0.2', announce4([A, B], { nextHop: '10.0.0.2', asPath: seq(65001, 65005) }));
    rib.receive('10.0.0.3', announce4([A], { nextHop: '10.0.0.3', asPath: seq(65002) })); // shorter AS path: best for A
    rib.decide();
    expect([rib.routeStats('10.0.0.2').preferred, rib.routeStats('10.0.0.3').preferred]).toEqual([1, 1]);
    rib.receive('10.0.0.3', withdraw4([A]));
    rib.decide();
    expect([rib.routeStats('10.0.0.2').preferred, rib.routeStats('10.0.0.3').preferred]).toEqual([2, 0]);
    rib.peerDown('10.0.0.2', { keepStale: false });
    rib.decide();
    expect(rib.routeStats('10.0.0.2').preferred).toBe(0);
    expect(rib.routeStats('10.0.0.9')).toMatchObject({ preferred: 0 });
  });
});

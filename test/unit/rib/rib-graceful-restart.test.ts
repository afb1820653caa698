import { describe, expect, it } from 'vitest';
import { addPeer, announce4, announce6, eor4, eor6, makeRib, peer, sent, seq, session } from './fixtures.js';

const A = '172.16.1.0/24';
const B = '172.16.2.0/24';
const V6 = 'fd00:1::/64';

/** Peer 10.0.0.2 announced A, B and V6; a second peer listens. */
function learned(): ReturnType<typeof makeRib> {
  const rib = makeRib();
  addPeer(rib, peer('10.0.0.2', 65001));
  addPeer(rib, peer('10.0.0.3', 65002));
  rib.receive('10.0.0.2', announce4([A, B], { nextHop: '10.0.0.2', asPath: seq(65001) }));
  rib.receive('10.0.0.2', announce6([V6], ['fd00::2'], { asPath: seq(65001) }));
  rib.decide();
  sent(rib, '10.0.0.3');
  return rib;
}

describe('Rib graceful restart (helper side, RFC 4724 4.2)', () => {
  it('keeps the routes of a restarting peer installed and exported, marked stale', () => {
    const rib = learned();
    const before = rib.bestNextHops();
    rib.peerDown('10.0.0.2', { keepStale: true });
    expect(rib.decide()).toEqual([]);
    expect(rib.bestNextHops()).toEqual(before);
    expect(sent(rib, '10.0.0.3').size).toBe(0); // nothing withdrawn
    expect(rib.routes().every((v) => v.stale === true)).toBe(true);
    expect(rib.counts('10.0.0.2')).toMatchObject({ received: 3, accepted: 3, advertised: 0 });
  });

  it('withdraws the routes of a peer that went down without graceful restart', () => {
    const rib = learned();
    rib.peerDown('10.0.0.2', { keepStale: false });
    expect(rib.decide().map((c) => c.best)).toEqual([null, null, null]);
    expect([...sent(rib, '10.0.0.3').values()]).toEqual([null, null, null]);
  });

  it('clears the stale mark of a re-announced route and sweeps the rest at End-of-RIB, per family', () => {
    const rib = learned();
    rib.peerDown('10.0.0.2', { keepStale: true });
    rib.peerUp('10.0.0.2', session('10.0.0.2'));
    expect(rib.routes().every((v) => v.stale === true)).toBe(true); // still stale after the session is back
    rib.receive('10.0.0.2', announce4([A], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    expect(rib.routes(A)[0]?.stale).toBeUndefined();
    const r = rib.receive('10.0.0.2', eor4);
    expect(r.endOfRib).toEqual(['ipv4-unicast']);
    expect(rib.decide()).toEqual([{ prefix: B, best: null }]);
    expect(rib.routes(V6)[0]?.stale).toBe(true); // the IPv6 End-of-RIB has not come yet
    expect(rib.receive('10.0.0.2', eor6).endOfRib).toEqual(['ipv6-unicast']);
    expect(rib.decide()).toEqual([{ prefix: V6, best: null }]);
    expect(rib.routes().map((v) => v.prefix)).toEqual([A]);
  });

  it('sweeps every stale route when the restart timer expires', () => {
    const rib = learned();
    rib.peerDown('10.0.0.2', { keepStale: true });
    expect(rib.sweepStale('10.0.0.2')).toBe(3);
    expect(rib.decide()).toHaveLength(3);
    expect(rib.counts('10.0.0.2').received).toBe(0);
  });

  it('prefers a fresh route over an otherwise equal stale one', () => {
    const rib = makeRib({ maxPaths: 1 });
    addPeer(rib, peer('10.0.0.2', 65000), { routerId: '1.0.0.1' });
    addPeer(rib, peer('10.0.0.3', 65000), { routerId: '1.0.0.9' });
    rib.receive('10.0.0.2', announce4([A], { nextHop: '10.9.0.2' }));
    rib.receive('10.0.0.3', announce4([A], { nextHop: '10.9.0.3' }));
    expect(rib.decide()).toEqual([{ prefix: A, best: { local: false, nextHops: ['10.9.0.2'] } }]);
    rib.peerDown('10.0.0.2', { keepStale: true });
    expect(rib.decide()).toEqual([{ prefix: A, best: { local: false, nextHops: ['10.9.0.3'] } }]);
    expect(rib.routes(A).map((v) => [v.from, v.reason ?? 'best'])).toEqual([
      ['10.0.0.3', 'best'],
      ['10.0.0.2', 'stale'],
    ]);
  });

  it('keeps a stale route in the ECMP set (forwarding was preserved)', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65001));
    rib.receive('10.0.0.2', announce4([A], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.receive('10.0.0.3', announce4([A], { nextHop: '10.0.0.3', asPath: seq(65001) }));
    rib.decide();
    rib.peerDown('10.0.0.2', { keepStale: true });
    expect(rib.decide()).toEqual([]);
    expect(rib.bestNextHops().get(A)).toEqual({ local: false, nextHops: ['10.0.0.2', '10.0.0.3'] });
  });
});

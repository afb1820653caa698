import { describe, expect, it } from 'vitest';
import { WellKnownCommunity } from '../../../src/codec/constants.js';
import { addPeer, announce4, announce6, makeRib, peer, seq, sent, withdraw4, CLUSTER_ID } from './fixtures.js';

const P = '172.16.1.0/24';

/** A reflector with two clients (c1, c2), one non-client (n1) and one eBGP peer (e1). */
function reflector(): ReturnType<typeof makeRib> {
  const rib = makeRib();
  addPeer(rib, peer('10.0.0.11', 65000, { role: 'rr-client' }), { routerId: '1.0.0.11' });
  addPeer(rib, peer('10.0.0.12', 65000, { role: 'rr-client' }), { routerId: '1.0.0.12' });
  addPeer(rib, peer('10.0.0.21', 65000), { routerId: '1.0.0.21' });
  addPeer(rib, peer('10.0.0.31', 65001), { routerId: '1.0.0.31' });
  return rib;
}
const ALL = ['10.0.0.11', '10.0.0.12', '10.0.0.21', '10.0.0.31'];

function who(rib: ReturnType<typeof makeRib>): string[] {
  return ALL.filter((id) => sent(rib, id).get(P) != null);
}

describe('Rib export and reflection', () => {
  it('reflects a client route to the other client, the non-client and eBGP, never back', () => {
    const rib = reflector();
    rib.receive('10.0.0.11', announce4([P], { nextHop: '10.0.0.11', localPref: 150 }));
    rib.decide();
    const out = new Map(ALL.map((id) => [id, sent(rib, id).get(P)] as const));
    expect(out.get('10.0.0.11')).toBeUndefined();
    expect(out.get('10.0.0.12')).toMatchObject({ originatorId: '1.0.0.11', clusterList: [CLUSTER_ID], nextHop: '10.0.0.11', localPref: 150 });
    expect(out.get('10.0.0.21')).toMatchObject({ originatorId: '1.0.0.11', clusterList: [CLUSTER_ID], nextHop: '10.0.0.11' });
    expect(out.get('10.0.0.31')).toEqual({ origin: 0, asPath: [{ type: 'sequence', asns: [65000] }], nextHop: '10.0.0.1' });
  });

  it('reflects a non-client route to clients only (and eBGP)', () => {
    const rib = reflector();
    rib.receive('10.0.0.21', announce4([P], { nextHop: '10.0.0.21' }));
    rib.decide();
    expect(who(rib)).toEqual(['10.0.0.11', '10.0.0.12', '10.0.0.31']);
  });

  it('does not reflect a route to the client whose router id is its ORIGINATOR_ID', () => {
    const rib = reflector();
    rib.receive('10.0.0.21', announce4([P], { nextHop: '10.0.0.12', originatorId: '1.0.0.12', clusterList: ['10.9.9.9'] }));
    rib.decide();
    // Both clients share one export group; only the per-peer check tells them apart.
    expect(who(rib)).toEqual(['10.0.0.11', '10.0.0.31']);
  });

  it('sends an eBGP route to every iBGP peer with its next hop, and not back', () => {
    const rib = reflector();
    rib.receive('10.0.0.31', announce4([P], { nextHop: '10.0.0.31', asPath: seq(65001), med: 5 }));
    rib.decide();
    expect(who(rib)).toEqual(['10.0.0.11', '10.0.0.12', '10.0.0.21']);
  });

  it('without clients, does not pass iBGP routes to other iBGP peers', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.21', 65000));
    addPeer(rib, peer('10.0.0.22', 65000));
    rib.receive('10.0.0.21', announce4([P], { nextHop: '10.0.0.21' }));
    rib.decide();
    expect(sent(rib, '10.0.0.22').size).toBe(0);
  });

  it('withdraws from a peer when the new best may not go to it', () => {
    const rib = reflector();
    rib.receive('10.0.0.11', announce4([P], { nextHop: '10.0.0.11' }));
    rib.decide();
    for (const id of ALL) sent(rib, id);
    // A better route from the non-client: it may not go to the other non-client... nor back to itself.
    rib.receive('10.0.0.21', announce4([P], { nextHop: '10.0.0.21', localPref: 500 }));
    rib.decide();
    expect(sent(rib, '10.0.0.21').get(P)).toBeNull(); // it had the client's route; now a withdraw
    expect(sent(rib, '10.0.0.12').get(P)).toMatchObject({ nextHop: '10.0.0.21', localPref: 500 });
  });

  it('withdraws a prefix from every peer it was sent to when it disappears', () => {
    const rib = reflector();
    rib.receive('10.0.0.31', announce4([P], { nextHop: '10.0.0.31', asPath: seq(65001) }));
    rib.decide();
    for (const id of ALL) sent(rib, id);
    rib.receive('10.0.0.31', withdraw4([P]));
    rib.decide();
    expect(ALL.map((id) => sent(rib, id).get(P))).toEqual([null, null, null, undefined]);
    expect(ALL.map((id) => rib.counts(id).advertised)).toEqual([0, 0, 0, 0]);
  });

  it('keeps NO_EXPORT routes away from eBGP and NO_ADVERTISE routes away from everyone', () => {
    const rib = reflector();
    rib.receive('10.0.0.11', announce4([P], { nextHop: '10.0.0.11', communities: [WellKnownCommunity.NO_EXPORT] }));
    rib.receive('10.0.0.11', announce4(['172.16.2.0/24'], { nextHop: '10.0.0.11', communities: [WellKnownCommunity.NO_ADVERTISE] }));
    rib.decide();
    expect(who(rib)).toEqual(['10.0.0.12', '10.0.0.21']);
    expect(ALL.every((id) => !sent(rib, id).has('172.16.2.0/24'))).toBe(true);
  });

  it('runs the export policy last, per prefix', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(
      rib,
      peer('10.0.0.3', 65002, {
        exportPolicy: (r) => (r.prefix === '10.1.0.0/24' ? null : { ...r, attrs: { ...r.attrs, med: 42 } }),
      }),
    );
    rib.receive('10.0.0.2', announce4([P, '10.1.0.0/24'], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    const out = sent(rib, '10.0.0.3');
    expect([...out.keys()]).toEqual([P]);
    expect(out.get(P)).toMatchObject({ med: 42, asPath: [{ type: 'sequence', asns: [65000, 65001] }] });
  });

  it('announces originated prefixes with our next hop and communities, and their removal', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001, { exportCommunities: [0xfde80064] }));
    addPeer(rib, peer('10.0.0.3', 65000));
    rib.setOriginated([{ prefix: '172.16.0.0/24', communities: [0xfde80001] }, { prefix: 'fd00:10::/64' }]);
    rib.decide();
    const e = sent(rib, '10.0.0.2');
    expect(e.get('172.16.0.0/24')).toEqual({
      origin: 0,
      asPath: [{ type: 'sequence', asns: [65000] }],
      nextHop: '10.0.0.1',
      communities: [0xfde80001, 0xfde80064],
    });
    expect(e.get('fd00:10::/64')?.mpReach?.nextHops).toEqual(['fd00:ffff::1', 'fe80::1']);
    expect(sent(rib, '10.0.0.3').get('172.16.0.0/24')).toEqual({
      origin: 0,
      asPath: [],
      localPref: 100,
      nextHop: '10.0.0.1',
      communities: [0xfde80001],
    });
    rib.setOriginated([{ prefix: 'fd00:10::/64' }]);
    expect(rib.decide()).toEqual([{ prefix: '172.16.0.0/24', best: null }]);
    expect(sent(rib, '10.0.0.2').get('172.16.0.0/24')).toBeNull();
  });

  it('sends only the families a session negotiated', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001), { families: ['ipv4-unicast'] });
    addPeer(rib, peer('10.0.0.3', 65002));
    rib.receive('10.0.0.3', announce6(['fd00:1::/64'], ['fd00::3'], { asPath: seq(65002) }));
    rib.receive('10.0.0.3', announce4([P], { nextHop: '10.0.0.3', asPath: seq(65002) }));
    rib.decide();
    expect([...sent(rib, '10.0.0.2').keys()]).toEqual([P]);
  });

  it('re-exports when a peer configuration changes (communities added)', () => {
    const rib = makeRib();
    const cfg = peer('10.0.0.3', 65002);
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, cfg);
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    expect(sent(rib, '10.0.0.3').get(P)?.communities).toBeUndefined();
    rib.configurePeer({ ...cfg, exportCommunities: [0xfde80009] });
    expect(sent(rib, '10.0.0.3').get(P)?.communities).toEqual([0xfde80009]);
  });

  it('sends a family again on ROUTE-REFRESH, and only that family', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65002));
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.receive('10.0.0.2', announce6(['fd00:1::/64'], ['fd00::2'], { asPath: seq(65001) }));
    rib.decide();
    expect(sent(rib, '10.0.0.3').size).toBe(2);
    expect(rib.hasPending('10.0.0.3')).toBe(false);
    rib.refresh('10.0.0.3', 1, 1);
    expect([...sent(rib, '10.0.0.3').keys()]).toEqual([P]);
    expect(rib.counts('10.0.0.3').advertised).toBe(2);
    rib.refresh('10.0.0.3', 1, 128); // not a family we carry
    expect(rib.hasPending('10.0.0.3')).toBe(false);
  });

  it('sends the initial dump on session up', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    rib.configurePeer(peer('10.0.0.3', 65002));
    expect(rib.hasPending('10.0.0.3')).toBe(false);
    rib.peerUp('10.0.0.3', { ...sessionV4('10.0.0.3') });
    expect(rib.hasPending('10.0.0.3')).toBe(true);
    const batches = rib.nextBatches('10.0.0.3', 1 << 20);
    expect(batches.map((b) => b.kind)).toEqual(['announce', 'end-of-rib', 'end-of-rib']);
    expect(rib.counts('10.0.0.3').advertised).toBe(1);
  });
});

function sessionV4(id: string): Parameters<ReturnType<typeof makeRib>['peerUp']>[1] {
  return {
    routerId: id,
    families: ['ipv4-unicast', 'ipv6-unicast'],
    ctx: { as4: true, extendedMessage: false, addPathRx: new Set(), addPathTx: new Set() },
    localAddress: '10.0.0.1',
    localV6: 'fd00:ffff::1',
    peerAddress: id,
    directlyConnected: true,
  };
}

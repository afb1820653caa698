/** ADD-PATH receive (RFC 7911): Adj-RIB-In keyed by (prefix, path id), every path a candidate, ECMP, withdraw by id. */
import { describe, expect, it } from 'vitest';
import type { PathAttrs, UpdateMsg } from '../../../src/codec/types.js';
import { splitUpdate } from '../../../src/rib/adj-rib-in.js';
import { addPeer, eor4, makeRib, peer } from './fixtures.js';

const P = '10.96.0.10/32';
const RR = '10.0.0.2';
const attrs = (nextHop: string, originatorId: string): PathAttrs => ({ origin: 0, asPath: [], nextHop, localPref: 100, originatorId, clusterList: ['10.0.0.2'] });
const announce = (ids: number[], a: PathAttrs, prefixes = ids.map(() => P)): UpdateMsg => ({ kind: 'update', withdrawn: [], attrs: a, nlri: prefixes, nlriPathIds: ids });
const withdraw = (ids: number[], prefixes = ids.map(() => P)): UpdateMsg => ({ kind: 'update', withdrawn: prefixes, withdrawnPathIds: ids, attrs: null, nlri: [] });

function reflectorClient(maxPaths = 8) {
  const rib = makeRib({ maxPaths });
  addPeer(rib, peer(RR, 65000));
  return rib;
}

describe('ADD-PATH receive', () => {
  it('keeps every path of one peer, shows each with its path id, and installs them as ECMP', () => {
    const rib = reflectorClient();
    rib.receive(RR, announce([1], attrs('192.168.1.11', '192.168.1.11')));
    rib.receive(RR, announce([2], attrs('192.168.1.12', '192.168.1.12')));
    expect(rib.decide()).toEqual([{ prefix: P, best: { local: false, nextHops: ['192.168.1.11', '192.168.1.12'] } }]);
    expect(rib.routes(P).map((v) => [v.from, v.pathId, v.nextHop, v.best, v.reason ?? null])).toEqual([
      [RR, 1, '192.168.1.11', true, null],
      [RR, 2, '192.168.1.12', false, 'router-id'],
    ]);
    expect(rib.counts(RR)).toMatchObject({ received: 2, accepted: 2 });
    expect(rib.routeStats(RR).preferred).toBe(1);
  });

  it('a withdraw names (prefix, path id): only that path goes, and its next hop leaves the ECMP set', () => {
    const rib = reflectorClient();
    rib.receive(RR, announce([1], attrs('192.168.1.11', '192.168.1.11')));
    rib.receive(RR, announce([2], attrs('192.168.1.12', '192.168.1.12')));
    rib.decide();
    rib.receive(RR, withdraw([1]));
    expect(rib.decide()).toEqual([{ prefix: P, best: { local: false, nextHops: ['192.168.1.12'] } }]);
    expect(rib.routes(P).map((v) => v.pathId)).toEqual([2]);
    // a withdraw of an unknown id changes nothing
    rib.receive(RR, withdraw([7]));
    expect(rib.decide()).toEqual([]);
    rib.receive(RR, withdraw([2]));
    expect(rib.decide()).toEqual([{ prefix: P, best: null }]);
  });

  it('an announce of a known (prefix, path id) replaces that path only', () => {
    const rib = reflectorClient();
    rib.receive(RR, announce([1, 2], attrs('192.168.1.11', '192.168.1.11')));
    rib.decide();
    rib.receive(RR, announce([2], attrs('192.168.1.13', '192.168.1.13')));
    expect(rib.decide()).toEqual([{ prefix: P, best: { local: false, nextHops: ['192.168.1.11', '192.168.1.13'] } }]);
    expect(rib.counts(RR).received).toBe(2);
  });

  it('respects multipath.maxPaths', () => {
    const rib = reflectorClient(2);
    for (const [id, nh] of [[1, '192.168.1.13'], [2, '192.168.1.11'], [3, '192.168.1.12']] as const) rib.receive(RR, announce([id], attrs(nh, nh)));
    const [c] = rib.decide();
    expect(c?.best?.nextHops).toEqual(['192.168.1.11', '192.168.1.12']);
  });

  it('the decision does not depend on arrival order of paths that tie (lower path id wins)', () => {
    const seen = new Set<string>();
    for (const order of [[5, 3, 9], [9, 5, 3], [3, 9, 5]]) {
      const rib = reflectorClient(1);
      for (const id of order) rib.receive(RR, announce([id], attrs('192.168.1.11', '192.168.1.11')));
      rib.decide();
      const views = rib.routes(P);
      seen.add(JSON.stringify(views.map((v) => [v.pathId, v.best, v.reason ?? null])));
    }
    expect([...seen]).toEqual([JSON.stringify([[3, true, null], [5, false, 'path-id'], [9, false, 'path-id']])]);
  });

  it('a session down removes every path of the peer; with graceful restart every path is kept stale and swept by End-of-RIB', () => {
    const rib = reflectorClient();
    rib.receive(RR, announce([1], attrs('192.168.1.11', '192.168.1.11')));
    rib.receive(RR, announce([2], attrs('192.168.1.12', '192.168.1.12')));
    rib.decide();
    rib.peerDown(RR, { keepStale: true });
    expect(rib.routes(P).map((v) => v.stale)).toEqual([true, true]);
    rib.peerUp(RR, { routerId: RR, families: ['ipv4-unicast'], ctx: { as4: true, extendedMessage: false, addPathRx: new Set(['1/1']), addPathTx: new Set() }, localAddress: '10.0.0.1', localV4: '10.0.0.1', peerAddress: RR, directlyConnected: true });
    rib.receive(RR, announce([2], attrs('192.168.1.12', '192.168.1.12')));
    rib.receive(RR, eor4);
    expect(rib.decide()).toEqual([{ prefix: P, best: { local: false, nextHops: ['192.168.1.12'] } }]);
    rib.peerDown(RR, { keepStale: false });
    expect(rib.decide()).toEqual([{ prefix: P, best: null }]);
    expect(rib.stats()).toMatchObject({ prefixes: 0, attrSets: 0 });
  });

  it('IPv6 paths in MP_REACH / MP_UNREACH carry their ids too', () => {
    const rib = reflectorClient();
    const Q = 'fd00:96::10/128';
    const mp = (nh: string, id: number): UpdateMsg => ({
      kind: 'update',
      withdrawn: [],
      attrs: { origin: 0, asPath: [], localPref: 100, mpReach: { afi: 2, safi: 1, nextHops: [nh], nlri: [Q], pathIds: [id] } },
      nlri: [],
    });
    rib.receive(RR, mp('fd00::11', 1));
    rib.receive(RR, mp('fd00::12', 2));
    expect(rib.decide()).toEqual([{ prefix: Q, best: { local: false, nextHops: ['fd00::11', 'fd00::12'] } }]);
    rib.receive(RR, { kind: 'update', withdrawn: [], attrs: { mpUnreach: { afi: 2, safi: 1, withdrawn: [Q], pathIds: [1] } }, nlri: [] });
    expect(rib.decide()).toEqual([{ prefix: Q, best: { local: false, nextHops: ['fd00::12'] } }]);
  });

  it('treat-as-withdraw (RFC 7606) withdraws the (prefix, path id) entries of the UPDATE', () => {
    const rib = reflectorClient();
    rib.receive(RR, announce([1], attrs('192.168.1.11', '192.168.1.11')));
    rib.receive(RR, announce([2], attrs('192.168.1.12', '192.168.1.12')));
    rib.decide();
    rib.receive(RR, { ...announce([2], attrs('192.168.1.12', '192.168.1.12')), treatAsWithdraw: true });
    expect(rib.decide()).toEqual([{ prefix: P, best: { local: false, nextHops: ['192.168.1.11'] } }]);
  });
});

describe('splitUpdate with path ids', () => {
  it('keeps ids parallel to the prefixes of every part, 0 where a part has none', () => {
    const u: UpdateMsg = {
      kind: 'update',
      withdrawn: ['10.0.0.0/8'],
      withdrawnPathIds: [4],
      attrs: { origin: 0, asPath: [], nextHop: '10.0.0.1', mpUnreach: { afi: 2, safi: 1, withdrawn: ['fd00::/8'] }, mpReach: { afi: 2, safi: 1, nextHops: ['fd00::1'], nlri: ['fd01::/16'], pathIds: [6] } },
      nlri: ['11.0.0.0/8'],
      nlriPathIds: [5],
    };
    const parts = splitUpdate(u);
    expect(parts.withdrawn).toEqual(['10.0.0.0/8', 'fd00::/8']);
    expect(parts.withdrawnIds).toEqual([4, 0]);
    expect(parts.announced.map((a) => [a.prefixes, a.pathIds])).toEqual([
      [['11.0.0.0/8'], [5]],
      [['fd01::/16'], [6]],
    ]);
    expect(splitUpdate({ ...u, treatAsWithdraw: true }).withdrawnIds).toEqual([4, 0, 5, 6]);
  });
  it('without ids, no id lists at all', () => {
    const parts = splitUpdate({ kind: 'update', withdrawn: ['10.0.0.0/8'], attrs: { origin: 0, asPath: [], nextHop: '10.0.0.1', mpUnreach: { afi: 2, safi: 1, withdrawn: ['fd00::/8'] } }, nlri: ['11.0.0.0/8'] });
    expect(parts.withdrawnIds).toBeUndefined();
    expect(parts.announced[0]?.pathIds).toBeUndefined();
  });
});

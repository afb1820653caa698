/**
 * The daemon's sessions decode IPv4 NLRI to numbers (codec ctx.ipv4PrefixNumbers): the RIB must treat
 * a prefix the same whichever form it came in.
 */
import { describe, expect, it } from 'vitest';
import { parsePrefix4 } from '../../../src/codec/nlri.js';
import type { UpdateMsg } from '../../../src/codec/types.js';
import { addPeer, announce4, makeRib, peer, seq, withdraw4 } from './fixtures.js';

const asNumbers = (u: UpdateMsg): UpdateMsg => ({ ...u, nlri: u.nlri.map((p) => parsePrefix4(p as string)), withdrawn: u.withdrawn.map((p) => parsePrefix4(p as string)) });

describe('Rib: IPv4 prefixes received as numbers', () => {
  it('a prefix announced as a number and one announced as text are the same destination', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65002));
    rib.receive('10.0.0.2', asNumbers(announce4(['10.1.0.0/24', '0.0.0.0/1', '192.0.2.1/32'], { nextHop: '10.0.0.2', asPath: seq(65001) })));
    rib.receive('10.0.0.3', announce4(['10.1.0.0/24', '192.0.2.1/32'], { nextHop: '10.0.0.3', asPath: seq(65002, 65009) }));
    expect(rib.decide().map((c) => c.prefix).sort()).toEqual(['0.0.0.0/1', '10.1.0.0/24', '192.0.2.1/32']);
    expect(rib.routes('10.1.0.0/24').map((v) => [v.from, v.best])).toEqual([
      ['10.0.0.2', true],
      ['10.0.0.3', false],
    ]);
    expect(rib.routes('192.0.2.1/32')).toHaveLength(2);
    expect(rib.tableCounts()['ipv4-unicast']).toEqual({ destinations: 3, paths: 5 });
  });

  it('a withdrawal as a number removes a route announced as text, and the reverse', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    rib.receive('10.0.0.2', announce4(['10.1.0.0/24'], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.receive('10.0.0.2', asNumbers(announce4(['10.2.0.0/16'], { nextHop: '10.0.0.2', asPath: seq(65001) })));
    rib.decide();
    rib.receive('10.0.0.2', asNumbers(withdraw4(['10.1.0.0/24'])));
    rib.receive('10.0.0.2', withdraw4(['10.2.0.0/16']));
    expect(rib.decide().map((c) => [c.prefix, c.best])).toEqual(
      expect.arrayContaining([
        ['10.1.0.0/24', null],
        ['10.2.0.0/16', null],
      ]),
    );
    expect(rib.routes()).toEqual([]);
    expect(rib.counts('10.0.0.2')).toMatchObject({ received: 0 });
  });

  it('the default route and the prefix list apply to numbers as to text', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001, { importPrefixes: [{ prefix: '172.16.0.0/16', ge: 24, le: 24 }] }));
    const r = rib.receive('10.0.0.2', asNumbers(announce4(['172.16.1.0/24', '172.16.0.0/16', '0.0.0.0/0'], { nextHop: '10.0.0.2', asPath: seq(65001) })));
    expect(r).toMatchObject({ accepted: 1, rejected: 2 });
    expect(rib.routes().map((v) => [v.prefix, v.reason ?? null])).toEqual([
      ['0.0.0.0/0', 'filtered'],
      ['172.16.0.0/16', 'filtered'],
      ['172.16.1.0/24', null],
    ]);
    const closed = makeRib();
    addPeer(closed, peer('10.0.0.2', 65001));
    expect(closed.receive('10.0.0.2', asNumbers(announce4(['0.0.0.0/0', '10.0.0.0/8'], { nextHop: '10.0.0.2', asPath: seq(65001) })))).toMatchObject({ accepted: 1, rejected: 1 });
    expect(closed.routes('0.0.0.0/0')[0]).toMatchObject({ reason: 'filtered' });
    const open = makeRib();
    addPeer(open, peer('10.0.0.2', 65001, { acceptDefaultRoute: true }));
    expect(open.receive('10.0.0.2', asNumbers(announce4(['0.0.0.0/0'], { nextHop: '10.0.0.2', asPath: seq(65001) })))).toMatchObject({ accepted: 1, rejected: 0 });
  });
});

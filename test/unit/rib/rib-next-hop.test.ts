/**
 * Next-hop sanity (RFC 4271 6.3, RFC 7606 7.3 / 7.11): a route whose next hop can never be used is
 * refused on import ('next-hop-invalid', 'next-hop-link-local'), which withdraws the peer's previous
 * route for the prefix, keeps it out of the decision and the kernel, shows it in routes() with why,
 * and logs one line per peer and address.
 */
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { UpdateMsg } from '../../../src/codec/types.js';
import { Route, type RouteSource } from '../../../src/rib/adj-rib-in.js';
import type { AttrSet } from '../../../src/rib/attrs-store.js';
import { judgedNextHop, nextHopClass, nextHopVerdict } from '../../../src/rib/next-hop.js';
import type { RejectReason } from '../../../src/rib/types.js';
import type { Logger } from '../../../src/util/log.js';
import { addPeer, announce4, announce6, makeRib, peer, seq, withdraw6 } from './fixtures.js';

const P4 = '172.16.1.0/24';
const P6 = 'fd00:172:16:1::/64';

function capturingLogger(): { log: Logger; warns: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino<never>({ level: 'info' }, stream), warns: () => lines.filter((l) => l['level'] === 40) };
}

const v4 = (nextHop: string, prefixes = [P4]): UpdateMsg => announce4(prefixes, { nextHop, asPath: seq(65001) });
const v6 = (nextHops: string[], prefixes = [P6]): UpdateMsg => announce6(prefixes, nextHops, { asPath: seq(65001) });

describe('nextHopClass', () => {
  it.each([
    ['0.0.0.0', 'this-network'],
    ['0.1.2.3', 'this-network'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['254.255.255.255', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:a00:1', 'ipv4-mapped'],
    ['::ffff:10.0.0.1', 'ipv4-mapped'],
    ['::a00:1', 'ipv4-compatible'],
    ['ff02::1', 'multicast'],
    ['ff0e::101', 'multicast'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
  ])('%s is %s', (address, c) => {
    expect(nextHopClass(address)).toBe(c);
  });

  it.each(['10.0.0.2', '1.0.0.1', '126.255.255.255', '128.0.0.1', '169.254.1.1', '223.255.255.255', '192.0.2.1', '2001:db8::1', 'fd00::1', '::1:0:0:1', 'fec0::1', '::fffe:a00:1', '64:ff9b::a00:1'])(
    '%s is an ordinary unicast address',
    (address) => {
      expect(nextHopClass(address)).toBeNull();
    },
  );

  it('refuses link-local only without an interface, and a loopback address only when the peer is not that address', () => {
    expect(nextHopVerdict('fe80::2', { directlyConnected: true, peerAddress: '10.0.0.2' })).toBeNull();
    expect(nextHopVerdict('fe80::2', { directlyConnected: false, peerAddress: '10.0.0.2' })).toEqual({ reason: 'next-hop-link-local', nextHop: 'fe80::2', class: 'link-local' });
    expect(nextHopVerdict('127.0.0.2', { directlyConnected: true, peerAddress: '127.0.0.2' })).toBeNull();
    expect(nextHopVerdict('127.0.0.3', { directlyConnected: true, peerAddress: '127.0.0.2' })?.reason).toBe('next-hop-invalid');
    expect(nextHopVerdict('::1', { directlyConnected: true, peerAddress: '10.0.0.2' })).toEqual({ reason: 'next-hop-invalid', nextHop: '::1', class: 'loopback' });
  });

  it('judges the next hop that would be used (RFC 2545 3: a "::" or link-local global with a link-local second)', () => {
    const mp = (nextHops: string[]) => ({ mpReach: { afi: 2, safi: 1, nextHops, nlri: [] } });
    expect(judgedNextHop(mp(['::', 'fe80::2']))).toBe('fe80::2');
    expect(judgedNextHop(mp(['fe80::3', 'fe80::2']))).toBe('fe80::2');
    expect(judgedNextHop(mp(['2001:db8::2', 'fe80::2']))).toBe('2001:db8::2');
    expect(judgedNextHop(mp(['::']))).toBe('::');
    expect(judgedNextHop(mp(['::1', 'fe80::2']))).toBe('::1');
    expect(judgedNextHop({ nextHop: '127.0.0.1' })).toBe('127.0.0.1');
    expect(judgedNextHop({})).toBeNull();
  });
});

describe('Rib: refused next hops', () => {
  it.each([
    ['NEXT_HOP 127.0.0.1', v4('127.0.0.1'), P4, '127.0.0.1 is a loopback address'],
    ['NEXT_HOP 127.1.2.3', v4('127.1.2.3'), P4, '127.1.2.3 is a loopback address'],
    ['NEXT_HOP 0.0.0.0', v4('0.0.0.0'), P4, '0.0.0.0 is in 0.0.0.0/8 (this network)'],
    ['NEXT_HOP 0.1.2.3', v4('0.1.2.3'), P4, '0.1.2.3 is in 0.0.0.0/8 (this network)'],
    ['NEXT_HOP 224.0.0.1', v4('224.0.0.1'), P4, '224.0.0.1 is a multicast address'],
    ['NEXT_HOP 240.0.0.1', v4('240.0.0.1'), P4, '240.0.0.1 is in 240.0.0.0/4 (reserved)'],
    ['NEXT_HOP 255.255.255.255', v4('255.255.255.255'), P4, '255.255.255.255 is the limited broadcast address'],
    ['MP_REACH ::1', v6(['::1']), P6, '::1 is a loopback address'],
    ['MP_REACH ::1 + link-local', v6(['::1', 'fe80::2']), P6, '::1 is a loopback address'],
    ['MP_REACH ::', v6(['::']), P6, ':: is the unspecified address'],
    ['MP_REACH ::ffff:10.0.0.1', v6(['::ffff:a00:1']), P6, '::ffff:a00:1 is an IPv4-mapped IPv6 address'],
    ['MP_REACH ::10.0.0.1', v6(['::a00:1']), P6, '::a00:1 is an IPv4-compatible IPv6 address (deprecated)'],
    ['MP_REACH ff02::1', v6(['ff02::1']), P6, 'ff02::1 is a multicast address'],
    ['IPv4 route with an IPv6 next hop ::1 (RFC 8950)', { kind: 'update', withdrawn: [], attrs: { origin: 0, asPath: seq(65001), mpReach: { afi: 1, safi: 1, nextHops: ['::1'], nlri: [P4] } }, nlri: [] } as UpdateMsg, P4, '::1 is a loopback address'],
  ])('refuses %s as next-hop-invalid: kept, shown with why, not a candidate', (_name, u, prefix, detail) => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    expect(rib.receive('10.0.0.2', u)).toMatchObject({ accepted: 0, rejected: 1 });
    expect(rib.decide()).toEqual([]);
    expect(rib.routes()).toEqual([expect.objectContaining({ prefix, best: false, refused: true, reason: 'next-hop-invalid', detail, from: '10.0.0.2' })]);
    expect(rib.counts('10.0.0.2')).toEqual({ received: 1, accepted: 0, advertised: 0 });
    expect(rib.bestNextHops().size).toBe(0);
  });

  it('refuses a link-local-only next hop from a session that is not directly connected (multihop)', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001), { directlyConnected: false });
    for (const hops of [['fe80::2'], ['::', 'fe80::2']]) {
      rib.receive('10.0.0.2', v6(hops));
      expect(rib.decide()).toEqual([]);
      expect(rib.routes(P6)[0]).toMatchObject({
        nextHop: 'fe80::2',
        refused: true,
        reason: 'next-hop-link-local',
        detail: 'fe80::2 is link-local, and the session has no interface (not directly connected)',
      });
    }
    // A global next hop with a link-local second one is used by its global address: fine.
    rib.receive('10.0.0.2', v6(['2001:db8::2', 'fe80::2']));
    expect(rib.decide()).toEqual([{ prefix: P6, best: { local: false, nextHops: ['2001:db8::2'] } }]);
  });

  it.each([
    ['a global IPv6 next hop', ['2001:db8::2'], '2001:db8::2'],
    ['a global + link-local pair (the global is used)', ['2001:db8::2', 'fe80::2'], '2001:db8::2'],
    ['a link-local-only next hop on a directly connected session', ['fe80::2'], 'fe80::2'],
    ['"::" with a link-local second next hop (RFC 2545 3)', ['::', 'fe80::2'], 'fe80::2'],
    ['a ULA next hop', ['fd00:10::2'], 'fd00:10::2'],
  ])('accepts %s', (_name, hops, used) => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    expect(rib.receive('10.0.0.2', v6(hops))).toMatchObject({ accepted: 1, rejected: 0 });
    expect(rib.decide()).toEqual([{ prefix: P6, best: { local: false, nextHops: [used] } }]);
    const shown = rib.routes(P6)[0];
    expect(shown).toMatchObject({ best: true, nextHop: used });
    expect(shown?.refused).toBeUndefined();
    expect(shown?.detail).toBeUndefined();
  });

  it.each(['10.0.0.2', '192.0.2.1', '169.254.0.2'])('accepts NEXT_HOP %s', (nh) => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    expect(rib.receive('10.0.0.2', v4(nh))).toMatchObject({ accepted: 1 });
    expect(rib.decide()).toEqual([{ prefix: P4, best: { local: false, nextHops: [nh] } }]);
  });

  it("acts as treat-as-withdraw: the peer's previous route for the prefix goes, another peer's takes over", () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65002));
    rib.receive('10.0.0.2', v6(['fd00:10::2']));
    rib.receive('10.0.0.3', announce6([P6], ['fd00:10::3'], { asPath: seq(65002, 65009) }));
    expect(rib.decide()).toEqual([{ prefix: P6, best: { local: false, nextHops: ['fd00:10::2'] } }]); // shorter path
    // The same peer now announces the prefix with ::1: its old route must not stay in use.
    expect(rib.receive('10.0.0.2', v6(['::1']))).toMatchObject({ accepted: 0, rejected: 1 });
    expect(rib.decide()).toEqual([{ prefix: P6, best: { local: false, nextHops: ['fd00:10::3'] } }]);
    expect(rib.routes(P6).map((r) => [r.from, r.best, r.refused ?? false, r.reason ?? null])).toEqual([
      ['10.0.0.3', true, false, null],
      ['10.0.0.2', false, true, 'next-hop-invalid'],
    ]);
    expect(rib.counts('10.0.0.2')).toMatchObject({ received: 1, accepted: 0 });
    // Alone, the prefix has no best route at all.
    rib.receive('10.0.0.3', withdraw6([P6]));
    expect(rib.decide()).toEqual([{ prefix: P6, best: null }]);
    // Fixed by the peer: accepted again, counted again.
    expect(rib.receive('10.0.0.2', v6(['fd00:10::2']))).toMatchObject({ accepted: 1 });
    expect(rib.decide()).toEqual([{ prefix: P6, best: { local: false, nextHops: ['fd00:10::2'] } }]);
    expect(rib.counts('10.0.0.2')).toMatchObject({ received: 1, accepted: 1 });
  });

  it('is never exported to other peers', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65002));
    rib.receive('10.0.0.2', v4('127.0.0.1'));
    rib.decide();
    expect(rib.nextBatches('10.0.0.3', Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it('judges each part of an UPDATE on its own next hop (IPv4 NLRI accepted, MP_REACH ::1 refused)', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    const u: UpdateMsg = { kind: 'update', withdrawn: [], attrs: { origin: 0, asPath: seq(65001), nextHop: '10.0.0.2', mpReach: { afi: 2, safi: 1, nextHops: ['::1'], nlri: [P6] } }, nlri: [P4] };
    expect(rib.receive('10.0.0.2', u)).toMatchObject({ accepted: 1, rejected: 1 });
    expect(rib.decide()).toEqual([{ prefix: P4, best: { local: false, nextHops: ['10.0.0.2'] } }]);
    expect(rib.counts('10.0.0.2')).toEqual({ received: 2, accepted: 1, advertised: 0 });
  });

  it('accepts the peer\'s own loopback address on a session that runs over loopback (both speakers on this host)', () => {
    const rib = makeRib();
    addPeer(rib, peer('127.0.0.2', 65001), { localAddress: '127.0.0.1', localV4: '127.0.0.1' });
    expect(rib.receive('127.0.0.2', v4('127.0.0.2'))).toMatchObject({ accepted: 1 });
    expect(rib.receive('127.0.0.2', v4('127.0.0.3', ['172.16.2.0/24']))).toMatchObject({ rejected: 1 });
  });

  it('logs once per peer and offending address, with stable fields; again on a new session', () => {
    const { log, warns } = capturingLogger();
    const rib = makeRib({ log });
    addPeer(rib, peer('10.0.0.2', 65001));
    addPeer(rib, peer('10.0.0.3', 65002));
    const many = (n: number, k: number): string[] => Array.from({ length: n }, (_, i) => `fd00:${k}:${i}::/64`);
    for (let k = 0; k < 5; k++) rib.receive('10.0.0.2', v6(['::1'], many(10, k)));
    rib.receive('10.0.0.2', v6(['::1', 'fe80::2'], many(3, 9)));
    expect(warns()).toEqual([
      expect.objectContaining({ msg: 'next hop cannot be used: routes refused (kept in Adj-RIB-In, not selected)', peer: '10.0.0.2', nextHop: '::1', reason: 'next-hop-invalid', class: 'loopback' }),
    ]);
    rib.receive('10.0.0.2', v4('127.0.0.1'));
    rib.receive('10.0.0.3', v6(['::1']));
    expect(warns().map((w) => [w['peer'], w['nextHop']])).toEqual([
      ['10.0.0.2', '::1'],
      ['10.0.0.2', '127.0.0.1'],
      ['10.0.0.3', '::1'],
    ]);
    // Re-import (a configuration change) does not log again.
    rib.configurePeer(peer('10.0.0.2', 65001, { acceptDefaultRoute: true }));
    expect(warns()).toHaveLength(3);
    expect(rib.counts('10.0.0.2')).toEqual({ received: 54, accepted: 0, advertised: 0 });
    // A new session logs again.
    rib.peerDown('10.0.0.2', { keepStale: false });
    addPeer(rib, peer('10.0.0.2', 65001));
    rib.receive('10.0.0.2', v6(['::1']));
    expect(warns()).toHaveLength(4);
  });

  it('bounds the addresses logged per session', () => {
    const { log, warns } = capturingLogger();
    const rib = makeRib({ log });
    addPeer(rib, peer('10.0.0.2', 65001));
    for (let i = 1; i <= 100; i++) rib.receive('10.0.0.2', v4(`127.0.0.${i}`, [`10.1.${i}.0/24`]));
    expect(warns()).toHaveLength(65);
    expect(warns()[64]).toMatchObject({ msg: 'more refused next hops from this peer; not logged', peer: '10.0.0.2', logged: 64 });
    expect(rib.counts('10.0.0.2')).toMatchObject({ received: 100, accepted: 0 });
  });
});

describe('Route packing', () => {
  const REASONS: RejectReason[] = ['as-loop', 'reflection-loop', 'next-hop-self-loop', 'no-next-hop', 'next-hop-invalid', 'next-hop-link-local', 'filtered', 'policy'];
  const source: RouteSource = { id: '10.0.0.2', key: '', role: 'ebgp', ebgp: true, localAs: 65000, routerId: '10.0.0.2', routerIdNum: 0, preferred: 0 };

  it.each(REASONS)('keeps %s apart from the stale marks and the decision reason', (reason) => {
    const r = new Route(source, {} as unknown as AttrSet, null);
    r.stale = true;
    r.lostBy = 'peer-addr';
    r.reason = reason;
    r.refreshOnly = true;
    expect([r.reason, r.stale, r.refreshOnly, r.lostBy]).toEqual([reason, true, true, 'peer-addr']);
    r.reason = null;
    r.stale = false;
    expect([r.reason, r.stale, r.refreshOnly, r.lostBy]).toEqual([null, false, true, 'peer-addr']);
  });
});

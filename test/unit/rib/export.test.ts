import { describe, expect, it } from 'vitest';
import { WellKnownCommunity } from '../../../src/codec/constants.js';
import type { PathAttrs } from '../../../src/codec/types.js';
import { exportAttrs, prependAs, type ExportSource, type ExportTarget } from '../../../src/rib/export.js';
import { isReflectionLoop, mayAdvertise, stampReflected } from '../../../src/rib/reflect.js';
import type { PeerRole, SourceRole } from '../../../src/rib/types.js';
import { session } from './fixtures.js';

const CLUSTER = '10.255.0.9';

const src = (id: string, role: SourceRole, routerId = id): ExportSource => ({ id, role, routerId });
const dst = (id: string, role: PeerRole, extra: Partial<ExportTarget> = {}): ExportTarget => ({
  id,
  role,
  localAs: 65000,
  nextHopSelf: false,
  session: session(id, { localV4: '10.0.0.1' }),
  ...extra,
});

const fromEbgp: PathAttrs = { origin: 0, asPath: [{ type: 'sequence', asns: [65001] }], nextHop: '192.0.2.1', med: 50, localPref: 100 };
const fromIbgp: PathAttrs = { origin: 0, asPath: [{ type: 'sequence', asns: [65001] }], nextHop: '10.1.1.1', med: 7, localPref: 200 };
const local: PathAttrs = { origin: 0, asPath: [], localPref: 100 };
const v6: PathAttrs = { origin: 0, asPath: [], localPref: 100, mpReach: { afi: 2, safi: 1, nextHops: ['fd00:1::5', 'fe80::5'], nlri: [] } };

describe('split horizon and reflection', () => {
  it('never sends a route back to the peer it came from', () => {
    expect(exportAttrs(fromEbgp, 'ipv4-unicast', src('10.0.0.2', 'ebgp'), dst('10.0.0.2', 'ebgp'), CLUSTER)).toBeNull();
    expect(exportAttrs(fromIbgp, 'ipv4-unicast', src('10.0.0.3', 'rr-client'), dst('10.0.0.3', 'rr-client'), CLUSTER)).toBeNull();
  });

  it.each([
    // from, to, sent?
    ['rr-client', 'rr-client', true],
    ['rr-client', 'ibgp', true],
    ['rr-client', 'ebgp', true],
    ['ibgp', 'rr-client', true],
    ['ibgp', 'ibgp', false],
    ['ibgp', 'ebgp', true],
    ['ebgp', 'rr-client', true],
    ['ebgp', 'ibgp', true],
    ['ebgp', 'ebgp', true],
    ['local', 'rr-client', true],
    ['local', 'ibgp', true],
    ['local', 'ebgp', true],
  ] as const)('a route from %s goes to %s: %s', (from, to, expected) => {
    expect(mayAdvertise(from, to)).toBe(expected);
    const a = exportAttrs(fromIbgp, 'ipv4-unicast', src('10.0.0.7', from), dst('10.0.0.8', to), CLUSTER);
    expect(a !== null).toBe(expected);
  });

  it('stamps ORIGINATOR_ID (the source router id) and prepends our cluster id when reflecting', () => {
    const a = exportAttrs(fromIbgp, 'ipv4-unicast', src('10.0.0.7', 'rr-client', '7.7.7.7'), dst('10.0.0.8', 'ibgp'), CLUSTER);
    expect(a).toMatchObject({ originatorId: '7.7.7.7', clusterList: [CLUSTER], nextHop: '10.1.1.1', localPref: 200, med: 7 });
  });

  it('keeps an existing ORIGINATOR_ID and prepends to an existing CLUSTER_LIST', () => {
    const a = exportAttrs(
      { ...fromIbgp, originatorId: '3.3.3.3', clusterList: ['9.9.9.9'] },
      'ipv4-unicast',
      src('10.0.0.7', 'ibgp', '7.7.7.7'),
      dst('10.0.0.8', 'rr-client'),
      CLUSTER,
    );
    expect(a).toMatchObject({ originatorId: '3.3.3.3', clusterList: [CLUSTER, '9.9.9.9'] });
  });

  it('does not reflect a route to the router that originated it into the AS', () => {
    const target = dst('10.0.0.8', 'rr-client', { session: session('10.0.0.8', { routerId: '3.3.3.3' }) });
    expect(exportAttrs({ ...fromIbgp, originatorId: '3.3.3.3' }, 'ipv4-unicast', src('10.0.0.7', 'rr-client'), target, CLUSTER)).toBeNull();
  });

  it('does not stamp reflection attributes on eBGP-learned or local routes sent to iBGP', () => {
    const a = exportAttrs(fromEbgp, 'ipv4-unicast', src('10.0.0.2', 'ebgp'), dst('10.0.0.8', 'rr-client'), CLUSTER);
    expect(a?.originatorId).toBeUndefined();
    expect(a?.clusterList).toBeUndefined();
  });

  it('recognizes reflection loops by ORIGINATOR_ID and CLUSTER_LIST', () => {
    expect(isReflectionLoop({ originatorId: '1.1.1.1' }, '1.1.1.1', '9.9.9.9')).toBe(true);
    expect(isReflectionLoop({ clusterList: ['2.2.2.2', '9.9.9.9'] }, '1.1.1.1', '9.9.9.9')).toBe(true);
    expect(isReflectionLoop({ originatorId: '3.3.3.3', clusterList: ['2.2.2.2'] }, '1.1.1.1', '9.9.9.9')).toBe(false);
    expect(stampReflected({}, '5.5.5.5', '9.9.9.9')).toEqual({ originatorId: '5.5.5.5', clusterList: ['9.9.9.9'] });
  });
});

describe('well-known communities (RFC 1997)', () => {
  const withC = (c: number): PathAttrs => ({ ...fromEbgp, communities: [c] });

  it('NO_ADVERTISE goes to nobody', () => {
    for (const role of ['ebgp', 'ibgp', 'rr-client'] as const) {
      expect(exportAttrs(withC(WellKnownCommunity.NO_ADVERTISE), 'ipv4-unicast', src('10.0.0.2', 'ebgp'), dst('10.0.0.8', role), CLUSTER)).toBeNull();
    }
  });

  it.each([
    ['NO_EXPORT', WellKnownCommunity.NO_EXPORT],
    ['NO_EXPORT_SUBCONFED', WellKnownCommunity.NO_EXPORT_SUBCONFED],
  ])('%s goes to iBGP peers but no eBGP peer', (_name, c) => {
    expect(exportAttrs(withC(c), 'ipv4-unicast', src('10.0.0.2', 'ebgp'), dst('10.0.0.8', 'ebgp'), CLUSTER)).toBeNull();
    expect(exportAttrs(withC(c), 'ipv4-unicast', src('10.0.0.2', 'ebgp'), dst('10.0.0.8', 'ibgp'), CLUSTER)).not.toBeNull();
  });
});

describe('towards eBGP', () => {
  it('prepends our AS, sets next hop self, drops LOCAL_PREF and a learned MED', () => {
    const a = exportAttrs(fromEbgp, 'ipv4-unicast', src('10.0.0.2', 'ebgp'), dst('10.0.0.8', 'ebgp', { localAs: 64999 }), CLUSTER);
    expect(a).toEqual({ origin: 0, asPath: [{ type: 'sequence', asns: [64999, 65001] }], nextHop: '10.0.0.1' });
  });

  it('drops a MED learned over iBGP too, and ORIGINATOR_ID / CLUSTER_LIST', () => {
    const a = exportAttrs({ ...fromIbgp, originatorId: '1.1.1.1', clusterList: ['2.2.2.2'] }, 'ipv4-unicast', src('10.0.0.7', 'ibgp'), dst('10.0.0.8', 'ebgp'), CLUSTER);
    expect(a).toEqual({ origin: 0, asPath: [{ type: 'sequence', asns: [65000, 65001] }], nextHop: '10.0.0.1' });
  });

  it('keeps the MED of our own routes', () => {
    const a = exportAttrs({ ...local, med: 5 }, 'ipv4-unicast', src('local', 'local'), dst('10.0.0.8', 'ebgp'), CLUSTER);
    expect(a).toEqual({ origin: 0, asPath: [{ type: 'sequence', asns: [65000] }], nextHop: '10.0.0.1', med: 5 });
  });

  it('sends IPv6 with our global and link-local next hops when directly connected', () => {
    const a = exportAttrs(v6, 'ipv6-unicast', src('10.0.0.2', 'ebgp'), dst('10.0.0.8', 'ebgp'), CLUSTER);
    expect(a?.mpReach).toEqual({ afi: 2, safi: 1, nextHops: ['fd00:ffff::1', 'fe80::1'], nlri: [] });
    const multihop = dst('10.0.0.8', 'ebgp', { session: session('10.0.0.8', { directlyConnected: false }) });
    expect(exportAttrs(v6, 'ipv6-unicast', src('10.0.0.2', 'ebgp'), multihop, CLUSTER)?.mpReach?.nextHops).toEqual(['fd00:ffff::1']);
  });

  it('does not send a family without our address of that family on the session', () => {
    const { localV6: _a, ...rest } = session('10.0.0.8');
    const noV6 = dst('10.0.0.8', 'ebgp', { session: rest });
    expect(exportAttrs(v6, 'ipv6-unicast', src('10.0.0.2', 'ebgp'), noV6, CLUSTER)).toBeNull();
  });

  it('does not send a family the session did not negotiate', () => {
    const v4only = dst('10.0.0.8', 'ebgp', { session: session('10.0.0.8', { families: ['ipv4-unicast'] }) });
    expect(exportAttrs(v6, 'ipv6-unicast', src('10.0.0.2', 'ebgp'), v4only, CLUSTER)).toBeNull();
  });

  it('prepends into a leading sequence, or a new sequence before a set or a full sequence', () => {
    expect(prependAs([{ type: 'set', asns: [1, 2] }], 9)).toEqual([{ type: 'sequence', asns: [9] }, { type: 'set', asns: [1, 2] }]);
    const full = Array.from({ length: 255 }, (_, i) => i + 1);
    expect(prependAs([{ type: 'sequence', asns: full }], 9)[0]).toEqual({ type: 'sequence', asns: [9] });
    expect(prependAs([], 9)).toEqual([{ type: 'sequence', asns: [9] }]);
  });
});

describe('towards iBGP', () => {
  it('keeps the next hop of an eBGP route and adds LOCAL_PREF', () => {
    const { localPref: _lp, ...noLp } = fromEbgp;
    const a = exportAttrs(noLp, 'ipv4-unicast', src('10.0.0.2', 'ebgp'), dst('10.0.0.8', 'ibgp'), CLUSTER);
    expect(a).toMatchObject({ nextHop: '192.0.2.1', localPref: 100, med: 50, asPath: [{ type: 'sequence', asns: [65001] }] });
  });

  it('uses our address with nextHopSelf', () => {
    const a = exportAttrs(fromEbgp, 'ipv4-unicast', src('10.0.0.2', 'ebgp'), dst('10.0.0.8', 'ibgp', { nextHopSelf: true }), CLUSTER);
    expect(a?.nextHop).toBe('10.0.0.1');
  });

  it('leaves the next hop of a reflected route alone even with nextHopSelf', () => {
    const a = exportAttrs(fromIbgp, 'ipv4-unicast', src('10.0.0.7', 'rr-client'), dst('10.0.0.8', 'rr-client', { nextHopSelf: true }), CLUSTER);
    expect(a?.nextHop).toBe('10.1.1.1');
  });

  it('sends our own routes with an empty AS path, ORIGIN IGP, next hop self and LOCAL_PREF', () => {
    const a = exportAttrs({ ...local, communities: [0xfde80001] }, 'ipv4-unicast', src('local', 'local'), dst('10.0.0.8', 'ibgp'), CLUSTER);
    expect(a).toEqual({ origin: 0, asPath: [], localPref: 100, nextHop: '10.0.0.1', communities: [0xfde80001] });
  });

  it('passes an IPv6 global next hop on unchanged but not the link-local one', () => {
    const a = exportAttrs(v6, 'ipv6-unicast', src('10.0.0.2', 'ebgp'), dst('10.0.0.8', 'ibgp'), CLUSTER);
    expect(a?.mpReach?.nextHops).toEqual(['fd00:1::5']);
  });

  it('uses our own next hop when the route only has a link-local one', () => {
    const llOnly: PathAttrs = { ...v6, mpReach: { afi: 2, safi: 1, nextHops: ['::', 'fe80::5'], nlri: [] } };
    const a = exportAttrs(llOnly, 'ipv6-unicast', src('10.0.0.2', 'ebgp'), dst('10.0.0.8', 'ibgp'), CLUSTER);
    expect(a?.mpReach?.nextHops).toEqual(['fd00:ffff::1', 'fe80::1']);
  });
});

describe('export communities', () => {
  it('adds the peer communities and large communities without duplicates', () => {
    const target = dst('10.0.0.8', 'ebgp', {
      exportCommunities: [0xfde80001, 0xfde80002],
      exportLargeCommunities: [{ global: 65000, local1: 1, local2: 2 }],
    });
    const a = exportAttrs({ ...fromEbgp, communities: [0xfde80001] }, 'ipv4-unicast', src('10.0.0.2', 'ebgp'), target, CLUSTER);
    expect(a?.communities).toEqual([0xfde80001, 0xfde80002]);
    expect(a?.largeCommunities).toEqual([{ global: 65000, local1: 1, local2: 2 }]);
  });
});

describe('RFC 8950 extended next hop', () => {
  const v6session = (extended: boolean) => session('fd00::9', { localAddress: 'fd00:ffff::1', extendedNextHopV4: extended });
  it('sends IPv4 routes with our IPv6 next hop in MP_REACH (AFI 1) on an IPv6 session that negotiated it', () => {
    const out = exportAttrs(local, 'ipv4-unicast', src('local', 'local', '10.0.0.1'), dst('fd00::9', 'ebgp', { session: v6session(true) }), CLUSTER);
    expect(out?.nextHop).toBeUndefined();
    expect(out?.mpReach).toEqual({ afi: 1, safi: 1, nextHops: ['fd00:ffff::1', 'fe80::1'], nlri: [] });
  });
  it('keeps the classic IPv4 NEXT_HOP when it was not negotiated', () => {
    const out = exportAttrs(local, 'ipv4-unicast', src('local', 'local', '10.0.0.1'), dst('fd00::9', 'ebgp', { session: v6session(false) }), CLUSTER);
    expect(out?.nextHop).toBe('10.0.0.1');
    expect(out?.mpReach).toBeUndefined();
  });
  it('passes an IPv6 next hop of an IPv4 route unchanged to an iBGP peer that can take it, else uses ours', () => {
    const learned: PathAttrs = { origin: 0, asPath: [{ type: 'sequence', asns: [65001] }], localPref: 100, mpReach: { afi: 1, safi: 1, nextHops: ['fd00:7::1'], nlri: [] } };
    const can = exportAttrs(learned, 'ipv4-unicast', src('fd00::7', 'ebgp'), dst('fd00::9', 'ibgp', { session: v6session(true) }), CLUSTER);
    expect(can?.mpReach?.nextHops).toEqual(['fd00:7::1']);
    const cannot = exportAttrs(learned, 'ipv4-unicast', src('fd00::7', 'ebgp'), dst('10.0.0.9', 'ibgp'), CLUSTER);
    expect(cannot?.nextHop).toBe('10.0.0.1');
  });
});

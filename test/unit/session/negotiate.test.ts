import { describe, expect, it } from 'vitest';
import { BgpError } from '../../../src/codec/errors.js';
import type { Capability, OpenMsg } from '../../../src/codec/types.js';
import { collisionWinner } from '../../../src/session/collision.js';
import { buildOpen, negotiate, type LocalOffer } from '../../../src/session/negotiate.js';

const local: LocalOffer = {
  asn: 65000,
  routerId: '10.0.0.1',
  holdTimeSec: 90,
  keepaliveSec: 30,
  families: ['ipv4-unicast', 'ipv6-unicast'],
  gracefulRestart: { restartTimeSec: 120, restarting: false, forwardingPreserved: true },
};
const open = (caps: Capability[], over: Partial<OpenMsg> = {}): OpenMsg => ({
  kind: 'open',
  version: 4,
  myAs: 65001,
  holdTime: 180,
  bgpId: '10.0.0.2',
  params: [{ type: 2, capabilities: caps }],
  ...over,
});
const fails = (f: () => unknown): [number, number, string] => {
  try {
    f();
  } catch (e) {
    if (e instanceof BgpError) return [e.code, e.subcode, e.data.toString('hex')];
    throw e;
  }
  throw new Error('did not fail');
};

describe('buildOpen', () => {
  it('puts AS_TRANS in My AS and the real AS in the 4-octet AS capability when the AS needs 4 octets', () => {
    const o = buildOpen({ ...local, asn: 4200000001 });
    expect(o.myAs).toBe(23456);
    const caps = o.params.flatMap((p) => ('capabilities' in p ? p.capabilities : []));
    expect(caps).toContainEqual({ kind: 'as4', asn: 4200000001 });
  });
  it('announces multiprotocol per family, route refresh, enhanced route refresh, extended message and graceful restart', () => {
    const caps = buildOpen(local).params.flatMap((p) => ('capabilities' in p ? p.capabilities : []));
    expect(caps.map((c) => c.kind)).toEqual([
      'multiprotocol',
      'multiprotocol',
      'route-refresh',
      'enhanced-route-refresh',
      'extended-message',
      'graceful-restart',
      'as4',
    ]);
  });
});

describe('negotiate', () => {
  const full: Capability[] = [
    { kind: 'multiprotocol', afi: 1, safi: 1 },
    { kind: 'multiprotocol', afi: 2, safi: 1 },
    { kind: 'route-refresh' },
    { kind: 'as4', asn: 65001 },
    { kind: 'extended-message' },
    { kind: 'graceful-restart', restarting: true, notification: false, restartTimeSec: 90, families: [{ afi: 1, safi: 1, forwardingPreserved: true }] },
    { kind: 'unknown', code: 73, value: Buffer.from('host') },
  ];
  it('takes the smaller hold time and a keepalive of at most a third of it', () => {
    const n = negotiate(local, { asn: 65001 }, open(full, { holdTime: 9 }));
    expect([n.holdTimeSec, n.keepaliveSec]).toEqual([9, 3]);
  });
  it('intersects families, AS4, extended message; keeps unknown capabilities aside', () => {
    const n = negotiate(local, { asn: 65001 }, open(full));
    expect(n.families).toEqual(['ipv4-unicast', 'ipv6-unicast']);
    expect(n.ctx.as4).toBe(true);
    expect(n.ctx.extendedMessage).toBe(true);
    expect(n.routeRefresh).toBe(true);
    expect(n.enhancedRouteRefresh).toBe(false);
    expect(n.gracefulRestart).toEqual({ restartTimeSec: 90, restarting: true, notification: false, families: [{ family: 'ipv4-unicast', forwardingPreserved: true }] });
    expect(n.peerOnlyCapabilities).toEqual(['capability-73']);
  });
  it('assumes IPv4 unicast for a peer that sent no multiprotocol capability', () => {
    const n = negotiate(local, { asn: 65001 }, open([]));
    expect(n.families).toEqual(['ipv4-unicast']);
    expect(n.ctx.as4).toBe(false);
  });
  it('refuses version 3 with Unsupported Version Number and the largest supported version as data', () => {
    expect(fails(() => negotiate(local, { asn: 65001 }, open(full, { version: 3 })))).toEqual([2, 1, '0004']);
  });
  it('refuses a peer AS that is not the configured one (Bad Peer AS)', () => {
    expect(fails(() => negotiate(local, { asn: 65002 }, open(full)))[1]).toBe(2);
  });
  it('refuses AS_TRANS in My AS without a 4-octet AS capability', () => {
    expect(fails(() => negotiate(local, { asn: 23456 }, open([], { myAs: 23456 })))[1]).toBe(2);
  });
  it('reads the real AS from the 4-octet AS capability', () => {
    const n = negotiate(local, { asn: 4200000001 }, open([{ kind: 'as4', asn: 4200000001 }], { myAs: 23456 }));
    expect(n.peerAs).toBe(4200000001);
  });
  it('refuses identifier 0.0.0.0, and our own identifier from an iBGP peer (Bad BGP Identifier)', () => {
    expect(fails(() => negotiate(local, { asn: 65001 }, open(full, { bgpId: '0.0.0.0' })))[1]).toBe(3);
    expect(fails(() => negotiate(local, { asn: 65000 }, open([{ kind: 'as4', asn: 65000 }], { myAs: 65000, bgpId: '10.0.0.1' })))[1]).toBe(3);
  });
  it('allows the same identifier from an eBGP peer (RFC 6286)', () => {
    expect(negotiate(local, { asn: 65001 }, open(full, { bgpId: '10.0.0.1' })).peerRouterId).toBe('10.0.0.1');
  });
  it('refuses hold times of 1 and 2 seconds (Unacceptable Hold Time)', () => {
    expect(fails(() => negotiate(local, { asn: 65001 }, open(full, { holdTime: 1 })))[1]).toBe(6);
    expect(fails(() => negotiate(local, { asn: 65001 }, open(full, { holdTime: 2 })))[1]).toBe(6);
  });
  it('a hold time of 0 means no keepalives', () => {
    const n = negotiate(local, { asn: 65001 }, open(full, { holdTime: 0 }));
    expect([n.holdTimeSec, n.keepaliveSec]).toEqual([0, 0]);
  });
});

describe('collisionWinner (RFC 4271 6.8, RFC 6286 2.3)', () => {
  it('keeps the connection initiated by the side with the higher BGP identifier', () => {
    expect(collisionWinner({ routerId: '10.0.0.2', asn: 1 }, { routerId: '10.0.0.1', asn: 1 })).toBe('outgoing');
    expect(collisionWinner({ routerId: '10.0.0.1', asn: 1 }, { routerId: '10.0.0.2', asn: 1 })).toBe('incoming');
  });
  it('compares identifiers numerically, not as text', () => {
    expect(collisionWinner({ routerId: '10.0.0.10', asn: 1 }, { routerId: '10.0.0.9', asn: 1 })).toBe('outgoing');
  });
  it('falls back to the larger AS when identifiers are equal', () => {
    expect(collisionWinner({ routerId: '10.0.0.1', asn: 65002 }, { routerId: '10.0.0.1', asn: 65001 })).toBe('outgoing');
    expect(collisionWinner({ routerId: '10.0.0.1', asn: 65001 }, { routerId: '10.0.0.1', asn: 65002 })).toBe('incoming');
  });
});

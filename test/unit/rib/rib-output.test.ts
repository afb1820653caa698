import { describe, expect, it } from 'vitest';
import { AS_TRANS } from '../../../src/codec/constants.js';
import { decodeMessage, endOfRibFamily } from '../../../src/codec/message.js';
import { DEFAULT_CONTEXT, type UpdateMsg } from '../../../src/codec/types.js';
import { addPeer, announce4, announce6, AS4_CONTEXT, makeRib, peer, seq, session, withdraw4 } from './fixtures.js';

const ALL = 1 << 24;
const v4 = (i: number): string => `10.${(i >> 8) & 255}.${i & 255}.0/24`;

function decodeAll(bufs: readonly Buffer[], ctx = AS4_CONTEXT): UpdateMsg[] {
  return bufs.map((b) => {
    const m = decodeMessage(b, ctx);
    if (m.kind !== 'update') throw new Error(`not an UPDATE: ${m.kind}`);
    return m;
  });
}

/** Peer 10.0.0.2 (eBGP) feeds; 10.0.0.3 (eBGP) receives. */
function feedAndListen(): ReturnType<typeof makeRib> {
  const rib = makeRib();
  addPeer(rib, peer('10.0.0.2', 65001));
  addPeer(rib, peer('10.0.0.3', 65002));
  return rib;
}

describe('Rib output (encoded UPDATEs)', () => {
  it('packs 1000 prefixes with 4 attribute sets into 4 UPDATEs', () => {
    const rib = feedAndListen();
    for (let c = 0; c < 4; c++) {
      const prefixes = Array.from({ length: 250 }, (_, i) => v4(i * 4 + c));
      rib.receive('10.0.0.2', announce4(prefixes, { nextHop: '10.0.0.2', asPath: seq(65001), communities: [0xfde80000 + c] }));
    }
    rib.decide();
    const msgs = decodeAll(rib.nextMessages('10.0.0.3', ALL));
    expect(msgs).toHaveLength(4);
    expect(msgs.every((m) => m.nlri.length === 250)).toBe(true);
    expect(new Set(msgs.flatMap((m) => m.nlri)).size).toBe(1000);
    expect(msgs[0]?.attrs).toMatchObject({ asPath: [{ type: 'sequence', asns: [65000, 65001] }], nextHop: '10.0.0.1' });
    expect(rib.counts('10.0.0.3').advertised).toBe(1000);
    expect(rib.hasPending('10.0.0.3')).toBe(false);
  });

  it('sends a prefix that flapped before the socket drained once, in its latest form', () => {
    const rib = feedAndListen();
    const P = '172.16.1.0/24';
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    rib.receive('10.0.0.2', withdraw4([P]));
    rib.decide();
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001, 65007) }));
    rib.decide();
    const msgs = decodeAll(rib.nextMessages('10.0.0.3', ALL));
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ withdrawn: [], nlri: [P], attrs: { asPath: [{ type: 'sequence', asns: [65000, 65001, 65007] }] } });
  });

  it('sends nothing for a prefix that came and went before the socket drained', () => {
    const rib = feedAndListen();
    rib.receive('10.0.0.2', announce4(['172.16.1.0/24'], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    rib.receive('10.0.0.2', withdraw4(['172.16.1.0/24']));
    rib.decide();
    expect(rib.nextMessages('10.0.0.3', ALL)).toEqual([]);
  });

  it('packs withdrawals many per UPDATE', () => {
    const rib = feedAndListen();
    const prefixes = Array.from({ length: 2000 }, (_, i) => v4(i));
    rib.receive('10.0.0.2', announce4(prefixes, { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    rib.nextMessages('10.0.0.3', ALL);
    rib.receive('10.0.0.2', withdraw4(prefixes));
    rib.decide();
    const msgs = decodeAll(rib.nextMessages('10.0.0.3', ALL));
    expect(msgs).toHaveLength(2); // 2000 x 4 octets in 4096-octet messages
    expect(msgs.reduce((n, m) => n + m.withdrawn.length, 0)).toBe(2000);
    expect(rib.counts('10.0.0.3').advertised).toBe(0);
  });

  it('follows the initial dump with End-of-RIB for each negotiated family', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    rib.receive('10.0.0.2', announce4(Array.from({ length: 1500 }, (_, i) => v4(i)), { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.receive('10.0.0.2', announce6(['fd00:1::/64'], ['fd00::2', 'fe80::2'], { asPath: seq(65001) }));
    rib.decide();
    rib.configurePeer(peer('10.0.0.3', 65002));
    rib.peerUp('10.0.0.3', session('10.0.0.3'));
    const msgs: UpdateMsg[] = [];
    while (rib.hasPending('10.0.0.3')) msgs.push(...decodeAll(rib.nextMessages('10.0.0.3', 4096)));
    const eors = msgs.map((m) => endOfRibFamily(m)?.afi ?? null);
    expect(eors.filter((e) => e !== null).sort()).toEqual([1, 2]);
    // Each family's End-of-RIB comes after the last UPDATE of that family.
    const lastV4 = msgs.findLastIndex((m) => m.nlri.length > 0);
    const lastV6 = msgs.findLastIndex((m) => m.attrs?.mpReach !== undefined);
    expect(eors.indexOf(1)).toBeGreaterThan(lastV4);
    expect(eors.indexOf(2)).toBeGreaterThan(lastV6);
    expect(msgs.reduce((n, m) => n + m.nlri.length, 0)).toBe(1500);
    const v6 = msgs.find((m) => m.attrs?.mpReach !== undefined);
    expect(v6?.attrs?.mpReach).toMatchObject({ afi: 2, safi: 1, nextHops: ['fd00:ffff::1', 'fe80::1'], nlri: ['fd00:1::/64'] });
  });

  it('encodes IPv6 withdrawals in MP_UNREACH_NLRI', () => {
    const rib = feedAndListen();
    rib.receive('10.0.0.2', announce6(['fd00:1::/64'], ['fd00::2'], { asPath: seq(65001) }));
    rib.decide();
    rib.nextMessages('10.0.0.3', ALL);
    rib.receive('10.0.0.2', { kind: 'update', withdrawn: [], nlri: [], attrs: { mpUnreach: { afi: 2, safi: 1, withdrawn: ['fd00:1::/64'] } } });
    rib.decide();
    const msgs = decodeAll(rib.nextMessages('10.0.0.3', ALL));
    expect(msgs).toHaveLength(1);
    expect(msgs[0]?.attrs?.mpUnreach).toMatchObject({ afi: 2, safi: 1, withdrawn: ['fd00:1::/64'] });
  });

  it('downgrades 4-octet ASNs for a peer without the 4-octet AS capability', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 4200000001));
    addPeer(rib, peer('10.0.0.3', 65002), { ctx: DEFAULT_CONTEXT });
    rib.receive('10.0.0.2', announce4(['172.16.1.0/24'], { nextHop: '10.0.0.2', asPath: seq(4200000001) }));
    rib.decide();
    const msgs = decodeAll(rib.nextMessages('10.0.0.3', ALL), DEFAULT_CONTEXT);
    expect(msgs[0]?.attrs?.asPath).toEqual([{ type: 'sequence', asns: [65000, AS_TRANS] }]);
    expect(msgs[0]?.attrs?.as4Path).toEqual([{ type: 'sequence', asns: [65000, 4200000001] }]);
  });

  it('returns about the byte budget per call', () => {
    const rib = feedAndListen();
    rib.receive('10.0.0.2', announce4(Array.from({ length: 5000 }, (_, i) => v4(i)), { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    const first = rib.nextMessages('10.0.0.3', 8192);
    const bytes = first.reduce((n, b) => n + b.length, 0);
    expect(bytes).toBeLessThanOrEqual(8192);
    expect(bytes).toBeGreaterThan(6000);
  });

  it('sends nothing for a change that is not decided yet, and the decided state afterwards', () => {
    const rib = feedAndListen();
    const P = '172.16.1.0/24';
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    rib.receive('10.0.0.2', withdraw4([P]));
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001, 65007) }));
    // Pulled before the decision: the new route is not the best yet, so nothing about P goes out,
    // in particular no withdrawal of the route being replaced.
    const early = decodeAll(rib.nextMessages('10.0.0.3', ALL));
    expect(early.flatMap((m) => m.withdrawn)).toEqual([]);
    expect(early.flatMap((m) => m.nlri)).toEqual([]);
    rib.decide();
    const msgs = decodeAll(rib.nextMessages('10.0.0.3', ALL));
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ withdrawn: [], nlri: [P], attrs: { asPath: [{ type: 'sequence', asns: [65000, 65001, 65007] }] } });
  });

  it('encodes a reflected route once for all the clients of an export group', () => {
    const rib = makeRib();
    const clients = ['10.0.0.11', '10.0.0.12', '10.0.0.13'];
    for (const id of clients) addPeer(rib, peer(id, 65000, { role: 'rr-client' }));
    rib.receive('10.0.0.11', announce4(['172.16.1.0/26'], { nextHop: '10.0.0.11', localPref: 100 }));
    rib.decide();
    const [b, c] = [rib.nextMessages('10.0.0.12', ALL), rib.nextMessages('10.0.0.13', ALL)];
    expect(b).toHaveLength(1);
    expect(c[0]).toBe(b[0]); // the very same Buffer
    expect(decodeAll(b)[0]).toMatchObject({ nlri: ['172.16.1.0/26'], attrs: { originatorId: '10.0.0.11', clusterList: ['10.255.0.1'] } });
    expect(rib.nextMessages('10.0.0.11', ALL)).toEqual([]); // never back to its source
  });

  it('withdraws and forgets a million-entry-style table completely (ids and journal are reused)', () => {
    const rib = feedAndListen();
    for (let round = 0; round < 3; round++) {
      const prefixes = Array.from({ length: 3000 }, (_, i) => v4(i + round * 1000));
      rib.receive('10.0.0.2', announce4(prefixes, { nextHop: '10.0.0.2', asPath: seq(65001, round) }));
      rib.decide();
      expect(decodeAll(rib.nextMessages('10.0.0.3', ALL)).reduce((n, m) => n + m.nlri.length, 0)).toBe(3000);
      rib.receive('10.0.0.2', withdraw4(prefixes));
      rib.decide();
      expect(decodeAll(rib.nextMessages('10.0.0.3', ALL)).reduce((n, m) => n + m.withdrawn.length, 0)).toBe(3000);
      expect(rib.stats()).toMatchObject({ prefixes: 0, dirty: 0 });
      expect(rib.counts('10.0.0.3').advertised).toBe(0);
    }
    expect(rib.stats().attrSets).toBe(0);
  });
});

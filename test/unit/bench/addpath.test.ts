/**
 * The pure pieces of the reflector-addpath bench scenario (tools/bench/scenarios/reflector.ts):
 * the ADD-PATH walker of the clients (nlri-walk.ts walkUpdatePaths, nextHopNumber), the clients'
 * ADD-PATH negotiation (speaker/session.ts negotiateAddPath4), the path-id bookkeeping and the
 * convergence predicate (speaker/client-paths.ts), the plan, and the ADD-PATH config each DUT gets.
 * The run itself, in namespaces: test/netns/bench-guard.netns.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parsePrefix4 } from '../../../src/codec/nlri.js';
import { encodeUpdates, type UpdateBatch } from '../../../src/codec/pack.js';
import type { Capability, CodecContext, OpenMsg } from '../../../src/codec/types.js';
import { parseIPv4 } from '../../../src/util/inet.js';
import { birdConfig } from '../../../tools/daemons/bird.js';
import { frrBgpdConfig } from '../../../tools/daemons/frr.js';
import { wrenConfig } from '../../../tools/daemons/wren.js';
import { dutDaemonSpec, dutWrenSpec, type DutSpec } from '../../../tools/bench/dut.js';
import { nextHopNumber, walkUpdatePaths } from '../../../tools/bench/nlri-walk.js';
import { plan, subjectsFor } from '../../../tools/bench/plan.js';
import { clientAddress, clientBlock, SHARED_PREFIX, TO_ANNOUNCER } from '../../../tools/bench/scenarios/reflector.js';
import { SCENARIOS, sizeLabel } from '../../../tools/bench/scenarios/types.js';
import { METRICS } from '../../../tools/bench/stats.js';
import { ClientPaths, expectedSharedNextHops, pathPlan, sharedComplete } from '../../../tools/bench/speaker/client-paths.js';
import { negotiateAddPath4 } from '../../../tools/bench/speaker/session.js';

const V4 = '1/1';
/** The DUT's side: it sends path ids. */
const TX: CodecContext = { as4: true, extendedMessage: false, addPathRx: new Set([V4]), addPathTx: new Set([V4]) };
/** The client's side: it receives them. */
const RX: CodecContext = { as4: true, extendedMessage: false, addPathRx: new Set([V4]), addPathTx: new Set() };

const attrs = (nextHop: string) => ({ origin: 0, asPath: [], nextHop, localPref: 100, originatorId: nextHop, clusterList: ['10.2.0.1'] });
/** One UPDATE as a DUT sends it with ADD-PATH. */
const update = (b: UpdateBatch): Buffer => {
  const m = encodeUpdates(b, TX);
  expect(m).toHaveLength(1);
  return m[0] as Buffer;
};

describe('walkUpdatePaths and nextHopNumber (RFC 7911 3)', () => {
  it('reads every (prefix, path id) of Withdrawn Routes and NLRI, and the NEXT_HOP as a number', () => {
    // wren's packer puts withdrawals and announcements into separate UPDATEs.
    const frames = encodeUpdates({ withdrawn: ['10.9.0.0/16', '10.8.0.0/15'], withdrawnPathIds: [7, 0], nlri: ['100.64.0.64/26', SHARED_PREFIX], nlriPathIds: [1, 0xfffffffe], attrs: attrs('10.2.0.3') }, TX);
    const seen: string[] = [];
    for (const f of frames) walkUpdatePaths(f, { withdraw: (k, id) => seen.push(`-${k}#${id}`), announce: (k, id) => seen.push(`+${k}#${id}`) });
    const f = frames.at(-1) as Buffer;
    expect(seen).toEqual([`-${parsePrefix4('10.9.0.0/16')}#7`, `-${parsePrefix4('10.8.0.0/15')}#0`, `+${parsePrefix4('100.64.0.64/26')}#1`, `+${parsePrefix4(SHARED_PREFIX)}#${0xfffffffe}`]);
    expect(nextHopNumber(f)).toBe(parseIPv4('10.2.0.3'));
    expect(nextHopNumber(update({ withdrawn: ['10.9.0.0/16'], withdrawnPathIds: [7] }))).toBe(-1);
  });

  it('throws on a path identifier cut short', () => {
    const f = update({ nlri: ['100.64.0.0/26'], nlriPathIds: [1], attrs: attrs('10.2.0.2') });
    const cut = Buffer.from(f.subarray(0, f.length - 7));
    cut.writeUInt16BE(cut.length, 16);
    expect(() => walkUpdatePaths(cut, { withdraw: () => undefined, announce: () => undefined })).toThrow(RangeError);
  });
});

describe('negotiateAddPath4 (the clients offer receive and send in IPv4 unicast)', () => {
  const open = (caps: Capability[]): OpenMsg => ({ kind: 'open', version: 4, myAs: 65000, holdTime: 90, bgpId: '10.2.0.1', params: [{ type: 2, capabilities: caps }] });
  const ap = (...families: { afi: number; safi: number; sendReceive: 1 | 2 | 3 }[]): Capability => ({ kind: 'add-path', families });

  it('receives path ids when the peer sends them, sends when it receives, neither without the capability', () => {
    expect(negotiateAddPath4(open([{ kind: 'route-refresh' }]))).toEqual({ receive: false, send: false });
    expect(negotiateAddPath4(open([ap({ afi: 1, safi: 1, sendReceive: 1 })]))).toEqual({ receive: false, send: true });
    expect(negotiateAddPath4(open([ap({ afi: 1, safi: 1, sendReceive: 2 })]))).toEqual({ receive: true, send: false });
    expect(negotiateAddPath4(open([ap({ afi: 1, safi: 1, sendReceive: 3 })]))).toEqual({ receive: true, send: true });
  });

  it('reads only the IPv4 unicast entry, the last one when listed twice', () => {
    expect(negotiateAddPath4(open([ap({ afi: 2, safi: 1, sendReceive: 3 })]))).toEqual({ receive: false, send: false });
    expect(negotiateAddPath4(open([ap({ afi: 1, safi: 1, sendReceive: 3 }, { afi: 1, safi: 1, sendReceive: 1 })]))).toEqual({ receive: false, send: true });
  });
});

describe('the convergence predicate of the shared prefix', () => {
  const a = ['10.2.0.2', '10.2.0.3', '10.2.0.4', '10.2.0.5'];
  const n = a.map(parseIPv4);

  it('wants every announcer but the client itself, unless the DUT reflects its own path back', () => {
    expect([...expectedSharedNextHops('10.2.0.3', a, false)]).toEqual([n[0], n[2], n[3]]);
    expect([...expectedSharedNextHops('10.2.0.3', a, true)]).toEqual(n);
    expect([...expectedSharedNextHops('10.2.0.9', a, false)]).toEqual(n);
  });

  it('holds exactly one path per wanted next hop: fewer, more, a next hop twice or an unwanted one is not complete', () => {
    const want = new Set(n.slice(1));
    const held = (...hops: (number | undefined)[]) => new Map(hops.map((h, i) => [i + 1, h ?? -1]));
    expect(sharedComplete(held(n[1], n[2], n[3]), want)).toBe(true);
    expect(sharedComplete(held(n[3], n[1], n[2]), want)).toBe(true);
    expect(sharedComplete(held(n[1], n[2]), want)).toBe(false);
    expect(sharedComplete(held(n[1], n[2], n[3], n[0]), want)).toBe(false);
    expect(sharedComplete(held(n[1], n[2], n[2]), want)).toBe(false);
    expect(sharedComplete(held(n[1], n[2], n[0]), want)).toBe(false);
    expect(sharedComplete(new Map(), new Set())).toBe(true);
  });
});

describe('ClientPaths: one client of reflector-addpath, path by path', () => {
  const K = 6;
  const addrs = Array.from({ length: K }, (_, i) => clientAddress(i));
  const blocks = addrs.map((_, i) => clientBlock(i));
  const P = pathPlan(addrs, blocks, SHARED_PREFIX, 4);
  /** Client `self` with the DUT behaviour `toAnnouncer`. */
  const client = (self: number, toAnnouncer = false): ClientPaths =>
    new ClientPaths(P, addrs[self] ?? '', blocks[self] ?? '', expectedSharedNextHops(addrs[self] ?? '', addrs.slice(0, 4), toAnnouncer));
  /** What the DUT reflects of client i: its block and, for an announcer, the shared prefix; path ids as the DUT chose. */
  const reflected = (i: number, blockId: number, sharedId: number): Buffer =>
    update({ nlri: i < 4 ? [blocks[i] ?? '', SHARED_PREFIX] : [blocks[i] ?? ''], nlriPathIds: [blockId, sharedId], attrs: attrs(addrs[i] ?? '') });

  it('converges on the K - 1 other blocks and the 3 other announcers\' paths (an announcer), not before', () => {
    const c = client(1);
    for (const i of [0, 2, 3, 4, 5]) {
      expect(c.converged).toBe(false);
      c.update(reflected(i, 1, 10 + i), RX);
    }
    expect(c.blocks).toBe(K - 1);
    expect([...c.shared]).toEqual([10, 12, 13].map((id) => [id, parseIPv4(addrs[id - 10] ?? '')]));
    expect(c.converged).toBe(true);
    expect(c.anomalies).toEqual([]);
  });

  it('a client that announced nothing shared needs all 4 paths; a withdrawn path id un-converges it', () => {
    const c = client(5);
    for (const i of [0, 1, 2, 4]) c.update(reflected(i, 1, 20 + i), RX);
    expect(c.blocks).toBe(K - 2);
    c.update(update({ nlri: [blocks[3] ?? ''], nlriPathIds: [1], attrs: attrs(addrs[3] ?? '') }), RX);
    expect(c.blocks).toBe(K - 1);
    expect(c.converged).toBe(false); // 3 of the 4 shared paths
    c.update(update({ nlri: [SHARED_PREFIX], nlriPathIds: [23], attrs: attrs(addrs[3] ?? '') }), RX);
    expect(c.converged).toBe(true);
    c.update(update({ withdrawn: [SHARED_PREFIX], withdrawnPathIds: [99] }), RX);
    expect(c.converged).toBe(true); // a path id it does not hold
    c.update(update({ withdrawn: [SHARED_PREFIX], withdrawnPathIds: [21] }), RX);
    expect(c.converged).toBe(false);
    expect(c.shared.size).toBe(3);
    c.update(update({ nlri: [SHARED_PREFIX], nlriPathIds: [21], attrs: attrs(addrs[1] ?? '') }), RX);
    expect(c.converged).toBe(true);
    // A block is withdrawn by its path id only.
    c.update(update({ withdrawn: [blocks[0] ?? ''], withdrawnPathIds: [2] }), RX);
    expect(c.blocks).toBe(K - 1);
    c.update(update({ withdrawn: [blocks[0] ?? ''], withdrawnPathIds: [1] }), RX);
    expect(c.blocks).toBe(K - 2);
    expect(c.anomalies).toEqual([]);
  });

  it('ignores its own block; with a DUT that reflects back it needs its own shared path too', () => {
    const plain = client(0);
    const back = client(0, true);
    for (const c of [plain, back]) for (let i = 0; i < K; i++) c.update(reflected(i, 1, 30 + i), RX);
    expect(plain.blocks).toBe(K - 1);
    expect(plain.converged).toBe(false); // holds 4 paths, wants the 3 of the others
    expect(back.converged).toBe(true);
    const fresh = client(0);
    for (let i = 1; i < K; i++) fresh.update(reflected(i, 1, 30 + i), RX);
    expect(fresh.converged).toBe(true);
  });

  it('a second path of one next hop keeps it from converging (implicit replace of one path id does not)', () => {
    const c = client(4);
    for (const i of [0, 1, 2, 3, 5]) c.update(reflected(i, 1, 40 + i), RX);
    expect(c.converged).toBe(true);
    c.update(update({ nlri: [SHARED_PREFIX], nlriPathIds: [40], attrs: attrs(addrs[0] ?? '') }), RX);
    expect(c.converged).toBe(true);
    c.update(update({ nlri: [SHARED_PREFIX], nlriPathIds: [77], attrs: attrs(addrs[0] ?? '') }), RX);
    expect(c.converged).toBe(false);
  });

  it('records what is wrong, not late: a foreign next hop, a block via another next hop, a second path of a block, an unknown prefix', () => {
    const c = client(4);
    c.update(update({ nlri: [SHARED_PREFIX], nlriPathIds: [5], attrs: attrs('10.2.9.9') }), RX);
    c.update(update({ nlri: [blocks[1] ?? ''], nlriPathIds: [1], attrs: attrs(addrs[2] ?? '') }), RX);
    c.update(update({ nlri: [blocks[1] ?? ''], nlriPathIds: [2], attrs: attrs(addrs[1] ?? '') }), RX);
    c.update(update({ nlri: ['100.100.0.0/24'], nlriPathIds: [1], attrs: attrs(addrs[1] ?? '') }), RX);
    expect(c.anomalyCount).toBe(4);
    expect(c.anomalies).toEqual([
      `client ${addrs[4]}: ${SHARED_PREFIX} path id 5 via 10.2.9.9, which is no announcer's next hop`,
      `client ${addrs[4]}: ${blocks[1]} via ${addrs[2]}, announced via ${addrs[1]}`,
      `client ${addrs[4]}: ${blocks[1]} with a second path id 2 (holds 1); it has one announcer`,
      `client ${addrs[4]}: 100.100.0.0/24 path id 1: a prefix nobody announced`,
    ]);
  });

  it('the self-test plan accepts another next hop for the first announcer, so its path is an anomaly', () => {
    const wrong = pathPlan(addrs, blocks, SHARED_PREFIX, 4, ['10.2.255.254', ...addrs.slice(1, 4)]);
    const c = new ClientPaths(wrong, addrs[5] ?? '', blocks[5] ?? '', expectedSharedNextHops(addrs[5] ?? '', addrs.slice(0, 4), false));
    for (let i = 0; i < 5; i++) c.update(reflected(i, 1, 50 + i), RX);
    expect(c.converged).toBe(true);
    expect(c.anomalies).toEqual([`client ${addrs[5]}: ${SHARED_PREFIX} path id 50 via ${addrs[0]}, which is no announcer's next hop`]);
  });

  it('clear() forgets every path (a session that comes back)', () => {
    const c = client(5);
    for (let i = 0; i < 5; i++) c.update(reflected(i, 1, 60 + i), RX);
    expect(c.converged).toBe(true);
    c.clear();
    expect([c.blocks, c.shared.size, c.converged]).toEqual([0, 0, false]);
  });
});

describe('reflector-addpath in the plan and the DUT configs', () => {
  it('is a scenario of its own, sized by K, comparing wren, BIRD and FRR (not GoBGP)', () => {
    expect(SCENARIOS).toContain('reflector-addpath');
    expect(sizeLabel('reflector-addpath', 1000)).toBe('K=1000');
    expect(subjectsFor('reflector-addpath', ['wren', 'bird', 'frr', 'gobgp'])).toEqual(['wren', 'bird', 'frr']);
    expect(subjectsFor('reflector-addpath', ['bird'], ['wren@abc1234'])).toEqual(['wren@abc1234', 'bird']);
    const cells = plan({ scenarios: ['reflector-addpath'], duts: ['wren', 'bird'], n: [5], k: [20, 1000], runs: 1 });
    expect(cells.map((c) => `${c.subject} ${c.size}`)).toEqual(['wren 20', 'bird 20', 'wren 1000', 'bird 1000']);
    expect(METRICS['reflector-addpath'].map((m) => m.key)).toEqual(['converge_s', 'establish_s', 'rss_mb', 'cpu_s']);
    expect(TO_ANNOUNCER).toEqual({ wren: false, bird: false, frr: true, gobgp: false });
  });

  it('turns on ADD-PATH receive and send all towards every client in each DUT', () => {
    const spec: DutSpec = { ns: 'x', routerId: '10.2.0.1', asn: 65000, neighbors: [{ address: '10.2.0.2', asn: 65000, rrClient: true, addPath: true }], kernel: false, holdTime: 240 };
    expect(birdConfig(dutDaemonSpec('bird', spec), { log: '/tmp/l' })).toMatch(/rr client;\n  ipv4 \{ import all; export filter \{[^}]*\}; add paths on;\};/);
    expect(frrBgpdConfig(dutDaemonSpec('frr', spec))).toContain('  neighbor 10.2.0.2 addpath-tx-all-paths');
    const wren = wrenConfig(dutWrenSpec(spec), '/tmp/s') as { peers: { addPath?: unknown }[] };
    expect(wren.peers[0]?.addPath).toEqual({ receive: true, send: 'all' });
    // The plain reflector scenario stays without ADD-PATH.
    const plain = { ...spec, neighbors: [{ address: '10.2.0.2', asn: 65000, rrClient: true }] };
    expect(birdConfig(dutDaemonSpec('bird', plain), { log: '/tmp/l' })).not.toContain('add paths');
    expect(frrBgpdConfig(dutDaemonSpec('frr', plain))).not.toContain('addpath');
    expect((wrenConfig(dutWrenSpec(plain), '/tmp/s') as { peers: { addPath?: unknown }[] }).peers[0]?.addPath).toBeUndefined();
  });
});

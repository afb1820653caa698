/**
 * The pure pieces of the benchmark (tools/bench): table generator, NLRI walker, statistics, plan,
 * fib_triestat parser, reflector addressing, and the config each daemon under test gets from the
 * shared drivers' renderers (tools/daemons, given tools/bench/dut.ts's spec). Moved from
 * test/netns/bench-guard.netns.test.ts (which keeps the run of `npm run bench` in namespaces):
 * none of it needs root or a namespace.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../src/codec/message.js';
import { nlriText } from '../../../src/codec/nlri.js';
import type { CodecContext } from '../../../src/codec/types.js';
import { sizeLabel } from '../../../tools/bench/scenarios/types.js';
import { birdConfig } from '../../../tools/daemons/bird.js';
import { frrBgpdConfig } from '../../../tools/daemons/frr.js';
import { gobgpConfig } from '../../../tools/daemons/gobgp.js';
import { wrenConfig } from '../../../tools/daemons/wren.js';
import { dutDaemonSpec, dutWrenSpec, type DutSpec } from '../../../tools/bench/dut.js';
import { encodeAnnouncements, encodeWithdrawals } from '../../../tools/bench/feed.js';
import { parseTrieStat } from '../../../tools/bench/fib-count.js';
import { walkUpdate } from '../../../tools/bench/nlri-walk.js';
import { plan } from '../../../tools/bench/plan.js';
import { clientAddress, clientBlock } from '../../../tools/bench/scenarios/reflector.js';
import { buildRows, median } from '../../../tools/bench/stats.js';
import { generateTable } from '../../../tools/bench/table.js';

const CTX: CodecContext = { as4: true, extendedMessage: false, addPathRx: new Set(), addPathTx: new Set() };

describe('the bench feeder table', () => {
  const opts = { n: 5000, seed: 7, firstAs: 65001, nextHop: '10.0.1.2', avoidAs: [65000, 65002] };

  it('is the same for the same seed and different for another', () => {
    expect(generateTable(opts)).toEqual(generateTable(opts));
    expect(generateTable({ ...opts, seed: 8 })[0]?.prefixes).not.toEqual(generateTable(opts)[0]?.prefixes);
  });

  it('has N distinct prefixes, mostly /24, about four per attribute set, paths of 2 to 6 hops from the feeder', () => {
    const groups = generateTable(opts);
    const prefixes = groups.flatMap((g) => g.prefixes);
    expect(new Set(prefixes).size).toBe(5000);
    const lens = prefixes.map((p) => Number(p.split('/')[1]));
    expect(lens.every((l) => l >= 16 && l <= 24)).toBe(true);
    expect(lens.filter((l) => l === 24).length / lens.length).toBeGreaterThan(0.8);
    expect(prefixes.length / groups.length).toBeGreaterThan(3.5);
    expect(prefixes.length / groups.length).toBeLessThan(4.5);
    for (const g of groups) {
      const asns = g.attrs.asPath?.[0]?.asns ?? [];
      expect(asns.length).toBeGreaterThanOrEqual(2);
      expect(asns.length).toBeLessThanOrEqual(6);
      expect(asns[0]).toBe(65001);
      expect(asns.slice(1).some((a) => a === 65000 || a === 65002 || a === 65001)).toBe(false);
    }
    expect(groups.filter((g) => (g.attrs.communities?.length ?? 0) > 0).length / groups.length).toBeGreaterThan(0.5);
  });

  it('encodes into UPDATEs that wren decodes back to the same prefixes, and the walker agrees', () => {
    const groups = generateTable(opts);
    const feed = encodeAnnouncements(groups, CTX, 4096);
    const frames: Buffer[] = [];
    for (const chunk of feed.chunks) {
      for (let off = 0; off < chunk.length; off += chunk.readUInt16BE(off + 16)) frames.push(chunk.subarray(off, off + chunk.readUInt16BE(off + 16)));
    }
    expect(frames).toHaveLength(feed.messages);
    const decoded: string[] = [];
    const walked = new Set<number>();
    for (const f of frames) {
      const m = decodeMessage(f, CTX);
      if (m.kind === 'update') decoded.push(...m.nlri.map(nlriText));
      walkUpdate(f, { announce: (k) => walked.add(k), withdraw: (k) => walked.delete(k) });
    }
    expect(decoded).toEqual(groups.flatMap((g) => g.prefixes));
    expect(walked.size).toBe(5000);
    for (const w of encodeWithdrawals(groups, CTX).chunks) {
      for (let off = 0; off < w.length; off += w.readUInt16BE(off + 16)) walkUpdate(w.subarray(off, off + w.readUInt16BE(off + 16)), { announce: (k) => walked.add(k), withdraw: (k) => walked.delete(k) });
    }
    expect(walked.size).toBe(0);
  });

  it('walks prefixes as address * 64 + length with host bits cleared', () => {
    // UPDATE: no withdrawals, no attributes, NLRI 10.1.2.0/23 written with a stray host bit, 0.0.0.0/0.
    const body = Buffer.from([0, 0, 0, 0, 23, 10, 1, 3, 0]);
    const frame = Buffer.concat([Buffer.alloc(16, 0xff), Buffer.from([0, 19 + body.length, 2]), body]);
    const got: number[] = [];
    walkUpdate(frame, { announce: (k) => got.push(k), withdraw: () => undefined });
    expect(got).toEqual([(10 * 2 ** 24 + 1 * 2 ** 16 + 2 * 2 ** 8) * 64 + 23, 0]);
  });
});

describe('the bench statistics and plan', () => {
  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('summarizes runs per subject with the ratio wren / other of the medians, and counts failures', () => {
    const r = (subject: 'wren' | 'bird', run: number, v?: number) => ({
      scenario: 'inout' as const,
      subject,
      size: 10,
      run,
      metrics: v === undefined ? {} : { announce_s: v, withdraw_s: v, rss_mb: v, cpu_s: v },
      ...(v === undefined ? { error: 'boom' } : {}),
    });
    const rows = buildRows([r('wren', 1, 2), r('wren', 2, 4), r('wren', 3, 3), r('bird', 1, 1), r('bird', 2), r('bird', 3, 2)], ['wren', 'bird']);
    const row = rows.find((x) => x.metric.key === 'announce_s');
    expect(row?.cells.get('wren')).toEqual({ median: 3, min: 2, max: 4, runs: 3, failed: 0, invalid: 0 });
    expect(row?.cells.get('bird')).toEqual({ median: 1.5, min: 1, max: 2, runs: 2, failed: 1, invalid: 0 });
    expect(row?.ratios.get('bird')).toBe(2);
  });

  it('runs every subject once per run, rotating who goes first; kernel drops GoBGP and adds the ip -batch floor', () => {
    const cells = plan({ scenarios: ['inout', 'kernel'], duts: ['wren', 'bird', 'frr', 'gobgp'], n: [100], k: [], runs: 2 });
    const inout = cells.filter((c) => c.scenario === 'inout');
    expect(inout.map((c) => `${c.run}:${c.subject}`)).toEqual(['1:wren', '1:bird', '1:frr', '1:gobgp', '2:bird', '2:frr', '2:gobgp', '2:wren']);
    expect(new Set(cells.filter((c) => c.scenario === 'kernel').map((c) => c.subject))).toEqual(new Set(['wren', 'bird', 'frr', 'ip-batch']));
  });

  it('measures idle at its one fixed size (10 peers, 1,000 routes) whatever --n says, every daemon included', () => {
    const cells = plan({ scenarios: ['idle'], duts: ['wren', 'bird', 'frr', 'gobgp'], n: [100000, 1000000], k: [], runs: 1 });
    expect(cells.map((c) => `${c.subject}:${c.size}`)).toEqual(['wren:1000', 'bird:1000', 'frr:1000', 'gobgp:1000']);
    expect(sizeLabel('idle', 1000)).toBe('10 peers, N=1000');
  });

  it('reads the main trie prefix count from fib_triestat', () => {
    expect(parseTrieStat('Basic info: x\nMain:\n\tAver depth: 1.0\n\tLeaves: 12\n\tPrefixes:\t\t12\nLocal:\n\tPrefixes: 3\n')).toBe(12);
  });

  it('gives reflector clients distinct addresses and distinct /26 blocks', () => {
    const n = 1000;
    expect(new Set(Array.from({ length: n }, (_, i) => clientAddress(i))).size).toBe(n);
    expect(clientBlock(0)).toBe('100.64.0.0/26');
    expect(clientBlock(5)).toBe('100.64.1.64/26');
    expect(clientAddress(0)).toBe('10.2.0.2');
    expect(clientAddress(254)).toBe('10.2.1.0');
  });
});

describe('the bench daemon configs', () => {
  const spec: DutSpec = {
    ns: 'x',
    routerId: '10.0.1.1',
    asn: 65000,
    neighbors: [
      { address: '10.0.1.2', asn: 65001 },
      { address: '10.2.0.2', asn: 65000, rrClient: true },
    ],
    kernel: true,
    holdTime: 240,
  };

  it('makes every neighbour passive and accept-all, with the reflector client marked, in each daemon', () => {
    // The shared drivers' renderers (tools/daemons), given the spec the bench starts each DUT with.
    const bird = birdConfig(dutDaemonSpec('bird', spec), { log: '/tmp/l' });
    expect(bird.match(/passive on;/g)).toHaveLength(2);
    expect(bird).toMatch(/protocol bgp n_10_0_1_2 \{[^}]*ipv4 \{ import all; export filter \{[^}]*accept; \};/);
    expect(bird).toMatch(/protocol bgp n_10_2_0_2 \{[^}]*neighbor 10\.2\.0\.2 as 65000;[^}]*rr client;/);
    expect(bird).toContain('protocol kernel');
    expect(bird).toContain('{ warning, error, fatal }');
    const frr = frrBgpdConfig(dutDaemonSpec('frr', spec));
    expect(frr).toContain(' no bgp ebgp-requires-policy');
    expect(frr).toContain(' neighbor 10.0.1.2 passive');
    expect(frr).toContain(' neighbor 10.2.0.2 passive');
    expect(frr).toContain('  neighbor 10.2.0.2 route-reflector-client');
    const gobgp = gobgpConfig(dutDaemonSpec('gobgp', { ...spec, kernel: false }));
    expect(gobgp.match(/passive-mode = true/g)).toHaveLength(2);
    expect(gobgp).toContain('route-reflector-client = true');
    const wren = wrenConfig(dutWrenSpec(spec), '/tmp/s') as { peers: { passive: boolean; routeReflectorClient?: boolean; import?: string; export?: string }[] };
    expect(wren.peers.map((p) => [p.passive, p.routeReflectorClient ?? false])).toEqual([
      [true, false],
      [true, true],
    ]);
    // eBGP without a policy accepts nothing (RFC 8212): the feeder's peer imports and exports all.
    expect(wren.peers[0]).toMatchObject({ import: 'all', export: 'all' });
  });
});

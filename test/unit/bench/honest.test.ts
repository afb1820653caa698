/**
 * The bench's honest-measurement pieces (issue 14, item 3): the sink's content digest, the kernel
 * scenario's FIB content check, FRR's memory as the sum of its processes at one instant, the
 * interleaving of a baseline build of wren, the invalid cell, the recorded setup, and the baseline
 * worktree build (in a throwaway git repository). The same checks run for real in namespaces in
 * test/netns/bench-guard.netns.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeUpdates } from '../../../src/codec/pack.js';
import type { CodecContext } from '../../../src/codec/types.js';
import { prepareBaseline } from '../../../tools/bench/baseline.js';
import { asPathText, describeDiff, diffRoutes, digestOf, prefixText, tableRoutes } from '../../../tools/bench/digest.js';
import { setupLines } from '../../../tools/bench/doc.js';
import { cell, failures } from '../../../tools/bench/format.js';
import { commitLabel, headCommit } from '../../../tools/bench/git.js';
import { checkKernelRoutes, describeKernelCheck, kernelCheckOk, parseRoutes } from '../../../tools/bench/kernel-routes.js';
import type { MachineInfo } from '../../../tools/bench/machine.js';
import { readRouteAttrs, replayRoutes } from '../../../tools/bench/nlri-walk.js';
import { plan, subjectsFor } from '../../../tools/bench/plan.js';
import { MemoryWatch, peakOfSums, sumOfPeaks } from '../../../tools/bench/proc-stats.js';
import { expectedDigests, feedTable, SINK_TRANSFORM } from '../../../tools/bench/scenarios/inout.js';
import { failedRun, InvalidResult, type RunResult } from '../../../tools/bench/scenarios/types.js';
import { buildRows } from '../../../tools/bench/stats.js';
import { generateTable } from '../../../tools/bench/table.js';

const CTX: CodecContext = { as4: true, extendedMessage: false, addPathRx: new Set(), addPathTx: new Set() };

/** What the sink holds after a stream of UPDATEs (its replay of them, off the clock). */
const sinkHolds = (frames: readonly Buffer[], as4 = true): Map<number, string> => replayRoutes(frames, as4);

/** The UPDATEs a correct DUT sends the sink for `groups`: its next hop, its AS first. */
function dutOutput(groups: ReturnType<typeof generateTable>, nextHop: string, prepend: number[]): Buffer[] {
  return groups.flatMap((g) =>
    encodeUpdates({ nlri: g.prefixes, attrs: { ...g.attrs, nextHop, asPath: [{ type: 'sequence', asns: [...prepend, ...(g.attrs.asPath?.[0]?.asns ?? [])] }] } }, CTX),
  );
}

describe("the sink's content digest", () => {
  const table = { ...feedTable(3000, 5) };
  const groups = generateTable(table);

  it('writes AS paths and prefixes as text', () => {
    expect(asPathText([{ type: 'sequence', asns: [65000, 65001] }, { type: 'set', asns: [1, 2] }, { type: 'confed-sequence', asns: [7] }])).toBe('65000 65001 {1,2} (7)');
    expect(prefixText((10 * 2 ** 24 + 1 * 2 ** 16) * 64 + 16)).toBe('10.1.0.0/16');
  });

  it('of what a correct DUT sends equals the digest of the feeder table transformed, in any order', () => {
    const held = sinkHolds(dutOutput(groups, '10.0.2.1', [65000]));
    expect(held.size).toBe(3000);
    const expected = expectedDigests(table, SINK_TRANSFORM);
    expect(digestOf(held).value).toBe(expected.atSink);
    expect(digestOf([...held].reverse()).value).toBe(expected.atSink);
    expect(expected.sent).toBe(digestOf(tableRoutes(groups)).value);
    expect(expected.sent).not.toBe(expected.atSink);
    expect(diffRoutes(held, tableRoutes(groups, SINK_TRANSFORM))).toEqual({ missing: 0, extra: 0, wrong: 0, examples: [] });
  });

  it('changes with one wrong next hop, one missing AS, one missing or extra prefix, and the diff names them', () => {
    const expected = tableRoutes(groups, SINK_TRANSFORM);
    const good = digestOf(expected).value;
    const [first] = groups;
    if (!first) throw new Error('empty table');
    const wrongHop = sinkHolds(dutOutput([first], '10.0.2.9', [65000]));
    const rest = sinkHolds(dutOutput(groups.slice(1), '10.0.2.1', [65000]));
    const bad = new Map([...rest, ...wrongHop]);
    expect(bad.size).toBe(3000);
    expect(digestOf(bad).value).not.toBe(good);
    const d = diffRoutes(bad, expected);
    expect(d.wrong).toBe(first.prefixes.length);
    expect(d.examples[0]).toMatch(/: via 10\.0\.2\.9 path 65000 65001 .*, expected via 10\.0\.2\.1 path 65000 65001 /);
    expect(describeDiff(d)).toContain(`0 missing, 0 extra, ${first.prefixes.length} with other attributes`);

    const noPrepend = new Map([...rest, ...sinkHolds(dutOutput([first], '10.0.2.1', []))]);
    expect(digestOf(noPrepend).value).not.toBe(good);

    const missing = new Map(rest);
    expect(digestOf(missing).value).not.toBe(good);
    expect(diffRoutes(missing, expected).missing).toBe(first.prefixes.length);

    const extra = new Map([...expected, [(1 * 2 ** 24) * 64 + 24, 'via 10.0.2.1 path 65000']]);
    expect(digestOf(extra).value).not.toBe(good);
    expect(diffRoutes(extra, expected)).toMatchObject({ extra: 1, missing: 0, wrong: 0, examples: ['1.0.0.0/24: via 10.0.2.1 path 65000, never sent'] });
  });

  it('replays UPDATEs in order: a re-announcement replaces the attributes, a withdrawal removes the prefix', () => {
    const a = { origin: 0 as const, nextHop: '10.0.2.1', asPath: [{ type: 'sequence' as const, asns: [65000, 65001] }] };
    const frames = [
      ...encodeUpdates({ nlri: ['1.2.3.0/24', '1.2.4.0/24', '1.2.5.0/24'], attrs: a }, CTX),
      ...encodeUpdates({ nlri: ['1.2.4.0/24'], attrs: { ...a, nextHop: '10.0.2.7', asPath: [{ type: 'sequence', asns: [65000] }, { type: 'set', asns: [7, 8] }] } }, CTX),
      ...encodeUpdates({ withdrawn: ['1.2.5.0/24'] }, CTX),
    ];
    const held = replayRoutes(frames, true);
    expect([...held].map(([k, t]) => `${prefixText(k)} ${t}`)).toEqual(['1.2.3.0/24 via 10.0.2.1 path 65000 65001', '1.2.4.0/24 via 10.0.2.7 path 65000 {7,8}']);
  });

  it('reads 2-octet AS paths on a session without 4-octet AS numbers', () => {
    const ctx2 = { ...CTX, as4: false };
    const [f] = encodeUpdates({ nlri: ['1.2.3.0/24'], attrs: { origin: 0, nextHop: '10.0.2.1', asPath: [{ type: 'sequence', asns: [65000, 100] }] } }, ctx2);
    if (!f) throw new Error('no UPDATE');
    expect(readRouteAttrs(f, false)).toEqual({ nextHop: '10.0.2.1', asPath: '65000 100' });
  });
});

describe("the kernel scenario's FIB content check", () => {
  const out = [
    '1.2.3.0/24 via 10.0.1.2 dev f0 proto 12 metric 32 ',
    '1.2.4.0/24 via 10.0.1.2 dev f0 proto 186 ',
    '6 1.2.5.0/24 proto 12 ',
    '1.2.6.0/24 proto 12 ',
    '\tnexthop via 10.0.1.2 dev f0 weight 1 ',
    '\tnexthop via 10.0.1.3 dev f0 weight 1 ',
    '1.2.7.0/24 via 10.0.1.9 dev f0 proto 12 ',
    '10.0.1.0/24 dev f0 proto 2 scope 253 src 10.0.1.1 ',
    '9.9.9.9 via 10.0.1.2 dev f0 proto 12 ',
    '',
  ].join('\n');

  it('parses ip -N route output: type, next hop, device, protocol, multipath, host routes', () => {
    const r = parseRoutes(out);
    expect(r).toHaveLength(7);
    expect(r[0]).toEqual({ prefix: '1.2.3.0/24', via: '10.0.1.2', dev: 'f0', proto: 12, nexthops: 0 });
    expect(r[2]).toEqual({ prefix: '1.2.5.0/24', type: '6', proto: 12, nexthops: 0 });
    expect(r[3]).toEqual({ prefix: '1.2.6.0/24', proto: 12, nexthops: 2 });
    expect(r[6]?.prefix).toBe('9.9.9.9/32');
  });

  it('accepts exactly the expected routes and names every other kind of difference', () => {
    const e = { nextHop: '10.0.1.2', dev: 'f0', protocol: 12 };
    expect(kernelCheckOk(checkKernelRoutes(parseRoutes(out), { ...e, prefixes: ['1.2.3.0/24'] }))).toBe(false); // 9.9.9.9 and others are extra
    const only = parseRoutes('1.2.3.0/24 via 10.0.1.2 dev f0 proto 12 metric 32\n10.0.1.0/24 dev f0 proto 2 scope 253 src 10.0.1.1\n');
    expect(checkKernelRoutes(only, { ...e, prefixes: ['1.2.3.0/24'] })).toEqual({ good: 1, missing: 0, wrong: 0, extra: 0, examples: [] });

    const c = checkKernelRoutes(parseRoutes(out), { ...e, prefixes: ['1.2.3.0/24', '1.2.4.0/24', '1.2.5.0/24', '1.2.6.0/24', '1.2.7.0/24', '1.2.8.0/24'] });
    expect(c).toMatchObject({ good: 1, wrong: 4, missing: 1, extra: 1 });
    expect(kernelCheckOk(c)).toBe(false);
    expect(c.examples).toEqual([
      '1.2.4.0/24: via 10.0.1.2 dev f0 proto 186, expected via 10.0.1.2 dev f0 proto 12',
      '1.2.5.0/24: type 6 proto 12, expected via 10.0.1.2 dev f0 proto 12',
      '1.2.6.0/24: 2 next hops proto 12, expected via 10.0.1.2 dev f0 proto 12',
      '1.2.7.0/24: via 10.0.1.9 dev f0 proto 12, expected via 10.0.1.2 dev f0 proto 12',
      '9.9.9.9/32: via 10.0.1.2 dev f0 proto 12, never sent',
    ]);
    expect(describeKernelCheck(c)).toMatch(/^1 right, 1 missing, 4 with another next hop, device, type or protocol, 1 extra/);
  });
});

describe("a multi-process DUT's memory (FRR bgpd + zebra)", () => {
  it('is the largest sum at one instant, not the sum of each process peak', () => {
    // bgpd peaks while zebra is still small; zebra peaks after bgpd has freed memory.
    const samples = [
      [100, 10],
      [300, 20],
      [200, 250],
      [150, 260],
    ];
    expect(peakOfSums(samples)).toBe(450);
    expect(sumOfPeaks(samples)).toBe(560);
  });

  it('samples all processes together while running and keeps the sum of peaks beside it', () => {
    const samples = [
      [100, 10],
      [300, 20],
      [200, 250],
    ];
    let i = 0;
    const w = new MemoryWatch([1, 2], 1_000_000, () => samples[Math.min(i++, samples.length - 1)] ?? null, (pid) => (pid === 1 ? 300 : 250));
    w.start(); // first sample at start
    w.tick();
    expect(w.stop()).toEqual({ peakBytes: 450, sumOfPeaksBytes: 550, samples: 3 });
  });

  it("is the kernel's VmHWM for a single process, and fails when a process is gone", () => {
    expect(new MemoryWatch([1], 20, () => null, () => 123).start().stop()).toEqual({ peakBytes: 123, sumOfPeaksBytes: 123, samples: 0 });
    expect(() => new MemoryWatch([1, 2], 20, () => [1, 1], (pid) => (pid === 2 ? null : 1)).stop()).toThrow(/process 2 .* is gone/);
  });
});

describe('a baseline build in the plan and the report', () => {
  it('puts wren@<commit> right after wren in every scenario but codec, and rotates it with the others run by run', () => {
    const cells = plan({ scenarios: ['inout', 'kernel', 'codec'], duts: ['wren', 'bird'], n: [100], k: [], runs: 3, baselines: ['wren@abc1234'] });
    const of = (s: string): string[] => cells.filter((c) => c.scenario === s).map((c) => `${c.run}:${c.subject}`);
    expect(of('inout')).toEqual(['1:wren', '1:wren@abc1234', '1:bird', '2:wren@abc1234', '2:bird', '2:wren', '3:bird', '3:wren', '3:wren@abc1234']);
    expect(of('kernel').slice(0, 4)).toEqual(['1:wren', '1:wren@abc1234', '1:bird', '1:ip-batch']);
    expect(of('codec')).toEqual(['1:wren', '2:wren', '3:wren']);
    expect(subjectsFor('reflector', ['bird'], ['wren@abc1234'])).toEqual(['wren@abc1234', 'bird']);
  });

  it('compares wren with its baseline like any other subject (wren / wren@<commit>)', () => {
    const r = (subject: 'wren' | 'wren@abc1234', v: number): RunResult => ({ scenario: 'kernel', subject, size: 10, run: 1, metrics: { install_s: v } });
    const [row] = buildRows([r('wren', 1), r('wren@abc1234', 2)], ['wren', 'wren@abc1234']);
    expect(row?.ratios.get('wren@abc1234')).toBe(0.5);
  });

  it('marks a run with wrong content invalid, without metrics, and shows it as such', () => {
    const base = { scenario: 'inout' as const, subject: 'wren' as const, size: 10, run: 1 };
    const bad = failedRun(base, new InvalidResult('the sink holds 1.0.0.0/24 via 10.0.2.9'), '\nlogs');
    expect(bad).toMatchObject({ metrics: {}, invalid: 'the sink holds 1.0.0.0/24 via 10.0.2.9', error: 'invalid result: the sink holds 1.0.0.0/24 via 10.0.2.9\nlogs' });
    expect(failedRun(base, new Error('timed out'))).toEqual({ ...base, metrics: {}, error: 'timed out' });
    const rows = buildRows([bad, { ...base, run: 2, metrics: { announce_s: 1 } }], ['wren']);
    const summary = rows.find((x) => x.metric.key === 'announce_s')?.cells.get('wren');
    expect(summary).toMatchObject({ runs: 1, failed: 1, invalid: 1 });
    expect(cell(summary)).toBe('1.00 [1 INVALID]');
    expect(cell(buildRows([bad], ['wren'])[0]?.cells.get('wren'))).toBe('INVALID (1)');
    expect(failures([bad])).toEqual(['inout N=10 wren run 1: INVALID: the sink holds 1.0.0.0/24 via 10.0.2.9']);
  });

  it('records both commits, the Node version, the machine and the load', () => {
    const machine: MachineInfo = {
      cpu: 'CPU X',
      cores: 2,
      memoryGb: 8,
      kernel: '6.1',
      os: 'Debian',
      node: 'v20.1.0',
      versions: { wren: 'wren 0.1.0 (Node.js v20.1.0)', bird: 'b', frr: 'f', gobgp: 'g' },
      loadAtStart: 1.5,
    };
    const lines = setupLines({
      machine,
      commit: { id: 'a'.repeat(40), short: 'aaaaaaa', subject: 'now', dirty: true },
      baseline: { commit: { id: 'b'.repeat(40), short: 'bbbbbbb', subject: 'before', dirty: false }, subject: 'wren@bbbbbbb', dependencies: 'linked', buildSeconds: 14 },
      loadAtEnd: 2.25,
      results: [
        { scenario: 'inout', subject: 'wren', size: 1, run: 1, metrics: {}, load: 1.5 },
        { scenario: 'inout', subject: 'wren', size: 1, run: 2, metrics: {}, load: 3 },
      ],
    });
    const text = lines.map(([k, v]) => `${k}: ${v}`).join('\n');
    expect(text).toContain('wren: aaaaaaa+changes (aaaaaaaaaaaa, "now")');
    expect(text).toContain('wren@bbbbbbb: bbbbbbb (bbbbbbbbbbbb, "before"), built in a temporary worktree (dependencies linked, 14 s)');
    expect(text).toContain('Node.js: v20.1.0');
    expect(text).toContain('machine: CPU X, 2 cores, 8 GiB, Debian, Linux 6.1');
    expect(text).toContain('load average (1 min): 1.50 at start, 2.25 at end; at the start of each run 1.50 to 3.00');
  });
});

describe('the baseline worktree (--baseline)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wren-baseline-test-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const sh = (cwd: string, cmd: string, ...args: string[]): string => {
    const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const gitc = (cwd: string, ...args: string[]): string => sh(cwd, 'git', '-c', 'user.name=t', '-c', 'user.email=t@example.org', '-c', 'commit.gpgsign=false', ...args);
  const pkg = (build: string): string => `${JSON.stringify({ name: 'wren', version: '0.0.0', private: true, scripts: { build } }, null, 2)}\n`;
  const lock = (v: string): string => `${JSON.stringify({ name: 'wren', version: v, lockfileVersion: 3, requires: true, packages: { '': { name: 'wren', version: v } } }, null, 2)}\n`;

  /** A repository with three commits: a good build, a changed lock file, a build that fails. */
  const repo = join(tmp, 'repo');
  mkdirSync(repo);
  gitc(repo, 'init', '-q', '-b', 'main');
  const buildOk = 'mkdir -p dist/cli && echo "// built from $(git rev-parse --short HEAD)" > dist/cli/main.js';
  writeFileSync(join(repo, 'package.json'), pkg(buildOk));
  writeFileSync(join(repo, 'package-lock.json'), lock('0.0.0'));
  gitc(repo, 'add', '.');
  gitc(repo, 'commit', '-q', '-m', 'good');
  const good = gitc(repo, 'rev-parse', '--short', 'HEAD');
  writeFileSync(join(repo, 'package.json'), pkg(buildOk).replace('"0.0.0"', '"0.0.1"'));
  writeFileSync(join(repo, 'package-lock.json'), lock('0.0.1'));
  gitc(repo, 'commit', '-q', '-am', 'new lock');
  const newLock = gitc(repo, 'rev-parse', '--short', 'HEAD');
  writeFileSync(join(repo, 'package.json'), pkg('echo compile error >&2; exit 3').replace('"0.0.0"', '"0.0.1"'));
  gitc(repo, 'commit', '-q', '-am', 'broken build');
  // This checkout's node_modules (the one a baseline with the same lock file links to), and a change.
  mkdirSync(join(repo, 'node_modules'));
  writeFileSync(join(repo, 'package-lock.json'), lock('0.0.0'));
  const worktrees = (): string => gitc(repo, 'worktree', 'list');

  it('records the checkout HEAD and whether its tracked files changed', () => {
    const head = headCommit(repo);
    expect(head).toMatchObject({ subject: 'broken build', dirty: true });
    expect(commitLabel(head)).toMatch(/^[0-9a-f]{7,}\+changes$/);
  });

  it('builds the commit in a temporary worktree, links node_modules when the lock file is the same, and removes it all', () => {
    const lines: string[] = [];
    const b = prepareBaseline(good, { root: repo, log: (l) => lines.push(l), tmp });
    expect(b.subject).toBe(`wren@${good}`);
    expect(b.dependencies).toBe('linked');
    expect(lstatSync(join(b.dir, 'node_modules')).isSymbolicLink()).toBe(true);
    expect(realpathSync(join(b.dir, 'node_modules'))).toBe(realpathSync(join(repo, 'node_modules')));
    expect(readFileSync(b.cli, 'utf8')).toContain(`built from ${good}`);
    expect(worktrees()).toContain(b.dir);
    b.remove();
    b.remove();
    expect(existsSync(b.dir)).toBe(false);
    expect(worktrees()).not.toContain(b.dir);
    expect(existsSync(join(repo, 'node_modules')), "this checkout's node_modules survives").toBe(true);
  });

  it('runs npm ci when the lock file differs', () => {
    const b = prepareBaseline(newLock, { root: repo, log: () => undefined, tmp });
    try {
      expect(b.dependencies).toBe('npm ci');
      const nm = join(b.dir, 'node_modules');
      expect(existsSync(nm) && lstatSync(nm).isSymbolicLink(), 'npm ci installs, nothing is linked').toBe(false);
      expect(existsSync(b.cli)).toBe(true);
    } finally {
      b.remove();
    }
    expect(worktrees()).not.toContain(b.dir);
  }, 60_000);

  it('fails with the build output and removes the worktree when the build fails; refuses what is not a commit', () => {
    expect(() => prepareBaseline('main', { root: repo, log: () => undefined, tmp })).toThrow(/npm run build in .* exited with 3:[\s\S]*compile error/);
    expect(worktrees().split('\n')).toHaveLength(1);
    expect(() => prepareBaseline('no-such-ref', { root: repo, log: () => undefined, tmp })).toThrow(/--baseline no-such-ref: not a commit/);
  }, 60_000);
});

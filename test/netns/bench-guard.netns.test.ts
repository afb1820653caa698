/**
 * The benchmark's regression guard (issue "benchmark", item 4) and its honesty checks (issue 14,
 * item 3), in namespaces, at N=2000 against wren alone. Timing is printed, never asserted.
 *
 *   node dist-tools/tools/bench/main.js --scenario inout,kernel --n 2000 --runs 1 --dut wren --json <tmp>
 *
 * 1. inout and kernel run to the end without an error; the sink's content digest equals the
 *    feeder's table as wren should pass it on, every FIB route has the right next hop and protocol
 *    (and the ip -batch floor's too); the JSON records the commit, Node version, machine and load.
 * 2. The same with `--expect-wrong-next-hop` (a self-test): every run must come out INVALID, with
 *    the wrong next hop in the reason and no metric, and the bench must exit 1.
 * 3. `--baseline HEAD~1` (HEAD in a clone without a parent): wren built from that commit in a
 *    temporary worktree runs as `wren@<short>` beside wren, and the worktree is gone afterwards.
 * 4. reflector-addpath (ADD-PATH, RFC 7911) at K=20 against wren, BIRD and FRR: every session
 *    negotiated ADD-PATH, every client converged on the other blocks and the shared prefix's paths
 *    (an announcer 3, or 4 with FRR, which sends a path back to its sender), and the same run with
 *    `--expect-wrong-next-hop` comes out INVALID for each, with the path in the reason.
 *
 * Needs root and `ip netns` (lib/requirements.ts: skipped with the reason, or failing under CI=true)
 * and the build (`npm test` builds first). The pure pieces of the bench are unit tests:
 * test/unit/bench/bench.test.ts and test/unit/bench/honest.test.ts.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { builtTool, REPO_ROOT } from '../../tools/kit/paths.js';
import { BIRD_INSTALLED, describeNetns, FRR_INSTALLED, NETNS } from './lib/requirements.js';

const MAIN = builtTool('bench/main.js');

const tmp = mkdtempSync(join(tmpdir(), 'wren-bench-guard-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface BenchResult {
  readonly scenario: string;
  readonly subject: string;
  readonly size: number;
  readonly metrics: Record<string, number>;
  readonly error?: string;
  readonly invalid?: string;
  readonly load?: number;
  readonly info?: Record<string, number | string>;
}

interface BenchJson {
  readonly commit: { id: string; short: string; dirty: boolean };
  readonly baseline?: { commit: { id: string; short: string }; subject: string; dependencies: string };
  readonly machine: { node: string; cpu: string; cores: number; loadAtStart: number };
  readonly loadAtEnd: number;
  readonly subjects: readonly string[];
  readonly results: readonly BenchResult[];
}

const git = (...args: string[]): string => spawnSync('git', ['-C', REPO_ROOT, ...args], { encoding: 'utf8' }).stdout.trim();

function bench(name: string, args: readonly string[], timeoutMs: number): { r: SpawnSyncReturns<string>; out: BenchJson | undefined } {
  expect(existsSync(MAIN), `${MAIN} is missing: run npm run build`).toBe(true);
  const json = join(tmp, `${name}.json`);
  const r = spawnSync(process.execPath, [MAIN, ...args, '--json', json], { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGINT' });
  console.log(r.stdout);
  // No namespace of the bench is left behind.
  const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`wb${(r.pid ?? 0).toString(36)}`));
  expect(left).toEqual([]);
  return { r, out: existsSync(json) ? (JSON.parse(readFileSync(json, 'utf8')) as BenchJson) : undefined };
}

const SMALL = ['--scenario', 'inout,kernel', '--n', '2000', '--runs', '1', '--dut', 'wren'];

describeNetns('npm run bench at N=2000 against wren: runs, checks content, records its setup', [NETNS], () => {
  it('runs inout and kernel to the end; the sink and the FIB hold exactly the feeder table; commit, Node, machine and load recorded', () => {
    const { r, out } = bench('guard', SMALL, 180_000);
    expect(r.status, `bench exited with ${r.status} ${r.signal ?? ''}\n${r.stdout}\n${r.stderr}`).toBe(0);
    if (!out) throw new Error('no JSON written');
    expect(out.results.map((x) => `${x.scenario} ${x.subject}`).sort()).toEqual(['inout wren', 'kernel ip-batch', 'kernel wren']);
    for (const res of out.results) {
      expect(res.error, `${res.scenario} ${res.subject}`).toBeUndefined();
      expect(res.invalid).toBeUndefined();
      expect(res.load).toBeGreaterThanOrEqual(0);
    }
    const inout = out.results.find((x) => x.scenario === 'inout');
    expect(Object.keys(inout?.metrics ?? {}).sort()).toEqual(['announce_s', 'cpu_s', 'rss_after_mb', 'rss_idle_mb', 'rss_mb', 'withdraw_s']);
    // Memory before the first route and after the last withdrawal: plausible resident sizes of a Node process.
    for (const k of ['rss_idle_mb', 'rss_after_mb'] as const) expect(inout?.metrics[k], k).toBeGreaterThan(20);
    expect(inout?.info?.['sinkDigest']).toMatch(/^2000:[0-9a-f]{16}$/);
    expect(inout?.info?.['sinkDigest']).toBe(inout?.info?.['expectedDigest']);
    for (const k of out.results.filter((x) => x.scenario === 'kernel')) expect(k.info?.['fibRight'], k.subject).toBe(2000);
    expect(out.commit.id).toBe(git('rev-parse', 'HEAD'));
    expect(out.machine.node).toBe(process.version);
    expect(out.machine.cores).toBeGreaterThan(0);
    expect(out.machine.loadAtStart).toBeGreaterThanOrEqual(0);
    expect(out.loadAtEnd).toBeGreaterThanOrEqual(0);
    expect(r.stdout).toMatch(/^wren: [0-9a-f]{7,}/m);
    expect(r.stdout).toMatch(/^load average \(1 min\): /m);
    // Reported, never asserted: the machine may be busy.
    console.log(`bench guard timing: ${JSON.stringify(out.results.map((x) => [x.scenario, x.subject, x.metrics]))}`);
  }, 200_000);

  it('reports every run INVALID, without a time, when it expects a next hop nobody uses (self-test of the checks)', () => {
    const { r, out } = bench('wrong', [...SMALL, '--expect-wrong-next-hop'], 180_000);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(1);
    if (!out) throw new Error('no JSON written');
    expect(out.results).toHaveLength(3);
    for (const res of out.results) {
      expect(res.metrics, `${res.scenario} ${res.subject}`).toEqual({});
      expect(res.invalid, `${res.scenario} ${res.subject}: ${res.error ?? ''}`).toMatch(res.scenario === 'inout' ? /with other attributes; .*expected via 10\.0\.2\.99 path 65000 65001/ : /2000 with another next hop.*expected via 10\.0\.1\.99 dev f0/);
    }
    expect(r.stdout).toMatch(/INVALID \(1\)/);
  }, 200_000);

  it('--baseline builds the parent commit in a temporary worktree, runs it as wren@<short> beside wren, and removes the worktree', () => {
    const ref = git('rev-parse', '--verify', '--quiet', 'HEAD~1^{commit}') !== '' ? 'HEAD~1' : 'HEAD';
    const id = git('rev-parse', `${ref}^{commit}`);
    const { r, out } = bench('baseline', ['--scenario', 'inout', '--n', '2000', '--runs', '1', '--dut', 'wren', '--baseline', ref], 300_000);
    expect(r.status, `bench exited with ${r.status} ${r.signal ?? ''}\n${r.stdout}\n${r.stderr}`).toBe(0);
    if (!out) throw new Error('no JSON written');
    expect(out.baseline?.commit.id).toBe(id);
    const subject = `wren@${out.baseline?.commit.short ?? ''}`;
    expect(out.baseline?.subject).toBe(subject);
    expect(out.subjects).toEqual(['wren', subject]);
    const base = out.results.find((x) => x.subject === subject);
    expect(base?.error).toBeUndefined();
    expect(base?.info?.['sinkDigest']).toBe(base?.info?.['expectedDigest']);
    expect(r.stdout).toContain(`wren/${subject}`);
    const dir = /baseline: git worktree add --detach (\S+) /.exec(r.stdout)?.[1];
    expect(dir, 'the bench names its worktree').toBeDefined();
    expect(existsSync(dir ?? '/'), `${dir} is removed`).toBe(false);
    expect(git('worktree', 'list')).not.toContain(dir ?? '/');
  }, 320_000);
});

const ADDPATH = ['--scenario', 'reflector-addpath', '--k', '20', '--runs', '1', '--dut', 'wren,bird,frr'];

describeNetns('npm run bench, reflector-addpath at K=20 against wren, BIRD and FRR: converges on every path, checks next hops', [NETNS, BIRD_INSTALLED, FRR_INSTALLED], () => {
  it('every client holds the other 19 blocks and exactly the paths of the shared prefix it should, over ADD-PATH sessions', () => {
    const { r, out } = bench('addpath', ADDPATH, 120_000);
    expect(r.status, `bench exited with ${r.status} ${r.signal ?? ''}\n${r.stdout}\n${r.stderr}`).toBe(0);
    if (!out) throw new Error('no JSON written');
    expect(out.subjects).toEqual(['wren', 'bird', 'frr']);
    for (const res of out.results) {
      expect(res.scenario).toBe('reflector-addpath');
      expect(res.error, res.subject).toBeUndefined();
      expect(Object.keys(res.metrics).sort()).toEqual(['converge_s', 'cpu_s', 'establish_s', 'rss_mb']);
      expect(res.info?.['addPathReceive'], res.subject).toBe(20);
      // Announcers get the 3 other paths (4 from FRR, their own included); everyone else 4.
      expect([res.info?.['minSharedPaths'], res.info?.['maxSharedPaths']], res.subject).toEqual(res.subject === 'frr' ? [4, 4] : [3, 4]);
    }
    console.log(`bench guard timing (reflector-addpath): ${JSON.stringify(out.results.map((x) => [x.subject, x.metrics]))}`);
  }, 130_000);

  it('reports every run INVALID when the first announcer\'s next hop is not the one expected (self-test of the path check)', () => {
    const { r, out } = bench('addpath-wrong', [...ADDPATH, '--expect-wrong-next-hop'], 120_000);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(1);
    if (!out) throw new Error('no JSON written');
    expect(out.results).toHaveLength(3);
    for (const res of out.results) {
      expect(res.metrics, res.subject).toEqual({});
      expect(res.invalid, `${res.subject}: ${res.error ?? ''}`).toMatch(/wrong path\(s\); first: client 10\.2\.0\.\d+: 100\.127\.255\.0\/24 path id \d+ via 10\.2\.0\.2, which is no announcer's next hop/);
    }
  }, 130_000);
});

#!/usr/bin/env node
/**
 * `npm run bench` — wren side by side with BIRD 2, FRR and GoBGP, measured in one run.
 *
 *   npm run bench                                          every scenario, default sizes, 3 runs each
 *   npm run bench -- --scenario inout --n 100000 --runs 3  one scenario, one size
 *   npm run bench -- --scenario inout --n 2000 --runs 1 --dut wren   the CI guard
 *   npm run bench -- --scenario bfd-load --n 1000000 --runs 1 --dut wren   BFD to FRR while 1M routes pass (docs/bfd.md)
 *   npm run bench -- --write-doc --cpu-prof                 also rewrite docs/benchmarks.md, with a profile
 *   npm run bench -- --scenario kernel --n 100000 --dut wren,bird --baseline main   before/after, interleaved
 *
 * Everything runs in network namespaces the bench creates and removes (also on Ctrl-C); it never
 * touches the root namespace's addresses or routes, and stops only processes it started. Every
 * wait is bounded: a run that cannot finish fails with a reason, and the bench moves on. Results are
 * printed as a table and written as JSON (bench/results/<date>.json unless --json says otherwise),
 * both with the commit(s), Node version, machine and load they were measured with. A run whose
 * result has the wrong content (the sink's routes, the FIB) is invalid: no time is reported for it.
 * Exit status 1 when any run failed or was invalid.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { readProfile, summarizeProfile, formatProfile, type ProfileSummary } from './cpu-profile.js';
import { prepareBaseline, type Baseline } from './baseline.js';
import { setupLines, writeDoc, type BaselineInfo } from './doc.js';
import { headCommit } from './git.js';
import { netnsProblem } from '../kit/netns.js';
import { REPO_ROOT } from '../kit/paths.js';
import { DUT_KINDS, dutProblem, type DutKind } from './dut.js';
import { failures, num, textTable } from './format.js';
import { machineInfo } from './machine.js';
import { plan, subjectsFor, type Cell } from './plan.js';
import { runBfdLoad } from './scenarios/bfd-load.js';
import { runCodec } from './scenarios/codec.js';
import { runDatastore } from './scenarios/datastore.js';
import { runIdle } from './scenarios/idle.js';
import { runInout } from './scenarios/inout.js';
import { runKernel } from './scenarios/kernel.js';
import { runReflector, runReflectorAddPath } from './scenarios/reflector.js';
import { DEFAULT_SCENARIOS, dutRef, SCENARIOS, sizedByK, sizeLabel, type DutRef, type RunResult, type ScenarioName, type ScenarioOptions, type Subject } from './scenarios/types.js';
import { buildRows } from './stats.js';

const ROOT = REPO_ROOT;

const list =
  <T extends string>(allowed: readonly T[], what: string) =>
  (v: string): T[] => {
    const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    for (const i of items) if (!allowed.includes(i as T)) throw new InvalidArgumentError(`unknown ${what} "${i}" (one of ${allowed.join(', ')})`);
    return items as T[];
  };

const sizes =
  (min: number, max: number) =>
  (v: string): number[] => {
    const items = v.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
    for (const n of items) if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected integers ${min}..${max}, comma-separated`);
    return items;
  };

const positive = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
};

interface Options {
  readonly scenario: ScenarioName[];
  readonly dut: DutKind[];
  readonly n: number[];
  readonly k: number[];
  readonly nodes: number[];
  readonly runs: number;
  readonly seed: number;
  readonly timeoutScale: number;
  readonly json?: string;
  readonly writeDoc: boolean;
  readonly cpuProf: boolean;
  readonly profileN?: number;
  readonly keep: boolean;
  readonly installMissing: boolean;
  readonly baseline?: string;
  readonly expectWrongNextHop: boolean;
}

const PACKAGES: Readonly<Record<Exclude<DutKind, 'wren'>, string>> = { bird: 'bird2', frr: 'frr', gobgp: 'gobgpd' };

/** apt-get install of the missing daemons' Debian packages (their system services are stopped again). */
function installMissing(kinds: readonly DutKind[]): void {
  const pkgs = kinds.flatMap((k) => (k !== 'wren' && dutProblem(k) !== null ? [PACKAGES[k]] : []));
  if (pkgs.length === 0) return;
  console.log(`installing ${pkgs.join(' ')} from Debian...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
  if (r.status !== 0) throw new Error(`apt-get install ${pkgs.join(' ')} failed`);
  for (const svc of ['bird', 'frr', 'gobgpd']) spawnSync('systemctl', ['stop', svc], { stdio: 'ignore' });
}

function describe(r: RunResult): string {
  if (r.invalid !== undefined) return `INVALID: ${r.invalid.split('\n')[0]}`;
  if (r.error !== undefined) return `FAILED: ${r.error.split('\n')[0]}`;
  return Object.entries(r.metrics)
    .map(([k, v]) => `${k} ${num(v)}`)
    .join(', ');
}

/** The daemon a cell's subject names: one of the DUT kinds, or the baseline build of wren. */
function refOf(subject: Subject, baseline: Baseline | undefined): DutRef {
  if (baseline !== undefined && subject === baseline.subject) return { kind: 'wren', subject, cli: baseline.cli };
  if (subject === 'ip-batch' || subject.startsWith('wren@')) throw new Error(`no daemon for subject ${subject}`);
  return dutRef(subject as DutKind);
}

async function runCell(c: Cell, o: ScenarioOptions, baseline: Baseline | undefined): Promise<RunResult> {
  switch (c.scenario) {
    case 'inout':
      return runInout(refOf(c.subject, baseline), c.size, c.run, o);
    case 'kernel':
      return runKernel(c.subject === 'ip-batch' ? 'ip-batch' : refOf(c.subject, baseline), c.size, c.run, o);
    case 'reflector':
      return runReflector(refOf(c.subject, baseline), c.size, c.run, o);
    case 'reflector-addpath':
      return runReflectorAddPath(refOf(c.subject, baseline), c.size, c.run, o);
    case 'idle':
      return runIdle(refOf(c.subject, baseline), c.run, o);
    case 'codec':
      return runCodec(c.size, c.run, o);
    case 'bfd-load':
      return runBfdLoad(c.size, c.run, o);
    case 'datastore':
      return runDatastore(c.size, c.run, o);
  }
}

type Profiled = 'inout' | 'kernel' | 'reflector' | 'reflector-addpath';
const PROFILED: readonly Profiled[] = ['inout', 'kernel', 'reflector', 'reflector-addpath'];

export interface ProfileRun {
  readonly scenario: Profiled;
  readonly n: number;
  readonly file: string;
  readonly summary: ProfileSummary;
}

/** One extra run of wren under node --cpu-prof (not counted in the table); the summary of its profile. */
async function profileWren(scenario: Profiled, n: number, o: ScenarioOptions, dir: string): Promise<ProfileRun | undefined> {
  mkdirSync(dir, { recursive: true });
  console.log(`\nprofiling wren: ${scenario} ${sizeLabel(scenario, n)} under node --cpu-prof (profile in ${dir})`);
  const r = await runCell({ scenario, subject: 'wren', size: n, run: 0 }, { ...o, cpuProfileDir: dir }, undefined);
  console.log(`  ${describe(r)}`);
  // One file per thread (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile): the main thread's is thread 0; the
  // writer worker's (netlink-writer.ts) would otherwise sort last.
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  const file = files.filter((f) => /\.0\.\d+\.cpuprofile$/.test(f)).at(-1) ?? files.at(-1);
  if (file === undefined) {
    console.log('  no .cpuprofile was written (did wren exit cleanly on SIGTERM?)');
    return undefined;
  }
  const summary = summarizeProfile(readProfile(join(dir, file)), ROOT);
  console.log(formatProfile(summary));
  return { scenario, n, summary, file: join(dir, file).replace(`${ROOT}/`, '') };
}

async function main(opts: Options): Promise<number> {
  // Ctrl-C and SIGTERM end through process.exit, so every exit handler runs: the labs' (namespaces,
  // processes) and the baseline's (its temporary worktree), also while a build is running.
  for (const [sig, n] of [['SIGINT', 2], ['SIGTERM', 15]] as const) process.once(sig, () => process.exit(128 + n));
  let baseline: Baseline | undefined;
  try {
    return await measure(opts, (b) => (baseline = b));
  } finally {
    baseline?.remove();
  }
}

async function measure(opts: Options, keepBaseline: (b: Baseline) => void): Promise<number> {
  const needNetns = opts.scenario.some((s) => s !== 'codec');
  if (needNetns) {
    const why = netnsProblem();
    if (why) {
      console.error(`bench: cannot run the namespace scenarios: ${why}`);
      return 2;
    }
    if (opts.installMissing) installMissing(opts.dut);
    const missing = opts.dut.flatMap((k) => {
      const p = dutProblem(k);
      return p === null ? [] : [`${k}: ${p}`];
    });
    // bfd-load's BFD peer is FRR (bgpd + bfdd), whatever --dut says.
    const frr = opts.scenario.includes('bfd-load') && !opts.dut.includes('frr') ? dutProblem('frr') : null;
    if (frr !== null) missing.push(`frr (for bfd-load): ${frr}`);
    if (missing.length > 0) {
      console.error(`bench: missing daemons (run with --install-missing, or bash scripts/setup.sh):\n  ${missing.join('\n  ')}`);
      return 2;
    }
  }
  const commit = headCommit(ROOT);
  const baseline = opts.baseline === undefined ? undefined : prepareBaseline(opts.baseline, { root: ROOT, log: (l) => console.log(l) });
  if (baseline) keepBaseline(baseline);
  const baselineInfo: BaselineInfo | undefined = baseline && { commit: baseline.commit, subject: baseline.subject, dependencies: baseline.dependencies, buildSeconds: baseline.buildSeconds };
  const baselines = baseline ? [baseline.subject] : [];
  const machine = machineInfo();
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const cells = plan({ scenarios: opts.scenario, duts: opts.dut, n: opts.n, k: opts.k, nodes: opts.nodes, runs: opts.runs, baselines });
  const so: ScenarioOptions = { seed: opts.seed, timeoutScale: opts.timeoutScale, keep: opts.keep, log: (l) => console.log(l), expectWrongNextHop: opts.expectWrongNextHop };
  if (opts.expectWrongNextHop) console.log('self-test (--expect-wrong-next-hop): every inout, kernel and reflector-addpath run must come out INVALID');
  console.log(`wren bench: ${cells.length} runs of wren ${commit.short}${commit.dirty ? ' (with uncommitted changes)' : ''}${baseline ? ` and ${baseline.subject}` : ''} on ${machine.cpu} (${machine.cores} cores), load ${machine.loadAtStart.toFixed(2)}`);
  if (machine.loadAtStart > machine.cores / 2) console.log('  note: the machine is busy; numbers are indicative only');

  const results: RunResult[] = [];
  for (const [i, c] of cells.entries()) {
    const tag = `[${i + 1}/${cells.length}] ${c.scenario} ${sizeLabel(c.scenario, c.size)} run ${c.run} ${c.subject}`;
    const t0 = performance.now();
    const load = loadavg()[0] ?? 0;
    const r = { ...(await runCell(c, so, baseline)), load };
    results.push(r);
    console.log(`${tag}: ${describe(r)} (${((performance.now() - t0) / 1000).toFixed(1)} s, load ${load.toFixed(2)})`);
  }

  const subjects: Subject[] = [...new Set(opts.scenario.flatMap((s) => subjectsFor(s, opts.dut, baselines)))];
  const order: Subject[] = ['wren', ...baselines, 'bird', 'frr', 'gobgp', 'ip-batch'];
  subjects.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const rows = buildRows(results, subjects);
  const loadAtEnd = loadavg()[0] ?? 0;
  const setup = setupLines({ machine, commit, ...(baselineInfo ? { baseline: baselineInfo } : {}), loadAtEnd, results });
  console.log(`\n${setup.map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${textTable(rows, subjects)}`);
  const failed = failures(results);
  if (failed.length > 0) console.log(`\nfailed runs:\n  ${failed.join('\n  ')}`);

  const profiles: ProfileRun[] = [];
  if (opts.cpuProf && opts.dut.includes('wren')) {
    for (const scenario of PROFILED) {
      if (!opts.scenario.includes(scenario)) continue;
      const dir = join(ROOT, 'bench', 'results', 'profiles', `${date.replace(/:/g, '')}-${scenario}`);
      const size = sizedByK(scenario) ? Math.max(...opts.k) : (opts.profileN ?? Math.max(...opts.n));
      const p = await profileWren(scenario, size, so, dir);
      if (p) profiles.push(p);
    }
  }

  const report = { date, command, machine, commit, ...(baselineInfo ? { baseline: baselineInfo } : {}), loadAtEnd, runs: opts.runs, rows, subjects, results, profiles };
  const jsonPath = opts.json ?? join(ROOT, 'bench', 'results', `${date.replace(/:/g, '')}.json`);
  mkdirSync(dirname(jsonPath), { recursive: true });
  const rowsJson = rows.map((r) => ({ ...r, cells: Object.fromEntries(r.cells), ratios: Object.fromEntries(r.ratios) }));
  writeFileSync(jsonPath, `${JSON.stringify({ ...report, rows: rowsJson }, null, 2)}\n`);
  console.log(`\nresults: ${jsonPath}`);
  if (opts.writeDoc) {
    const doc = join(ROOT, 'docs', 'benchmarks.md');
    writeDoc(doc, report);
    console.log(`updated ${doc}`);
  }
  return failed.length > 0 ? 1 : 0;
}

const program = new Command('bench')
  .description('wren side by side with BIRD 2, FRR and GoBGP, in network namespaces')
  .option('--scenario <list>', `comma-separated: ${SCENARIOS.join(', ')}`, list(SCENARIOS, 'scenario'), [...DEFAULT_SCENARIOS])
  .option('--dut <list>', `daemons under test: ${DUT_KINDS.join(', ')}`, list(DUT_KINDS, 'daemon'), [...DUT_KINDS])
  .option('--n <list>', 'routes for inout, kernel and codec', sizes(1, 5_000_000), [100_000, 1_000_000])
  .option('--k <list>', 'reflector clients', sizes(2, 4000), [100, 200, 500, 1000])
  .option('--nodes <list>', 'Node resources in etcd for the datastore scenario', sizes(1, 20_000), [1000])
  .option('--runs <n>', 'runs of every cell (the table shows median and range)', (v) => sizes(1, 100)(v)[0] ?? 3, 3)
  .option('--seed <n>', 'seed of the generated table', (v) => sizes(0, 2 ** 31)(v)[0] ?? 1, 1)
  .option('--timeout-scale <x>', 'multiply every timeout (slow machines)', positive, 1)
  .option('--json <file>', 'write results here (default bench/results/<date>.json)')
  .option('--write-doc', 'rewrite the results section of docs/benchmarks.md', false)
  .option('--cpu-prof', 'also profile wren (node --cpu-prof) in one extra run of each scenario measured (largest N or --profile-n; largest K)', false)
  .option('--profile-n <n>', 'N of the profiled inout and kernel runs', (v) => sizes(1, 5_000_000)(v)[0] ?? 100_000)
  .option('--keep', 'keep each lab directory (configs, logs) under the temp directory', false)
  .option('--install-missing', 'apt-get install the Debian packages of missing daemons', false)
  .option('--baseline <commit>', 'also measure wren built from <commit> (a temporary git worktree), as wren@<short>, run by run with the others')
  .addOption(new Option('--expect-wrong-next-hop', 'self-test of the content checks: every inout, kernel and reflector-addpath run must come out invalid').default(false).hideHelp())
  .action(async (o: Options) => {
    process.exitCode = await main(o);
  });

await program.parseAsync(process.argv);

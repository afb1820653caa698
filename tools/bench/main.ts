#!/usr/bin/env node
/**
 * `npm run bench` — wren side by side with BIRD 2, FRR and GoBGP, measured in one run.
 *
 *   npm run bench                                          every scenario, default sizes, 3 runs each
 *   npm run bench -- --scenario inout --n 100000 --runs 3  one scenario, one size
 *   npm run bench -- --scenario inout --n 2000 --runs 1 --dut wren   the CI guard
 *   npm run bench -- --write-doc --cpu-prof                 also rewrite docs/benchmarks.md, with a profile
 *
 * Everything runs in network namespaces the bench creates and removes (also on Ctrl-C); it never
 * touches the root namespace's addresses or routes, and stops only processes it started. Every
 * wait is bounded: a run that cannot finish fails with a reason, and the bench moves on. Results are
 * printed as a table and written as JSON (bench/results/<date>.json unless --json says otherwise).
 * Exit status 1 when any run failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { readProfile, summarizeProfile, formatProfile, type ProfileSummary } from './cpu-profile.js';
import { writeDoc } from './doc.js';
import { netnsProblem } from '../kit/netns.js';
import { REPO_ROOT } from '../kit/paths.js';
import { DUT_KINDS, dutProblem, type DutKind } from './dut.js';
import { failures, num, textTable } from './format.js';
import { machineInfo } from './machine.js';
import { plan, subjectsFor, type Cell } from './plan.js';
import { runCodec } from './scenarios/codec.js';
import { runDatastore } from './scenarios/datastore.js';
import { runInout } from './scenarios/inout.js';
import { runKernel } from './scenarios/kernel.js';
import { runReflector } from './scenarios/reflector.js';
import { SCENARIOS, type RunResult, type ScenarioName, type ScenarioOptions, type Subject } from './scenarios/types.js';
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
  if (r.error !== undefined) return `FAILED: ${r.error.split('\n')[0]}`;
  return Object.entries(r.metrics)
    .map(([k, v]) => `${k} ${num(v)}`)
    .join(', ');
}

async function runCell(c: Cell, o: ScenarioOptions): Promise<RunResult> {
  switch (c.scenario) {
    case 'inout':
      return runInout(c.subject as DutKind, c.size, c.run, o);
    case 'kernel':
      return runKernel(c.subject, c.size, c.run, o);
    case 'reflector':
      return runReflector(c.subject as DutKind, c.size, c.run, o);
    case 'codec':
      return runCodec(c.size, c.run, o);
    case 'datastore':
      return runDatastore(c.size, c.run, o);
  }
}

type Profiled = 'inout' | 'kernel' | 'reflector';

export interface ProfileRun {
  readonly scenario: Profiled;
  readonly n: number;
  readonly file: string;
  readonly summary: ProfileSummary;
}

/** One extra run of wren under node --cpu-prof (not counted in the table); the summary of its profile. */
async function profileWren(scenario: Profiled, n: number, o: ScenarioOptions, dir: string): Promise<ProfileRun | undefined> {
  mkdirSync(dir, { recursive: true });
  console.log(`\nprofiling wren: ${scenario} ${scenario === 'reflector' ? 'K' : 'N'}=${n} under node --cpu-prof (profile in ${dir})`);
  const opts = { ...o, cpuProfileDir: dir };
  const r =
    scenario === 'inout' ? await runInout('wren', n, 0, opts) : scenario === 'kernel' ? await runKernel('wren', n, 0, opts) : await runReflector('wren', n, 0, opts);
  console.log(`  ${describe(r)}`);
  const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().at(-1);
  if (file === undefined) {
    console.log('  no .cpuprofile was written (did wren exit cleanly on SIGTERM?)');
    return undefined;
  }
  const summary = summarizeProfile(readProfile(join(dir, file)), ROOT);
  console.log(formatProfile(summary));
  return { scenario, n, summary, file: join(dir, file).replace(`${ROOT}/`, '') };
}

async function main(opts: Options): Promise<number> {
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
    if (missing.length > 0) {
      console.error(`bench: missing daemons (run with --install-missing, or bash scripts/setup.sh):\n  ${missing.join('\n  ')}`);
      return 2;
    }
  }
  const machine = machineInfo();
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const cells = plan({ scenarios: opts.scenario, duts: opts.dut, n: opts.n, k: opts.k, nodes: opts.nodes, runs: opts.runs });
  const so: ScenarioOptions = { seed: opts.seed, timeoutScale: opts.timeoutScale, keep: opts.keep, log: (l) => console.log(l) };
  console.log(`wren bench: ${cells.length} runs on ${machine.cpu} (${machine.cores} cores), load ${machine.loadAtStart.toFixed(2)}`);
  if (machine.loadAtStart > machine.cores / 2) console.log('  note: the machine is busy; numbers are indicative only');

  const results: RunResult[] = [];
  for (const [i, c] of cells.entries()) {
    const tag = `[${i + 1}/${cells.length}] ${c.scenario} ${c.scenario === 'reflector' ? 'K' : c.scenario === 'datastore' ? 'nodes' : 'N'}=${c.size} run ${c.run} ${c.subject}`;
    const t0 = performance.now();
    const r = await runCell(c, so);
    results.push(r);
    console.log(`${tag}: ${describe(r)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }

  const subjects: Subject[] = [...new Set(opts.scenario.flatMap((s) => subjectsFor(s, opts.dut)))];
  const order: Subject[] = ['wren', 'bird', 'frr', 'gobgp', 'ip-batch'];
  subjects.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const rows = buildRows(results, subjects);
  console.log(`\n${textTable(rows, subjects)}`);
  const failed = failures(results);
  if (failed.length > 0) console.log(`\nfailed runs:\n  ${failed.join('\n  ')}`);

  const profiles: ProfileRun[] = [];
  if (opts.cpuProf && opts.dut.includes('wren')) {
    for (const scenario of ['inout', 'kernel', 'reflector'] as const) {
      if (!opts.scenario.includes(scenario)) continue;
      const dir = join(ROOT, 'bench', 'results', 'profiles', `${date.replace(/:/g, '')}-${scenario}`);
      const size = scenario === 'reflector' ? Math.max(...opts.k) : (opts.profileN ?? Math.max(...opts.n));
      const p = await profileWren(scenario, size, so, dir);
      if (p) profiles.push(p);
    }
  }

  const report = { date, command, machine, loadAtEnd: loadavg()[0] ?? 0, runs: opts.runs, rows, subjects, results, profiles };
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
  .option('--scenario <list>', `comma-separated: ${SCENARIOS.join(', ')}`, list(SCENARIOS, 'scenario'), [...SCENARIOS])
  .option('--dut <list>', `daemons under test: ${DUT_KINDS.join(', ')}`, list(DUT_KINDS, 'daemon'), [...DUT_KINDS])
  .option('--n <list>', 'routes for inout, kernel and codec', sizes(1, 5_000_000), [100_000, 1_000_000])
  .option('--k <list>', 'reflector clients', sizes(2, 4000), [100, 200, 500, 1000])
  .option('--nodes <list>', 'Node resources in etcd for the datastore scenario', sizes(1, 20_000), [1000])
  .option('--runs <n>', 'runs of every cell (the table shows median and range)', (v) => sizes(1, 100)(v)[0] ?? 3, 3)
  .option('--seed <n>', 'seed of the generated table', (v) => sizes(0, 2 ** 31)(v)[0] ?? 1, 1)
  .option('--timeout-scale <x>', 'multiply every timeout (slow machines)', positive, 1)
  .option('--json <file>', 'write results here (default bench/results/<date>.json)')
  .option('--write-doc', 'rewrite the results section of docs/benchmarks.md', false)
  .option('--cpu-prof', 'also profile wren (node --cpu-prof) in one extra inout, kernel and reflector run (largest N or --profile-n; largest K)', false)
  .option('--profile-n <n>', 'N of the profiled inout and kernel runs', (v) => sizes(1, 5_000_000)(v)[0] ?? 100_000)
  .option('--keep', 'keep each lab directory (configs, logs) under the temp directory', false)
  .option('--install-missing', 'apt-get install the Debian packages of missing daemons', false)
  .action(async (o: Options) => {
    process.exitCode = await main(o);
  });

await program.parseAsync(process.argv);

/**
 * `--baseline <commit>`: wren as built from another commit, measured in the same invocation as the
 * current tree (and the other daemons), run by run, so a before/after comparison sees the same
 * machine load on both sides.
 *
 * The commit is checked out with `git worktree add --detach` in a temporary directory and built
 * there with its own `npm run build`. Its dependencies: when its package-lock.json is byte for byte
 * this checkout's, node_modules is a symlink to this checkout's (no install); otherwise `npm ci`
 * installs them. The worktree (and the directory around it) is removed by `remove()`, which the
 * bench calls at the end, on failure, and from an `exit` handler (Ctrl-C included).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitOf, git, type CommitInfo } from './git.js';
import type { BaselineSubject } from './scenarios/types.js';

export interface Baseline {
  readonly commit: CommitInfo;
  /** The name its results carry: `wren@<short commit>`. */
  readonly subject: BaselineSubject;
  /** The worktree. */
  readonly dir: string;
  /** Its built CLI (dist/cli/main.js), what the bench runs as this DUT. */
  readonly cli: string;
  /** How its dependencies came: "linked" (same package-lock.json) or "npm ci". */
  readonly dependencies: 'linked' | 'npm ci';
  /** Seconds its build (and npm ci) took. */
  readonly buildSeconds: number;
  /** Removes the worktree and its directory; idempotent, never throws. */
  remove(): void;
}

export interface BaselineOptions {
  /** The repository (this checkout). */
  readonly root: string;
  readonly log: (line: string) => void;
  /** Where the temporary directory goes (default the OS temp directory). */
  readonly tmp?: string;
  /** The build command run in the worktree (default `npm run build`). */
  readonly build?: readonly string[];
  /** Bound of `npm ci` and of the build, each. */
  readonly timeoutMs?: number;
}

const sameFile = (a: string, b: string): boolean => existsSync(a) && existsSync(b) && readFileSync(a).equals(readFileSync(b));

/** The last lines of a file, for an error message. */
const tail = (file: string, lines = 15): string => {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
};

function run(cmd: readonly string[], cwd: string, logFile: string, timeoutMs: number): void {
  const [bin, ...args] = cmd;
  if (bin === undefined) throw new Error('empty command');
  const r = spawnSync(bin, args, { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 << 20, env: process.env });
  writeFileSync(logFile, `$ ${cmd.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}`, { flag: 'a' });
  if (r.error) throw new Error(`${cmd.join(' ')} in ${cwd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} in ${cwd} exited with ${r.status}:\n${tail(logFile)}`);
}

/** Checks out `ref` in a temporary worktree and builds it. Throws (after removing the worktree) when it cannot. */
export function prepareBaseline(ref: string, o: BaselineOptions): Baseline {
  let commit: CommitInfo;
  try {
    commit = commitOf(o.root, ref);
  } catch (err) {
    throw new Error(`--baseline ${ref}: not a commit of ${o.root} (${err instanceof Error ? err.message : String(err)})`);
  }
  const parent = mkdtempSync(join(o.tmp ?? tmpdir(), `wren-baseline-${commit.short}-`));
  const dir = join(parent, 'wren');
  const log = join(parent, 'build.log');
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    process.off('exit', remove);
    // The symlink first, so nothing can follow it into this checkout's node_modules.
    const nm = join(dir, 'node_modules');
    try {
      if (lstatSync(nm).isSymbolicLink()) unlinkSync(nm);
    } catch {
      // not there
    }
    spawnSync('git', ['-C', o.root, 'worktree', 'remove', '--force', dir], { stdio: 'ignore' });
    rmSync(parent, { recursive: true, force: true });
    spawnSync('git', ['-C', o.root, 'worktree', 'prune'], { stdio: 'ignore' });
  };
  process.on('exit', remove);
  const timeoutMs = o.timeoutMs ?? 15 * 60_000;
  try {
    o.log(`baseline: git worktree add --detach ${dir} ${commit.short} (${commit.subject})`);
    git(o.root, ['worktree', 'add', '--detach', dir, commit.id], 120_000);
    const t0 = performance.now();
    let dependencies: Baseline['dependencies'];
    if (sameFile(join(o.root, 'package-lock.json'), join(dir, 'package-lock.json')) && existsSync(join(o.root, 'node_modules'))) {
      symlinkSync(realpathSync(join(o.root, 'node_modules')), join(dir, 'node_modules'), 'dir');
      dependencies = 'linked';
      o.log('baseline: same package-lock.json: node_modules linked to this checkout\'s');
    } else {
      o.log('baseline: package-lock.json differs: npm ci');
      run(['npm', 'ci', '--no-audit', '--no-fund'], dir, log, timeoutMs);
      dependencies = 'npm ci';
    }
    const build = o.build ?? ['npm', 'run', 'build'];
    o.log(`baseline: ${build.join(' ')}`);
    run(build, dir, log, timeoutMs);
    const cli = join(dir, 'dist', 'cli', 'main.js');
    if (!existsSync(cli)) throw new Error(`the build of ${commit.short} did not produce dist/cli/main.js:\n${tail(log)}`);
    const buildSeconds = (performance.now() - t0) / 1000;
    o.log(`baseline: wren@${commit.short} built in ${buildSeconds.toFixed(1)} s`);
    return { commit, subject: `wren@${commit.short}`, dir, cli, dependencies, buildSeconds, remove };
  } catch (err) {
    remove();
    throw err;
  }
}

/**
 * The lab CLI (`npm run lab`, i.e. `node dist-tools/tools/lab/main.js`) as the lab tests run it,
 * and their cleanup: the CLI starts its daemons (and etcd) detached, so removing a lab here does not
 * rely on it: every process inside one of the lab's namespaces is killed by PID and each namespace
 * deleted.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtTool } from '../../../tools/kit/paths.js';
import { tryExec } from './netns.js';

const LAB_MAIN = builtTool('lab/main.js');

/** Where a lab named `name` keeps its configs, sockets, logs and PIDs. */
export const labRunDir = (name: string): string => `/run/wren-lab/${name}`;

/** Runs the lab CLI to its end (at most 2 minutes): its exit status and everything it printed. */
export function runLab(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [LAB_MAIN, ...args], { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
  return { status: r.status, out: `${r.stdout}${r.stderr}${r.error ? `\n(${r.error.message})` : ''}` };
}

/** Namespaces of a lab named `name`: `<name>-sw`, `<name>-etcd`, `<name>-h<i>`, `<name>-p<i>`. */
export function labNamespaces(name: string): string[] {
  return tryExec(null, 'ip', ['netns', 'list'])
    .stdout.split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n === `${name}-sw` || n === `${name}-etcd` || new RegExp(`^${name}-[hp]\\d+$`).test(n));
}

/** PIDs of processes whose command line names the lab's run directory (wren's `--config <dir>/h<i>.json`). */
export function labProcesses(name: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(`${labRunDir(name)}/`)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Kills what the lab started (by PID: processes inside its namespaces), deletes the namespaces and the run directory. */
export function removeLab(name: string): void {
  for (const ns of labNamespaces(name)) {
    for (const pid of tryExec(null, 'ip', ['netns', 'pids', ns]).stdout.split(/\s+/).filter((s) => /^\d+$/.test(s))) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    tryExec(null, 'ip', ['netns', 'del', ns]);
  }
  rmSync(labRunDir(name), { recursive: true, force: true });
}

/**
 * The benchmark's regression guard (issue "benchmark", item 4): the inout scenario at a small N
 * against wren alone must run to the end without an error. Timing is printed, never asserted.
 *
 *   node dist-tools/tools/bench/main.js --scenario inout --n 2000 --runs 1 --dut wren --json <tmp>
 *
 * Needs root and `ip netns` (lib/requirements.ts: skipped with the reason, or failing under CI=true)
 * and the build (`npm test` builds first). The pure pieces of the bench (table generator, NLRI
 * walker, statistics, plan, config renderers) are unit tests: test/unit/bench/bench.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { builtTool } from '../../tools/kit/paths.js';
import { describeNetns, NETNS } from './lib/requirements.js';

const MAIN = builtTool('bench/main.js');

const tmp = mkdtempSync(join(tmpdir(), 'wren-bench-guard-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface BenchJson {
  readonly results: readonly { subject: string; size: number; metrics: Record<string, number>; error?: string }[];
}

describeNetns('npm run bench, inout at N=2000 against wren alone', [NETNS], () => {
  it('runs to the end without an error and writes every metric', () => {
    expect(existsSync(MAIN), `${MAIN} is missing: run npm run build`).toBe(true);
    const json = join(tmp, 'guard.json');
    const r = spawnSync(process.execPath, [MAIN, '--scenario', 'inout', '--n', '2000', '--runs', '1', '--dut', 'wren', '--json', json], {
      encoding: 'utf8',
      timeout: 180_000,
      killSignal: 'SIGINT',
    });
    console.log(r.stdout);
    expect(r.status, `bench exited with ${r.status} ${r.signal ?? ''}\n${r.stdout}\n${r.stderr}`).toBe(0);
    const out = JSON.parse(readFileSync(json, 'utf8')) as BenchJson;
    expect(out.results).toHaveLength(1);
    const [res] = out.results;
    expect(res?.error).toBeUndefined();
    expect(res?.subject).toBe('wren');
    expect(Object.keys(res?.metrics ?? {}).sort()).toEqual(['announce_s', 'cpu_s', 'rss_mb', 'withdraw_s']);
    // Reported, never asserted: the machine may be busy.
    console.log(`bench guard timing: ${JSON.stringify(res?.metrics)}`);
    // No namespace of the bench is left behind.
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`wb${(r.pid ?? 0).toString(36)}`));
    expect(left).toEqual([]);
  }, 200_000);
});

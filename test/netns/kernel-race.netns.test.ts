/**
 * "A foreign route is never overwritten, even in a race" (docs/kernel.md, docs/decisions/0003).
 *
 * In a namespace with one veth (two possible gateways for our routes, a third for the
 * administrator's), FibSync runs over the real NetlinkKernel inside a driver process
 * (fixtures/kernel-race-driver.ts). A route of ours is installed at an IPv4 and an IPv6 key; then, in
 * each of 200 seeded trials, a foreign route (protocol static, written with NLM_F_REPLACE as
 * `ip route replace ... proto static` does) and a change of our route (FibSync.update: another
 * gateway, ECMP or a blackhole) hit the same key within a millisecond of each other, in a random
 * order: foreign first, ours first, or both in the same tick.
 *
 * The invariant: once the foreign route is written, wren never replaces or deletes it. Whichever
 * lands first, the trial must end with the foreign route holding the key, no notification after
 * its arrival showing a route of ours there or the foreign one deleted, and wren reporting the
 * conflict. (Ours first: the foreign replace overwrites ours, the administrator wins. Foreign
 * first: our change must meet EEXIST.) Between trials the foreign route is deleted and ours must
 * come back.
 *
 * Run (as root): npx vitest run test/netns/kernel-race.netns.test.ts
 * WREN_RACE_SEED=<n> replays another sequence; WREN_RACE_TRIALS=<n> changes the count.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { KernelRoute } from '../../src/kernel/port.js';
import { prng } from '../../src/util/prng.js';
import type { TrialArg, TrialResult } from './fixtures/kernel-race-driver.js';
import { Lab, listNamespaces } from './lib/netns.js';
import { describeNetns, NETNS } from './lib/requirements.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SEED = Number(process.env['WREN_RACE_SEED'] ?? 20240917);
const TRIALS = Number(process.env['WREN_RACE_TRIALS'] ?? 200);

/** JSON lines to the driver child. */
class RaceDriver {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending = new Map<number, (r: { ok: boolean; value?: unknown; error?: { message: string } }) => void>();
  #seq = 0;
  stderr = '';

  constructor(ns: string, bundle: string) {
    this.#child = spawn('ip', ['netns', 'exec', ns, process.execPath, bundle], {
      env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules'), WREN_TCP_ADDON: join(ROOT, 'native', 'build', 'Release', 'wren_tcp.node') },
    });
    this.#child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const r = JSON.parse(line) as { id: number; ok: boolean; value?: unknown; error?: { message: string } };
      this.#pending.get(r.id)?.(r);
    });
  }

  call<T>(op: string, arg?: unknown, timeoutMs = 10_000): Promise<T> {
    const id = this.#seq++;
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`driver ${op} timed out after ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.#pending.set(id, (r) => {
        clearTimeout(t);
        this.#pending.delete(id);
        if (r.ok) resolve(r.value as T);
        else reject(new Error(`driver ${op}: ${r.error?.message ?? 'failed'}`));
      });
      this.#child.stdin.write(`${JSON.stringify({ id, op, arg })}\n`);
    });
  }

  async exit(): Promise<void> {
    const exited = new Promise<void>((r) => (this.#child.exitCode !== null ? r() : this.#child.once('exit', () => r())));
    await this.call('exit', undefined, 2000).catch(() => undefined);
    const t = setTimeout(() => this.#child.pid && this.#child.exitCode === null && process.kill(this.#child.pid, 'SIGKILL'), 2000);
    await exited;
    clearTimeout(t);
  }
}

type Family = 'v4' | 'v6';
type Shape = 'A' | 'B' | 'AB' | 'blackhole';

const GW: Record<Family, { A: string; B: string; foreign: string }> = {
  v4: { A: '192.168.1.11', B: '192.168.1.12', foreign: '192.168.1.200' },
  v6: { A: 'fd00:1::11', B: 'fd00:1::12', foreign: 'fd00:1::200' },
};
const PREFIX: Record<Family, string> = { v4: '172.16.50.0/24', v6: 'fd00:172:50::/64' };
const METRIC: Record<Family, number> = { v4: 0, v6: 1024 };

function ourRoute(f: Family, shape: Shape): KernelRoute {
  const base = { prefix: PREFIX[f], table: 254, protocol: 12, metric: METRIC[f] };
  if (shape === 'blackhole') return { ...base, type: 'blackhole', nextHops: [] };
  const hops = shape === 'AB' ? [GW[f].A, GW[f].B] : [GW[f][shape]];
  return { ...base, type: 'unicast', nextHops: hops.map((via) => ({ via, dev: 'v0' })) };
}

function foreignRoute(f: Family, blackhole: boolean): KernelRoute {
  const base = { prefix: PREFIX[f], table: 254, protocol: 4, metric: METRIC[f] };
  return blackhole ? { ...base, type: 'blackhole', nextHops: [] } : { ...base, type: 'unicast', nextHops: [{ via: GW[f].foreign }] };
}

interface Outcome {
  readonly trial: number;
  readonly family: Family;
  readonly order: TrialArg['order'];
  readonly landed: 'foreign-first' | 'ours-first';
  /** Empty when the invariant held. */
  readonly violations: readonly string[];
}

/** The invariant, from what the kernel announced and holds at the end. */
function judge(r: TrialResult): { landed: Outcome['landed']; violations: string[] } {
  const violations: string[] = [];
  if (r.foreignWrite !== 'ok') violations.push(`the foreign write failed: ${r.foreignWrite}`);
  const fAt = r.events.findIndex((e) => e.kind === 'new' && e.protocol === 4);
  const oursAt = r.events.findIndex((e) => e.kind === 'new' && e.protocol === 12);
  const landed = oursAt >= 0 && (fAt < 0 || oursAt < fAt) ? 'ours-first' : 'foreign-first';
  if (fAt < 0) violations.push('no notification of the foreign route');
  const after = fAt < 0 ? [] : r.events.slice(fAt + 1);
  if (after.some((e) => e.kind === 'new' && e.protocol === 12)) violations.push('a route of ours was written over the foreign one');
  if (after.some((e) => e.kind === 'del' && e.protocol === 4)) violations.push('the foreign route was deleted');
  if (!(r.final.length === 1 && r.final[0]?.protocol === 4)) violations.push(`the key is held by ${JSON.stringify(r.final)}, not the foreign route alone`);
  if (!r.conflictReported) violations.push('wren does not report the conflict');
  if (r.settled !== 'kept') violations.push(`settled: ${r.settled} after ${r.settleMs} ms`);
  return { landed, violations };
}

describeNetns('a foreign route is never overwritten, even in a race', [NETNS], () => {
  let lab: Lab;
  let ns = '';
  let bundleDir = '';
  let d: RaceDriver | undefined;

  beforeAll(async () => {
    bundleDir = mkdtempSync(join(tmpdir(), 'wk-race-'));
    const bundle = join(bundleDir, 'driver.cjs');
    const { build } = await import('esbuild');
    await build({
      entryPoints: [join(ROOT, 'test/netns/fixtures/kernel-race-driver.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['netlink'],
      outfile: bundle,
      logLevel: 'silent',
    });
    lab = new Lab({ id: 'race' });
    ns = lab.addNamespace('k');
    lab.exec(ns, 'ip', ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    for (const dev of ['v0', 'v1']) lab.exec(ns, 'ip', ['link', 'set', dev, 'up']);
    lab.exec(ns, 'ip', ['addr', 'add', '192.168.1.10/24', 'dev', 'v0']);
    lab.exec(ns, 'ip', ['addr', 'add', 'fd00:1::10/64', 'dev', 'v0', 'nodad']);
    d = new RaceDriver(ns, bundle);
  });

  afterAll(async () => {
    await d?.exit();
    await lab?.destroy();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
    if (lab) expect(listNamespaces(lab.prefix)).toEqual([]);
  });

  it(`${TRIALS} trials (seed ${SEED}): the foreign route holds the key and wren reports the conflict`, { timeout: 600_000 }, async () => {
    const drv = d as RaceDriver;
    const rand = prng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    await drv.call('start');
    const current: Record<Family, Shape> = { v4: 'A', v6: 'A' };
    await drv.call('desire', [ourRoute('v4', 'A'), ourRoute('v6', 'A')]);
    for (const f of ['v4', 'v6'] as const) {
      expect(await drv.call('holders', `254|${PREFIX[f]}|${METRIC[f]}`)).toEqual([{ protocol: 12, type: 'unicast', vias: [GW[f].A] }]);
    }

    const outcomes: Outcome[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const family = pick(['v4', 'v6'] as const);
      const shape = pick((['A', 'B', 'AB', 'blackhole'] as const).filter((s) => s !== current[family]));
      const arg: TrialArg = {
        ours: ourRoute(family, shape),
        foreign: foreignRoute(family, rand() < 0.25),
        order: pick(['foreign-first', 'ours-first', 'concurrent'] as const),
        delayUs: Math.round(rand() * 1000),
        foreignCalledFirst: rand() < 0.5,
        settleMs: 3000,
      };
      const r = await drv.call<TrialResult>('trial', arg);
      const { landed, violations } = judge(r);
      outcomes.push({ trial, family, order: arg.order, landed, violations });
      if (violations.length > 0 && outcomes.filter((o) => o.violations.length > 0).length <= 5) {
        console.warn(`trial ${trial} (${family}, ${arg.order}, ${arg.delayUs} us, ${shape}): ${violations.join('; ')}\n  events: ${JSON.stringify(r.events)}`);
      }
      current[family] = shape;
      await drv.call('clear-foreign', { foreign: arg.foreign, ours: arg.ours, timeoutMs: 5000 });
    }

    const bad = outcomes.filter((o) => o.violations.length > 0);
    const overwritten = bad.filter((o) => o.violations.some((v) => v.startsWith('a route of ours was written') || v.startsWith('the foreign route was deleted')));
    const count = (xs: readonly Outcome[], p: (o: Outcome) => boolean): number => xs.filter(p).length;
    const lines = (['foreign-first', 'ours-first', 'concurrent'] as const).map(
      (order) =>
        `  scheduled ${order.padEnd(13)} ${String(count(outcomes, (o) => o.order === order)).padStart(3)} trials, ` +
        `landed foreign-first ${count(outcomes, (o) => o.order === order && o.landed === 'foreign-first')}, ` +
        `violations ${count(bad, (o) => o.order === order)}`,
    );
    console.info(
      `kernel race, seed ${SEED}: ${outcomes.length} trials (v4 ${count(outcomes, (o) => o.family === 'v4')}, v6 ${count(outcomes, (o) => o.family === 'v6')}), ` +
        `foreign route overwritten or deleted in ${overwritten.length}, invariant broken in ${bad.length}\n${lines.join('\n')}`,
    );
    expect(bad.map((o) => `trial ${o.trial} (${o.family}, ${o.order}, landed ${o.landed}): ${o.violations.join('; ')}`)).toEqual([]);
    // The race must really have been run both ways.
    expect(count(outcomes, (o) => o.landed === 'foreign-first')).toBeGreaterThan(TRIALS / 10);
    expect(count(outcomes, (o) => o.landed === 'ours-first')).toBeGreaterThan(TRIALS / 10);
  });
});

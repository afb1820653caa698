/**
 * A wren restart does not drop a route: with the default `kernel.withdrawOnStop: false`, SIGTERM
 * leaves our routes in the FIB, the next run adopts them and keeps them until first convergence,
 * and the routes it learns again are identical, so the kernel never sees a deletion (recorded with
 * `ip monitor route` and a sampling loop). `withdrawOnStop: true` removes them on SIGTERM.
 * Run: npx vitest run --project netns test/netns/fib-restart.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { waitEstablished } from '../../tools/daemons/daemon.js';
import { describeFib, fibRoutes, fibRoutesFor, RouteMonitor, type FibRoute } from './lib/fib.js';
import { labsPerTest } from './lib/lab-scope.js';
import { waitFor } from './lib/netns.js';
import { describeNetns, NETNS } from './lib/requirements.js';
import type { WrenDaemon } from '../../tools/daemons/wren.js';
import { buildPair, startPair, type WrenPair } from './lib/wren-pair.js';

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Our four routes on A: B's blocks via B, and blackholes for A's own blocks. */
function oursOnA(p: WrenPair): Record<string, (r: FibRoute) => boolean> {
  return {
    [p.b.block]: (r) => r.protocol === 'bird' && r.type === 'unicast' && r.gateways.join() === p.b.address,
    [p.b.block6]: (r) => r.protocol === 'bird' && r.type === 'unicast' && r.gateways.join() === p.b.address6,
    [p.a.block]: (r) => r.protocol === 'bird' && r.type === 'blackhole',
    [p.a.block6]: (r) => r.protocol === 'bird' && r.type === 'blackhole',
  };
}

/** What is wrong with A's FIB right now ('' when each of our prefixes has exactly its one expected route). */
function fibProblems(p: WrenPair): string {
  const all = fibRoutes(p.a.ns);
  const problems: string[] = [];
  for (const [prefix, ok] of Object.entries(oursOnA(p))) {
    const rs = all.filter((r) => r.prefix === prefix);
    if (rs.length === 0) problems.push(`${prefix} missing`);
    else if (rs.length > 1) problems.push(`${prefix} duplicated: ${JSON.stringify(rs)}`);
    else if (rs[0] && !ok(rs[0])) problems.push(`${prefix} wrong: ${JSON.stringify(rs[0])}`);
  }
  return problems.join('; ');
}

async function converged(p: WrenPair, wa: WrenDaemon): Promise<void> {
  await waitFor(() => fibProblems(p) === '', { what: `A's FIB to hold our four routes`, timeoutMs: 20_000 }).catch((err: Error) => {
    throw new Error(`${err.message}\n${describeFib(p.a.ns)}\n${wa.describeLogs()}`);
  });
}

/** Samples A's FIB as fast as it can until stopped; records every sample with a problem. */
function sampleFib(p: WrenPair): { stop: () => Promise<{ samples: number; bad: string[] }> } {
  let running = true;
  let samples = 0;
  const bad: string[] = [];
  const loop = (async () => {
    while (running) {
      let why: string;
      try {
        why = fibProblems(p);
      } catch (err) {
        why = `ip failed: ${(err as Error).message}`;
      }
      samples++;
      if (why !== '') bad.push(`${new Date().toISOString()} ${why}`);
      await delay(5);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop.catch(() => undefined);
      return { samples, bad };
    },
  };
}

describeNetns('wren restart and the kernel FIB', [NETNS], () => {
  const newLab = labsPerTest();

  it('keeps every route of ours in the FIB, unchanged and never duplicated, while wren restarts after SIGTERM', async () => {
    const lab = newLab('keep');
    const p = buildPair(lab);
    const { wa } = await startPair(lab, p);
    await waitEstablished(wa, p.b.address);
    await converged(p, wa);
    const ours = Object.keys(oursOnA(p));

    const mon = await RouteMonitor.start(lab, p.a.ns);
    const monB = await RouteMonitor.start(lab, p.b.ns);
    const t0 = Date.now();
    const sampler = sampleFib(p);
    let exitedAfter = -1;
    let whileDown = 'not reached';
    let convergedAfter = -1;
    let sampled: { samples: number; bad: string[] };
    try {
      await wa.stop(); // SIGTERM; resolves once the process has exited
      exitedAfter = Date.now() - t0;
      whileDown = fibProblems(p); // nothing maintains them now, and they must all be there
      const t1 = Date.now();
      await wa.start();
      await waitEstablished(wa, p.b.address);
      await waitFor(() => wa.showKernel()?.converged === true && wa.showKernel()?.staleCandidates === 0, {
        what: 'the restarted wren on A to converge',
        timeoutMs: 20_000,
      });
      convergedAfter = Date.now() - t1;
    } finally {
      sampled = await sampler.stop();
    }
    console.log(`restart: SIGTERM to exit ${exitedAfter} ms; start to converged ${convergedAfter} ms; ${sampled.samples} FIB samples`);
    // Not asserted: B is told Cease / Administrative Shutdown, which ends graceful restart (RFC 4724
    // 4.2 applies to TCP failures, not NOTIFICATIONs), so B withdraws A's block until A is back.
    const onB = monB.events().filter((e) => e.at >= t0 && e.prefix === p.a.block);
    const gap = onB.length >= 2 ? `${(onB[1]?.at ?? 0) - (onB[0]?.at ?? 0)} ms` : 'n/a';
    console.log(`restart: on B, A's block: ${onB.map((e) => (e.deleted ? 'deleted' : 'added')).join(', ') || 'untouched'} (gap ${gap})`);

    const events = mon.events().filter((e) => e.at >= t0 && ours.includes(e.prefix));
    const why = `ip monitor on A since SIGTERM:\n${events.map((e) => `  ${new Date(e.at).toISOString()} ${e.text}`).join('\n')}\n${wa.describeLogs(60)}`;
    expect(whileDown, `A's FIB right after wren exited\n${why}`).toBe('');
    expect(sampled.bad, `samples of A's FIB in which a route of ours was missing, wrong or duplicated\n${why}`).toEqual([]);
    expect(mon.deletions(ours, t0).map((e) => e.text), 'deletions reported by ip monitor').toEqual([]);
    // An identical route is not rewritten on adoption (docs/kernel.md): no event at all for our prefixes.
    expect(events.map((e) => e.text), 'route changes reported by ip monitor').toEqual([]);

    // After the restart: still proto bird, each exactly once, and the daemon counts them as installed.
    for (const prefix of ours) expect(fibRoutesFor(p.a.ns, prefix).map((r) => r.protocol)).toEqual(['bird']);
    const k = wa.showKernel();
    expect(k).toMatchObject({ protocol: 12, converged: true, desired: 4, installed: 4, staleCandidates: 0, conflicts: [], pendingRetries: [] });
  });

  it('removes every route of ours from the FIB on SIGTERM when kernel.withdrawOnStop is true', async () => {
    const lab = newLab('wd');
    const p = buildPair(lab, { extraA: { kernel: { enabled: true, convergenceTimeout: 10, withdrawOnStop: true } } });
    const { wa } = await startPair(lab, p);
    await waitEstablished(wa, p.b.address);
    await converged(p, wa);
    const mon = await RouteMonitor.start(lab, p.a.ns);
    const t0 = Date.now();

    await wa.stop();

    expect(wa.process?.status).toBe('exit code 0');
    expect(fibRoutes(p.a.ns).filter((r) => r.protocol === 'bird')).toEqual([]);
    expect(mon.deletions(Object.keys(oursOnA(p)), t0).map((e) => e.prefix).sort()).toEqual(Object.keys(oursOnA(p)).sort());
    // The directly connected routes are not ours and stay.
    expect(fibRoutesFor(p.a.ns, '10.0.0.0/24')).toHaveLength(1);
  });
});

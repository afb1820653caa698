/**
 * Graceful restart helper (RFC 4724 4.2) seen from the kernel: wren on B is killed (SIGKILL; its
 * kernel closes the TCP connection, no NOTIFICATION), so wren on A keeps B's routes, marked stale,
 * for the Restart Time B announced (5 s here) and the FIB keeps forwarding to B's block.
 * - B comes back within that time: the session is re-established, the route never leaves A's FIB
 *   (ip monitor records no deletion) and its stale mark is cleared once B has sent End-of-RIB.
 * - B does not come back: the route leaves A's FIB when the restart time runs out, not before.
 * Run: npx vitest run --project netns test/netns/fib-gr.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { waitEstablished } from '../../tools/daemons/daemon.js';
import { describeFib, fibRoutesFor, RouteMonitor, waitForFibRoute, waitForNoFibRoute } from './lib/fib.js';
import { labsPerTest } from './lib/lab-scope.js';
import { waitFor } from './lib/netns.js';
import { describeNetns, NETNS } from './lib/requirements.js';
import type { WrenDaemon } from '../../tools/daemons/wren.js';
import { buildPair, startPair } from './lib/wren-pair.js';

/** Restart Time B announces (gracefulRestart.restartTime). */
const RESTART_TIME = 5;

const staleFlags = (w: WrenDaemon, prefix: string): (boolean | undefined)[] => w.showRoutes().filter((r) => r.prefix === prefix).map((r) => r.stale);

describeNetns('graceful restart helper and the kernel FIB', [NETNS], () => {
  const newLab = labsPerTest();

  async function pairWithGr(id: string) {
    const lab = newLab(id);
    const p = buildPair(lab, { gracefulRestart: true, extraB: { gracefulRestart: { enabled: true, restartTime: RESTART_TIME } } });
    const { wa, wb } = await startPair(lab, p);
    await waitEstablished(wa, p.b.address);
    await waitForFibRoute(p.a.ns, p.b.block, (r) => r.protocol === 'bird' && r.gateways.join() === p.b.address);
    await waitForFibRoute(p.a.ns, p.b.block6, (r) => r.protocol === 'bird');
    await waitForFibRoute(p.b.ns, p.a.block, (r) => r.protocol === 'bird' && r.gateways.join() === p.a.address);
    expect(wa.showPeers().find((x) => x.address === p.b.address)?.['capabilities']).toContain('graceful-restart');
    const monA = await RouteMonitor.start(lab, p.a.ns);
    const monB = await RouteMonitor.start(lab, p.b.ns);
    return { p, wa, wb, monA, monB };
  }

  it("keeps B's block in A's FIB while wren on B restarts after SIGKILL, and clears the stale mark after End-of-RIB", async () => {
    const { p, wa, wb, monA, monB } = await pairWithGr('back');
    const t0 = Date.now();
    await wb.kill();

    // A notices the TCP close and keeps B's routes as stale; the FIB is untouched.
    await waitFor(() => staleFlags(wa, p.b.block).includes(true), { what: "A to mark B's route stale", timeoutMs: 5000, intervalMs: 50 });
    const staleAfter = Date.now() - t0;
    expect(staleFlags(wa, p.b.block6)).toEqual([true]);
    expect(fibRoutesFor(p.a.ns, p.b.block).map((r) => r.gateways.join())).toEqual([p.b.address]);

    await wb.start();
    await waitEstablished(wa, p.b.address);
    const backAfter = Date.now() - t0;
    await waitFor(() => staleFlags(wa, p.b.block).every((s) => s !== true) && staleFlags(wa, p.b.block6).every((s) => s !== true), {
      what: "A to clear the stale mark on B's routes (End-of-RIB)",
      timeoutMs: 10_000,
      intervalMs: 50,
    });
    const clearedAfter = Date.now() - t0;
    console.log(`graceful restart of B: stale after ${staleAfter} ms, session back after ${backAfter} ms, stale cleared after ${clearedAfter} ms`);

    // One route for B's block, from B, not stale.
    expect(wa.showRoutes().filter((r) => r.prefix === p.b.block).map((r) => ({ from: r.from, best: r.best, stale: r.stale === true }))).toEqual([
      { from: p.b.address, best: true, stale: false },
    ]);
    expect(wa.routes('ipv4').find((r) => r.prefix === p.b.block)?.nextHop).toBe(p.b.address);
    const ours = [p.b.block, p.b.block6];
    expect(monA.deletions(ours, t0).map((e) => e.text), `A's FIB lost B's block during the restart\n${wa.describeLogs(40)}`).toEqual([]);
    expect(fibRoutesFor(p.a.ns, p.b.block).map((r) => `${r.protocol} ${r.gateways.join()}`)).toEqual([`bird ${p.b.address}`]);
    // B's own FIB (kept by the killed process, adopted by the new one) did not lose A's block either.
    expect(monB.deletions([p.a.block, p.a.block6, p.b.block, p.b.block6], t0).map((e) => e.text), wb.describeLogs(40)).toEqual([]);
    await waitFor(() => wb.showKernel()?.converged === true, { what: 'the restarted wren on B to converge', timeoutMs: 15_000 });
  });

  it("removes B's block from A's FIB when B's restart time runs out and B has not come back", async () => {
    const { p, wa, wb, monA } = await pairWithGr('gone');
    const t0 = Date.now();
    await wb.kill();
    await waitFor(() => staleFlags(wa, p.b.block).includes(true), { what: "A to mark B's route stale", timeoutMs: 5000, intervalMs: 50 });
    await waitForNoFibRoute(p.a.ns, p.b.block, { timeoutMs: (RESTART_TIME + 10) * 1000 });
    await waitForNoFibRoute(p.a.ns, p.b.block6, { timeoutMs: 5000 });
    const [del] = monA.deletions([p.b.block], t0);
    if (!del) throw new Error(`ip monitor saw no deletion of ${p.b.block}\n${describeFib(p.a.ns)}`);
    const after = del.at - t0;
    console.log(`graceful restart, B never back: B's block left A's FIB after ${after} ms (restart time ${RESTART_TIME} s)`);
    expect(after, wa.describeLogs(30)).toBeGreaterThanOrEqual(RESTART_TIME * 1000 - 100);
    expect(after, wa.describeLogs(30)).toBeLessThanOrEqual((RESTART_TIME + 3) * 1000);
    expect(wa.showRoutes().filter((r) => r.prefix === p.b.block)).toEqual([]);
    // A's own blackholes stay.
    expect(fibRoutesFor(p.a.ns, p.a.block).map((r) => r.type)).toEqual(['blackhole']);
  });
});

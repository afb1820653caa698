/**
 * Losing a peer without graceful restart (gracefulRestart disabled on both hosts, hold time 6 s):
 * - SIGKILL of wren on B: B's kernel closes its TCP connection (FIN), A sees the session end at
 *   once and B's block leaves A's FIB right away, long before the hold time;
 * - SIGSTOP of wren on B (the process is alive but silent, the TCP connection stays open): only
 *   A's hold timer notices, so B's block leaves A's FIB after the hold time, not before.
 * Run: npx vitest run --project netns test/netns/fib-hold.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { waitEstablished } from '../../tools/daemons/daemon.js';
import { describeFib, RouteMonitor, waitForFibRoute, waitForNoFibRoute } from './lib/fib.js';
import { labsPerTest } from './lib/lab-scope.js';
import { describeNetns, NETNS } from './lib/requirements.js';
import { buildPair, startPair } from './lib/wren-pair.js';

const HOLD = 6;
/** wrenConfig's keepalive for a hold time (hold / 3). */
const KEEPALIVE = Math.floor(HOLD / 3);

describeNetns('losing a peer without graceful restart', [NETNS], () => {
  const newLab = labsPerTest();

  async function pairWithoutGr(id: string) {
    const lab = newLab(id);
    const p = buildPair(lab, { holdTime: HOLD, gracefulRestart: false });
    const { wa, wb } = await startPair(lab, p);
    await waitEstablished(wa, p.b.address);
    await waitForFibRoute(p.a.ns, p.b.block, (r) => r.protocol === 'bird' && r.gateways.join() === p.b.address);
    await waitForFibRoute(p.a.ns, p.b.block6, (r) => r.protocol === 'bird');
    const peer = wa.showPeers().find((x) => x.address === p.b.address);
    expect(peer?.['holdTimeSec']).toBe(HOLD);
    expect(peer?.['capabilities']).not.toContain('graceful-restart');
    return { lab, p, wa, wb, mon: await RouteMonitor.start(lab, p.a.ns) };
  }

  it("removes B's block from A's FIB at once when wren on B is killed (the kernel closes its TCP connection)", async () => {
    const { p, wa, wb, mon } = await pairWithoutGr('kill');
    const t0 = Date.now();
    await wb.kill();
    await waitForNoFibRoute(p.a.ns, p.b.block, { timeoutMs: (HOLD + 5) * 1000 });
    await waitForNoFibRoute(p.a.ns, p.b.block6, { timeoutMs: 5000 });
    const [del] = mon.deletions([p.b.block], t0);
    const after = (del?.at ?? Date.now()) - t0;
    console.log(`SIGKILL without graceful restart: B's block left A's FIB after ${after} ms (hold time ${HOLD} s)`);
    expect(after, `the session should end on the TCP close, not on the hold timer\n${wa.describeLogs(30)}`).toBeLessThan(KEEPALIVE * 1000);
    expect(wa.sessionState(p.b.address)).not.toBe('Established');
    // A's own blackholes are untouched.
    expect(mon.deletions([p.a.block, p.a.block6], t0)).toEqual([]);
  });

  it("removes B's block from A's FIB after the hold time, not before, when wren on B stops answering", async () => {
    const { p, wa, wb, mon } = await pairWithoutGr('stop');
    const proc = wb.process;
    if (!proc) throw new Error('wren on B has no process');
    const t0 = Date.now();
    proc.signal('SIGSTOP');
    try {
      await waitForNoFibRoute(p.a.ns, p.b.block, { timeoutMs: (HOLD + 6) * 1000 });
      await waitForNoFibRoute(p.a.ns, p.b.block6, { timeoutMs: 5000 });
    } finally {
      proc.signal('SIGCONT');
    }
    const [del] = mon.deletions([p.b.block], t0);
    if (!del) throw new Error(`ip monitor saw no deletion of ${p.b.block}\n${describeFib(p.a.ns)}`);
    const after = del.at - t0;
    console.log(`hold-time loss (SIGSTOP, hold ${HOLD} s, keepalive ${KEEPALIVE} s): B's block left A's FIB after ${after} ms`);
    // The last KEEPALIVE from B arrived at most one keepalive interval before SIGSTOP.
    expect(after, wa.describeLogs(30)).toBeGreaterThanOrEqual((HOLD - KEEPALIVE) * 1000 - 250);
    expect(after, wa.describeLogs(30)).toBeLessThanOrEqual((HOLD + 2) * 1000);
    expect(wa.showPeers().find((x) => x.address === p.b.address)?.['lastDownReason']).toMatch(/hold/i);
  });
});

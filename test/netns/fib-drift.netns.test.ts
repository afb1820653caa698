/**
 * Drift between what wren wants and what the kernel holds (docs/kernel.md, "Reconciliation"):
 * - a route of ours deleted by hand comes back within a second (netlink notification + 200 ms debounce);
 * - a route of ours changed by hand (another gateway, still `proto bird`) is put back; a plain
 *   `ip route replace` (no proto: `proto boot`) makes it a foreign route, reported as a conflict;
 * - a foreign route (`proto static`) at a key wren wants is left alone and reported as a conflict,
 *   and wren's route goes in once the foreign one is removed;
 * - a `proto bird` route left by an earlier run, for a prefix nobody announces, is kept until first
 *   convergence (End-of-RIB from every peer) and removed then.
 * Run: npx vitest run --project netns test/netns/fib-drift.netns.test.ts   (as root, after npm run build)
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { waitEstablished } from '../../tools/daemons/daemon.js';
import { fibRoute, fibRoutesFor, RouteMonitor, waitForFibRoute, waitForNoFibRoute, type FibRoute } from './lib/fib.js';
import { tailFile } from '../../tools/kit/files.js';
import { labsPerTest } from './lib/lab-scope.js';
import { exec, waitFor } from './lib/netns.js';
import { describeNetns, NETNS } from './lib/requirements.js';
import { startWren } from '../../tools/daemons/wren.js';
import { buildPair, startPair } from './lib/wren-pair.js';

/** The time (epoch ms) of the first line of a pino JSON log whose msg is `msg`. */
function logTime(file: string, msg: string): number {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const rec = JSON.parse(line) as { time?: number; msg?: string };
    if (rec.msg === msg && rec.time !== undefined) return rec.time;
  }
  throw new Error(`no "${msg}" in ${file}:\n${tailFile(file, 40)}`);
}

const ip = (ns: string, ...args: string[]): string => exec(null, 'ip', ['-n', ns, ...args]);
/** A gateway on A's link that is nobody (the kernel accepts any address of a connected subnet). */
const OTHER_GW = '10.0.0.3';

describeNetns('drift repair in the kernel FIB', [NETNS], () => {
  const newLab = labsPerTest();

  async function convergedPair(id: string) {
    const lab = newLab(id);
    const p = buildPair(lab);
    const { wa, wb } = await startPair(lab, p);
    await waitEstablished(wa, p.b.address);
    const viaB = (r: FibRoute): boolean => r.protocol === 'bird' && r.gateways.join() === p.b.address;
    await waitForFibRoute(p.a.ns, p.b.block, viaB);
    await waitForFibRoute(p.a.ns, p.b.block6, (r) => r.protocol === 'bird' && r.gateways.join() === p.b.address6);
    await waitForFibRoute(p.a.ns, p.a.block, (r) => r.type === 'blackhole');
    await waitFor(() => wa.showKernel()?.converged, { what: 'wren on A to converge', timeoutMs: 15_000 });
    return { lab, p, wa, wb, viaB, mon: await RouteMonitor.start(lab, p.a.ns) };
  }

  it('puts back, within a second, a route of ours deleted by hand (learned, IPv6 and blackhole)', async () => {
    const { p, wa, viaB, mon } = await convergedPair('del');
    const cases: [string, string[], (r: FibRoute) => boolean][] = [
      [p.b.block, ['-4', 'route', 'del', p.b.block, 'proto', 'bird'], viaB],
      [p.b.block6, ['-6', 'route', 'del', p.b.block6, 'proto', 'bird'], (r) => r.protocol === 'bird' && r.gateways.join() === p.b.address6],
      [p.a.block, ['-4', 'route', 'del', 'blackhole', p.a.block, 'proto', 'bird'], (r) => r.protocol === 'bird' && r.type === 'blackhole'],
    ];
    for (const [prefix, del, want] of cases) {
      const t0 = Date.now();
      ip(p.a.ns, ...del);
      expect(fibRoutesFor(p.a.ns, prefix)).toEqual([]);
      await waitForFibRoute(p.a.ns, prefix, want, { timeoutMs: 5000, intervalMs: 10 });
      const back = mon.events().find((e) => e.at >= t0 && e.prefix === prefix && !e.deleted);
      const gone = mon.events().find((e) => e.at >= t0 && e.prefix === prefix && e.deleted);
      const ms = back && gone ? back.at - gone.at : Date.now() - t0;
      console.log(`hand-deleted ${prefix} restored after ${ms} ms`);
      expect(ms, wa.describeLogs(30)).toBeLessThan(1000);
    }
    expect(wa.showKernel()).toMatchObject({ desired: 4, installed: 4, conflicts: [], pendingRetries: [] });
  });

  it('puts back a route of ours changed by hand to another gateway, but not one a hand replace turned into a foreign route', async () => {
    const { p, wa, viaB, mon } = await convergedPair('repl');
    const t0 = Date.now();
    ip(p.a.ns, 'route', 'replace', p.b.block, 'via', OTHER_GW, 'proto', 'bird');
    await waitForFibRoute(p.a.ns, p.b.block, viaB, { timeoutMs: 5000, intervalMs: 10 });
    const changes = mon.events().filter((e) => e.at >= t0 && e.prefix === p.b.block);
    const ms = changes.length >= 2 ? (changes.at(-1)?.at ?? 0) - (changes[0]?.at ?? 0) : Date.now() - t0;
    console.log(`hand-replaced ${p.b.block} (via ${OTHER_GW}) restored after ${ms} ms; events: ${changes.map((e) => e.text).join(' | ')}`);
    expect(ms, wa.describeLogs(30)).toBeLessThan(1000);
    expect(fibRoutesFor(p.a.ns, p.b.block)).toHaveLength(1);
    expect(wa.showKernel()).toMatchObject({ desired: 4, installed: 4, conflicts: [] });

    // Without `proto bird` the replaced route is someone else's (proto boot): a conflict, not overwritten.
    ip(p.a.ns, 'route', 'replace', p.b.block, 'via', OTHER_GW);
    await waitFor(() => wa.showKernel()?.conflicts.some((c) => c.prefix === p.b.block), { what: `a conflict for ${p.b.block}`, timeoutMs: 5000 });
    expect(fibRoute(p.a.ns, p.b.block)).toMatchObject({ protocol: 'boot', gateways: [OTHER_GW] });
    ip(p.a.ns, 'route', 'del', p.b.block, 'proto', 'boot');
    await waitForFibRoute(p.a.ns, p.b.block, viaB, { timeoutMs: 5000 });
    await waitFor(() => wa.showKernel()?.conflicts.length === 0, { what: 'the conflict to clear', timeoutMs: 5000 });
  });

  it('leaves a foreign (proto static) route at a key it wants alone, reports the conflict, and installs its own once the foreign route is gone', async () => {
    const lab = newLab('conf');
    const shared = '172.16.3.0/24';
    const p = buildPair(lab, { moreFromB: [shared], extraA: { kernel: { scanInterval: 1 } } });
    ip(p.a.ns, 'route', 'add', shared, 'via', OTHER_GW, 'proto', 'static');
    const { wa } = await startPair(lab, p);
    await waitEstablished(wa, p.b.address);
    await waitForFibRoute(p.a.ns, p.b.block, (r) => r.protocol === 'bird');
    expect(wa.routes('ipv4').find((r) => r.prefix === shared)?.nextHop).toBe(p.b.address);

    const k = await waitFor(() => wa.showKernel()?.conflicts.find((c) => c.prefix === shared), { what: `a conflict for ${shared}`, timeoutMs: 5000 }).catch(
      (err: Error) => {
        throw new Error(`${err.message}\nshow kernel: ${JSON.stringify(wa.showKernel())}\n${wa.describeLogs(30)}`);
      },
    );
    expect(k.key).toContain(shared);
    expect(fibRoute(p.a.ns, shared)).toMatchObject({ protocol: 'static', gateways: [OTHER_GW] });
    // Still untouched after full scans (scanInterval 1 s): each one tries the add again and gets EEXIST.
    await waitFor(() => (wa.showKernel()?.conflicts.find((c) => c.prefix === shared)?.sinceSec ?? 0) >= 2.5, { what: 'the conflict to be 2.5 s old', timeoutMs: 10_000 });
    expect(wa.showKernel()?.lastReconcile?.kind).toBeDefined();
    expect(fibRoute(p.a.ns, shared)).toMatchObject({ protocol: 'static', gateways: [OTHER_GW] });

    const t0 = Date.now();
    ip(p.a.ns, 'route', 'del', shared, 'proto', 'static');
    await waitForFibRoute(p.a.ns, shared, (r) => r.protocol === 'bird' && r.gateways.join() === p.b.address, { timeoutMs: 5000, intervalMs: 10 });
    console.log(`foreign route at ${shared} removed by hand: wren's route installed after ${Date.now() - t0} ms`);
    await waitFor(() => wa.showKernel()?.conflicts.length === 0, { what: 'the conflict to clear', timeoutMs: 5000 });
  });

  it('keeps a proto bird route left by an earlier run until first convergence, then removes it', async () => {
    const lab = newLab('stale');
    const leftover = '172.16.99.0/24';
    const p = buildPair(lab);
    ip(p.a.ns, 'route', 'add', leftover, 'via', p.b.address, 'proto', 'bird');
    // Only A runs: no peer, no End-of-RIB, so no convergence yet (kernel.convergenceTimeout is 10 s).
    const wa = await startWren(lab, p.specA);
    await waitForFibRoute(p.a.ns, p.a.block, (r) => r.type === 'blackhole');
    expect(wa.showKernel()).toMatchObject({ converged: false, staleCandidates: 1 });
    expect(fibRoute(p.a.ns, leftover)).toMatchObject({ protocol: 'bird', gateways: [p.b.address] });

    const mon = await RouteMonitor.start(lab, p.a.ns);
    const t0 = Date.now();
    await startWren(lab, p.specB);
    await waitForNoFibRoute(p.a.ns, leftover, { timeoutMs: 20_000 });
    const gone = mon.deletions([leftover], t0)[0];
    // pino writes asynchronously: the line can reach the file after the route has gone.
    const convergedAt = await waitFor(() => logTime(wa.logFiles[0] ?? '', 'kernel routes converged'), { what: 'the convergence log line', timeoutMs: 5000 });
    console.log(`stale leftover: B started at 0 ms; A converged at ${convergedAt - t0} ms (log); leftover deleted at ${(gone?.at ?? NaN) - t0} ms (ip monitor)`);
    // Removed by the purge that follows convergence, not before (both times are this machine's clock).
    expect(gone, 'ip monitor saw the leftover deleted').toBeDefined();
    expect(gone?.at ?? 0, wa.describeLogs(30)).toBeGreaterThanOrEqual(convergedAt);
    expect(wa.showKernel()).toMatchObject({ converged: true, staleCandidates: 0, desired: 4, installed: 4 });
    // Converged on End-of-RIB from B, not on the 10 s deadline.
    expect(wa.showPeers().find((x) => x.address === p.b.address)?.state).toBe('Established');
    expect(readFileSync(wa.logFiles[0] ?? '', 'utf8')).not.toContain('convergence deadline reached');
  });
});

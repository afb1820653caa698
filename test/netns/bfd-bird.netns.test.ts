/**
 * BFD against BIRD 2 (`protocol bfd` + `bfd { ... }` in its BGP protocol), eBGP over one link
 * (test/netns/lib/bfd-pair.ts):
 *
 * - the session comes Up both ways with the negotiated intervals;
 * - WREN_BFD_TRIALS silent failures (default 10; nft drops all BIRD sends) at 300 ms x 3, a timer
 *   change on both ends (wren reload, BIRD `configure`: Poll Sequences, the session stays Up), as
 *   many at 100 ms x 3: the route leaves wren's kernel in under 1 s and 400 ms; median and worst
 *   printed; the BGP session held for BFD during the failure; all back after it;
 * - BIRD stopped whole (SIGSTOP: BGP and BFD) is detected the same way; SIGCONT brings both back;
 * - `graceful: true`: the route stays in wren's kernel, stale, until the restart timer.
 *
 * Run: npx vitest run test/netns/bfd-bird.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { startBird, type BirdDaemon } from '../../tools/daemons/bird.js';
import type { NeighborSpec } from '../../tools/daemons/daemon.js';
import type { Lab } from '../../tools/kit/netns.js';
import { waitFor } from '../../tools/kit/wait.js';
import { NFT_INSTALLED, summary, wrenBfdEvents } from './lib/bfd.js';
import { inKernel, PEER, silentFailure, startBfdPair, waitAllUp, WREN, wrenBfd, wrenBgp, type Trial } from './lib/bfd-pair.js';
import { askWren, interopNeeds, keepFilesOnFailure } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { ADDON_BUILT, BIRD_INSTALLED, describeNetns, TCPDUMP_INSTALLED } from './lib/requirements.js';

const TRIALS = Number(process.env['WREN_BFD_TRIALS'] ?? 10);

const startBirdPeer =
  (gracefulRestart = false) =>
  (lab: Lab, ns: string, neighbor: NeighborSpec): Promise<BirdDaemon> =>
    startBird(lab, { ns, routerId: PEER.v4, asn: PEER.asn, neighbors: [neighbor], originate: [PEER.block], gracefulRestart });

const report = (label: string, trials: readonly Trial[]): string => {
  const f = (k: keyof Omit<Trial, 'held'>): string => {
    const s = summary(trials.map((t) => t[k]));
    return `${k} median ${s.median} worst ${s.worst}`;
  };
  return `${label}: ${trials.length} trials; ${f('bfdDownMs')}; ${f('bgpDownMs')}; ${f('routesGoneMs')}; ${f('afterLastPacketMs')}; ${f('nftMs')}; ${f('recoveryMs')} (ms)`;
};

describeNetns('BFD with BIRD 2', [...interopNeeds(BIRD_INSTALLED), NFT_INSTALLED, TCPDUMP_INSTALLED, ADDON_BUILT], () => {
  const newLab = labsPerTest();
  let current: Lab | undefined;
  keepFilesOnFailure(() => current);

  it(`comes Up with the negotiated intervals; ${TRIALS} silent failures at 300 ms x 3, a timer change to 100 ms x 3 (Poll/Final), ${TRIALS} more`, { timeout: 900_000 }, async () => {
    const lab = newLab('bird');
    current = lab;
    const p = await startBfdPair(lab, { bfd: { minTx: 300, minRx: 300, multiplier: 3 }, startPeer: startBirdPeer() });
    await waitAllUp(p);
    expect(await wrenBfd(p.wren)).toMatchObject({ state: 'Up', remoteState: 'Up', txIntervalMs: 300, rxIntervalMs: 300, detectTimeMs: 900, remote: { minTxMs: 300, minRxMs: 300, multiplier: 3 } });
    await waitFor(() => p.peer.bfdSessions().find((s) => s.address === WREN.v4 && s.state === 'Up' && s.intervalMs === 300 && s.timeoutMs === 900), {
      what: 'BIRD: BFD Up at 300 ms, detection 900 ms',
      timeoutMs: 10_000,
    });

    const slow: Trial[] = [];
    for (let i = 0; i < TRIALS; i++) slow.push(await silentFailure(p));
    console.log(report('BIRD, 300 ms x 3', slow));

    const downsBefore = wrenBfdEvents(p.wren.paths.log).transitions.filter((t) => t.from === 'Up').length;
    const pollsBefore = (await wrenBfd(p.wren))?.counters.pollsCompleted ?? 0;
    const fast = { minTx: 100, minRx: 100, multiplier: 3 };
    p.wren.reloadSpec({ ...p.wren.spec, neighbors: p.wren.spec.neighbors.map((n) => ({ ...n, bfd: fast })) });
    p.peer.setBfd(WREN.v4, fast);
    p.detectMs = 300;
    await waitAllUp(p, 15_000);
    await waitFor(() => p.peer.bfdSessions().find((s) => s.address === WREN.v4 && s.state === 'Up' && s.intervalMs === 100 && s.timeoutMs === 300), {
      what: 'BIRD: BFD at 100 ms, detection 300 ms',
      timeoutMs: 10_000,
    });
    expect((await wrenBfd(p.wren))?.counters.pollsCompleted).toBeGreaterThan(pollsBefore);
    expect(wrenBfdEvents(p.wren.paths.log).transitions.filter((t) => t.from === 'Up').length, 'no BFD Down during the timer change').toBe(downsBefore);

    const quick: Trial[] = [];
    for (let i = 0; i < TRIALS; i++) quick.push(await silentFailure(p));
    console.log(report('BIRD, 100 ms x 3', quick));

    for (const t of [...slow, ...quick]) expect(t.held, 'the BGP session was held for BFD during the failure').toBe(true);
    expect(summary(slow.map((t) => t.afterLastPacketMs)).worst).toBeLessThanOrEqual(900 + 50);
    expect(summary(quick.map((t) => t.afterLastPacketMs)).worst).toBeLessThanOrEqual(300 + 50);
    expect(summary(slow.map((t) => t.routesGoneMs)).worst, report('300 ms x 3', slow)).toBeLessThan(1000);
    expect(summary(quick.map((t) => t.routesGoneMs)).worst, report('100 ms x 3', quick)).toBeLessThan(400);
  });

  it('BIRD stopped whole (SIGSTOP) is detected within the detection time; SIGCONT brings BFD and BGP back', { timeout: 120_000 }, async () => {
    const lab = newLab('birdstop');
    current = lab;
    const p = await startBfdPair(lab, { bfd: { minTx: 100, minRx: 100, multiplier: 3 }, startPeer: startBirdPeer() });
    await waitAllUp(p);
    const pid = p.peer.pid;
    if (pid === undefined) throw new Error('bird is not running');
    const t0 = Date.now();
    process.kill(pid, 'SIGSTOP');
    try {
      const gone = await waitFor(() => p.routes.deletedAfter(PEER.block, t0), { what: "the route to leave wren's kernel", timeoutMs: 10_000, intervalMs: 10 });
      console.log(`BIRD stopped: route gone from wren's kernel ${(gone - t0).toFixed(0)} ms after SIGSTOP (100 ms x 3)`);
      expect(gone - t0).toBeLessThan(400);
      expect((await wrenBgp(p.wren))?.lastDownReason).toMatch(/waiting for BFD/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitAllUp(p);
  });

  it('graceful: during the failure the route stays in the kernel, stale, until the restart timer', { timeout: 120_000 }, async () => {
    const lab = newLab('birdgr');
    current = lab;
    const p = await startBfdPair(lab, {
      bfd: { minTx: 300, minRx: 300, multiplier: 3, graceful: true },
      startPeer: startBirdPeer(true),
      wrenExtra: { gracefulRestart: { enabled: true, staleRoutesTime: 4 } },
    });
    await waitAllUp(p);
    const t = p.silence.on();
    try {
      await waitFor(async () => (await wrenBfd(p.wren))?.state !== 'Up', { what: 'wren: BFD down', timeoutMs: 5000, intervalMs: 20 });
      await waitFor(async () => (await wrenBgp(p.wren))?.state !== 'Established', { what: 'wren: BGP down', timeoutMs: 5000, intervalMs: 20 });
      await waitFor(() => Date.now() - t.askedAt >= 2500, { what: '2.5 s', timeoutMs: 5000, intervalMs: 50 });
      expect(inKernel(p.wrenNs, PEER.block), 'kept in the kernel during the restart timer').toBe(true);
      expect((await askWren(p.wren, { cmd: 'show-routes', prefix: PEER.block }))[0]?.stale).toBe(true);
      const gone = await waitFor(() => p.routes.deletedAfter(PEER.block, t.askedAt), { what: 'the stale route to go', timeoutMs: 15_000, intervalMs: 50 });
      const after = gone - t.askedAt;
      console.log(`graceful (BIRD): route kept ${after.toFixed(0)} ms after the failure (detection ~900 ms + restart timer 4 s)`);
      expect(after).toBeGreaterThan(4000);
      expect(after).toBeLessThan(7000);
    } finally {
      p.silence.off();
    }
    await waitAllUp(p);
  });
});

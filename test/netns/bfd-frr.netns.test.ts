/**
 * BFD against FRR 8's bfdd (`bfd` profile + `neighbor X bfd`), eBGP over one link
 * (test/netns/lib/bfd-pair.ts):
 *
 * - the session comes Up both ways with the negotiated intervals;
 * - a silent failure of FRR (nft drops everything it sends) takes wren's BGP session down and the
 *   peer's route out of wren's kernel within the detection time: WREN_BFD_TRIALS trials (default
 *   10) at 300 ms x 3, then the timers are changed by reload on both ends to 100 ms x 3 (a Poll
 *   Sequence each way; the session stays Up) and as many trials again. Done when the route is gone
 *   in under 1 s (300 x 3) and 400 ms (100 x 3), timed from just before nft is asked to drop.
 *   Median and worst are printed. After each failure the BGP session is held for BFD, and lifting
 *   the drop brings BFD, BGP and the route back; the BFD metrics count one Down per trial;
 * - bfdd stopped (SIGSTOP) while bgpd and TCP work: BFD alone takes the BGP session down, with
 *   Cease / BFD Down (RFC 9384) to FRR; SIGCONT brings both back;
 * - `graceful: true`: during the failure the route stays in wren's kernel, stale, until the
 *   restart timer (gracefulRestart.staleRoutesTime 4 s here), then goes;
 * - multihop (RFC 5883, UDP 4784) to an FRR two hops away with `ebgpMultihop: 2`;
 * - an FRR without BFD for wren (it never answers): the BGP session comes up and stays up, and
 *   wren reports the silent BFD peer (`show bfd`, a log line) instead of flapping it.
 *
 * Run: npx vitest run test/netns/bfd-frr.netns.test.ts   (as root, after npm run build)
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { waitEstablished } from '../../tools/daemons/daemon.js';
import { startFrr, type FrrDaemon } from '../../tools/daemons/frr.js';
import { startWren } from '../../tools/daemons/wren.js';
import { exec, type Lab } from '../../tools/kit/netns.js';
import { waitFor } from '../../tools/kit/wait.js';
import { BFDD_INSTALLED, NFT_INSTALLED, PacketTimes, summary, wrenBfdEvents } from './lib/bfd.js';
import { inKernel, PEER, silentFailure, startBfdPair, waitAllUp, WREN, wrenBfd, wrenBgp, type Trial } from './lib/bfd-pair.js';
import { askWren, interopNeeds, keepFilesOnFailure } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { ADDON_BUILT, describeNetns, FRR_INSTALLED, programs, TCPDUMP_INSTALLED } from './lib/requirements.js';

const TRIALS = Number(process.env['WREN_BFD_TRIALS'] ?? 10);

const startFrrPeer =
  (gracefulRestart = false) =>
  (lab: Lab, ns: string, neighbor: Parameters<typeof startFrr>[1]['neighbors'][number]): Promise<FrrDaemon> =>
    startFrr(lab, { ns, routerId: PEER.v4, asn: PEER.asn, neighbors: [neighbor], originate: [PEER.block], gracefulRestart, hostname: 'frr' });

const report = (label: string, trials: readonly Trial[]): string => {
  const f = (k: keyof Omit<Trial, 'held'>): string => {
    const s = summary(trials.map((t) => t[k]));
    return `${k} median ${s.median} worst ${s.worst}`;
  };
  return `${label}: ${trials.length} trials; ${f('bfdDownMs')}; ${f('bgpDownMs')}; ${f('routesGoneMs')}; ${f('afterLastPacketMs')}; ${f('nftMs')}; ${f('recoveryMs')} (ms)`;
};

describeNetns('BFD with FRR (bfdd)', [...interopNeeds(FRR_INSTALLED, BFDD_INSTALLED), NFT_INSTALLED, TCPDUMP_INSTALLED, programs('curl'), ADDON_BUILT], () => {
  const newLab = labsPerTest();
  let current: Lab | undefined;
  keepFilesOnFailure(() => current);

  it(`comes Up with the negotiated intervals; ${TRIALS} silent failures at 300 ms x 3, a reload to 100 ms x 3 (Poll/Final), ${TRIALS} more`, { timeout: 900_000 }, async () => {
    const lab = newLab('frr');
    current = lab;
    const p = await startBfdPair(lab, { bfd: { minTx: 300, minRx: 300, multiplier: 3 }, startPeer: startFrrPeer(), wrenExtra: { metrics: { listen: '127.0.0.1:9179' } } });
    await waitAllUp(p);
    // Up both ways, with what each side asked for once the Poll Sequences after Up are done.
    const st = await waitFor(async () => {
      const x = await wrenBfd(p.wren);
      return x?.remoteState === 'Up' && x.detectTimeMs === 900 && !x.polling ? x : undefined;
    }, { what: 'wren: BFD at 300 ms x 3 both ways', timeoutMs: 15_000, intervalMs: 50 });
    expect(st).toMatchObject({ state: 'Up', remoteState: 'Up', txIntervalMs: 300, rxIntervalMs: 300, detectTimeMs: 900, remote: { minTxMs: 300, minRxMs: 300, multiplier: 3 } });
    await waitFor(() => p.peer.bfdPeer(WREN.v4)?.status === 'up', { what: 'FRR: BFD up', timeoutMs: 10_000 });
    expect(p.peer.bfdPeer(WREN.v4)).toMatchObject({ multihop: false, 'remote-receive-interval': 300, 'remote-transmit-interval': 300, 'remote-detect-multiplier': 3 });

    const slow: Trial[] = [];
    for (let i = 0; i < TRIALS; i++) slow.push(await silentFailure(p));
    console.log(report('FRR, 300 ms x 3', slow));

    // Timers by reload on both ends: each side runs a Poll Sequence; the session stays Up.
    const downsBefore = wrenBfdEvents(p.wren.paths.log).transitions.filter((t) => t.from === 'Up').length;
    const frrDownsBefore = p.peer.bfdCounters().find((c) => c.peer === WREN.v4)?.['session-down'];
    const pollsBefore = (await wrenBfd(p.wren))?.counters.pollsCompleted ?? 0;
    p.wren.reloadSpec({ ...p.wren.spec, neighbors: p.wren.spec.neighbors.map((n) => ({ ...n, bfd: { minTx: 100, minRx: 100, multiplier: 3 } })) });
    p.peer.setBfdTimers(0, { minTx: 100, minRx: 100 });
    p.detectMs = 300;
    await waitFor(async () => {
      const s = await wrenBfd(p.wren);
      return s?.state === 'Up' && s.txIntervalMs === 100 && s.detectTimeMs === 300 && !s.polling ? s : undefined;
    }, { what: 'wren: BFD at 100 ms x 3 after both Poll Sequences', timeoutMs: 15_000, intervalMs: 50 });
    await waitFor(() => p.peer.bfdPeer(WREN.v4)?.['remote-transmit-interval'] === 100, { what: 'FRR: remote TX 100 ms', timeoutMs: 10_000 });
    expect((await wrenBfd(p.wren))?.counters.pollsCompleted).toBeGreaterThan(pollsBefore);
    expect(wrenBfdEvents(p.wren.paths.log).transitions.filter((t) => t.from === 'Up').length, 'no BFD Down during the timer change').toBe(downsBefore);
    expect(p.peer.bfdCounters().find((c) => c.peer === WREN.v4)?.['session-down']).toBe(frrDownsBefore);

    const fast: Trial[] = [];
    for (let i = 0; i < TRIALS; i++) fast.push(await silentFailure(p));
    console.log(report('FRR, 100 ms x 3', fast));

    for (const t of [...slow, ...fast]) expect(t.held, 'the BGP session was held for BFD during the failure').toBe(true);
    expect(summary(slow.map((t) => t.afterLastPacketMs)).worst).toBeLessThanOrEqual(900 + 50);
    expect(summary(fast.map((t) => t.afterLastPacketMs)).worst).toBeLessThanOrEqual(300 + 50);
    expect(summary(slow.map((t) => t.routesGoneMs)).worst, report('300 ms x 3', slow)).toBeLessThan(1000);
    expect(summary(fast.map((t) => t.routesGoneMs)).worst, report('100 ms x 3', fast)).toBeLessThan(400);

    // The BFD metrics (docs/metrics.md) say the same: Up now, one Down per trial, the detection time of 100 ms x 3.
    const scrape = exec(p.wrenNs, 'curl', ['-s', '--max-time', '5', 'http://127.0.0.1:9179/metrics']);
    const metric = (name: string): number => Number(new RegExp(`^${name}\\{peer="${PEER.v4.replace(/\./g, '\\.')}"[^}]*\\} (\\S+)$`, 'm').exec(scrape)?.[1]);
    expect(metric('wren_bfd_session_up')).toBe(1);
    expect(metric('wren_bfd_session_state')).toBe(3);
    expect(metric('wren_bfd_session_downs_total')).toBe(slow.length + fast.length);
    expect(metric('wren_bfd_detect_time_seconds')).toBe(0.3);
  });

  it('bfdd stopped (SIGSTOP) while BGP works: BFD takes the session down with Cease / BFD Down; requireUp holds BGP down while BFD is Down; SIGCONT brings both back', { timeout: 120_000 }, async () => {
    const lab = newLab('frrstop');
    current = lab;
    const p = await startBfdPair(lab, { bfd: { minTx: 300, minRx: 300, multiplier: 3 }, startPeer: startFrrPeer() });
    await waitAllUp(p);
    const bfdd = p.peer.bfdd;
    if (!bfdd?.pid) throw new Error('bfdd is not running');
    const t0 = Date.now();
    process.kill(bfdd.pid, 'SIGSTOP');
    try {
      await waitFor(() => !inKernel(p.wrenNs, PEER.block), { what: "the route to leave wren's kernel", timeoutMs: 10_000, intervalMs: 20 });
      const gone = Date.now() - t0;
      // FRR's bgpd got our NOTIFICATION over the still working TCP connection.
      const nb = JSON.parse(p.peer.vtysh(`show bgp neighbors ${WREN.v4} json`)) as Record<string, { lastResetDueTo?: string; lastNotificationReason?: string; bgpState?: string }>;
      const frrSide = nb[WREN.v4];
      console.log(`bfdd stopped: route gone from wren's kernel after ${gone} ms; FRR: ${JSON.stringify(frrSide?.lastResetDueTo)} / ${JSON.stringify(frrSide?.lastNotificationReason)}`);
      expect(`${frrSide?.lastResetDueTo ?? ''} ${frrSide?.lastNotificationReason ?? ''}`).toMatch(/Cease|BFD|Notification/i);
      expect(gone).toBeLessThan(2000);
      // Held: bgpd is alive and would reconnect, but wren waits for BFD.
      await new Promise((r) => setTimeout(r, 3000));
      expect((await wrenBgp(p.wren))?.state).not.toBe('Established');
      expect((await wrenBgp(p.wren))?.lastDownReason).toMatch(/waiting for BFD/);
    } finally {
      process.kill(bfdd.pid, 'SIGCONT');
    }
    await waitAllUp(p);
  });

  it('graceful: during the failure the route stays in the kernel, stale, until the restart timer', { timeout: 120_000 }, async () => {
    const lab = newLab('frrgr');
    current = lab;
    const p = await startBfdPair(lab, {
      bfd: { minTx: 300, minRx: 300, multiplier: 3 },
      startPeer: startFrrPeer(true),
      wrenPeer: { bfd: { minTx: 300, minRx: 300, multiplier: 3, graceful: true } },
      wrenExtra: { gracefulRestart: { enabled: true, staleRoutesTime: 4 } },
    });
    await waitAllUp(p);
    const t = p.silence.on();
    try {
      await waitFor(async () => (await wrenBfd(p.wren))?.state !== 'Up', { what: 'wren: BFD down', timeoutMs: 5000, intervalMs: 20 });
      await waitFor(async () => (await wrenBgp(p.wren))?.state !== 'Established', { what: 'wren: BGP down', timeoutMs: 5000, intervalMs: 20 });
      // Kept, and stale, well after the detection time.
      await waitFor(() => Date.now() - t.askedAt >= 2500, { what: '2.5 s', timeoutMs: 5000, intervalMs: 50 });
      expect(inKernel(p.wrenNs, PEER.block), 'kept in the kernel during the restart timer').toBe(true);
      const route = (await askWren(p.wren, { cmd: 'show-routes', prefix: PEER.block }))[0];
      expect(route?.stale).toBe(true);
      const gone = await waitFor(() => p.routes.deletedAfter(PEER.block, t.askedAt), { what: 'the stale route to go', timeoutMs: 15_000, intervalMs: 50 });
      const after = gone - t.askedAt;
      console.log(`graceful: route kept ${after.toFixed(0)} ms after the failure (detection ~900 ms + restart timer 4 s)`);
      expect(after).toBeGreaterThan(4000);
      expect(after).toBeLessThan(7000);
    } finally {
      p.silence.off();
    }
    await waitAllUp(p);
  });

  it('multihop (RFC 5883) to FRR two hops away with ebgpMultihop: 2', { timeout: 120_000 }, async () => {
    const lab = newLab('frrmh');
    current = lab;
    const w = lab.addNamespace('wren');
    const r = lab.addNamespace('router', { forwarding: true });
    const f = lab.addNamespace('far');
    lab.link(w, 'eth0', ['10.0.1.1/24'], r, 'eth0', ['10.0.1.2/24']);
    lab.link(r, 'eth1', ['10.0.2.1/24'], f, 'eth0', ['10.0.2.2/24']);
    exec(w, 'ip', ['route', 'add', '10.0.2.0/24', 'via', '10.0.1.2']);
    exec(f, 'ip', ['route', 'add', '10.0.1.0/24', 'via', '10.0.2.1']);
    const frr = await startFrr(lab, { ns: f, routerId: '10.0.2.2', asn: 65002, neighbors: [{ address: '10.0.1.1', asn: 65000, families: ['ipv4'], multihop: 2, bfd: { minTx: 300, minRx: 300, multiplier: 3 } }], originate: ['172.16.3.0/24'], hostname: 'far' });
    const mh = await PacketTimes.start(lab, w, 'eth0', 'udp dst port 4784 and src host 10.0.2.2', 'bfd-multihop');
    const wren = await startWren(lab, { ns: w, routerId: '10.0.1.1', asn: 65000, neighbors: [{ address: '10.0.2.2', asn: 65002, families: ['ipv4'], multihop: 2, bfd: { minTx: 300, minRx: 300, multiplier: 3 } }], originate: [WREN.block], kernel: true, logLevel: 'info' });
    await waitEstablished(wren, '10.0.2.2');
    const s = await waitFor(async () => {
      const x = (await askWren(wren, { cmd: 'show-bfd' })).sessions[0];
      return x?.state === 'Up' && x.detectTimeMs === 900 ? x : undefined;
    }, { what: 'wren: multihop BFD Up at 300 ms x 3', timeoutMs: 20_000, intervalMs: 50 });
    expect(s).toMatchObject({ multihop: true, detectTimeMs: 900 });
    expect(frr.bfdPeer('10.0.1.1')).toMatchObject({ multihop: true, status: 'up' });
    // FRR's packets came to the multihop port, having crossed the router (TTL 254, accepted with ebgpMultihop 2).
    expect(mh.times().length).toBeGreaterThan(0);
  });

  it('a peer that never answers BFD is reported, not flapped: BGP comes up and stays up', { timeout: 60_000 }, async () => {
    const lab = newLab('frrsilent');
    current = lab;
    const p = await startBfdPair(lab, { bfd: { minTx: 100, minRx: 100, multiplier: 3 }, startPeer: startFrrPeer(), peerWithoutBfd: true });
    await waitEstablished(p.wren, PEER.v4);
    await waitFor(() => inKernel(p.wrenNs, PEER.block), { what: `${PEER.block} in wren's kernel`, timeoutMs: 20_000, intervalMs: 50 });
    // The report comes after 10 s of silence (daemon/bfd-link.ts SILENT_PEER_REPORT_MS).
    await waitFor(() => readFileSync(p.wren.paths.log, 'utf8').includes('BFD: no answer from the peer'), { what: 'wren to report the silent BFD peer', timeoutMs: 20_000, intervalMs: 200 });
    const s = await wrenBfd(p.wren);
    expect(s).toMatchObject({ state: 'Down', heard: false, flaps: 0, bgpHeld: false });
    const bgp = await wrenBgp(p.wren);
    expect(bgp?.state).toBe('Established');
    // Established the whole time: up since before the report, far longer than a detection time.
    expect(bgp?.uptimeSec ?? 0).toBeGreaterThanOrEqual(9);
    expect(wrenBfdEvents(p.wren.paths.log).sessionDowns).toEqual([]);
    expect(inKernel(p.wrenNs, PEER.block)).toBe(true);
  });
});

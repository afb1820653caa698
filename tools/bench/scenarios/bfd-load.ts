/**
 * bfd-load: is wren's BFD ever late while it is busy with routes? (docs/bfd.md, issue 15)
 *
 * The inout topology (feeder -> wren -> sink, N prefixes announced then withdrawn), and a fourth
 * namespace with FRR (bgpd + bfdd) on a link of its own, with a BGP session and a BFD session at
 * 100 ms x 3 to wren. wren exports nothing to FRR (`export: none`), so FRR stays idle and its own
 * timing is not the question; wren runs without kernel programming, as in inout.
 *
 *   feed ns  10.0.1.2 ---- f0 10.0.1.1   DUT ns (wren)   s0 10.0.2.1 ---- 10.0.2.2  sink ns
 *                                        b0 10.0.3.1 ---- eth0 10.0.3.2  frr ns (AS 65003, bfdd 100 ms x 3)
 *
 * Measured: tcpdump timestamps every BFD packet wren sends, from BFD Up before the announce to
 * the end of the withdrawal, twice: as it arrives in FRR's namespace (what FRR's detection sees)
 * and as it leaves wren's (b0: when wren sent it; the difference is the kernel's delivery over the
 * veth, softirq work a busy machine may defer). The worst gap between two packets, how many gaps
 * were longer than the agreed interval (100 ms; wren sends every 75-100 ms, RFC 5880 6.8.7) and
 * than 1.5 intervals, and the false Down events (BFD Up -> Down on wren's side: `show bfd` flaps; on
 * FRR's: its session-down counter). A false Down fails the run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFrr, type FrrDaemon } from '../../daemons/frr.js';
import type { Lab, LabProcess } from '../../kit/netns.js';
import { waitFor } from '../../kit/wait.js';
import { dutLogs, dutWrenSpec, startWrenDut, type Dut } from '../dut.js';
import { benchLab } from '../lab.js';
import type { SpeakerHandle } from '../speaker/handle.js';
import type { WrenDaemon } from '../../daemons/wren.js';
import { DUT_AS, feedThrough, feedThroughDut, feedThroughLab } from './inout.js';
import { MB, type RunResult, type ScenarioOptions } from './types.js';

const FRR_AS = 65003;
const WREN_B0 = '10.0.3.1';
const FRR_ADDR = '10.0.3.2';
/** The BFD timers under test (both ends). */
export const BFD_LOAD_TIMERS = { minTx: 100, minRx: 100, multiplier: 3 } as const;

/** Gaps between consecutive capture times (ms): the worst, the 99th percentile, and how many exceed `intervalMs` and 1.5 x it. */
export function gapStats(times: readonly number[], intervalMs: number): { worst: number; p99: number; mean: number; over: number; overHalf: number; packets: number } {
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) gaps.push((times[i] ?? 0) - (times[i - 1] ?? 0));
  const sorted = [...gaps].sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
  return {
    worst: sorted.at(-1) ?? 0,
    p99,
    mean: gaps.length === 0 ? 0 : gaps.reduce((a, b) => a + b, 0) / gaps.length,
    over: gaps.filter((g) => g > intervalMs).length,
    overHalf: gaps.filter((g) => g > intervalMs * 1.5).length,
    packets: times.length,
  };
}

/** Capture times (ms since the epoch) of the lines `tcpdump -tt` printed. */
export function tcpdumpTimes(text: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+)\.(\d{6}) IP /.exec(line);
    if (m?.[1] && m[2]) out.push(Number(m[1]) * 1000 + Number(m[2]) / 1000);
  }
  return out;
}

export async function runBfdLoad(n: number, run: number, o: ScenarioOptions): Promise<RunResult> {
  const lab = benchLab('bfd', o.keep);
  let dut: Dut | undefined;
  let frr: FrrDaemon | undefined;
  const captures: LabProcess[] = [];
  const speakers: SpeakerHandle[] = [];
  const info: Record<string, number | string> = {};
  try {
    const { feedNs, dutNs, sinkNs } = feedThroughLab(lab);
    const frrNs = lab.addNamespace('frr');
    lab.link(dutNs, 'b0', [`${WREN_B0}/24`], frrNs, 'eth0', [`${FRR_ADDR}/24`]);
    const base = dutWrenSpec(feedThroughDut(dutNs));
    dut = await startWrenDut(lab, {
      ...base,
      neighbors: [...base.neighbors, { address: FRR_ADDR, asn: FRR_AS, families: ['ipv4'], bfd: BFD_LOAD_TIMERS }],
      peerExtra: { [FRR_ADDR]: { import: 'none', export: 'none' } },
    });
    const wren = dut.daemon as WrenDaemon;
    frr = await startFrr(lab, {
      ns: frrNs,
      routerId: FRR_ADDR,
      asn: FRR_AS,
      neighbors: [{ address: WREN_B0, asn: DUT_AS, families: ['ipv4'], bfd: BFD_LOAD_TIMERS }],
      originate: [],
      hostname: 'frr',
      quietLogs: true,
    });
    const f = frr;
    await waitFor(
      () => {
        const s = wren.showBfd().sessions.find((x) => x.peer === FRR_ADDR);
        return s?.state === 'Up' && s.remoteState === 'Up' && s.txIntervalMs === 100 && s.detectTimeMs === 300 && !s.polling;
      },
      { what: 'wren: BFD to FRR Up at 100 ms x 3', timeoutMs: 60_000 * o.timeoutScale, intervalMs: 100 },
    );
    await waitFor(() => f.bfdPeer(WREN_B0)?.status === 'up', { what: 'FRR: BFD up', timeoutMs: 20_000, intervalMs: 100 });
    const frrDownsBefore = f.bfdCounters().find((c) => c.peer === WREN_B0)?.['session-down'] ?? 0;
    const wrenFlapsBefore = wren.showBfd().sessions.find((x) => x.peer === FRR_ADDR)?.flaps ?? 0;

    // Twice: as sent (wren's namespace, the capture point of its own transmit path) and as arrived (FRR's).
    const capture = async (ns: string, ifName: string, name: string): Promise<string> => {
      const file = join(lab.dir, `${name}.txt`);
      captures.push(lab.spawn(ns, 'tcpdump', ['-i', ifName, '-n', '-tt', '-l', '-U', '-B', '4096', `udp dst port 3784 and src host ${WREN_B0}`], { logFile: file, name }));
      await waitFor(() => readFileSync(file, 'utf8').includes('listening on'), { what: `tcpdump ${name} to listen`, timeoutMs: 10_000, intervalMs: 20 });
      return file;
    };
    const sentFile = await capture(dutNs, 'b0', 'bfd-sent-by-wren');
    const arrivedFile = await capture(frrNs, 'eth0', 'bfd-arrived-at-frr');

    const r = await feedThrough(lab, dut, { feedNs, sinkNs, n }, o, info, speakers, 'wren');

    await Promise.all(captures.splice(0).map((c) => c.stop(2000)));
    const gaps = gapStats(tcpdumpTimes(readFileSync(arrivedFile, 'utf8')), BFD_LOAD_TIMERS.minTx);
    const sent = gapStats(tcpdumpTimes(readFileSync(sentFile, 'utf8')), BFD_LOAD_TIMERS.minTx);
    const wrenDowns = (wren.showBfd().sessions.find((x) => x.peer === FRR_ADDR)?.flaps ?? 0) - wrenFlapsBefore;
    const frrDowns = (f.bfdCounters().find((c) => c.peer === WREN_B0)?.['session-down'] ?? 0) - frrDownsBefore;
    Object.assign(info, { bfdPackets: gaps.packets, bfdMeanGapMs: Math.round(gaps.mean * 10) / 10, bfdWrenDowns: wrenDowns, bfdFrrDowns: frrDowns, frrBfd: JSON.stringify(f.bfdPeer(WREN_B0) ?? null) });
    const metrics = {
      announce_s: r.announceSec,
      withdraw_s: r.withdrawSec,
      bfd_worst_gap_ms: gaps.worst,
      bfd_p99_gap_ms: gaps.p99,
      bfd_gaps_over_interval: gaps.over,
      bfd_gaps_over_1_5_interval: gaps.overHalf,
      bfd_worst_sent_gap_ms: sent.worst,
      bfd_sent_gaps_over_1_5_interval: sent.overHalf,
      bfd_false_downs: wrenDowns + frrDowns,
      rss_mb: r.after.hwmBytes / MB,
      cpu_s: r.after.cpuSec - r.before.cpuSec,
    };
    if (wrenDowns + frrDowns > 0) {
      return { scenario: 'bfd-load', subject: 'wren', size: n, run, metrics, info, error: `false BFD Down during the load: wren ${wrenDowns}, FRR ${frrDowns} (worst gap ${gaps.worst.toFixed(1)} ms)` };
    }
    return { scenario: 'bfd-load', subject: 'wren', size: n, run, metrics, info };
  } catch (err) {
    let why = err instanceof Error ? err.message : String(err);
    if (dut) why += `\n${dutLogs(dut)}`;
    return { scenario: 'bfd-load', subject: 'wren', size: n, run, metrics: {}, error: why, info };
  } finally {
    await Promise.allSettled(captures.map((c) => c.stop(2000)));
    await Promise.allSettled(speakers.map((s) => s.close()));
    await dut?.stop().catch(() => undefined);
    await frr?.stop().catch(() => undefined);
    await lab.destroy().catch((err: unknown) => o.log(`bfd-load: ${String(err)}`));
  }
}

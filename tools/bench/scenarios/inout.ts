/**
 * inout: feeder --eBGP--> DUT --eBGP--> sink, each in its own namespace.
 *
 *   feed ns  eth0 10.0.1.2/24 ---- f0 10.0.1.1/24   DUT ns   s0 10.0.2.1/24 ---- eth0 10.0.2.2/24  sink ns
 *   AS 65001                           AS 65000                                  AS 65002
 *
 * The feeder streams N pre-encoded prefixes; measured: seconds from the first UPDATE byte the feeder
 * writes to the moment the sink holds all N (announce_s), the same for the withdrawal of all N
 * (withdraw_s), the DUT's peak RSS (VmHWM) and its CPU seconds (utime + stime) over both phases.
 */
import type { Lab } from '../../kit/netns.js';
import { sample, type ProcSample } from '../proc-stats.js';
import { dutLogs, startDut, type Dut, type DutKind } from '../dut.js';
import { benchLab } from '../lab.js';
import { SpeakerHandle } from '../speaker/handle.js';
import { MB, secondsBetween, type RunResult, type ScenarioOptions } from './types.js';

export const HOLD_TIME = 240;
/** Bound of the wait for the DUT's End-of-RIB after a session comes up (FRR's coalesce timer is up to 10 s). */
export const EOR_TIMEOUT_MS = 20_000;
export const DUT_AS = 65000;
export const FEED_AS = 65001;
export const SINK_AS = 65002;

/** Bound of one phase: generous, linear in N, scaled by --timeout-scale. */
export const phaseTimeoutMs = (n: number, o: ScenarioOptions): number => Math.round((60_000 + n * 0.6) * o.timeoutScale);

export async function runInout(kind: DutKind, n: number, run: number, o: ScenarioOptions): Promise<RunResult> {
  const lab = benchLab('inout', o.keep);
  let dut: Dut | undefined;
  const speakers: SpeakerHandle[] = [];
  const info: Record<string, number | string> = {};
  try {
    const feedNs = lab.addNamespace('feed');
    const dutNs = lab.addNamespace('dut');
    const sinkNs = lab.addNamespace('sink');
    lab.link(feedNs, 'eth0', ['10.0.1.2/24'], dutNs, 'f0', ['10.0.1.1/24']);
    lab.link(dutNs, 's0', ['10.0.2.1/24'], sinkNs, 'eth0', ['10.0.2.2/24']);
    dut = await startDut(lab, kind, {
      ns: dutNs,
      routerId: '10.0.1.1',
      asn: DUT_AS,
      neighbors: [
        { address: '10.0.1.2', asn: FEED_AS },
        { address: '10.0.2.2', asn: SINK_AS },
      ],
      kernel: false,
      holdTime: HOLD_TIME,
      ...(o.cpuProfileDir !== undefined && kind === 'wren' ? { cpuProfileDir: o.cpuProfileDir } : {}),
    });
    const r = await feedThrough(lab, dut, { feedNs, sinkNs, n }, o, info, speakers);
    return {
      scenario: 'inout',
      subject: kind,
      size: n,
      run,
      metrics: { announce_s: r.announceSec, withdraw_s: r.withdrawSec, rss_mb: r.after.hwmBytes / MB, cpu_s: r.after.cpuSec - r.before.cpuSec },
      info,
    };
  } catch (err) {
    let why = err instanceof Error ? err.message : String(err);
    const held = await speakers[0]?.status();
    if (held) why += ` (sink: ${JSON.stringify(held)})`;
    if (dut) why += `\n${dutLogs(dut)}`;
    return { scenario: 'inout', subject: kind, size: n, run, metrics: {}, error: why, info };
  } finally {
    await Promise.allSettled(speakers.map((s) => s.close()));
    await dut?.stop().catch(() => undefined);
    await lab.destroy().catch((err: unknown) => o.log(`inout: ${String(err)}`));
  }
}

/** The namespaces of the feeder and the sink, linked to the DUT as in the diagram above, and N. */
export interface FeedThroughSetup {
  readonly feedNs: string;
  readonly sinkNs: string;
  readonly n: number;
}

export interface FeedThroughResult {
  readonly announceSec: number;
  readonly withdrawSec: number;
  /** The DUT's processes before the announce and after the withdrawal. */
  readonly before: ProcSample;
  readonly after: ProcSample;
}

/**
 * The feeder (10.0.1.2, AS 65001) and the sink (10.0.2.2, AS 65002) connect to the DUT; N prefixes
 * are announced through it, then withdrawn. Facts go into `info`; the speakers into `speakers` (the
 * caller closes them). Shared by inout and bfd-load.
 */
export async function feedThrough(
  lab: Lab,
  dut: Dut,
  x: FeedThroughSetup,
  o: ScenarioOptions,
  info: Record<string, number | string>,
  speakers: SpeakerHandle[],
): Promise<FeedThroughResult> {
  const { feedNs, sinkNs, n } = x;
  const establishMs = 60_000 * o.timeoutScale;
  const sink = new SpeakerHandle(lab, sinkNs, 'sink');
  speakers.push(sink);
  const sinkReady = await sink.init({ role: 'sink', remote: '10.0.2.1', local: '10.0.2.2', asn: SINK_AS, routerId: '10.0.2.2', holdTime: HOLD_TIME, establishTimeoutMs: establishMs, eorTimeoutMs: dut.sendsEndOfRib ? EOR_TIMEOUT_MS : 0, verifyEvery: 64 }, establishMs + 5000);
  const feeder = new SpeakerHandle(lab, feedNs, 'feeder');
  speakers.push(feeder);
  const ready = await feeder.init(
    { role: 'feeder', remote: '10.0.1.1', local: '10.0.1.2', asn: FEED_AS, routerId: '10.0.1.2', holdTime: HOLD_TIME, establishTimeoutMs: establishMs, eorTimeoutMs: dut.sendsEndOfRib ? EOR_TIMEOUT_MS : 0, n, seed: o.seed, avoidAs: [DUT_AS, SINK_AS] },
    establishMs + 120_000,
  );
  Object.assign(info, ready, { sinkEor: sinkReady['eor'] ?? '', sinkEorMs: sinkReady['eorMs'] ?? 0 });

  const pids = dut.measured.map((p) => p.pid);
  const before = sample(pids);
  const limit = phaseTimeoutMs(n, o);

  const phase = async (cmd: 'announce' | 'withdraw', target: number): Promise<number> => {
    sink.send({ cmd: 'expect', count: target });
    await sink.wait('expecting', 10_000, 'the sink to arm its counter');
    feeder.send({ cmd });
    const reached = sink.wait('reached', limit, `the sink to hold ${target} prefixes after ${cmd}`);
    reached.catch(() => undefined);
    const sent = await feeder.wait('sent', limit, `the feeder to send its ${cmd} UPDATEs`);
    const at = await reached;
    return secondsBetween(sent.firstNs, at.atNs);
  };
  const announce = await phase('announce', n);
  const withdraw = await phase('withdraw', 0);
  const after = sample(pids);
  const st = await sink.status();
  if (st) info['sinkUpdates'] = st['updates'] ?? 0;
  if (st) info['sinkVerified'] = st['verified'] ?? 0;
  return { announceSec: announce, withdrawSec: withdraw, before, after };
}

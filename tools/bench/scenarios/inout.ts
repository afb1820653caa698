/**
 * inout: feeder --eBGP--> DUT --eBGP--> sink, each in its own namespace.
 *
 *   feed ns  eth0 10.0.1.2/24 ---- f0 10.0.1.1/24   DUT ns   s0 10.0.2.1/24 ---- eth0 10.0.2.2/24  sink ns
 *   AS 65001                           AS 65000                                  AS 65002
 *
 * The feeder streams N pre-encoded prefixes; measured: seconds from the first UPDATE byte the feeder
 * writes to the moment the sink holds all N (announce_s), the same for the withdrawal of all N
 * (withdraw_s), the DUT's peak RSS (VmHWM) and its CPU seconds (utime + stime) over both phases.
 *
 * Content, not only counts: at the end of the announce phase the sink's digest of what it holds
 * (every prefix with its next hop and AS path, digest.ts) must equal the digest of the feeder's
 * table as the DUT should pass it on (next hop 10.0.2.1, AS 65000 prepended). A difference makes the
 * run invalid, with the sink's first differing routes as the reason; no time is reported for it.
 */
import type { Lab } from '../../kit/netns.js';
import { describeDiff, digestOf, tableRoutes, type Transform } from '../digest.js';
import { MemoryWatch, sample, type ProcSample } from '../proc-stats.js';
import { dutLogs, startDut, type Dut, type DutSpec } from '../dut.js';
import { benchLab } from '../lab.js';
import { SpeakerHandle } from '../speaker/handle.js';
import { generateTable, type TableOptions } from '../table.js';
import { failedRun, InvalidResult, MB, secondsBetween, type DutRef, type RunResult, type ScenarioOptions } from './types.js';

export const HOLD_TIME = 240;
/** Bound of the wait for the DUT's End-of-RIB after a session comes up (FRR's coalesce timer is up to 10 s). */
export const EOR_TIMEOUT_MS = 20_000;
export const DUT_AS = 65000;
export const FEED_AS = 65001;
export const SINK_AS = 65002;

/** How long after the withdrawal the resident memory left behind is read. */
export const SETTLE_MS = 3000;

/** Bound of one phase: generous, linear in N, scaled by --timeout-scale. */
export const phaseTimeoutMs = (n: number, o: ScenarioOptions): number => Math.round((60_000 + n * 0.6) * o.timeoutScale);

/** What the sink should hold after the announce phase: the DUT's address on the sink's link as next hop, its AS first. */
export const SINK_TRANSFORM: Transform = { nextHop: '10.0.2.1', prepend: [DUT_AS] };

/** The feeder's table (the feeder generates the same from these options). */
export const feedTable = (n: number, seed: number): TableOptions => ({ n, seed, firstAs: FEED_AS, nextHop: '10.0.1.2', avoidAs: [DUT_AS, SINK_AS] });

const digestCache = new Map<string, { sent: string; atSink: string }>();

/** The digests of the table as the feeder sends it and as the sink should hold it (computed once per table and transform). */
export function expectedDigests(table: TableOptions, t: Transform): { sent: string; atSink: string } {
  const key = JSON.stringify([table, t]);
  let d = digestCache.get(key);
  if (d === undefined) {
    const groups = generateTable(table);
    d = { sent: digestOf(tableRoutes(groups)).value, atSink: digestOf(tableRoutes(groups, t)).value };
    digestCache.set(key, d);
  }
  return d;
}

export async function runInout(ref: DutRef, n: number, run: number, o: ScenarioOptions): Promise<RunResult> {
  const { kind, subject } = ref;
  const lab = benchLab('inout', o.keep);
  let dut: Dut | undefined;
  let memory: MemoryWatch | undefined;
  const speakers: SpeakerHandle[] = [];
  const info: Record<string, number | string> = {};
  try {
    const { feedNs, dutNs, sinkNs } = feedThroughLab(lab);
    dut = await startDut(lab, kind, {
      ...feedThroughDut(dutNs),
      ...(o.cpuProfileDir !== undefined && kind === 'wren' ? { cpuProfileDir: o.cpuProfileDir } : {}),
      ...(ref.cli !== undefined ? { cli: ref.cli } : {}),
    });
    const pids = dut.measured.map((p) => p.pid);
    memory = new MemoryWatch(pids).start();
    const r = await feedThrough(lab, dut, { feedNs, sinkNs, n }, o, info, speakers, subject);
    const mem = memory.stop();
    if (pids.length > 1) info['rssSumOfPeaksMb'] = mem.sumOfPeaksBytes / MB;
    return {
      scenario: 'inout',
      subject,
      size: n,
      run,
      metrics: {
        announce_s: r.announceSec,
        withdraw_s: r.withdrawSec,
        rss_mb: mem.peakBytes / MB,
        rss_idle_mb: r.before.rssBytes / MB,
        rss_after_mb: r.settled.rssBytes / MB,
        cpu_s: r.after.cpuSec - r.before.cpuSec,
      },
      info,
    };
  } catch (err) {
    let context = '';
    const held = await speakers[0]?.status();
    if (held) context += ` (sink: ${JSON.stringify(held)})`;
    if (dut) context += `\n${dutLogs(dut)}`;
    return failedRun({ scenario: 'inout', subject, size: n, run, info }, err, context);
  } finally {
    memory?.cancel();
    await Promise.allSettled(speakers.map((s) => s.close()));
    await dut?.stop().catch(() => undefined);
    await lab.destroy().catch((err: unknown) => o.log(`inout: ${String(err)}`));
  }
}

/** The three namespaces of the diagram above, linked. */
export function feedThroughLab(lab: Lab): { feedNs: string; dutNs: string; sinkNs: string } {
  const feedNs = lab.addNamespace('feed');
  const dutNs = lab.addNamespace('dut');
  const sinkNs = lab.addNamespace('sink');
  lab.link(feedNs, 'eth0', ['10.0.1.2/24'], dutNs, 'f0', ['10.0.1.1/24']);
  lab.link(dutNs, 's0', ['10.0.2.1/24'], sinkNs, 'eth0', ['10.0.2.2/24']);
  return { feedNs, dutNs, sinkNs };
}

/** The DUT's side of the diagram: its AS, the feeder and the sink as eBGP neighbors, no kernel. */
export function feedThroughDut(ns: string): DutSpec {
  return {
    ns,
    routerId: '10.0.1.1',
    asn: DUT_AS,
    neighbors: [
      { address: '10.0.1.2', asn: FEED_AS },
      { address: '10.0.2.2', asn: SINK_AS },
    ],
    kernel: false,
    holdTime: HOLD_TIME,
  };
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
  /** The DUT's processes before the announce, after the withdrawal, and SETTLE_MS later. */
  readonly before: ProcSample;
  readonly after: ProcSample;
  readonly settled: ProcSample;
}

/**
 * The feeder (10.0.1.2, AS 65001) and the sink (10.0.2.2, AS 65002) connect to the DUT; N prefixes
 * are announced through it, the sink's content is checked against the feeder's table (an
 * InvalidResult when it differs), then they are withdrawn. Facts go into `info`; the speakers into
 * `speakers` (the caller closes them). Shared by inout and bfd-load.
 */
export async function feedThrough(
  lab: Lab,
  dut: Dut,
  x: FeedThroughSetup,
  o: ScenarioOptions,
  info: Record<string, number | string>,
  speakers: SpeakerHandle[],
  subject: string,
): Promise<FeedThroughResult> {
  const { feedNs, sinkNs, n } = x;
  const table = feedTable(n, o.seed);
  const transform: Transform = o.expectWrongNextHop ? { ...SINK_TRANSFORM, nextHop: '10.0.2.99' } : SINK_TRANSFORM;
  const expected = expectedDigests(table, transform);
  info['expectedDigest'] = expected.atSink;
  const establishMs = 60_000 * o.timeoutScale;
  const sink = new SpeakerHandle(lab, sinkNs, 'sink');
  speakers.push(sink);
  const sinkReady = await sink.init({ role: 'sink', remote: '10.0.2.1', local: '10.0.2.2', asn: SINK_AS, routerId: '10.0.2.2', holdTime: HOLD_TIME, establishTimeoutMs: establishMs, eorTimeoutMs: dut.sendsEndOfRib ? EOR_TIMEOUT_MS : 0, verifyEvery: 64 }, establishMs + 5000);
  const feeder = new SpeakerHandle(lab, feedNs, 'feeder');
  speakers.push(feeder);
  const ready = await feeder.init(
    { role: 'feeder', remote: '10.0.1.1', local: table.nextHop, asn: FEED_AS, routerId: '10.0.1.2', holdTime: HOLD_TIME, establishTimeoutMs: establishMs, eorTimeoutMs: dut.sendsEndOfRib ? EOR_TIMEOUT_MS : 0, n, seed: o.seed, avoidAs: table.avoidAs },
    establishMs + 120_000,
  );
  Object.assign(info, ready, { sinkEor: sinkReady['eor'] ?? '', sinkEorMs: sinkReady['eorMs'] ?? 0 });
  // The expectation is the table the feeder sends, not a copy that could have drifted from it.
  if (ready['tableDigest'] !== expected.sent) throw new Error(`the feeder's table digest ${String(ready['tableDigest'])} is not the harness's ${expected.sent}`);

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
  sink.send({ cmd: 'digest' });
  const held = await sink.wait('digest', 60_000 * o.timeoutScale, "the sink's digest");
  info['sinkDigest'] = held.digest;
  info['sinkAttributeSets'] = held.attributeSets;
  if (held.digest !== expected.atSink) {
    sink.send({ cmd: 'diff', table, transform });
    const diff = await sink.wait('diff', 120_000 * o.timeoutScale, "the sink's differences from the feeder's table");
    throw new InvalidResult(`the sink's routes after the announce phase are not the feeder's table as ${subject} should pass it on (digest ${held.digest}, expected ${expected.atSink}): ${describeDiff(diff.diff)}`);
  }
  const withdraw = await phase('withdraw', 0);
  const after = sample(pids);
  // What the table leaves behind: resident memory a few seconds after the last withdrawal, against
  // before the first announcement (the sessions up, no route).
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const settled = sample(pids);
  const st = await sink.status();
  if (st) info['sinkUpdates'] = st['updates'] ?? 0;
  if (st) info['sinkVerified'] = st['verified'] ?? 0;
  return { announceSec: announce, withdrawSec: withdraw, before, after, settled };
}

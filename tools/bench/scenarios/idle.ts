/**
 * idle: what a daemon holds at rest on an ordinary node (issue 14's "idle baseline": 10 peers,
 * 1,000 routes).
 *
 *   peers ns  p0 10.0.1.2 .. 10.0.1.11/24 ---- f0 10.0.1.1/24  DUT ns (kernel on, but GoBGP: no FIB)
 *             10.0.1.2: feeder, AS 65001, announces IDLE_ROUTES prefixes
 *             10.0.1.3 .. 10.0.1.11: nine watchers, AS 65002, receive them (one process)
 *
 * The ten sessions come up, the feeder announces its table, the DUT installs it in the FIB (checked:
 * every prefix via 10.0.1.2 dev f0 with the DUT's protocol, as in the kernel scenario) and passes
 * it on to the nine watchers. Then the DUT is left alone until it is quiet (under QUIET_CPU of a
 * core over a QUIET_WINDOW_MS window, at most QUIET_BOUND_MS) and SETTLE_MS more; measured: its
 * resident memory then (rss_mb: VmRSS, summed over FRR's processes), and its peak (VmHWM) on the
 * way there.
 */
import { dutGone, dutLogs, startDut, type Dut } from '../dut.js';
import { fibPrefixes, pollFib } from '../fib-count.js';
import { checkKernelRoutes, describeKernelCheck, kernelCheckOk, readKernelRoutes } from '../kernel-routes.js';
import { benchLab } from '../lab.js';
import { MemoryWatch, sample } from '../proc-stats.js';
import { SpeakerHandle } from '../speaker/handle.js';
import { generateTable } from '../table.js';
import { EOR_TIMEOUT_MS, HOLD_TIME, phaseTimeoutMs } from './inout.js';
import { failedRun, IDLE_PEERS, IDLE_ROUTES, InvalidResult, MB, type DutRef, type RunResult, type ScenarioOptions } from './types.js';

const DUT_AS = 65000;
const FEED_AS = 65001;
const WATCH_AS = 65002;
const FEED_ADDR = '10.0.1.2';
const DUT_LINK = 'f0';
/** Quiet: less than this share of one core over the window. */
const QUIET_CPU = 0.02;
const QUIET_WINDOW_MS = 2000;
const QUIET_BOUND_MS = 60_000;
/** After quiet, this long more before the sample (timers, a last GC). */
const SETTLE_MS = 5000;

const watcherAddress = (i: number): string => `10.0.1.${3 + i}`;

export async function runIdle(ref: DutRef, run: number, o: ScenarioOptions): Promise<RunResult> {
  const { kind, subject } = ref;
  const size = IDLE_ROUTES;
  const lab = benchLab('idle', o.keep);
  let dut: Dut | undefined;
  let memory: MemoryWatch | undefined;
  const speakers: SpeakerHandle[] = [];
  const info: Record<string, number | string> = {};
  try {
    const peersNs = lab.addNamespace('peers');
    const dutNs = lab.addNamespace('dut');
    const watchers = Array.from({ length: IDLE_PEERS - 1 }, (_, i) => watcherAddress(i));
    lab.link(peersNs, 'p0', [`${FEED_ADDR}/24`], dutNs, DUT_LINK, ['10.0.1.1/24']);
    lab.addAddresses(peersNs, 'p0', watchers.map((a) => `${a}/24`));
    const kernel = kind !== 'gobgp';
    info['kernel'] = kernel ? 'yes' : 'no (GoBGP has no FIB)';
    dut = await startDut(lab, kind, {
      ns: dutNs,
      routerId: '10.0.1.1',
      asn: DUT_AS,
      neighbors: [{ address: FEED_ADDR, asn: FEED_AS }, ...watchers.map((address) => ({ address, asn: WATCH_AS }))],
      kernel,
      holdTime: HOLD_TIME,
      ...(ref.cli !== undefined ? { cli: ref.cli } : {}),
    });
    const pids = dut.measured.map((p) => p.pid);
    memory = new MemoryWatch(pids).start();
    const establishMs = 60_000 * o.timeoutScale;
    const eorTimeoutMs = dut.sendsEndOfRib ? EOR_TIMEOUT_MS : 0;
    const watch = new SpeakerHandle(lab, peersNs, 'watchers');
    speakers.push(watch);
    await watch.init({ role: 'watchers', remote: '10.0.1.1', addrs: watchers, asn: WATCH_AS, holdTime: HOLD_TIME, establishTimeoutMs: establishMs, eorTimeoutMs }, establishMs + 5000);
    const feeder = new SpeakerHandle(lab, peersNs, 'feeder');
    speakers.push(feeder);
    const table = { n: size, seed: o.seed, firstAs: FEED_AS, nextHop: FEED_ADDR, avoidAs: [DUT_AS, WATCH_AS] };
    Object.assign(
      info,
      await feeder.init({ role: 'feeder', remote: '10.0.1.1', local: FEED_ADDR, asn: FEED_AS, routerId: FEED_ADDR, holdTime: HOLD_TIME, establishTimeoutMs: establishMs, eorTimeoutMs, n: size, seed: o.seed, avoidAs: table.avoidAs }, establishMs + 60_000),
    );
    const started = dut;
    const broken = (): string | null => dutGone(started) ?? feeder.failure?.message ?? watch.failure?.message ?? null;
    const limit = phaseTimeoutMs(size, o);
    const baseline = kernel ? await fibPrefixes(dutNs) : 0;
    feeder.send({ cmd: 'announce' });
    await feeder.wait('sent', limit, 'the feeder to send its UPDATEs');
    if (kernel) {
      await pollFib(dutNs, (c) => c >= baseline + size, limit, `${size} routes in the FIB`, broken);
      const prefixes = generateTable(table).flatMap((g) => g.prefixes);
      const nextHop = o.expectWrongNextHop ? '10.0.1.99' : FEED_ADDR;
      const c = checkKernelRoutes(readKernelRoutes(dutNs), { prefixes, nextHop, dev: DUT_LINK, protocol: dut.kernelProtocol });
      info['fibRight'] = c.good;
      if (!kernelCheckOk(c)) throw new InvalidResult(`the FIB ${subject} installed is not the feeder's table via ${nextHop} dev ${DUT_LINK}: ${describeKernelCheck(c)}`);
    }
    info['quietAfterMs'] = await untilQuiet(pids, broken);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const why = broken();
    if (why !== null) throw new Error(`${why} while settling`);
    const now = sample(pids);
    const mem = memory.stop();
    return { scenario: 'idle', subject, size, run, metrics: { rss_mb: now.rssBytes / MB, rss_peak_mb: mem.peakBytes / MB }, info };
  } catch (err) {
    return failedRun({ scenario: 'idle', subject, size, run, info }, err, dut ? `\n${dutLogs(dut)}` : '');
  } finally {
    memory?.cancel();
    await Promise.allSettled(speakers.map((s) => s.close()));
    await dut?.stop().catch(() => undefined);
    await lab.destroy().catch((err: unknown) => o.log(`idle: ${String(err)}`));
  }
}

/** Waits until the processes use less than QUIET_CPU of a core over QUIET_WINDOW_MS; returns how long that took (bounded: then it goes on all the same). */
async function untilQuiet(pids: readonly number[], broken: () => string | null): Promise<number> {
  const t0 = Date.now();
  let last = sample(pids).cpuSec;
  while (Date.now() - t0 < QUIET_BOUND_MS) {
    await new Promise((r) => setTimeout(r, QUIET_WINDOW_MS));
    const why = broken();
    if (why !== null) throw new Error(`${why} while waiting for the daemon to be quiet`);
    const cpu = sample(pids).cpuSec;
    if (cpu - last < QUIET_CPU * (QUIET_WINDOW_MS / 1000)) break;
    last = cpu;
  }
  return Date.now() - t0;
}

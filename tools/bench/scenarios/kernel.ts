/**
 * kernel: N routes learned over eBGP into the DUT's FIB.
 *
 *   feed ns  eth0 10.0.1.2/24 ---- f0 10.0.1.1/24  DUT ns (wren, BIRD + kernel protocol, FRR bgpd + zebra)
 *
 * Measured: seconds from the feeder's first UPDATE byte until the namespace's FIB holds all N
 * routes (install_s), and from the first withdrawal byte until none is left (remove_s); then the
 * DUT's peak RSS and CPU seconds (FRR: bgpd + zebra; its peak is the largest sum of the two read at
 * one instant, proc-stats.ts). Completion is polled (fib-count.ts); then the content is checked
 * (kernel-routes.ts): every prefix of the table installed via 10.0.1.2 dev f0 with the DUT's
 * protocol id, nothing else with that id. A wrong FIB makes the run invalid (no time is reported
 * for it); after the withdrawal no route with the protocol id may be left. The floor, `ip-batch`: the same N routes added (and then
 * deleted) by one `ip -batch` process, one netlink request at a time, with no BGP at all.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../../kit/netns.js';
import { dutGone, dutLogs, startDut, type Dut } from '../dut.js';
import { fibPrefixes, pollFib, protocolRouteCount } from '../fib-count.js';
import { checkKernelRoutes, describeKernelCheck, kernelCheckOk, readKernelRoutes } from '../kernel-routes.js';
import { benchLab } from '../lab.js';
import { MemoryWatch, sample } from '../proc-stats.js';
import { SpeakerHandle } from '../speaker/handle.js';
import { generateTable } from '../table.js';
import { EOR_TIMEOUT_MS, HOLD_TIME, phaseTimeoutMs } from './inout.js';
import { failedRun, InvalidResult, MB, secondsBetween, type DutRef, type RunResult, type ScenarioOptions } from './types.js';

const DUT_AS = 65000;
const FEED_AS = 65001;
/** RTPROT_BGP, for the ip -batch floor's routes. */
const BATCH_PROTOCOL = 186;
const FEED_ADDR = '10.0.1.2';
const DUT_LINK = 'f0';

/** The table's prefixes, as the feeder sends them. */
const tablePrefixes = (n: number, seed: number): string[] => generateTable({ n, seed, firstAs: FEED_AS, nextHop: FEED_ADDR, avoidAs: [DUT_AS] }).flatMap((g) => g.prefixes);

/** Throws InvalidResult unless the FIB holds exactly the table via the feeder with `protocol`. */
function checkFib(ns: string, prefixes: readonly string[], protocol: number, who: string, info: Record<string, number | string>, o: ScenarioOptions): void {
  // --expect-wrong-next-hop: a self-test of this check, which must then fail.
  const nextHop = o.expectWrongNextHop ? '10.0.1.99' : FEED_ADDR;
  const c = checkKernelRoutes(readKernelRoutes(ns), { prefixes, nextHop, dev: DUT_LINK, protocol });
  info['fibRight'] = c.good;
  if (!kernelCheckOk(c)) throw new InvalidResult(`the FIB ${who} installed is not the feeder's table via ${nextHop} dev ${DUT_LINK} proto ${protocol}: ${describeKernelCheck(c)}`);
}

function runFile(cmd: string, args: readonly string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, _out, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message} ${stderr.slice(0, 300)}`));
      else resolve();
    });
  });
}

async function ipBatchFloor(lab: Lab, dutNs: string, n: number, run: number, o: ScenarioOptions, info: Record<string, number | string>): Promise<RunResult> {
  const prefixes = tablePrefixes(n, o.seed);
  const add = join(lab.dir, 'add.batch');
  const del = join(lab.dir, 'del.batch');
  writeFileSync(add, prefixes.map((p) => `route add ${p} via 10.0.1.2 proto ${BATCH_PROTOCOL}\n`).join(''));
  writeFileSync(del, prefixes.map((p) => `route del ${p} via 10.0.1.2 proto ${BATCH_PROTOCOL}\n`).join(''));
  const limit = phaseTimeoutMs(n, o);
  const t0 = process.hrtime.bigint();
  await runFile('ip', ['-n', dutNs, '-batch', add], limit);
  const t1 = process.hrtime.bigint();
  checkFib(dutNs, prefixes, BATCH_PROTOCOL, 'ip -batch', info, o);
  const t2 = process.hrtime.bigint();
  await runFile('ip', ['-n', dutNs, '-batch', del], limit);
  const t3 = process.hrtime.bigint();
  const left = protocolRouteCount(dutNs, BATCH_PROTOCOL);
  if (left !== 0) throw new Error(`ip -batch left ${left} routes`);
  return { scenario: 'kernel', subject: 'ip-batch', size: n, run, metrics: { install_s: secondsBetween(t0, t1), remove_s: secondsBetween(t2, t3) }, info };
}

/** One kernel run of a DUT, or of the `ip -batch` floor. */
export async function runKernel(ref: DutRef | 'ip-batch', n: number, run: number, o: ScenarioOptions): Promise<RunResult> {
  const subject = ref === 'ip-batch' ? ref : ref.subject;
  const lab = benchLab('kernel', o.keep);
  let dut: Dut | undefined;
  let memory: MemoryWatch | undefined;
  let feeder: SpeakerHandle | undefined;
  const info: Record<string, number | string> = {};
  try {
    const feedNs = lab.addNamespace('feed');
    const dutNs = lab.addNamespace('dut');
    lab.link(feedNs, 'eth0', ['10.0.1.2/24'], dutNs, 'f0', ['10.0.1.1/24']);
    if (ref === 'ip-batch') return await ipBatchFloor(lab, dutNs, n, run, o, info);
    const kind = ref.kind;
    const prefixes = tablePrefixes(n, o.seed);
    dut = await startDut(lab, kind, {
      ns: dutNs,
      routerId: '10.0.1.1',
      asn: DUT_AS,
      neighbors: [{ address: '10.0.1.2', asn: FEED_AS }],
      kernel: true,
      holdTime: HOLD_TIME,
      ...(o.cpuProfileDir !== undefined && kind === 'wren' ? { cpuProfileDir: o.cpuProfileDir } : {}),
      ...(ref.cli !== undefined ? { cli: ref.cli } : {}),
    });
    const pids = dut.measured.map((p) => p.pid);
    memory = new MemoryWatch(pids).start();
    const establishMs = 60_000 * o.timeoutScale;
    feeder = new SpeakerHandle(lab, feedNs, 'feeder');
    Object.assign(
      info,
      await feeder.init(
        { role: 'feeder', remote: '10.0.1.1', local: FEED_ADDR, asn: FEED_AS, routerId: '10.0.1.2', holdTime: HOLD_TIME, establishTimeoutMs: establishMs, eorTimeoutMs: dut.sendsEndOfRib ? EOR_TIMEOUT_MS : 0, n, seed: o.seed, avoidAs: [DUT_AS] },
        establishMs + 120_000,
      ),
    );
    const proto = dut.kernelProtocol;
    info['protocol'] = proto;
    const baseline = await fibPrefixes(dutNs);
    const before = sample(pids);
    const limit = phaseTimeoutMs(n, o);
    const started = dut;
    const fed = feeder;
    const broken = (): string | null => dutGone(started) ?? fed.failure?.message ?? null;

    feeder.send({ cmd: 'announce' });
    const sentA = await feeder.wait('sent', limit, 'the feeder to send its UPDATEs');
    const full = await pollFib(dutNs, (c) => c >= baseline + n, limit, `${n} routes in the FIB`, broken);
    checkFib(dutNs, prefixes, proto, subject, info, o);

    feeder.send({ cmd: 'withdraw' });
    const sentW = await feeder.wait('sent', limit, 'the feeder to send its withdrawals');
    const empty = await pollFib(dutNs, (c) => c <= baseline, limit, 'the FIB to drop every route', broken);
    const left = protocolRouteCount(dutNs, proto);
    if (left !== 0) throw new Error(`${left} routes with protocol ${proto} left after the withdrawal`);
    const after = sample(pids);
    const mem = memory.stop();
    if (pids.length > 1) {
      info['rssSumOfPeaksMb'] = mem.sumOfPeaksBytes / MB;
      info['rssSamples'] = mem.samples;
    }
    return {
      scenario: 'kernel',
      subject,
      size: n,
      run,
      metrics: {
        install_s: secondsBetween(sentA.firstNs, full.atNs),
        remove_s: secondsBetween(sentW.firstNs, empty.atNs),
        rss_mb: mem.peakBytes / MB,
        cpu_s: after.cpuSec - before.cpuSec,
      },
      info,
    };
  } catch (err) {
    return failedRun({ scenario: 'kernel', subject, size: n, run, info }, err, dut ? `\n${dutLogs(dut)}` : '');
  } finally {
    memory?.cancel();
    await feeder?.close().catch(() => undefined);
    await dut?.stop().catch(() => undefined);
    await lab.destroy().catch((err: unknown) => o.log(`kernel: ${String(err)}`));
  }
}

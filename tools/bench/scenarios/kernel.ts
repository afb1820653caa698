/**
 * kernel: N routes learned over eBGP into the DUT's FIB.
 *
 *   feed ns  eth0 10.0.1.2/24 ---- f0 10.0.1.1/24  DUT ns (wren, BIRD + kernel protocol, FRR bgpd + zebra)
 *
 * Measured: seconds from the feeder's first UPDATE byte until the namespace's FIB holds all N
 * routes (install_s), and from the first withdrawal byte until none is left (remove_s); then the
 * DUT's peak RSS and CPU seconds (FRR: bgpd + zebra). Completion is polled (fib-count.ts) and
 * confirmed with the DUT's protocol id. The floor, `ip-batch`: the same N routes added (and then
 * deleted) by one `ip -batch` process, one netlink request at a time, with no BGP at all.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../../kit/netns.js';
import { dutGone, dutLogs, startDut, type Dut, type DutKind } from '../dut.js';
import { fibPrefixes, pollFib, protocolRouteCount } from '../fib-count.js';
import { benchLab } from '../lab.js';
import { sample } from '../proc-stats.js';
import { SpeakerHandle } from '../speaker/handle.js';
import { generateTable } from '../table.js';
import { EOR_TIMEOUT_MS, HOLD_TIME, phaseTimeoutMs } from './inout.js';
import { MB, secondsBetween, type RunResult, type ScenarioOptions, type Subject } from './types.js';

const DUT_AS = 65000;
const FEED_AS = 65001;
/** RTPROT_BGP, for the ip -batch floor's routes. */
const BATCH_PROTOCOL = 186;

function runFile(cmd: string, args: readonly string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, _out, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message} ${stderr.slice(0, 300)}`));
      else resolve();
    });
  });
}

async function ipBatchFloor(lab: Lab, dutNs: string, n: number, run: number, o: ScenarioOptions): Promise<RunResult> {
  const groups = generateTable({ n, seed: o.seed, firstAs: FEED_AS, nextHop: '10.0.1.2', avoidAs: [DUT_AS] });
  const prefixes = groups.flatMap((g) => g.prefixes);
  const add = join(lab.dir, 'add.batch');
  const del = join(lab.dir, 'del.batch');
  writeFileSync(add, prefixes.map((p) => `route add ${p} via 10.0.1.2 proto ${BATCH_PROTOCOL}\n`).join(''));
  writeFileSync(del, prefixes.map((p) => `route del ${p} via 10.0.1.2 proto ${BATCH_PROTOCOL}\n`).join(''));
  const limit = phaseTimeoutMs(n, o);
  const t0 = process.hrtime.bigint();
  await runFile('ip', ['-n', dutNs, '-batch', add], limit);
  const t1 = process.hrtime.bigint();
  const installed = protocolRouteCount(dutNs, BATCH_PROTOCOL);
  if (installed !== n) throw new Error(`ip -batch installed ${installed} routes, expected ${n}`);
  const t2 = process.hrtime.bigint();
  await runFile('ip', ['-n', dutNs, '-batch', del], limit);
  const t3 = process.hrtime.bigint();
  const left = protocolRouteCount(dutNs, BATCH_PROTOCOL);
  if (left !== 0) throw new Error(`ip -batch left ${left} routes`);
  return { scenario: 'kernel', subject: 'ip-batch', size: n, run, metrics: { install_s: secondsBetween(t0, t1), remove_s: secondsBetween(t2, t3) } };
}

export async function runKernel(subject: Subject, n: number, run: number, o: ScenarioOptions): Promise<RunResult> {
  const lab = benchLab('kernel', o.keep);
  let dut: Dut | undefined;
  let feeder: SpeakerHandle | undefined;
  const info: Record<string, number | string> = {};
  try {
    const feedNs = lab.addNamespace('feed');
    const dutNs = lab.addNamespace('dut');
    lab.link(feedNs, 'eth0', ['10.0.1.2/24'], dutNs, 'f0', ['10.0.1.1/24']);
    if (subject === 'ip-batch') return await ipBatchFloor(lab, dutNs, n, run, o);
    const kind: DutKind = subject;
    dut = await startDut(lab, kind, {
      ns: dutNs,
      routerId: '10.0.1.1',
      asn: DUT_AS,
      neighbors: [{ address: '10.0.1.2', asn: FEED_AS }],
      kernel: true,
      holdTime: HOLD_TIME,
      ...(o.cpuProfileDir !== undefined && kind === 'wren' ? { cpuProfileDir: o.cpuProfileDir } : {}),
    });
    const establishMs = 60_000 * o.timeoutScale;
    feeder = new SpeakerHandle(lab, feedNs, 'feeder');
    Object.assign(
      info,
      await feeder.init(
        { role: 'feeder', remote: '10.0.1.1', local: '10.0.1.2', asn: FEED_AS, routerId: '10.0.1.2', holdTime: HOLD_TIME, establishTimeoutMs: establishMs, eorTimeoutMs: dut.sendsEndOfRib ? EOR_TIMEOUT_MS : 0, n, seed: o.seed, avoidAs: [DUT_AS] },
        establishMs + 120_000,
      ),
    );
    const proto = dut.kernelProtocol;
    info['protocol'] = proto;
    const baseline = await fibPrefixes(dutNs);
    const pids = dut.measured.map((p) => p.pid);
    const before = sample(pids);
    const limit = phaseTimeoutMs(n, o);
    const started = dut;
    const fed = feeder;
    const broken = (): string | null => dutGone(started) ?? fed.failure?.message ?? null;

    feeder.send({ cmd: 'announce' });
    const sentA = await feeder.wait('sent', limit, 'the feeder to send its UPDATEs');
    const full = await pollFib(dutNs, (c) => c >= baseline + n, limit, `${n} routes in the FIB`, broken);
    const installed = protocolRouteCount(dutNs, proto);
    if (installed !== n) throw new Error(`the FIB holds ${installed} routes with protocol ${proto}, expected ${n}`);

    feeder.send({ cmd: 'withdraw' });
    const sentW = await feeder.wait('sent', limit, 'the feeder to send its withdrawals');
    const empty = await pollFib(dutNs, (c) => c <= baseline, limit, 'the FIB to drop every route', broken);
    const left = protocolRouteCount(dutNs, proto);
    if (left !== 0) throw new Error(`${left} routes with protocol ${proto} left after the withdrawal`);
    const after = sample(pids);
    return {
      scenario: 'kernel',
      subject,
      size: n,
      run,
      metrics: {
        install_s: secondsBetween(sentA.firstNs, full.atNs),
        remove_s: secondsBetween(sentW.firstNs, empty.atNs),
        rss_mb: after.hwmBytes / MB,
        cpu_s: after.cpuSec - before.cpuSec,
      },
      info,
    };
  } catch (err) {
    let why = err instanceof Error ? err.message : String(err);
    if (dut) why += `\n${dutLogs(dut)}`;
    return { scenario: 'kernel', subject, size: n, run, metrics: {}, error: why, info };
  } finally {
    await feeder?.close().catch(() => undefined);
    await dut?.stop().catch(() => undefined);
    await lab.destroy().catch((err: unknown) => o.log(`kernel: ${String(err)}`));
  }
}

/**
 * reflector: the DUT as an iBGP route reflector (RFC 4456) with K clients, all scripted in one
 * speaker process, each from its own address (secondary addresses on one veth).
 *
 *   DUT ns  r0 10.2.0.1/16 ---- c0 10.2.0.2 .. /16 (K addresses)  clients ns      AS 65000 everywhere
 *
 * Once every session is Established, every client announces one /26 (100.64.0.0/10 cut in /26s)
 * at once. Measured: seconds from the first announcement byte until every client holds the K - 1
 * blocks of the others (its own is never reflected back to it), the time to establish the K
 * sessions, and the DUT's peak RSS and CPU seconds (establishment included).
 */
import { dutLogs, startDut, type Dut } from '../dut.js';
import { benchLab } from '../lab.js';
import { MemoryWatch, sample } from '../proc-stats.js';
import { SpeakerHandle } from '../speaker/handle.js';
import { EOR_TIMEOUT_MS, HOLD_TIME } from './inout.js';
import { failedRun, MB, secondsBetween, type DutRef, type RunResult, type ScenarioOptions } from './types.js';

const AS = 65000;

/** Client i's address: 10.2.0.2 upwards inside 10.2.0.0/16. */
export const clientAddress = (i: number): string => `10.2.${(i + 2) >> 8}.${(i + 2) & 255}`;

/** Client i's block: the i-th /26 of 100.64.0.0/10. */
export function clientBlock(i: number): string {
  const addr = 100 * 2 ** 24 + 64 * 2 ** 16 + i * 64;
  return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}/26`;
}

export async function runReflector(ref: DutRef, k: number, run: number, o: ScenarioOptions): Promise<RunResult> {
  const { kind, subject } = ref;
  const lab = benchLab('rr', o.keep);
  let dut: Dut | undefined;
  let memory: MemoryWatch | undefined;
  let clients: SpeakerHandle | undefined;
  const info: Record<string, number | string> = {};
  try {
    const dutNs = lab.addNamespace('dut');
    const cliNs = lab.addNamespace('clients');
    const addrs = Array.from({ length: k }, (_, i) => clientAddress(i));
    lab.link(dutNs, 'r0', ['10.2.0.1/16'], cliNs, 'c0', []);
    lab.addAddresses(cliNs, 'c0', addrs.map((a) => `${a}/16`));
    dut = await startDut(lab, kind, {
      ns: dutNs,
      routerId: '10.2.0.1',
      asn: AS,
      neighbors: addrs.map((address) => ({ address, asn: AS, rrClient: true })),
      kernel: false,
      holdTime: HOLD_TIME,
      ...(o.cpuProfileDir !== undefined && kind === 'wren' ? { cpuProfileDir: o.cpuProfileDir } : {}),
      ...(ref.cli !== undefined ? { cli: ref.cli } : {}),
    });
    const pids = dut.measured.map((p) => p.pid);
    memory = new MemoryWatch(pids).start();
    const before = sample(pids);
    const establishMs = (60_000 + k * 300) * o.timeoutScale;
    clients = new SpeakerHandle(lab, cliNs, 'clients');
    const ready = await clients.init(
      { role: 'clients', remote: '10.2.0.1', asn: AS, holdTime: HOLD_TIME, establishTimeoutMs: establishMs, eorTimeoutMs: dut.sendsEndOfRib ? EOR_TIMEOUT_MS : 0, addrs, blocks: addrs.map((_, i) => clientBlock(i)), concurrency: 32 },
      establishMs + 10_000,
    );
    Object.assign(info, ready);
    const limit = (60_000 + k * k * 0.5) * o.timeoutScale;
    clients.send({ cmd: 'announce' });
    const reached = clients.wait('reached', limit, `every client to hold the other ${k - 1} blocks`);
    reached.catch(() => undefined);
    const sent = await clients.wait('sent', limit, 'the clients to announce');
    const at = await reached;
    const after = sample(pids);
    const mem = memory.stop();
    if (pids.length > 1) info['rssSumOfPeaksMb'] = mem.sumOfPeaksBytes / MB;
    return {
      scenario: 'reflector',
      subject,
      size: k,
      run,
      metrics: {
        converge_s: secondsBetween(sent.firstNs, at.atNs),
        establish_s: Number(ready['establishMs'] ?? 0) / 1000,
        rss_mb: mem.peakBytes / MB,
        cpu_s: after.cpuSec - before.cpuSec,
      },
      info,
    };
  } catch (err) {
    let context = '';
    const st = await clients?.status();
    if (st) context += ` (clients: ${JSON.stringify(st)})`;
    if (dut) context += `\n${dutLogs(dut)}`;
    return failedRun({ scenario: 'reflector', subject, size: k, run, info }, err, context);
  } finally {
    memory?.cancel();
    await clients?.close().catch(() => undefined);
    await dut?.stop().catch(() => undefined);
    await lab.destroy().catch((err: unknown) => o.log(`reflector: ${String(err)}`));
  }
}

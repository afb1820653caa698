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
 *
 * reflector-addpath (RFC 7911) is the same run with ADD-PATH: the DUT reflects with "send all" to
 * every client (wren `addPath: { receive: true, send: "all" }`, BIRD `add paths on`, FRR
 * `addpath-tx-all-paths`), the clients offer receive and send and read path ids, and clients 0..3
 * also announce one shared prefix (SHARED_PREFIX), each with its own next hop. Converged: every
 * client holds the K - 1 blocks of the others and exactly the paths of the shared prefix it should
 * (speaker/client-paths.ts): the 4 announcers' paths, each announcer without its own (no DUT here
 * reflects a path back to the client it came from: TO_ANNOUNCER). The run is INVALID when a path
 * carries another next hop than its announcer's (or any other anomaly client-paths.ts records), and
 * fails when a session did not negotiate ADD-PATH receive.
 */
import { dutLogs, startDut, type Dut } from '../dut.js';
import { benchLab } from '../lab.js';
import { MemoryWatch, sample } from '../proc-stats.js';
import { SpeakerHandle } from '../speaker/handle.js';
import { EOR_TIMEOUT_MS, HOLD_TIME } from './inout.js';
import { failedRun, InvalidResult, MB, secondsBetween, type DutRef, type RunResult, type ScenarioOptions } from './types.js';
import type { DutKind } from '../dut.js';

const AS = 65000;

/** reflector-addpath: the prefix clients 0..ANNOUNCERS-1 announce besides their blocks (outside 100.64.0.0/10's blocks for any K). */
export const SHARED_PREFIX = '100.127.255.0/24';
export const ANNOUNCERS = 4;
/** `--expect-wrong-next-hop`: the next hop the check then takes for the first announcer's (no client has it). */
const WRONG_NEXT_HOP = '10.2.255.254';

/**
 * Whether the DUT sends an announcer its own path of the shared prefix back (with ADD-PATH send
 * all), as each documents it: wren splits horizon per path (docs/rib.md "ADD-PATH export") and BIRD
 * never exports a route to the protocol it came from, so their announcers expect 3 paths; FRR
 * builds one UPDATE per update group and sends it to every member, the route's sender included
 * (its `neighbor X solo` exists to avoid that; the receiver drops the route by its ORIGINATOR_ID,
 * RFC 4456 8), so its announcers expect all 4, their own included. Every other client expects 4.
 * Observed as such at K=20 (test/netns/bench-guard.netns.test.ts); a DUT that changes its
 * behaviour makes the run fail (never converged), not pass.
 */
export const TO_ANNOUNCER: Readonly<Record<DutKind, boolean>> = { wren: false, bird: false, frr: true, gobgp: false };

/** Client i's address: 10.2.0.2 upwards inside 10.2.0.0/16. */
export const clientAddress = (i: number): string => `10.2.${(i + 2) >> 8}.${(i + 2) & 255}`;

/** Client i's block: the i-th /26 of 100.64.0.0/10. */
export function clientBlock(i: number): string {
  const addr = 100 * 2 ** 24 + 64 * 2 ** 16 + i * 64;
  return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}/26`;
}

export function runReflector(ref: DutRef, k: number, run: number, o: ScenarioOptions): Promise<RunResult> {
  return reflect(ref, k, run, o, false);
}

export function runReflectorAddPath(ref: DutRef, k: number, run: number, o: ScenarioOptions): Promise<RunResult> {
  return reflect(ref, k, run, o, true);
}

async function reflect(ref: DutRef, k: number, run: number, o: ScenarioOptions, addPath: boolean): Promise<RunResult> {
  const { kind, subject } = ref;
  const scenario = addPath ? 'reflector-addpath' : 'reflector';
  const lab = benchLab(addPath ? 'ra' : 'rr', o.keep);
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
      neighbors: addrs.map((address) => ({ address, asn: AS, rrClient: true, ...(addPath ? { addPath: true } : {}) })),
      kernel: false,
      holdTime: HOLD_TIME,
      ...(o.cpuProfileDir !== undefined && kind === 'wren' ? { cpuProfileDir: o.cpuProfileDir } : {}),
      ...(ref.cli !== undefined ? { cli: ref.cli } : {}),
    });
    const pids = dut.measured.map((p) => p.pid);
    memory = new MemoryWatch(pids).start();
    const before = sample(pids);
    const establishMs = (60_000 + k * 300) * o.timeoutScale;
    const speaker = new SpeakerHandle(lab, cliNs, 'clients');
    clients = speaker;
    const announcers = Math.min(ANNOUNCERS, k);
    // The self-test: the first announcer's next hop is not one the check accepts, so every client that gets its path records it.
    const accept = o.expectWrongNextHop ? [WRONG_NEXT_HOP, ...addrs.slice(1, announcers)] : undefined;
    const shared = addPath ? { shared: SHARED_PREFIX, announcers, toAnnouncer: TO_ANNOUNCER[kind], ...(accept ? { acceptNextHops: accept } : {}) } : undefined;
    const ready = await clients.init(
      {
        role: 'clients',
        remote: '10.2.0.1',
        asn: AS,
        holdTime: HOLD_TIME,
        establishTimeoutMs: establishMs,
        eorTimeoutMs: dut.sendsEndOfRib ? EOR_TIMEOUT_MS : 0,
        addrs,
        blocks: addrs.map((_, i) => clientBlock(i)),
        concurrency: 32,
        ...(shared ? { addPath: shared } : {}),
      },
      establishMs + 10_000,
    );
    Object.assign(info, ready);
    // Measuring a reflector that sends one path per prefix would be another scenario: say so.
    if (addPath && ready['addPathReceive'] !== k) throw new Error(`${kind} negotiated ADD-PATH send with ${ready['addPathReceive']} of ${k} clients`);
    const limit = (60_000 + k * k * 0.5) * o.timeoutScale;
    clients.send({ cmd: 'announce' });
    const what = shared
      ? `every client to hold the other ${k - 1} blocks and the paths of ${SHARED_PREFIX} it should (${shared.announcers} announcers, ${shared.toAnnouncer ? 'own path reflected back' : 'each without its own'})`
      : `every client to hold the other ${k - 1} blocks`;
    const reached = clients.wait('reached', limit, what);
    reached.catch(() => undefined);
    const sent = await clients.wait('sent', limit, 'the clients to announce');
    const at = await reached.catch(async (err: unknown) => {
      // Late or wrong? A path with another next hop than its announcer's keeps a client from converging.
      if (addPath) await checkContent(speaker);
      throw err;
    });
    const after = sample(pids);
    const mem = memory.stop();
    if (pids.length > 1) info['rssSumOfPeaksMb'] = mem.sumOfPeaksBytes / MB;
    if (addPath) Object.assign(info, await checkContent(clients));
    return {
      scenario,
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
    return failedRun({ scenario, subject, size: k, run, info }, err, context);
  } finally {
    memory?.cancel();
    await clients?.close().catch(() => undefined);
    await dut?.stop().catch(() => undefined);
    await lab.destroy().catch((err: unknown) => o.log(`reflector: ${String(err)}`));
  }
}

/**
 * The content check of reflector-addpath, off the clock: the clients' anomalies (client-paths.ts),
 * e.g. a path of the shared prefix via a next hop that is not its announcer's. Throws InvalidResult
 * with the first of them; otherwise returns what is worth keeping in the run's info.
 */
async function checkContent(clients: SpeakerHandle): Promise<Record<string, number | string>> {
  const st = await clients.status(10_000);
  if (st === undefined) throw new Error('the clients did not answer the content check');
  const anomalies = Number(st['anomalies'] ?? 0);
  if (anomalies > 0) throw new InvalidResult(`${anomalies} wrong path(s); first: ${String(st['firstAnomaly'])}`);
  return { minSharedPaths: st['minSharedPaths'] ?? -1, maxSharedPaths: st['maxSharedPaths'] ?? -1 };
}

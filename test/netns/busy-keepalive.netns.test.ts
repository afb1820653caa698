/**
 * Keepalives never wait for route work. wren, with the kernel enabled, takes 1,000,000 routes from an
 * eBGP feeder into its RIB, its FIB and out to two iBGP peers that run hold time 9 s, then the
 * withdrawal of all of them. The two peers are scripted speakers in their own process (the bench's
 * `watchers` role) that timestamp every KEEPALIVE wren sends them. Acceptance (never-black-hole issue):
 * no session drops, and the worst KEEPALIVE gap either peer sees is under 4 s (wren sends one every
 * 3 s, jittered 0.75-1.0, RFC 4271 10). The distribution is printed.
 *
 * WREN_BUSY_N overrides the table size (default 1,000,000); WREN_BUSY_NODE_ARGS adds node flags to wren's.
 * Run: npx vitest run --project netns test/netns/busy-keepalive.netns.test.ts   (as root, after npm run build)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { request } from '../../src/control/client.js';
import type { PeerStatus } from '../../src/control/protocol.js';
import { fibPrefixes, pollFib, protocolRouteCount } from '../../tools/bench/fib-count.js';
import { Lab, type LabProcess } from '../../tools/kit/netns.js';
import { SPEAKER_JS, SpeakerHandle } from '../../tools/bench/speaker/handle.js';
import type { KeepaliveReport } from '../../tools/bench/speaker/protocol.js';
import { describeNetns, NETNS } from './lib/requirements.js';
import { WREN_CLI } from '../../tools/daemons/wren.js';

/** The built speaker process (the test runs as TypeScript, the speaker from dist-tools/). */
const SPEAKER = SPEAKER_JS;

const N = Number(process.env['WREN_BUSY_N'] ?? 1_000_000);
const HOLD = 9;
const WATCHERS = ['10.0.2.2', '10.0.2.3'];
const PHASE_MS = 300_000;

const pct = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

describeNetns('keepalives while wren is busy with a big table', [NETNS], () => {
  let lab: Lab | undefined;
  afterEach(async () => {
    await lab?.destroy();
    lab = undefined;
  });

  it(`${N} routes announced and withdrawn through the kernel: no session drops, no KEEPALIVE gap of 4 s`, { timeout: 900_000 }, async () => {
    lab = new Lab({ owner: 'wb', id: 'busy' });
    const feedNs = lab.addNamespace('feed');
    const watchNs = lab.addNamespace('watch');
    const dutNs = lab.addNamespace('dut');
    lab.link(feedNs, 'eth0', ['10.0.1.2/24'], dutNs, 'f0', ['10.0.1.1/24']);
    lab.link(watchNs, 'eth0', WATCHERS.map((a) => `${a}/24`), dutNs, 'w0', ['10.0.2.1/24']);

    const dir = join(lab.dir, 'wren');
    mkdirSync(dir, { recursive: true });
    const socket = join(dir, 'wren.sock');
    const config = {
      routerId: '10.0.1.1',
      asn: 65000,
      listen: { address: '0.0.0.0', port: 179 },
      timers: { holdTime: 240 },
      ebgpRequiresPolicy: false,
      peers: [
        { address: '10.0.1.2', asn: 65001, passive: true, families: ['ipv4-unicast'] },
        ...WATCHERS.map((address) => ({ address, asn: 65000, passive: true, holdTime: HOLD, families: ['ipv4-unicast'] })),
      ],
      // A full reconcile (re-list of the kernel's table) every 5 s: the big batches meet the full scans.
      kernel: { enabled: true, blackhole: false, scanInterval: 5 },
      control: { socket },
      log: { level: 'info' },
    };
    writeFileSync(join(dir, 'wren.json'), JSON.stringify(config, null, 2));
    const logFile = join(dir, 'wren.log');
    // WREN_BUSY_NODE_ARGS: extra node flags for wren, to find what held the loop (e.g.
    // "--cpu-prof --cpu-prof-dir /tmp/prof", or "--trace-gc": its lines go to wren's log).
    const prof = (process.env['WREN_BUSY_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
    const wren: LabProcess = lab.spawn(dutNs, process.execPath, [...prof, WREN_CLI, 'run', '--config', join(dir, 'wren.json')], { logFile, name: 'wren' });
    const logTail = (): string => readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
    const peers = async (): Promise<PeerStatus[]> => {
      const r = await request(socket, { cmd: 'show-peers' }, 10_000);
      if (!r.ok) throw new Error(r.error.message);
      return r.result as PeerStatus[];
    };
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await peers();
        break;
      } catch (e) {
        if (Date.now() > deadline || !wren.running) throw new Error(`wren did not start: ${String(e)}\n${logTail()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    const watchers = new SpeakerHandle(lab, watchNs, 'watchers', SPEAKER);
    await watchers.init({ role: 'watchers', remote: '10.0.2.1', addrs: WATCHERS, asn: 65000, holdTime: HOLD, establishTimeoutMs: 30_000, eorTimeoutMs: 10_000 }, 60_000);
    const feeder = new SpeakerHandle(lab, feedNs, 'feeder', SPEAKER);
    const info = await feeder.init(
      { role: 'feeder', remote: '10.0.1.1', local: '10.0.1.2', asn: 65001, routerId: '10.0.1.2', holdTime: 240, establishTimeoutMs: 30_000, eorTimeoutMs: 10_000, n: N, seed: 7, avoidAs: [65000] },
      300_000,
    );
    const uptimeBefore = new Map((await peers()).map((p) => [p.address, p.uptimeSec]));
    const baseline = await fibPrefixes(dutNs);
    const broken = (): string | null => (wren.running ? null : `wren exited: ${logTail()}`) ?? feeder.failure?.message ?? null;
    watchers.send({ cmd: 'mark' });
    await watchers.wait('status', 10_000, 'the watchers to mark');
    const t0 = Date.now();

    feeder.send({ cmd: 'announce' });
    await feeder.wait('sent', PHASE_MS, 'the feeder to send its table');
    await pollFib(dutNs, (c) => c >= baseline + N, PHASE_MS, `${N} routes in wren's FIB`, broken);
    const installedMs = Date.now() - t0;
    expect(protocolRouteCount(dutNs, 12)).toBe(N);
    feeder.send({ cmd: 'withdraw' });
    await feeder.wait('sent', PHASE_MS, 'the feeder to send its withdrawals');
    await pollFib(dutNs, (c) => c <= baseline, PHASE_MS, "every route to leave wren's FIB", broken);
    const removedMs = Date.now() - t0 - installedMs;
    // A few more keepalive intervals: what wren still does after the FIB is empty counts too.
    await new Promise((r) => setTimeout(r, 4000));

    watchers.send({ cmd: 'gaps' });
    const { report } = (await watchers.wait('gaps', 10_000, 'the watchers to report')) as { report: KeepaliveReport };
    const g = report.gapsMs;
    const summary = `${N} routes (${String(info['announceMessages'])} UPDATEs): in the FIB after ${installedMs} ms, out after ${removedMs} ms more; KEEPALIVE gaps over ${report.durationMs} ms: n=${g.length} p50=${pct(g, 50)} p90=${pct(g, 90)} p99=${pct(g, 99)} max=${g.at(-1)} ms; per session ${JSON.stringify(report.sessions)}`;
    console.log(summary);

    for (const s of report.sessions) expect(s.down, summary).toBeUndefined();
    expect(Math.max(...report.sessions.map((s) => s.maxGapMs)), summary).toBeLessThan(4000);
    const after = await peers();
    for (const p of after) {
      expect(p.state, `${p.address}\n${summary}`).toBe('Established');
      expect(p.uptimeSec, `${p.address} flapped`).toBeGreaterThanOrEqual((uptimeBefore.get(p.address) ?? 0) + Math.floor((Date.now() - t0) / 1000) - 1);
    }
    await watchers.close();
    await feeder.close();
    // wren's own view of its event loop: the longest stall since it started (logged on stop).
    await wren.stop(20_000);
    const loop = readFileSync(logFile, 'utf8')
      .split('\n')
      .find((l) => l.includes('event loop: longest stall'));
    console.log(`wren's event loop: ${loop ?? '(no summary line)'}`);
  });
});

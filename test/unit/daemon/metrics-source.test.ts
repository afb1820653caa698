/**
 * The daemon's metrics snapshot (daemon/metrics-source.ts) over two real Speakers on loopback with
 * FakeKernels: the registry and the readiness verdict read what the Speaker, the RIB, the decision
 * loop and FibSync say, and the histograms get the Speaker's decision runs and reconciles.
 */
import { afterEach, expect, it } from 'vitest';
import type { Config } from '../../../src/config/types.js';
import { validateConfig } from '../../../src/config/validate.js';
import { startLoopMonitor } from '../../../src/daemon/loop-monitor.js';
import { bfdSamples, metricsSource, peerSamples, SwitchableSource, waitingSource, type ProcessState } from '../../../src/daemon/metrics-source.js';
import { Speaker, type PeerMetrics } from '../../../src/daemon/speaker.js';
import { FakeKernel } from '../../../src/kernel/fake.js';
import { readiness, verdictText } from '../../../src/metrics/health.js';
import { createMetrics, type WrenMetrics } from '../../../src/metrics/registry.js';
import { silentLogger } from '../../../src/util/log.js';
import { parseExposition, peerSample, value } from '../metrics/fakes.js';

function config(raw: Record<string, unknown>): Config {
  const r = validateConfig({ log: { level: 'silent' }, control: { socket: '/tmp/unused.sock' }, ...raw });
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return r.value;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

it('scrapes what the speaker, the RIB and the kernel reconciler say, and is ready once the session is up and the kernel converged', async () => {
  let metrics: WrenMetrics | undefined;
  const observer = { decisionRun: (s: number) => metrics?.observeDecisionRun(s), reconciled: (r: { kind: 'full' | 'incremental'; durationMs: number }) => metrics?.observeReconcile(r.kind, r.durationMs / 1000) };
  const cfgA = config({
    routerId: '10.0.0.1',
    asn: 64512,
    listen: { address: '127.0.0.1', port: 1179 },
    originate: ['172.16.0.0/24', 'fd00:172:16::/64'],
    peers: [{ address: '127.0.0.2', asn: 64512, passive: true, name: 'Mesh_127_0_0_2' }],
    metrics: { listen: '127.0.0.1:9179' },
  });
  const a = new Speaker({ config: cfgA, log: silentLogger, kernel: new FakeKernel(), listenPort: 0, observer });
  cleanup.push(() => a.stop());
  const loop = startLoopMonitor(silentLogger);
  cleanup.push(() => loop.stop());
  const state: ProcessState = { started: false, stopping: false, reloads: { ok: 1, failed: 2 }, config: cfgA };
  const source = metricsSource(a, loop, state);
  metrics = createMetrics(source, { processMetrics: false });

  // Before start (the listener serves from before the speaker starts): not ready, and says why.
  expect(verdictText('readyz', readiness(source.snapshot(), 'all'), false)).toMatch(/^running: starting; kernel: not converged: .*\(0 routes installed, 0 desired\)\n$/);
  await a.start();
  state.started = true;
  expect(verdictText('readyz', readiness(source.snapshot(), 'all'), false)).toMatch(
    /^kernel: not converged: .*; peers: 0\/1 configured peers Established; not Established: 127\.0\.0\.2 \(Mesh_127_0_0_2\) (Idle|Active)\n$/,
  );

  const b = new Speaker({
    config: config({
      routerId: '10.0.0.2',
      asn: 64512,
      listen: { enabled: false },
      originate: ['172.16.1.0/24'],
      peers: [{ address: '127.0.0.1', asn: 64512, port: a.listeningPort, localAddress: '127.0.0.2' }],
    }),
    log: silentLogger,
    kernel: new FakeKernel(),
  });
  cleanup.push(() => b.stop());
  await b.start();
  await until('ready', () => readiness(source.snapshot(), 'all').ok);
  await until('the IPv4 block installed', async () => parseExposition(await metrics.text()).samples.some((s) => s.name === 'wren_kernel_routes_installed' && s.value === 3));

  const { samples } = parseExposition(await metrics.text());
  const peer = { peer: '127.0.0.2', session: 'Mesh_127_0_0_2', asn: '64512' };
  expect(value(samples, 'wren_bgp_session_up', peer)).toBe(1);
  expect(value(samples, 'wren_bgp_session_state', peer)).toBe(6);
  expect(value(samples, 'wren_bgp_sessions', { state: 'Established' })).toBe(1);
  expect(value(samples, 'wren_bgp_messages_received_total', { ...peer, type: 'open' })).toBe(1);
  expect(value(samples, 'wren_bgp_messages_sent_total', { ...peer, type: 'open' })).toBe(1);
  expect(value(samples, 'wren_bgp_messages_received_total', { ...peer, type: 'update' })).toBeGreaterThanOrEqual(2); // a block + End-of-RIB
  expect(value(samples, 'wren_bgp_prefixes_received', { ...peer, family: 'ipv4-unicast' })).toBe(1);
  expect(value(samples, 'wren_bgp_prefixes_accepted', { ...peer, family: 'ipv4-unicast' })).toBe(1);
  expect(value(samples, 'wren_bgp_prefixes_advertised', { ...peer, family: 'ipv4-unicast' })).toBe(1);
  expect(value(samples, 'wren_bgp_session_flaps_total', peer)).toBe(0);
  expect(value(samples, 'wren_rib_destinations', { family: 'ipv4-unicast' })).toBe(2);
  expect(value(samples, 'wren_rib_destinations', { family: 'ipv6-unicast' })).toBe(1);
  expect(value(samples, 'wren_rib_paths', { family: 'ipv4-unicast' })).toBe(2);
  expect(value(samples, 'wren_rib_decision_runs_total')).toBeGreaterThan(0);
  expect(value(samples, 'wren_rib_decision_duration_seconds_count')).toBe(value(samples, 'wren_rib_decision_runs_total'));
  // Desired: the learned block and our two blackholes.
  expect(value(samples, 'wren_kernel_routes_desired')).toBe(3);
  expect(value(samples, 'wren_kernel_converged')).toBe(1);
  expect(value(samples, 'wren_kernel_reconcile_duration_seconds_count', { kind: 'full' })).toBeGreaterThanOrEqual(2); // start, convergence
  expect(value(samples, 'wren_config_reloads_total', { result: 'ok' })).toBe(1);
  expect(value(samples, 'wren_config_reloads_total', { result: 'failed' })).toBe(2);

  // The peer stops: a flap, a NOTIFICATION received (Cease / Administrative Shutdown), not ready.
  await b.stop({ withdraw: true, message: 'bye' });
  await until('the session down', () => a.peerStatuses()[0]?.state !== 'Established');
  const after = parseExposition(await metrics.text()).samples;
  expect(value(after, 'wren_bgp_session_up', peer)).toBe(0);
  expect(value(after, 'wren_bgp_session_uptime_seconds', peer)).toBe(0);
  expect(value(after, 'wren_bgp_session_flaps_total', peer)).toBe(1);
  expect(value(after, 'wren_bgp_notifications_total', { ...peer, direction: 'received', code: '6' })).toBe(1);
  expect(value(after, 'wren_bgp_last_error_info', { ...peer, direction: 'received', code: '6' })).toBe(1);
  expect(readiness(source.snapshot(), 'all').ok).toBe(false);
  expect(readiness(source.snapshot(), 'none').ok).toBe(true);
});

it("labels each peer's series with the session name the BIRD socket shows: a valid configured name, else Calico's style", () => {
  const cfg = config({
    asn: 64512,
    routerId: '10.0.0.1',
    peers: [
      { address: '10.0.0.2', asn: 64512 },
      { address: '10.0.0.3', asn: 65001, name: 'tor-1' },
      { address: '10.0.0.4', asn: 64512, name: 'rr_a' },
      { address: 'fd00::5', asn: 64512, enabled: false },
    ],
  });
  const zero = { open: 0, update: 0, notification: 0, keepalive: 0, 'route-refresh': 0 };
  const live = (address: string, type: 'ibgp' | 'ebgp', name?: string): PeerMetrics =>
    ({
      status: { address, type, asn: type === 'ibgp' ? 64512 : 65001, state: 'Established', uptimeSec: 1, ...(name !== undefined ? { name } : {}) },
      dynamic: false,
      counters: { flaps: 0, messagesReceived: zero, messagesSent: zero, notifications: [], otherNotifications: { sent: 0, received: 0 } },
      prefixes: {},
    }) as unknown as PeerMetrics;
  const samples = peerSamples([live('10.0.0.2', 'ibgp'), live('10.0.0.3', 'ebgp', 'tor-1'), live('10.0.0.4', 'ibgp', 'rr_a')], cfg);
  expect(samples.map((s) => [s.address, s.session])).toEqual([
    ['10.0.0.2', 'Mesh_10_0_0_2'],
    ['10.0.0.3', 'Node_10_0_0_3'],
    ['10.0.0.4', 'rr_a'],
  ]);
});

it('labels each BFD session as its BGP peer and leaves out a session whose peer is gone', () => {
  const session = (peer: string, state: 'Up' | 'Down', flaps: number) => ({ peer, state, up: state === 'Up', flaps, transitions: 2 * flaps + 1, packetsIn: 5, packetsOut: 6, discarded: 1, detectTimeMs: 300, txIntervalMs: 100 });
  const out = bfdSamples({ mode: 'thread', sessions: [session('10.0.0.2', 'Up', 2), session('10.0.0.9', 'Down', 0)] }, [peerSample('10.0.0.2', { session: 'tor', asn: 65001 })]);
  expect(out).toEqual([{ address: '10.0.0.2', session: 'tor', asn: 65001, state: 'Up', downs: 2, transitions: 5, detectTimeMs: 300, packetsIn: 5, packetsOut: 6, discarded: 1 }]);
});

it('while no speaker runs (datastore mode waiting), the snapshot is alive, not ready, and says what it waits for; a SwitchableSource then reads the speaker', () => {
  const loop = startLoopMonitor(silentLogger);
  cleanup.push(() => loop.stop());
  const cfg = config({ asn: 64512, routerId: '10.0.0.1' });
  const source = new SwitchableSource(waitingSource(loop, () => cfg, 'the datastore (wren show datastore)'));
  const verdict = readiness(source.snapshot(), 'all');
  expect(verdict.ok).toBe(false);
  expect(verdictText('readyz', verdict, true)).toContain('[-]running failed: starting: waiting for the datastore (wren show datastore)');
  expect(source.snapshot().peers).toEqual([]);
  const started = { ...source.snapshot(), daemon: { started: true, stopping: false, reloads: { ok: 0, failed: 0 } } };
  source.inner = { snapshot: () => started, settings: () => source.settings() };
  expect(readiness(source.snapshot(), 'all').ok).toBe(true);
});

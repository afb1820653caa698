/**
 * The metrics registry and its collectors (src/metrics/) over fake snapshots: every family with its
 * help and type, the values of the snapshot, per-peer series and their removal, `perPeer: false`,
 * the histograms fed by observers, one snapshot per scrape.
 */
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/metrics/registry.js';
import { documentedMetrics } from './documented.js';
import { FakeSource, parseExposition, peerSample, snapshot, value } from './fakes.js';

/** Every wren metric family and its type, as docs/metrics.md documents them. */
const FAMILIES: Record<string, string> = Object.fromEntries(documentedMetrics().map((m) => [m.name, m.type]));

describe('createMetrics', () => {
  it('has every family docs/metrics.md documents, each with a help text and its type, and nothing else of wren', async () => {
    expect(Object.keys(FAMILIES).length).toBe(29);
    const src = new FakeSource();
    const { help, type } = parseExposition(await createMetrics(src, { processMetrics: false }).text());
    const wren = [...type.keys()].filter((n) => n.startsWith('wren_')).sort();
    expect(wren).toEqual(Object.keys(FAMILIES).sort());
    for (const [name, t] of Object.entries(FAMILIES)) {
      expect(type.get(name), name).toBe(t);
      expect(help.get(name)?.length, name).toBeGreaterThan(20);
    }
  });

  it('adds the process and Node.js metrics under their standard names unless turned off', async () => {
    const { type } = parseExposition(await createMetrics(new FakeSource()).text());
    expect(type.get('process_cpu_seconds_total')).toBe('counter');
    expect(type.get('process_resident_memory_bytes')).toBe('gauge');
    expect(type.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    expect(type.get('nodejs_active_handles')).toBe('gauge');
    // Every name ending in _total is a counter (promtool check metrics refuses gauges named so).
    expect([...type].filter(([n, t]) => n.endsWith('_total') && t !== 'counter')).toEqual([]);
    const off = parseExposition(await createMetrics(new FakeSource(), { processMetrics: false }).text());
    expect([...off.type.keys()].filter((n) => !n.startsWith('wren_'))).toEqual([]);
  });

  it('lets the event loop turn between metric families (a big mesh never makes one long block)', async () => {
    const src = new FakeSource();
    src.snap = snapshot({ peers: Array.from({ length: 50 }, (_, i) => peerSample(`10.0.${i}.1`)) });
    const m = createMetrics(src, { processMetrics: false });
    let turns = 0;
    let running = true;
    const spin = (): void => {
      turns++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    await m.text();
    running = false;
    // One turn per family filled at scrape time (25 of them), at least.
    expect(turns).toBeGreaterThanOrEqual(25);
  });

  it('runs concurrent scrapes one after the other, each on its own snapshot', async () => {
    // Each snapshot the source gives is another set of peers; a scrape mixing two would show both.
    const sets = [[peerSample('10.0.0.1')], [peerSample('10.0.0.2'), peerSample('10.0.0.3', { state: 'Idle' })]];
    const src = new FakeSource();
    src.snapshot = () => snapshot({ peers: sets[src.taken++] ?? [] });
    const m = createMetrics(src, { processMetrics: false });
    const [a, b] = await Promise.all([m.text(), m.text()]);
    expect(parseExposition(a).samples.filter((s) => s.name === 'wren_bgp_session_up').map((s) => s.labels['peer'])).toEqual(['10.0.0.1']);
    expect(parseExposition(b).samples.filter((s) => s.name === 'wren_bgp_session_up').map((s) => s.labels['peer'])).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(src.taken).toBe(2);
  });

  it('takes one snapshot per scrape, for every collector', async () => {
    const src = new FakeSource();
    const m = createMetrics(src, { processMetrics: false });
    await m.text();
    expect(src.taken).toBe(1);
    await m.text();
    expect(src.taken).toBe(2);
  });
});

describe('BGP collectors', () => {
  const peers = [
    peerSample('192.168.1.11', {
      name: 'Mesh_192_168_1_11',
      asn: 64512,
      state: 'Established',
      uptimeSec: 42,
      flaps: 3,
      messagesReceived: { open: 2, update: 10, notification: 1, keepalive: 7, 'route-refresh': 0 },
      messagesSent: { open: 2, update: 4, notification: 0, keepalive: 8, 'route-refresh': 1 },
      notifications: [
        { direction: 'received', code: 6, subcode: 2, count: 1 },
        { direction: 'sent', code: 4, subcode: 0, count: 2 },
      ],
      otherNotifications: { sent: 0, received: 5 },
      prefixes: { 'ipv4-unicast': { received: 3, accepted: 2, advertised: 1 }, 'ipv6-unicast': { received: 1, accepted: 1, advertised: 4 } },
      lastError: { direction: 'received', code: 6, subcode: 2, name: 'Cease / Administrative Shutdown' },
    }),
    peerSample('fd00::12', { asn: 65001, state: 'Active', uptimeSec: 99 }),
    peerSample('192.168.1.50', { asn: 64512, state: 'Established', dynamic: true, uptimeSec: 5 }),
  ];

  it('gives each peer its series, labelled peer, session and asn', async () => {
    const src = new FakeSource();
    src.snap = snapshot({ peers });
    const { samples } = parseExposition(await createMetrics(src, { processMetrics: false }).text());
    const a = { peer: '192.168.1.11', session: 'Mesh_192_168_1_11', asn: '64512' };
    const b = { peer: 'fd00::12', session: '', asn: '65001' };
    expect(value(samples, 'wren_bgp_session_state', a)).toBe(6);
    expect(value(samples, 'wren_bgp_session_state', b)).toBe(3);
    expect(value(samples, 'wren_bgp_session_up', a)).toBe(1);
    expect(value(samples, 'wren_bgp_session_up', b)).toBe(0);
    expect(value(samples, 'wren_bgp_session_uptime_seconds', a)).toBe(42);
    expect(value(samples, 'wren_bgp_session_uptime_seconds', b)).toBe(0); // not Established: no uptime
    expect(value(samples, 'wren_bgp_session_flaps_total', a)).toBe(3);
    expect(value(samples, 'wren_bgp_messages_received_total', { ...a, type: 'update' })).toBe(10);
    expect(value(samples, 'wren_bgp_messages_sent_total', { ...a, type: 'route-refresh' })).toBe(1);
    expect(samples.filter((s) => s.name === 'wren_bgp_messages_received_total' && s.labels['peer'] === 'fd00::12')).toHaveLength(5);
    expect(value(samples, 'wren_bgp_notifications_total', { ...a, direction: 'received', code: '6', subcode: '2' })).toBe(1);
    expect(value(samples, 'wren_bgp_notifications_total', { ...a, direction: 'sent', code: '4', subcode: '0' })).toBe(2);
    expect(value(samples, 'wren_bgp_notifications_total', { ...a, direction: 'received', code: 'other', subcode: 'other' })).toBe(5);
    expect(samples.filter((s) => s.name === 'wren_bgp_notifications_total')).toHaveLength(3);
    expect(value(samples, 'wren_bgp_prefixes_received', { ...a, family: 'ipv4-unicast' })).toBe(3);
    expect(value(samples, 'wren_bgp_prefixes_accepted', { ...a, family: 'ipv4-unicast' })).toBe(2);
    expect(value(samples, 'wren_bgp_prefixes_advertised', { ...a, family: 'ipv6-unicast' })).toBe(4);
    expect(value(samples, 'wren_bgp_last_error_info', { ...a, direction: 'received', code: '6', subcode: '2', name: 'Cease / Administrative Shutdown' })).toBe(1);
    expect(samples.filter((s) => s.name === 'wren_bgp_last_error_info')).toHaveLength(1);
    // Dynamic peers have series too.
    expect(value(samples, 'wren_bgp_session_up', { peer: '192.168.1.50' })).toBe(1);
    // Sessions by state: every state, zeros included.
    expect(samples.filter((s) => s.name === 'wren_bgp_sessions').map((s) => [s.labels['state'], s.value])).toEqual([
      ['Idle', 0],
      ['Connect', 0],
      ['Active', 1],
      ['OpenSent', 0],
      ['OpenConfirm', 0],
      ['Established', 2],
    ]);
  });

  it('drops the series of a peer that is gone', async () => {
    const src = new FakeSource();
    src.snap = snapshot({ peers });
    const m = createMetrics(src, { processMetrics: false });
    await m.text();
    src.snap = snapshot({ peers: peers.slice(0, 1) });
    const { samples } = parseExposition(await m.text());
    expect(samples.filter((s) => s.labels['peer'] === 'fd00::12')).toEqual([]);
    expect(value(samples, 'wren_bgp_session_up', { peer: '192.168.1.11' })).toBe(1);
  });

  it('with perPeer false keeps only the counts of sessions by state', async () => {
    const src = new FakeSource();
    src.snap = snapshot({ peers });
    src.set = { ...src.set, perPeer: false };
    const { samples } = parseExposition(await createMetrics(src, { processMetrics: false }).text());
    expect(samples.filter((s) => 'peer' in s.labels)).toEqual([]);
    expect(value(samples, 'wren_bgp_sessions', { state: 'Established' })).toBe(2);
    expect(value(samples, 'wren_bgp_sessions', { state: 'Active' })).toBe(1);
  });
});

describe('RIB, kernel and daemon collectors', () => {
  it('read the snapshot', async () => {
    const src = new FakeSource();
    src.snap = snapshot({
      rib: { tables: { 'ipv4-unicast': { destinations: 5, paths: 9 }, 'ipv6-unicast': { destinations: 2, paths: 3 } }, pendingDecisions: 7, decisionRuns: 11 },
      kernel: { converged: false, desired: 6, installed: 4, conflicting: 1, pending: 2, failed: 3, errors: { EEXIST: 4, ENETUNREACH: 1 } },
      daemon: { started: true, stopping: false, reloads: { ok: 2, failed: 1 } },
      loop: { now: 0, lastTickAt: 0, stalls: 4, maxStallMs: 1500, recentStalls: [] },
    });
    const { samples } = parseExposition(await createMetrics(src, { processMetrics: false }).text());
    expect(value(samples, 'wren_rib_destinations', { family: 'ipv4-unicast' })).toBe(5);
    expect(value(samples, 'wren_rib_paths', { family: 'ipv6-unicast' })).toBe(3);
    expect(value(samples, 'wren_rib_pending_decisions')).toBe(7);
    expect(value(samples, 'wren_rib_decision_runs_total')).toBe(11);
    expect(value(samples, 'wren_kernel_routes_desired')).toBe(6);
    expect(value(samples, 'wren_kernel_routes_installed')).toBe(4);
    expect(value(samples, 'wren_kernel_routes_conflicting')).toBe(1);
    expect(value(samples, 'wren_kernel_routes_pending')).toBe(2);
    expect(value(samples, 'wren_kernel_routes_failed')).toBe(3);
    expect(value(samples, 'wren_kernel_converged')).toBe(0);
    expect(value(samples, 'wren_kernel_netlink_errors_total', { errno: 'EEXIST' })).toBe(4);
    expect(value(samples, 'wren_kernel_netlink_errors_total', { errno: 'ENETUNREACH' })).toBe(1);
    expect(value(samples, 'wren_config_reloads_total', { result: 'ok' })).toBe(2);
    expect(value(samples, 'wren_config_reloads_total', { result: 'failed' })).toBe(1);
    expect(value(samples, 'wren_event_loop_stalls_total')).toBe(4);
    expect(value(samples, 'wren_event_loop_longest_stall_seconds')).toBe(1.5);
  });

  it('without kernel programming, the kernel families have no series', async () => {
    const src = new FakeSource();
    src.snap = snapshot({ kernel: null });
    const { samples } = parseExposition(await createMetrics(src, { processMetrics: false }).text());
    expect(samples.filter((s) => s.name.startsWith('wren_kernel_') && !s.name.startsWith('wren_kernel_reconcile_duration'))).toEqual([]);
  });

  it('feeds the histograms from the observers', async () => {
    const src = new FakeSource();
    const m = createMetrics(src, { processMetrics: false });
    m.observeDecisionRun(0.003);
    m.observeDecisionRun(0.2);
    m.observeReconcile('full', 1.2);
    m.observeReconcile('incremental', 0.004);
    m.observeLoopLag(0);
    m.observeLoopLag(0.7);
    const { samples } = parseExposition(await m.text());
    expect(value(samples, 'wren_rib_decision_duration_seconds_count')).toBe(2);
    expect(value(samples, 'wren_rib_decision_duration_seconds_bucket', { le: '0.005' })).toBe(1);
    expect(value(samples, 'wren_rib_decision_duration_seconds_bucket', { le: '+Inf' })).toBe(2);
    expect(value(samples, 'wren_rib_decision_duration_seconds_sum')).toBeCloseTo(0.203);
    expect(value(samples, 'wren_kernel_reconcile_duration_seconds_count', { kind: 'full' })).toBe(1);
    expect(value(samples, 'wren_kernel_reconcile_duration_seconds_bucket', { kind: 'full', le: '1' })).toBe(0);
    expect(value(samples, 'wren_kernel_reconcile_duration_seconds_bucket', { kind: 'incremental', le: '0.005' })).toBe(1);
    expect(value(samples, 'wren_event_loop_lag_seconds_bucket', { le: '0.001' })).toBe(1);
    expect(value(samples, 'wren_event_loop_lag_seconds_bucket', { le: '0.5' })).toBe(1);
    expect(value(samples, 'wren_event_loop_lag_seconds_count')).toBe(2);
  });
});

/**
 * Metrics and health endpoints on a lab node (issue 13): wren in namespace `node` with one iBGP
 * session to BIRD 2 in namespace `bird`, kernel programming on, its metrics listener on the node's
 * address; a real Prometheus (Debian's `prometheus`, its own config and data directory in the lab
 * directory, listening on the namespace's 127.0.0.1:9090) scrapes it every second.
 *
 * - /readyz is 503 with the reason while BIRD is not there (peer not Established, kernel not
 *   converged), and 200 once the session is up and the kernel converged;
 * - Prometheus answers `wren_bgp_session_up` = 1 for the session through its HTTP API;
 * - curl on /metrics: every documented family, with values that match the lab; `promtool check
 *   metrics` passes on it;
 * - BIRD disables the session with a shutdown message: a flap, the NOTIFICATION by code, the last
 *   error, and /readyz 503 again naming the peer.
 *
 * Run as root after `npm run build`: npx vitest run test/netns/metrics.netns.test.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBird, type BirdDaemon } from '../../tools/daemons/bird.js';
import { startWren, type WrenDaemon } from '../../tools/daemons/wren.js';
import { WREN_CLI } from '../../tools/kit/paths.js';
import { documentedMetrics } from '../unit/metrics/documented.js';
import { parseExposition, value, type Sample } from '../unit/metrics/fakes.js';
import { fibRoutesFor } from './lib/fib.js';
import { Lab, listNamespaces, waitFor, type LabProcess } from './lib/netns.js';
import { BIRD_INSTALLED, describeNetns, fileExists, NETNS, programs } from './lib/requirements.js';

const NODE = '192.168.1.10';
const BIRD = '192.168.1.11';
const METRICS = `${NODE}:9179`;
const PROMETHEUS = '127.0.0.1:9090';
const SESSION = { peer: BIRD, session: 'Mesh_192_168_1_11', asn: '64512' };

interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

describeNetns(
  'metrics and health endpoints of a lab node, scraped by Prometheus',
  [NETNS, BIRD_INSTALLED, programs('prometheus', 'promtool', 'curl'), fileExists(WREN_CLI, 'run `npm run build` first')],
  () => {
    let lab: Lab;
    let node = '';
    let birdNs = '';
    let wren: WrenDaemon;
    let bird: BirdDaemon | undefined;
    let prometheus: LabProcess;

    /** curl inside the node's namespace: status and body. */
    const curl = (url: string): HttpAnswer => {
      const out = lab.exec(node, 'curl', ['-s', '--max-time', '5', '-w', '\n%{http_code}', url]);
      const cut = out.lastIndexOf('\n');
      return { status: Number(out.slice(cut + 1)), body: out.slice(0, cut) };
    };
    const scrape = (): Sample[] => parseExposition(curl(`http://${METRICS}/metrics`).body).samples;
    /** A PromQL instant query through Prometheus's HTTP API. */
    const query = (q: string): { metric: Record<string, string>; value: [number, string] }[] => {
      const r = curl(`http://${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = JSON.parse(r.body) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`query ${q}: ${r.body}`);
      return body.data.result;
    };
    const logs = (): string => `${wren.describeLogs(30)}\n${prometheus.logTail()}`;

    beforeAll(async () => {
      lab = new Lab({ id: 'metrics' });
      node = lab.addNamespace('node');
      birdNs = lab.addNamespace('bird');
      lab.link(node, 'eth0', [`${NODE}/24`], birdNs, 'eth0', [`${BIRD}/24`]);
      wren = await startWren(lab, {
        ns: node,
        routerId: NODE,
        asn: 64512,
        neighbors: [{ address: BIRD, asn: 64512, families: ['ipv4'] }],
        originate: ['172.16.0.0/24'],
        kernel: true,
        holdTime: 9,
        peerExtra: { [BIRD]: { name: SESSION.session } },
        // Convergence waits for BIRD's End-of-RIB (no short deadline), so readiness follows the session.
        extra: { kernel: { convergenceTimeout: 600 }, metrics: { listen: METRICS } },
        logLevel: 'info',
      });
      const dir = join(lab.dir, 'prometheus');
      lab.exec(null, 'mkdir', ['-p', join(dir, 'data')]);
      writeFileSync(
        join(dir, 'prometheus.yml'),
        [
          'global:',
          '  scrape_interval: 1s',
          '  scrape_timeout: 1s',
          '  evaluation_interval: 1s',
          'scrape_configs:',
          '  - job_name: wren',
          '    static_configs:',
          `      - targets: ['${METRICS}']`,
          '',
        ].join('\n'),
      );
      prometheus = lab.spawn(
        node,
        'prometheus',
        [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=${PROMETHEUS}`],
        { logFile: join(dir, 'prometheus.log'), name: 'prometheus' },
      );
      await waitFor(() => curl(`http://${PROMETHEUS}/-/ready`).status === 200, { what: 'Prometheus to be ready', timeoutMs: 30_000 });
    });

    afterAll(async () => {
      const prefix = lab?.prefix;
      await lab?.destroy();
      if (prefix) expect(listNamespaces(prefix)).toEqual([]);
    });

    it('/readyz is 503 with the reasons while the peer is not up and the kernel has not converged; /livez is 200', () => {
      const r = curl(`http://${METRICS}/readyz`);
      expect(r.status, logs()).toBe(503);
      expect(r.body).toMatch(
        /^kernel: not converged: waiting for End-of-RIB from every peer or kernel\.convergenceTimeout \(\d+ routes installed, \d+ desired\); peers: 0\/1 configured peers Established; not Established: 192\.168\.1\.11 \(Mesh_192_168_1_11\) (Idle|Connect|Active)\n$/,
      );
      console.log(`/readyz?verbose before BIRD:\n${curl(`http://${METRICS}/readyz?verbose`).body}`);
      expect(curl(`http://${METRICS}/livez`)).toEqual({ status: 200, body: 'ok\n' });
      expect(value(scrape(), 'wren_bgp_session_up', SESSION)).toBe(0);
      expect(value(scrape(), 'wren_kernel_converged')).toBe(0);
    });

    it('/readyz turns 200 once the session with BIRD is Established and the kernel converged', async () => {
      // BIRD only accepts (wren dials): no connection collision, so each side sends exactly one OPEN
      // and no Cease / Connection Collision Resolution is counted.
      bird = await startBird(lab, { ns: birdNs, routerId: BIRD, asn: 64512, neighbors: [{ address: NODE, asn: 64512, families: ['ipv4'], passive: true }], originate: ['172.16.1.0/24'], gracefulRestart: true, holdTime: 9 });
      const seen: HttpAnswer[] = [];
      await waitFor(
        () => {
          const r = curl(`http://${METRICS}/readyz`);
          seen.push(r);
          return r.status === 200;
        },
        { what: '/readyz to turn 200', timeoutMs: 30_000, intervalMs: 100 },
      );
      // Every answer before was a 503 with a reason; after it, the state it claims holds.
      for (const r of seen.slice(0, -1)) expect(r.status === 503 && /^(kernel: not converged|peers: )/.test(r.body), JSON.stringify(r)).toBe(true);
      expect(seen.at(-1)).toEqual({ status: 200, body: 'ok\n' });
      expect(wren.sessionState(BIRD)).toBe('Established');
      expect(wren.showKernel()?.converged).toBe(true);
      await waitFor(() => fibRoutesFor(node, '172.16.1.0/24').some((r) => r.protocol === 'bird'), { what: "BIRD's block in the node's FIB", timeoutMs: 10_000 });
      const verbose = curl(`http://${METRICS}/readyz?verbose`);
      console.log(`/readyz?verbose with the session up:\n${verbose.body}`);
      expect(verbose.body).toMatch(/\[\+\]kernel ok: converged .*\n\[\+\]peers ok: 1\/1 configured peers Established\nreadyz check passed\n$/);
    });

    it('Prometheus scrapes wren and answers wren_bgp_session_up = 1 for the BIRD session', async () => {
      const result = await waitFor(
        () => {
          const r = query('wren_bgp_session_up');
          return r.length === 1 && r[0]?.value[1] === '1' ? r : undefined;
        },
        { what: 'Prometheus to have wren_bgp_session_up 1', timeoutMs: 20_000, intervalMs: 250 },
      );
      expect(result[0]?.metric).toEqual({ __name__: 'wren_bgp_session_up', instance: METRICS, job: 'wren', ...SESSION });
      expect(query('up{job="wren"}')[0]?.value[1]).toBe('1');
      expect(query('wren_bgp_sessions{state="Established"}')[0]?.value[1]).toBe('1');
      // Histograms arrive whole: PromQL over the lag histogram works.
      const p99 = await waitFor(
        () => {
          const r = query('histogram_quantile(0.99, rate(wren_event_loop_lag_seconds_bucket[1m]))');
          return r.length === 1 ? r : undefined;
        },
        { what: `a p99 of the event-loop lag; the buckets Prometheus has: ${JSON.stringify(query('wren_event_loop_lag_seconds_bucket').slice(0, 3))}`, timeoutMs: 10_000, intervalMs: 250 },
      );
      console.log(`Prometheus: wren_bgp_session_up ${JSON.stringify(result[0])}; event-loop lag p99 ${p99[0]?.value[1]} s`);
    });

    it('/metrics has every documented family with sane values, and passes promtool check metrics', async () => {
      // One reload that applies and one that is refused (an invalid file), so both results count.
      wren.cli('reload');
      writeFileSync(wren.paths.config, '{ "routerId": "not an address" }\n');
      lab.tryExec(null, process.execPath, [WREN_CLI, 'reload', '--socket', wren.paths.socket]);
      wren.writeConfig();
      await waitFor(() => value(scrape(), 'wren_bgp_prefixes_advertised', { ...SESSION, family: 'ipv4-unicast' }) === 1, { what: 'our block advertised to BIRD', timeoutMs: 10_000 });

      const r = curl(`http://${METRICS}/metrics`);
      expect(r.status).toBe(200);
      const text = r.body;
      const { type, samples } = parseExposition(text);
      for (const m of documentedMetrics()) expect(type.get(m.name), `${m.name} missing`).toBe(m.type);
      const v = (name: string, labels: Record<string, string> = {}): number => value(samples, name, labels);

      expect(v('wren_bgp_sessions', { state: 'Established' })).toBe(1);
      expect(samples.filter((s) => s.name === 'wren_bgp_sessions').reduce((n, s) => n + s.value, 0)).toBe(1);
      expect(v('wren_bgp_session_state', SESSION)).toBe(6);
      expect(v('wren_bgp_session_up', SESSION)).toBe(1);
      expect(v('wren_bgp_session_uptime_seconds', SESSION)).toBeGreaterThanOrEqual(0);
      expect(v('wren_bgp_session_uptime_seconds', SESSION)).toBeLessThan(120);
      expect(v('wren_bgp_session_flaps_total', SESSION)).toBe(0);
      expect(v('wren_bgp_messages_received_total', { ...SESSION, type: 'open' })).toBe(1);
      expect(v('wren_bgp_messages_sent_total', { ...SESSION, type: 'open' })).toBe(1);
      expect(v('wren_bgp_messages_received_total', { ...SESSION, type: 'keepalive' })).toBeGreaterThanOrEqual(1);
      expect(v('wren_bgp_messages_sent_total', { ...SESSION, type: 'keepalive' })).toBeGreaterThanOrEqual(1);
      expect(v('wren_bgp_messages_received_total', { ...SESSION, type: 'update' })).toBeGreaterThanOrEqual(2); // BIRD's block, End-of-RIB
      expect(v('wren_bgp_messages_sent_total', { ...SESSION, type: 'update' })).toBeGreaterThanOrEqual(2);
      expect(v('wren_bgp_messages_received_total', { ...SESSION, type: 'notification' })).toBe(0);
      expect(samples.filter((s) => s.name === 'wren_bgp_notifications_total')).toEqual([]);
      expect(samples.filter((s) => s.name === 'wren_bgp_last_error_info')).toEqual([]);
      expect(v('wren_bgp_prefixes_received', { ...SESSION, family: 'ipv4-unicast' })).toBe(1);
      expect(v('wren_bgp_prefixes_accepted', { ...SESSION, family: 'ipv4-unicast' })).toBe(1);
      expect(v('wren_bgp_prefixes_advertised', { ...SESSION, family: 'ipv4-unicast' })).toBe(1);
      expect(v('wren_bgp_prefixes_received', { ...SESSION, family: 'ipv6-unicast' })).toBe(0);

      expect(v('wren_rib_destinations', { family: 'ipv4-unicast' })).toBe(2); // ours and BIRD's
      expect(v('wren_rib_paths', { family: 'ipv4-unicast' })).toBe(2);
      expect(v('wren_rib_destinations', { family: 'ipv6-unicast' })).toBe(0);
      expect(v('wren_rib_pending_decisions')).toBe(0);
      expect(v('wren_rib_decision_runs_total')).toBeGreaterThan(0);
      expect(v('wren_rib_decision_duration_seconds_count')).toBe(v('wren_rib_decision_runs_total'));
      expect(v('wren_rib_decision_duration_seconds_sum')).toBeLessThan(v('wren_rib_decision_runs_total') * 0.1);

      expect(v('wren_kernel_routes_desired')).toBe(2); // BIRD's block, the blackhole of ours
      expect(v('wren_kernel_routes_installed')).toBe(2);
      expect(v('wren_kernel_routes_conflicting')).toBe(0);
      expect(v('wren_kernel_routes_pending')).toBe(0);
      expect(v('wren_kernel_routes_failed')).toBe(0);
      expect(v('wren_kernel_converged')).toBe(1);
      expect(v('wren_kernel_reconcile_duration_seconds_count', { kind: 'full' })).toBeGreaterThanOrEqual(2); // start, convergence
      expect(v('wren_kernel_reconcile_duration_seconds_count', { kind: 'incremental' })).toBeGreaterThanOrEqual(1);

      expect(v('wren_config_reloads_total', { result: 'ok' })).toBe(1);
      expect(v('wren_config_reloads_total', { result: 'failed' })).toBe(1);
      expect(v('wren_event_loop_stalls_total')).toBeGreaterThanOrEqual(0);
      expect(v('wren_event_loop_lag_seconds_count')).toBeGreaterThan(50); // 10 ticks a second
      expect(v('wren_event_loop_longest_stall_seconds')).toBeLessThan(5);

      expect(v('process_resident_memory_bytes')).toBeGreaterThan(10e6);
      expect(v('process_start_time_seconds')).toBeGreaterThan(Date.now() / 1000 - 600);
      expect(v('nodejs_heap_size_used_bytes')).toBeGreaterThan(1e6);

      const promtool = lab.tryExec(node, 'promtool', ['check', 'metrics'], { input: text });
      console.log(`promtool check metrics: exit ${promtool.status}${promtool.stdout}${promtool.stderr}`);
      expect(`${promtool.stdout}${promtool.stderr}`).toBe('');
      expect(promtool.status).toBe(0);
      console.log(`sample of /metrics:\n${text.split('\n').filter((l) => /^wren_(bgp_session|bgp_messages_received|bgp_prefixes|kernel_routes|rib_destinations)/.test(l)).join('\n')}`);
    });

    it('a shutdown from BIRD shows as a flap, the NOTIFICATION by code and subcode, the last error, and /readyz 503 naming the peer', async () => {
      bird?.shutdownPeer(NODE, 'metrics test maintenance');
      await waitFor(() => wren.sessionState(BIRD) !== 'Established', { what: 'the session to go down', timeoutMs: 10_000 });
      const samples = scrape();
      expect(value(samples, 'wren_bgp_session_up', SESSION)).toBe(0);
      expect(value(samples, 'wren_bgp_session_flaps_total', SESSION)).toBe(1);
      expect(value(samples, 'wren_bgp_notifications_total', { ...SESSION, direction: 'received', code: '6', subcode: '2' })).toBe(1);
      expect(value(samples, 'wren_bgp_messages_received_total', { ...SESSION, type: 'notification' })).toBe(1);
      expect(value(samples, 'wren_bgp_last_error_info', { ...SESSION, direction: 'received', code: '6', subcode: '2', name: 'Cease / Administrative Shutdown' })).toBe(1);
      expect(value(samples, 'wren_bgp_sessions', { state: 'Established' })).toBe(0);
      const r = curl(`http://${METRICS}/readyz`);
      expect(r.status).toBe(503);
      expect(r.body).toMatch(/^peers: 0\/1 configured peers Established; not Established: 192\.168\.1\.11 \(Mesh_192_168_1_11\) (Idle|Connect|Active)\n$/);
      expect(curl(`http://${METRICS}/readyz?peers=none`).status).toBe(200);
      await waitFor(() => query('wren_bgp_session_up')[0]?.value[1] === '0', { what: 'Prometheus to see the session down', timeoutMs: 20_000, intervalMs: 250 });
    });
  },
);

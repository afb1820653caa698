/**
 * datastore: wren following a Calico etcd datastore with N Node resources (docs/datastore.md).
 *
 *   etcd ns 10.9.0.250/24 ---- DUT ns 10.9.0.1/24 (wren, node "dut", nodeToNodeMesh on)
 *   N Node resources 10.1.x.y (no hosts behind them: every session dials and fails; the mesh's
 *   rule makes the DUT the active side, its address being the greater string)
 *
 * Measured: ms from starting wren to its speaker running with all N mesh sessions configured
 * (process start included); then JOINS times, one Node put: ms from the put returning to the new
 * session's first connection attempt (the peer's `Idle -> Connect` in wren's log), and the
 * follower's own derive / validate / apply times for that change; wren's RSS after all that.
 * The target (issue 12): one node joining a 1,000-node cluster reconfigures in under 100 ms.
 */
import { readFileSync } from 'node:fs';
import { calico, EtcdServer } from '../../daemons/etcd.js';
import { DatastoreWren } from '../../daemons/wren-datastore.js';
import { waitFor } from '../../kit/wait.js';
import { benchLab } from '../lab.js';
import { statusBytes } from '../proc-stats.js';
import { median } from '../stats.js';
import { MB, type RunResult, type ScenarioOptions } from './types.js';

const JOINS = 5;
const nodeAddress = (i: number): string => `10.1.${((i + 1) >> 8) & 255}.${(i + 1) & 255}`;

interface LogLine {
  readonly time: number;
  readonly msg: string;
  readonly [k: string]: unknown;
}

function logLines(path: string): LogLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

export async function runDatastore(n: number, run: number, o: ScenarioOptions): Promise<RunResult> {
  const lab = benchLab('ds', o.keep);
  const info: Record<string, number | string> = {};
  try {
    const etcdNs = lab.addNamespace('etcd');
    const dutNs = lab.addNamespace('dut');
    lab.link(etcdNs, 'e0', ['10.9.0.250/24'], dutNs, 'eth0', ['10.9.0.1/24']);
    const etcd = new EtcdServer(lab, { ns: etcdNs, address: '10.9.0.250' });
    await etcd.start();
    const client = await etcd.client();
    const items: { key: string; value: object }[] = [
      { key: calico.bgpConfigKey(), value: calico.bgpConfig({ asNumber: 64512 }) },
      { key: calico.nodeKey('dut'), value: calico.node('dut', { ipv4Address: '10.9.0.1/24' }) },
    ];
    for (let i = 0; i < n; i++) items.push({ key: calico.nodeKey(`node-${i}`), value: calico.node(`node-${i}`, { ipv4Address: `${nodeAddress(i)}/16` }) });
    const tw = performance.now();
    await client.putMany(items);
    info['write_nodes_ms'] = Math.round(performance.now() - tw);

    const wren = new DatastoreWren(lab, { ns: dutNs, nodeName: 'dut', etcd, kernel: false, logLevel: 'info', extra: { timers: { connectRetryTime: 120 } } });
    const t0 = Date.now();
    await wren.start();
    await waitFor(() => logLines(wren.paths.log).some((l) => l.msg === 'wren started'), { what: 'wren started', timeoutMs: 120_000 * o.timeoutScale, intervalMs: 20 });
    const started = logLines(wren.paths.log).find((l) => l.msg === 'wren started') as LogLine;
    if (started['peers'] !== n) throw new Error(`wren started with ${String(started['peers'])} peers, expected ${n}`);
    const startMs = started.time - t0;
    const initial = wren.showDatastore()?.last;
    info['initial_derive_ms'] = Number(initial?.deriveMs.toFixed(1));
    info['initial_validate_ms'] = Number(initial?.validateMs.toFixed(1));

    const joinMs: number[] = [];
    const applyMs: number[] = [];
    for (let j = 0; j < JOINS; j++) {
      const i = n + j;
      const address = nodeAddress(i);
      const before = logLines(wren.paths.log).length;
      const tPut = Date.now();
      await client.put(calico.nodeKey(`node-${i}`), calico.node(`node-${i}`, { ipv4Address: `${address}/16` }));
      const dial = await waitFor(
        () => logLines(wren.paths.log).slice(before).find((l) => l['peer'] === address && l['to'] === 'Connect') ?? false,
        { what: `wren dialling ${address}`, timeoutMs: 30_000 * o.timeoutScale, intervalMs: 5 },
      );
      const applied = logLines(wren.paths.log).slice(before).find((l) => l.msg === 'datastore change applied');
      joinMs.push(dial.time - tPut);
      if (applied) applyMs.push(Number(applied['deriveMs']) + Number(applied['validateMs']) + Number(applied['applyMs']));
    }
    const rss = statusBytes(wren.pid as number, 'VmRSS');
    info['join_ms_each'] = joinMs.join(' ');
    info['follower_ms_each'] = applyMs.map((x) => x.toFixed(1)).join(' ');
    await client.close();
    await wren.stop();
    await etcd.stop();
    return {
      scenario: 'datastore',
      subject: 'wren',
      size: n,
      run,
      metrics: { start_ms: startMs, join_ms: median(joinMs), follower_ms: median(applyMs), rss_mb: (rss ?? 0) / MB },
      info,
    };
  } catch (err) {
    return { scenario: 'datastore', subject: 'wren', size: n, run, metrics: {}, error: err instanceof Error ? err.message : String(err), info };
  } finally {
    await lab.destroy().catch((err: unknown) => o.log(`datastore: ${String(err)}`));
  }
}

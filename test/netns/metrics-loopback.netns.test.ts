/**
 * The metrics listener of a real wren process on loopback, no namespace needed (no kernel
 * programming, no BGP listener; one peer at 127.0.0.9 that never answers): a scrape passes
 * `promtool check metrics`, /readyz says why it is not ready, /livez answers, a reload applies
 * `metrics.perPeer` and is counted, and wren refuses to start when the metrics address is taken.
 * Run after `npm run build`: npx vitest run test/netns/metrics-loopback.netns.test.ts
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WREN_CLI } from '../../tools/kit/paths.js';
import { waitFor } from '../../tools/kit/wait.js';
import { documentedMetrics, METRICS_DOC } from '../unit/metrics/documented.js';
import { parseExposition, value } from '../unit/metrics/fakes.js';
import { describeNetns, fileExists, LINUX, programs } from './lib/requirements.js';

/** A port nobody listens on now (the kernel's choice for a throwaway listener). */
async function freePort(): Promise<number> {
  const s: Server = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describeNetns('wren metrics listener on loopback', [LINUX, programs('promtool'), fileExists(WREN_CLI, 'run `npm run build` first')], () => {
  let dir = '';
  let port = 0;
  let wren: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);
  const config = (metrics: Record<string, unknown>): Record<string, unknown> => ({
    routerId: '10.0.0.1',
    asn: 64512,
    listen: { enabled: false },
    kernel: { enabled: false },
    timers: { connectRetryTime: 1, idleHoldTime: 1, idleHoldMaxTime: 1 },
    control: { socket: join(dir, 'wren.sock') },
    originate: ['172.16.0.0/24'],
    peers: [{ address: '127.0.0.9', asn: 64512, name: 'Mesh_127_0_0_9' }],
    log: { level: 'info' },
    metrics,
  });
  const url = (path: string): string => `http://127.0.0.1:${port}${path}`;
  const get = async (path: string): Promise<{ status: number; body: string }> => {
    const r = await fetch(url(path));
    return { status: r.status, body: await r.text() };
  };
  const log = (): string => readFileSync(join(dir, 'wren.log'), 'utf8');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wren-metrics-'));
    port = await freePort();
    writeFileSync(join(dir, 'wren.json'), JSON.stringify(config({ listen: `127.0.0.1:${port}` })));
    const out = join(dir, 'wren.log');
    writeFileSync(out, '');
    wren = spawn(process.execPath, [WREN_CLI, 'run', '--config', join(dir, 'wren.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    wren.stdout?.on('data', (b: Buffer) => writeFileSync(out, b, { flag: 'a' }));
    wren.stderr?.on('data', (b: Buffer) => writeFileSync(out, b, { flag: 'a' }));
    exited = new Promise((r) => wren?.once('exit', (code) => r(code)));
    await waitFor(() => fetch(url('/livez')).then((r) => r.ok), { what: 'the metrics listener', timeoutMs: 15_000 });
  });

  afterAll(async () => {
    if (wren?.exitCode === null) {
      wren.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves every documented family, and a scrape passes promtool check metrics', async () => {
    const r = await fetch(url('/metrics'));
    expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await r.text();
    const { type, samples } = parseExposition(text);
    for (const m of documentedMetrics()) expect(type.get(m.name), m.name).toBe(m.type);
    expect(value(samples, 'wren_bgp_session_up', { peer: '127.0.0.9', session: 'Mesh_127_0_0_9', asn: '64512' })).toBe(0);
    expect(samples.some((s) => s.name.startsWith('wren_kernel_routes_'))).toBe(false); // kernel programming off
    expect(value(samples, 'process_resident_memory_bytes')).toBeGreaterThan(10e6);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${promtool.stdout}${promtool.stderr}`).toBe('');
    expect(promtool.status).toBe(0);
  });

  it('/readyz is 503 and names the peer that is not up; ?peers=none is 200; /livez is 200', async () => {
    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatch(/^peers: 0\/1 configured peers Established; not Established: 127\.0\.0\.9 \(Mesh_127_0_0_9\) (Idle|Connect|Active)\n$/);
    expect(await get('/readyz?peers=none')).toEqual({ status: 200, body: 'ok\n' });
    const verbose = await get('/readyz?verbose');
    expect(verbose.body).toMatch(/^\[\+\]config ok: loaded .*\n\[\+\]running ok: started\n\[\+\]kernel ok: kernel programming off\n\[-\]peers failed: .*\nreadyz check failed\n$/);
    expect(await get('/livez')).toEqual({ status: 200, body: 'ok\n' });
  });

  it('a reload applies metrics.perPeer at once and is counted; a changed metrics.listen is logged and waits for a restart', async () => {
    const other = await freePort();
    writeFileSync(join(dir, 'wren.json'), JSON.stringify(config({ listen: `127.0.0.1:${other}`, perPeer: false, readyPeers: 'none' })));
    wren?.kill('SIGHUP');
    await waitFor(async () => value(parseExposition(await (await fetch(url('/metrics'))).text()).samples, 'wren_config_reloads_total', { result: 'ok' }) === 1, {
      what: 'the reload to be counted',
      timeoutMs: 10_000,
    });
    const { samples } = parseExposition(await (await fetch(url('/metrics'))).text());
    expect(samples.filter((s) => 'peer' in s.labels)).toEqual([]);
    expect(value(samples, 'wren_bgp_sessions', { state: 'Established' })).toBe(0);
    expect(samples.filter((s) => s.name === 'wren_bgp_sessions').reduce((n, s) => n + s.value, 0)).toBe(1);
    expect(await get('/readyz')).toEqual({ status: 200, body: 'ok\n' }); // readyPeers: none
    expect(log()).toMatch(/metrics\.listen changed: applies at the next start/);
    // An invalid file: refused, counted as failed.
    writeFileSync(join(dir, 'wren.json'), JSON.stringify({ ...config({ listen: `127.0.0.1:${port}` }), asn: 'x' }));
    wren?.kill('SIGHUP');
    await waitFor(async () => value(parseExposition(await (await fetch(url('/metrics'))).text()).samples, 'wren_config_reloads_total', { result: 'failed' }) === 1, {
      what: 'the failed reload to be counted',
      timeoutMs: 10_000,
    });
  });

  it('the example alerts of docs/metrics.md pass promtool check rules', () => {
    const doc = readFileSync(METRICS_DOC, 'utf8');
    const m = /## Example alerts\s*```yaml\n([\s\S]*?)\n```/.exec(doc);
    expect(m?.[1], 'a yaml block after "## Example alerts"').toBeDefined();
    const file = join(dir, 'alerts.yml');
    writeFileSync(file, `${m?.[1] ?? ''}\n`);
    const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: 8 rules found/);
  });

  it('wren refuses to start when metrics.listen cannot be bound, and says so', async () => {
    const cfg = join(dir, 'taken.json');
    writeFileSync(cfg, JSON.stringify({ ...config({ listen: `127.0.0.1:${port}` }), control: { socket: join(dir, 'taken.sock') } }));
    const r = spawnSync(process.execPath, [WREN_CLI, 'run', '--config', cfg], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(`${r.stdout}${r.stderr}`).toMatch(/"code":"EADDRINUSE".*cannot listen for metrics \(metrics\.listen\)|cannot listen for metrics \(metrics\.listen\).*EADDRINUSE/s);
  });
});

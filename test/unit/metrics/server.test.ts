/** The metrics listener (src/metrics/server.ts) over loopback HTTP with a fake source. */
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/metrics/registry.js';
import { MAX_CONNECTIONS, startMetricsServer, type MetricsServer } from '../../../src/metrics/server.js';
import { silentLogger } from '../../../src/util/log.js';
import { FakeSource, parseExposition, peerSample, snapshot, value } from './fakes.js';

const servers: MetricsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function start(src = new FakeSource()): Promise<{ src: FakeSource; url: (path: string) => string; server: MetricsServer }> {
  const server = await startMetricsServer({ address: '127.0.0.1', port: 0, metrics: createMetrics(src, { processMetrics: false }), source: src, log: silentLogger });
  servers.push(server);
  return { src, server, url: (path) => `http://127.0.0.1:${server.address.port}${path}` };
}

describe('metrics listener', () => {
  it('serves /metrics in the Prometheus text format', async () => {
    const { src, url } = await start();
    src.snap = snapshot({ peers: [peerSample('192.168.1.11')] });
    const r = await fetch(url('/metrics'));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const { samples } = parseExposition(await r.text());
    expect(value(samples, 'wren_bgp_session_up', { peer: '192.168.1.11' })).toBe(1);
  });

  it('answers /readyz 503 with the reason, then 200 once ready; ?verbose lists the checks; ?peers= overrides the setting', async () => {
    const { src, url } = await start();
    src.snap = snapshot({ peers: [peerSample('192.168.1.11', { state: 'Connect' }), peerSample('192.168.1.12')] });
    let r = await fetch(url('/readyz'));
    expect(r.status).toBe(503);
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await r.text()).toBe('peers: 1/2 configured peers Established; not Established: 192.168.1.11 Connect\n');
    r = await fetch(url('/readyz?verbose'));
    expect(r.status).toBe(503);
    expect(await r.text()).toMatch(/\[-\]peers failed: .*\nreadyz check failed\n$/);
    expect((await fetch(url('/readyz?peers=any'))).status).toBe(200);
    src.set = { ...src.set, readyPeers: 'any' };
    expect((await fetch(url('/readyz'))).status).toBe(200);
    expect((await fetch(url('/readyz?peers=all'))).status).toBe(503);
    src.set = { ...src.set, readyPeers: 'all' };
    src.snap = snapshot({ peers: [peerSample('192.168.1.11'), peerSample('192.168.1.12')] });
    r = await fetch(url('/readyz'));
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('ok\n');
    r = await fetch(url('/readyz?peers=some'));
    expect(r.status).toBe(400);
    expect(await r.text()).toBe('unknown peers=some: expected all, any or none\n');
  });

  it('answers /livez 200, and 503 after a stall longer than metrics.livezMaxStall', async () => {
    const { src, url } = await start();
    let r = await fetch(url('/livez'));
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('ok\n');
    src.snap = snapshot({ loop: { now: 100_000, lastTickAt: 99_990, stalls: 1, maxStallMs: 4_000, recentStalls: [{ endedAt: 98_000, ms: 4_000 }] } });
    expect((await fetch(url('/livez'))).status).toBe(200);
    src.set = { ...src.set, livezMaxStall: 3 };
    r = await fetch(url('/livez'));
    expect(r.status).toBe(503);
    expect(await r.text()).toBe('stalls: the event loop was held 4.0 s, 2.0 s ago (bound 3 s, for a minute after)\n');
  });

  it('answers HEAD without a body, refuses other methods, and says what exists on other paths', async () => {
    const { url } = await start();
    const head = await fetch(url('/metrics'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(100);
    expect(await head.text()).toBe('');
    const post = await fetch(url('/metrics'), { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const missing = await fetch(url('/metricz'));
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('not found: /metrics, /livez, /readyz\n');
  });

  it('answers 500 and logs when a snapshot fails, and keeps serving', async () => {
    const { src, url } = await start();
    const good = src.snap;
    src.snapshot = () => {
      throw new Error('boom');
    };
    expect((await fetch(url('/metrics'))).status).toBe(500);
    src.snapshot = () => good;
    expect((await fetch(url('/metrics'))).status).toBe(200);
  });

  it('refuses to start on an address in use, with the errno', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const src = new FakeSource();
    await expect(startMetricsServer({ address: '127.0.0.1', port, metrics: createMetrics(src, { processMetrics: false }), source: src, log: silentLogger })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
    blocker.close();
  });

  it('bounds its connections: beyond MAX_CONNECTIONS open ones, a new connection is closed at once', async () => {
    const { url, server } = await start();
    const idle = await Promise.all(
      Array.from(
        { length: MAX_CONNECTIONS },
        () =>
          new Promise<Socket>((resolve, reject) => {
            const s = connect(server.address.port, '127.0.0.1', () => resolve(s));
            s.on('error', reject);
          }),
      ),
    );
    // The server has accepted them all once one more request on one of them is answered.
    (idle[0] as Socket).write('GET /livez HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => (idle[0] as Socket).once('data', r));
    await expect(fetch(url('/livez'))).rejects.toThrow();
    for (const s of idle) s.destroy();
    // Served again once the server has seen the closes (polled, bounded).
    const end = Date.now() + 5000;
    let status = 0;
    while (status !== 200 && Date.now() < end) status = await fetch(url('/livez')).then((r) => r.status, () => 0);
    expect(status).toBe(200);
  });
});

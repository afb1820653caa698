/**
 * Two Speakers in this process, talking BGP over loopback (127.0.0.1 <-> 127.0.0.2, real sockets,
 * no namespace needed), each with an in-memory FakeKernel: sessions come up, originated blocks are
 * exchanged and installed, a withdrawn block leaves the other kernel, SIGTERM-style stop sends
 * Cease / Administrative Shutdown with an RFC 9003 message, and a hold-timer loss is noticed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/validate.js';
import type { Config } from '../../../src/config/types.js';
import { Speaker } from '../../../src/daemon/speaker.js';
import { FakeKernel } from '../../../src/kernel/fake.js';
import { pino } from 'pino';
import { silentLogger, type Logger } from '../../../src/util/log.js';

function config(raw: Record<string, unknown>): Config {
  const r = validateConfig({ log: { level: 'silent' }, control: { socket: '/tmp/unused.sock' }, ...raw });
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return r.value;
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const running: Speaker[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

/** A listens on 127.0.0.1 (ephemeral port) and is passive; B dials A from 127.0.0.2. */
async function pair(opts: { asnB?: number; holdTime?: number; logB?: Logger } = {}): Promise<{ a: Speaker; b: Speaker; ka: FakeKernel; kb: FakeKernel }> {
  const asnB = opts.asnB ?? 64512;
  const holdTime = opts.holdTime ?? 30;
  const ka = new FakeKernel();
  const kb = new FakeKernel();
  const a = new Speaker({
    config: config({
      routerId: '10.0.0.1',
      asn: 64512,
      listen: { address: '127.0.0.1', port: 1179 },
      timers: { holdTime },
      originate: ['172.16.0.0/24', 'fd00:172:16::/64'],
      peers: [{ address: '127.0.0.2', asn: asnB, passive: true, ...(asnB !== 64512 ? { import: 'all', export: 'all' } : {}) }],
    }),
    log: silentLogger,
    kernel: ka,
    listenPort: 0,
  });
  running.push(a);
  await a.start();
  const b = new Speaker({
    config: config({
      routerId: '10.0.0.2',
      asn: asnB,
      listen: { enabled: false },
      timers: { holdTime },
      originate: ['172.16.1.0/24'],
      peers: [{ address: '127.0.0.1', asn: 64512, port: a.listeningPort, localAddress: '127.0.0.2', ...(asnB !== 64512 ? { import: 'all', export: 'all' } : {}) }],
    }),
    log: opts.logB ?? silentLogger,
    kernel: kb,
  });
  running.push(b);
  await b.start();
  return { a, b, ka, kb };
}

const established = (s: Speaker): boolean => s.peerStatuses().every((p) => p.state === 'Established');
const kernelHas = (k: FakeKernel, prefix: string): boolean => k.routes().some((r) => r.prefix === prefix && r.protocol === 12);

describe('two speakers over loopback', () => {
  it('reach Established, exchange originated blocks and install them with proto 12', async () => {
    const { a, b, ka, kb } = await pair();
    await until('sessions Established', () => established(a) && established(b));
    await until('B learns 172.16.0.0/24', () => kernelHas(kb, '172.16.0.0/24'));
    await until('A learns 172.16.1.0/24', () => kernelHas(ka, '172.16.1.0/24'));
    const learned = kb.routes().find((r) => r.prefix === '172.16.0.0/24');
    expect(learned?.nextHops.map((h) => h.via)).toEqual(['127.0.0.1']);
    // Each speaker's own block is a blackhole in its own kernel.
    expect(ka.routes().find((r) => r.prefix === '172.16.0.0/24')?.type).toBe('blackhole');
    const peer = a.peerStatuses()[0];
    expect(peer?.capabilities).toEqual(expect.arrayContaining(['ipv4-unicast', 'ipv6-unicast', 'route-refresh', 'as4']));
    expect(peer?.holdTimeSec).toBe(30);
    // What the BIRD socket shows: the session's phase and its wall-clock time, our address, the route counts.
    expect(peer).toMatchObject({ phase: 'up', localAddress: '127.0.0.1', prefixes: { received: 1, accepted: 1, advertised: 1, preferred: 1 } });
    expect(Date.now() - Date.parse(peer?.phaseSince ?? '')).toBeLessThan(10_000);
    expect(peer?.routeChanges).toMatchObject({ importUpdates: { received: 1, accepted: 1 }, exportUpdates: 1, exportWithdraws: 0 });
    const routes = b.routes('172.16.0.0/24');
    expect(routes).toHaveLength(1);
    expect(routes[0]).toMatchObject({ prefix: '172.16.0.0/24', nextHop: '127.0.0.1', best: true, from: '127.0.0.1' });
  });

  it('an eBGP session prepends the AS and the route shows the path', async () => {
    const { a, b, kb } = await pair({ asnB: 65001 });
    await until('sessions Established', () => established(a) && established(b));
    await until('B learns 172.16.0.0/24', () => kernelHas(kb, '172.16.0.0/24'));
    expect(b.routes('172.16.0.0/24')[0]?.asPath).toBe('64512');
  });

  it('stopping one speaker sends Cease / Administrative Shutdown with its message; the other keeps its routes as stale (RFC 8538)', async () => {
    const { a, b, ka } = await pair();
    await until('A learns 172.16.1.0/24', () => kernelHas(ka, '172.16.1.0/24'));
    running.splice(running.indexOf(b), 1);
    await b.stop({ message: 'maintenance window' });
    await until('A notices', () => a.peerStatuses()[0]?.state !== 'Established');
    const st = a.peerStatuses()[0];
    expect(st?.lastError).toMatchObject({ direction: 'received', code: 6, subcode: 2, communication: 'maintenance window' });
    await until('route marked stale', () => a.routes('172.16.1.0/24')[0]?.stale === true);
    expect(kernelHas(ka, '172.16.1.0/24')).toBe(true);
  });

  it('disabling a peer sends Cease / Hard Reset around Administrative Shutdown, and the other side flushes our routes', async () => {
    const { a, b, ka, kb } = await pair();
    await until('both learn', () => kernelHas(ka, '172.16.1.0/24') && kernelHas(kb, '172.16.0.0/24'));
    await b.disablePeer('127.0.0.1', 'draining');
    expect(b.peerStatuses()[0]?.phase).toBe('down');
    await until('A notices', () => a.peerStatuses()[0]?.state !== 'Established');
    expect(a.peerStatuses()[0]?.phase).toBe('start');
    expect(a.peerStatuses()[0]?.lastError).toMatchObject({ direction: 'received', code: 6, subcode: 9, communication: 'draining' });
    await until('A removes 172.16.1.0/24', () => !kernelHas(ka, '172.16.1.0/24'));
    await until('B removes 172.16.0.0/24', () => !kernelHas(kb, '172.16.0.0/24'));
  });
});

describe('a withdrawing stop between two speakers', () => {
  it('sends Cease / Hard Reset and removes our kernel routes; the other side flushes ours', async () => {
    const { a, b, ka, kb } = await pair();
    await until('both learn', () => kernelHas(ka, '172.16.1.0/24') && kernelHas(kb, '172.16.0.0/24'));
    running.splice(running.indexOf(b), 1);
    await b.stop({ withdraw: true, message: 'decommissioned' });
    await until('A notices', () => a.peerStatuses()[0]?.state !== 'Established');
    expect(a.peerStatuses()[0]?.lastError).toMatchObject({ direction: 'received', code: 6, subcode: 9, communication: 'decommissioned' });
    await until('A removes 172.16.1.0/24', () => !kernelHas(ka, '172.16.1.0/24'));
    expect(kb.routes().filter((r) => r.protocol === 12)).toEqual([]);
  });
});

describe('a restarting speaker (RFC 4724 4.1)', () => {
  it('holds its End-of-RIB until the peer has sent its own, then sends it', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const ka = new FakeKernel();
    // A route of ours a previous run left: A starts as a restarting speaker.
    ka.seed({ prefix: '172.16.1.0/24', table: 254, protocol: 12, metric: 0, type: 'unicast', nextHops: [{ via: '127.0.0.2' }] });
    const a = new Speaker({
      config: config({
        routerId: '10.0.0.1',
        asn: 64512,
        listen: { address: '127.0.0.1', port: 1179 },
        originate: ['172.16.0.0/24'],
        peers: [{ address: '127.0.0.2', asn: 64512, passive: true }],
      }),
      log,
      kernel: ka,
      listenPort: 0,
    });
    running.push(a);
    await a.start();
    const said = (msg: string): boolean => lines.some((l) => (JSON.parse(l) as { msg?: string }).msg === msg);
    expect(said('restarting with forwarding state preserved')).toBe(true);
    expect(said('selection deferral over: End-of-RIB to peers')).toBe(false);
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
    running.push(b);
    await b.start();
    await until('A ends its selection deferral', () => said('selection deferral over: End-of-RIB to peers'));
    // B's End-of-RIB also made A converge: the route it kept is the one B announces again.
    await until('A keeps 172.16.1.0/24 via B', () => kernelHas(ka, '172.16.1.0/24'));
  });
});

describe('enhanced route refresh between two speakers (RFC 7313)', () => {
  it("answers a refresh between BoRR and EoRR: the requester's stale marks are cleared, nothing is removed", async () => {
    const lines: string[] = [];
    const logB = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const { a, b, kb } = await pair({ logB });
    await until('sessions Established', () => established(a) && established(b));
    await until('B learns 172.16.0.0/24', () => kernelHas(kb, '172.16.0.0/24'));
    expect(b.peerStatuses()[0]?.capabilities).toContain('enhanced-route-refresh');
    b.refreshPeer('127.0.0.1');
    const eorr = (): { swept?: number } | undefined =>
      lines.map((l) => JSON.parse(l) as { msg?: string; swept?: number }).find((l) => l.msg?.startsWith('route refresh from the peer complete (EoRR)'));
    await until("B gets A's EoRR", () => eorr() !== undefined);
    expect(eorr()?.swept).toBe(0);
    expect(kernelHas(kb, '172.16.0.0/24')).toBe(true);
  });
});

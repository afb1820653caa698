/**
 * BFD tied to BGP (src/daemon/bfd-link.ts, bfd-gate.ts, the speaker's wiring): two Speakers over
 * loopback as in speaker.test.ts, B with BFD toward A, its BFD engine replaced by a fake whose
 * transitions the test plays. A failure takes B's session down at once (Cease / BFD Down, routes
 * out of B's kernel), or with `graceful` closes it silently and keeps the routes stale; `requireUp`
 * holds the session until BFD is Up again; a peer that never answered, or that signals AdminDown,
 * is never taken down; reloads change BFD in place; `show bfd` and the stats.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { initialStatus, type BfdService, type BfdServiceHooks } from '../../../src/bfd/service.js';
import type { BfdSessionSpec, BfdSessionStatus } from '../../../src/bfd/types.js';
import type { BfdState } from '../../../src/bfd/constants.js';
import type { Config } from '../../../src/config/types.js';
import { validateConfig } from '../../../src/config/validate.js';
import { Speaker } from '../../../src/daemon/speaker.js';
import { FakeKernel } from '../../../src/kernel/fake.js';
import { silentLogger } from '../../../src/util/log.js';
import { recordingLog } from './fakes.js';

class FakeBfd implements BfdService {
  readonly mode = 'thread' as const;
  unavailable: string | undefined;
  specs: readonly BfdSessionSpec[] = [];
  readonly configured: (readonly BfdSessionSpec[])[] = [];
  readonly #status = new Map<string, BfdSessionStatus>();
  readonly #hooks: BfdServiceHooks;
  closed = false;

  constructor(hooks: BfdServiceHooks, unavailable?: string) {
    this.#hooks = hooks;
    this.unavailable = unavailable;
  }
  configure(specs: readonly BfdSessionSpec[]): void {
    this.specs = specs;
    this.configured.push(specs);
  }
  readonly priorities: boolean[] = [];
  /** As the thread answers: real-time granted; nice -10 when real-time is not asked for, refused as without CAP_SYS_NICE. */
  setPriority(realtime: boolean): void {
    this.priorities.push(realtime);
    this.#hooks.priority?.(realtime ? { scheduling: 'SCHED_RR 1' } : { scheduling: 'normal', problem: 'nice -10 refused: EACCES' });
  }
  statuses(): BfdSessionStatus[] {
    return this.specs.map((s) => this.#status.get(s.peer) ?? initialStatus(s, this.unavailable));
  }
  refresh(): Promise<BfdSessionStatus[]> {
    return Promise.resolve(this.statuses());
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  /** Plays a transition of `peer`'s session. */
  go(peer: string, to: BfdState, o: { remoteState?: BfdState; diag?: number; reason?: string } = {}): void {
    const before = this.statuses().find((s) => s.peer === peer);
    if (!before) throw new Error(`no BFD session for ${peer}`);
    const flap = before.state === 'Up' && to !== 'Up';
    const status: BfdSessionStatus = {
      ...before,
      state: to,
      remoteState: o.remoteState ?? (to === 'Up' ? 'Up' : 'Down'),
      diag: o.diag ?? 0,
      heard: true,
      since: Date.now(),
      ...(flap ? { lastDownReason: o.reason ?? 'detection time expired' } : {}),
      counters: { ...before.counters, flaps: before.counters.flaps + (flap ? 1 : 0), transitions: before.counters.transitions + 1 },
    };
    this.#status.set(peer, status);
    this.#hooks.transition({ peer, from: before.state, to, diag: status.diag, remoteState: status.remoteState, remoteDiag: 0, reason: o.reason ?? 'detection time expired', at: Date.now() }, status);
  }
}

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

const A = '127.0.0.1';

/** A: passive, no BFD. B: dials A, BFD toward A with `bfd` (its engine a FakeBfd). */
async function pair(bfd: Record<string, unknown>, o: { unavailable?: string; gracefulRestart?: Record<string, unknown> } = {}) {
  const ka = new FakeKernel();
  const kb = new FakeKernel();
  const a = new Speaker({
    config: config({ routerId: '10.0.0.1', asn: 64512, listen: { address: A, port: 1179 }, timers: { holdTime: 30 }, originate: ['172.16.0.0/24'], peers: [{ address: '127.0.0.2', asn: 64512, passive: true }] }),
    log: silentLogger,
    kernel: ka,
    listenPort: 0,
  });
  running.push(a);
  await a.start();
  let fake: FakeBfd | undefined;
  const { log, lines } = recordingLog();
  const bConfig = (b: Record<string, unknown>): Config =>
    config({
      routerId: '10.0.0.2',
      asn: 64512,
      listen: { enabled: false },
      timers: { holdTime: 30, connectRetryTime: 1, idleHoldTime: 0 },
      originate: ['172.16.1.0/24'],
      ...(o.gracefulRestart ? { gracefulRestart: o.gracefulRestart } : {}),
      peers: [{ address: A, asn: 64512, port: a.listeningPort, localAddress: '127.0.0.2', bfd: b }],
    });
  const b = new Speaker({
    config: bConfig(bfd),
    log,
    kernel: kb,
    startBfd: (hooks) => (fake = new FakeBfd(hooks, o.unavailable)),
  });
  running.push(b);
  await b.start();
  if (!fake) throw new Error('B did not start its BFD engine');
  const established = (): boolean => b.peerStatuses()[0]?.state === 'Established' && a.peerStatuses()[0]?.state === 'Established';
  const bHas = (prefix: string): boolean => kb.routes().some((r) => r.prefix === prefix && r.protocol === 12);
  return { a, b, ka, kb, bfd: fake, established, bHas, lines, bConfig };
}

describe('BFD and the BGP session', () => {
  it('asks for one single-hop session per configured peer with bfd, from its local address, TTL 255 only', async () => {
    const { bfd } = await pair({ minTx: 100, minRx: 200, multiplier: 4 });
    expect(bfd.specs).toEqual([{ peer: A, remote: A, local: '127.0.0.2', multihop: false, minTtl: 255, minTxMs: 100, minRxMs: 200, multiplier: 4 }]);
  });

  it('a failure takes the session down at once with Cease / BFD Down; its routes leave the kernel; it stays down until BFD is Up', async () => {
    const t = await pair({});
    await until('Established', t.established);
    t.bfd.go(A, 'Init');
    t.bfd.go(A, 'Up');
    await until('B learns 172.16.0.0/24', () => t.bHas('172.16.0.0/24'));
    t.bfd.go(A, 'Down', { diag: 1, reason: 'detection time expired: no packet from the peer for 900 ms' });
    // Synchronously: the session is down and the routes are withdrawn from B's RIB (not stale).
    expect(t.b.peerStatuses()[0]?.state).toBe('Idle');
    await until('B removes 172.16.0.0/24', () => !t.bHas('172.16.0.0/24'));
    await until('A notices', () => t.a.peerStatuses()[0]?.state !== 'Established');
    const err = t.a.peerStatuses()[0]?.lastError;
    // Cease / BFD Down (RFC 9384), inside a Hard Reset since wren negotiates the N bit (RFC 8538).
    expect(err).toMatchObject({ direction: 'received', code: 6, subcode: 9 });
    expect(t.b.peerStatuses()[0]?.lastDownReason).toMatch(/^waiting for BFD to come back Up \(BFD session down: detection time expired/);
    expect(t.lines().find((l) => l['msg'] === 'BFD session down')).toMatchObject({ peer: A, state: 'Down', from: 'Up', diag: 'Control Detection Time Expired' });
    // Held: nothing restarts it (idle hold would have, after 0 s).
    await new Promise((r) => setTimeout(r, 500));
    expect(t.b.peerStatuses()[0]?.state).toBe('Idle');
    expect((await t.b.bfdView()).sessions[0]?.bgpHeld).toBe(true);
    t.bfd.go(A, 'Init');
    t.bfd.go(A, 'Up');
    await until('Established again', t.established);
    await until('B learns 172.16.0.0/24 again', () => t.bHas('172.16.0.0/24'));
  });

  it('graceful: the connection closes without a NOTIFICATION and the routes stay, stale, until the restart timer', async () => {
    const t = await pair({ graceful: true }, { gracefulRestart: { staleRoutesTime: 2 } });
    await until('Established', t.established);
    t.bfd.go(A, 'Up');
    await until('B learns 172.16.0.0/24', () => t.bHas('172.16.0.0/24'));
    t.bfd.go(A, 'Down', { diag: 1 });
    expect(t.b.peerStatuses()[0]?.state).toBe('Idle');
    expect(t.b.routes('172.16.0.0/24')[0]?.stale).toBe(true);
    await until('A notices', () => t.a.peerStatuses()[0]?.state !== 'Established');
    expect(t.a.peerStatuses()[0]?.lastError).toBeUndefined();
    expect(t.bHas('172.16.0.0/24')).toBe(true);
    await until('the restart timer sweeps them', () => !t.bHas('172.16.0.0/24'), 5000);
  });

  it('requireUp false: the session goes down and starts again at once', async () => {
    const t = await pair({ requireUp: false });
    await until('Established', t.established);
    t.bfd.go(A, 'Up');
    t.bfd.go(A, 'Down', { diag: 1 });
    expect(t.b.peerStatuses()[0]?.state).not.toBe('Established');
    await until('Established again, BFD still Down', t.established);
  });

  it('a peer that never answers BFD: the session comes up and is never taken down or held', async () => {
    const t = await pair({});
    await until('Established', t.established);
    t.bfd.go(A, 'Init');
    t.bfd.go(A, 'Down', { diag: 1 });
    await new Promise((r) => setTimeout(r, 200));
    expect(t.established()).toBe(true);
    await t.b.resetPeer(A);
    await until('Established after a reset', t.established);
  });

  it('the peer signalling AdminDown is not a failure (RFC 5882 3.2)', async () => {
    const t = await pair({});
    await until('Established', t.established);
    t.bfd.go(A, 'Up');
    t.bfd.go(A, 'Down', { remoteState: 'AdminDown', diag: 3 });
    await new Promise((r) => setTimeout(r, 200));
    expect(t.established()).toBe(true);
    expect(t.lines().some((l) => String(l['msg']).startsWith('the peer took BFD down administratively'))).toBe(true);
  });

  it('a reload changes BFD in place: new timers reach the engine, the BGP session stays', async () => {
    const t = await pair({});
    await until('Established', t.established);
    const r = await t.b.reload(t.bConfig({ minTx: 100, minRx: 100 }));
    expect(r.changes).toBe(1);
    expect(t.bfd.specs[0]).toMatchObject({ minTxMs: 100, minRxMs: 100 });
    expect(t.established()).toBe(true);
    await t.b.reload(t.bConfig({ enabled: false }));
    expect(t.bfd.specs).toEqual([]);
    expect(t.established()).toBe(true);
  });

  it('show bfd and the stats', async () => {
    const t = await pair({ graceful: true });
    t.bfd.go(A, 'Up');
    const v = await t.b.bfdView();
    expect(v.mode).toBe('thread');
    expect(v.sessions[0]).toMatchObject({ peer: A, state: 'Up', remoteState: 'Up', diagnostic: 'No Diagnostic', graceful: true, requireUp: true, bgpHeld: false, multihop: false, localAddress: '127.0.0.2' });
    expect(t.b.bfdStats()).toMatchObject({ mode: 'thread', sessions: [{ peer: A, state: 'Up', up: true, flaps: 0 }] });
    await t.b.stop();
    running.splice(running.indexOf(t.b), 1);
    expect(t.bfd.closed).toBe(true);
  });

  it('asks for the BFD thread\'s scheduling (bfd.realtime) at start and when a reload changes it; show bfd and the logs say what it got', async () => {
    const t = await pair({});
    expect(t.bfd.priorities).toEqual([true]);
    expect((await t.b.bfdView()).threadScheduling).toBe('SCHED_RR 1');
    expect(t.lines().find((l) => l['msg'] === 'BFD thread scheduling')).toMatchObject({ scheduling: 'SCHED_RR 1' });
    const same = t.bConfig({ minTx: 100 });
    await t.b.reload(same);
    expect(t.bfd.priorities).toEqual([true]);
    await t.b.reload({ ...same, bfd: { ...same.bfd, realtime: false } });
    expect(t.bfd.priorities).toEqual([true, false]);
    expect((await t.b.bfdView()).threadScheduling).toBe('normal');
    expect(t.lines().find((l) => l['msg'] === 'BFD thread scheduling: not as asked')).toMatchObject({ scheduling: 'normal', reason: 'nice -10 refused: EACCES' });
  });

  it('without the native addon: one error line, no session runs, BGP runs as without BFD', async () => {
    const t = await pair({}, { unavailable: 'BFD needs the native addon, which is not available: test' });
    await until('Established', t.established);
    const errors = t.lines().filter((l) => l['msg'] === 'BFD not started: the native addon is missing');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ peers: [A], reason: 'BFD needs the native addon, which is not available: test' });
    expect((await t.b.bfdView()).sessions[0]).toMatchObject({ state: 'Down', problem: 'BFD needs the native addon, which is not available: test' });
  });
});

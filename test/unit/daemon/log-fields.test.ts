/**
 * The log lines an operator greps for (docs/logging.md) carry stable field names: two Speakers over
 * loopback with their pino output captured (a destination stream), through a session coming up,
 * 200 routes, a kernel conflict, a reload and an administrative shutdown. Checked:
 *
 * - every session state change (`fsm transition`), `session established` and `session down` has
 *   `peer` and `session` (the peer's name);
 * - every NOTIFICATION, sent and received, is one line (`notification sent` / `notification
 *   received`) with `peer`, `session`, `code`, `subcode`, its decoded meaning (`name`; for a Hard
 *   Reset also `innerName`) and the RFC 9003 text;
 * - a kernel conflict is a `warn` line with `prefix`;
 * - a reload logs each change with `change`, `peer`, `session`, then `configuration reloaded`;
 * - at `info`, nothing is logged per route: 200 routes add no line with `prefix` or `route`, and the
 *   number of info lines does not grow with the number of routes.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/validate.js';
import type { Config } from '../../../src/config/types.js';
import { Speaker } from '../../../src/daemon/speaker.js';
import { FakeKernel } from '../../../src/kernel/fake.js';
import type { Logger } from '../../../src/util/log.js';

interface Line {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}
const INFO = 30;
const WARN = 40;

function config(raw: Record<string, unknown>): Config {
  const r = validateConfig({ log: { level: 'info' }, control: { socket: '/tmp/unused.sock' }, ...raw });
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

function capture(): { log: Logger; lines: () => Line[] } {
  const raw: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void raw.push(s) });
  return { log, lines: () => raw.map((s) => JSON.parse(s) as Line) };
}

const running: Speaker[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

/** B originates its block and `extra` more prefixes; A has a foreign route at B's block. */
async function pair(extra: number): Promise<{ a: Speaker; b: Speaker; la: () => Line[]; lb: () => Line[]; ka: FakeKernel; aConfig: (more?: object[]) => Config }> {
  const ca = capture();
  const cb = capture();
  const ka = new FakeKernel();
  ka.seed({ prefix: '172.16.1.0/24', table: 254, protocol: 4, metric: 0, type: 'unicast', nextHops: [{ via: '127.0.0.9' }] });
  const aConfig = (more: object[] = []): Config =>
    config({
      routerId: '10.0.0.1',
      asn: 64512,
      listen: { address: '127.0.0.1', port: 1179 },
      originate: ['172.16.0.0/24'],
      peers: [{ name: 'node-b', address: '127.0.0.2', asn: 64512, passive: true }, ...more],
    });
  const a = new Speaker({ config: aConfig(), log: ca.log, kernel: ka, listenPort: 0 });
  running.push(a);
  await a.start();
  const more = Array.from({ length: extra }, (_, i) => `10.200.${i}.0/24`);
  const b = new Speaker({
    config: config({
      routerId: '10.0.0.2',
      asn: 64512,
      listen: { enabled: false },
      originate: ['172.16.1.0/24', ...more],
      peers: [{ name: 'node-a', address: '127.0.0.1', asn: 64512, port: a.listeningPort, localAddress: '127.0.0.2' }],
    }),
    log: cb.log,
    kernel: new FakeKernel(),
  });
  running.push(b);
  await b.start();
  await until('both Established', () => a.peerStatuses()[0]?.state === 'Established' && b.peerStatuses()[0]?.state === 'Established');
  const last = more.at(-1);
  if (last !== undefined) await until(`A installs ${last}`, () => ka.routes().some((r) => r.prefix === last && r.protocol === 12));
  await a.settled();
  return { a, b, la: ca.lines, lb: cb.lines, ka, aConfig };
}

const named = (lines: Line[], msg: string): Line[] => lines.filter((l) => l.msg === msg);

describe('log lines an operator greps for', () => {
  it('session state changes and NOTIFICATIONs carry peer, session, code, subcode and the decoded meaning', async () => {
    const { a, b, la, lb } = await pair(0);
    await a.disablePeer('127.0.0.2', 'maintenance window');
    await until('B sees the session go down', () => named(lb(), 'session down').length > 0);

    for (const [lines, peer, session] of [
      [la(), '127.0.0.2', 'node-b'],
      [lb(), '127.0.0.1', 'node-a'],
    ] as const) {
      const transitions = named(lines, 'fsm transition');
      expect(transitions.length).toBeGreaterThanOrEqual(3);
      for (const t of transitions) {
        expect(t).toMatchObject({ level: INFO, peer, session });
        expect(typeof t['from']).toBe('string');
        expect(typeof t['to']).toBe('string');
        expect(typeof t['event']).toBe('string');
      }
      expect(transitions.map((t) => t['to'])).toContain('Established');
      expect(named(lines, 'session established')).toEqual([expect.objectContaining({ level: INFO, peer, session })]);
      expect(named(lines, 'session down')).toEqual([expect.objectContaining({ peer, session, reason: expect.any(String) })]);
    }

    // Both sides negotiated the RFC 8538 N bit: the shutdown is a Hard Reset around Administrative Shutdown.
    const sent = named(la(), 'notification sent');
    expect(sent).toEqual([
      expect.objectContaining({
        level: INFO,
        peer: '127.0.0.2',
        session: 'node-b',
        direction: 'sent',
        code: 6,
        subcode: 9,
        name: 'Cease / Hard Reset',
        innerCode: 6,
        innerSubcode: 2,
        innerName: 'Cease / Administrative Shutdown',
        communication: 'maintenance window',
        reason: 'admin-stop',
      }),
    ]);
    const received = named(lb(), 'notification received');
    expect(received).toEqual([
      expect.objectContaining({
        level: WARN,
        peer: '127.0.0.1',
        session: 'node-a',
        direction: 'received',
        code: 6,
        subcode: 9,
        name: 'Cease / Hard Reset',
        innerName: 'Cease / Administrative Shutdown',
        communication: 'maintenance window',
      }),
    ]);
    expect(named(la(), 'notification')).toEqual([]);
    // Down by our own operator: info; down because the peer said so: warn, with the reason in words.
    expect(named(la(), 'session down')).toEqual([expect.objectContaining({ level: INFO, reason: 'admin-stop', detail: 'administratively stopped' })]);
    expect(named(lb(), 'session down')).toEqual([
      expect.objectContaining({ level: WARN, reason: 'notification-received', detail: 'notification received: Cease / Hard Reset "maintenance window"' }),
    ]);
    void b;
  });

  it('a kernel conflict is a warn line with prefix; a reload logs each change with peer and session', async () => {
    const { a, la, aConfig } = await pair(0);
    await until('the conflict', () => named(la(), 'kernel route conflict: a foreign route holds the key').length > 0);
    expect(named(la(), 'kernel route conflict: a foreign route holds the key')).toEqual([
      expect.objectContaining({ level: WARN, component: 'kernel', prefix: '172.16.1.0/24', route: expect.any(String), table: 254, metric: 0 }),
    ]);

    const r = await a.reload(aConfig([{ name: 'node-c', address: '127.0.0.9', asn: 64512, passive: true }]));
    expect(r.changes).toBe(1);
    expect(named(la(), 'configuration change')).toEqual([
      expect.objectContaining({ level: INFO, change: 'add-peer', peer: '127.0.0.9', session: 'node-c', why: 'configured' }),
    ]);
    expect(named(la(), 'configuration reloaded')).toEqual([expect.objectContaining({ level: INFO, changes: 1 })]);
  });

  it('logs nothing per route at info: 200 routes add no line with prefix or route and no more info lines', async () => {
    const small = await pair(2);
    const infoSmall = small.la().filter((l) => l.level === INFO);
    await Promise.all(running.splice(0).map((s) => s.stop()));
    const big = await pair(200);
    const infoBig = big.la().filter((l) => l.level === INFO);
    expect(big.ka.routes().filter((r) => r.protocol === 12).length).toBeGreaterThan(200);
    expect(infoBig.filter((l) => 'prefix' in l || 'route' in l)).toEqual([]);
    // The same lines, whatever the number of routes (a reconcile summary may be split differently).
    expect(infoBig.length).toBeLessThanOrEqual(infoSmall.length + 3);
  });
});

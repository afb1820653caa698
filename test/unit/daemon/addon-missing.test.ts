/**
 * Without the native TCP options addon (WREN_TCP_ADDON pointing at a file that does not exist, as
 * after a build whose native step failed) a Speaker still runs: sessions without TCP MD5 or GTSM
 * come up (an eBGP multihop one too, with the default TTL), while a peer with `password` and one
 * with `ttlSecurity` never start, say why in `lastDownReason`, log one line naming the addon, and
 * refuse incoming connections. Loopback only (127.0.0.x), in-memory kernels.
 * The same over a real build and real namespaces: test/netns/no-addon.netns.test.ts.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { validateConfig } from '../../../src/config/validate.js';
import type { Config } from '../../../src/config/types.js';
import type { Speaker as SpeakerClass } from '../../../src/daemon/speaker.js';
import { FakeKernel } from '../../../src/kernel/fake.js';
import { silentLogger } from '../../../src/util/log.js';

const MISSING = '/nonexistent/wren-test/wren_tcp.node';

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

const running: SpeakerClass[] = [];
let Speaker: typeof SpeakerClass;

beforeEach(async () => {
  vi.stubEnv('WREN_TCP_ADDON', MISSING);
  vi.resetModules();
  ({ Speaker } = await import('../../../src/daemon/speaker.js'));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  vi.unstubAllEnvs();
  vi.resetModules();
});

interface Line {
  readonly level: number;
  readonly msg: string;
  readonly peer?: string;
  readonly session?: string;
  readonly needs?: string[];
  readonly reason?: string;
}

describe('a speaker without the native addon', () => {
  it('runs the plain and multihop sessions and keeps the MD5 and GTSM ones down with one line naming the addon', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const a = new Speaker({
      config: config({
        routerId: '10.0.0.1',
        asn: 64512,
        listen: { address: '127.0.0.1', port: 1179 },
        originate: ['172.16.0.0/24'],
        peers: [
          { name: 'plain', address: '127.0.0.2', asn: 64512, passive: true },
          { name: 'multihop', address: '127.0.0.5', asn: 65005, passive: true, ebgpMultihop: 2, import: 'all', export: 'all' },
          { name: 'md5', address: '127.0.0.3', asn: 64512, password: 'secret' },
          { name: 'gtsm', address: '127.0.0.4', asn: 65004, ttlSecurity: 1, import: 'all', export: 'all' },
        ],
      }),
      log,
      kernel: new FakeKernel(),
      listenPort: 0,
    });
    running.push(a);
    await a.start();
    const dialer = (routerId: string, local: string, asn: number, extra: Record<string, unknown>): SpeakerClass =>
      new Speaker({
        config: config({
          routerId,
          asn,
          listen: { enabled: false },
          originate: [],
          peers: [{ address: '127.0.0.1', asn: 64512, port: a.listeningPort, localAddress: local, ...extra }],
        }),
        log: silentLogger,
        kernel: new FakeKernel(),
      });
    const b = dialer('10.0.0.2', '127.0.0.2', 64512, {});
    const c = dialer('10.0.0.5', '127.0.0.5', 65005, { ebgpMultihop: 2, import: 'all', export: 'all' });
    running.push(b, c);
    await b.start();
    await c.start();

    const state = (name: string): string | undefined => a.peerStatuses().find((p) => p.name === name)?.state;
    await until("the plain and the multihop sessions Established", () => state("plain") === "Established" && state("multihop") === "Established").catch((e) => { console.log(lines.join("")); console.log(JSON.stringify(a.peerStatuses(), null, 1)); throw e; });

    // The MD5 peer knocks: its connection is closed without an OPEN (it is not started, so it takes none).
    const knock: Socket = connect({ host: '127.0.0.1', port: a.listeningPort ?? 0, localAddress: '127.0.0.3' });
    knock.on('error', () => undefined);
    const received: Buffer[] = [];
    knock.on('data', (d: Buffer) => received.push(d));
    await once(knock, 'close');
    expect(Buffer.concat(received).length).toBe(0);

    for (const [name, needs] of [
      ['md5', 'password \\(TCP MD5\\)'],
      ['gtsm', 'ttlSecurity \\(GTSM\\)'],
    ] as const) {
      const st = a.peerStatuses().find((p) => p.name === name);
      expect(st?.state).toBe('Idle');
      expect(st?.lastDownReason).toMatch(new RegExp(`^not started: ${needs} needs the native TCP options addon, which is not available: .*${MISSING}.*npm run build:native`));
    }
    const parsed = lines.map((l) => JSON.parse(l) as Line);
    const refused = parsed.filter((l) => l.msg === 'session not started: the native TCP options addon is missing');
    expect(refused.map((l) => [l.level, l.peer, l.session, l.needs])).toEqual([
      [50, '127.0.0.3', 'md5', ['password (TCP MD5)']],
      [50, '127.0.0.4', 'gtsm', ['ttlSecurity (GTSM)']],
    ]);
    expect(refused.every((l) => l.reason?.includes(MISSING))).toBe(true);
    // The refused sessions never moved: no state change logged for them.
    expect(parsed.filter((l) => l.msg === 'fsm transition' && (l.peer === '127.0.0.3' || l.peer === '127.0.0.4'))).toEqual([]);

    // `peer enable` tries again: the same single line, still down.
    a.enablePeer('127.0.0.3');
    const again = lines.map((l) => JSON.parse(l) as Line).filter((l) => l.msg === 'session not started: the native TCP options addon is missing' && l.peer === '127.0.0.3');
    expect(again).toHaveLength(2);
    expect(state('md5')).toBe('Idle');
  }, 20_000);
});

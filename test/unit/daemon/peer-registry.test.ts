/**
 * The peer registry (src/daemon/peer-registry.ts) with fake sessions and a ManualClock, no
 * sockets: configured peers, incoming connections (known address, dynamic range, range full,
 * unknown), a reload's changes from config/diff.ts, dynamic peers forgotten, max-prefix restart.
 */
import { describe, expect, it } from 'vitest';
import { CeaseSub } from '../../../src/codec/constants.js';
import { diffConfig } from '../../../src/config/diff.js';
import type { Config } from '../../../src/config/types.js';
import { validateConfig } from '../../../src/config/validate.js';
import { PeerRegistry, type RegisteredSession } from '../../../src/daemon/peer-registry.js';
import { ManualClock } from '../../../src/util/clock.js';
import { recordingLog } from './fakes.js';

function config(peers: unknown[], extra: Record<string, unknown> = {}): Config {
  const r = validateConfig({ routerId: '10.0.0.1', asn: 64512, log: { level: 'silent' }, control: { socket: '/tmp/unused.sock' }, peers, ...extra });
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return r.value;
}

class FakeSession implements RegisteredSession {
  readonly id: string;
  state = 'Idle';
  readonly #events: string[];
  constructor(id: string, events: string[]) {
    this.id = id;
    this.#events = events;
  }
  start(): void {
    this.#events.push(`start ${this.id}`);
    this.state = 'Active';
  }
  async stop(subcode?: number): Promise<void> {
    this.#events.push(`stop ${this.id} ${subcode ?? '-'}`);
    await Promise.resolve();
    this.state = 'Idle';
  }
}

function setup() {
  const clock = new ManualClock();
  const { log, msgs } = recordingLog();
  const events: string[] = [];
  const reg = new PeerRegistry<FakeSession>({
    clock,
    log,
    hooks: {
      create: (cfg, id, dynamic) => {
        events.push(`create ${id}${dynamic ? ' dynamic' : ''}`);
        return new FakeSession(id, events);
      },
      configured: (e) => events.push(`configured ${e.peer.id}`),
      reconfigured: (e) => events.push(`reconfigured ${e.peer.id} hold ${e.config.holdTime}`),
      leaving: (id) => events.push(`leaving ${id}`),
      removed: (id) => events.push(`removed ${id}`),
    },
  });
  return { clock, reg, events, msgs };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('configured peers', () => {
  it('registers the enabled static peers, by canonical address, and starts them only when asked', () => {
    const { reg, events } = setup();
    reg.addConfigured(config([{ address: '10.0.0.2', asn: 64512 }, { address: 'fd00:0:0::2', asn: 64512 }, { address: '10.0.0.3', asn: 64512, enabled: false }, { addressRange: '10.1.0.0/16', asn: 64512 }]).peers);
    expect([...reg.entries()].map((e) => e.peer.id)).toEqual(['10.0.0.2', 'fd00::2']);
    expect(events).toEqual(['create 10.0.0.2', 'configured 10.0.0.2', 'create fd00::2', 'configured fd00::2']);
    expect(reg.find('fd00:0::2')?.peer.id).toBe('fd00::2');
    expect(reg.get('fd00:0::2')).toBeUndefined(); // get() takes ids as sessions name themselves
    reg.startAll();
    expect(events.slice(4)).toEqual(['start 10.0.0.2', 'start fd00::2']);
  });
});

describe('incoming connections (RFC 4271 8)', () => {
  const peers = config([
    { address: '10.0.0.2', asn: 64512 },
    { addressRange: '10.1.0.0/16', asn: 64512, maxPeers: 2 },
    { addressRange: '10.2.0.0/16', asn: 64512, enabled: false },
  ]).peers;

  it('a known address is its peer', () => {
    const { reg } = setup();
    reg.addConfigured(peers);
    const a = reg.admit('10.0.0.2', peers);
    expect(a.kind === 'peer' && a.entry.peer.id).toBe('10.0.0.2');
    expect(reg.size).toBe(1);
  });

  it('an address in an enabled range becomes a dynamic peer, started at once, until the range is full', () => {
    const { reg, events, msgs } = setup();
    const a = reg.admit('10.1.0.5', peers);
    expect(a.kind === 'peer' && a.entry.dynamic).toBe(true);
    expect(events).toEqual(['create 10.1.0.5 dynamic', 'configured 10.1.0.5', 'start 10.1.0.5']);
    expect(msgs()).toContain('dynamic peer accepted');
    // The same address again is the same peer, not a second slot.
    const again = reg.admit('10.1.0.5', peers);
    expect(again.kind === 'peer' && again.entry).toBe(a.kind === 'peer' && a.entry);
    expect(reg.admit('10.1.0.6', peers).kind).toBe('peer');
    expect(reg.admit('10.1.0.7', peers)).toEqual({ kind: 'refused', why: 'range-full', remote: '10.1.0.7' });
    expect(msgs()).toContain('dynamic peer refused: range is full');
    expect(reg.size).toBe(2);
  });

  it('an address in no range, or only in a disabled one, is refused', () => {
    const { reg, events } = setup();
    expect(reg.admit('192.0.2.1', peers)).toEqual({ kind: 'refused', why: 'unknown-address', remote: '192.0.2.1' });
    expect(reg.admit('10.2.0.1', peers)).toEqual({ kind: 'refused', why: 'unknown-address', remote: '10.2.0.1' });
    expect(events).toEqual([]);
  });
});

describe('a reload (config/diff.ts)', () => {
  async function reloaded(before: Config, after: Config) {
    const s = setup();
    s.reg.addConfigured(before.peers);
    s.reg.startAll();
    s.events.length = 0;
    await s.reg.apply(diffConfig(before, after), after);
    return s;
  }

  it('removes a peer: its timers end before its session stops (Cease / Peer De-configured), then its routes go', async () => {
    const { reg, events } = await reloaded(config([{ address: '10.0.0.2', asn: 64512 }, { address: '10.0.0.3', asn: 64512 }]), config([{ address: '10.0.0.2', asn: 64512 }]));
    expect(events).toEqual(['leaving 10.0.0.3', `stop 10.0.0.3 ${CeaseSub.PEER_DECONFIGURED}`, 'removed 10.0.0.3']);
    expect(reg.find('10.0.0.3')).toBeUndefined();
  });

  it('adds and starts a new static peer', async () => {
    const { events } = await reloaded(config([]), config([{ address: '10.0.0.4', asn: 64512 }]));
    expect(events).toEqual(['create 10.0.0.4', 'configured 10.0.0.4', 'start 10.0.0.4']);
  });

  it('resets a peer whose OPEN changes: removed with Cease / Other Configuration Change, then added and started', async () => {
    const { events } = await reloaded(config([{ address: '10.0.0.2', asn: 64512 }]), config([{ address: '10.0.0.2', asn: 65001 }]));
    expect(events).toEqual([
      'leaving 10.0.0.2',
      `stop 10.0.0.2 ${CeaseSub.OTHER_CONFIGURATION_CHANGE}`,
      'removed 10.0.0.2',
      'create 10.0.0.2',
      'configured 10.0.0.2',
      'start 10.0.0.2',
    ]);
  });

  it('applies a routing-only change in place (new config, RIB side configured again)', async () => {
    const { reg, events } = await reloaded(config([{ address: '10.0.0.2', asn: 64512 }]), config([{ address: '10.0.0.2', asn: 64512, communities: ['64512:1'] }]));
    expect(events).toEqual(['configured 10.0.0.2']);
    expect(reg.find('10.0.0.2')?.config.communities).toHaveLength(1);
  });

  it('applies an in-place setting to the session without a reset', async () => {
    const before = config([{ address: '10.0.0.2', asn: 64512 }]);
    const after = config([{ address: '10.0.0.2', asn: 64512, connectRetryTime: 7 }]);
    const changes = diffConfig(before, after);
    expect(changes.map((c) => c.kind)).toEqual(['update-in-place']);
    const { reg, events } = await reloaded(before, after);
    expect(events).toEqual(['reconfigured 10.0.0.2 hold 90']);
    expect(reg.find('10.0.0.2')?.config.connectRetryTime).toBe(7);
  });

  it('removes the dynamic peers of a removed range; a new range adds no peer until one connects', async () => {
    const range = { addressRange: '10.1.0.0/16', asn: 64512 };
    const s = setup();
    const before = config([range]);
    s.reg.admit('10.1.0.5', before.peers);
    s.events.length = 0;
    await s.reg.apply(diffConfig(before, config([])), config([]));
    expect(s.events).toEqual(['leaving 10.1.0.5', `stop 10.1.0.5 ${CeaseSub.PEER_DECONFIGURED}`, 'removed 10.1.0.5']);
    s.events.length = 0;
    await s.reg.apply(diffConfig(config([]), before), before);
    expect(s.events).toEqual([]);
  });
});

describe('dynamic peers forgotten', () => {
  const peers = config([{ addressRange: '10.1.0.0/16', asn: 64512, maxPeers: 1 }]).peers;

  it('after a turn of the loop, unless the session is back; the slot is free again', async () => {
    const { reg, events, msgs } = setup();
    const a = reg.admit('10.1.0.5', peers);
    if (a.kind !== 'peer') throw new Error('refused');
    events.length = 0;
    a.entry.peer.state = 'Established';
    reg.forgetDynamic(a.entry);
    await turn();
    expect(events).toEqual([]);
    a.entry.peer.state = 'Idle';
    reg.forgetDynamic(a.entry);
    expect(reg.size).toBe(1);
    await turn();
    expect(events).toEqual(['leaving 10.1.0.5', `stop 10.1.0.5 ${CeaseSub.PEER_DECONFIGURED}`, 'removed 10.1.0.5']);
    expect(msgs()).toContain('dynamic peer removed');
    expect(reg.size).toBe(0);
    expect(reg.admit('10.1.0.6', peers).kind).toBe('peer');
  });

  it('a forgotten dynamic peer is not restarted by a pending max-prefix restart', async () => {
    const { reg, events, clock } = setup();
    const withMax = config([{ addressRange: '10.1.0.0/16', asn: 64512, maxPrefix: { limit: 10, restartAfter: 30 } }]).peers;
    const a = reg.admit('10.1.0.5', withMax);
    if (a.kind !== 'peer') throw new Error('refused');
    reg.maxPrefixStop(a.entry);
    reg.forgetDynamic(a.entry);
    await turn();
    events.length = 0;
    clock.advance(30_000);
    expect(events).toEqual([]);
  });

  it('an entry replaced meanwhile is left alone', async () => {
    const { reg, events } = setup();
    const a = reg.admit('10.1.0.5', peers);
    if (a.kind !== 'peer') throw new Error('refused');
    await reg.apply(diffConfig(config([{ addressRange: '10.1.0.0/16', asn: 64512, maxPeers: 1 }]), config([])), config([]));
    reg.admit('10.1.0.5', peers);
    events.length = 0;
    reg.forgetDynamic(a.entry);
    await turn();
    expect(events).toEqual([]);
    expect(reg.size).toBe(1);
  });
});

describe('max-prefix stop', () => {
  const cfg = (mp: Record<string, unknown>): Config => config([{ address: '10.0.0.2', asn: 64512, maxPrefix: { limit: 10, ...mp } }]);

  it('sends Cease / Maximum Number of Prefixes Reached and restarts after restartAfter', () => {
    const { reg, events, clock } = setup();
    reg.addConfigured(cfg({ restartAfter: 30 }).peers);
    const e = reg.find('10.0.0.2');
    if (!e) throw new Error('no peer');
    events.length = 0;
    reg.maxPrefixStop(e);
    expect(events).toEqual([`stop 10.0.0.2 ${CeaseSub.MAX_PREFIXES}`]);
    clock.advance(29_999);
    expect(events).toHaveLength(1);
    clock.advance(1);
    expect(events).toEqual([`stop 10.0.0.2 ${CeaseSub.MAX_PREFIXES}`, 'start 10.0.0.2']);
    expect(e.cancelRestart).toBeUndefined();
  });

  it('stays down without restartAfter, and after close()', () => {
    const { reg, events, clock } = setup();
    reg.addConfigured(cfg({}).peers);
    const e = reg.find('10.0.0.2');
    if (!e) throw new Error('no peer');
    reg.maxPrefixStop(e);
    expect(clock.pending).toBe(0);
    const s2 = setup();
    s2.reg.addConfigured(cfg({ restartAfter: 30 }).peers);
    const e2 = s2.reg.find('10.0.0.2');
    if (!e2) throw new Error('no peer');
    s2.reg.maxPrefixStop(e2);
    s2.reg.close();
    s2.clock.advance(60_000);
    expect(s2.events.filter((x) => x.startsWith('start'))).toEqual([]);
    expect(events.filter((x) => x.startsWith('start'))).toEqual([]);
  });
});

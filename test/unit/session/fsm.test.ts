import { describe, expect, it } from 'vitest';
import { BgpError } from '../../../src/codec/errors.js';
import type { OpenMsg } from '../../../src/codec/types.js';
import { newSession, step, type Effect, type Event, type Session, type SessionConfig, type State } from '../../../src/session/fsm.js';
import { buildOpen } from '../../../src/session/negotiate.js';

const config: SessionConfig = {
  local: { asn: 65000, routerId: '192.168.1.10', holdTimeSec: 90, keepaliveSec: 30, families: ['ipv4-unicast', 'ipv6-unicast'] },
  expect: { asn: 65000 },
  passive: false,
  connectRetrySec: 120,
  idleHoldSec: 5,
  idleHoldMaxSec: 120,
  stableSec: 60,
};
const peerOpen: OpenMsg = buildOpen({ ...config.local, routerId: '192.168.1.11', holdTimeSec: 30 });

function run(s: Session, ...events: Event[]): { session: Session; effects: Effect[] } {
  const effects: Effect[] = [];
  for (const e of events) {
    const r = step(s, e);
    s = r.session;
    effects.push(...r.effects);
  }
  return { session: s, effects };
}
const kinds = (effects: readonly Effect[]): string[] =>
  effects.map((e) => (e.kind === 'startTimer' || e.kind === 'stopTimer' ? `${e.kind}:${e.timer}` : e.kind === 'send' ? `send:${e.msg.kind}` : e.kind));
const sent = (effects: readonly Effect[]): Effect[] => effects.filter((e) => e.kind === 'send');
const notificationSent = (effects: readonly Effect[]): [number, number] | undefined => {
  for (const e of effects) if (e.kind === 'send' && e.msg.kind === 'notification') return [e.msg.code, e.msg.subcode];
  return undefined;
};

function inState(state: State, cfg: SessionConfig = config): Session {
  const s0 = newSession(cfg);
  const path: Record<State, Event[]> = {
    Idle: [],
    Connect: [{ kind: 'ManualStart' }],
    Active: [{ kind: 'ManualStart' }, { kind: 'TcpConnectionFails' }],
    OpenSent: [{ kind: 'ManualStart' }, { kind: 'TcpConnectionUp' }],
    OpenConfirm: [{ kind: 'ManualStart' }, { kind: 'TcpConnectionUp' }, { kind: 'BGPOpen', open: peerOpen }],
    Established: [{ kind: 'ManualStart' }, { kind: 'TcpConnectionUp' }, { kind: 'BGPOpen', open: peerOpen }, { kind: 'KeepAliveMsg' }],
  };
  const s = run(s0, ...path[state]).session;
  expect(s.state).toBe(state);
  return s;
}

describe('Idle', () => {
  it('ManualStart on an active peer goes to Connect, arms ConnectRetry and connects', () => {
    const r = step(newSession(config), { kind: 'ManualStart' });
    expect(r.session.state).toBe('Connect');
    expect(kinds(r.effects)).toEqual(['stopTimer:IdleHold', 'startTimer:ConnectRetry', 'connect']);
  });
  it('ManualStart on a passive peer goes to Active and does not connect', () => {
    const r = step(newSession({ ...config, passive: true }), { kind: 'ManualStart' });
    expect(r.session.state).toBe('Active');
    expect(kinds(r.effects)).not.toContain('connect');
  });
  it('the IdleHold timer starts the session automatically', () => {
    const r = step(newSession(config), { kind: 'TimerExpired', timer: 'IdleHold' });
    expect(r.session.state).toBe('Connect');
  });
  it('accepts an incoming connection while waiting out the idle hold, and sends OPEN', () => {
    const r = step(newSession(config), { kind: 'TcpConnectionUp' });
    expect(r.session.state).toBe('OpenSent');
    expect(kinds(r.effects)).toContain('send:open');
  });
  it('refuses an incoming connection after a ManualStop', () => {
    const stopped = step(newSession(config), { kind: 'ManualStop', subcode: 2 }).session;
    const r = step(stopped, { kind: 'TcpConnectionUp' });
    expect(r.session.state).toBe('Idle');
    expect(kinds(r.effects)).toEqual(['close']);
  });
  it('ignores messages (an empty cell outside the OPEN exchange is not an FSM error)', () => {
    const r = step(newSession(config), { kind: 'KeepAliveMsg' });
    expect(r.session.state).toBe('Idle');
    expect(r.effects).toEqual([]);
  });
});

describe('Connect and Active', () => {
  it('Connect + TCP up sends OPEN, sets the hold timer to 4 minutes and goes to OpenSent', () => {
    const r = step(inState('Connect'), { kind: 'TcpConnectionUp' });
    expect(r.session.state).toBe('OpenSent');
    expect(r.effects).toContainEqual({ kind: 'startTimer', timer: 'Hold', seconds: 240 });
    const open = sent(r.effects)[0];
    expect(open?.kind === 'send' && open.msg.kind === 'open' && open.msg.holdTime).toBe(90);
  });
  it('Connect + TCP failure goes to Active and waits for ConnectRetry', () => {
    const r = step(inState('Connect'), { kind: 'TcpConnectionFails' });
    expect(r.session.state).toBe('Active');
  });
  it('ConnectRetry expiry in Active connects again', () => {
    const r = step(inState('Active'), { kind: 'TimerExpired', timer: 'ConnectRetry' });
    expect(r.session.state).toBe('Connect');
    expect(kinds(r.effects)).toEqual(['close', 'startTimer:ConnectRetry', 'connect']);
  });
  it('ConnectRetry expiry in Connect restarts the attempt', () => {
    const r = step(inState('Connect'), { kind: 'TimerExpired', timer: 'ConnectRetry' });
    expect(r.session.state).toBe('Connect');
    expect(kinds(r.effects)).toContain('connect');
  });
  it('Active + TCP up (the peer connected to us) sends OPEN', () => {
    const r = step(inState('Active'), { kind: 'TcpConnectionUp' });
    expect(r.session.state).toBe('OpenSent');
  });
  it('ManualStop in Connect closes without a NOTIFICATION and disables restart', () => {
    const r = step(inState('Connect'), { kind: 'ManualStop', subcode: 2 });
    expect(r.session.state).toBe('Idle');
    expect(r.session.autoRestart).toBe(false);
    expect(notificationSent(r.effects)).toBeUndefined();
  });
});

describe('OpenSent', () => {
  it('an acceptable OPEN sends KEEPALIVE, negotiates the hold time and goes to OpenConfirm', () => {
    const r = step(inState('OpenSent'), { kind: 'BGPOpen', open: peerOpen });
    expect(r.session.state).toBe('OpenConfirm');
    expect(r.session.negotiated?.holdTimeSec).toBe(30);
    expect(r.session.negotiated?.keepaliveSec).toBe(10);
    expect(kinds(r.effects)).toEqual(['openAccepted', 'send:keepalive', 'startTimer:Hold', 'startTimer:Keepalive', 'startTimer:SendHold']);
  });
  it('an OPEN from the wrong AS gets OPEN Message Error / Bad Peer AS and goes down', () => {
    const r = step(inState('OpenSent'), { kind: 'BGPOpen', open: { ...peerOpen, params: [], myAs: 65001 } });
    expect(r.session.state).toBe('Idle');
    expect(notificationSent(r.effects)).toEqual([2, 2]);
  });
  it('an OPEN with hold time 2 gets Unacceptable Hold Time (2/6)', () => {
    const r = step(inState('OpenSent'), { kind: 'BGPOpen', open: { ...peerOpen, holdTime: 2 } });
    expect(notificationSent(r.effects)).toEqual([2, 6]);
  });
  it('a KEEPALIVE before the OPEN is an FSM error in OpenSent (5/1, RFC 6608)', () => {
    const r = step(inState('OpenSent'), { kind: 'KeepAliveMsg' });
    expect(notificationSent(r.effects)).toEqual([5, 1]);
    expect(r.session.state).toBe('Idle');
  });
  it('hold timer expiry sends Hold Timer Expired (4/0)', () => {
    const r = step(inState('OpenSent'), { kind: 'TimerExpired', timer: 'Hold' });
    expect(notificationSent(r.effects)).toEqual([4, 0]);
  });
  it('TCP failure goes back to Active and re-arms ConnectRetry', () => {
    const r = step(inState('OpenSent'), { kind: 'TcpConnectionFails' });
    expect(r.session.state).toBe('Active');
    expect(kinds(r.effects)).toContain('startTimer:ConnectRetry');
  });
  it('a decode error sends that error as the NOTIFICATION', () => {
    const r = step(inState('OpenSent'), { kind: 'DecodeError', error: new BgpError(1, 2, Buffer.from([0, 5])) });
    const n = sent(r.effects)[0];
    expect(n?.kind === 'send' && n.msg).toEqual({ kind: 'notification', code: 1, subcode: 2, data: Buffer.from([0, 5]) });
  });
  it('a collision dump sends Cease / Connection Collision Resolution (6/7)', () => {
    const r = step(inState('OpenSent'), { kind: 'CollisionDump' });
    expect(notificationSent(r.effects)).toEqual([6, 7]);
  });
  it('ManualStop sends Cease with the given subcode and data (RFC 9003)', () => {
    const r = step(inState('OpenSent'), { kind: 'ManualStop', subcode: 2, data: Buffer.from([3, 0x62, 0x79, 0x65]) });
    const n = sent(r.effects)[0];
    expect(n?.kind === 'send' && n.msg).toEqual({ kind: 'notification', code: 6, subcode: 2, data: Buffer.from([3, 0x62, 0x79, 0x65]) });
    expect(r.session.autoRestart).toBe(false);
    expect(kinds(r.effects)).not.toContain('startTimer:IdleHold');
  });
});

describe('OpenConfirm', () => {
  it('a KEEPALIVE establishes the session', () => {
    const r = step(inState('OpenConfirm'), { kind: 'KeepAliveMsg' });
    expect(r.session.state).toBe('Established');
    expect(kinds(r.effects)).toContain('established');
  });
  it('an UPDATE is an FSM error in OpenConfirm (5/2)', () => {
    const r = step(inState('OpenConfirm'), { kind: 'UpdateMsg' });
    expect(notificationSent(r.effects)).toEqual([5, 2]);
  });
  it('a second OPEN is an FSM error in OpenConfirm (5/2)', () => {
    const r = step(inState('OpenConfirm'), { kind: 'BGPOpen', open: peerOpen });
    expect(notificationSent(r.effects)).toEqual([5, 2]);
  });
  it('the keepalive timer sends a KEEPALIVE and re-arms', () => {
    const r = step(inState('OpenConfirm'), { kind: 'TimerExpired', timer: 'Keepalive' });
    expect(kinds(r.effects)).toEqual(['send:keepalive', 'startTimer:Keepalive']);
  });
  it('a NOTIFICATION from the peer takes the session down, recorded as received', () => {
    const msg = { kind: 'notification', code: 6, subcode: 2, data: Buffer.alloc(0) } as const;
    const r = step(inState('OpenConfirm'), { kind: 'NotifMsg', msg });
    expect(r.session.state).toBe('Idle');
    expect(r.effects).toContainEqual({ kind: 'down', reason: 'notification-received', wasEstablished: false, notification: { direction: 'received', msg } });
  });
});

describe('Established', () => {
  it('KEEPALIVE, UPDATE and ROUTE-REFRESH restart the hold timer', () => {
    for (const kind of ['KeepAliveMsg', 'UpdateMsg', 'RouteRefreshMsg'] as const) {
      const r = step(inState('Established'), { kind });
      expect(r.effects).toEqual([{ kind: 'startTimer', timer: 'Hold', seconds: 30 }]);
    }
  });
  it('hold timer expiry sends 4/0 and reports the loss of an established session', () => {
    const r = step(inState('Established'), { kind: 'TimerExpired', timer: 'Hold' });
    expect(notificationSent(r.effects)).toEqual([4, 0]);
    expect(r.effects).toContainEqual(expect.objectContaining({ kind: 'down', reason: 'hold-timer-expired', wasEstablished: true }));
    expect(r.effects).toContainEqual({ kind: 'startTimer', timer: 'IdleHold', seconds: 5 });
  });
  it('an OPEN is an FSM error in Established (5/3)', () => {
    const r = step(inState('Established'), { kind: 'BGPOpen', open: peerOpen });
    expect(notificationSent(r.effects)).toEqual([5, 3]);
  });
  it('TCP loss goes down and schedules a restart after the idle hold', () => {
    const r = step(inState('Established'), { kind: 'TcpConnectionFails' });
    expect(r.session.state).toBe('Idle');
    expect(r.effects).toContainEqual({ kind: 'startTimer', timer: 'IdleHold', seconds: 5 });
  });
  it('a hold time of 0 runs no hold or keepalive timers', () => {
    const open0 = { ...peerOpen, holdTime: 0 };
    const r = run(inState('OpenSent'), { kind: 'BGPOpen', open: open0 }, { kind: 'KeepAliveMsg' }, { kind: 'UpdateMsg' });
    expect(r.session.state).toBe('Established');
    expect(kinds(r.effects).filter((k) => k.startsWith('startTimer:Hold') || k.startsWith('startTimer:Keepalive'))).toEqual([]);
  });
});

describe('idle-hold backoff', () => {
  it('doubles after each error up to the maximum, and resets after a stable session', () => {
    let s = inState('Established');
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const down = step(s, { kind: 'TcpConnectionFails' });
      const t = down.effects.find((e) => e.kind === 'startTimer' && e.timer === 'IdleHold');
      delays.push(t?.kind === 'startTimer' ? t.seconds : -1);
      s = run(down.session, { kind: 'TimerExpired', timer: 'IdleHold' }, { kind: 'TcpConnectionUp' }, { kind: 'BGPOpen', open: peerOpen }, { kind: 'KeepAliveMsg' }).session;
    }
    expect(delays).toEqual([5, 10, 20, 40, 80, 120, 120]);
    s = step(s, { kind: 'TimerExpired', timer: 'Stable' }).session;
    const after = step(s, { kind: 'TcpConnectionFails' }).effects.find((e) => e.kind === 'startTimer' && e.timer === 'IdleHold');
    expect(after).toEqual({ kind: 'startTimer', timer: 'IdleHold', seconds: 5 });
  });
});

describe('GracefulStop (a restart of our own, RFC 4724 4.1)', () => {
  it('closes an Established session without a NOTIFICATION, reports it down and does not restart', () => {
    const r = step(inState('Established'), { kind: 'GracefulStop' });
    expect(r.session.state).toBe('Idle');
    expect(r.session.autoRestart).toBe(false);
    expect(notificationSent(r.effects)).toBeUndefined();
    expect(kinds(r.effects)).toContain('close');
    expect(r.effects).toContainEqual({ kind: 'down', reason: 'graceful-stop', wasEstablished: true });
    expect(kinds(r.effects)).not.toContain('startTimer:IdleHold');
  });
  it('does the same in OpenSent and OpenConfirm (no NOTIFICATION, no restart)', () => {
    for (const state of ['OpenSent', 'OpenConfirm'] as const) {
      const r = step(inState(state), { kind: 'GracefulStop' });
      expect(r.session.state).toBe('Idle');
      expect(notificationSent(r.effects)).toBeUndefined();
      expect(r.effects).toContainEqual({ kind: 'down', reason: 'graceful-stop', wasEstablished: false });
    }
  });
  it('stops quietly before any OPEN (Idle, Connect, Active)', () => {
    for (const state of ['Idle', 'Connect', 'Active'] as const) {
      const r = step(inState(state), { kind: 'GracefulStop' });
      expect(r.session.state).toBe('Idle');
      expect(r.session.autoRestart).toBe(false);
      expect(sent(r.effects)).toEqual([]);
    }
  });
});

describe('Send Hold Timer (RFC 9687)', () => {
  it('starts with the RFC default, max(8 minutes, 2 x hold time), when the OPEN is accepted', () => {
    const r = step(inState('OpenSent'), { kind: 'BGPOpen', open: peerOpen });
    expect(r.effects).toContainEqual({ kind: 'startTimer', timer: 'SendHold', seconds: 480 });
    const long = step(inState('OpenSent', { ...config, local: { ...config.local, holdTimeSec: 600 } }), { kind: 'BGPOpen', open: { ...peerOpen, holdTime: 300 } });
    expect(long.effects).toContainEqual({ kind: 'startTimer', timer: 'SendHold', seconds: 600 });
  });
  it('uses the configured value, and none when it is 0', () => {
    const r = step(inState('OpenSent', { ...config, sendHoldSec: 20 }), { kind: 'BGPOpen', open: peerOpen });
    expect(r.effects).toContainEqual({ kind: 'startTimer', timer: 'SendHold', seconds: 20 });
    const off = step(inState('OpenSent', { ...config, sendHoldSec: 0 }), { kind: 'BGPOpen', open: peerOpen });
    expect(kinds(off.effects)).not.toContain('startTimer:SendHold');
  });
  it('expiry in Established sends Send Hold Timer Expired (8/0), closes and reports why', () => {
    const r = step(inState('Established'), { kind: 'TimerExpired', timer: 'SendHold' });
    expect(notificationSent(r.effects)).toEqual([8, 0]);
    expect(kinds(r.effects)).toContain('close');
    expect(r.effects).toContainEqual(expect.objectContaining({ kind: 'down', reason: 'send-hold-timer-expired', wasEstablished: true }));
    expect(r.session.state).toBe('Idle');
    expect(r.session.autoRestart).toBe(true);
  });
  it('expiry in OpenConfirm does the same; elsewhere it is ignored', () => {
    expect(notificationSent(step(inState('OpenConfirm'), { kind: 'TimerExpired', timer: 'SendHold' }).effects)).toEqual([8, 0]);
    for (const state of ['Idle', 'Connect', 'Active', 'OpenSent'] as const) {
      const r = step(inState(state), { kind: 'TimerExpired', timer: 'SendHold' });
      expect(r.effects).toEqual([]);
    }
  });
  it('is stopped with the other timers when the session goes down', () => {
    const r = step(inState('Established'), { kind: 'TcpConnectionFails' });
    expect(kinds(r.effects)).toContain('stopTimer:SendHold');
  });
});

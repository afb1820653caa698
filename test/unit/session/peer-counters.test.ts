/**
 * Peer counters (session/peer-counters.ts): the pure counting, and the peer driver counting a real
 * session's messages, NOTIFICATIONs and flaps over loopback TCP (ManualClock for the timers).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Framer } from '../../../src/codec/framer.js';
import { decodeMessage, encodeMessage } from '../../../src/codec/message.js';
import { DEFAULT_CONTEXT, type BgpMessage } from '../../../src/codec/types.js';
import { buildOpen } from '../../../src/session/negotiate.js';
import { NOTIFICATION_KEYS, PeerCounters } from '../../../src/session/peer-counters.js';
import { Peer } from '../../../src/session/peer.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/log.js';

describe('PeerCounters', () => {
  it('counts messages by type and direction, NOTIFICATIONs by direction, code and subcode, and flaps', () => {
    const c = new PeerCounters();
    c.received('open');
    c.received('keepalive');
    c.received('keepalive');
    c.sent('update', 5);
    c.sent('notification');
    c.notification('sent', 6, 2);
    c.notification('sent', 6, 2);
    c.notification('received', 4, 0);
    c.flap();
    const v = c.view();
    expect(v.messagesReceived).toEqual({ open: 1, update: 0, notification: 0, keepalive: 2, 'route-refresh': 0 });
    expect(v.messagesSent).toEqual({ open: 0, update: 5, notification: 1, keepalive: 0, 'route-refresh': 0 });
    expect(v.notifications).toEqual([
      { direction: 'sent', code: 6, subcode: 2, count: 2 },
      { direction: 'received', code: 4, subcode: 0, count: 1 },
    ]);
    expect(v.flaps).toBe(1);
    expect(v.otherNotifications).toEqual({ sent: 0, received: 0 });
  });

  it('keeps at most NOTIFICATION_KEYS distinct pairs; any other pair counts under its direction alone', () => {
    const c = new PeerCounters();
    for (let i = 0; i < NOTIFICATION_KEYS + 10; i++) c.notification('received', 200, i);
    c.notification('received', 200, 0); // a kept pair still counts as itself
    c.notification('sent', 6, 4);
    const v = c.view();
    expect(v.notifications).toHaveLength(NOTIFICATION_KEYS);
    expect(v.notifications[0]).toEqual({ direction: 'received', code: 200, subcode: 0, count: 2 });
    expect(v.otherNotifications).toEqual({ received: 10, sent: 1 });
  });

  it('a view is a copy: later counts do not change it', () => {
    const c = new PeerCounters();
    const before = c.view();
    c.received('update');
    expect(before.messagesReceived.update).toBe(0);
    expect(c.view().messagesReceived.update).toBe(1);
  });
});

const ctx = { ...DEFAULT_CONTEXT, as4: true };
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

async function until(what: string, check: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Peer counts a real session', () => {
  it('OPEN, KEEPALIVE, UPDATE in and out, a NOTIFICATION received and one sent, and each Established session that went down', async () => {
    const received: BgpMessage[] = [];
    let socket: Socket | undefined;
    const framer = new Framer();
    const server: Server = createServer((s) => {
      socket = s;
      s.on('error', () => undefined);
      s.on('data', (chunk: Buffer) => {
        for (const f of framer.push(chunk)) received.push(decodeMessage(f, ctx));
      });
    });
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    cleanup.push(() => server.close());
    const send = (m: BgpMessage): void => void socket?.write(encodeMessage(m, ctx));
    const clock = new ManualClock();
    let updates = 2;
    const peer = new Peer({
      id: '127.0.0.1',
      address: '127.0.0.1',
      port,
      ebgp: true,
      localAs: 65000,
      dynamic: false,
      session: {
        local: { asn: 65000, routerId: '10.0.0.1', holdTimeSec: 30, keepaliveSec: 10, families: ['ipv4-unicast'] },
        expect: { asn: 65001 },
        passive: false,
        connectRetrySec: 120,
        idleHoldSec: 1,
        idleHoldMaxSec: 1,
        stableSec: 60,
      },
      clock,
      log: silentLogger,
      hooks: {
        established: () => undefined,
        down: () => undefined,
        update: () => undefined,
        routeRefresh: () => undefined,
        // Two UPDATEs of ours (End-of-RIB markers are UPDATEs too).
        pull: () => (updates-- > 0 ? [encodeMessage({ kind: 'update', withdrawn: [], attrs: {}, nlri: [] }, ctx)] : []),
      },
      random: () => 1,
    });
    cleanup.push(() => void peer.stop());
    const open = buildOpen({ asn: 65001, routerId: '10.0.0.2', holdTimeSec: 30, keepaliveSec: 10, families: ['ipv4-unicast'] });
    peer.start();
    await until('our OPEN', () => received.some((m) => m.kind === 'open'));
    send(open);
    send({ kind: 'keepalive' });
    await until('Established', () => peer.state === 'Established');
    send({ kind: 'update', withdrawn: [], attrs: {}, nlri: [] });
    await until('our two UPDATEs', () => received.filter((m) => m.kind === 'update').length === 2);
    await until('their UPDATE read', () => peer.counters.messagesReceived.update === 1);
    send({ kind: 'notification', code: 6, subcode: 2, data: Buffer.alloc(0) });
    await until('down', () => peer.state === 'Idle');
    let v = peer.counters;
    expect(v.messagesReceived).toEqual({ open: 1, update: 1, notification: 1, keepalive: 1, 'route-refresh': 0 });
    expect(v.messagesSent).toEqual({ open: 1, update: 2, notification: 0, keepalive: 1, 'route-refresh': 0 });
    expect(v.notifications).toEqual([{ direction: 'received', code: 6, subcode: 2, count: 1 }]);
    expect(v.flaps).toBe(1);

    // Second session, ended by our hold timer: a NOTIFICATION sent, a second flap.
    clock.advance(1000); // idle hold
    await until('our second OPEN', () => received.filter((m) => m.kind === 'open').length === 2);
    send(open);
    send({ kind: 'keepalive' });
    await until('Established again', () => peer.state === 'Established');
    clock.advance(30_000);
    await until('Hold Timer Expired sent', () => received.some((m) => m.kind === 'notification'));
    v = peer.counters;
    expect(v.notifications).toContainEqual({ direction: 'sent', code: 4, subcode: 0, count: 1 });
    expect(v.messagesSent.notification).toBe(1);
    expect(v.flaps).toBe(2);
  });
});

/**
 * The peer driver over a real loopback TCP connection to a scripted speaker, with a ManualClock:
 * timers fire when the test says, never on real time.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Framer } from '../../../src/codec/framer.js';
import { decodeMessage, encodeMessage } from '../../../src/codec/message.js';
import { DEFAULT_CONTEXT, type BgpMessage } from '../../../src/codec/types.js';
import { Peer, type PeerHooks } from '../../../src/session/peer.js';
import { buildOpen } from '../../../src/session/negotiate.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/log.js';

const ctx = { ...DEFAULT_CONTEXT, as4: true };

/** The remote side: accepts one connection, records what it receives, sends what it is told. */
class Remote {
  readonly server: Server;
  socket: Socket | undefined;
  readonly received: BgpMessage[] = [];
  readonly #framer = new Framer();

  constructor() {
    this.server = createServer((s) => {
      this.socket = s;
      s.on('error', () => undefined);
      s.on('data', (chunk: Buffer) => {
        for (const f of this.#framer.push(chunk)) this.received.push(decodeMessage(f, ctx));
      });
    });
  }
  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as { port: number }).port)));
  }
  send(m: BgpMessage): void {
    this.socket?.write(encodeMessage(m, ctx));
  }
}

async function until(what: string, check: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

async function established(holdTimeSec: number): Promise<{ peer: Peer; remote: Remote; clock: ManualClock }> {
  const remote = new Remote();
  const port = await remote.listen();
  cleanup.push(() => remote.server.close());
  const clock = new ManualClock();
  const hooks: PeerHooks = { established: () => undefined, down: () => undefined, update: () => undefined, routeRefresh: () => undefined, pull: () => [] };
  const local = { asn: 65000, routerId: '10.0.0.1', holdTimeSec, keepaliveSec: 30, families: ['ipv4-unicast' as const] };
  const peer = new Peer({
    id: '127.0.0.1',
    address: '127.0.0.1',
    port,
    ebgp: true,
    localAs: 65000,
    dynamic: false,
    session: { local, expect: { asn: 65001 }, passive: false, connectRetrySec: 120, idleHoldSec: 5, idleHoldMaxSec: 120, stableSec: 60 },
    clock,
    log: silentLogger,
    hooks,
    random: () => 1,
  });
  cleanup.push(() => void peer.stop());
  peer.start();
  await until('the OPEN', () => remote.received.some((m) => m.kind === 'open'));
  remote.send(buildOpen({ asn: 65001, routerId: '10.0.0.2', holdTimeSec, keepaliveSec: 30, families: ['ipv4-unicast'] }));
  remote.send({ kind: 'keepalive' });
  await until('Established', () => peer.state === 'Established');
  return { peer, remote, clock };
}

describe('Peer hold timer', () => {
  it('expires after the negotiated hold time (not the 4 minutes of OpenSent) and sends Hold Timer Expired', async () => {
    const { peer, remote, clock } = await established(3);
    clock.advance(2900);
    expect(peer.state).toBe('Established');
    clock.advance(200);
    await until('the NOTIFICATION', () => remote.received.some((m) => m.kind === 'notification'));
    expect(remote.received.find((m) => m.kind === 'notification')).toMatchObject({ code: 4, subcode: 0 });
    expect(peer.state).toBe('Idle');
  });

  it('is pushed back by every message received', async () => {
    const { peer, remote, clock } = await established(3);
    clock.advance(2000);
    const before = remote.received.length;
    remote.send({ kind: 'keepalive' });
    await until('the KEEPALIVE to be read', () => peer.messages.in >= 3);
    clock.advance(2000); // 4 s after establishment, 2 s after the last message
    expect(peer.state).toBe('Established');
    expect(remote.received.slice(before).some((m) => m.kind === 'notification')).toBe(false);
    clock.advance(1100); // 3.1 s after the last message
    await until('Idle', () => peer.state === 'Idle');
  });
});

/**
 * The peer driver over a real loopback TCP connection to a scripted speaker, with a ManualClock:
 * timers fire when the test says, never on real time.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Framer } from '../../../src/codec/framer.js';
import { decodeMessage, encodeMessage } from '../../../src/codec/message.js';
import { DEFAULT_CONTEXT, type BgpMessage } from '../../../src/codec/types.js';
import { Peer, type DownInfo, type PeerHooks } from '../../../src/session/peer.js';
import { buildOpen } from '../../../src/session/negotiate.js';
import { RESTART_AFTER_ESTABLISHED_MS } from '../../../src/session/collision.js';
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

interface Options {
  /** RFC 9687 SendHoldTime, seconds (absent: the RFC default). */
  readonly sendHoldSec?: number;
  /** Both sides offer graceful restart. */
  readonly gracefulRestart?: boolean;
  /** What the speaker has to send, pulled by the driver. */
  readonly pull?: PeerHooks['pull'];
}

const GR = { restartTimeSec: 120, restarting: false, forwardingPreserved: true };

/** The remote's OPEN. */
const remoteOpen = (holdTimeSec: number, o: { gracefulRestart?: boolean; restarting?: boolean; asn?: number } = {}): BgpMessage =>
  buildOpen({
    asn: o.asn ?? 65001,
    routerId: '10.0.0.2',
    holdTimeSec,
    keepaliveSec: 30,
    families: ['ipv4-unicast'],
    ...(o.gracefulRestart === true ? { gracefulRestart: { ...GR, restarting: o.restarting === true } } : {}),
  });

async function established(holdTimeSec: number, o: Options = {}): Promise<{ peer: Peer; remote: Remote; clock: ManualClock; downs: DownInfo[] }> {
  const remote = new Remote();
  const port = await remote.listen();
  cleanup.push(() => remote.server.close());
  const clock = new ManualClock();
  const downs: DownInfo[] = [];
  const hooks: PeerHooks = { established: () => undefined, down: (_p, info) => void downs.push(info), update: () => undefined, routeRefresh: () => undefined, pull: o.pull ?? (() => []) };
  const local = { asn: 65000, routerId: '10.0.0.1', holdTimeSec, keepaliveSec: 30, families: ['ipv4-unicast' as const], ...(o.gracefulRestart === true ? { gracefulRestart: GR } : {}) };
  const peer = new Peer({
    id: '127.0.0.1',
    address: '127.0.0.1',
    port,
    ebgp: true,
    localAs: 65000,
    dynamic: false,
    session: {
      local,
      expect: { asn: 65001 },
      passive: false,
      connectRetrySec: 120,
      idleHoldSec: 5,
      idleHoldMaxSec: 120,
      stableSec: 60,
      ...(o.sendHoldSec !== undefined ? { sendHoldSec: o.sendHoldSec } : {}),
    },
    clock,
    log: silentLogger,
    hooks,
    random: () => 1,
  });
  cleanup.push(() => void peer.stop());
  peer.start();
  await until('the OPEN', () => remote.received.some((m) => m.kind === 'open'));
  remote.send(remoteOpen(holdTimeSec, o));
  remote.send({ kind: 'keepalive' });
  await until('Established', () => peer.state === 'Established');
  return { peer, remote, clock, downs };
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

describe('Peer send hold timer (RFC 9687)', () => {
  /** 64 KiB of KEEPALIVEs per pull, forever: output the remote must read. */
  const flood: PeerHooks['pull'] = () => [Buffer.concat(Array.from({ length: 3449 }, () => encodeMessage({ kind: 'keepalive' }, ctx)))];

  it('closes a session whose peer stops reading for SendHoldTime, and counts it', async () => {
    const { peer, remote, clock, downs } = await established(0, { sendHoldSec: 10, pull: flood });
    remote.socket?.pause();
    peer.kick();
    await until('our output to back up', () => peer.queuedBytes > 0);
    // Let the socket settle: it stops handing bytes to TCP once the buffers are full.
    await new Promise((r) => setTimeout(r, 200));
    clock.advance(9000);
    expect(peer.state).toBe('Established');
    clock.advance(1500);
    await until('Idle', () => peer.state === 'Idle');
    expect(downs).toEqual([expect.objectContaining({ reason: 'send-hold-timer-expired', wasEstablished: true })]);
    expect(peer.sendHoldExpirations).toBe(1);
    expect(peer.lastDownReason).toMatch(/send hold timer expired/);
    expect(peer.queuedBytes).toBe(0);
  });

  it('never expires while nothing of ours waits to be read', async () => {
    const { peer, clock } = await established(0, { sendHoldSec: 10 });
    for (let i = 0; i < 10; i++) clock.advance(10_000);
    expect(peer.state).toBe('Established');
    expect(peer.sendHoldExpirations).toBe(0);
  });
});

describe('Peer output pump', () => {
  it('pulls output in slices: the event loop turns while a peer that reads everything is fed (decision 0005)', async () => {
    const keepalive = encodeMessage({ kind: 'keepalive' }, ctx);
    let pulls = 0;
    let budget = 0; // pulls left to answer
    /** One KEEPALIVE per pull, each pull 1 ms of work: 300 pulls are 300 ms of output. */
    let pullsAtNextTurn = -1;
    const slow: PeerHooks['pull'] = () => {
      if (budget === 0) return [];
      budget--;
      // The next turn of the event loop sees how many pulls the first one took.
      if (pulls++ === 0) setImmediate(() => (pullsAtNextTurn = pulls));
      const end = performance.now() + 1;
      while (performance.now() < end);
      return [keepalive];
    };
    const { peer, remote } = await established(0, { pull: slow });
    budget = 300;
    peer.kick();
    await until('all output pulled', () => budget === 0 && pullsAtNextTurn >= 0);
    expect(pullsAtNextTurn).toBeGreaterThan(0);
    expect(pullsAtNextTurn).toBeLessThan(100); // one slice is about 10 ms, not the 300 ms of it all
    await until('all output read', () => remote.received.filter((m) => m.kind === 'keepalive').length >= 301);
  });
});

describe('Peer: a new connection while Established (RFC 4271 6.8, RFC 4724 4.2)', () => {
  /** A TCP connection to a throwaway listener; the accepted end is handed to the peer as "incoming". */
  async function incoming(): Promise<{ theirs: Socket; ours: Socket; received: BgpMessage[] }> {
    const srv = createServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const accepted = new Promise<Socket>((resolve) => srv.once('connection', resolve));
    const theirs = connect((srv.address() as { port: number }).port, '127.0.0.1');
    theirs.on('error', () => undefined);
    const ours = await accepted;
    srv.close();
    const received: BgpMessage[] = [];
    const framer = new Framer();
    theirs.on('data', (chunk: Buffer) => {
      for (const f of framer.push(chunk)) received.push(decodeMessage(f, ctx));
    });
    cleanup.push(() => theirs.destroy());
    return { theirs, ours, received };
  }

  it('a bare connection (no OPEN) changes nothing, however often it comes', async () => {
    const { peer, downs } = await established(30, { gracefulRestart: true });
    for (let i = 0; i < 20; i++) {
      const c = await incoming();
      expect(peer.accept(c.ours)).toBe(true);
      await until('our OPEN on the new connection', () => c.received.some((m) => m.kind === 'open'));
      c.theirs.destroy();
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(peer.state).toBe('Established');
    expect(downs).toEqual([]);
    expect(peer.lastDownReason).toBeUndefined();
  });

  it('a valid OPEN on the new connection, with graceful restart negotiated, is the peer restarting: the old session goes, the new one is used', async () => {
    const { peer, remote, downs, clock } = await established(30, { gracefulRestart: true });
    clock.advance(RESTART_AFTER_ESTABLISHED_MS);
    const c = await incoming();
    peer.accept(c.ours);
    c.theirs.write(encodeMessage(remoteOpen(30, { gracefulRestart: true }), ctx));
    await until('the old session to go down', () => downs.length === 1);
    expect(downs[0]).toMatchObject({ reason: 'connection-closed', wasEstablished: true });
    expect(remote.received.some((m) => m.kind === 'notification')).toBe(false);
    c.theirs.write(encodeMessage({ kind: 'keepalive' }, ctx));
    await until('Established on the new connection', () => peer.state === 'Established' && peer.connection?.remotePort === c.theirs.localPort);
    expect(peer.lastDownReason).toMatch(/the peer restarted/);
  });

  it('just after Established, a valid OPEN without the Restart State bit is a collision: the new connection gets Cease 6/7, the session stays, a KEEPALIVE probes it', async () => {
    // BIRD 2 after our restart: its own connection attempt, begun before it accepted ours, sends its
    // OPEN milliseconds after our connection reached Established. BIRD closes that connection itself
    // (RFC 4271 6.8); taking it for a restart would drop the one BIRD keeps and leave none.
    const { peer, remote, downs, clock } = await established(30, { gracefulRestart: true });
    clock.advance(RESTART_AFTER_ESTABLISHED_MS - 1);
    const keepalives = (): number => remote.received.filter((m) => m.kind === 'keepalive').length;
    const before = keepalives();
    const c = await incoming();
    peer.accept(c.ours);
    c.theirs.write(encodeMessage(remoteOpen(30, { gracefulRestart: true }), ctx));
    await until('Cease 6/7 on the new connection', () => c.received.some((m) => m.kind === 'notification'));
    expect(c.received.find((m) => m.kind === 'notification')).toMatchObject({ code: 6, subcode: 7 });
    await until('the KEEPALIVE on the established connection', () => keepalives() > before);
    // Cease straight after our OPEN: no KEEPALIVE on the connection that loses.
    expect(c.received.map((m) => m.kind)).toEqual(['open', 'notification']);
    expect(peer.state).toBe('Established');
    expect(downs).toEqual([]);
    expect(remote.received.some((m) => m.kind === 'notification')).toBe(false);
    expect(peer.lastDownReason).toBeUndefined();
  });

  it('just after Established, an OPEN with the Restart State bit is the peer restarting', async () => {
    const { peer, downs } = await established(30, { gracefulRestart: true });
    const c = await incoming();
    peer.accept(c.ours);
    c.theirs.write(encodeMessage(remoteOpen(30, { gracefulRestart: true, restarting: true }), ctx));
    await until('the old session to go down', () => downs.length === 1);
    expect(downs[0]).toMatchObject({ reason: 'connection-closed', wasEstablished: true });
    c.theirs.write(encodeMessage({ kind: 'keepalive' }, ctx));
    await until('Established on the new connection', () => peer.state === 'Established' && peer.connection?.remotePort === c.theirs.localPort);
    expect(peer.lastDownReason).toMatch(/the peer restarted/);
  });

  it('an invalid OPEN on the new connection is refused there; the Established session is untouched', async () => {
    const { peer, remote, downs } = await established(30, { gracefulRestart: true });
    const c = await incoming();
    peer.accept(c.ours);
    c.theirs.write(encodeMessage(remoteOpen(30, { gracefulRestart: true, asn: 65099 }), ctx));
    await until('Bad Peer AS on the new connection', () => c.received.some((m) => m.kind === 'notification'));
    expect(c.received.find((m) => m.kind === 'notification')).toMatchObject({ code: 2, subcode: 2 });
    expect(peer.state).toBe('Established');
    expect(downs).toEqual([]);
    expect(remote.received.some((m) => m.kind === 'notification')).toBe(false);
  });

  it('without graceful restart, the Established connection wins: the new one gets Cease / Connection Collision Resolution', async () => {
    const { peer, downs } = await established(30);
    const c = await incoming();
    peer.accept(c.ours);
    c.theirs.write(encodeMessage(remoteOpen(30), ctx));
    await until('Cease 6/7 on the new connection', () => c.received.some((m) => m.kind === 'notification'));
    expect(c.received.find((m) => m.kind === 'notification')).toMatchObject({ code: 6, subcode: 7 });
    expect(peer.state).toBe('Established');
    expect(downs).toEqual([]);
  });
});

describe('Peer.stopForRestart (RFC 4724 4.1)', () => {
  it('closes the session without a NOTIFICATION', async () => {
    const { peer, remote, downs } = await established(30, { gracefulRestart: true });
    let closed = false;
    remote.socket?.on('end', () => (closed = true));
    await peer.stopForRestart();
    await until('the remote to see the connection close', () => closed);
    expect(remote.received.some((m) => m.kind === 'notification')).toBe(false);
    expect(downs).toEqual([expect.objectContaining({ reason: 'graceful-stop' })]);
    expect(peer.state).toBe('Idle');
  });
});

describe('Peer.phase (BIRD protocol state)', () => {
  it('is up while Established, start after an error (reconnecting), down once stopped; its time moves only on those changes', async () => {
    const { peer, clock } = await established(3);
    expect(peer.phase).toBe('up');
    const upAt = peer.phaseSinceMs;
    clock.advance(1000);
    expect(peer.phaseSinceMs).toBe(upAt);
    clock.advance(2500); // hold timer expires: the session is down and will restart by itself
    await until('Idle', () => peer.state === 'Idle');
    expect(peer.phase).toBe('start');
    expect(peer.phaseSinceMs).toBe(upAt + 3000); // when the hold timer fired
    const downAt = peer.phaseSinceMs;
    clock.advance(6000); // idle hold over: connecting again, still 'start'
    expect(peer.state).not.toBe('Idle');
    expect(peer.phaseSinceMs).toBe(downAt);
    await peer.stop();
    expect(peer.phase).toBe('down');
    expect(peer.phaseSinceMs).toBe(clock.now());
  });
});

/**
 * One BFD session (src/bfd/session.ts) on a ManualClock: two sessions wired back to back, or one
 * session against a scripted peer. Three-way handshake, the 1 s floor while not Up, Poll/Final,
 * detection, discriminators, jitter, AdminDown.
 */
import { describe, expect, it } from 'vitest';
import { BfdDiag } from '../../../src/bfd/constants.js';
import { decodeControl, encodeControl, type ControlPacket } from '../../../src/bfd/packet.js';
import { BfdSession } from '../../../src/bfd/session.js';
import type { BfdSessionSpec, BfdTransition } from '../../../src/bfd/types.js';
import { ManualClock } from '../../../src/util/clock.js';

const spec = (peer: string, o: Partial<BfdSessionSpec> = {}): BfdSessionSpec => ({
  peer,
  remote: peer,
  multihop: false,
  minTtl: 255,
  minTxMs: 300,
  minRxMs: 300,
  multiplier: 3,
  ...o,
});

interface Side {
  readonly session: BfdSession;
  readonly sent: { at: number; p: ControlPacket }[];
  readonly transitions: BfdTransition[];
}

/** A seeded PRNG, so jitter is repeatable. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function side(clock: ManualClock, name: string, discr: number, deliver: (p: ControlPacket) => void, o: Partial<BfdSessionSpec> = {}, random = prng(discr)): Side {
  const sent: { at: number; p: ControlPacket }[] = [];
  const transitions: BfdTransition[] = [];
  const session = new BfdSession({
    spec: spec(name, o),
    localDiscr: discr,
    clock,
    wallNow: () => clock.now(),
    random,
    hooks: {
      send: (p) => {
        // Every packet goes through the codec both ways, as on the wire.
        const back = decodeControl(encodeControl(p));
        if (!back.ok) throw new Error(`sent an undecodable packet: ${back.reason}`);
        sent.push({ at: clock.now(), p: back.packet });
        deliver(back.packet);
      },
      transition: (t) => transitions.push(t),
    },
  });
  return { session, sent, transitions };
}

/** Two sessions back to back; `cut` drops packets in one direction. */
function pair(o: { a?: Partial<BfdSessionSpec>; b?: Partial<BfdSessionSpec> } = {}) {
  const clock = new ManualClock();
  const cut = { ab: false, ba: false };
  let a: Side | undefined;
  let b: Side | undefined;
  a = side(clock, 'b', 11, (p) => { if (!cut.ab) queueMicro(() => b?.session.receive(p)); }, o.a);
  b = side(clock, 'a', 22, (p) => { if (!cut.ba) queueMicro(() => a?.session.receive(p)); }, o.b);
  return { clock, a, b, cut };
}

/** Delivery one tick later (1 ms of wire), never inside the sender's own call. */
let deliveries: (() => void)[] = [];
function queueMicro(fn: () => void): void {
  deliveries.push(fn);
}
function run(clock: ManualClock, ms: number): void {
  const end = clock.now() + ms;
  while (clock.now() < end) {
    clock.advance(1);
    const now = deliveries;
    deliveries = [];
    for (const d of now) d();
  }
}

const intervals = (sent: readonly { at: number }[]): number[] => sent.slice(1).map((s, i) => s.at - (sent[i]?.at ?? 0));

describe('two sessions back to back', () => {
  it('come Up by the three-way handshake, sending at 1 s or slower until then (RFC 5880 6.8.3)', () => {
    const { clock, a, b } = pair();
    a.session.start();
    b.session.start();
    run(clock, 5000);
    expect(a.session.state).toBe('Up');
    expect(b.session.state).toBe('Up');
    expect(a.transitions.map((t) => t.to)).toEqual(['Init', 'Up']);
    // Before Up, every packet advertised a Desired Min TX of at least 1 s.
    const firstUp = a.sent.findIndex((s) => s.p.state === 'Up');
    for (const s of a.sent.slice(0, firstUp)) expect(s.p.desiredMinTxUs).toBe(1_000_000);
    // Discriminators: each side learned the other's.
    const st = a.session.status();
    expect(st.localDiscr).toBe(11);
    expect(st.remoteDiscr).toBe(22);
    expect(b.session.status().remoteDiscr).toBe(11);
  });

  it('once Up, advertise the configured interval with a Poll, and switch to it when the Final comes back', () => {
    const { clock, a, b } = pair();
    a.session.start();
    b.session.start();
    run(clock, 5000);
    const st = a.session.status();
    expect(st.desiredMinTxMs).toBe(300);
    expect(st.txIntervalMs).toBe(300);
    expect(st.detectTimeMs).toBe(900);
    expect(st.polling).toBe(false);
    expect(st.counters.pollsCompleted).toBe(1);
    // A Poll was sent and answered with a Final; never both bits in one packet.
    expect(a.sent.some((s) => s.p.poll)).toBe(true);
    expect(b.sent.some((s) => s.p.final)).toBe(true);
    for (const s of [...a.sent, ...b.sent]) expect(s.p.poll && s.p.final).toBe(false);
    // At the fast rate, each interval is 75-100% of 300 ms.
    const fast = a.sent.filter((s) => s.at > 3000);
    const gaps = intervals(fast);
    expect(gaps.length).toBeGreaterThan(5);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(225);
      expect(g).toBeLessThanOrEqual(301);
    }
  });

  it('goes Down with diagnostic 1 when the peer falls silent, within the detection time, and tells the peer (diag 3)', () => {
    const { clock, a, b, cut } = pair();
    a.session.start();
    b.session.start();
    run(clock, 5000);
    const lastFromB = b.sent.at(-1)?.at ?? 0;
    cut.ba = true;
    run(clock, 2000);
    const down = a.transitions.find((t) => t.to === 'Down');
    expect(down?.diag).toBe(BfdDiag.CONTROL_DETECTION_TIME_EXPIRED);
    expect(down?.reason).toMatch(/detection time expired: no packet from the peer for 900 ms/);
    // Down a detection time after the last packet arrived (sent at a fractional ms, delivered on the next whole one).
    expect((down?.at ?? 0) - lastFromB).toBeGreaterThanOrEqual(900);
    expect((down?.at ?? 0) - lastFromB).toBeLessThanOrEqual(901);
    expect(a.session.status().remoteDiscr).toBe(0);
    expect(a.session.status().counters.flaps).toBe(1);
    expect(a.session.status().lastDownReason).toMatch(/detection time expired/);
    // B still hears A: A's Down (diag 1) takes B down with diag 3.
    const bDown = b.transitions.find((t) => t.to === 'Down');
    expect(bDown?.diag).toBe(BfdDiag.NEIGHBOR_SIGNALED_SESSION_DOWN);
    expect(bDown?.remoteDiag).toBe(BfdDiag.CONTROL_DETECTION_TIME_EXPIRED);
    // A falls back to 1 s while Down.
    const last = a.sent.at(-1)?.p;
    expect(last?.state).toBe('Down');
    expect(last?.desiredMinTxUs).toBe(1_000_000);
  });

  it('comes back Up when the peer is heard again', () => {
    const { clock, a, b, cut } = pair();
    a.session.start();
    b.session.start();
    run(clock, 5000);
    cut.ba = true;
    run(clock, 3000);
    expect(a.session.state).toBe('Down');
    cut.ba = false;
    run(clock, 5000);
    expect(a.session.state).toBe('Up');
    expect(b.session.state).toBe('Up');
    expect(a.session.status().diag).toBe(BfdDiag.NO_DIAGNOSTIC);
  });

  it('changes timers with a Poll Sequence while staying Up (reload: 300 ms -> 100 ms)', () => {
    const { clock, a, b } = pair();
    a.session.start();
    b.session.start();
    run(clock, 5000);
    const before = a.transitions.length;
    a.session.reconfigure(spec('b', { minTxMs: 100, minRxMs: 100 }));
    b.session.reconfigure(spec('a', { minTxMs: 100, minRxMs: 100 }));
    run(clock, 3000);
    expect(a.transitions.length).toBe(before);
    expect(a.session.state).toBe('Up');
    const st = a.session.status();
    expect(st.txIntervalMs).toBe(100);
    expect(st.detectTimeMs).toBe(300);
    expect(st.polling).toBe(false);
    const fast = a.sent.filter((s) => s.at > 7000);
    for (const g of intervals(fast)) expect(g).toBeLessThanOrEqual(101);
  });
});

describe('one session against a scripted peer', () => {
  function scripted(o: Partial<BfdSessionSpec> = {}, random = prng(1)) {
    const clock = new ManualClock();
    const s = side(clock, 'p', 7, () => undefined, o, random);
    const peer = (p: Partial<ControlPacket>): ControlPacket => ({
      version: 1,
      diag: 0,
      state: 'Up',
      poll: false,
      final: false,
      cpi: false,
      authPresent: false,
      demand: false,
      multipoint: false,
      detectMult: 3,
      myDiscr: 99,
      yourDiscr: 7,
      desiredMinTxUs: 300_000,
      requiredMinRxUs: 300_000,
      requiredMinEchoRxUs: 0,
      ...p,
    });
    return { clock, s, peer };
  }

  /** Brings the session Up and through its first Poll. */
  function up(t: ReturnType<typeof scripted>): void {
    const { clock, s, peer } = t;
    s.session.start();
    s.session.receive(peer({ state: 'Down', yourDiscr: 0 }));
    s.session.receive(peer({ state: 'Up' }));
    expect(s.session.state).toBe('Up');
    s.session.receive(peer({ final: true }));
    clock.advance(10);
  }

  it('sends its first packet at once (Active role), with Your Discriminator zero and state Down', () => {
    const { s, clock } = scripted();
    s.session.start();
    clock.advance(0);
    expect(s.sent[0]?.at).toBe(0);
    expect(s.sent[0]?.p).toMatchObject({ state: 'Down', yourDiscr: 0, myDiscr: 7, desiredMinTxUs: 1_000_000, requiredMinRxUs: 300_000, detectMult: 3 });
  });

  it('answers a Poll at once with a Final, outside the periodic timer', () => {
    const t = scripted();
    up(t);
    const n = t.s.sent.length;
    t.s.session.receive(t.peer({ poll: true }));
    expect(t.s.sent.length).toBe(n + 1);
    expect(t.s.sent.at(-1)?.p).toMatchObject({ final: true, poll: false });
  });

  it('keeps its old TX interval after an increase until the Final arrives (RFC 5880 6.8.3)', () => {
    const t = scripted();
    up(t);
    t.s.session.reconfigure(spec('p', { minTxMs: 1000 }));
    expect(t.s.session.status()).toMatchObject({ desiredMinTxMs: 1000, txIntervalMs: 300, polling: true });
    t.clock.advance(700);
    t.s.session.receive(t.peer({}));
    t.clock.advance(700);
    t.s.session.receive(t.peer({}));
    // Still at 300 ms: the polling packets keep the old pace.
    const polls = t.s.sent.filter((x) => x.p.poll);
    expect(polls.length).toBeGreaterThanOrEqual(3);
    t.s.session.receive(t.peer({ final: true }));
    expect(t.s.session.status()).toMatchObject({ txIntervalMs: 1000, polling: false });
  });

  it('keeps its old detection time after a decrease of RX until the Final arrives', () => {
    const t = scripted();
    up(t);
    t.s.session.receive(t.peer({ desiredMinTxUs: 100_000 }));
    expect(t.s.session.status().detectTimeMs).toBe(900); // max(our 300 ms RX, their 100 ms TX) x 3
    t.s.session.reconfigure(spec('p', { minRxMs: 100 }));
    expect(t.s.session.status()).toMatchObject({ requiredMinRxMs: 100, detectTimeMs: 900, polling: true });
    t.s.session.receive(t.peer({ desiredMinTxUs: 100_000, final: true }));
    expect(t.s.session.status()).toMatchObject({ detectTimeMs: 300, polling: false });
  });

  it('uses the peer’s Detect Mult and the slower of the two intervals for the detection time', () => {
    const t = scripted();
    up(t);
    t.s.session.receive(t.peer({ detectMult: 5, desiredMinTxUs: 500_000 }));
    expect(t.s.session.status().detectTimeMs).toBe(2500);
    expect(t.s.session.status().remoteMultiplier).toBe(5);
  });

  it('transmits at the slower of its TX and the peer’s RX', () => {
    const t = scripted();
    up(t);
    t.s.session.receive(t.peer({ requiredMinRxUs: 2_000_000 }));
    expect(t.s.session.status().txIntervalMs).toBe(2000);
  });

  it('sends nothing while the peer’s Required Min RX is zero (RFC 5880 6.8.7)', () => {
    const t = scripted();
    up(t);
    t.s.session.receive(t.peer({ requiredMinRxUs: 0 }));
    const n = t.s.sent.length;
    t.clock.advance(1000);
    expect(t.s.sent.length).toBe(n);
    t.s.session.receive(t.peer({}));
    t.clock.advance(400);
    expect(t.s.sent.length).toBeGreaterThan(n);
  });

  it('jitters 75-90% with a Detect Mult of 1, and with any other (headroom for a late timer)', () => {
    for (const multiplier of [1, 3]) jitterWithin(multiplier);
  });

  const jitterWithin = (multiplier: number): void => {
    const t = scripted({ multiplier });
    up(t);
    const start = t.s.sent.length;
    for (let i = 0; i < 50; i++) {
      t.clock.advance(100);
      t.s.session.receive(t.peer({}));
    }
    const gaps = intervals(t.s.sent.slice(start).filter((x) => !x.p.final));
    expect(gaps.length).toBeGreaterThan(10);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(225);
      expect(g).toBeLessThanOrEqual(270);
    }
  };

  it('goes Down with diagnostic 3 when the peer signals AdminDown, and counts the flap', () => {
    const t = scripted();
    up(t);
    t.s.session.receive(t.peer({ state: 'AdminDown', diag: 7 }));
    expect(t.s.session.state).toBe('Down');
    expect(t.s.transitions.at(-1)).toMatchObject({ from: 'Up', to: 'Down', diag: 3, remoteState: 'AdminDown', remoteDiag: 7, reason: 'the peer is administratively down' });
    expect(t.s.session.status().counters.flaps).toBe(1);
  });

  it('close(): one AdminDown packet with diagnostic 7, then silence, and later packets are ignored', () => {
    const t = scripted();
    up(t);
    t.s.session.close();
    expect(t.s.sent.at(-1)?.p).toMatchObject({ state: 'AdminDown', diag: 7 });
    const n = t.s.sent.length;
    t.clock.advance(5000);
    t.s.session.receive(t.peer({ poll: true }));
    expect(t.s.sent.length).toBe(n);
    expect(t.s.session.state).toBe('AdminDown');
  });

  it('in Down, forgets the peer’s discriminator after a detection time of silence (RFC 5880 6.8.1)', () => {
    const t = scripted();
    t.s.session.start();
    t.s.session.receive(t.peer({ state: 'Down', yourDiscr: 0, desiredMinTxUs: 1_000_000 }));
    expect(t.s.session.status()).toMatchObject({ state: 'Init', remoteDiscr: 99 });
    t.clock.advance(3001);
    expect(t.s.session.status()).toMatchObject({ state: 'Down', remoteDiscr: 0, diag: 1 });
    expect(t.s.session.status().heard).toBe(true);
  });
});

/**
 * The BFD engine (src/bfd/engine.ts) on a ManualClock over an in-memory network: two hosts' engines
 * bring their sessions Up; source ports, TTL, demultiplexing, the GTSM check, multihop, reloads
 * (Poll, removal with AdminDown), sockets that cannot be opened, close.
 */
import { describe, expect, it } from 'vitest';
import { BfdPort } from '../../../src/bfd/constants.js';
import { BfdEngine } from '../../../src/bfd/engine.js';
import { decodeControl, encodeControl } from '../../../src/bfd/packet.js';
import type { BfdSessionSpec, BfdTransition } from '../../../src/bfd/types.js';
import { ManualClock } from '../../../src/util/clock.js';
import { FakeNet } from './fake-net.js';

const A = '10.0.0.1';
const B = '10.0.0.2';

const spec = (peer: string, o: Partial<BfdSessionSpec> = {}): BfdSessionSpec => ({ peer, remote: peer, multihop: false, minTtl: 255, minTxMs: 300, minRxMs: 300, multiplier: 3, ...o });

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function setup() {
  const clock = new ManualClock();
  const net = new FakeNet(clock);
  const tA: BfdTransition[] = [];
  const tB: BfdTransition[] = [];
  const a = new BfdEngine({ clock, transport: net.host(A), hooks: { transition: (t) => tA.push(t) }, wallNow: () => clock.now(), random: prng(1) });
  const b = new BfdEngine({ clock, transport: net.host(B), hooks: { transition: (t) => tB.push(t) }, wallNow: () => clock.now(), random: prng(2) });
  return { clock, net, a, b, tA, tB };
}

const stateOf = (e: BfdEngine, peer: string): string | undefined => e.statuses().find((s) => s.peer === peer)?.state;

describe('two engines', () => {
  it('bring a single-hop session Up; packets go to UDP 3784 from a port in 49152-65535 with TTL 255', () => {
    const { clock, net, a, b, tA } = setup();
    a.configure([spec(B)]);
    b.configure([spec(A)]);
    clock.advance(5000);
    expect(stateOf(a, B)).toBe('Up');
    expect(stateOf(b, A)).toBe('Up');
    expect(tA.map((t) => t.to)).toEqual(['Init', 'Up']);
    const fromA = net.sent.filter((d) => d.from === A);
    expect(fromA.length).toBeGreaterThan(5);
    const ports = new Set(fromA.map((d) => d.fromPort));
    expect(ports.size).toBe(1);
    const [port] = [...ports];
    expect(port).toBeGreaterThanOrEqual(49152);
    expect(port).toBeLessThanOrEqual(65535);
    for (const d of fromA) expect([d.to, d.port, d.ttl]).toEqual([B, BfdPort.SINGLE_HOP, 255]);
    expect(net.openOn(A)).toContainEqual({ address: '0.0.0.0', port: BfdPort.SINGLE_HOP });
  });

  it('single hop: a packet that crossed a router (TTL 254) is discarded and counted (RFC 5881 5)', () => {
    const { clock, net, a, b } = setup();
    net.hops = 1;
    a.configure([spec(B)]);
    b.configure([spec(A)]);
    clock.advance(5000);
    expect(stateOf(a, B)).toBe('Down');
    const st = a.statuses()[0];
    expect(st?.heard).toBe(false);
    expect(st?.counters.discarded).toBeGreaterThan(3);
    expect(st?.counters.packetsIn).toBe(0);
  });

  it('multihop: UDP 4784, and the minimum TTL from the hop count', () => {
    const { clock, net, a, b } = setup();
    net.hops = 1;
    a.configure([spec(B, { multihop: true, minTtl: 254 })]);
    b.configure([spec(A, { multihop: true, minTtl: 254 })]);
    clock.advance(5000);
    expect(stateOf(a, B)).toBe('Up');
    expect(net.sent.every((d) => d.port === BfdPort.MULTIHOP)).toBe(true);
    expect(a.statuses()[0]?.multihop).toBe(true);
  });

  it('a packet from a single-hop peer that arrives on the multihop port matches no session', () => {
    const { clock, net, a } = setup();
    a.configure([spec(B), spec('10.0.9.9', { multihop: true, minTtl: 1 })]);
    clock.advance(10);
    const ours = a.statuses().find((s) => s.peer === B)?.localDiscr ?? 0;
    const p = (yourDiscr: number): Buffer =>
      encodeControl({ version: 1, diag: 0, state: 'Down', poll: false, final: false, cpi: false, authPresent: false, demand: false, multipoint: false, detectMult: 3, myDiscr: 5, yourDiscr, desiredMinTxUs: 1_000_000, requiredMinRxUs: 1_000_000, requiredMinEchoRxUs: 0 });
    net.inject(B, A, BfdPort.MULTIHOP, p(0));
    net.inject(B, A, BfdPort.MULTIHOP, p(ours));
    expect(a.unmatched.noSession).toBe(2);
    expect(stateOf(a, B)).toBe('Down');
    net.inject(B, A, BfdPort.SINGLE_HOP, p(ours));
    expect(stateOf(a, B)).toBe('Init');
  });

  it('goes Down when the peer falls silent, and comes back', () => {
    const { clock, net, a, b, tA } = setup();
    a.configure([spec(B)]);
    b.configure([spec(A)]);
    clock.advance(5000);
    net.silenced.add(B);
    clock.advance(2000);
    expect(stateOf(a, B)).toBe('Down');
    expect(tA.at(-1)).toMatchObject({ peer: B, from: 'Up', to: 'Down', diag: 1 });
    net.silenced.delete(B);
    clock.advance(5000);
    expect(stateOf(a, B)).toBe('Up');
  });

  it('a reload that changes timers keeps the session Up (Poll Sequence); one that removes it sends AdminDown', () => {
    const { clock, net, a, b, tA, tB } = setup();
    a.configure([spec(B)]);
    b.configure([spec(A)]);
    clock.advance(5000);
    const n = tA.length;
    a.configure([spec(B, { minTxMs: 100, minRxMs: 100 })]);
    clock.advance(2000);
    expect(tA.length).toBe(n);
    expect(a.statuses()[0]).toMatchObject({ state: 'Up', desiredMinTxMs: 100, polling: false });
    expect(b.statuses()[0]).toMatchObject({ state: 'Up', remoteMinTxMs: 100, detectTimeMs: 900 });
    a.configure([]);
    const last = net.sent.filter((d) => d.from === A).at(-1);
    const p = last ? decodeControl(last.bytes) : undefined;
    expect(p?.ok && p.packet.state).toBe('AdminDown');
    clock.advance(10);
    expect(tB.at(-1)).toMatchObject({ to: 'Down', remoteState: 'AdminDown', diag: 3 });
    expect(net.openOn(A)).toEqual([]);
  });

  it('a session whose addresses change is a new session (new discriminator)', () => {
    const { clock, a } = setup();
    a.configure([spec(B)]);
    clock.advance(10);
    const d1 = a.statuses()[0]?.localDiscr;
    a.configure([spec(B, { multihop: true, minTtl: 1 })]);
    expect(a.statuses()[0]?.localDiscr).not.toBe(d1);
  });

  it('close(): AdminDown to every peer, every socket closed', () => {
    const { clock, net, a, b } = setup();
    a.configure([spec(B)]);
    b.configure([spec(A)]);
    clock.advance(5000);
    a.close();
    clock.advance(10);
    expect(b.statuses()[0]).toMatchObject({ state: 'Down', remoteState: 'AdminDown' });
    expect(net.openOn(A)).toEqual([]);
  });
});

describe('one engine, packets injected', () => {
  function one() {
    const clock = new ManualClock();
    const net = new FakeNet(clock);
    const a = new BfdEngine({ clock, transport: net.host(A), hooks: { transition: () => undefined }, wallNow: () => clock.now(), random: prng(3) });
    a.configure([spec(B)]);
    clock.advance(10);
    return { clock, net, a };
  }
  const packet = (o: { yourDiscr?: number; state?: 'Down' | 'Up'; auth?: boolean } = {}): Buffer =>
    encodeControl({
      version: 1,
      diag: 0,
      state: o.state ?? 'Down',
      poll: false,
      final: false,
      cpi: false,
      authPresent: o.auth === true,
      demand: false,
      multipoint: false,
      detectMult: 3,
      myDiscr: 77,
      yourDiscr: o.yourDiscr ?? 0,
      desiredMinTxUs: 1_000_000,
      requiredMinRxUs: 1_000_000,
      requiredMinEchoRxUs: 0,
      ...(o.auth === true ? { auth: { type: 1, len: 5, data: Buffer.from('017878', 'hex') } } : {}),
    });

  it('Your Discriminator zero: found by source address', () => {
    const { net, a } = one();
    net.inject(B, A, BfdPort.SINGLE_HOP, packet());
    expect(a.statuses()[0]).toMatchObject({ state: 'Init', remoteDiscr: 77 });
  });

  it('an unknown Your Discriminator matches nothing', () => {
    const { net, a } = one();
    net.inject(B, A, BfdPort.SINGLE_HOP, packet({ yourDiscr: 12345, state: 'Up' }));
    expect(a.unmatched.noSession).toBe(1);
    expect(a.statuses()[0]?.state).toBe('Down');
  });

  it('our discriminator from another address matches nothing', () => {
    const { net, a } = one();
    const ours = a.statuses()[0]?.localDiscr ?? 0;
    net.inject('10.0.0.9', A, BfdPort.SINGLE_HOP, packet({ yourDiscr: ours, state: 'Up' }));
    expect(a.unmatched.noSession).toBe(1);
  });

  it('the A bit: discarded (no authentication)', () => {
    const { net, a } = one();
    net.inject(B, A, BfdPort.SINGLE_HOP, packet({ auth: true }));
    expect(a.statuses()[0]).toMatchObject({ state: 'Down', heard: false });
    expect(a.statuses()[0]?.counters.discarded).toBe(1);
  });

  it('garbage from the peer counts against its session; from anyone else, as undecodable', () => {
    const { net, a } = one();
    net.inject(B, A, BfdPort.SINGLE_HOP, Buffer.from('hello'));
    net.inject('10.0.0.9', A, BfdPort.SINGLE_HOP, Buffer.from('hello'));
    expect(a.statuses()[0]?.counters.discarded).toBe(1);
    expect(a.unmatched.undecodable).toBe(1);
  });
});

describe('sockets that cannot be opened', () => {
  it('the session reports why, and starts once the port is free (retried every 5 s)', () => {
    const clock = new ManualClock();
    const net = new FakeNet(clock);
    net.refuse.set(`0.0.0.0/${BfdPort.SINGLE_HOP}`, 'EADDRINUSE');
    const a = new BfdEngine({ clock, transport: net.host(A), hooks: { transition: () => undefined }, wallNow: () => clock.now(), random: prng(4) });
    a.configure([spec(B)]);
    expect(a.statuses()[0]?.problem).toBe('cannot receive on UDP port 3784 (IPv4): EADDRINUSE');
    clock.advance(3000);
    expect(net.sent.length).toBe(0);
    net.refuse.clear();
    clock.advance(2500);
    expect(a.statuses()[0]?.problem).toBeUndefined();
    expect(net.sent.length).toBeGreaterThan(0);
  });

  it('a local address that is not there: the sender cannot bind', () => {
    const clock = new ManualClock();
    const net = new FakeNet(clock);
    const a = new BfdEngine({ clock, transport: net.host(A), hooks: { transition: () => undefined }, random: prng(5) });
    for (let p = 49152; p <= 65535; p++) net.refuse.set(`10.9.9.9/${p}`, 'EADDRNOTAVAIL');
    a.configure([spec(B, { local: '10.9.9.9' })]);
    expect(a.statuses()[0]?.problem).toBe('cannot open the sending socket on 10.9.9.9: EADDRNOTAVAIL');
  });
});

import { pino } from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../../src/util/log.js';
import { addPeer, announce4, announce6, makeRib, peer, seq } from './fixtures.js';

const P = '172.16.1.0/24';

function capturingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino<never>({ level: 'info' }, stream), lines };
}

describe('Rib import', () => {
  it.each([
    ['as-loop', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001, 65000) })],
    ['next-hop-self-loop', announce4([P], { nextHop: '10.0.0.1', asPath: seq(65001) })],
    ['next-hop-invalid', announce4([P], { nextHop: '127.0.0.1', asPath: seq(65001) })],
    ['filtered', announce4(['0.0.0.0/0'], { nextHop: '10.0.0.2', asPath: seq(65001) })],
  ])('keeps a route refused as %s in Adj-RIB-In with its reason, out of the decision', (reason, u) => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    const r = rib.receive('10.0.0.2', u);
    expect(r).toMatchObject({ accepted: 0, rejected: 1 });
    expect(rib.decide()).toEqual([]);
    const v = rib.routes();
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ best: false, reason });
    expect(rib.counts('10.0.0.2')).toEqual({ received: 1, accepted: 0, advertised: 0 });
  });

  it('refuses a reflection loop and treats it as a withdraw of the previous route from that peer', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65000));
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.9.0.2' }));
    expect(rib.decide()).toHaveLength(1);
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.9.0.2', clusterList: ['10.255.0.1'] }));
    expect(rib.decide()).toEqual([{ prefix: P, best: null }]);
    expect(rib.routes(P)[0]).toMatchObject({ reason: 'reflection-loop' });
  });

  it('applies the peer prefix list', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001, { importPrefixes: [{ prefix: '172.16.0.0/16', ge: 24, le: 24 }] }));
    const r = rib.receive('10.0.0.2', announce4([P, '172.16.0.0/16', '10.1.0.0/24'], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    expect(r).toMatchObject({ accepted: 1, rejected: 2 });
    expect(rib.routes().map((v) => [v.prefix, v.reason ?? null])).toEqual([
      ['10.1.0.0/24', 'filtered'],
      ['172.16.0.0/16', 'filtered'],
      [P, null],
    ]);
  });

  it('accepts the default route only when configured to', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001, { acceptDefaultRoute: true }));
    expect(rib.receive('10.0.0.2', announce6(['::/0'], ['fd00::2'], { asPath: seq(65001) }))).toMatchObject({ accepted: 1 });
  });

  it('refuses what the import policy refuses, and uses what it changes', () => {
    const rib = makeRib({ maxPaths: 1 });
    addPeer(
      rib,
      peer('10.0.0.2', 65001, {
        importPolicy: (r) => (r.prefix === '10.1.0.0/24' ? null : { ...r, attrs: { ...r.attrs, localPref: 300 } }),
      }),
    );
    addPeer(rib, peer('10.0.0.3', 65002));
    rib.receive('10.0.0.2', announce4([P, '10.1.0.0/24'], { nextHop: '10.0.0.2', asPath: seq(65001, 65009) }));
    rib.receive('10.0.0.3', announce4([P], { nextHop: '10.0.0.3', asPath: seq(65002) }));
    rib.decide();
    expect(rib.routes().map((v) => [v.prefix, v.from, v.localPref, v.reason ?? null])).toEqual([
      ['10.1.0.0/24', '10.0.0.2', undefined, 'policy'], // refused routes show what was received
      [P, '10.0.0.2', 300, null],
      [P, '10.0.0.3', 100, 'local-pref'],
    ]);
  });

  it('re-evaluates kept routes when the configuration changes, without the peer resending', () => {
    const rib = makeRib();
    const cfg = peer('10.0.0.2', 65001);
    addPeer(rib, cfg);
    rib.receive('10.0.0.2', announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    rib.configurePeer({ ...cfg, importPrefixes: [{ prefix: '10.0.0.0/8', le: 32 }] });
    expect(rib.decide()).toEqual([{ prefix: P, best: null }]);
    expect(rib.routes(P)[0]).toMatchObject({ reason: 'filtered' });
    rib.configurePeer(cfg);
    expect(rib.decide()).toEqual([{ prefix: P, best: { local: false, nextHops: ['10.0.0.2'] } }]);
  });

  it('withdraws every prefix of an UPDATE marked treat-as-withdraw', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    rib.receive('10.0.0.2', announce4([P, '10.1.0.0/24'], { nextHop: '10.0.0.2', asPath: seq(65001) }));
    rib.decide();
    const bad = { ...announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001) }), withdrawn: ['10.1.0.0/24'], treatAsWithdraw: true };
    expect(rib.receive('10.0.0.2', bad)).toMatchObject({ accepted: 0, rejected: 0 });
    expect(rib.decide()).toHaveLength(2);
    expect(rib.counts('10.0.0.2').received).toBe(0);
  });

  it('ignores a duplicate announcement', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001));
    const u = announce4([P], { nextHop: '10.0.0.2', asPath: seq(65001) });
    rib.receive('10.0.0.2', u);
    rib.decide();
    rib.receive('10.0.0.2', u);
    expect(rib.stats().dirty).toBe(0);
  });
});

describe('Rib max-prefix', () => {
  const many = (n: number): string[] => Array.from({ length: n }, (_, i) => `10.1.${i}.0/24`);

  it("with 'warn' logs one clear line and keeps accepting", () => {
    const { log, lines } = capturingLogger();
    const rib = makeRib({ log });
    addPeer(rib, peer('10.0.0.2', 65001, { maxPrefix: { limit: 3, action: 'warn' } }));
    expect(rib.receive('10.0.0.2', announce4(many(3), { nextHop: '10.0.0.2', asPath: seq(65001) })).maxPrefixExceeded).toBe(false);
    expect(rib.receive('10.0.0.2', announce4(many(5), { nextHop: '10.0.0.2', asPath: seq(65001) })).maxPrefixExceeded).toBe(false);
    rib.receive('10.0.0.2', announce4(many(6), { nextHop: '10.0.0.2', asPath: seq(65001) }));
    const warns = lines.filter((l) => l['level'] === 40);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ msg: 'peer exceeded its max-prefix limit', peer: '10.0.0.2', limit: 3, accepted: 5 });
    expect(rib.counts('10.0.0.2').accepted).toBe(6);
  });

  it("with 'stop' reports the excess so the caller sends Cease 6/1", () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001, { maxPrefix: { limit: 2, action: 'stop' } }));
    expect(rib.receive('10.0.0.2', announce4(many(2), { nextHop: '10.0.0.2', asPath: seq(65001) })).maxPrefixExceeded).toBe(false);
    expect(rib.receive('10.0.0.2', announce4(many(3), { nextHop: '10.0.0.2', asPath: seq(65001) })).maxPrefixExceeded).toBe(true);
  });

  it('counts accepted prefixes only', () => {
    const rib = makeRib();
    addPeer(rib, peer('10.0.0.2', 65001, { maxPrefix: { limit: 2, action: 'stop' } }));
    const r = rib.receive('10.0.0.2', announce4(many(5), { nextHop: '10.0.0.2', asPath: seq(65001, 65000) }));
    expect(r).toMatchObject({ maxPrefixExceeded: false, rejected: 5 });
  });
});

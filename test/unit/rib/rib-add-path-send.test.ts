/** ADD-PATH send (RFC 7911 + RFC 4456): every selected path to a client that receives path ids, with stable ids. */
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../src/codec/message.js';
import { nlriText } from '../../../src/codec/nlri.js';
import type { CodecContext, PathAttrs, UpdateMsg } from '../../../src/codec/types.js';
import type { OutBatchText as OutBatch } from '../../../src/rib/adj-rib-out.js';
import type { Rib } from '../../../src/rib/rib.js';
import { AS4_CONTEXT, addPeer, announce4, announce6, makeRib, peer, withdraw4 } from './fixtures.js';

const P = '10.96.0.10/32';
const A = '10.0.0.11';
const B = '10.0.0.12';
const C = '10.0.0.13';
const D = '10.0.0.14';
const E = '10.0.0.15';
const TX: CodecContext = { ...AS4_CONTEXT, addPathTx: new Set(['1/1', '2/1']) };
const RX: CodecContext = { ...AS4_CONTEXT, addPathRx: new Set(['1/1', '2/1']) };

/** (prefix, path id) -> attributes, as a peer receiving path ids would hold them. */
function paths(rib: Rib, id: string, into = new Map<string, PathAttrs>()): Map<string, PathAttrs> {
  for (const b of rib.nextBatches(id, Number.MAX_SAFE_INTEGER)) apply(into, b);
  return into;
}
function apply(into: Map<string, PathAttrs>, b: OutBatch): void {
  if (b.kind !== 'announce' && b.kind !== 'withdraw') return;
  expect(b.pathIds).toBeDefined();
  b.prefixes.forEach((p, i) => {
    const key = `${p}#${b.pathIds?.[i]}`;
    if (b.kind === 'announce') into.set(key, b.attrs.attrs);
    else into.delete(key);
  });
}
const nextHops = (m: Map<string, PathAttrs>): [string, string | undefined][] => [...m].map(([k, a]) => [k, a.nextHop]).sort() as [string, string | undefined][];

/** A reflector with clients A, B, E announcing, C receiving every path, D an old client without ADD-PATH. */
function reflector(send: 'all' | number = 'all', extra: Partial<Parameters<typeof peer>[2]> = {}) {
  const rib = makeRib();
  for (const x of [A, B, E]) addPeer(rib, peer(x, 65000, { role: 'rr-client' }));
  addPeer(rib, peer(C, 65000, { role: 'rr-client', addPathSend: send, ...extra }), { ctx: TX });
  addPeer(rib, peer(D, 65000, { role: 'rr-client' }));
  return rib;
}

describe('ADD-PATH send from a reflector', () => {
  it('send "all": a client receiving path ids gets every path, reflected (RFC 4456), each with its own id; the others get the best only', () => {
    const rib = reflector();
    rib.receive(A, announce4([P], { nextHop: A, localPref: 100 }));
    rib.receive(B, announce4([P], { nextHop: B, localPref: 100 }));
    rib.decide();
    const c = paths(rib, C);
    expect(nextHops(c)).toEqual([
      [`${P}#1`, A],
      [`${P}#2`, B],
    ]);
    expect([...c.values()].map((a) => [a.originatorId, a.clusterList])).toEqual([
      [A, ['10.255.0.1']],
      [B, ['10.255.0.1']],
    ]);
    const d = rib.nextBatches(D, Number.MAX_SAFE_INTEGER);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ kind: 'announce', prefixes: [P] });
    expect(d[0]).not.toHaveProperty('pathIds');
    // best path only, as without ADD-PATH: A's path is the best (lower router id), so A gets nothing, B gets A's
    expect(rib.nextBatches(A, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(rib.nextBatches(B, Number.MAX_SAFE_INTEGER).map((b) => (b.kind === 'announce' ? b.attrs.attrs.nextHop : b.kind))).toEqual([A]);
    expect(rib.counts(C).advertised).toBe(2);
  });

  it('a path withdrawn by its source is withdrawn by id, even when it was not the best; the rest stays', () => {
    const rib = reflector();
    rib.receive(A, announce4([P], { nextHop: A }));
    rib.receive(B, announce4([P], { nextHop: B }));
    rib.decide();
    const c = paths(rib, C);
    rib.nextBatches(D, Number.MAX_SAFE_INTEGER);
    rib.receive(B, withdraw4([P])); // B's path is not the best (router id)
    rib.decide();
    const batches = rib.nextBatches(C, Number.MAX_SAFE_INTEGER);
    expect(batches).toEqual([{ kind: 'withdraw', family: 'ipv4-unicast', prefixes: [P], pathIds: [2] }]);
    batches.forEach((b) => apply(c, b));
    expect(nextHops(c)).toEqual([[`${P}#1`, A]]);
    // nothing for D: its best did not change
    expect(rib.nextBatches(D, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it('one path, then two, then one again, then none: each step sent by id and counted (one path is kept without a Map)', () => {
    const rib = reflector();
    rib.receive(A, announce4([P], { nextHop: A }));
    rib.decide();
    const c = paths(rib, C);
    expect(nextHops(c)).toEqual([[`${P}#1`, A]]);
    expect(rib.counts(C).advertised).toBe(1);
    rib.receive(B, announce4([P], { nextHop: B }));
    rib.decide();
    paths(rib, C, c);
    expect(nextHops(c)).toEqual([
      [`${P}#1`, A],
      [`${P}#2`, B],
    ]);
    expect(rib.counts(C).advertised).toBe(2);
    rib.receive(A, withdraw4([P]));
    rib.decide();
    expect(rib.nextBatches(C, Number.MAX_SAFE_INTEGER)).toEqual([{ kind: 'withdraw', family: 'ipv4-unicast', prefixes: [P], pathIds: [1] }]);
    c.delete(`${P}#1`);
    expect(rib.counts(C).advertised).toBe(1);
    // The one left changes: sent again under its own id, 2.
    rib.receive(B, announce4([P], { nextHop: B, med: 7 }));
    rib.decide();
    const changed = rib.nextBatches(C, Number.MAX_SAFE_INTEGER);
    expect(changed.map((b) => [b.kind, b.kind === 'announce' ? b.pathIds : null])).toEqual([['announce', [2]]]);
    rib.receive(B, withdraw4([P]));
    rib.decide();
    expect(rib.nextBatches(C, Number.MAX_SAFE_INTEGER)).toEqual([{ kind: 'withdraw', family: 'ipv4-unicast', prefixes: [P], pathIds: [2] }]);
    expect(rib.counts(C).advertised).toBe(0);
    // Nothing left to send; a new path starts over.
    rib.receive(E, announce4([P], { nextHop: E }));
    rib.decide();
    expect(nextHops(paths(rib, C, new Map()))).toEqual([[`${P}#1`, E]]);
    expect(rib.counts(C).advertised).toBe(1);
  });

  it('path ids are stable: a changed path keeps its id; a new path takes a free one', () => {
    const rib = reflector();
    rib.receive(A, announce4([P], { nextHop: A }));
    rib.receive(B, announce4([P], { nextHop: B }));
    rib.decide();
    const c = paths(rib, C);
    rib.receive(B, announce4([P], { nextHop: B, med: 5 }));
    rib.decide();
    const changed = rib.nextBatches(C, Number.MAX_SAFE_INTEGER);
    expect(changed.map((b) => [b.kind, b.kind === 'announce' ? b.pathIds : null])).toEqual([['announce', [2]]]);
    changed.forEach((b) => apply(c, b));
    rib.receive(A, withdraw4([P]));
    rib.receive(E, announce4([P], { nextHop: E }));
    rib.decide();
    paths(rib, C, c);
    // A's id 1 was freed and E's path took it: an implicit replace (RFC 7911); B keeps 2
    expect(nextHops(c)).toEqual([
      [`${P}#1`, E],
      [`${P}#2`, B],
    ]);
  });

  it('send n: the n best paths that may be sent, the best first', () => {
    const rib = reflector(2);
    rib.receive(A, announce4([P], { nextHop: A, localPref: 100 }));
    rib.receive(B, announce4([P], { nextHop: B, localPref: 300 }));
    rib.receive(E, announce4([P], { nextHop: E, localPref: 200 }));
    rib.decide();
    expect(nextHops(paths(rib, C)).map(([, nh]) => nh).sort()).toEqual([B, E]);
    const one = reflector(1);
    one.receive(A, announce4([P], { nextHop: A }));
    one.receive(B, announce4([P], { nextHop: B }));
    one.decide();
    expect(nextHops(paths(one, C)).map(([, nh]) => nh)).toEqual([A]);
  });

  it('send n counts only paths the export rules let through to that peer (its own path is not sent back)', () => {
    const rib = makeRib();
    for (const x of [A, B]) addPeer(rib, peer(x, 65000, { role: 'rr-client' }));
    addPeer(rib, peer(C, 65000, { role: 'rr-client', addPathSend: 1 }), { ctx: TX });
    rib.receive(C, announce4([P], { nextHop: C })); // C's own path is the best (router id 10.0.0.13 > A's, so no)
    rib.receive(A, announce4([P], { nextHop: A }));
    rib.receive(B, announce4([P], { nextHop: B }));
    rib.decide();
    expect(nextHops(paths(rib, C)).map(([, nh]) => nh)).toEqual([A]);
  });

  it('UPDATEs to it carry the path ids on the wire (RFC 7911 3), IPv4 and IPv6, announces and withdraws', () => {
    const rib = reflector();
    const Q = 'fd00:96::10/128';
    rib.receive(A, announce4([P], { nextHop: A }));
    rib.receive(B, announce4([P], { nextHop: B }));
    rib.receive(A, announce6([Q], ['fd00::11']));
    rib.receive(B, announce6([Q], ['fd00::12']));
    rib.decide();
    const seen: [string, number][] = [];
    const read = (bufs: Buffer[]): void => {
      for (const buf of bufs) {
        const m = decodeMessage(buf, RX) as UpdateMsg;
        m.nlri.forEach((p, i) => seen.push([nlriText(p), m.nlriPathIds?.[i] ?? -1]));
        m.withdrawn.forEach((p, i) => seen.push([`-${p}`, m.withdrawnPathIds?.[i] ?? -1]));
        const mp = m.attrs?.mpReach;
        mp?.nlri.forEach((p, i) => seen.push([p, mp.pathIds?.[i] ?? -1]));
        const un = m.attrs?.mpUnreach;
        un?.withdrawn.forEach((p, i) => seen.push([`-${p}`, un.pathIds?.[i] ?? -1]));
      }
    };
    read(rib.nextMessages(C, 1 << 20));
    expect(seen.sort()).toEqual([
      [P, 1],
      [P, 2],
      [Q, 1],
      [Q, 2],
    ]);
    seen.length = 0;
    rib.receive(B, withdraw4([P]));
    rib.receive(B, { kind: 'update', withdrawn: [], attrs: { mpUnreach: { afi: 2, safi: 1, withdrawn: [Q] } }, nlri: [] });
    rib.decide();
    read(rib.nextMessages(C, 1 << 20));
    expect(seen.sort()).toEqual([
      [`-${P}`, 2],
      [`-${Q}`, 2],
    ]);
  });

  it('a ROUTE-REFRESH resends every path; a session down releases everything', () => {
    const rib = reflector();
    rib.receive(A, announce4([P], { nextHop: A }));
    rib.receive(B, announce4([P], { nextHop: B }));
    rib.decide();
    paths(rib, C);
    rib.refresh(C, 1, 1);
    expect(nextHops(paths(rib, C)).map(([k]) => k)).toEqual([`${P}#1`, `${P}#2`]);
    rib.peerDown(C, { keepStale: false });
    for (const x of [A, B]) rib.peerDown(x, { keepStale: false });
    rib.decide();
    for (const x of [D, E]) rib.nextBatches(x, Number.MAX_SAFE_INTEGER);
    expect(rib.stats()).toMatchObject({ prefixes: 0, attrSets: 0 });
  });

  it('a peer that did not negotiate ADD-PATH send gets the best path only, without ids, whatever addPathSend says', () => {
    const rib = makeRib();
    for (const x of [A, B]) addPeer(rib, peer(x, 65000, { role: 'rr-client' }));
    addPeer(rib, peer(C, 65000, { role: 'rr-client', addPathSend: 'all' }));
    rib.receive(A, announce4([P], { nextHop: A }));
    rib.receive(B, announce4([P], { nextHop: B }));
    rib.decide();
    const bs = rib.nextBatches(C, Number.MAX_SAFE_INTEGER);
    expect(bs.map((b) => [b.kind, b.kind === 'announce' ? b.attrs.attrs.nextHop : null, 'pathIds' in b])).toEqual([['announce', A, false]]);
  });
});

/**
 * The next-hop vectors (vectors/next-hop/*.json, also checked byte for byte by golden.test.ts) run
 * through the whole receive path: decodeMessage -> validateUpdate (structural only: no problem, no
 * treat-as-withdraw) -> Rib.receive on a directly connected and on a multihop eBGP session. Each
 * vector's `nextHop.rib` says what import does with it there: "accepted" or the reject reason.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/codec/message.js';
import type { UpdateMsg } from '../../src/codec/types.js';
import { validateUpdate } from '../../src/codec/validate.js';
import { Rib } from '../../src/rib/rib.js';
import { contextOf, hexBytes } from './json-form.js';
import { loadVectors } from './load.js';

interface NextHopExpectation {
  readonly what: string;
  readonly rib: { readonly directlyConnected: string; readonly multihop: string };
}

const vectors = loadVectors().filter((v) => v.name.startsWith('next-hop/'));

const PEER = '10.0.0.2';

function receiveOn(u: UpdateMsg, directlyConnected: boolean): { accepted: number; rejected: number; reason: string | null; refused: boolean; detail?: string } {
  const rib = new Rib({ localAs: 65000, routerId: '10.0.0.1', clusterId: '10.0.0.1', maxPaths: 1 });
  rib.configurePeer({ id: PEER, asn: 65001, localAs: 65000, role: 'ebgp', nextHopSelf: false, acceptDefaultRoute: false, allowasIn: 0 });
  rib.peerUp(PEER, {
    routerId: PEER,
    families: ['ipv4-unicast', 'ipv6-unicast'],
    ctx: { as4: true, extendedMessage: false, addPathRx: new Set(), addPathTx: new Set() },
    localAddress: '10.0.0.1',
    localV4: '10.0.0.1',
    localV6: 'fd00:10::1',
    peerAddress: PEER,
    directlyConnected,
  });
  const r = rib.receive(PEER, u);
  rib.decide();
  const shown = rib.routes()[0];
  return {
    accepted: r.accepted,
    rejected: r.rejected,
    reason: shown?.reason ?? null,
    refused: shown?.refused === true,
    ...(shown?.detail !== undefined ? { detail: shown.detail } : {}),
  };
}

it('finds the next-hop vectors, the captured OpenBGPD one among them', () => {
  expect(vectors.length).toBeGreaterThanOrEqual(9);
  expect(vectors.map((v) => v.name)).toContain('next-hop/openbgpd-mp-reach-ipv6-next-hop-loopback.json');
});

describe.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, { vector }) => {
  const expectation = (vector as unknown as { nextHop: NextHopExpectation }).nextHop;
  const msg = decodeMessage(hexBytes(vector.hex), contextOf(vector.ctx));

  it('says what it holds and what import does with it', () => {
    expect(typeof expectation.what).toBe('string');
    expect(msg.kind).toBe('update');
  });
  if (msg.kind !== 'update') return;
  const valid = validateUpdate(msg, { ebgp: true, peerAs: 65001, localAs: 65000 });

  it('passes validateUpdate untouched (the codec checks next hops for structure only)', () => {
    expect(valid.problems).toBeUndefined();
    expect(valid.treatAsWithdraw).toBeUndefined();
  });

  it.each([
    ['a directly connected session', true, expectation.rib.directlyConnected],
    ['a multihop session', false, expectation.rib.multihop],
  ])('on %s: %s', (_s, direct, want) => {
    const got = receiveOn(valid, direct);
    if (want === 'accepted') {
      expect(got).toEqual({ accepted: 1, rejected: 0, reason: null, refused: false });
    } else {
      expect(got).toMatchObject({ accepted: 0, rejected: 1, reason: want, refused: true });
      expect(got.detail).toMatch(/ is /);
    }
  });
});

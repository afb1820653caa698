/** RFC 7911 4: the ADD-PATH capability we send and what each side ends up doing, per family. */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../../src/codec/message.js';
import { DEFAULT_CONTEXT, type Capability, type OpenMsg } from '../../../src/codec/types.js';
import { buildOpen, capabilitiesOf, negotiate, type LocalOffer } from '../../../src/session/negotiate.js';

const local: LocalOffer = {
  asn: 65000,
  routerId: '10.0.0.1',
  holdTimeSec: 90,
  keepaliveSec: 30,
  families: ['ipv4-unicast', 'ipv6-unicast'],
};
const both = { receive: true, send: true, families: ['ipv4-unicast', 'ipv6-unicast'] } as const;
const peerOpen = (caps: Capability[]): OpenMsg => ({
  kind: 'open',
  version: 4,
  myAs: 65000,
  holdTime: 90,
  bgpId: '10.0.0.2',
  params: [
    {
      type: 2,
      capabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'multiprotocol', afi: 2, safi: 1 }, { kind: 'as4', asn: 65000 }, ...caps],
    },
  ],
});
const ap = (...families: [number, 1 | 2 | 3][]): Capability => ({
  kind: 'add-path',
  families: families.map(([afi, sr]) => ({ afi, safi: 1, sendReceive: sr })),
});

describe('our OPEN', () => {
  it('has no ADD-PATH capability when nothing is offered (the OPEN is unchanged)', () => {
    const plain = encodeMessage(buildOpen(local), DEFAULT_CONTEXT);
    expect(encodeMessage(buildOpen({ ...local, addPath: { receive: false, send: false, families: ['ipv4-unicast'] } }), DEFAULT_CONTEXT)).toEqual(plain);
    expect(capabilitiesOf(buildOpen(local)).some((c) => c.kind === 'add-path')).toBe(false);
  });
  it('lists every selected family of the session with Send/Receive 1, 2 or 3', () => {
    const caps = (o: LocalOffer): Capability | undefined => capabilitiesOf(buildOpen(o)).find((c) => c.kind === 'add-path');
    expect(caps({ ...local, addPath: both })).toEqual(ap([1, 3], [2, 3]));
    expect(caps({ ...local, addPath: { ...both, send: false } })).toEqual(ap([1, 1], [2, 1]));
    expect(caps({ ...local, addPath: { ...both, receive: false, families: ['ipv6-unicast'] } })).toEqual(ap([2, 2]));
    // a family the session does not carry is not offered
    expect(caps({ ...local, families: ['ipv4-unicast'], addPath: both })).toEqual(ap([1, 3]));
  });
  it('encodes as code 69 with AFI, SAFI, Send/Receive (RFC 7911 4) and decodes back', () => {
    const bytes = encodeMessage(buildOpen({ ...local, addPath: both }), DEFAULT_CONTEXT);
    expect(bytes.toString('hex')).toContain('4508000101030002010' + '3');
    const back = decodeMessage(bytes, DEFAULT_CONTEXT);
    expect(capabilitiesOf(back as OpenMsg)).toContainEqual(ap([1, 3], [2, 3]));
  });
});

describe('negotiation per family', () => {
  const n = (offer: LocalOffer, caps: Capability[]) => negotiate(offer, { asn: 65000 }, peerOpen(caps));
  it('receive where we receive and the peer sends, send where we send and the peer receives', () => {
    const r = n({ ...local, addPath: both }, [ap([1, 2], [2, 1])]);
    expect(r.addPath).toEqual([
      { family: 'ipv4-unicast', receive: true, send: false },
      { family: 'ipv6-unicast', receive: false, send: true },
    ]);
    expect([...r.ctx.addPathRx]).toEqual(['1/1']);
    expect([...r.ctx.addPathTx]).toEqual(['2/1']);
    expect(r.capabilities).toContain('add-path');
  });
  it('both ways with a peer that offers 3', () => {
    const r = n({ ...local, addPath: both }, [ap([1, 3], [2, 3])]);
    expect([...r.ctx.addPathRx].sort()).toEqual(['1/1', '2/1']);
    expect([...r.ctx.addPathTx].sort()).toEqual(['1/1', '2/1']);
  });
  it('only one side offers: exactly as without ADD-PATH', () => {
    const plain = n(local, []);
    const weOnly = n({ ...local, addPath: both }, []);
    expect(weOnly.addPath).toEqual([]);
    expect(weOnly.ctx).toEqual(plain.ctx);
    const peerOnly = n(local, [ap([1, 3], [2, 3])]);
    expect(peerOnly.addPath).toEqual([]);
    expect(peerOnly.ctx).toEqual(plain.ctx);
    expect(peerOnly.capabilities).toEqual(plain.capabilities);
    expect(peerOnly.peerOnlyCapabilities).toContain('add-path');
  });
  it('a peer that only receives gets path ids from a sender, and nothing from a receiver', () => {
    expect(n({ ...local, addPath: { ...both, receive: false } }, [ap([1, 1])]).addPath).toEqual([{ family: 'ipv4-unicast', receive: false, send: true }]);
    expect(n({ ...local, addPath: { ...both, send: false } }, [ap([1, 1])]).addPath).toEqual([]);
  });
  it('a family only the peer lists, or one the session did not negotiate, is ignored', () => {
    const r = n({ ...local, families: ['ipv4-unicast'], addPath: both }, [ap([2, 3])]);
    expect(r.addPath).toEqual([]);
    const r2 = n({ ...local, addPath: { ...both, families: ['ipv4-unicast'] } }, [ap([1, 3], [2, 3])]);
    expect(r2.addPath).toEqual([{ family: 'ipv4-unicast', receive: true, send: true }]);
  });
});

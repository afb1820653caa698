import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../src/codec/message.js';
import { encodePathAttrs, encodeUpdates } from '../../../src/codec/pack.js';
import { parsePrefix4, prefixWireLength } from '../../../src/codec/nlri.js';
import type { PathAttrs, UpdateMsg } from '../../../src/codec/types.js';
import { canonicalAddress } from '../../../src/util/inet.js';
import { ctx } from './bytes.js';

const ATTRS: PathAttrs = { origin: 0, asPath: [{ type: 'sequence', asns: [65001] }], nextHop: '10.0.0.1', localPref: 100 };

const v4 = (n: number, bits = 24): string[] =>
  Array.from({ length: n }, (_, i) => (bits === 32 ? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32` : `${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/${bits}`));
const v6 = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${canonicalAddress(`2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::`)}/64`);

const decodeAll = (msgs: Buffer[], c = ctx()): UpdateMsg[] => msgs.map((m) => decodeMessage(m, c) as UpdateMsg);

/** Each message but the last is full: the next prefix would have pushed it over max. */
function expectFull(msgs: Buffer[], max: number, nextLen: number): void {
  msgs.forEach((m, i) => {
    expect(m.length).toBeLessThanOrEqual(max);
    expect(m.readUInt16BE(16)).toBe(m.length);
    if (i < msgs.length - 1) expect(m.length + nextLen).toBeGreaterThan(max);
  });
}

describe('encodeUpdates', () => {
  it('returns nothing for nothing', () => {
    expect(encodeUpdates({}, ctx())).toEqual([]);
  });

  it('packs NLRI behind one copy of the attributes per message and splits at the maximum length', () => {
    const nlri = v4(5000);
    const msgs = encodeUpdates({ nlri, attrs: ATTRS }, ctx());
    expectFull(msgs, 4096, 4);
    const decoded = decodeAll(msgs);
    expect(decoded.flatMap((m) => m.nlri)).toEqual(nlri);
    for (const m of decoded) expect(m.attrs).toEqual(ATTRS);
    // 4096 - 23 header/lengths - attribute block, in 4-octet entries
    const block = encodePathAttrs(ATTRS, ctx()).length;
    expect(decoded[0]?.nlri).toHaveLength(Math.floor((4096 - 23 - block) / 4));
  });

  it('fills a message to exactly 4096 octets when the prefixes allow it', () => {
    // withdrawn only: 4073 octets of room = 814 entries of 5 octets (/32) + 3 octets: a /16 fits exactly
    const withdrawn = [...v4(814, 32), '172.16.0.0/16', '10.99.0.0/24'];
    const msgs = encodeUpdates({ withdrawn }, ctx());
    expect(msgs.map((m) => m.length)).toEqual([4096, 27]);
    expect(decodeAll(msgs).flatMap((m) => m.withdrawn)).toEqual(withdrawn);
  });

  it('splits withdrawals into messages without attributes', () => {
    const withdrawn = v4(3000);
    const msgs = encodeUpdates({ withdrawn }, ctx());
    expectFull(msgs, 4096, 4);
    const decoded = decodeAll(msgs);
    expect(decoded.flatMap((m) => m.withdrawn)).toEqual(withdrawn);
    for (const m of decoded) expect(m.attrs).toBeNull();
  });

  it('packs up to 65535 octets once extended messages are negotiated', () => {
    const nlri = v4(40000);
    const c = ctx({ extendedMessage: true });
    const msgs = encodeUpdates({ nlri, attrs: ATTRS }, c);
    expectFull(msgs, 65535, 4);
    expect(msgs[0]?.length).toBeGreaterThan(65000);
    expect(decodeAll(msgs, c).flatMap((m) => m.nlri)).toEqual(nlri);
  });

  it('splits MP_REACH_NLRI, repeating next hop and attributes in each message', () => {
    const nlri = v6(2000);
    const { nextHop: _n, ...rest } = ATTRS;
    const msgs = encodeUpdates({ attrs: { ...rest, mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1', 'fe80::1'], nlri } } }, ctx());
    expectFull(msgs, 4096, prefixWireLength(64));
    const decoded = decodeAll(msgs);
    expect(decoded.flatMap((m) => m.attrs?.mpReach?.nlri ?? [])).toEqual(nlri);
    for (const m of decoded) {
      expect(m.attrs?.mpReach?.nextHops).toEqual(['2001:db8::1', 'fe80::1']);
      expect(m.attrs?.localPref).toBe(100);
      expect(m.nlri).toEqual([]);
    }
  });

  it('writes an MP attribute of 255 octets or less without the Extended Length bit', () => {
    const msgs = encodeUpdates({ attrs: { ...ATTRS, mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: v6(3) } } }, ctx());
    expect(msgs).toHaveLength(1);
    expect(msgs[0]?.readUInt8(23)).toBe(0x80);
    expect(msgs[0]?.readUInt8(24)).toBe(14);
    expect((decodeMessage(msgs[0] ?? Buffer.alloc(0), ctx()) as UpdateMsg).attrs?.mpReach?.nlri).toEqual(v6(3));
  });

  it('splits MP_UNREACH_NLRI and sends an empty one as the End-of-RIB of its family', () => {
    const withdrawn = v6(1000);
    const msgs = encodeUpdates({ attrs: { mpUnreach: { afi: 2, safi: 1, withdrawn } } }, ctx());
    expectFull(msgs, 4096, prefixWireLength(64));
    expect(decodeAll(msgs).flatMap((m) => m.attrs?.mpUnreach?.withdrawn ?? [])).toEqual(withdrawn);
    const eor = encodeUpdates({ attrs: { mpUnreach: { afi: 2, safi: 1, withdrawn: [] } } }, ctx());
    expect(eor.map((m) => m.toString('hex'))).toEqual(['ff'.repeat(16) + '001d02' + '0000' + '0006' + '800f03000201']);
  });

  it('keeps withdrawals, MP withdrawals, NLRI and MP_REACH_NLRI in separate messages, in that order (RFC 7606 5.1)', () => {
    const attrs: PathAttrs = { ...ATTRS, mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: ['2001:db8:1::/48'] }, mpUnreach: { afi: 2, safi: 1, withdrawn: ['2001:db8:2::/48'] } };
    const decoded = decodeAll(encodeUpdates({ withdrawn: ['10.9.0.0/16'], nlri: ['10.1.0.0/16'], attrs }, ctx()));
    expect(decoded.map((m) => [m.withdrawn.length, m.attrs?.mpUnreach?.withdrawn.length ?? 0, m.nlri.length, m.attrs?.mpReach?.nlri.length ?? 0])).toEqual([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]);
    expect(decoded[2]?.attrs?.mpUnreach).toBeUndefined();
  });

  it('writes path ids when ADD-PATH is sent for the family', () => {
    const c = ctx({ addPathTx: ['1/1', '2/1'], addPathRx: ['1/1', '2/1'] });
    const [m1, m2] = decodeAll(
      encodeUpdates({ nlri: ['10.1.0.0/16', '10.1.0.0/16'], nlriPathIds: [1, 2], attrs: { ...ATTRS, mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: ['2001:db8::/32'], pathIds: [7] } } }, c),
      c,
    );
    expect(m1?.nlriPathIds).toEqual([1, 2]);
    expect(m2?.attrs?.mpReach?.pathIds).toEqual([7]);
  });

  it('throws when the attributes leave no room for a prefix', () => {
    const huge: PathAttrs = { ...ATTRS, communities: Array.from({ length: 1020 }, (_, i) => i) };
    expect(() => encodeUpdates({ nlri: ['10.0.0.0/8'], attrs: huge }, ctx())).toThrow(RangeError);
  });

  it('throws on text that is not a prefix', () => {
    expect(() => encodeUpdates({ withdrawn: ['10.0.0.0'] }, ctx())).toThrow(TypeError);
  });

  it('packs a million IPv4 prefixes', () => {
    const nlri = v4(1_000_000);
    const msgs = encodeUpdates({ nlri, attrs: ATTRS }, ctx());
    const total = msgs.reduce((n, m) => n + (decodeMessage(m, ctx()) as UpdateMsg).nlri.length, 0);
    expect(total).toBe(1_000_000);
  });
});

describe('encodeUpdates with IPv4 prefixes as numbers (parsePrefix4: address * 64 + length)', () => {
  const texts = ['10.1.2.0/24', '0.0.0.0/0', '192.168.7.128/25', '172.16.0.0/12', '1.2.3.4/32'];
  const numbers = texts.map((t) => parsePrefix4(t));

  it('writes the very bytes the texts give, announced and withdrawn, with and without ADD-PATH ids', () => {
    expect(numbers.every((n) => n >= 0)).toBe(true);
    expect(encodeUpdates({ nlri: numbers, attrs: ATTRS }, ctx())).toEqual(encodeUpdates({ nlri: texts, attrs: ATTRS }, ctx()));
    expect(encodeUpdates({ withdrawn: numbers }, ctx())).toEqual(encodeUpdates({ withdrawn: texts }, ctx()));
    const ids = texts.map((_, i) => i + 1);
    const c = ctx({ addPathTx: ['1/1'] });
    expect(encodeUpdates({ nlri: numbers, nlriPathIds: ids, attrs: ATTRS }, c)).toEqual(encodeUpdates({ nlri: texts, nlriPathIds: ids, attrs: ATTRS }, c));
    // Mixed lists too (a prefix the RIB does not keep by number comes as text).
    const mixed = [numbers[0] as number, texts[1] as string, numbers[2] as number];
    expect(encodeUpdates({ nlri: mixed, attrs: ATTRS }, ctx())).toEqual(encodeUpdates({ nlri: texts.slice(0, 3), attrs: ATTRS }, ctx()));
  });

  it('refuses a number that is no IPv4 prefix, and a number for IPv6', () => {
    expect(() => encodeUpdates({ withdrawn: [33] }, ctx())).toThrow(TypeError); // length 33
    expect(() => encodeUpdates({ withdrawn: [-64] }, ctx())).toThrow(TypeError);
    expect(() => encodeUpdates({ withdrawn: [1.5] }, ctx())).toThrow(TypeError);
    expect(() => encodeUpdates({ withdrawn: [2 ** 38] }, ctx())).toThrow(TypeError);
    const v6 = { afi: 2, safi: 1, withdrawn: [64] as unknown as string[] };
    expect(() => encodeUpdates({ attrs: { mpUnreach: v6 } }, ctx())).toThrow(TypeError);
  });
});

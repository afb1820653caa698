import { describe, expect, it } from 'vitest';
import { asPathLength, downgradeAs4, parseAsPath, reconcileAs4 } from '../../../../src/codec/attrs/as-path.js';
import type { AsPath, PathAttrs } from '../../../../src/codec/types.js';
import { hex } from '../bytes.js';

const T = 23456; // AS_TRANS
const seq = (...asns: number[]): AsPath[number] => ({ type: 'sequence', asns });
const set = (...asns: number[]): AsPath[number] => ({ type: 'set', asns });
const cseq = (...asns: number[]): AsPath[number] => ({ type: 'confed-sequence', asns });

describe('AS path length (RFC 4271 9.1.2.2 a, RFC 5065 5.3)', () => {
  it('counts sequence members, one per set, and nothing for confederation segments', () => {
    expect(asPathLength([seq(1, 2, 3), set(4, 5), cseq(6, 7)])).toBe(4);
    expect(asPathLength([])).toBe(0);
  });
});

describe('AS_PATH segments', () => {
  it('parses all four segment types with 2- and 4-octet ASNs', () => {
    expect(parseAsPath(hex('01 02 0001 0002 02 01 0003 03 01 0004 04 01 0005'), 2)).toEqual([
      set(1, 2),
      seq(3),
      cseq(4),
      { type: 'confed-set', asns: [5] },
    ]);
    expect(parseAsPath(hex('02 01 fa56ea00'), 4)).toEqual([seq(4200000000)]);
  });
});

describe('reconcileAs4 (RFC 6793 4.2.3)', () => {
  it('returns attributes without AS4_* unchanged', () => {
    const a: PathAttrs = { asPath: [seq(1, 2)] };
    expect(reconcileAs4(a)).toBe(a);
  });

  it('takes the leading ASNs of AS_PATH and prepends them to AS4_PATH', () => {
    const a: PathAttrs = { asPath: [seq(65001, T, T, 65002)], as4Path: [seq(4200000001, 4200000002, 65002)] };
    expect(reconcileAs4(a)).toEqual({ asPath: [seq(65001, 4200000001, 4200000002, 65002)] });
  });

  it('uses AS4_PATH alone when both count the same number of ASes', () => {
    const a: PathAttrs = { asPath: [seq(T, 65002)], as4Path: [seq(4200000001, 65002)] };
    expect(reconcileAs4(a)).toEqual({ asPath: [seq(4200000001, 65002)] });
  });

  it('ignores AS4_PATH when it counts more ASes than AS_PATH', () => {
    const a: PathAttrs = { asPath: [seq(T)], as4Path: [seq(4200000001, 65002)] };
    expect(reconcileAs4(a)).toEqual({ asPath: [seq(T)] });
  });

  it('counts an AS_SET as one and takes it whole', () => {
    const a: PathAttrs = { asPath: [set(1, 2, 3), seq(T, 5)], as4Path: [seq(4200000004, 5)] };
    expect(reconcileAs4(a)).toEqual({ asPath: [set(1, 2, 3), seq(4200000004, 5)] });
  });

  it('prepends a leading confederation segment and one adjacent to a prepended segment', () => {
    const a: PathAttrs = { asPath: [cseq(64512), seq(65001, T), cseq(64513), seq(T)], as4Path: [seq(4200000001), seq(4200000002)] };
    // AS_PATH counts 3, AS4_PATH 2: take cseq(64512), seq(65001); stop inside seq(65001, T).
    expect(reconcileAs4(a).asPath).toEqual([cseq(64512), seq(65001, 4200000001), seq(4200000002)]);
    const b: PathAttrs = { asPath: [cseq(64512), seq(T)], as4Path: [seq(4200000001)] };
    expect(reconcileAs4(b).asPath).toEqual([cseq(64512), seq(4200000001)]);
  });

  it('drops confederation segments found in AS4_PATH (RFC 6793 6)', () => {
    const a: PathAttrs = { asPath: [seq(T, 2)], as4Path: [cseq(64512), seq(4200000001, 2)] };
    expect(reconcileAs4(a).asPath).toEqual([seq(4200000001, 2)]);
  });

  it('uses AS4_AGGREGATOR when AGGREGATOR carries AS_TRANS', () => {
    const a: PathAttrs = {
      asPath: [seq(T)],
      aggregator: { asn: T, address: '10.0.0.9' },
      as4Path: [seq(4200000001)],
      as4Aggregator: { asn: 4200000001, address: '10.0.0.9' },
    };
    expect(reconcileAs4(a)).toEqual({ asPath: [seq(4200000001)], aggregator: { asn: 4200000001, address: '10.0.0.9' } });
  });

  it('ignores AS4_AGGREGATOR and AS4_PATH when AGGREGATOR is a real 2-octet AS', () => {
    const a: PathAttrs = {
      asPath: [seq(T, 65010)],
      aggregator: { asn: 65010, address: '10.0.0.9' },
      as4Path: [seq(4200000001, 65010)],
      as4Aggregator: { asn: 4200000001, address: '10.0.0.9' },
    };
    expect(reconcileAs4(a)).toEqual({ asPath: [seq(T, 65010)], aggregator: { asn: 65010, address: '10.0.0.9' } });
  });

  it('drops an AS4_AGGREGATOR that comes without AGGREGATOR', () => {
    expect(reconcileAs4({ asPath: [seq(1)], as4Aggregator: { asn: 4200000001, address: '10.0.0.9' } })).toEqual({ asPath: [seq(1)] });
  });

  it('drops an AS4_PATH that comes without AS_PATH', () => {
    expect(reconcileAs4({ origin: 0, as4Path: [seq(4200000001)] })).toEqual({ origin: 0 });
  });
});

describe('downgradeAs4 (RFC 6793 4.2.2)', () => {
  it('leaves a path of mappable ASNs alone and adds no AS4_PATH', () => {
    const a: PathAttrs = { asPath: [seq(65001, 65002)], aggregator: { asn: 65001, address: '10.0.0.9' } };
    expect(downgradeAs4(a)).toEqual(a);
  });

  it('writes AS_TRANS for non-mappable ASNs and adds AS4_PATH without confederation segments', () => {
    const a: PathAttrs = { asPath: [cseq(64512), seq(4200000001, 65002)] };
    expect(downgradeAs4(a)).toEqual({ asPath: [cseq(64512), seq(T, 65002)], as4Path: [seq(4200000001, 65002)] });
  });

  it('writes AS_TRANS in AGGREGATOR and adds AS4_AGGREGATOR for a non-mappable aggregator', () => {
    expect(downgradeAs4({ aggregator: { asn: 4200000001, address: '10.0.0.9' } })).toEqual({
      aggregator: { asn: T, address: '10.0.0.9' },
      as4Aggregator: { asn: 4200000001, address: '10.0.0.9' },
    });
  });

  it('is undone by reconcileAs4', () => {
    const a: PathAttrs = { asPath: [seq(4200000001, 65002, 4200000003), set(1, 4200000004)], aggregator: { asn: 4200000009, address: '10.0.0.9' } };
    expect(reconcileAs4(downgradeAs4(a))).toEqual(a);
  });
});

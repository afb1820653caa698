import { describe, expect, it } from 'vitest';
import { hashRouterId, parseAsNumber, parseGoDuration, roundSeconds, splitPeerIP } from '../../../src/datastore/go-values.js';

describe('parseAsNumber (numorstring.ASNumber)', () => {
  const ok: readonly (readonly [unknown, number])[] = [
    [64512, 64512],
    [0, 0],
    [4294967295, 4294967295],
    ['64512', 64512],
    ['064512', 64512],
    ['1.10', 65546],
    ['0.65535', 65535],
    ['65535.65535', 4294967295],
  ];
  for (const [input, want] of ok) {
    it(`${JSON.stringify(input)} -> ${want}`, () => expect(parseAsNumber(input)).toEqual({ ok: true, value: want }));
  }
  const bad: readonly unknown[] = [-1, 4294967296, 1.5, '4294967296', '1.65536', '1.2.3', '', ' 1', '+1', 'x', true, null, {}];
  for (const input of bad) {
    it(`${JSON.stringify(input)} is refused`, () => expect(parseAsNumber(input).ok).toBe(false));
  }
});

describe('parseGoDuration (time.ParseDuration) and confd rounding', () => {
  const ok: readonly (readonly [string, number])[] = [
    ['0', 0],
    ['120s', 120],
    ['2m0s', 120],
    ['1h30m', 5400],
    ['1.5s', 1.5],
    ['.5s', 0.5],
    ['1.s', 1],
    ['500ms', 0.5],
    ['1500000us', 1.5],
    ['1000000000ns', 1],
    ['2µs', 0.000002],
    ['+3s', 3],
    ['-3s', -3],
    ['1h1m1s', 3661],
  ];
  for (const [input, want] of ok) {
    it(`${input} = ${want} s`, () => {
      const p = parseGoDuration(input);
      expect(p.ok).toBe(true);
      if (p.ok) expect(p.value).toBeCloseTo(want, 9);
    });
  }
  for (const input of ['', '10', 's', '1x', '1.5', '-', '1 s', '1s 2m', '.s', 'ms']) {
    it(`${JSON.stringify(input)} is refused`, () => expect(parseGoDuration(input).ok).toBe(false));
  }
  it('rounds half away from zero, as math.Round', () => {
    expect(roundSeconds(1.5)).toBe(2);
    expect(roundSeconds(2.5)).toBe(3);
    expect(roundSeconds(2.4999)).toBe(2);
    expect(roundSeconds(0)).toBe(0);
  });
});

describe('splitPeerIP (confd parseIPPort)', () => {
  const cases: readonly (readonly [string, string, number])[] = [
    ['10.0.0.1', '10.0.0.1', 0],
    ['10.0.0.1:179', '10.0.0.1', 179],
    ['10.0.0.1:1790', '10.0.0.1', 1790],
    ['[ac13::57]:50', 'ac13::57', 50],
    ['ac13::57', 'ac13::57', 0], // too many colons: the whole text is the address
    ['[ac13::57]', '[ac13::57]', 0], // missing port: the whole text (not an address)
    ['10.0.0.1:', '10.0.0.1:', 0], // empty port
    ['10.0.0.1:65536', '10.0.0.1:65536', 0], // port out of range
    ['10.0.0.1:0x50', '10.0.0.1', 80], // ParseUint base 0
    ['10.0.0.1:050', '10.0.0.1', 40],
    ['10.0.0.1:0b11', '10.0.0.1', 3],
    ['10.0.0.1:1_79', '10.0.0.1', 179],
    ['10.0.0.1:0', '10.0.0.1', 0],
    ['10.0.0.1:x', '10.0.0.1:x', 0],
    ['[::1]x:5', '[::1]x:5', 0],
  ];
  for (const [input, host, port] of cases) {
    it(`${input} -> ${host} port ${port}`, () => expect(splitPeerIP(input)).toEqual({ host, port }));
  }
});

describe('hashRouterId (CALICO_ROUTER_ID=hash)', () => {
  it('is deterministic, four octets, never multicast or above', () => {
    const ids = Array.from({ length: 300 }, (_, i) => hashRouterId(`node-${i}`));
    expect(hashRouterId('node-1')).toBe(ids[1]);
    for (const id of ids) {
      const octets = id.split('.').map(Number);
      expect(octets).toHaveLength(4);
      expect(octets[0]).toBeLessThanOrEqual(223);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
  it('gives the id confd renders for node kube-master (its mesh/hash golden file: router id 25.79.212.8)', () => {
    expect(hashRouterId('kube-master')).toBe('25.79.212.8');
  });
});

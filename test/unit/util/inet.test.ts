import { isIP, isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { Address4, Address6 } from 'ip-address';
import { describe, expect, it } from 'vitest';
import {
  addressSortKey,
  canonicalAddress,
  canonicalPrefix,
  clearHostBits,
  comparePrefixes,
  familyOfText,
  formatAddress,
  formatIPv4,
  formatIPv4Bytes,
  formatIPv6Bytes,
  formatPrefix,
  inSubnet,
  isLinkLocalV6,
  parseAddress,
  parseIPv4,
  parseIPv4Range,
  parseIPv6Range,
  parsePrefix,
  parseCanonicalPrefix4,
  parsePrefix4,
  parsePrefix6,
  parseZonedAddress,
  prefixContains,
  prefixLength,
  unmapIPv4,
  writeIPv6,
} from '../../../src/util/inet.js';

/**
 * Property runs are seeded: WREN_INET_SEED=<n> replays a run; a failure prints the seed and the
 * counterexample (fast-check), and the seed in use is printed once.
 */
const SEED = Number(process.env['WREN_INET_SEED'] ?? 5952);
console.log(`util/inet property tests: seed ${SEED} (WREN_INET_SEED to replay)`);
const runs = (numRuns: number): fc.Parameters<unknown> => ({ seed: SEED, numRuns });

// ------------------------------------------------------------------ generators

/** A 16-bit group, zero half the time so "::" runs of every length show up. */
const group = fc.oneof(
  { weight: 4, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 0xf }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
);
const groupsArb = fc.array(group, { minLength: 8, maxLength: 8 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** Ordinary, all-zero (::), loopback, IPv4-mapped, IPv4-compatible and fe00::/8 addresses. */
const v6Groups = fc.oneof(
  { weight: 6, arbitrary: groupsArb },
  { weight: 1, arbitrary: fc.constant([0, 0, 0, 0, 0, 0, 0, 0]) },
  { weight: 1, arbitrary: fc.constant([0, 0, 0, 0, 0, 0, 0, 1]) },
  { weight: 2, arbitrary: u32.map((v) => [0, 0, 0, 0, 0, 0xffff, v >>> 16, v & 0xffff]) },
  { weight: 1, arbitrary: u32.map((v) => [0, 0, 0, 0, 0, 0, v >>> 16, v & 0xffff]) },
  // fe00..feff: link-local (fe80::/10) and its neighbours on both sides
  { weight: 1, arbitrary: groupsArb.map((g) => [0xfe00 | ((g[0] ?? 0) & 0xff), ...g.slice(1)]) },
);

const bytesOf = (g: readonly number[]): Uint8Array => {
  const b = new Uint8Array(16);
  g.forEach((x, i) => {
    b[2 * i] = x >>> 8;
    b[2 * i + 1] = x & 0xff;
  });
  return b;
};

interface Spelling {
  readonly upper: boolean;
  /** Extra leading zeros per group (up to 4 digits in all). */
  readonly pad: readonly number[];
  /** Which zero run to write as "::" (modulo the runs there are; one more = none), and how much of it. */
  readonly run: number;
  readonly runCut: number;
  /** The last 32 bits as a dotted quad. */
  readonly dotted: boolean;
  readonly zone: string | null;
}

const spellingArb: fc.Arbitrary<Spelling> = fc.record({
  upper: fc.boolean(),
  pad: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 }),
  run: fc.nat(8),
  runCut: fc.nat(7),
  dotted: fc.boolean(),
  zone: fc.option(fc.stringMatching(/^[a-z][a-z0-9.-]{0,14}$/), { freq: 4 }),
});

/** One of the many RFC 4291 2.2 ways to write the address whose groups are g. */
function spell(g: readonly number[], s: Spelling): string {
  const n = s.dotted ? 6 : 8;
  const parts = g.slice(0, n).map((x, i) => {
    const h = x.toString(16);
    const text = '0'.repeat(Math.min(4 - h.length, s.pad[i] ?? 0)) + h;
    return s.upper ? text.toUpperCase() : text;
  });
  const runs: [number, number][] = [];
  for (let i = 0; i < n; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && g[j] === 0) j++;
    runs.push([i, j - i]);
    i = j;
  }
  const pick = s.run % (runs.length + 1);
  const quad = `${(g[6] ?? 0) >>> 8}.${(g[6] ?? 0) & 0xff}.${(g[7] ?? 0) >>> 8}.${(g[7] ?? 0) & 0xff}`;
  let text: string;
  const chosen = runs[pick];
  if (chosen === undefined) {
    text = parts.join(':') + (s.dotted ? `:${quad}` : '');
  } else {
    const [start, len] = chosen;
    const cut = Math.min(s.runCut, len - 1); // compress part of the run: still valid, not canonical
    const head = parts.slice(0, start + cut).join(':');
    const tail = parts.slice(start + len).join(':');
    text = `${head}::${tail}`;
    if (s.dotted) text += (tail === '' ? '' : ':') + quad;
  }
  return s.zone === null ? text : `${text}%${s.zone}`;
}

const dottedQuad = u32.map(formatIPv4);
/** Address text as a socket, a config file or an operator may write it: either family, any spelling, maybe a zone. */
const addressText = fc.oneof(
  { weight: 1, arbitrary: dottedQuad },
  { weight: 4, arbitrary: fc.tuple(v6Groups, spellingArb).map(([g, s]) => spell(g, s)) },
);

// ------------------------------------------------------------------ IPv4

describe('IPv4 text', () => {
  it('formats and parses dotted quads both ways', () => {
    expect(formatIPv4(0x0a000101)).toBe('10.0.1.1');
    expect(formatIPv4(0xffffffff)).toBe('255.255.255.255');
    expect(parseIPv4('192.0.2.1')).toBe(0xc0000201);
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(formatIPv4Bytes(Buffer.from([9, 192, 0, 2, 1]), 1)).toBe('192.0.2.1');
  });

  it('accepts exactly what node:net accepts as IPv4 on tricky inputs', () => {
    const inputs = ['1.2.3.4', '01.2.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '', '1.2.3.4 ', 'a.b.c.d', '0.0.0.0', '255.255.255.255', '1.2.3.04', '1.2.3.4%eth0', '+1.2.3.4'];
    for (const s of inputs) expect(parseIPv4Range(s, 0, s.length) >= 0, s).toBe(isIPv4(s));
  });

  it('throws a TypeError on text that is not an address, a RangeError on bytes that are not there', () => {
    expect(() => parseIPv4('10.0.0')).toThrow(TypeError);
    expect(() => formatIPv4Bytes(Buffer.from([1, 2, 3]), 0)).toThrow(RangeError);
  });

  it('round-trips every u32 it is given (property)', () => {
    fc.assert(
      fc.property(u32, (v) => parseIPv4(formatIPv4(v)) === v),
      runs(20_000),
    );
  });
});

// ------------------------------------------------------------------ IPv6

describe('IPv6 text (RFC 5952)', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['fe80:0:0:0:0:0:0:1', 'fe80::1'],
    ['FE80::ABCD', 'fe80::abcd'],
    ['FD00:0:0:0:0:0:0:0', 'fd00::'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'],
    // RFC 5952 4.2.2: one zero group is not "::" even where it was written so.
    ['1::2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    // A dotted quad in the last 32 bits, and IPv4-mapped addresses: written in hex (see util/inet.ts).
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['::1.2.3.4', '::102:304'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
  ];
  for (const [input, want] of cases) {
    it(`writes ${input} as ${want}`, () => {
      expect(canonicalAddress(input)).toBe(want);
      expect(new Address6(input).correctForm()).toBe(want);
      expect(isIP(want)).toBe(6);
    });
  }

  it('rejects malformed text, as node:net does', () => {
    const out = Buffer.alloc(16);
    const bad = ['1:::2', ':1', '1:', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '::1.2.3', 'g::', '1:2:3:4:5:6:7::8', '', ':', '1.2.3.4', '1:2:3:4:5:6:7', '::1.2.3.04', '1.2.3.4::', '::ffff:1.2.3.4:1'];
    for (const s of bad) {
      expect(parseIPv6Range(s, 0, s.length, out, 0), s).toBe(false);
      expect(parseAddress(s) === null || s === '1.2.3.4', s).toBe(true);
      expect(isIPv6(s), s).toBe(false);
    }
    expect(() => writeIPv6(out, 0, 'fe80::1%eth0')).toThrow(TypeError);
  });

  it('formats a prefix given fewer than 16 bytes as if zero-padded', () => {
    expect(formatIPv6Bytes(Buffer.from([0x20, 0x01, 0x0d, 0xb8]), 0, 4)).toBe('2001:db8::');
    expect(formatIPv6Bytes(Buffer.alloc(0), 0, 0)).toBe('::');
    expect(() => formatIPv6Bytes(Buffer.alloc(8), 0)).toThrow(RangeError);
  });

  it('round-trips bytes -> canonical text -> bytes, and the text is what ip-address and node:net call canonical (property)', () => {
    fc.assert(
      fc.property(v6Groups, (g) => {
        const b = bytesOf(g);
        const text = formatIPv6Bytes(b, 0);
        const back = new Uint8Array(16);
        return parseIPv6Range(text, 0, text.length, back, 0) && Buffer.from(back).equals(b) && isIPv6(text) && text === new Address6(text).correctForm();
      }),
      runs(5_000),
    );
  });

  it('reads every spelling of an address as that address (property)', () => {
    fc.assert(
      fc.property(v6Groups, spellingArb, (g, s) => {
        const text = spell(g, { ...s, zone: null });
        const a = parseAddress(text);
        return a !== null && a.family === 6 && Buffer.from(a.bytes).equals(bytesOf(g)) && canonicalAddress(text) === formatIPv6Bytes(bytesOf(g), 0);
      }),
      runs(5_000),
    );
  });
});

// ------------------------------------------------------------------ addresses, zones, mapped

describe('addresses', () => {
  it('parses and formats both families', () => {
    expect(parseAddress('10.1.2.3')).toEqual({ family: 4, bytes: Buffer.from([10, 1, 2, 3]) });
    expect(parseAddress('::')).toEqual({ family: 6, bytes: Buffer.alloc(16) });
    expect(parseAddress('host.example')).toBeNull();
    expect(parseAddress('192.168.01.1')).toBeNull();
    for (const [text, canon] of [
      ['fd00:0:0:0:0:0:0:1', 'fd00::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['::', '::'],
      ['::ffff:192.168.1.1', '::ffff:c0a8:101'],
      ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
      ['192.0.2.1', '192.0.2.1'],
    ] as const) {
      expect(formatAddress(parseAddress(text)?.bytes ?? new Uint8Array(0))).toBe(canon);
    }
    expect(() => formatAddress(new Uint8Array(5))).toThrow(TypeError);
    expect(familyOfText('10.0.0.0/8')).toBe(4);
    expect(familyOfText('::/0')).toBe(6);
  });

  it('zone ids: refused by parseAddress, read by parseZonedAddress, dropped by canonicalAddress', () => {
    expect(parseAddress('fe80::1%eth0')).toBeNull();
    expect(parseZonedAddress('FE80::1%eth0')).toMatchObject({ family: 6, zone: 'eth0' });
    expect(parseZonedAddress('fe80::1')).not.toHaveProperty('zone');
    expect(parseZonedAddress('fd00::1%2')).toMatchObject({ family: 6, zone: '2' });
    for (const bad of ['fe80::1%', 'fe80::1%a%b', 'fe80::1%a b', '10.0.0.1%eth0', '%eth0', 'fe80::1%a/b']) expect(parseZonedAddress(bad), bad).toBeNull();
    expect(canonicalAddress('FE80:0::1%eth0')).toBe('fe80::1');
    // Not an address: unchanged, so it matches no peer.
    expect(canonicalAddress('10.0.0.1/24')).toBe('10.0.0.1/24');
    expect(canonicalAddress('peer-a')).toBe('peer-a');
  });

  it('unmaps IPv4-mapped IPv6 (any spelling) to IPv4 and leaves other addresses alone', () => {
    expect(unmapIPv4('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(unmapIPv4('::FFFF:10.0.0.1')).toBe('10.0.0.1');
    expect(unmapIPv4('::ffff:a00:1')).toBe('10.0.0.1');
    expect(unmapIPv4('0:0:0:0:0:ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(unmapIPv4('::10.0.0.1')).toBe('::10.0.0.1'); // IPv4-compatible: not mapped
    expect(unmapIPv4('fd00::1')).toBe('fd00::1');
    expect(unmapIPv4('fe80::1%eth0')).toBe('fe80::1%eth0');
    expect(unmapIPv4('10.0.0.1')).toBe('10.0.0.1');
    expect(unmapIPv4('')).toBe('');
  });

  it('knows link-local IPv6 addresses (fe80::/10) from the text', () => {
    for (const t of ['fe80::1', 'FE80::1', 'febf:ffff::1', 'fe80::1%eth0', 'fe80:0:0:0:0:0:0:1']) expect(isLinkLocalV6(t), t).toBe(true);
    for (const t of ['fe8::1', 'fd00::1', 'fec0::1', 'fe80', '::fe80:1', '10.0.0.1', 'fe7f::1', '']) expect(isLinkLocalV6(t), t).toBe(false);
  });

  it('agrees with the bytes on link-local for every address (property)', () => {
    fc.assert(
      fc.property(v6Groups, spellingArb, (g, s) => {
        const b = bytesOf(g);
        return isLinkLocalV6(spell(g, s)) === (b[0] === 0xfe && ((b[1] ?? 0) & 0xc0) === 0x80);
      }),
      runs(5_000),
    );
  });

  it('orders addresses numerically, IPv4 before IPv6', () => {
    expect(addressSortKey('10.0.0.9') < addressSortKey('10.0.0.10')).toBe(true);
    expect(addressSortKey('10.255.0.0') < addressSortKey('fd00::1')).toBe(true);
    expect(addressSortKey('nonsense') > addressSortKey('ffff::')).toBe(true);
    expect(['10.0.0.10/32', '10.0.0.9/32', 'fd00::/64', '10.0.0.0/8'].sort(comparePrefixes)).toEqual(['10.0.0.0/8', '10.0.0.9/32', '10.0.0.10/32', 'fd00::/64']);
  });

  it(`agrees with ip-address's canonical form on 100,000 random inputs, both families, mapped, zones (property, seed ${SEED})`, () => {
    const oracle = (t: string): string => (t.includes(':') ? new Address6(t).correctForm() : new Address4(t).correctForm());
    fc.assert(
      fc.property(addressText, (t) => {
        const zoned = parseZonedAddress(t);
        return zoned !== null && (t.includes('%') ? zoned.zone !== undefined : parseAddress(t) !== null) && canonicalAddress(t) === oracle(t);
      }),
      runs(100_000),
    );
  });

  it('accepts and refuses what node:net does on mangled text (property)', () => {
    const alphabet = fc.constantFrom(':', ':', '.', '%', '0', '1', '9', 'a', 'f', 'F', 'g', '/');
    const mangled = fc
      .tuple(addressText, fc.array(fc.tuple(fc.nat(40), fc.nat(2), alphabet), { minLength: 1, maxLength: 3 }))
      .map(([t, edits]) => {
        let s = t;
        for (const [at, kind, ch] of edits) {
          const i = at % (s.length + 1);
          s = kind === 0 ? s.slice(0, i) + s.slice(i + 1) : kind === 1 ? s.slice(0, i) + ch + s.slice(i) : s.slice(0, i) + ch + s.slice(i + 1);
        }
        return s;
      });
    fc.assert(
      fc.property(mangled, (t) => (parseZonedAddress(t) !== null) === (isIP(t) !== 0) && (parseAddress(t) !== null) === (isIP(t) !== 0 && !t.includes('%'))),
      runs(20_000),
    );
  });

  it('reads a zone id back as written and drops it from the canonical text (property)', () => {
    fc.assert(
      fc.property(v6Groups, spellingArb, fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,14}$/), (g, s, zone) => {
        const a = parseZonedAddress(spell(g, { ...s, zone }));
        return a !== null && a.zone === zone && Buffer.from(a.bytes).equals(bytesOf(g)) && canonicalAddress(spell(g, { ...s, zone })) === formatIPv6Bytes(bytesOf(g), 0);
      }),
      runs(5_000),
    );
  });
});

// ------------------------------------------------------------------ prefixes

describe('prefixes', () => {
  it('canonicalizes prefixes and clears host bits', () => {
    const cases: [string, string][] = [
      ['10.0.1.7/24', '10.0.1.0/24'],
      ['172.16.1.7/24', '172.16.1.0/24'],
      ['FD00:0001:0:0::/64', 'fd00:1::/64'],
      ['fd00:1:2:3::/40', 'fd00:1::/40'],
      ['fd00:172:16:1:ffff::/64', 'fd00:172:16:1::/64'],
      ['255.255.255.255/0', '0.0.0.0/0'],
      ['::ffff:10.0.0.1/128', '::ffff:a00:1/128'],
    ];
    for (const [text, want] of cases) expect(canonicalPrefix(text), text).toBe(want);
    expect(() => canonicalPrefix('10.0.0.0/33')).toThrow(TypeError);
  });

  it('reads the length strictly: decimal, in range, no leading zero, never implied', () => {
    for (const t of ['10.0.0.0', '10.0.0.0/', '10.0.0.0/08', '10.0.0.0/-1', '10.0.0.0/+8', '10.0.0.0/ 8', '10.0.0.0/24/1', '/24', '10.0.0.0/33', '::/129', '::/0128', 'fe80::/64%eth0', 'fe80::%eth0/64']) {
      expect(parsePrefix(t), t).toBeNull();
      expect(t.includes(':') ? parsePrefix6(t, new Uint8Array(16), 0) : parsePrefix4(t), t).toBe(-1);
    }
    expect(parsePrefix('0.0.0.0/0')).toMatchObject({ family: 4, len: 0, hostBits: false });
    expect(parsePrefix('::/128')).toMatchObject({ family: 6, len: 128, hostBits: false });
  });

  it('tells whether host bits were set', () => {
    expect(parsePrefix('172.16.0.1/24')).toEqual({ family: 4, bytes: Buffer.from([172, 16, 0, 0]), len: 24, hostBits: true });
    expect(parsePrefix('fd00::1:0/111')?.hostBits).toBe(true);
    expect(parsePrefix('fd00::1:0/112')?.hostBits).toBe(false);
    const b = new Uint8Array([10, 255, 255, 255]);
    expect(clearHostBits(b, 9)).toBe(true);
    expect([...b]).toEqual([10, 128, 0, 0]);
    expect(clearHostBits(b, 9)).toBe(false);
  });

  it('parseCanonicalPrefix4 takes only an IPv4 prefix whose text is already its canonical one', () => {
    expect(parseCanonicalPrefix4('10.1.0.0/16')).toBe(parsePrefix4('10.1.0.0/16'));
    expect(parseCanonicalPrefix4('0.0.0.0/0')).toBe(0);
    expect(parseCanonicalPrefix4('255.255.255.255/32')).toBe(0xffffffff * 64 + 32);
    expect(parseCanonicalPrefix4('128.0.0.0/1')).toBe(0x80000000 * 64 + 1);
    for (const t of ['10.1.2.3/16', '1.0.0.0/0', '128.0.0.1/31', '10.0.0.0/33', '010.0.0.0/8', 'fd00::/8', '10.0.0.0']) expect(parseCanonicalPrefix4(t), t).toBe(-1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (addr, len) => {
        const text = `${formatIPv4(addr)}/${len}`;
        expect(parseCanonicalPrefix4(text) >= 0).toBe(canonicalPrefix(text) === text);
      }),
      { seed: 4271, numRuns: 2000 },
    );
  });

  it('packs IPv4 prefixes into one number and IPv6 ones into caller bytes, host bits as written (the NLRI writer masks them)', () => {
    expect(parsePrefix4('10.1.0.0/16')).toBe(0x0a010000 * 64 + 16);
    expect(parsePrefix4('10.1.2.3/16')).toBe(0x0a010203 * 64 + 16);
    expect(parsePrefix4('255.255.255.255/32')).toBe(0xffffffff * 64 + 32);
    const out = new Uint8Array(20).fill(0xee);
    expect(parsePrefix6('fd00:1:2:3::1/48', out, 2)).toBe(48);
    expect(formatIPv6Bytes(out, 2)).toBe('fd00:1:2:3::1');
    expect(out[0]).toBe(0xee);
    expect(out[18]).toBe(0xee);
  });

  it('knows containment and subnets', () => {
    const outer = parsePrefix('172.16.0.0/12');
    const inner = parsePrefix('172.31.1.0/24');
    expect(outer && inner && prefixContains(outer, inner)).toBe(true);
    expect(outer && inner && prefixContains(inner, outer)).toBe(false);
    const v6 = parsePrefix('fd00::/8');
    expect(v6 && outer && prefixContains(v6, outer)).toBe(false);
    const cases: [address: string, subnet: string, inside: boolean][] = [
      ['192.168.1.200', '192.168.1.10/24', true],
      ['192.168.2.1', '192.168.1.10/24', false],
      ['fd00:1::11', 'fd00:1::10/64', true],
      ['fd00:2::11', 'fd00:1::10/64', false],
      ['fd00:1::11', '192.168.1.10/24', false],
      ['192.168.1.10', 'fd00:1::10/64', false],
      ['1.2.3.4', '0.0.0.0/0', true],
      ['255.255.255.255', '255.255.255.254/31', true],
      ['10.0.0.1', '10.0.0.1/32', true],
      ['10.0.0.2', '10.0.0.1/32', false],
      ['10.0.0.1', '10.0.0.1', false],
      ['10.0.0.1', '10.0.0.0/x', false],
      ['fe80::1%eth0', 'fe80::/10', false], // zone ids are the caller's to drop
    ];
    for (const [address, subnet, inside] of cases) expect(inSubnet(address, subnet), `${address} in ${subnet}`).toBe(inside);
  });

  it('agrees with ip-address on subnet membership, both families (property)', () => {
    /** `other` with its first `len` bits taken from `net`: an address inside the subnet. */
    const inside = (net: Uint8Array, other: Uint8Array, len: number): Uint8Array => {
      const out = new Uint8Array(other);
      for (let i = 0; i < len; i++) {
        const bit = 0x80 >>> (i & 7);
        out[i >>> 3] = ((out[i >>> 3] ?? 0) & ~bit) | ((net[i >>> 3] ?? 0) & bit);
      }
      return out;
    };
    const v4Bytes = u32.map((v) => new Uint8Array([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]));
    const subnetCase = fc
      .oneof(fc.tuple(v4Bytes, v4Bytes, fc.integer({ min: 0, max: 32 })), fc.tuple(v6Groups.map(bytesOf), v6Groups.map(bytesOf), fc.integer({ min: 0, max: 128 })))
      .chain(([a, n, len]) => fc.boolean().map((into) => [formatAddress(into ? inside(n, a, len) : a), `${formatAddress(n)}/${len}`] as const));
    fc.assert(
      fc.property(subnetCase, ([addr, net]) => {
        const want = addr.includes(':') ? new Address6(addr).isInSubnet(new Address6(net)) : new Address4(addr).isInSubnet(new Address4(net));
        return inSubnet(addr, net) === want;
      }),
      runs(6_000),
    );
  });

  it('round-trips prefixes of both families: parse(format(p)) == p, canonical text is a fixed point (property)', () => {
    const prefix = fc.oneof(
      fc.tuple(u32, fc.integer({ min: 0, max: 32 })).map(([v, len]) => ({ bytes: new Uint8Array([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]), len })),
      fc.tuple(v6Groups, fc.integer({ min: 0, max: 128 })).map(([g, len]) => ({ bytes: bytesOf(g), len })),
    );
    fc.assert(
      fc.property(prefix, ({ bytes, len }) => {
        const withHost = formatPrefix({ bytes, len });
        const p = parsePrefix(withHost);
        if (p === null) return false;
        const net = new Uint8Array(bytes);
        const hadHostBits = clearHostBits(net, len);
        const text = formatPrefix(p);
        const again = parsePrefix(text);
        return (
          p.len === len &&
          p.hostBits === hadHostBits &&
          Buffer.from(p.bytes).equals(net) &&
          canonicalPrefix(withHost) === text &&
          canonicalPrefix(text) === text &&
          again !== null &&
          !again.hostBits &&
          Buffer.from(again.bytes).equals(net) &&
          prefixLength(text) === len &&
          inSubnet(formatAddress(bytes), withHost) &&
          prefixContains(p, again)
        );
      }),
      runs(10_000),
    );
  });

  it('reads the length of prefix text without parsing it', () => {
    expect(prefixLength('10.0.0.0/8')).toBe(8);
    expect(prefixLength('fd00::/128')).toBe(128);
    expect(prefixLength('10.0.0.1')).toBe(32);
    expect(prefixLength('fd00::1')).toBe(128);
  });
});

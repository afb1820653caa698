import { describe, expect, it } from 'vitest';
import {
  decodeMultipath,
  decodeRoute,
  encodeAttr,
  encodeDelRoute,
  encodeDelRouteMsg,
  encodeMultipath,
  encodeNewRoute,
  encodeNewRouteMsg,
  encodeNlmsg,
  hopBytes,
  NLM_F,
  RTM,
  setDstPrefix,
  setDstV4,
  toKernelRouteFromDecoded,
  writeDelRouteMsg,
  writeNewRouteMsg,
} from '../../../src/kernel/rtmsg.js';
import { PackedBatchBuilder, unpackUnits } from '../../../src/kernel/packed-batch.js';
import type { KernelRoute } from '../../../src/kernel/port.js';

/** Hex of a buffer, spaces ignored in expectations (bytes below are little-endian, linux-x64). */
const hex = (b: Buffer): string => b.toString('hex');
const h = (s: string): string => s.replaceAll(' ', '');

describe('rtnetlink route encoding', () => {
  it('pads an attribute to 4 bytes but counts only header + value in rta_len', () => {
    expect(hex(encodeAttr(1, Buffer.from([172, 16, 1])))).toBe(h('0700 0100 ac1001 00'));
  });

  it('encodes one rtnexthop record per ECMP hop: len, flags, hops = weight-1, ifindex, RTA_GATEWAY', () => {
    const mp = encodeMultipath([
      { via: '192.168.1.11', ifindex: 2 },
      { via: '192.168.1.12', ifindex: 3, onlink: true, weight: 3 },
    ]);
    expect(hex(mp)).toBe(
      h(
        '1000 00 00 02000000  0800 0500 c0a8010b' + // len 16, flags 0, hops 0, ifindex 2, RTA_GATEWAY
          '1000 04 02 03000000  0800 0500 c0a8010c', // flags RTNH_F_ONLINK, hops 2 (weight 3), ifindex 3
      ),
    );
    expect(decodeMultipath(mp)).toEqual([
      { via: '192.168.1.11', ifindex: 2, flags: 0, weight: 1 },
      { via: '192.168.1.12', ifindex: 3, flags: 4, weight: 3 },
    ]);
  });

  it('encodes an IPv6 hop with a 16-byte gateway (record length 28)', () => {
    const mp = encodeMultipath([{ via: 'fd00:1::11', ifindex: 2 }]);
    expect(hex(mp)).toBe(h('1c00 00 00 02000000 1400 0500 fd000001000000000000000000000011'));
  });

  it('encodes RTM_NEWROUTE for `172.16.1.0/24 via 192.168.1.11 dev tunl0 onlink proto bird` without the device existing', () => {
    const r: KernelRoute = {
      prefix: '172.16.1.0/24',
      table: 254,
      protocol: 12,
      metric: 0,
      type: 'unicast',
      nextHops: [{ via: '192.168.1.11', dev: 'tunl0', ifindex: 7, onlink: true }],
    };
    expect(hex(encodeNewRoute(r))).toBe(
      h(
        '02 18 00 00 fe 0c 00 01 04000000' + // rtmsg: AF_INET, /24, table main, proto 12, scope universe, unicast, RTNH_F_ONLINK
          '0800 0f00 fe000000' + // RTA_TABLE 254
          '0800 0100 ac100100' + // RTA_DST
          '0800 0600 00000000' + // RTA_PRIORITY 0
          '0800 0500 c0a8010b' + // RTA_GATEWAY
          '0800 0400 07000000', // RTA_OIF 7
      ),
    );
  });

  it('puts table ids above 255 only in RTA_TABLE (rtm_table = RT_TABLE_UNSPEC)', () => {
    const b = encodeNewRoute({ prefix: '10.0.0.0/8', table: 1000, protocol: 12, metric: 50, type: 'blackhole', nextHops: [] });
    expect(hex(b)).toBe(h('02 08 00 00 00 0c 00 06 00000000  0800 0f00 e8030000  0800 0100 0a000000  0800 0600 32000000'));
  });

  it('encodes an ECMP route with RTA_MULTIPATH and no RTA_GATEWAY', () => {
    const b = encodeNewRoute({
      prefix: '172.16.1.0/24',
      table: 254,
      protocol: 12,
      metric: 10,
      type: 'unicast',
      nextHops: [{ via: '192.168.1.11' }, { via: '192.168.1.12' }],
    });
    expect(hex(b.subarray(36))).toBe(h('2400 0900' + '1000 0000 00000000 0800 0500 c0a8010b' + '1000 0000 00000000 0800 0500 c0a8010c'));
  });

  it('encodes RTM_DELROUTE with our protocol, scope NOWHERE and type UNSPEC', () => {
    const b = encodeDelRoute({ prefix: 'fd00:172:16:1::/64', table: 254, protocol: 12, metric: 1024 });
    expect(hex(b.subarray(0, 12))).toBe(h('0a 40 00 00 fe 0c ff 00 00000000'));
    expect(hex(b.subarray(12))).toBe(h('0800 0f00 fe000000  1400 0100 fd000172001600010000000000000000  0800 0600 00040000'));
  });

  it('decodes what it encodes back into the same KernelRoute', () => {
    const r: KernelRoute = {
      prefix: '172.16.1.0/24',
      table: 1000,
      protocol: 12,
      metric: 10,
      type: 'unicast',
      nextHops: [
        { via: '192.168.1.11', dev: 'eth0', ifindex: 2 },
        { via: '10.0.0.12', dev: 'tunl0', ifindex: 7, onlink: true, weight: 2 },
      ],
    };
    const d = decodeRoute(encodeNewRoute(r));
    expect(d).toMatchObject({ family: 2, table: 1000, protocol: 12, metric: 10, prefix: '172.16.1.0/24' });
    const back = toKernelRouteFromDecoded(d!, new Map([[2, 'eth0'], [7, 'tunl0']]));
    expect(back).toEqual(r);
    const bh = decodeRoute(encodeNewRoute({ prefix: '::/0', table: 254, protocol: 12, metric: 1024, type: 'blackhole', nextHops: [] }));
    expect(toKernelRouteFromDecoded(bh!, new Map())).toEqual({ prefix: '::/0', table: 254, protocol: 12, metric: 1024, type: 'blackhole', nextHops: [] });
  });

  it('gives null for a connected route (no gateway) and for non-IP families', () => {
    const rtmsg = Buffer.from(h('02 18 00 00 fe 02 fd 01 00000000 0800 0400 02000000'), 'hex');
    expect(toKernelRouteFromDecoded(decodeRoute(rtmsg)!, new Map())).toBeNull();
    expect(decodeRoute(Buffer.from(h('07 00 00 00 00 00 00 00 00000000'), 'hex'))).toBeNull();
  });
});

describe('whole route messages, encoded in one pass (decision 0012)', () => {
  const ecmp6: KernelRoute = {
    prefix: 'fd00:1::/64',
    table: 254,
    protocol: 12,
    metric: 1024,
    type: 'unicast',
    nextHops: [{ via: 'fd00::11', ifindex: 2, weight: 3 }, { via: '10.0.0.1', ifindex: 3, onlink: true }],
  };
  it('is the nlmsghdr (length, type, REQUEST|ACK and the flags, seq, pid 0) followed by the payload', () => {
    const msg = encodeNewRouteMsg(4711, NLM_F.CREATE | NLM_F.EXCL, ecmp6, ecmp6.nextHops.map(hopBytes));
    expect(msg.equals(encodeNlmsg(RTM.NEWROUTE, NLM_F.CREATE | NLM_F.EXCL, 4711, encodeNewRoute(ecmp6)))).toBe(true);
    expect(msg.readUInt32LE(0)).toBe(msg.length);
    expect(msg.readUInt16LE(6)).toBe(NLM_F.CREATE | NLM_F.EXCL | 0x1 | 0x4);
    const del = encodeDelRouteMsg(9, ecmp6);
    expect(del.equals(encodeNlmsg(RTM.DELROUTE, 0, 9, encodeDelRoute(ecmp6)))).toBe(true);
  });
  it('round-trips ECMP with weights, an RTA_VIA record and onlink', () => {
    const back = toKernelRouteFromDecoded(decodeRoute(encodeNewRoute(ecmp6))!, new Map());
    expect(back).toEqual(ecmp6);
  });
  it('clears host bits of the destination and leaves no stale bytes from the buffer pool', () => {
    for (let i = 0; i < 50; i++) Buffer.allocUnsafe(64).fill(0xff); // dirty the pool
    const b = encodeDelRoute({ prefix: '10.1.2.3/8', table: 254, protocol: 12, metric: 0 });
    expect(hex(b)).toBe(h('02 08 00 00 fe 0c ff 00 00000000  0800 0f00 fe000000  0800 0100 0a000000  0800 0600 00000000'));
    const v6 = encodeNewRoute({ prefix: 'fd00:1:2:3::1/48', table: 254, protocol: 12, metric: 1024, type: 'blackhole', nextHops: [] });
    expect(decodeRoute(v6)?.prefix).toBe('fd00:1:2::/48');
  });
  it('refuses a unicast route without next hops and text that is not a prefix', () => {
    expect(() => encodeNewRoute({ prefix: '10.0.0.0/8', table: 254, protocol: 12, metric: 0, type: 'unicast', nextHops: [] })).toThrow(/without next hops/);
    expect(() => encodeDelRoute({ prefix: '10.0.0.0', table: 254, protocol: 12, metric: 0 })).toThrow(/not an IP prefix/);
  });
});

describe('RFC 8950: an IPv4 route with an IPv6 next hop', () => {
  const route: KernelRoute = { prefix: '172.16.5.0/24', table: 254, protocol: 12, metric: 0, type: 'unicast', nextHops: [{ via: 'fd00::2', ifindex: 3 }] };
  it('uses RTA_VIA (family AF_INET6 + 16 bytes) instead of RTA_GATEWAY', () => {
    const b = encodeNewRoute(route);
    // RTA_VIA: len 4 + 2 + 16 = 22 (padded to 24), type 18, family 10, then the address.
    expect(hex(b)).toContain(h('1600 1200 0a00 fd000000000000000000000000000002'));
    expect(hex(b)).not.toContain(h('1400 0500'));
  });
  it('decodes RTA_VIA back into the same next hop', () => {
    const d = decodeRoute(encodeNewRoute(route));
    expect(d?.nextHops[0]?.via).toBe('fd00::2');
    expect(toKernelRouteFromDecoded(d!, new Map([[3, 'eth0']]))?.nextHops).toEqual([{ via: 'fd00::2', dev: 'eth0', ifindex: 3 }]);
  });
  it('uses RTA_VIA inside RTA_MULTIPATH records too', () => {
    const mp = encodeMultipath([{ via: 'fd00::2' }, { via: 'fd00::3' }], 4);
    expect(decodeMultipath(mp).map((x) => x.via)).toEqual(['fd00::2', 'fd00::3']);
  });
});

describe('route messages written straight into a packed batch', () => {
  const hops = (r: KernelRoute) => (r.type === 'blackhole' ? [] : r.nextHops.map(hopBytes));
  const routes: KernelRoute[] = [
    { prefix: '10.65.1.0/26', table: 254, protocol: 12, metric: 0, type: 'unicast', nextHops: [{ via: '10.0.0.2', ifindex: 3 }] },
    { prefix: '10.65.2.0/26', table: 1000, protocol: 12, metric: 5, type: 'unicast', nextHops: [{ via: '10.0.0.2', onlink: true }, { via: '10.0.0.3', weight: 2 }] },
    { prefix: '10.65.3.0/26', table: 254, protocol: 12, metric: 0, type: 'blackhole', nextHops: [] },
    { prefix: 'fd00:1::/122', table: 254, protocol: 12, metric: 1024, type: 'unicast', nextHops: [{ via: 'fe80::1', ifindex: 2 }] },
    { prefix: '10.65.4.0/26', table: 254, protocol: 12, metric: 0, type: 'unicast', nextHops: [{ via: 'fd00::1', ifindex: 2 }] },
  ];

  it('writes the same bytes as the one-message encoders, back to back', () => {
    const into = new PackedBatchBuilder(1, 8); // grows several times
    let seq = 100;
    for (const r of routes) {
      setDstPrefix(r.prefix);
      writeDelRouteMsg(into, seq++, r);
      writeNewRouteMsg(into, seq++, NLM_F.CREATE | NLM_F.EXCL, r, hops(r));
      into.endUnit();
    }
    const got = unpackUnits(into.build()).flat().map((m) => Buffer.from(m.bytes).toString('hex'));
    seq = 100;
    const want = routes.flatMap((r) => [hex(encodeDelRouteMsg(seq++, r)), hex(encodeNewRouteMsg(seq++, NLM_F.CREATE | NLM_F.EXCL, r, hops(r)))]);
    expect(got).toEqual(want);
  });

  it('an IPv4 destination given as a number (setDstV4) is the one its text gives, for every length (seeded)', () => {
    let x = 0x2545f491;
    const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 2000; i++) {
      const len = i % 33;
      const addr = len === 0 ? 0 : (next() & (0xffffffff << (32 - len))) >>> 0;
      const text = `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}/${len}`;
      const a = new PackedBatchBuilder(1);
      setDstPrefix(text);
      writeDelRouteMsg(a, 1, { prefix: text, table: 254, metric: 0, protocol: 12 });
      const b = new PackedBatchBuilder(1);
      setDstV4(addr * 64 + len);
      writeDelRouteMsg(b, 1, { prefix: text, table: 254, metric: 0, protocol: 12 });
      expect(hex(Buffer.from(b.build().bytes))).toBe(hex(Buffer.from(a.build().bytes)));
    }
  });
});

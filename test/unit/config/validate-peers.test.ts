import { describe, expect, it } from 'vitest';
import { BASE, problems, valid, withPeers } from './helpers.js';

interface Case {
  readonly rule: string;
  readonly config: unknown;
  readonly expected: readonly string[];
}

const ibgp = { address: '192.168.1.11', asn: 64512 } as const;
const ebgp = { address: '192.168.1.1', asn: 65001 } as const;

const cases: readonly Case[] = [
  { rule: 'refuses peers that is not an array', config: { ...BASE, peers: {} }, expected: ['$.peers: expected an array of peers (got {})'] },
  { rule: 'refuses a peer that is not an object', config: withPeers('192.168.1.11'), expected: ['$.peers[0]: expected an object (got "192.168.1.11")'] },
  {
    rule: 'refuses a peer with both address and addressRange',
    config: withPeers({ ...ibgp, addressRange: '192.168.1.0/24' }),
    expected: ['$.peers[0]: give either address or addressRange, not both'],
  },
  { rule: 'refuses a peer with neither address nor addressRange', config: withPeers({ asn: 64512 }), expected: ['$.peers[0].address: required (or addressRange for dynamic peers)'] },
  {
    rule: 'refuses a peer name with control characters',
    config: withPeers({ ...ibgp, name: 'node\u0007' }),
    expected: ['$.peers[0].name: expected 1..64 printable characters (got "node\\u0007")'],
  },
  { rule: 'requires the peer asn', config: withPeers({ address: '192.168.1.11' }), expected: ['$.peers[0].asn: required'] },
  {
    rule: 'refuses a peer asn given as a string, with the path of the peer',
    config: withPeers(ibgp, { address: '192.168.1.12', asn: '65001' }),
    expected: ['$.peers[1].asn: expected an integer 1..4294967295 (got "65001")'],
  },
  {
    rule: 'refuses a peer address with a zone id',
    config: withPeers({ address: 'fe80::1%eth0', asn: 64512 }),
    expected: ['$.peers[0].address: expected an IPv4 or IPv6 address such as "192.168.1.11" or "fd00::11" (got "fe80::1%eth0")'],
  },
  {
    rule: 'refuses an addressRange with host bits set',
    config: withPeers({ addressRange: '192.168.1.1/24', asn: 64512 }),
    expected: ['$.peers[0].addressRange: host bits are set: the network is "192.168.1.0/24" (got "192.168.1.1/24")'],
  },
  { rule: 'refuses maxPeers without addressRange', config: withPeers({ ...ibgp, maxPeers: 10 }), expected: ['$.peers[0].maxPeers: only applies with addressRange (got 10)'] },
  {
    rule: 'refuses passive: false on a dynamic-peer range',
    config: withPeers({ addressRange: '192.168.1.0/24', asn: 64512, passive: false }),
    expected: ['$.peers[0].passive: a dynamic-peer range (addressRange) is always passive (got false)'],
  },
  {
    rule: 'refuses a localAddress of the other family',
    config: withPeers({ ...ibgp, localAddress: 'fd00::10' }),
    expected: ["$.peers[0].localAddress: must be an IPv4 address, like the peer's (got \"fd00::10\")"],
  },
  { rule: 'refuses port 70000', config: withPeers({ ...ibgp, port: 70000 }), expected: ['$.peers[0].port: expected an integer 1..65535 (got 70000)'] },
  { rule: 'refuses localAs 0', config: withPeers({ ...ibgp, localAs: 0 }), expected: ['$.peers[0].localAs: expected an integer 1..4294967295 (got 0)'] },
  {
    rule: 'refuses routeReflectorClient on an eBGP peer (RFC 4456)',
    config: withPeers({ ...ebgp, routeReflectorClient: true, import: 'all', export: 'all' }),
    expected: ['$.peers[0].routeReflectorClient: requires iBGP: asn (65001) must equal the local AS (64512) (got true)'],
  },
  {
    rule: 'refuses ebgpMultihop on an iBGP peer',
    config: withPeers({ ...ibgp, ebgpMultihop: 2 }),
    expected: ['$.peers[0].ebgpMultihop: applies to eBGP sessions only (this peer is iBGP) (got 2)'],
  },
  {
    rule: 'refuses ttlSecurity together with ebgpMultihop',
    config: withPeers({ ...ebgp, ebgpMultihop: 2, ttlSecurity: 1 }),
    expected: ['$.peers[0].ttlSecurity: cannot be combined with ebgpMultihop (got 1)'],
  },
  { rule: 'refuses ttlSecurity 255', config: withPeers({ ...ebgp, ttlSecurity: 255 }), expected: ['$.peers[0].ttlSecurity: expected an integer 1..254 (got 255)'] },
  { rule: 'refuses ebgpMultihop 0', config: withPeers({ ...ebgp, ebgpMultihop: 0 }), expected: ['$.peers[0].ebgpMultihop: expected an integer 1..255 (got 0)'] },
  {
    rule: 'refuses a password longer than 80 bytes (TCP MD5)',
    config: withPeers({ ...ebgp, password: 'é'.repeat(41) }),
    expected: [`$.peers[0].password: expected 1..80 bytes (TCP MD5 key) (got "${'é'.repeat(41)}")`],
  },
  { rule: 'refuses an empty password', config: withPeers({ ...ebgp, password: '' }), expected: ['$.peers[0].password: expected 1..80 bytes (TCP MD5 key) (got "")'] },
  { rule: 'refuses allowasIn above 10', config: withPeers({ ...ibgp, allowasIn: 11 }), expected: ['$.peers[0].allowasIn: expected an integer 0..10 (got 11)'] },
  {
    rule: 'refuses an unknown address family',
    config: withPeers({ ...ibgp, families: ['ipv4-multicast'] }),
    expected: ['$.peers[0].families[0]: expected "ipv4-unicast" or "ipv6-unicast" (got "ipv4-multicast")'],
  },
  {
    rule: 'refuses a family listed twice',
    config: withPeers({ ...ibgp, families: ['ipv4-unicast', 'ipv4-unicast'] }),
    expected: ['$.peers[0].families: lists a family twice (got ["ipv4-unicast","ipv4-unicast"])'],
  },
  { rule: 'refuses an empty family list', config: withPeers({ ...ibgp, families: [] }), expected: ['$.peers[0].families: expected at least one family (got [])'] },
  {
    rule: 'refuses an import prefix entry whose ge is below the prefix length',
    config: withPeers({ ...ibgp, importPrefixes: [{ prefix: '10.0.0.0/16', ge: 8 }] }),
    expected: ['$.peers[0].importPrefixes[0].ge: ge must be 16..32 (prefix length..32) (got 8)'],
  },
  {
    rule: 'refuses an import prefix entry whose le is below its ge',
    config: withPeers({ ...ibgp, importPrefixes: [{ prefix: '10.0.0.0/16', ge: 24, le: 20 }] }),
    expected: ['$.peers[0].importPrefixes[0].le: le must be 24..32 (ge..32) (got 20)'],
  },
  {
    rule: 'refuses an IPv4 import prefix entry with le above 32',
    config: withPeers({ ...ibgp, importPrefixes: [{ prefix: '10.0.0.0/16', le: 33 }] }),
    expected: ['$.peers[0].importPrefixes[0].le: le must be 16..32 (ge..32) (got 33)'],
  },
  {
    rule: 'refuses an unknown key in an import prefix entry',
    config: withPeers({ ...ibgp, importPrefixes: [{ prefix: '10.0.0.0/16', max: 24 }] }),
    expected: ['$.peers[0].importPrefixes[0].max: unknown key'],
  },
  {
    rule: 'refuses an import prefix list naming the default route while acceptDefaultRoute is false',
    config: withPeers({ ...ibgp, importPrefixes: [{ prefix: '0.0.0.0/0' }] }),
    expected: ['$.peers[0].importPrefixes[0]: lists the default route, which acceptDefaultRoute: false refuses (got "0.0.0.0/0")'],
  },
  { rule: 'refuses a maxPrefix limit of 0', config: withPeers({ ...ibgp, maxPrefix: { limit: 0 } }), expected: ['$.peers[0].maxPrefix.limit: expected an integer 1..4294967295 (got 0)'] },
  {
    rule: 'refuses an unknown maxPrefix action',
    config: withPeers({ ...ibgp, maxPrefix: { limit: 10, action: 'drop' } }),
    expected: ['$.peers[0].maxPrefix.action: expected "warn" or "stop" (got "drop")'],
  },
  {
    rule: 'refuses maxPrefix.restartAfter with action warn',
    config: withPeers({ ...ibgp, maxPrefix: { limit: 10, action: 'warn', restartAfter: 60 } }),
    expected: ['$.peers[0].maxPrefix.restartAfter: only applies with action "stop" (got 60)'],
  },
  {
    rule: 'refuses a peer keepaliveTime not below the peer holdTime',
    config: withPeers({ ...ibgp, holdTime: 9, keepaliveTime: 9 }),
    expected: ['$.peers[0].keepaliveTime: must be less than holdTime (9) (got 9)'],
  },
  {
    rule: 'refuses a peer keepaliveTime not below the inherited global holdTime',
    config: { ...withPeers({ ...ibgp, keepaliveTime: 40 }), timers: { holdTime: 30 } },
    expected: ['$.peers[0].keepaliveTime: must be less than holdTime (30) (got 40)'],
  },
  {
    rule: 'refuses the same peer address twice, however it is spelled',
    config: withPeers({ address: 'fd00::11', asn: 64512 }, { address: 'FD00:0::11', asn: 64512 }),
    expected: ['$.peers[1].address: duplicate peer (also at $.peers[0].address) (got "fd00::11")'],
  },
  {
    rule: 'refuses the same addressRange twice',
    config: withPeers({ addressRange: '10.0.0.0/8', asn: 64512 }, { addressRange: '10.0.0.0/8', asn: 64512 }),
    expected: ['$.peers[1].addressRange: duplicate peer (also at $.peers[0].addressRange) (got "10.0.0.0/8")'],
  },
  {
    rule: 'refuses two peers with the same name',
    config: withPeers({ ...ibgp, name: 'node' }, { address: '192.168.1.12', asn: 64512, name: 'node' }),
    expected: ['$.peers[1].name: duplicate peer name (also at $.peers[0].name) (got "node")'],
  },
  {
    rule: 'refuses an unknown peer key and suggests the close one',
    config: withPeers({ ...ibgp, pasive: true }),
    expected: ['$.peers[0].pasive: unknown key (did you mean "passive"?)'],
  },
  {
    rule: 'refuses an import naming an unknown policy, at the path of the reference',
    config: { ...withPeers({ ...ibgp, import: 'from-tor' }), policies: { 'to-tor': {} } },
    expected: ['$.peers[0].import: unknown policy (defined: "to-tor") (got "from-tor")'],
  },
  {
    rule: 'refuses an export that is neither a keyword, a name nor a policy',
    config: withPeers({ ...ibgp, export: 1 }),
    expected: ['$.peers[0].export: expected "all", "none", a policy name or a policy object (got 1)'],
  },
  {
    rule: 'reports problems inside an inline policy at their own path',
    config: withPeers({ ...ibgp, export: { rules: [{ action: 'drop' }] } }),
    expected: ['$.peers[0].export.rules[0].action: expected one of "accept", "reject", "next" (got "drop")'],
  },
  {
    rule: 'does not call a reference unknown when the policy exists but is itself invalid',
    config: { ...withPeers({ ...ibgp, import: 'p' }), policies: { p: { default: 'maybe' } } },
    expected: ['$.policies.p.default: expected "accept" or "reject" (got "maybe")'],
  },
];

describe('validateConfig: peers', () => {
  it.each(cases)('$rule', ({ config, expected }) => {
    expect(problems(config)).toEqual(expected);
  });

  it('allows a peer address inside a dynamic range (the explicit entry wins)', () => {
    expect(problems(withPeers({ addressRange: '192.168.1.0/24', asn: 64512 }, ibgp))).toEqual([]);
  });

  it('allows routeReflectorClient when localAs makes the session iBGP', () => {
    expect(problems(withPeers({ address: '192.168.1.1', asn: 65001, localAs: 65001, routeReflectorClient: true }))).toEqual([]);
  });

  it('reports several problems of one peer together', () => {
    expect(problems(withPeers({ address: '192.168.1.11', asn: 'x', port: 0, typo: 1 }))).toEqual([
      '$.peers[0].typo: unknown key',
      '$.peers[0].asn: expected an integer 1..4294967295 (got "x")',
      '$.peers[0].port: expected an integer 1..65535 (got 0)',
    ]);
  });

  it('still checks relations between valid keys when another key of the peer is invalid', () => {
    expect(problems(withPeers({ ...ibgp, port: 0, ebgpMultihop: 3 }))).toEqual([
      '$.peers[0].port: expected an integer 1..65535 (got 0)',
      '$.peers[0].ebgpMultihop: applies to eBGP sessions only (this peer is iBGP) (got 3)',
    ]);
  });
});

describe('validateConfig: peer defaults and derived values', () => {
  it('fills every peer default', () => {
    const p = valid(withPeers(ibgp)).peers[0];
    expect(p).toEqual({
      kind: 'static',
      key: '192.168.1.11',
      address: '192.168.1.11',
      asn: 64512,
      localAs: 64512,
      type: 'ibgp',
      port: 179,
      passive: false,
      holdTime: 90,
      keepaliveTime: 30,
      connectRetryTime: 120,
      families: ['ipv4-unicast', 'ipv6-unicast'],
      routeReflectorClient: false,
      nextHopSelf: false,
      enabled: true,
      allowasIn: 0,
      gracefulRestart: true,
      acceptDefaultRoute: false,
      communities: [],
      largeCommunities: [],
      import: { kind: 'all' },
      export: { kind: 'all' },
      addPath: { receive: false, send: false },
    });
  });

  it('imports and exports nothing on an eBGP session without policy (RFC 8212)', () => {
    const p = valid(withPeers(ebgp)).peers[0];
    expect(p?.type).toBe('ebgp');
    expect(p?.import).toEqual({ kind: 'none' });
    expect(p?.export).toEqual({ kind: 'none' });
  });

  it('imports and exports everything on an eBGP session when ebgpRequiresPolicy is false', () => {
    const p = valid({ ...withPeers(ebgp), ebgpRequiresPolicy: false }).peers[0];
    expect(p?.import).toEqual({ kind: 'all' });
    expect(p?.export).toEqual({ kind: 'all' });
  });

  it('derives the keepalive from the peer hold time when only that is given', () => {
    const p = valid({ ...withPeers({ ...ibgp, holdTime: 9 }), timers: { holdTime: 240 } }).peers[0];
    expect([p?.holdTime, p?.keepaliveTime]).toEqual([9, 3]);
  });

  it('inherits the global timers', () => {
    const p = valid({ ...withPeers(ibgp), timers: { holdTime: 30, connectRetryTime: 5 } }).peers[0];
    expect([p?.holdTime, p?.keepaliveTime, p?.connectRetryTime]).toEqual([30, 10, 5]);
  });

  it('takes the send hold time (RFC 9687) from the peer, else timers, else leaves it to the RFC default', () => {
    expect(valid(withPeers(ibgp)).peers[0]?.sendHoldTime).toBeUndefined();
    expect(valid({ ...withPeers(ibgp), timers: { sendHoldTime: 600 } }).peers[0]?.sendHoldTime).toBe(600);
    expect(valid({ ...withPeers({ ...ibgp, sendHoldTime: 0 }), timers: { sendHoldTime: 600 } }).peers[0]?.sendHoldTime).toBe(0);
  });

  it('makes a dynamic range passive with room for 100 peers', () => {
    const p = valid(withPeers({ addressRange: '192.168.1.0/24', asn: 64512 })).peers[0];
    expect(p).toMatchObject({ kind: 'dynamic', key: '192.168.1.0/24', addressRange: '192.168.1.0/24', passive: true, maxPeers: 100 });
  });

  it('writes IPv6 addresses in RFC 5952 form', () => {
    const p = valid(withPeers({ address: 'FD00:0:0::0011', asn: 64512, localAddress: 'fd00:0::10' })).peers[0];
    expect(p).toMatchObject({ key: 'fd00::11', address: 'fd00::11', localAddress: 'fd00::10' });
  });

  it('uses localAs as our AS on the session and to decide iBGP', () => {
    const p = valid(withPeers({ address: '192.168.1.1', asn: 65001, localAs: 65001 })).peers[0];
    expect([p?.localAs, p?.type]).toEqual([65001, 'ibgp']);
  });

  it('resolves a named policy into the peer reference', () => {
    const c = valid({ ...withPeers({ ...ebgp, import: 'in' }), policies: { in: { default: 'accept' } } });
    expect(c.peers[0]?.import).toEqual({ kind: 'named', name: 'in', policy: { rules: [], default: 'accept' } });
  });

  it('turns community text into numbers and large communities into triples', () => {
    const p = valid(withPeers({ ...ibgp, communities: ['64512:100', 'no-export'], largeCommunities: ['64512:1:2'] })).peers[0];
    expect(p?.communities).toEqual([64512 * 65536 + 100, 0xffffff01]);
    expect(p?.largeCommunities).toEqual([{ global: 64512, local1: 1, local2: 2 }]);
  });

  it('resolves import prefix entries: exact match, ge only, le only', () => {
    const p = valid(
      withPeers({
        ...ibgp,
        importPrefixes: [{ prefix: '10.0.0.0/8' }, { prefix: '10.0.0.0/8', ge: 24 }, { prefix: 'fd00::/32', le: 64 }],
      }),
    ).peers[0];
    expect(p?.importPrefixes).toEqual([
      { prefix: '10.0.0.0/8', ge: 8, le: 8 },
      { prefix: '10.0.0.0/8', ge: 24, le: 32 },
      { prefix: 'fd00::/32', ge: 32, le: 64 },
    ]);
  });

  it('defaults maxPrefix.action to stop', () => {
    expect(valid(withPeers({ ...ibgp, maxPrefix: { limit: 5 } })).peers[0]?.maxPrefix).toEqual({ limit: 5, action: 'stop' });
  });
});

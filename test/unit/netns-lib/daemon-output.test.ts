/**
 * The daemon drivers (tools/daemons) without a daemon: their output parsers (birdc, vtysh JSON,
 * gobgp JSON, BIRD 1.6), config renderers, and the route sampler's script and parser
 * (test/netns/lib/route-sampler.ts), checked against captured output. Moved from
 * test/netns/infra.netns.test.ts: none of it needs root or a namespace.
 */
import { describe, expect, it } from 'vitest';
import { birdConfig, parseBirdBgpState, parseBirdRoutes } from '../../../tools/daemons/bird.js';
import { bird1Config, parseBird1Routes } from '../../../tools/daemons/bird1.js';
import type { DaemonSpec } from '../../../tools/daemons/daemon.js';
import { frrBgpdConfig, frrLearnedPrefixes, frrPathToRoute } from '../../../tools/daemons/frr.js';
import { gobgpConfig, parseGobgpRib, parseGobgpSessionState } from '../../../tools/daemons/gobgp.js';
import { parseSamples, samplerScript } from '../../netns/lib/route-sampler.js';

describe('daemon output parsers', () => {
  it('reads best BGP routes, next hops, paths and communities from `birdc show route all`', () => {
    const text = [
      'BIRD 2.0.12 ready.',
      'Table master6:',
      'fd00:172:16:2::/64   unicast [n_10_0_1_2 20:55:33.347 from 10.0.1.2] * (100) [AS65002i]',
      '\tvia fd00:1::2 on eth-f',
      '\tType: BGP univ',
      '\tBGP.origin: IGP',
      '\tBGP.as_path: 65002 65010 {65011 65012}',
      '\tBGP.next_hop: fd00:1::2 fe80::b4d1:abff:fee7:b8d7',
      '\tBGP.med: 7',
      '\tBGP.local_pref: 100',
      '\tBGP.community: (65002,1) (65002,2)',
      '\tBGP.large_community: (65002, 1, 2)',
      '                     unicast [n_10_0_3_3 20:55:34.000] (100) [AS65003i]',
      '\tvia fd00:3::3 on eth-g',
      '\tType: BGP univ',
      '\tBGP.as_path: 65003 65002',
      '\tBGP.next_hop: fd00:3::3',
      'fd00:172:16:1::/64   blackhole [originate6 20:50:59.175] * (200)',
      '\tType: static univ',
    ].join('\n');
    expect(parseBirdRoutes(text)).toEqual([
      {
        prefix: 'fd00:172:16:2::/64',
        nextHop: 'fd00:1::2',
        asPath: [65002, 65010, 65011, 65012],
        communities: ['65002:1', '65002:2'],
        largeCommunities: ['65002:1:2'],
        med: 7,
        localPref: 100,
      },
    ]);
  });

  it('reads the BGP state of a BIRD protocol, and Down for a disabled one', () => {
    expect(parseBirdBgpState('n_10 BGP --- start 20:58 Idle\n  BGP state:          Established\n')).toBe('Established');
    expect(parseBirdBgpState('n_10_0_0_2 BGP        ---        down   20:59:01.000\n')).toBe('Down');
  });

  it('keeps only neighbor-learned best paths from FRR JSON and reads the detailed path', () => {
    const table = JSON.stringify({
      routes: {
        '172.16.1.0/24': [{ valid: true, bestpath: true, peerId: '10.0.1.1', path: '65001' }],
        '172.16.2.0/24': [{ valid: true, bestpath: true, peerId: '(unspec)', path: '' }],
      },
    });
    expect(frrLearnedPrefixes(table)).toEqual(['172.16.1.0/24']);
    const route = frrPathToRoute('fd00:172:16:1::/64', {
      aspath: { string: '65001 {65011,65012}' },
      bestpath: { overall: true },
      community: { list: ['65001:1'] },
      metric: 5,
      nexthops: [
        { ip: 'fd00:1::1', scope: 'global' },
        { ip: 'fe80::1', scope: 'link-local' },
      ],
    });
    expect(route).toEqual({ prefix: 'fd00:172:16:1::/64', nextHop: 'fd00:1::1', asPath: [65001, 65011, 65012], communities: ['65001:1'], med: 5 });
  });

  it('keeps only neighbor-learned best paths from `gobgp global rib -j` and decodes communities', () => {
    const rib = JSON.stringify({
      '172.16.1.0/24': [
        {
          best: true,
          'neighbor-ip': '10.0.3.1',
          attrs: [
            { type: 1, value: 0 },
            { type: 2, as_paths: [{ segment_type: 2, num: 1, asns: [65001] }] },
            { type: 3, nexthop: '10.0.3.1' },
            { type: 8, communities: [4260036609] },
            { type: 32, value: [{ ASN: 65001, LocalData1: 1, LocalData2: 2 }] },
          ],
        },
      ],
      '172.16.3.0/24': [{ best: true, attrs: [{ type: 3, nexthop: '0.0.0.0' }] }],
    });
    expect(parseGobgpRib(rib)).toEqual([
      { prefix: '172.16.1.0/24', nextHop: '10.0.3.1', asPath: [65001], communities: ['65003:1'], largeCommunities: ['65001:1:2'] },
    ]);
    expect(parseGobgpSessionState('{"state":{"session_state":6}}')).toBe('Established');
    expect(parseGobgpSessionState('{"state":{"session_state":3}}')).toBe('Active');
  });

  it('renders each daemon config with the spec options it was given', () => {
    const spec: DaemonSpec = {
      ns: 'w1-x',
      routerId: '10.0.0.1',
      asn: 65001,
      neighbors: [{ address: '10.0.0.2', asn: 65002, passive: true, as4: false, ipv6NextHop: 'fd00::1', exportAttrs: { med: 9 } }],
      originate: ['172.16.1.0/24', 'fd00:172:16:1::/64'],
      originateAttrs: { communities: ['65001:1'], asPath: [65098, 65099] },
      holdTime: 9,
    };
    const bird = birdConfig(spec, { log: '/tmp/b.log' });
    expect(bird).toContain('route 172.16.1.0/24 blackhole { bgp_community.add((65001,1)); bgp_path.prepend(65099); bgp_path.prepend(65098); };');
    expect(bird).toMatch(/protocol bgp n_10_0_0_2 \{[^}]*passive on;[^}]*enable as4 off;/);
    expect(bird).toContain('next hop address fd00::1;');
    expect(bird).toContain('bgp_med = 9;');
    const { as4: _as4, ...frrNeighbor } = spec.neighbors[0] ?? { address: '', asn: 0 };
    const frr = frrBgpdConfig({ ...spec, neighbors: [frrNeighbor] });
    expect(frr).toContain(' timers bgp 3 9');
    expect(frr).toContain('  network 172.16.1.0/24 route-map ORIGINATE');
    expect(frr).toContain(' set as-path prepend 65098 65099');
    expect(frr).toContain(' set ipv6 next-hop global fd00::1');
    const { exportAttrs: _e, as4: _a, ...goNeighbor } = spec.neighbors[0] ?? { address: '', asn: 0 };
    const gobgp = gobgpConfig({ ...spec, neighbors: [goNeighbor] });
    expect(gobgp).toContain('set-next-hop = "fd00::1"');
    expect(gobgp).toContain('passive-mode = true');
    expect(() => gobgpConfig(spec)).toThrow(/exportAttrs is not supported/);
    expect(gobgpConfig({ ...spec, neighbors: [goNeighbor], gracefulRestart: true, gracefulNotification: true })).toContain('notification-enabled = true');
  });

  it('reads best BGP routes from BIRD 1.6 `show route all` (the route on the header line)', () => {
    const text = [
      'BIRD 1.6.8 ready.',
      '10.0.0.0/24        dev eth0 [direct1 04:11:15] * (240)',
      '\tType: device unicast univ',
      '172.16.0.0/26      via 10.0.0.1 on eth0 [Mesh_10_0_0_1 04:11:16] * (100/0) [i]',
      '\tType: BGP unicast univ',
      '\tBGP.origin: IGP',
      '\tBGP.as_path: ',
      '\tBGP.next_hop: 10.0.0.1',
      '\tBGP.local_pref: 100',
      '                   via 10.0.0.3 on eth0 [Mesh_10_0_0_3 04:11:17] (100/0) [AS65003i]',
      '\tType: BGP unicast univ',
      '\tBGP.as_path: 65003',
      '\tBGP.next_hop: 10.0.0.3',
      '172.16.1.0/26      blackhole [static1 04:11:15] * (200)',
      '\tType: static unicast univ',
      'fd00:172:16::/122  via fe80::f8e5:f3ff:fedd:f2d0 on eth0 [Mesh_fd00_10__1 04:11:16 from fd00:10::1] * (100/0) [i]',
      '\tType: BGP unicast univ',
      '\tBGP.as_path: 64512 {65011 65012}',
      '\tBGP.next_hop: fd00:10::1 fe80::f8e5:f3ff:fedd:f2d0',
      '\tBGP.community: (64512,1)',
      '',
    ].join('\n');
    expect(parseBird1Routes(text)).toEqual([
      { prefix: '172.16.0.0/26', nextHop: '10.0.0.1', asPath: [], localPref: 100 },
      { prefix: 'fd00:172:16::/122', nextHop: 'fd00:10::1', asPath: [64512, 65011, 65012], communities: ['64512:1'] },
    ]);
  });

  it('renders a Calico-like BIRD 1.6 config: one daemon per family, the mesh made one-way by address', () => {
    const spec: DaemonSpec = {
      ns: 'w1-x',
      routerId: '10.0.0.2',
      asn: 64512,
      neighbors: [
        { address: '10.0.0.1', asn: 64512 },
        { address: '10.0.0.3', asn: 64512 },
        { address: 'fd00::1', asn: 64512, localAddress: 'fd00::2' },
      ],
      originate: ['172.16.1.0/26', 'fd00:172:16:1::/122'],
      kernel: true,
      gracefulRestart: true,
    };
    const v4 = bird1Config(spec, 'ipv4', { log: '/tmp/b.log' });
    expect(v4).toMatch(/protocol kernel \{[^}]*learn;[^}]*persist;[^}]*export filter calico_kernel_programming;[^}]*graceful restart;/);
    expect(v4).toContain('  route 172.16.1.0/26 blackhole;');
    expect(v4).not.toContain('fd00');
    // The greater address dials: 10.0.0.3 > 10.0.0.2, so this node waits for it.
    expect(v4).toMatch(/protocol bgp Mesh_10_0_0_1 from bgp_template \{\n  neighbor 10.0.0.1 as 64512;\n  source address 10.0.0.2;\n  graceful restart time 120;\n\}/);
    expect(v4).toMatch(/protocol bgp Mesh_10_0_0_3 from bgp_template \{[^}]*passive on;/);
    const v6 = bird1Config(spec, 'ipv6', { log: '/tmp/b6.log' });
    expect(v6).toContain('protocol bgp Mesh_fd00__1 from bgp_template');
    expect(v6).toContain('  source address fd00::2;');
    expect(v6).not.toContain('10.0.0.1');
    expect(() => bird1Config({ ...spec, neighbors: [{ address: '10.0.0.1', asn: 64512, families: ['ipv4', 'ipv6'] }] }, 'ipv4', { log: '/l' })).toThrow(
      /an IPv4 session carries ipv4 only/,
    );
  });

  it('writes a sampler script that quotes its commands, and reads back only complete samples', () => {
    const script = samplerScript([{ name: 'bgp', argv: ['birdc', '-s', "/tmp/a b'c", 'show', 'route'] }], 50, '/tmp/d');
    expect(script).toContain("'birdc' '-s' '/tmp/a b'\\''c' 'show' 'route' 2>&1");
    expect(script).toContain('period=50000');
    const out = '@@sample 1000000\n@@view bgp\nline 1\n@@view kernel4\n@@end 1012500\n@@sample 1050000\n@@view bgp\nhalf';
    expect(parseSamples(out)).toEqual([{ at: 1000, tookMs: 12.5, out: { bgp: 'line 1\n', kernel4: '' } }]);
  });
});

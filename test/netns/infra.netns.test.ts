/**
 * Proves the netns layer itself: a lab of three namespaces in a triangle of veth links, with BIRD,
 * FRR and GoBGP each peering with the other two over IPv4 sessions that carry IPv4 and IPv6.
 * Run: npx vitest run --project netns test/netns/infra.netns.test.ts   (as root)
 *
 * The output parsers and config renderers are also checked against captured daemon output; those
 * tests need no root.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { birdConfig, parseBirdBgpState, parseBirdRoutes, startBird, type BirdDaemon } from '../../tools/daemons/bird.js';
import { bird1Config, parseBird1Routes } from '../../tools/daemons/bird1.js';
import { waitEstablished, waitNoRoute, waitRoute, type BgpDaemon, type DaemonSpec } from '../../tools/daemons/daemon.js';
import { frrBgpdConfig, frrLearnedPrefixes, frrPathToRoute, startFrr, type FrrDaemon } from '../../tools/daemons/frr.js';
import { gobgpConfig, parseGobgpRib, parseGobgpSessionState, startGobgp, type GobgpDaemon } from '../../tools/daemons/gobgp.js';
import { Lab, listNamespaces, netnsSkipReason, waitFor } from './lib/netns.js';
import { parseSamples, samplerScript } from './lib/route-sampler.js';

const skipReason = netnsSkipReason();
if (skipReason) console.warn(`infra.netns.test.ts: lab tests skipped: ${skipReason}`);

describe('waitFor', () => {
  it('returns the first truthy value of the check', async () => {
    let calls = 0;
    const v = await waitFor(() => (++calls >= 3 ? { calls } : false), { what: 'three calls', intervalMs: 0 });
    expect(v).toEqual({ calls: 3 });
  });

  it('names what it waited for and the last value (or error) when it gives up', async () => {
    await expect(waitFor(() => false, { what: 'the impossible', timeoutMs: 0 })).rejects.toThrow(
      /timed out after 0 ms waiting for the impossible; last value: false/,
    );
    await expect(
      waitFor(
        () => {
          throw new Error('socket missing');
        },
        { what: 'a socket', timeoutMs: 0 },
      ),
    ).rejects.toThrow(/waiting for a socket; last value: Error: socket missing/);
  });
});

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

/** The triangle: each namespace has one link to each of the other two. */
const NET = {
  bird: { asn: 65001, id: '10.0.0.1', v4: '172.16.1.0/24', v6: 'fd00:172:16:1::/64' },
  frr: { asn: 65002, id: '10.0.0.2', v4: '172.16.2.0/24', v6: 'fd00:172:16:2::/64' },
  gobgp: { asn: 65003, id: '10.0.0.3', v4: '172.16.3.0/24', v6: 'fd00:172:16:3::/64' },
} as const;
type Name = keyof typeof NET;
/** Link n joins two daemons; the daemon's host number is 1, 2 or 3 as in NET. */
const LINKS: readonly (readonly [Name, Name, number])[] = [
  ['bird', 'frr', 1],
  ['frr', 'gobgp', 2],
  ['gobgp', 'bird', 3],
];
const host = (name: Name): number => Object.keys(NET).indexOf(name) + 1;
const v4 = (link: number, name: Name): string => `10.0.${link}.${host(name)}`;
const v6 = (link: number, name: Name): string => `fd00:${link}::${host(name)}`;
const ifName = (to: Name): string => `eth-${to}`;

describe.skipIf(skipReason !== null)('BIRD, FRR and GoBGP in a three-namespace lab', () => {
  let lab: Lab;
  const ns = {} as Record<Name, string>;
  const d = {} as { bird: BirdDaemon; frr: FrrDaemon; gobgp: GobgpDaemon };

  function specFor(name: Name): DaemonSpec {
    const me = NET[name];
    const neighbors = LINKS.filter(([a, b]) => a === name || b === name).map(([a, b, link]) => {
      const peer = a === name ? b : a;
      return { address: v4(link, peer), asn: NET[peer].asn, ...(name === 'gobgp' ? { ipv6NextHop: v6(link, name) } : {}) };
    });
    return { ns: ns[name], routerId: me.id, asn: me.asn, neighbors, originate: [me.v4, me.v6], kernel: name !== 'gobgp', holdTime: 9 };
  }

  beforeAll(async () => {
    lab = new Lab({ id: 'infra' });
    for (const name of Object.keys(NET) as Name[]) ns[name] = lab.addNamespace(name);
    for (const [a, b, link] of LINKS) {
      lab.link(ns[a], ifName(b), [`${v4(link, a)}/24`, `${v6(link, a)}/64`], ns[b], ifName(a), [`${v4(link, b)}/24`, `${v6(link, b)}/64`]);
    }
    [d.bird, d.frr, d.gobgp] = await Promise.all([startBird(lab, specFor('bird')), startFrr(lab, specFor('frr')), startGobgp(lab, specFor('gobgp'))]);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  async function expectPair(a: Name, b: Name, link: number): Promise<void> {
    const da: BgpDaemon = d[a];
    const db: BgpDaemon = d[b];
    await Promise.all([waitEstablished(da, v4(link, b)), waitEstablished(db, v4(link, a))]);
    for (const [to, from] of [
      [da, b],
      [db, a],
    ] as const) {
      const r4 = await waitRoute(to, NET[from].v4, { match: (r) => r.asPath.length === 1 });
      expect(r4).toMatchObject({ nextHop: v4(link, from), asPath: [NET[from].asn] });
      const r6 = await waitRoute(to, NET[from].v6, { match: (r) => r.asPath.length === 1 });
      expect(r6).toMatchObject({ nextHop: v6(link, from), asPath: [NET[from].asn] });
    }
  }

  it('BIRD and FRR reach Established and read back each other’s IPv4 and IPv6 prefixes', async () => {
    await expectPair('bird', 'frr', 1);
  });

  it('FRR and GoBGP reach Established and read back each other’s IPv4 and IPv6 prefixes', async () => {
    await expectPair('frr', 'gobgp', 2);
  });

  it('GoBGP and BIRD reach Established and read back each other’s IPv4 and IPv6 prefixes', async () => {
    await expectPair('gobgp', 'bird', 3);
  });

  it('installs learned routes in the namespace FIB through the BIRD kernel protocol and FRR zebra', async () => {
    const fib = (name: Name, prefix: string): string =>
      lab.exec(null, 'ip', ['-n', ns[name], prefix.includes(':') ? '-6' : '-4', 'route', 'show', prefix]).trim();
    await waitFor(() => fib('bird', NET.frr.v4).includes(`via ${v4(1, 'frr')}`), { what: 'BIRD to install the FRR prefix' });
    // FRR installs IPv6 routes through the neighbor's link-local next hop.
    await waitFor(() => fib('frr', NET.bird.v6).includes('proto bgp'), { what: 'FRR to install the BIRD prefix' });
    expect(fib('bird', NET.frr.v4)).toContain('proto bird');
    expect(fib('frr', NET.bird.v6)).toMatch(/via fe80::\S+ dev eth-bird proto bgp/);
  });

  it('withdraws and re-announces a prefix, and re-establishes after a daemon restart', async () => {
    await d.bird.withdraw(NET.bird.v4);
    await waitNoRoute(d.frr, NET.bird.v4);
    await d.bird.announce(NET.bird.v4);
    await waitRoute(d.frr, NET.bird.v4);
    await d.gobgp.restart();
    await waitEstablished(d.bird, v4(3, 'gobgp'));
    await waitRoute(d.bird, NET.gobgp.v6, { match: (r) => r.nextHop === v6(3, 'gobgp') });
  });

  it('destroy() stops every daemon and leaves no namespace with the lab prefix, and can run twice', async () => {
    const pids = lab.processes.map((p) => p.pid);
    expect(pids.length).toBe(4); // bird, zebra, bgpd, gobgpd
    await lab.destroy();
    await lab.destroy();
    expect(listNamespaces(lab.prefix)).toEqual([]);
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });
});

describe.skipIf(skipReason !== null)('a bridged segment', () => {
  let lab: Lab;
  afterAll(async () => {
    await lab?.destroy();
  });

  it('puts three namespaces on one L2 segment that carries IPv4 and IPv6 at once', () => {
    lab = new Lab({ id: 'seg' });
    const hosts = ['h1', 'h2', 'h3'].map((t) => lab.addNamespace(t));
    const sw = lab.bridgeSegment(
      'sw',
      hosts.map((ns, i) => ({ ns, ifName: 'eth0', addrs: [`192.168.7.${i + 1}/24`, `fd00:7::${i + 1}/64`] })),
    );
    expect(lab.exec(null, 'ip', ['-n', sw, '-br', 'link', 'show', 'master', 'br0'])).toMatch(/p0.*\n.*p1.*\n.*p2/);
    // No DAD: the IPv6 address answers at once, without waiting for it to leave "tentative".
    lab.exec(hosts[0] ?? '', 'ping', ['-c', '1', '-W', '2', '192.168.7.3']);
    lab.exec(hosts[0] ?? '', 'ping', ['-6', '-c', '1', '-W', '2', 'fd00:7::3']);
    expect(() => lab.exec(hosts[1] ?? '', 'ping', ['-c', '1', '-W', '1', '192.168.8.1'])).toThrow(/ping -c 1 -W 1 192\.168\.8\.1`.*in netns w\w+-seg-h2.*failed with status/);
  });
});

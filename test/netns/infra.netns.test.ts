/**
 * Proves the netns layer itself: a lab of three namespaces in a triangle of veth links, with BIRD,
 * FRR and GoBGP each peering with the other two over IPv4 sessions that carry IPv4 and IPv6.
 * Run: npx vitest run --project netns test/netns/infra.netns.test.ts   (as root)
 *
 * The output parsers and config renderers of the drivers, and waitFor, are unit tests
 * (test/unit/netns-lib/), which need no root.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBird, type BirdDaemon } from '../../tools/daemons/bird.js';
import { waitEstablished, waitNoRoute, waitRoute, type BgpDaemon, type DaemonSpec } from '../../tools/daemons/daemon.js';
import { startFrr, type FrrDaemon } from '../../tools/daemons/frr.js';
import { startGobgp, type GobgpDaemon } from '../../tools/daemons/gobgp.js';
import { Lab, listNamespaces, waitFor } from './lib/netns.js';
import { BIRD_INSTALLED, describeNetns, FRR_INSTALLED, GOBGP_INSTALLED, NETNS } from './lib/requirements.js';

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

describeNetns('BIRD, FRR and GoBGP in a three-namespace lab', [NETNS, BIRD_INSTALLED, FRR_INSTALLED, GOBGP_INSTALLED], () => {
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
    // zebra can take more than the default 10 s on a loaded 2-core machine (seen once in CI's dry run).
    await waitFor(() => fib('frr', NET.bird.v6).includes('proto bgp'), { what: 'FRR to install the BIRD prefix', timeoutMs: 30_000 });
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

describeNetns('a bridged segment', [NETNS], () => {
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

/**
 * eBGP to routers one and two hops away: `ebgpMultihop` and GTSM (`ttlSecurity`, RFC 5082).
 *
 *   n1 (wren, AS 64512)  eth0 192.168.1.11 ── [bridge] ── eth0 192.168.1.1  tor (FRR, AS 65001, forwarding)
 *                                                          eth1 10.0.100.1 ── eth0 10.0.100.2  far (FRR, AS 65002)
 *   n1: 10.0.100.0/24 via 192.168.1.1 (static);  far: 192.168.1.0/24 via 10.0.100.1 (static)
 *
 * - GTSM: with `ttlSecurity: 1` towards both, the ToR (FRR `ttl-security hops 1`, one hop) comes up,
 *   and the far router (FRR `ttl-security hops 2`) never does: its packets arrive with TTL 254 and
 *   the node's kernel drops them (TcpExt.TCPMinTTLDrop). A reload with `ttlSecurity: 2` brings it up
 *   (the path works; only the hop limit refused it).
 * - Multihop: without `ebgpMultihop` the far session never comes up (wren sends TTL 1; the ToR
 *   answers ICMP time exceeded); with `ebgpMultihop: 2` on both ends it does and routes are
 *   exchanged; the far router's prefix must then reach the node's kernel via the ToR (its BGP next
 *   hop 10.0.100.2 is not on a connected subnet, so it needs resolving through the FIB).
 *
 * Run: npx vitest run --project netns test/netns/tor-multihop.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { waitEstablished, waitRoute, type NeighborSpec } from '../../tools/daemons/daemon.js';
import { describeFib, waitForFibRoute } from './lib/fib.js';
import { startFrr, type FrrDaemon } from '../../tools/daemons/frr.js';
import { askWren, keepFilesOnFailure, waitWrenPeer } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { exec, waitFor, type Lab } from './lib/netns.js';
import { describeNetns, FRR_INSTALLED, NETNS } from './lib/requirements.js';
import { netstatCounter } from './lib/netstat.js';
import { TOR, buildSegment, calicoNode, nsOf } from './lib/rack.js';
import { startWren, type WrenDaemon } from '../../tools/daemons/wren.js';

const N1 = calicoNode(1);
const FAR = { v4: '10.0.100.2', asn: 65002, prefix: '10.200.0.0/24' };
const TOR_FAR_SIDE = '10.0.100.1';

interface Topo {
  lab: Lab;
  n1: string;
  tor: string;
  far: string;
}

function build(lab: Lab): Topo {
  const ns = buildSegment(lab, [TOR, N1]);
  const far = lab.addNamespace('far');
  lab.link(nsOf(ns, TOR), 'eth1', [`${TOR_FAR_SIDE}/24`], far, 'eth0', [`${FAR.v4}/24`]);
  exec(null, 'ip', ['-n', nsOf(ns, N1), 'route', 'add', '10.0.100.0/24', 'via', TOR.v4, 'proto', 'static']);
  exec(null, 'ip', ['-n', far, 'route', 'add', '192.168.1.0/24', 'via', TOR_FAR_SIDE, 'proto', 'static']);
  return { lab, n1: nsOf(ns, N1), tor: nsOf(ns, TOR), far };
}

const startTor = (t: Topo, n: Partial<NeighborSpec>) =>
  startFrr(t.lab, { ns: t.tor, routerId: TOR.v4, asn: 65001, neighbors: [{ address: N1.v4, asn: 64512, families: ['ipv4'], ...n }], originate: ['10.100.0.0/24'], hostname: 'tor' });
const startFar = (t: Topo, n: Partial<NeighborSpec>) =>
  startFrr(t.lab, { ns: t.far, routerId: FAR.v4, asn: FAR.asn, neighbors: [{ address: N1.v4, asn: 64512, families: ['ipv4'], ...n }], originate: [FAR.prefix], hostname: 'far' });

function startNode(t: Topo, peerExtra: Record<string, Record<string, unknown>>): Promise<WrenDaemon> {
  return startWren(t.lab, {
    ns: t.n1,
    routerId: N1.v4,
    asn: 64512,
    neighbors: [
      { address: TOR.v4, asn: 65001, families: ['ipv4'] },
      { address: FAR.v4, asn: FAR.asn, families: ['ipv4'] },
    ],
    originate: [N1.block],
    kernel: true,
    peerExtra,
  });
}

describeNetns('eBGP to a router one hop and one two hops away', [NETNS, FRR_INSTALLED], () => {
  const newLab = labsPerTest();
  let current: Lab | undefined;
  keepFilesOnFailure(() => current);

  it('GTSM: ttlSecurity 1 accepts the directly connected ToR and refuses the router two hops away until it is raised to 2', async () => {
    const lab = newLab('gtsm');
    current = lab;
    const t = build(lab);
    const tor = await startTor(t, { ttlSecurity: 1 });
    const far = await startFar(t, { ttlSecurity: 2 });
    const drops0 = netstatCounter(t.n1, 'TcpExt.TCPMinTTLDrop');
    const node = await startNode(t, { [TOR.v4]: { ttlSecurity: 1 }, [FAR.v4]: { ttlSecurity: 1 } });
    await waitEstablished(tor, N1.v4);
    await waitWrenPeer(node, TOR.v4, 'Established', (p) => p.state === 'Established');
    // The far router's segments reach the node with TTL 254 and die under IP_MINTTL 255.
    const drops = await waitFor(
      () => {
        const d = netstatCounter(t.n1, 'TcpExt.TCPMinTTLDrop') - drops0;
        return d >= 2 ? d : false;
      },
      { what: 'the node kernel to drop segments under the minimum TTL', timeoutMs: 20_000, intervalMs: 200 },
    );
    const farPeer = (await askWren(node, { cmd: 'show-peers' })).find((p) => p.address === FAR.v4);
    expect(farPeer?.state, JSON.stringify(farPeer)).not.toBe('Established');
    expect(farPeer?.messages.in ?? 0).toBe(0);
    expect(far.sessionState(N1.v4)).not.toBe('Established');
    console.log(`tor-multihop: GTSM hops 1 vs a peer 2 hops away: ${drops} segments dropped (TCPMinTTLDrop), wren ${farPeer?.state}, FRR ${far.sessionState(N1.v4)}`);

    // The positive twin on the same path: allow two hops.
    node.spec = { ...node.spec, peerExtra: { [TOR.v4]: { ttlSecurity: 1 }, [FAR.v4]: { ttlSecurity: 2 } } };
    node.writeConfig();
    expect(node.cli('reload')).toMatch(/reloaded/);
    await waitWrenPeer(node, FAR.v4, 'Established after ttlSecurity 2', (p) => p.state === 'Established', 20_000);
    await waitEstablished(far, N1.v4);
    // The ToR session was not disturbed by the reload.
    expect(tor.sessionState(N1.v4)).toBe('Established');
  });

  /** The far router with `ebgp-multihop 2`; wren first without ebgpMultihop (refused), then reloaded with 2. */
  async function multihopUp(id: string): Promise<{ t: Topo; node: WrenDaemon; far: FrrDaemon }> {
    const lab = newLab(id);
    current = lab;
    const t = build(lab);
    const far = await startFar(t, { multihop: 2 });
    const excd0 = netstatCounter(t.tor, 'Icmp.OutTimeExcds');
    const node = await startNode(t, {});
    // wren's SYNs leave with TTL 1 (plain eBGP) and expire at the ToR.
    await waitFor(() => netstatCounter(t.tor, 'Icmp.OutTimeExcds') - excd0 >= 1, { what: 'the ToR to send ICMP time exceeded', timeoutMs: 20_000, intervalMs: 200 });
    expect((await askWren(node, { cmd: 'show-peers' })).find((p) => p.address === FAR.v4)?.state).not.toBe('Established');

    node.spec = { ...node.spec, neighbors: node.spec.neighbors.map((n) => (n.address === FAR.v4 ? { ...n, multihop: 2 } : n)) };
    node.writeConfig();
    expect(node.cli('reload')).toMatch(/reloaded/);
    await waitWrenPeer(node, FAR.v4, 'Established with ebgpMultihop 2', (p) => p.state === 'Established', 20_000);
    return { t, node, far };
  }

  it('multihop: no session with TTL 1 to a router two hops away; with ebgpMultihop 2 routes flow both ways', async () => {
    const { node, far } = await multihopUp('mhop');
    await waitRoute(far, N1.block, { match: (r) => r.nextHop === N1.v4 && r.asPath.join() === '64512' });
    await waitRoute(node, FAR.prefix, { match: (r) => r.nextHop === FAR.v4 && r.asPath.join() === String(FAR.asn) });
  });

  it("multihop: the far router's prefix reaches the node's kernel via the router in between", async () => {
    const { t, node } = await multihopUp('mhfib');
    await waitRoute(node, FAR.prefix, { match: (r) => r.nextHop === FAR.v4 });
    // The BGP next hop 10.0.100.2 is on no connected subnet: the kernel needs the resolved gateway
    // (192.168.1.1, as BIRD's `gateway recursive` and FRR's zebra install it), or it refuses the route.
    const r = await waitForFibRoute(t.n1, FAR.prefix, (x) => x.protocol === 'bird', { timeoutMs: 10_000 }).catch((err: Error) => {
      throw new Error(`${err.message}\nshow kernel: ${JSON.stringify(node.showKernel())}\n${describeFib(t.n1)}`);
    });
    expect(r.gateways).toEqual([TOR.v4]);
    console.log(`tor-multihop: ${FAR.prefix} in the node's kernel: via ${r.gateways.join(',')} dev ${r.devices.join(',')}`);
  });
});

/**
 * A Calico node peering eBGP with its top-of-rack router (FRR 8) over TCP MD5, with the configs of
 * docs/topologies.md ("Top of rack") verbatim: wren's JSON, and FRR's bgpd.conf as the FRR driver
 * writes it (test/unit/netns-lib/doc-config.test.ts checks the two are the same text).
 *
 *   segment 192.168.1.0/24, fd00:192:168:1::/64
 *     tor .1   FRR, AS 65001, zebra installs routes; originates 0.0.0.0/0, ::/0, 10.100.0.0/24,
 *              203.0.113.0/24, 2001:db8:100::/48
 *     n1 .11   wren, AS 64512, kernel on, pod 172.16.1.10 / fd00:172:16:1::10 (no static default
 *              route: the node's default comes from the ToR over BGP)
 *
 * - right password: Established; FRR sees the pod blocks with the configured communities and large
 *   communities, and nothing else; wren installs the default routes and 10.100.0.0/24 (its import
 *   policy allows them) and not the two others (reason `policy`); FRR installs the pod blocks, so
 *   the ToR reaches the pod directly (ping).
 * - wrong password on wren's side: never Established, and the kernels on both ends count the
 *   refused segments (TcpExt.TCPMD5Failure), which is the only trace: TCP MD5 drops happen below
 *   the daemons.
 *
 * Run: npx vitest run --project netns test/netns/tor-md5.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { waitEstablished } from '../../tools/daemons/daemon.js';
import { docConfig, startWrenConfig } from './lib/doc-config.js';
import { describeFib, fibRoutesFor, waitForFibRoute } from './lib/fib.js';
import { startFrr } from '../../tools/daemons/frr.js';
import { askWren, keepFilesOnFailure, waitWrenPeer } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { waitFor, type Lab } from './lib/netns.js';
import { describeNetns, FRR_INSTALLED, NETNS } from './lib/requirements.js';
import { netstatCounter } from './lib/netstat.js';
import { addPod, ping } from './lib/pods.js';
import { TOR, TOR_ACCEPTED as ACCEPTED, TOR_REFUSED as REFUSED, buildSegment, calicoNode, nsOf, logTail, torMd5Spec as torSpec } from './lib/rack.js';

const N1 = calicoNode(1);

interface FrrPathJson {
  aspath?: { string?: string };
  community?: { string?: string };
  largeCommunity?: { string?: string };
  nexthops?: { ip?: string; scope?: string }[];
}

describeNetns('a node peering eBGP with an FRR top-of-rack router over TCP MD5', [NETNS, FRR_INSTALLED], () => {
  const newLab = labsPerTest();
  let current: Lab | undefined;
  keepFilesOnFailure(() => current);

  it('exchanges routes: communities on the pod blocks at the ToR, the allowed ToR routes in the kernel, the pod reachable from the ToR', async () => {
    const lab = newLab('torok');
    current = lab;
    const ns = buildSegment(lab, [TOR, N1]);
    const pod = addPod(lab, { tag: 'p1', hostNs: nsOf(ns, N1), address: N1.pod, address6: N1.pod6 });
    const frr = await startFrr(lab, torSpec(nsOf(ns, TOR)));
    const t0 = Date.now();
    const node = await startWrenConfig(lab, nsOf(ns, N1), docConfig('tor-node'));
    await waitEstablished(frr, N1.v4);
    const tUp = Date.now();

    // At the ToR: the node's blocks, AS path 64512, the communities the peer entry adds.
    for (const [afi, prefix] of [
      ['ipv4', N1.block],
      ['ipv6', N1.block6],
    ] as const) {
      const path = await waitFor(
        () => {
          const j = JSON.parse(frr.vtysh(`show bgp ${afi} unicast ${prefix} json`)) as { paths?: FrrPathJson[] };
          return j.paths?.[0];
        },
        { what: `FRR to learn ${prefix}`, timeoutMs: 15_000 },
      );
      expect(path, JSON.stringify(path)).toMatchObject({ aspath: { string: '64512' }, community: { string: '64512:100' }, largeCommunity: { string: '64512:1:1' } });
      expect(path.nexthops?.find((h) => h.scope !== 'link-local')?.ip).toBe(afi === 'ipv4' ? N1.v4 : N1.v6);
    }
    // Only the blocks: the export policy lets nothing else out (there is nothing else to send).
    expect(frr.routes('ipv4').map((r) => r.prefix)).toEqual([N1.block]);
    expect(frr.routes('ipv6').map((r) => r.prefix)).toEqual([N1.block6]);

    // In the node's kernel: what the import policy allows, via the ToR, proto bird.
    for (const prefix of ACCEPTED) {
      const r = await waitForFibRoute(nsOf(ns, N1), prefix, (x) => x.protocol === 'bird').catch((err: Error) => {
        throw new Error(`${err.message}\n${logTail(node)}`);
      });
      if (!prefix.includes(':')) expect(r.gateways).toEqual([TOR.v4]);
      else expect(r.gateways.length).toBe(1);
    }
    const routes = await askWren(node, { cmd: 'show-routes' });
    for (const prefix of REFUSED) {
      expect(fibRoutesFor(nsOf(ns, N1), prefix), describeFib(nsOf(ns, N1))).toEqual([]);
      expect(routes.find((r) => r.prefix === prefix), JSON.stringify(routes)).toMatchObject({ best: false, reason: 'policy', from: TOR.v4 });
    }
    const peer = await waitWrenPeer(node, TOR.v4, 'Established', (p) => p.state === 'Established');
    // FRR also sends the node's own blocks back (with AS path 65001 64512): refused as AS loops.
    for (const prefix of [N1.block, N1.block6]) {
      expect(routes.find((r) => r.prefix === prefix && r.from === TOR.v4), JSON.stringify(routes)).toMatchObject({ best: false, reason: 'as-loop' });
    }
    expect(peer.prefixes).toEqual({ received: 7, accepted: 3, preferred: 3, advertised: 2 });

    // The ToR installed the pod blocks and reaches the pod directly; the pod's replies leave by the BGP default route.
    await waitForFibRoute(nsOf(ns, TOR), N1.block, (r) => r.protocol === 'bgp' && r.gateways.join() === N1.v4);
    await waitForFibRoute(nsOf(ns, TOR), N1.block6, (r) => r.protocol === 'bgp');
    console.log(`tor-md5: Established ${tUp - t0} ms after wren started; routes in place ${Date.now() - tUp} ms later`);
    for (const target of [pod.address, N1.pod6]) {
      const r = ping(lab, nsOf(ns, TOR), target);
      expect(r.ok, r.output).toBe(true);
    }
  });

  it('never establishes with a wrong password on wren\'s side, and both kernels count the refused segments', async () => {
    const lab = newLab('torbad');
    current = lab;
    const ns = buildSegment(lab, [TOR, N1]);
    const frr = await startFrr(lab, torSpec(nsOf(ns, TOR)));
    const good = docConfig('tor-node');
    const peers = (good['peers'] as Record<string, unknown>[]).map((p) => ({ ...p, password: 'not-the-tor-secret' }));
    const before = { node: netstatCounter(nsOf(ns, N1), 'TcpExt.TCPMD5Failure'), tor: netstatCounter(nsOf(ns, TOR), 'TcpExt.TCPMD5Failure') };
    const node = await startWrenConfig(lab, nsOf(ns, N1), { ...good, peers });
    // wren's SYNs (wrong key) die in the ToR's kernel, FRR's SYNs (right key, which wren's kernel does not expect) in the node's.
    const counts = await waitFor(
      () => {
        const c = { node: netstatCounter(nsOf(ns, N1), 'TcpExt.TCPMD5Failure') - before.node, tor: netstatCounter(nsOf(ns, TOR), 'TcpExt.TCPMD5Failure') - before.tor };
        return c.node >= 2 && c.tor >= 2 ? c : false;
      },
      { what: 'TCP MD5 failures counted on both ends', timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(frr.sessionState(N1.v4)).not.toBe('Established');
    const p = (await askWren(node, { cmd: 'show-peers' })).find((x) => x.address === TOR.v4);
    expect(p?.state).not.toBe('Established');
    expect(p?.messages.in ?? 0).toBe(0);
    const j = JSON.parse(frr.vtysh(`show bgp neighbors ${N1.v4} json`)) as Record<string, { connectionsEstablished?: number; bgpState?: string }>;
    expect(j[N1.v4]?.connectionsEstablished ?? 0).toBe(0);
    console.log(`tor-md5: wrong password: TCPMD5Failure node +${counts.node}, tor +${counts.tor}; FRR ${j[N1.v4]?.bgpState}, wren ${p?.state}`);
  });
});

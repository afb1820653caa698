/**
 * A wren route reflector (kernel off, each client listed with `routeReflectorClient: true`) serving
 * clients of three implementations, each programming its own kernel:
 *
 *   segment 192.168.1.0/24, fd00:192:168:1::/64
 *     rr1 .2   wren reflector, cluster id 192.168.1.2
 *     n1 .11   BIRD 2 (kernel protocol: learned routes `proto bird`)
 *     n2 .12   FRR 8 (zebra: `proto bgp`)
 *     n3 .13   wren (`proto bird`)
 *
 * Checked: every client has every other client's blocks in its BGP table and in its kernel via the
 * owner's address; BIRD and FRR show the ORIGINATOR_ID and CLUSTER_LIST wren stamped.
 *
 * Run: npx vitest run --project netns test/netns/rr-mixed.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { startBird } from '../../tools/daemons/bird.js';
import { waitEstablished, waitRoute, type BgpDaemon, type DaemonSpec } from '../../tools/daemons/daemon.js';
import { startWrenConfig } from './lib/doc-config.js';
import { startFrr } from '../../tools/daemons/frr.js';
import { keepFilesOnFailure, wrenPeers } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { waitFor, type Lab } from './lib/netns.js';
import { describeNetns, BIRD_INSTALLED, FRR_INSTALLED, NETNS } from './lib/requirements.js';
import { buildSegment, calicoNode, describeBlocks, expectBlocksInKernels, nsOf, reflectorHost, logTail } from './lib/rack.js';
import { startWren } from '../../tools/daemons/wren.js';

const RR = reflectorHost(1);
const [N1, N2, N3] = [1, 2, 3].map(calicoNode) as [ReturnType<typeof calicoNode>, ReturnType<typeof calicoNode>, ReturnType<typeof calicoNode>];
const ASN = 64512;

const REFLECTOR = {
  routerId: RR.v4,
  asn: ASN,
  peers: [
    { name: 'n1-bird', address: N1.v4, asn: ASN, routeReflectorClient: true },
    { name: 'n2-frr', address: N2.v4, asn: ASN, routeReflectorClient: true },
    { name: 'n3-wren', address: N3.v4, asn: ASN, routeReflectorClient: true },
  ],
  routeReflector: { clusterId: RR.v4 },
  kernel: { enabled: false },
};

/** BIRD's `show route all` lines for one prefix: originator id and cluster list. */
function birdReflectionAttrs(text: string): { originatorId?: string; clusterList?: string } {
  const o = /BGP\.originator_id:\s*(\S+)/.exec(text)?.[1];
  const c = /BGP\.cluster_list:\s*(.+)$/m.exec(text)?.[1]?.trim();
  return { ...(o !== undefined ? { originatorId: o } : {}), ...(c !== undefined ? { clusterList: c } : {}) };
}

describeNetns('a wren route reflector with BIRD, FRR and wren clients', [NETNS, BIRD_INSTALLED, FRR_INSTALLED], () => {
  const newLab = labsPerTest();
  let current: Lab | undefined;
  keepFilesOnFailure(() => current);

  it('gives every client every block, in its BGP table and in its kernel', async () => {
    const lab = newLab('rrm');
    current = lab;
    const ns = buildSegment(lab, [RR, N1, N2, N3]);
    const t0 = Date.now();
    const rr = await startWrenConfig(lab, nsOf(ns, RR), REFLECTOR);
    const client = (n: typeof N1): DaemonSpec => ({
      ns: nsOf(ns, n),
      routerId: n.v4,
      asn: ASN,
      neighbors: [{ address: RR.v4, asn: ASN }],
      originate: [n.block, n.block6],
      kernel: true,
    });
    const bird = await startBird(lab, client(N1));
    const frr = await startFrr(lab, client(N2));
    const wren = await startWren(lab, client(N3));
    await waitFor(async () => (await wrenPeers(rr)).every((p) => p.state === 'Established'), { what: 'all three clients Established on the reflector', timeoutMs: 30_000 }).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${logTail(rr)}`);
      },
    );
    const tUp = Date.now();

    const byNode: [typeof N1, BgpDaemon][] = [
      [N1, bird],
      [N2, frr],
      [N3, wren],
    ];
    // BGP tables: each client has the two other clients' blocks, next hop = owner.
    for (const [n, d] of byNode) {
      for (const [o] of byNode) {
        if (o === n) continue;
        await waitRoute(d, o.block, { match: (r) => r.nextHop === o.v4 });
        await waitRoute(d, o.block6, { match: (r) => r.nextHop === o.v6 });
      }
    }
    const viewers = byNode.map(([n, d]) => ({ node: n, ns: nsOf(ns, n), proto: d.kind === 'frr' ? 'bgp' : 'bird', daemon: d }));
    await expectBlocksInKernels(viewers, viewers);
    console.log(`rr-mixed: sessions up ${tUp - t0} ms after the reflector started; every block everywhere ${Date.now() - tUp} ms later`);
    console.log(describeBlocks(viewers));

    // What wren stamped, as BIRD and FRR decode it.
    expect(birdReflectionAttrs(bird.birdc('show', 'route', 'for', N2.block, 'all'))).toEqual({ originatorId: N2.v4, clusterList: RR.v4 });
    expect(birdReflectionAttrs(bird.birdc('show', 'route', 'for', N3.block6, 'all'))).toEqual({ originatorId: N3.v4, clusterList: RR.v4 });
    for (const [prefix, owner] of [
      [N1.block, N1],
      [N3.block6, N3],
    ] as const) {
      const j = JSON.parse(frr.vtysh(`show bgp ${prefix.includes(':') ? 'ipv6' : 'ipv4'} unicast ${prefix} json`)) as {
        paths?: { originatorId?: string; clusterList?: { list?: string[] } }[];
      };
      expect(j.paths?.[0], JSON.stringify(j)).toMatchObject({ originatorId: owner.v4, clusterList: { list: [RR.v4] } });
    }
  });
});

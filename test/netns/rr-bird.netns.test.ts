/**
 * wren nodes as route-reflector clients of BIRD 2: four Calico nodes (wren, kernel on, the client
 * config of docs/topologies.md unchanged) peer only with a BIRD reflector (`rr client` for each,
 * cluster id = BIRD's router id 192.168.1.2, no kernel).
 *
 *   segment 192.168.1.0/24, fd00:192:168:1::/64
 *     rr1 .2        BIRD 2, AS 64512, one `protocol bgp` per node with `rr client`
 *     n1..n4 .11-.14   wren, pod blocks 172.16.i.0/24 + fd00:172:16:i::/64
 *
 * Checked: every block in every wren kernel via its owner (`proto bird`), ORIGINATOR_ID and
 * CLUSTER_LIST as BIRD stamped them, and BIRD's own table holds every block as received.
 *
 * Run: npx vitest run --project netns test/netns/rr-bird.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { startBird } from '../../tools/daemons/bird.js';
import { waitEstablished } from '../../tools/daemons/daemon.js';
import { docConfig, startWrenConfig, type WrenConfigDaemon } from './lib/doc-config.js';
import { askWren, keepFilesOnFailure } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { type Lab } from './lib/netns.js';
import { describeNetns, BIRD_INSTALLED, NETNS } from './lib/requirements.js';
import { buildSegment, calicoNode, describeBlocks, expectBlocksInKernels, nsOf, reflectorHost, type CalicoNode } from './lib/rack.js';

const RR = reflectorHost(1);
const NODES = [1, 2, 3, 4].map(calicoNode);
const ASN = 64512;

const clientConfig = (n: CalicoNode): Record<string, unknown> => ({ ...docConfig('rr-client'), routerId: n.v4, originate: [n.block, n.block6] });

describeNetns('wren nodes as clients of a BIRD 2 route reflector', [NETNS, BIRD_INSTALLED], () => {
  const newLab = labsPerTest();
  let current: Lab | undefined;
  keepFilesOnFailure(() => current);

  it("puts every node's pod block in every wren kernel via its owner", async () => {
    const lab = newLab('rrb');
    current = lab;
    const ns = buildSegment(lab, [RR, ...NODES]);
    const t0 = Date.now();
    const bird = await startBird(lab, {
      ns: nsOf(ns, RR),
      routerId: RR.v4,
      asn: ASN,
      neighbors: NODES.map((n) => ({ address: n.v4, asn: ASN, rrClient: true })),
      originate: [],
    });
    const clients: WrenConfigDaemon[] = [];
    for (const n of NODES) clients.push(await startWrenConfig(lab, nsOf(ns, n), clientConfig(n)));
    for (const n of NODES) await waitEstablished(bird, n.v4);
    const tUp = Date.now();

    const viewers = NODES.map((n, k) => ({ node: n, ns: nsOf(ns, n), proto: 'bird', daemon: clients[k] }));
    await expectBlocksInKernels(viewers, viewers);
    console.log(`rr-bird: sessions up ${tUp - t0} ms after BIRD started; every block in every kernel ${Date.now() - tUp} ms later`);
    console.log(describeBlocks(viewers));

    // BIRD reflects with ORIGINATOR_ID = the client's router id and its router id as cluster id.
    const [c1] = clients;
    if (!c1) throw new Error('no client');
    const seen = await askWren(c1, { cmd: 'show-routes' });
    for (const o of NODES.slice(1)) {
      for (const prefix of [o.block, o.block6]) {
        const r = seen.find((x) => x.prefix === prefix && x.best);
        expect(r, `n1: ${prefix}: ${JSON.stringify(seen)}`).toMatchObject({ from: RR.v4, originatorId: o.v4, clusterList: [RR.v4], asPath: '' });
      }
    }
    // BIRD's table: every block, best, from its owner.
    for (const f of ['ipv4', 'ipv6'] as const) {
      const got = bird.routes(f).map((r) => `${r.prefix} ${r.nextHop}`).sort();
      expect(got).toEqual(NODES.map((n) => (f === 'ipv4' ? `${n.block} ${n.v4}` : `${n.block6} ${n.v6}`)).sort());
    }
  });
});

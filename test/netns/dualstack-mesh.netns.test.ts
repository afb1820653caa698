/**
 * The full node-to-node mesh of docs/topologies.md ("Full mesh"), dual stack: three wren nodes,
 * one IPv4 iBGP session per pair carrying IPv4 and IPv6 unicast (MP-BGP, RFC 4760), kernel on,
 * one dual-stack pod per node. Node 1 runs the documented config verbatim; nodes 2 and 3 the same
 * with their own router id, blocks and the other two nodes as peers.
 *
 *   segment 192.168.1.0/24, fd00:192:168:1::/64:  n1 .11   n2 .12   n3 .13
 *
 * Checked: both families negotiated on each IPv4 session; IPv6 routes carry a usable IPv6 next hop
 * (the owner's global address, not an IPv4-mapped one, answering a ping); every block in every
 * kernel via its owner; every pod pings every other pod over IPv4 and IPv6.
 *
 * Run: npx vitest run --project netns test/netns/dualstack-mesh.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { docConfig, startWrenConfig, type WrenConfigDaemon } from './lib/doc-config.js';
import { askWren, keepFilesOnFailure, wrenPeers } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { waitFor, type Lab } from './lib/netns.js';
import { describeNetns, NETNS } from './lib/requirements.js';
import { ping, pingAll } from './lib/pods.js';
import { addPods, buildSegment, calicoNode, describeBlocks, expectBlocksInKernels, nsOf, type CalicoNode, logTail } from './lib/rack.js';

const NODES = [1, 2, 3].map(calicoNode);

/** The documented node-1 config, for node n: its router id and blocks, the other nodes as peers. */
function meshConfig(n: CalicoNode): Record<string, unknown> {
  return {
    ...docConfig('mesh-node'),
    routerId: n.v4,
    originate: [n.block, n.block6],
    peers: NODES.filter((o) => o !== n).map((o) => ({ name: o.tag, address: o.v4, asn: 64512 })),
  };
}

describeNetns('a dual-stack full mesh over IPv4 sessions', [NETNS], () => {
  const newLab = labsPerTest();
  let current: Lab | undefined;
  keepFilesOnFailure(() => current);

  it('carries IPv4 and IPv6 blocks in one session each, with usable IPv6 next hops, and pods reach each other on both', async () => {
    const lab = newLab('mesh');
    current = lab;
    const ns = buildSegment(lab, NODES);
    const pods = addPods(lab, ns, NODES);
    expect(meshConfig(NODES[0] as CalicoNode)).toEqual(docConfig('mesh-node'));
    const t0 = Date.now();
    const daemons: WrenConfigDaemon[] = [];
    for (const n of NODES) daemons.push(await startWrenConfig(lab, nsOf(ns, n), meshConfig(n)));
    for (const d of daemons) {
      await waitFor(async () => (await wrenPeers(d)).every((p) => p.state === 'Established'), { what: `${d.spec.routerId}: both peers Established`, timeoutMs: 30_000 }).catch(
        (err: Error) => {
          throw new Error(`${err.message}\n${logTail(d)}`);
        },
      );
      for (const p of await wrenPeers(d)) expect(p.capabilities, JSON.stringify(p)).toEqual(expect.arrayContaining(['ipv4-unicast', 'ipv6-unicast']));
    }
    const tUp = Date.now();
    const viewers = NODES.map((n, k) => ({ node: n, ns: nsOf(ns, n), proto: 'bird', daemon: daemons[k] }));
    await expectBlocksInKernels(viewers, viewers);
    console.log(`dualstack-mesh: sessions up ${tUp - t0} ms after the first start; every block in every kernel ${Date.now() - tUp} ms later`);
    console.log(describeBlocks(viewers));

    // The IPv6 next hop of each learned IPv6 block is the owner's global address, and it answers.
    for (const [k, d] of daemons.entries()) {
      const n = NODES[k] as CalicoNode;
      const routes = await askWren(d, { cmd: 'show-routes' });
      for (const o of NODES) {
        if (o === n) continue;
        const r = routes.find((x) => x.prefix === o.block6 && x.best);
        expect(r?.nextHop, JSON.stringify(r)).toBe(o.v6);
        const p = ping(lab, nsOf(ns, n), o.v6);
        expect(p.ok, p.output).toBe(true);
      }
    }
    const failures = pingAll(lab, pods);
    expect(failures, failures.join('\n')).toEqual([]);
  });
});

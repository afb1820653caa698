/**
 * Route reflection with wren on both sides: four Calico nodes (wren, kernel on, one pod each) are
 * clients of a wren route reflector (kernel off) that accepts them through a dynamic `addressRange`
 * peer. The configs are the ones docs/topologies.md shows ("Route reflector"), verbatim.
 *
 *   segment 192.168.1.0/24, fd00:192:168:1::/64
 *     rr1 .2   reflector, cluster id 192.168.1.2, peers: addressRange 192.168.1.0/24 (routeReflectorClient)
 *     n1..n4 .11-.14   clients, each with pod block 172.16.i.0/24 + fd00:172:16:i::/64 and one pod
 *
 * Checked: every block in every node's kernel as `proto bird` via its owner (reflection leaves the
 * next hop alone), ORIGINATOR_ID and CLUSTER_LIST on a reflected route as a client sees it, the
 * reflector's peers are dynamic, and every pod pings every other pod (IPv4 and IPv6).
 *
 * Run: npx vitest run --project netns test/netns/rr-wren.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { docConfig, startWrenConfig, type WrenConfigDaemon } from './lib/doc-config.js';
import { RouteMonitor, fibRoutes } from './lib/fib.js';
import { askWren, keepFilesOnFailure, wrenLogTail, wrenPeers } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { waitFor, type Lab } from './lib/netns.js';
import { describeNetns, NETNS } from './lib/requirements.js';
import { ping, pingAll } from './lib/pods.js';
import { addPods, buildSegment, calicoNode, describeBlocks, expectBlocksInKernels, nsOf, reflectorHost, type CalicoNode } from './lib/rack.js';

const RR = reflectorHost(1);
const NODES = [1, 2, 3, 4].map(calicoNode);

/** The documented client config for node 1, with node i's router id and blocks. */
function clientConfig(n: CalicoNode): Record<string, unknown> {
  return { ...docConfig('rr-client'), routerId: n.v4, originate: [n.block, n.block6] };
}

async function waitReflectorPeers(rr: WrenConfigDaemon, count: number): Promise<void> {
  await waitFor(async () => (await wrenPeers(rr)).filter((p) => p.state === 'Established').length === count, {
    what: `the reflector to have ${count} Established dynamic peers`,
    timeoutMs: 30_000,
    intervalMs: 200,
  }).catch(async (err: Error) => {
    const peers = (await wrenPeers(rr)).map((x) => `${x.address} ${x.state} ${x.lastDownReason ?? ''}`);
    throw new Error(`${err.message}\npeers: ${peers.join('; ')}\n${wrenLogTail(rr, 60)}`);
  });
}

describeNetns('four wren nodes behind a wren route reflector (dynamic peers)', [NETNS], () => {
  const newLab = labsPerTest();
  let current: Lab | undefined;
  keepFilesOnFailure(() => current);

  async function setup(id: string) {
    const lab = newLab(id);
    current = lab;
    const ns = buildSegment(lab, [RR, ...NODES]);
    const pods = addPods(lab, ns, NODES);
    const t0 = Date.now();
    const rr = await startWrenConfig(lab, nsOf(ns, RR), docConfig('rr-reflector'));
    const clients: WrenConfigDaemon[] = [];
    for (const n of NODES) clients.push(await startWrenConfig(lab, nsOf(ns, n), clientConfig(n)));
    await waitReflectorPeers(rr, NODES.length);
    return { lab, ns, pods, rr, clients, t0 };
  }

  it("puts every node's pod block in every node's kernel via its owner, with ORIGINATOR_ID and CLUSTER_LIST, and pods reach each other", async () => {
    expect(clientConfig(NODES[0] ?? calicoNode(1))).toEqual(docConfig('rr-client'));
    const { lab, ns, pods, rr, clients, t0 } = await setup('rrw');
    const tUp = Date.now();
    const rrPeers = await wrenPeers(rr);
    expect(rrPeers.map((p) => [p.address, p.origin, p.type]).sort()).toEqual(NODES.map((n) => [n.v4, 'dynamic', 'ibgp']));

    const viewers = NODES.map((n, k) => ({ node: n, ns: nsOf(ns, n), proto: 'bird', daemon: clients[k] }));
    await expectBlocksInKernels(viewers, viewers);
    const tConverged = Date.now();
    console.log(`rr-wren: sessions up ${tUp - t0} ms after the first start; every block in every kernel ${tConverged - tUp} ms later`);
    console.log(describeBlocks(viewers));

    // RFC 4456 8: a reflected route carries the originator's router id and the reflector's cluster id.
    const [c1] = clients;
    if (!c1) throw new Error('no client');
    const seen = c1.showRoutes(); // `wren show routes --json`, through the CLI
    for (const o of NODES.slice(1)) {
      for (const prefix of [o.block, o.block6]) {
        const r = seen.find((x) => x.prefix === prefix && x.best);
        expect(r, `n1 has no best route for ${prefix}: ${JSON.stringify(seen)}`).toBeDefined();
        expect(r, JSON.stringify(r)).toMatchObject({ from: RR.v4, originatorId: o.v4, clusterList: ['192.168.1.2'], localPref: 100, asPath: '' });
        if (prefix === o.block) expect(r?.nextHop).toBe(o.v4);
        else expect(r?.nextHop).toBe(o.v6);
      }
    }
    // The reflector itself shows the client routes unstamped (as received) and best.
    const onRr = await askWren(rr, { cmd: 'show-routes' });
    expect(onRr.filter((r) => r.best).map((r) => r.prefix).sort()).toEqual(NODES.flatMap((n) => [n.block, n.block6]).sort());

    // Two routed hops (node 1, node 4): the packets go straight to the owner, never through the reflector.
    const [p1, , , p4] = pods;
    if (!p1 || !p4) throw new Error('pods');
    expect(ping(lab, p1.ns, p4.address).ttl).toBe(62);
    const failures = pingAll(lab, pods);
    expect(failures, failures.join('\n')).toEqual([]);
    console.log(`rr-wren: ${pods.length * (pods.length - 1) * 2} pod-to-pod pings (IPv4 and IPv6) answered`);
    // The reflector has kernel programming off: it installed nothing.
    expect(fibRoutes(nsOf(ns, RR)).filter((r) => r.protocol === 'bird')).toEqual([]);
  });

  it("keeps a restarting node's block in every other kernel (graceful restart through the reflector), and takes the node back as a dynamic peer", async () => {
    const { lab, ns, rr, clients } = await setup('rrr');
    const viewers = NODES.map((n, k) => ({ node: n, ns: nsOf(ns, n), proto: 'bird', daemon: clients[k] }));
    await expectBlocksInKernels(viewers, viewers);
    const [, n2] = NODES as [CalicoNode, CalicoNode];
    const c2 = clients[1] as WrenConfigDaemon;
    const others = viewers.filter((v) => v.node !== n2);
    const monitors = await Promise.all(others.map((v) => RouteMonitor.start(lab, v.ns)));
    const t0 = Date.now();
    await c2.stop(); // SIGTERM: Cease to the reflector, kernel routes kept (withdrawOnStop false)
    await waitFor(
      async () => {
        const routes = await askWren(rr, { cmd: 'show-routes' });
        return [n2.block, n2.block6].every((b) => routes.some((r) => r.prefix === b && r.from === n2.v4 && r.stale === true));
      },
      { what: "the reflector to keep node 2's blocks as stale", timeoutMs: 10_000 },
    );
    expect((await wrenPeers(rr)).find((p) => p.address === n2.v4)?.state).not.toBe('Established');
    await c2.start();
    await waitReflectorPeers(rr, NODES.length);
    await waitFor(
      async () => {
        const routes = await askWren(rr, { cmd: 'show-routes' });
        return [n2.block, n2.block6].every((b) => routes.some((r) => r.prefix === b && r.from === n2.v4 && r.best && r.stale !== true));
      },
      { what: "node 2's blocks fresh again on the reflector", timeoutMs: 15_000 },
    );
    const back = Date.now() - t0;
    expect((await wrenPeers(rr)).find((p) => p.address === n2.v4)?.origin).toBe('dynamic');
    await expectBlocksInKernels(viewers, viewers);
    for (const [k, m] of monitors.entries()) {
      const v = others[k];
      expect(m.deletions([n2.block, n2.block6], t0).map((e) => e.text), `${v?.node.tag}: node 2's block was deleted during its restart`).toEqual([]);
    }
    console.log(`rr-wren: node 2 restarted (SIGTERM, start) and was fresh on the reflector ${back} ms after the stop; no other kernel lost its block`);
  });
});

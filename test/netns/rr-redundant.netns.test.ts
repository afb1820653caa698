/**
 * Two wren route reflectors for the same four Calico nodes; each node peers with both, the
 * reflectors peer with each other as plain iBGP neighbours. One reflector is then killed with
 * SIGKILL and nothing may be lost.
 *
 *   segment 192.168.1.0/24, fd00:192:168:1::/64
 *     rr1 .2, rr2 .3   wren reflectors (kernel off): static peer = the other reflector, addressRange for the nodes
 *     n1..n4 .11-.14   wren nodes (kernel on), peers rr1 and rr2
 *
 * - Same cluster id on both (docs/topologies.md "Two reflectors"): a node's route that rr1
 *   reflects to rr2 carries the shared cluster id, so rr2 refuses it (RFC 4456 8, reason
 *   `reflection-loop`); after SIGKILL of rr1 (graceful restart on, the documented default) every
 *   node prefers rr2's copy over rr1's stale one and no kernel route is deleted or changed.
 * - Different cluster ids, graceful restart off on the nodes: rr2 accepts rr1's copy but prefers
 *   the node's own (shorter CLUSTER_LIST); after SIGKILL of rr1 its routes are withdrawn at once on
 *   every node and still no kernel route is deleted: rr2's copies have the same next hop.
 *
 * Run: npx vitest run --project netns test/netns/rr-redundant.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { docConfig, startWrenConfig, type WrenConfigDaemon } from './lib/doc-config.js';
import { RouteMonitor, fibRoutesFor } from './lib/fib.js';
import { askWren, keepFilesOnFailure, wrenLogTail, wrenPeers } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { waitFor, type Lab } from './lib/netns.js';
import { describeNetns, NETNS } from './lib/requirements.js';
import { buildSegment, calicoNode, expectBlocksInKernels, nsOf, reflectorHost, type CalicoNode, logTail } from './lib/rack.js';
import type { RouteView } from '../../src/control/protocol.js';

const RR1 = reflectorHost(1);
const RR2 = reflectorHost(2);
const NODES = [1, 2, 3, 4].map(calicoNode);
const BLOCKS = NODES.flatMap((n) => [n.block, n.block6]);
const SHARED_CLUSTER = docConfig('rr-pair-rr1')['routeReflector'] as { clusterId: string };

/** rr2's config: rr1's documented one with the two addresses swapped. */
function rr2Config(clusterId: string | undefined): Record<string, unknown> {
  const c = docConfig('rr-pair-rr1');
  const peers = (c['peers'] as Record<string, unknown>[]).map((p) => (p['address'] === RR2.v4 ? { ...p, name: 'rr1', address: RR1.v4 } : p));
  const { routeReflector: _, ...rest } = c;
  return { ...rest, routerId: RR2.v4, peers, ...(clusterId !== undefined ? { routeReflector: { clusterId } } : {}) };
}

function rr1Config(clusterId: string | undefined): Record<string, unknown> {
  const { routeReflector: _, ...rest } = docConfig('rr-pair-rr1');
  return { ...rest, ...(clusterId !== undefined ? { routeReflector: { clusterId } } : {}) };
}

const clientConfig = (n: CalicoNode, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...docConfig('rr-pair-client'),
  routerId: n.v4,
  originate: [n.block, n.block6],
  ...extra,
});

interface Pair {
  lab: Lab;
  ns: Record<string, string>;
  rr1: WrenConfigDaemon;
  rr2: WrenConfigDaemon;
  clients: WrenConfigDaemon[];
}

async function startPairOfReflectors(lab: Lab, cluster: 'shared' | 'own', clientExtra: Record<string, unknown>): Promise<Pair> {
  const ns = buildSegment(lab, [RR1, RR2, ...NODES]);
  const rr1 = await startWrenConfig(lab, nsOf(ns, RR1), rr1Config(cluster === 'shared' ? SHARED_CLUSTER.clusterId : undefined));
  const rr2 = await startWrenConfig(lab, nsOf(ns, RR2), rr2Config(cluster === 'shared' ? SHARED_CLUSTER.clusterId : undefined));
  const clients: WrenConfigDaemon[] = [];
  for (const n of NODES) clients.push(await startWrenConfig(lab, nsOf(ns, n), clientConfig(n, clientExtra)));
  for (const rr of [rr1, rr2]) {
    await waitFor(async () => (await wrenPeers(rr)).filter((p) => p.state === 'Established').length === NODES.length + 1, {
      what: `${rr.spec.routerId}: 4 nodes and the other reflector Established`,
      timeoutMs: 30_000,
    }).catch(async (err: Error) => {
      const peers = (await wrenPeers(rr)).map((x) => `${x.address} ${x.state} ${x.lastDownReason ?? ''}`);
      throw new Error(`${err.message}\npeers: ${peers.join('; ')}\n${wrenLogTail(rr, 60)}`);
    });
  }
  const viewers = NODES.map((n, k) => ({ node: n, ns: nsOf(ns, n), proto: 'bird', daemon: clients[k] }));
  await expectBlocksInKernels(viewers, viewers);
  // Every node holds each other block twice, once per reflector (it prefers one).
  for (const [k, c] of clients.entries()) {
    await waitFor(
      async () => {
        const routes = await askWren(c, { cmd: 'show-routes' });
        return BLOCKS.filter((b) => !(NODES[k]?.block === b || NODES[k]?.block6 === b)).every((b) => routes.filter((r) => r.prefix === b).length === 2);
      },
      { what: `${NODES[k]?.tag}: every other block from both reflectors`, timeoutMs: 10_000 },
    );
  }
  return { lab, ns, rr1, rr2, clients };
}

/** Every other node's block on `c`: [prefix, best route's reflector, its cluster list, stale]. */
async function bestSources(c: WrenConfigDaemon, self: CalicoNode): Promise<string[]> {
  const routes = await askWren(c, { cmd: 'show-routes' });
  return BLOCKS.filter((b) => b !== self.block && b !== self.block6).map((b) => {
    const best = routes.find((r) => r.prefix === b && r.best);
    return `${b} ${best?.from ?? 'none'} ${(best?.clusterList ?? []).join(',')}${best?.stale ? ' stale' : ''}`;
  });
}

/** SIGKILL rr1, then wait until every node's best routes come from rr2; the monitors must see no deletion. */
async function killRr1AndCheck(p: Pair, rr2Cluster: string): Promise<void> {
  const monitors = await Promise.all(NODES.map((n) => RouteMonitor.start(p.lab, nsOf(p.ns, n))));
  const before = NODES.map((n) => BLOCKS.map((b) => JSON.stringify(fibRoutesFor(nsOf(p.ns, n), b))));
  // Before: rr1's copy is best everywhere (equal up to the last tie-breaker, the lower peer address).
  for (const [k, c] of p.clients.entries()) {
    const n = NODES[k] as CalicoNode;
    const rr1Cluster = rr2Cluster === RR2.v4 ? RR1.v4 : rr2Cluster;
    expect(await bestSources(c, n)).toEqual(BLOCKS.filter((b) => b !== n.block && b !== n.block6).map((b) => `${b} ${RR1.v4} ${rr1Cluster}`));
  }
  const t0 = Date.now();
  await p.rr1.kill();
  for (const [k, c] of p.clients.entries()) {
    const n = NODES[k] as CalicoNode;
    const want = BLOCKS.filter((b) => b !== n.block && b !== n.block6).map((b) => `${b} ${RR2.v4} ${rr2Cluster}`);
    await waitFor(async () => JSON.stringify(await bestSources(c, n)) === JSON.stringify(want), {
      what: `${n.tag}: every best route from rr2`,
      timeoutMs: 15_000,
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${JSON.stringify(await bestSources(c, n))}\n${logTail(c)}`);
    });
  }
  const moved = Date.now() - t0;
  // The kernel never noticed: no deletion, and every route is as it was.
  for (const [k, n] of NODES.entries()) {
    const m = monitors[k] as RouteMonitor;
    expect(m.deletions(BLOCKS, t0).map((e) => e.text), `${n.tag}: a block was deleted after rr1 died`).toEqual([]);
    expect(m.events().filter((e) => e.at >= t0 && BLOCKS.includes(e.prefix)).map((e) => e.text), `${n.tag}: a block was rewritten`).toEqual([]);
    expect(BLOCKS.map((b) => JSON.stringify(fibRoutesFor(nsOf(p.ns, n), b)))).toEqual(before[k]);
  }
  console.log(`rr-redundant: ${moved} ms after SIGKILL of rr1 every node's best routes came from rr2; no kernel route deleted or changed`);
}

/** No route anywhere carries a CLUSTER_LIST with both reflectors (a reflection loop). */
function expectNoLongClusterList(routes: readonly RouteView[], who: string): void {
  const long = routes.filter((r) => (r.clusterList?.length ?? 0) > 1);
  expect(long, `${who}: routes reflected twice`).toEqual([]);
}

describeNetns('two route reflectors for the same nodes', [NETNS], () => {
  const newLab = labsPerTest();
  let current: Lab | undefined;
  keepFilesOnFailure(() => current);

  it('with one shared cluster id: each reflector refuses the other one\'s copies, and killing one loses nothing', async () => {
    // rr1 and node 1 run the documented configs unchanged.
    expect(rr1Config(SHARED_CLUSTER.clusterId)).toEqual(docConfig('rr-pair-rr1'));
    expect(clientConfig(NODES[0] as CalicoNode)).toEqual(docConfig('rr-pair-client'));
    const lab = newLab('rrs');
    current = lab;
    const p = await startPairOfReflectors(lab, 'shared', {});
    // rr2 got every node route from rr1 too, and refused it: its own cluster id is in CLUSTER_LIST.
    for (const [rr, other] of [
      [p.rr2, RR1],
      [p.rr1, RR2],
    ] as const) {
      await waitFor(
        async () => {
          const routes = await askWren(rr, { cmd: 'show-routes' });
          const fromOther = routes.filter((r) => r.from === other.v4);
          return fromOther.length === BLOCKS.length && fromOther.every((r) => !r.best && r.reason === 'reflection-loop');
        },
        { what: `${rr.spec.routerId}: every route from ${other.v4} refused as a reflection loop`, timeoutMs: 10_000 },
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${JSON.stringify((await askWren(rr, { cmd: 'show-routes' })).filter((r) => r.from === other.v4))}`);
      });
      const routes = await askWren(rr, { cmd: 'show-routes' });
      expect(routes.filter((r) => r.best).map((r) => `${r.prefix} ${r.from}`).sort()).toEqual(NODES.flatMap((n) => [`${n.block} ${n.v4}`, `${n.block6} ${n.v4}`]).sort());
    }
    for (const [k, c] of p.clients.entries()) expectNoLongClusterList(await askWren(c, { cmd: 'show-routes' }), NODES[k]?.tag ?? '?');
    await killRr1AndCheck(p, SHARED_CLUSTER.clusterId);
    // Graceful restart (on by default): rr1's copies are kept as stale, and lost on `stale`.
    for (const c of p.clients) {
      const fromRr1 = (await askWren(c, { cmd: 'show-routes' })).filter((r) => r.from === RR1.v4);
      expect(fromRr1.map((r) => `${r.prefix} ${r.stale === true} ${r.reason}`).sort()).toEqual(
        BLOCKS.filter((b) => !c.spec.originate.includes(b)).map((b) => `${b} true stale`).sort(),
      );
    }
  });

  it('with a cluster id each and graceful restart off on the nodes: the other reflector\'s copies lose on CLUSTER_LIST, and killing one loses nothing', async () => {
    const lab = newLab('rro');
    current = lab;
    const p = await startPairOfReflectors(lab, 'own', { gracefulRestart: { enabled: false } });
    for (const [rr, other] of [
      [p.rr2, RR1],
      [p.rr1, RR2],
    ] as const) {
      await waitFor(
        async () => {
          const routes = await askWren(rr, { cmd: 'show-routes' });
          const fromOther = routes.filter((r) => r.from === other.v4);
          return fromOther.length === BLOCKS.length && fromOther.every((r) => !r.best && r.reason === 'cluster-list-len' && r.clusterList?.join() === other.v4);
        },
        { what: `${rr.spec.routerId}: every route from ${other.v4} accepted but not best (cluster-list-len)`, timeoutMs: 10_000 },
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${JSON.stringify((await askWren(rr, { cmd: 'show-routes' })).filter((r) => r.from === other.v4))}`);
      });
      expectNoLongClusterList(await askWren(rr, { cmd: 'show-routes' }), rr.spec.routerId);
    }
    for (const [k, c] of p.clients.entries()) expectNoLongClusterList(await askWren(c, { cmd: 'show-routes' }), NODES[k]?.tag ?? '?');
    await killRr1AndCheck(p, RR2.v4);
    // Without graceful restart rr1's routes are gone, not stale.
    for (const c of p.clients) expect((await askWren(c, { cmd: 'show-routes' })).filter((r) => r.from === RR1.v4)).toEqual([]);
  });
});

/**
 * Calico topologies from etcd with real wren processes (docs/datastore.md): the node-to-node mesh
 * off, two route reflectors chosen by `routeReflectorClusterID` and selected by a BGPPeer's
 * `peerSelector`, 20 client nodes; then a global BGPPeer to an FRR top-of-rack router.
 *
 *   segment 10.0.50.0/24 (bridge): etcd .250, rr1 .1, rr2 .2, clients c3..c22 .3-.22, FRR ToR .100 (AS 65000)
 *   node i's block: 10.66.i.0/26 (written into etcd as Calico's IPAM writes it, affinity confirmed)
 *
 * The clients program their kernels (asserted); the reflectors do not (nothing is asserted there,
 * and 22 daemons share two cores).
 *
 * Run: npx vitest run --project netns test/netns/datastore-topologies.netns.test.ts   (as root, after npm run build)
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { calico, EtcdServer, type EtcdClient } from '../../tools/daemons/etcd.js';
import { startFrr, type FrrDaemon } from '../../tools/daemons/frr.js';
import { DatastoreWren } from '../../tools/daemons/wren-datastore.js';
import { fibRoutes } from './lib/fib.js';
import { Lab, listNamespaces, waitFor } from './lib/netns.js';
import { describeNetns, FRR_INSTALLED, NETNS, programs } from './lib/requirements.js';

const ETCD_INSTALLED = programs('etcd', 'etcdctl');
const NODES = Array.from({ length: 22 }, (_, n) => n + 1);
const RRS = [1, 2];
const CLIENTS = NODES.filter((i) => !RRS.includes(i));
const addr = (i: number): string => `10.0.50.${i}`;
const name = (i: number): string => (RRS.includes(i) ? `rr${i}` : `c${i}`);
const block = (i: number): string => `10.66.${i}.0/26`;
const TOR = '10.0.50.100';

describeNetns('Calico topologies from etcd: route reflectors, a global top-of-rack peer', [NETNS, ETCD_INSTALLED, FRR_INSTALLED], () => {
  let lab: Lab;
  let etcd: EtcdServer;
  let client: EtcdClient;
  const ns = new Map<number, string>();
  const wrens = new Map<number, DatastoreWren>();
  let torNs: string;

  beforeAll(async () => {
    lab = new Lab({ id: 'dstopo' });
    const etcdNs = lab.addNamespace('etcd');
    torNs = lab.addNamespace('tor', { forwarding: true });
    for (const i of NODES) ns.set(i, lab.addNamespace(name(i), { forwarding: true }));
    lab.bridgeSegment('sw', [
      { ns: etcdNs, ifName: 'eth0', addrs: ['10.0.50.250/24'] },
      { ns: torNs, ifName: 'eth0', addrs: [`${TOR}/24`] },
      ...NODES.map((i) => ({ ns: ns.get(i) as string, ifName: 'eth0', addrs: [`${addr(i)}/24`] })),
    ]);
    etcd = new EtcdServer(lab, { ns: etcdNs, address: '10.0.50.250' });
    await etcd.start();
    client = await etcd.client();
    const items: { key: string; value: string | object }[] = [
      { key: calico.bgpConfigKey(), value: calico.bgpConfig({ asNumber: 64512, nodeToNodeMeshEnabled: false }) },
      { key: calico.ipPoolKey('pods'), value: calico.ipPool('pods', { cidr: '10.66.0.0/16' }) },
      { key: calico.bgpPeerKey('peer-with-route-reflectors'), value: calico.bgpPeer('peer-with-route-reflectors', { nodeSelector: 'all()', peerSelector: 'has(route-reflector)' }) },
    ];
    for (const i of NODES) {
      const rr = RRS.includes(i);
      items.push({ key: calico.nodeKey(name(i)), value: calico.node(name(i), { ipv4Address: `${addr(i)}/24`, ...(rr ? { routeReflectorClusterID: '244.0.0.1' } : {}) }, rr ? { 'route-reflector': 'true' } : {}) });
      items.push({ key: calico.blockKey(block(i)), value: calico.block(block(i), name(i)) });
      items.push({ key: calico.affinityKey(name(i), block(i)), value: '{"state":"confirmed","deleted":false}' });
    }
    await client.putMany(items);
  }, 60_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    const prefix = lab?.prefix;
    await lab?.destroy();
    if (prefix) expect(listNamespaces(prefix)).toEqual([]);
  });

  it('mesh off, two reflectors by routeReflectorClusterID, 20 clients: every client has exactly the two reflector sessions and every other block in its kernel', async () => {
    const t0 = Date.now();
    const started = await Promise.all(
      NODES.map(async (i) => {
        const w = new DatastoreWren(lab, { ns: ns.get(i) as string, nodeName: name(i), etcd, kernel: CLIENTS.includes(i), logLevel: 'warn' });
        await w.start();
        wrens.set(i, w);
        return w;
      }),
    );
    expect(started.length).toBe(22);
    for (const i of CLIENTS) {
      const w = wrens.get(i) as DatastoreWren;
      await waitFor(
        () => {
          const have = new Set(fibRoutes(ns.get(i) as string).filter((r) => r.protocol === 'bird' && r.type === 'unicast').map((r) => `${r.prefix} via ${r.gateways.join(',')}`));
          return NODES.filter((o) => o !== i).every((o) => have.has(`${block(o)} via ${addr(o)}`));
        },
        { what: `c${i}: every other block via its owner in the kernel`, timeoutMs: 90_000, intervalMs: 500 },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${w.describeLogs(20)}`);
      });
    }
    console.log(`route reflectors: ${Date.now() - t0} ms from starting 22 wren processes to every block in all 20 clients' kernels`);
    for (const i of CLIENTS) {
      const peers = (wrens.get(i) as DatastoreWren).showPeers();
      expect(peers.map((p) => [p.name, p.state]).sort(), `c${i}`).toEqual([
        ['Node_10_0_50_1', 'Established'],
        ['Node_10_0_50_2', 'Established'],
      ]);
    }
    for (const r of RRS) {
      const peers = (wrens.get(r) as DatastoreWren).showPeers();
      expect(peers.length, `rr${r}`).toBe(21);
      expect(peers.every((p) => p.state === 'Established'), `rr${r}: all Established`).toBe(true);
    }
  }, 180_000);

  it('a global BGPPeer to an FRR top-of-rack: every node peers with it as Global_<ip>, FRR learns every block, the clients learn its route', async () => {
    const tor: FrrDaemon = await startFrr(lab, {
      ns: torNs,
      routerId: TOR,
      asn: 65000,
      neighbors: NODES.map((i) => ({ address: addr(i), asn: 64512, families: ['ipv4'] })),
      originate: ['192.168.100.0/24'],
    });
    const t0 = Date.now();
    await client.put(calico.bgpPeerKey('rack-tor'), calico.bgpPeer('rack-tor', { peerIP: TOR, asNumber: 65000 }));
    // FRR holding every node's block means every session is up; then each node is asked once.
    await waitFor(
      () => {
        const have = new Set(tor.routes('ipv4').map((r) => r.prefix));
        return NODES.every((i) => have.has(block(i)));
      },
      { what: 'FRR: every block', timeoutMs: 60_000, intervalMs: 200 },
    );
    for (const i of NODES) {
      const p = (wrens.get(i) as DatastoreWren).showPeers().find((x) => x.address === TOR);
      expect([p?.name, p?.state, p?.source, p?.sourceResources], name(i)).toEqual(['Global_10_0_50_100', 'Established', 'Global_10_0_50_100', ['/calico/resources/v3/projectcalico.org/bgppeers/rack-tor']]);
    }
    console.log(`global peer: ${Date.now() - t0} ms from the BGPPeer's put to 22 sessions Established and every block at FRR`);
    for (const i of CLIENTS.slice(0, 3)) {
      await waitFor(() => fibRoutes(ns.get(i) as string).some((r) => r.prefix === '192.168.100.0/24' && r.gateways[0] === TOR), { what: `c${i}: the ToR's route`, timeoutMs: 20_000 });
    }
    const reflected = tor.routes('ipv4').find((r) => r.prefix === block(3));
    expect(reflected?.asPath).toEqual([64512]);
  }, 120_000);
});

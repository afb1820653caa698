/**
 * wren driven by a real etcd (docs/datastore.md), in namespaces: one lab for the file, one etcd,
 * hosts on one bridge, each wren started with only its node name and the etcd endpoint (plus
 * register and claimBlock). The scenarios run in order on the same cluster (each `it` starts from
 * the state the previous one left, as an operator's cluster would go through them):
 *
 *   segment 10.0.40.0/24 (bridge): etcd .250, h1 .1, h2 .2, h3 .3, h4 .4;
 *   h5 10.0.41.5/24 on the same bridge but another subnet (link routes both ways), for CrossSubnet.
 *
 * Then, on their own etcds: TLS with client certificates (a CA made by openssl here), and 30 nodes
 * claiming blocks at once.
 *
 * Run: npx vitest run --project netns test/netns/datastore.netns.test.ts   (as root, after npm run build)
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { calico, EtcdServer, type EtcdClient } from '../../tools/daemons/etcd.js';
import { DatastoreWren } from '../../tools/daemons/wren-datastore.js';
import { fibRoutes, waitForFibRoute, waitForNoFibRoute } from './lib/fib.js';
import { Lab, listNamespaces, waitFor } from './lib/netns.js';
import { describeNetns, NETNS, programs } from './lib/requirements.js';

const ETCD_INSTALLED = programs('etcd', 'etcdctl', 'openssl');
const POOL = '10.65.0.0/16';
const host = (i: number): string => (i === 5 ? '10.0.41.5' : `10.0.40.${i}`);
const sessionName = (i: number): string => `Mesh_${host(i).replace(/\./g, '_')}`;

describeNetns('wren follows a Calico etcd datastore', [NETNS, ETCD_INSTALLED], () => {
  let lab: Lab;
  let etcd: EtcdServer;
  let client: EtcdClient;
  const ns: Record<number, string> = {};
  const wrens = new Map<number, DatastoreWren>();

  beforeAll(async () => {
    lab = new Lab({ id: 'ds' });
    const etcdNs = lab.addNamespace('etcd');
    for (const i of [1, 2, 3, 4, 5]) ns[i] = lab.addNamespace(`h${i}`, { forwarding: true });
    lab.bridgeSegment('sw', [
      { ns: etcdNs, ifName: 'eth0', addrs: ['10.0.40.250/24'] },
      ...[1, 2, 3, 4, 5].map((i) => ({ ns: ns[i] as string, ifName: 'eth0', addrs: [`${host(i)}/24`] })),
    ]);
    // h5 is on another subnet of the same wire: reachable by link routes, never "connected" for wren.
    for (const i of [1, 2, 3, 4]) lab.exec(ns[i] as string, 'ip', ['route', 'add', '10.0.41.0/24', 'dev', 'eth0', 'scope', 'link']);
    lab.exec(ns[5] as string, 'ip', ['route', 'add', '10.0.40.0/24', 'dev', 'eth0', 'scope', 'link']);
    lab.exec(etcdNs, 'ip', ['route', 'add', '10.0.41.0/24', 'dev', 'eth0', 'scope', 'link']);
    etcd = new EtcdServer(lab, { ns: etcdNs, address: '10.0.40.250' });
    await etcd.start();
    client = await etcd.client();
    await client.put(calico.bgpConfigKey(), calico.bgpConfig({ asNumber: 64512, nodeToNodeMeshEnabled: true }));
    await client.put(calico.ipPoolKey('default-ipv4-ippool'), calico.ipPool('default-ipv4-ippool', { cidr: POOL }));
  }, 60_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    const prefix = lab?.prefix;
    await lab?.destroy();
    if (prefix) expect(listNamespaces(prefix)).toEqual([]);
  });

  const startNode = async (i: number, extra: { kernel?: boolean } = {}): Promise<DatastoreWren> => {
    const w = new DatastoreWren(lab, { ns: ns[i] as string, nodeName: `h${i}`, etcd, register: true, claimBlock: true, kernel: extra.kernel ?? true });
    await w.start();
    wrens.set(i, w);
    return w;
  };
  const blockOf = (i: number): string => {
    const claim = wrens.get(i)?.showDatastore()?.claim ?? '';
    const m = /^(\d+\.\d+\.\d+\.\d+\/\d+)/.exec(claim);
    if (!m?.[1]) throw new Error(`h${i}: no block claimed (${claim})`);
    return m[1];
  };
  const established = (i: number, peers: readonly number[]): boolean => {
    const st = wrens.get(i)?.showPeers() ?? [];
    return peers.every((p) => st.find((s) => s.address === host(p))?.state === 'Established') && st.length === peers.length;
  };
  const waitMesh = async (members: readonly number[], timeoutMs = 30_000): Promise<void> => {
    for (const i of members) {
      const others = members.filter((o) => o !== i);
      await waitFor(() => established(i, others), { what: `h${i} Established with ${others.map((o) => `h${o}`).join(', ')} only`, timeoutMs, intervalMs: 200 }).catch((err: Error) => {
        throw new Error(`${err.message}\n${wrens.get(i)?.describeLogs(30) ?? ''}`);
      });
    }
  };

  it('builds a 3-node mesh from etcd: nodes register, claim their blocks, peer as Mesh_<ip>, install each other\'s blocks', async () => {
    const t0 = Date.now();
    await Promise.all([1, 2, 3].map((i) => startNode(i)));
    await waitMesh([1, 2, 3]);
    const blocks = [1, 2, 3].map(blockOf);
    expect(new Set(blocks).size).toBe(3);
    for (const i of [1, 2, 3]) {
      for (const o of [1, 2, 3]) {
        const r = await waitForFibRoute(ns[i] as string, blocks[o - 1] as string, (x) => (o === i ? x.type === 'blackhole' : x.protocol === 'bird'));
        if (o !== i) expect(r.gateways).toEqual([host(o)]);
      }
    }
    console.log(`3-node mesh from etcd: ${Date.now() - t0} ms from start to every block in every kernel`);
    const peers = wrens.get(1)?.showPeers() ?? [];
    expect(peers.map((p) => [p.name, p.source]).sort()).toEqual([
      [sessionName(2), 'datastore'],
      [sessionName(3), 'datastore'],
    ]);
    const ds = wrens.get(1)?.showDatastore();
    expect(ds).toMatchObject({ connected: true, synced: true, nodeName: 'h1', counts: { nodes: 3, ipPools: 1, blocks: 3, bgpConfigurations: 1 }, skipped: [] });
    expect(wrens.get(1)?.cli('show', 'datastore')).toMatch(/connected for/);
    expect(wrens.get(1)?.cli('show', 'peers')).toMatch(/Mesh_10_0_40_2 +datastore/);
    // The Node resources are as Calico stores them.
    const [node] = await client.get(calico.nodeKey('h2'));
    expect(JSON.parse(node?.value ?? '{}')).toMatchObject({ kind: 'Node', apiVersion: 'projectcalico.org/v3', metadata: { name: 'h2' }, spec: { bgp: { ipv4Address: '10.0.40.2/24' } } });
  }, 90_000);
});

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
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
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
  /** Every session of node i now: uptime and when it was read. */
  const uptimes = (i: number): { at: number; up: Map<string, number> } => ({
    at: Date.now(),
    up: new Map((wrens.get(i)?.showPeers() ?? []).filter((p) => p.state === 'Established').map((p) => [p.address, p.uptimeSec])),
  });
  /** Each session seen before is still Established and was never reset (its uptime only grew). */
  const expectNotReset = (i: number, before: { at: number; up: Map<string, number> }): void => {
    const now = new Map((wrens.get(i)?.showPeers() ?? []).map((p) => [p.address, p] as const));
    const elapsed = Math.floor((Date.now() - before.at) / 1000);
    for (const [address, up] of before.up) {
      const p = now.get(address);
      expect(p?.state, `h${i}: session with ${address}`).toBe('Established');
      expect(p?.uptimeSec ?? -1, `h${i}: uptime of the session with ${address} (was ${up}s, ${elapsed}s ago)`).toBeGreaterThanOrEqual(up + elapsed - 1);
    }
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
    // Source: confd's session name, with the etcd key it was derived from.
    expect(peers.map((p) => [p.name, p.source, p.sourceResources]).sort()).toEqual([
      [sessionName(2), sessionName(2), ['/calico/resources/v3/projectcalico.org/nodes/h2']],
      [sessionName(3), sessionName(3), ['/calico/resources/v3/projectcalico.org/nodes/h3']],
    ]);
    const ds = wrens.get(1)?.showDatastore();
    expect(ds).toMatchObject({ connected: true, synced: true, nodeName: 'h1', counts: { nodes: 3, ipPools: 1, blocks: 3, bgpConfigurations: 1 }, skipped: [] });
    expect(wrens.get(1)?.cli('show', 'datastore')).toMatch(/connected for/);
    expect(wrens.get(1)?.cli('show', 'peers')).toMatch(/Mesh_10_0_40_2 +Mesh_10_0_40_2\n/);
    expect(wrens.get(1)?.cli('show', 'peers')).toMatch(/from the datastore \(Mesh_10_0_40_2, nodes\/h2\)/);
    // The Node resources are as Calico stores them.
    const [node] = await client.get(calico.nodeKey('h2'));
    expect(JSON.parse(node?.value ?? '{}')).toMatchObject({ kind: 'Node', apiVersion: 'projectcalico.org/v3', metadata: { name: 'h2' }, spec: { bgp: { ipv4Address: '10.0.40.2/24' } } });
  }, 90_000);

  it('a node that joins adds exactly one session on each node and resets none; a node that leaves closes its session and its routes go', async () => {
    const before = Object.fromEntries([1, 2, 3].map((i) => [i, uptimes(i)]));
    const t0 = Date.now();
    await startNode(4);
    await waitMesh([1, 2, 3, 4]);
    console.log(`join: ${Date.now() - t0} ms from h4's start to a 4-node mesh`);
    for (const i of [1, 2, 3]) expectNotReset(i, before[i] as ReturnType<typeof uptimes>);
    const b4 = blockOf(4);
    for (const i of [1, 2, 3]) await waitForFibRoute(ns[i] as string, b4, (r) => r.protocol === 'bird' && r.gateways[0] === host(4));

    const kept = Object.fromEntries([1, 2, 3].map((i) => [i, uptimes(i)]));
    await wrens.get(4)?.stop();
    wrens.delete(4);
    const t1 = Date.now();
    await client.del(calico.nodeKey('h4'));
    await waitMesh([1, 2, 3]);
    for (const i of [1, 2, 3]) await waitForNoFibRoute(ns[i] as string, b4, { timeoutMs: 10_000 });
    console.log(`leave: ${Date.now() - t1} ms from the Node's deletion to its session and block gone everywhere`);
    for (const i of [1, 2, 3]) {
      const k = kept[i] as ReturnType<typeof uptimes>;
      k.up.delete(host(4));
      expectNotReset(i, k);
    }
  }, 90_000);

  it('skips malformed resources (bad JSON, bad CIDR, unknown enum, AS out of range) with their key and why, keeps every session', async () => {
    const before = uptimes(1);
    await client.put(calico.nodeKey('bad-json'), '{"kind":"Node", not json');
    await client.put(calico.nodeKey('bad-cidr'), calico.node('bad-cidr', { ipv4Address: '10.0.40.300/24' }));
    await client.put(calico.ipPoolKey('bad-mode'), calico.ipPool('bad-mode', { cidr: '10.66.0.0/16', ipipMode: 'Sometimes' }));
    const w = wrens.get(1) as DatastoreWren;
    await waitFor(() => (w.showDatastore()?.skipped.length ?? 0) >= 3, { what: 'h1 to report 3 skipped resources', timeoutMs: 10_000 });
    const skipped = w.showDatastore()?.skipped ?? [];
    expect(skipped.map((x) => x.key).sort()).toEqual([calico.ipPoolKey('bad-mode'), calico.nodeKey('bad-cidr'), calico.nodeKey('bad-json')].sort());
    expect(skipped.find((x) => x.key === calico.nodeKey('bad-json'))?.reason).toMatch(/JSON/);
    expect(skipped.find((x) => x.key === calico.ipPoolKey('bad-mode'))?.reason).toMatch(/Sometimes/);
    expect(w.cli('show', 'datastore')).toMatch(/bad-cidr/);

    // A node whose AS no BGP speaker can have is skipped too (datastore content never makes the
    // derived configuration invalid: decision 0008); no session is added for it.
    await client.put(calico.nodeKey('h9'), calico.node('h9', { ipv4Address: '10.0.40.9/24', asNumber: 99_999_999_999 }));
    await waitFor(() => (w.showDatastore()?.skipped ?? []).some((x) => x.key === calico.nodeKey('h9')), { what: 'h1 to skip h9', timeoutMs: 10_000 });
    expect(w.showDatastore()?.skipped.find((x) => x.key === calico.nodeKey('h9'))?.reason).toMatch(/asNumber/);
    expect(w.showPeers().map((p) => p.address).sort()).toEqual([host(2), host(3)]);
    for (const k of [calico.nodeKey('bad-json'), calico.nodeKey('bad-cidr'), calico.ipPoolKey('bad-mode'), calico.nodeKey('h9')]) await client.del(k);
    await waitFor(() => w.showDatastore()?.skipped.length === 0 && w.showDatastore()?.last?.result !== 'invalid', { what: 'h1 to drop the skipped list', timeoutMs: 10_000 });
    expect(w.process?.running).toBe(true);
    for (const i of [1]) expectNotReset(i, before);
  }, 60_000);

  it('wren reload re-reads the file and derives again: a peer added in the file joins the datastore\'s, marked "file"; a bad file, or one whose derived configuration is invalid, changes nothing', async () => {
    const w = wrens.get(1) as DatastoreWren;
    const before = uptimes(1);
    const file = JSON.parse(readFileSync(w.paths.config, 'utf8')) as Record<string, unknown>;
    writeFileSync(w.paths.config, JSON.stringify({ ...file, peers: [{ address: '10.0.40.77', asn: 65077, import: 'all', export: 'all' }] }));
    expect(w.cli('reload')).toMatch(/configuration reloaded: 1 change/);
    const p77 = w.showPeers().find((p) => p.address === '10.0.40.77');
    expect(p77?.source).toBe('file');
    writeFileSync(w.paths.config, JSON.stringify({ ...file, peers: [{ address: '10.0.40.77', asn: 'x' }] }));
    expect(() => w.cli('reload')).toThrow(/EBADCONFIG/);
    // A file that validates alone but whose derived configuration does not (a route reflector client
    // must be iBGP: the datastore's AS is 64512): refused, nothing changed.
    writeFileSync(w.paths.config, JSON.stringify({ ...file, peers: [{ address: '10.0.40.77', asn: 65077, routeReflectorClient: true }] }));
    expect(() => w.cli('reload')).toThrow(/EBADCONFIG.*routeReflectorClient: requires iBGP/);
    expect(w.showDatastore()?.last?.result).toBe('invalid');
    expect(w.showPeers().find((p) => p.address === '10.0.40.77')?.asn).toBe(65077);
    expect(w.showPeers().some((p) => p.address === '10.0.40.77')).toBe(true);
    writeFileSync(w.paths.config, JSON.stringify(file));
    expect(w.cli('reload')).toMatch(/configuration reloaded: 1 change/);
    expect(w.showPeers().map((p) => p.address).sort()).toEqual([host(2), host(3)]);
    expectNotReset(1, before);
  }, 30_000);

  it('a block affinity of this node that becomes confirmed is announced (blackhole here, a route at the others), and withdrawn when it goes; no session reset', async () => {
    const before = Object.fromEntries([1, 2, 3].map((i) => [i, uptimes(i)]));
    const extra = '10.65.250.0/26';
    const w1 = wrens.get(1) as DatastoreWren;
    const r0 = w1.showDatastore()?.revision ?? 0;
    await client.put(calico.affinityKey('h1', extra), '{"state":"pending","deleted":false}');
    // Derived again past the put (unchanged: a pending block is not this node's yet).
    await waitFor(() => (w1.showDatastore()?.last?.revision ?? 0) > r0, { what: 'h1 to derive past the pending affinity', timeoutMs: 10_000 });
    expect(w1.showDatastore()?.last?.result).toBe('unchanged');
    expect(fibRoutes(ns[1] as string).some((r) => r.prefix === extra)).toBe(false);
    const t0 = Date.now();
    await client.put(calico.affinityKey('h1', extra), '{"state":"confirmed","deleted":false}');
    await waitForFibRoute(ns[1] as string, extra, (r) => r.type === 'blackhole');
    for (const i of [2, 3]) await waitForFibRoute(ns[i] as string, extra, (r) => r.protocol === 'bird' && r.gateways[0] === host(1));
    console.log(`block confirmed: ${Date.now() - t0} ms from the affinity's put to the route at h2 and h3`);
    await client.del(calico.affinityKey('h1', extra));
    for (const i of [1, 2, 3]) await waitForNoFibRoute(ns[i] as string, extra, { timeoutMs: 10_000 });
    for (const i of [1, 2, 3]) expectNotReset(i, before[i] as ReturnType<typeof uptimes>);
  }, 30_000);

  it('a 500-node import written as 500 puts is a few reconfigurations (burst mode: one per second while it lasts and one at its end), not 500; the other sessions untouched', async () => {
    const before = Object.fromEntries([1, 2, 3].map((i) => [i, uptimes(i)]));
    const w1 = wrens.get(1) as DatastoreWren;
    const reconf0 = w1.showDatastore()?.reconfigurations ?? 0;
    // No hosts behind them and no route to 10.0.128.0/17: every dial fails at once.
    const items = Array.from({ length: 500 }, (_, k) => ({ key: calico.nodeKey(`bulk-${k}`), value: calico.node(`bulk-${k}`, { ipv4Address: `10.0.${128 + (k >> 7)}.${(k & 127) + 1}/17` }) }));
    const t0 = Date.now();
    await client.putMany(items);
    const writeMs = Date.now() - t0;
    await waitFor(() => w1.showPeers().length === 502, { what: 'h1 to configure the 500 new sessions', timeoutMs: 30_000 }).catch((err: Error) => {
      throw new Error(`${err.message}: ${w1.showPeers().length} sessions, show datastore ${JSON.stringify(w1.showDatastore()?.last)}`);
    });
    const reconf = (w1.showDatastore()?.reconfigurations ?? 0) - reconf0;
    console.log(`500-node import: written in ${writeMs} ms, ${reconf} reconfiguration(s) at h1, ${Date.now() - t0} ms to 502 sessions configured`);
    expect(reconf).toBeGreaterThanOrEqual(1);
    // The first clump, one per second of the burst (coalesce.ts), one at its end.
    expect(reconf).toBeLessThanOrEqual(Math.floor(writeMs / 1000) + 2);
    await client.delPrefix(calico.nodeKey('bulk-'));
    await waitFor(() => w1.showPeers().length === 2, { what: 'h1 back to its two mesh sessions', timeoutMs: 30_000 });
    await waitMesh([1, 2, 3]);
    for (const i of [1, 2, 3]) expectNotReset(i, before[i] as ReturnType<typeof uptimes>);
  }, 90_000);

  /** One command on a BIRD-compatible socket: the reply, up to its final `0000` line. */
  const birdCommand = (path: string, command: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const sock = createConnection(path);
      let text = '';
      let sent = false;
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`no answer to "${command}" on ${path}: ${text}`));
      }, 5000);
      sock.setEncoding('utf8');
      sock.on('error', reject);
      sock.on('data', (chunk: string) => {
        text += chunk;
        if (!sent && text.includes('\n')) {
          sent = true; // after the greeting
          text = '';
          sock.write(`${command}\n`);
        } else if (sent && /^0000/m.test(text)) {
          clearTimeout(timer);
          sock.end();
          resolve(text);
        }
      });
    });

  it('with metrics and a BIRD socket in datastore mode: sessions by their confd names, a datastore change applied to both, reloads counted; register writes nodeAddress and asNumber', async () => {
    const before = Object.fromEntries([1, 2, 3].map((i) => [i, uptimes(i)]));
    const n4 = ns[4] as string;
    const birdPath = join(lab.dir, 'wren-h4-ops', 'bird.ctl');
    const w = new DatastoreWren(lab, {
      ns: n4,
      nodeName: 'h4',
      etcd,
      register: true,
      claimBlock: true,
      nodeAddress: host(4), // without its length: the interface's /24 is written
      asNumber: 64512,
      kernel: true,
      name: 'wren-h4-ops',
      extra: { metrics: { listen: '127.0.0.1:9179' }, control: { birdSocket: birdPath } },
    });
    await w.start();
    wrens.set(4, w);
    await waitMesh([1, 2, 3, 4]);
    for (const i of [1, 2, 3]) expectNotReset(i, before[i] as ReturnType<typeof uptimes>);
    const [node4] = await client.get(calico.nodeKey('h4'));
    expect(JSON.parse(node4?.value ?? '{}')).toMatchObject({ spec: { bgp: { ipv4Address: '10.0.40.4/24', asNumber: 64512 } } });

    const curl = (...args: string[]): string => {
      try {
        return lab.exec(n4, 'curl', ['-s', ...args]);
      } catch {
        return ''; // not listening yet: the listener starts before the first snapshot, but after the control socket
      }
    };
    const metrics = (): string => curl('http://127.0.0.1:9179/metrics');
    await waitFor(() => [1, 2, 3].every((i) => new RegExp(`wren_bgp_session_up\\{[^}]*"${host(i).replace(/\./g, '\\.')}"[^}]*\\} 1`).test(metrics())), {
      what: 'h4: wren_bgp_session_up 1 for the three mesh peers',
      timeoutMs: 10_000,
    });
    expect(metrics()).toMatch(/session="Mesh_10_0_40_1"/);
    await waitFor(() => curl('-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:9179/readyz') === '200', { what: 'h4 ready', timeoutMs: 20_000 });
    expect(await birdCommand(birdPath, 'show protocols')).toMatch(/Mesh_10_0_40_1 +BGP +\S+ +up/);

    // A datastore change: a node with no host behind it. Both the metrics and the BIRD socket see its session;
    // it is not a reload.
    await client.put(calico.nodeKey('h6'), calico.node('h6', { ipv4Address: '10.0.40.6/24' }));
    await waitFor(() => /wren_bgp_session_up\{[^}]*"10\.0\.40\.6"[^}]*\} 0/.test(metrics()), { what: 'h4: the metrics to show the session to h6', timeoutMs: 10_000 });
    expect(await birdCommand(birdPath, 'show protocols')).toMatch(/Mesh_10_0_40_6 +BGP/);
    expect(metrics()).not.toMatch(/wren_config_reloads_total\{result="ok"\} [1-9]/);
    expect(w.cli('reload')).toMatch(/configuration reloaded: 0 change/);
    expect(metrics()).toMatch(/wren_config_reloads_total\{result="ok"\} 1/);

    await client.del(calico.nodeKey('h6'));
    await w.stop();
    wrens.delete(4);
    await client.del(calico.nodeKey('h4'));
    await waitMesh([1, 2, 3]);
  }, 60_000);

  it('ipipMode CrossSubnet turned on live re-programs the routes to an off-subnet node (tunl0 onlink) and resets no session', async () => {
    // No ipip (nor dummy) module here: a veth named tunl0 takes the routes (the kernel accepts `onlink`
    // on any up device; nothing is sent through it); with ipip loaded, the namespace's own tunl0 is used.
    const n1 = ns[1] as string;
    const hasTunl = (() => {
      try {
        lab.exec(n1, 'ip', ['link', 'show', 'tunl0']);
        return true;
      } catch {
        return false;
      }
    })();
    if (!hasTunl) {
      lab.exec(n1, 'ip', ['link', 'add', 'tunl0', 'type', 'veth', 'peer', 'name', 'tunl0-peer']);
      lab.exec(n1, 'ip', ['link', 'set', 'tunl0-peer', 'up']);
    }
    lab.exec(n1, 'ip', ['link', 'set', 'tunl0', 'up']);
    await startNode(5, { kernel: true });
    await waitMesh([1, 2, 3, 5]);
    const b5 = blockOf(5);
    const b2 = blockOf(2);
    await waitForFibRoute(n1, b5, (r) => r.protocol === 'bird' && r.devices[0] === 'eth0' && r.gateways[0] === host(5));
    const before = [1, 2, 3].map((i) => [i, uptimes(i)] as const);

    const t0 = Date.now();
    await client.put(calico.ipPoolKey('default-ipv4-ippool'), calico.ipPool('default-ipv4-ippool', { cidr: POOL, ipipMode: 'CrossSubnet' }));
    await waitForFibRoute(n1, b5, (r) => r.protocol === 'bird' && r.devices[0] === 'tunl0' && r.gateways[0] === host(5));
    console.log(`CrossSubnet on: ${Date.now() - t0} ms from the pool's put to h1's route via tunl0`);
    // The on-subnet node's route is untouched (direct), and no session was reset.
    const r2 = fibRoutes(n1).find((r) => r.prefix === b2);
    expect(r2?.devices).toEqual(['eth0']);
    for (const [i, b] of before) expectNotReset(i, b);
    // h2 has no tunl0: its route to h5 waits for the device, and `show kernel` says so.
    const w2 = wrens.get(2) as DatastoreWren;
    await waitFor(() => (w2.showKernel()?.pendingRetries ?? []).some((p) => p.prefix === b5) || (w2.showKernel()?.failed ?? []).some((f) => f.prefix === b5), {
      what: `h2: the tunnel route to ${b5} pending or failed without tunl0`,
      timeoutMs: 10_000,
    });

    await client.put(calico.ipPoolKey('default-ipv4-ippool'), calico.ipPool('default-ipv4-ippool', { cidr: POOL, ipipMode: 'Never' }));
    await waitForFibRoute(n1, b5, (r) => r.protocol === 'bird' && r.devices[0] === 'eth0');
    for (const [i, b] of before) expectNotReset(i, b);
  }, 90_000);

  const retryPut = async (key: string, value: string | object): Promise<void> => {
    await waitFor(
      async () => {
        await client.put(key, value);
        return true;
      },
      { what: `put ${key} once etcd answers`, timeoutMs: 15_000, intervalMs: 100 },
    );
  };
  const logCount = (i: number, msg: string): number => {
    const text = execFileSync('cat', [(wrens.get(i) as DatastoreWren).paths.log], { encoding: 'utf8' });
    return text.split('\n').filter((l) => l.includes(`"msg":"${msg}`)).length;
  };

  it('etcd stopped for 30 s: every session and route is kept, the loss is logged once, the changes made around it are applied after', async () => {
    const members = [1, 2, 3, 5];
    const blocks = new Map(members.map((i) => [i, blockOf(i)]));
    const before = members.map((i) => [i, uptimes(i)] as const);
    const n1 = ns[1] as string;
    const wanted = [2, 3, 5].map((i) => blocks.get(i) as string);
    const unreachableBefore = logCount(1, 'datastore unreachable');

    await etcd.stop();
    const t0 = Date.now();
    await waitFor(() => wrens.get(1)?.showDatastore()?.connected === false, { what: 'h1 to see etcd gone', timeoutMs: 10_000 });
    let samples = 0;
    const missing: string[] = [];
    while (Date.now() - t0 < 30_000) {
      const have = new Set(fibRoutes(n1).filter((r) => r.protocol === 'bird').map((r) => r.prefix));
      for (const b of [...wanted, blocks.get(1) as string]) if (!have.has(b)) missing.push(`${b} at +${Date.now() - t0} ms`);
      samples++;
      await new Promise((r) => setTimeout(r, 250)); // the sampling interval
    }
    const down = wrens.get(1)?.showDatastore();
    expect(down?.connected).toBe(false);
    expect(down?.lastError?.message).toBeTruthy();
    for (const [i, b] of before) expectNotReset(i, b);

    await etcd.start();
    const t1 = Date.now();
    // Written as soon as etcd answers, while the nodes are still backing off.
    await retryPut(calico.bgpPeerKey('rack-tor'), calico.bgpPeer('rack-tor', { peerIP: '10.0.40.99', asNumber: 64512 }));
    for (const i of members) {
      await waitFor(() => (wrens.get(i)?.showPeers() ?? []).some((p) => p.name === 'Global_10_0_40_99'), { what: `h${i}: the session to the new global peer`, timeoutMs: 20_000 });
    }
    console.log(`etcd down 30 s: ${samples} samples of h1's kernel, ${missing.length} missing; back: ${Date.now() - t1} ms from etcd's start to the change on every node`);
    expect(missing).toEqual([]);
    for (const [i, b] of before) expectNotReset(i, b);
    const up = wrens.get(1)?.showDatastore();
    expect(up).toMatchObject({ connected: true });
    expect(up?.resyncs).toBeGreaterThanOrEqual(1);
    expect(logCount(1, 'datastore unreachable') - unreachableBefore).toBe(1);
    await client.del(calico.bgpPeerKey('rack-tor'));
    for (const i of members) await waitFor(() => !(wrens.get(i)?.showPeers() ?? []).some((p) => p.name === 'Global_10_0_40_99'), { what: `h${i}: global peer gone`, timeoutMs: 10_000 });
  }, 120_000);

  it('a watch that falls behind a compaction re-lists and applies what it missed (etcdctl compact past the watch revision)', async () => {
    const w1 = wrens.get(1) as DatastoreWren;
    const pid = w1.pid as number;
    const before = uptimes(1);
    const resyncs = w1.showDatastore()?.resyncs ?? 0;
    const filler = 'x'.repeat(16 * 1024);
    const fillers = Array.from({ length: 600 }, (_, n) => ({
      key: `/calico/resources/v3/projectcalico.org/bgpfilters/filler-${n}`,
      value: { kind: 'BGPFilter', apiVersion: 'projectcalico.org/v3', metadata: { name: `filler-${n}`, annotations: { filler } }, spec: {} },
    }));
    process.kill(pid, 'SIGSTOP');
    try {
      // h1 reads nothing while stopped: etcd's buffers for its watches fill up and it falls behind.
      await client.putMany(fillers);
      await client.put(calico.bgpPeerKey('missed'), calico.bgpPeer('missed', { peerIP: '10.0.40.98', asNumber: 64512 }));
      const rev = await client.revision();
      etcd.ctl(['compact', String(rev)]);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor(() => (w1.showPeers() ?? []).some((p) => p.name === 'Global_10_0_40_98'), { what: 'h1: the peer put while it was behind', timeoutMs: 20_000 });
    await waitFor(() => (w1.showDatastore()?.resyncs ?? 0) > resyncs, { what: 'h1 to re-list after the compaction', timeoutMs: 20_000 });
    const st = w1.showDatastore();
    console.log(`compaction: h1 re-listed ${(st?.resyncs ?? 0) - resyncs} time(s); last error: ${st?.lastError?.message ?? '-'}`);
    expect(st?.resyncs ?? 0).toBeGreaterThan(resyncs);
    expect(st?.lastError?.message ?? '').toMatch(/compact/i);
    expectNotReset(1, before);
    await client.delPrefix('/calico/resources/v3/projectcalico.org/bgpfilters/filler-');
    await client.del(calico.bgpPeerKey('missed'));
  }, 90_000);

  describeTls();

  function describeTls(): void {
    let tlsEtcd: EtcdServer;
    let tlsClient: EtcdClient;

    it('etcd down at start: wren waits and answers; then TLS with client certificates (a CA made by openssl): etcdctl without a certificate is refused, wren connects, registers, claims', async () => {
      const dir = join(lab.dir, 'pki');
      execFileSync('mkdir', ['-p', dir]);
      const ssl = (args: string[]): void => {
        execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
      };
      const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
      ssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=wren-test-ca']);
      for (const [name, cn, ext] of [
        ['server', 'etcd', 'subjectAltName=IP:10.0.40.250\nextendedKeyUsage=serverAuth\n'],
        ['client', 'wren', 'extendedKeyUsage=clientAuth\n'],
      ] as const) {
        execFileSync('sh', ['-c', `printf '${ext.replace(/\n/g, '\\n')}' > ${name}.ext`], { cwd: dir });
        ssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
        ssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`]);
      }
      const f = (n: string): string => join(dir, n);
      tlsEtcd = new EtcdServer(lab, {
        ns: etcd.spec.ns,
        address: '10.0.40.250',
        port: 2479,
        peerPort: 2480,
        name: 'etcd-tls',
        tls: { ca: f('ca.crt'), serverCert: f('server.crt'), serverKey: f('server.key'), clientCert: f('client.crt'), clientKey: f('client.key') },
      });
      // wren starts before its etcd: it waits (control socket answering, no speaker), then follows.
      const w = new DatastoreWren(lab, {
        ns: ns[4] as string,
        nodeName: 'tls-node',
        etcd: tlsEtcd,
        register: true,
        claimBlock: true,
        kernel: false,
        name: 'wren-tls',
        extra: { metrics: { listen: '127.0.0.1:9189' } },
      });
      await w.start();
      await waitFor(() => w.showDatastore()?.lastError !== undefined, { what: 'wren to report etcd unreachable at start', timeoutMs: 10_000 });
      expect(w.showDatastore()).toMatchObject({ connected: false, synced: false });
      expect(w.showPeers()).toEqual([]);
      expect(w.cli('show', 'datastore')).toMatch(/not connected for .*\(nothing read yet\)/);
      // While it waits, the health endpoints answer: alive (a liveness probe must not restart it), not ready, and why.
      const probe = (path: string): string => lab.exec(ns[4] as string, 'curl', ['-s', '--max-time', '5', '-w', ' %{http_code}', `http://127.0.0.1:9189${path}`]);
      expect(probe('/livez')).toMatch(/ 200$/);
      expect(probe('/readyz?verbose')).toMatch(/\[-\]running failed: starting: waiting for the datastore \(wren show datastore\)(.|\n)* 503$/);
      expect(probe('/metrics')).toMatch(/wren_bgp_sessions\{state="Established"\} 0/);
      // A wren still waiting for its datastore stops at once on SIGTERM.
      const waiting = new DatastoreWren(lab, { ns: ns[4] as string, nodeName: 'never', etcd: tlsEtcd, kernel: false, name: 'wren-never' });
      await waiting.start();
      const tStop = Date.now();
      await waiting.stop(3000);
      console.log(`a wren waiting for etcd stopped ${Date.now() - tStop} ms after SIGTERM`);

      await tlsEtcd.start();
      expect(() => lab.exec(etcd.spec.ns, 'etcdctl', ['--endpoints', tlsEtcd.endpoint, '--cacert', f('ca.crt'), '--command-timeout', '2s', 'get', '/x'])).toThrow();
      tlsClient = await tlsEtcd.client();
      await tlsClient.put(calico.bgpConfigKey(), calico.bgpConfig({}));
      await tlsClient.put(calico.ipPoolKey('tls-pool'), calico.ipPool('tls-pool', { cidr: '10.80.0.0/16' }));
      await waitFor(() => w.showDatastore()?.connected === true && w.showDatastore()?.claim !== undefined, { what: 'wren connected over TLS, block claimed', timeoutMs: 20_000 });
      const st = w.showDatastore();
      expect(st?.register).toMatch(/^created/);
      expect(st?.claim).toMatch(/^10\.80\.\d+\.\d+\/26 \(claimed/);
      expect(st?.counts.nodes).toBe(1);
      // The same listener now reads the speaker: not waiting any more.
      expect(probe('/readyz?verbose')).not.toMatch(/waiting for the datastore/);
      await w.stop();
    }, 60_000);

    it('30 nodes claiming blocks at once never get the same block (16 blocks for 30 claimers)', async () => {
      await tlsClient.delPrefix('/calico/');
      await tlsClient.put(calico.ipPoolKey('tight'), calico.ipPool('tight', { cidr: '10.70.0.0/22', blockSize: 26 }));
      const nodes = Array.from({ length: 30 }, (_, n) => `claimer-${n}`);
      const t0 = Date.now();
      const results = await tlsClient.claim(nodes);
      const claimed = results.filter((r) => r.kind === 'claimed');
      console.log(`30 concurrent claims: ${Date.now() - t0} ms, ${claimed.length} claimed, ${results.length - claimed.length} found the pool full`);
      expect(claimed.length).toBe(16);
      expect(new Set(claimed.map((r) => r.block)).size).toBe(16);
      for (const r of results.filter((x) => x.kind !== 'claimed')) expect(r.reason).toMatch(/taken/);
      // etcd agrees: 16 blocks, each affine to the node holding its one confirmed affinity; nothing pending.
      const blocks = await tlsClient.get('/calico/ipam/v2/assignment/ipv4/block/');
      const affinities = await tlsClient.get('/calico/ipam/v2/host/');
      expect(blocks.length).toBe(16);
      expect(affinities.length).toBe(16);
      for (const a of affinities) expect(JSON.parse(a.value)).toEqual({ state: 'confirmed', deleted: false });
      const owner = new Map(affinities.map((a) => [a.key.split('/').pop() as string, a.key.split('/')[5] as string]));
      for (const b of blocks) {
        const cidr = b.key.split('/').pop() as string;
        expect(b.value).toContain(`"affinity":"host:${owner.get(cidr) ?? '?'}"`);
        expect(b.value).toMatch(/"sequenceNumber":\d{19}/);
      }
      for (const r of claimed) expect(owner.get((r.block as string).replace('/', '-'))).toBe(r.node);
      await tlsClient.close();
      await tlsEtcd.stop();
    }, 120_000);
  }
});

/**
 * `npm run lab -- --datastore etcd`: the Calico lab driven by etcd, as a cluster without
 * calico-node would run it (docs/datastore.md, "The lab"):
 *
 *   <name>-etcd  etcd (Debian etcd-server), 192.168.1.2 on the switch, data in /run/wren-lab/<name>/etcd
 *   <name>-h<i>  host i, 192.168.1.(10+i); wren with only its node name and the etcd endpoint, plus
 *                `register` (it writes its Node resource) and `ipam.claimBlock` (it claims a /26
 *                from the pool 172.16.0.0/16 in Calico's IPAM format)
 *   <name>-p<i>  pod i, given an address in the block host i claimed (the block's base + 10)
 *
 * The lab writes the cluster's BGPConfiguration (AS 64512, node-to-node mesh) and the IP pool;
 * every session, route and block comes from etcd. `--add-node` adds host h<N> to a running lab:
 * it registers, claims, and every other host gets one more session (no other is touched).
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatastoreStatusView } from '../../src/control/protocol.js';
import { request } from '../../src/control/client.js';
import { calico, EtcdServer } from '../daemons/etcd.js';
import { datastoreWrenConfig } from '../daemons/wren-datastore.js';
import { exec, Lab, listNamespaces } from '../kit/netns.js';
import { WREN_CLI } from '../kit/paths.js';
import { waitFor } from '../kit/wait.js';
import { labDir, waitForConvergence, type LabRun } from './daemons.js';
import { printReport, pingPods } from './report.js';
import { GATEWAY, type LabNode } from './topology.js';

export const ETCD_ADDRESS = '192.168.1.2';
export const POOL = '172.16.0.0/16';
const hostAddress = (i: number): string => `192.168.1.${10 + i}`;

const standing = (name: string): Lab => new Lab({ standing: { prefix: `${name}-`, dir: labDir(name) } });

/** The etcd of a running lab (the driver only needs its namespace and endpoint). */
function etcdOf(lab: Lab, name: string): EtcdServer {
  return new EtcdServer(lab, { ns: `${name}-etcd`, address: ETCD_ADDRESS });
}

/** Host i's namespace with its port on the switch, default route, and wren started (detached). */
function startHost(lab: Lab, name: string, i: number, etcd: EtcdServer, attach: (ns: string) => void): number {
  const ns = lab.addNamespace(`h${i}`, { forwarding: true });
  attach(ns);
  exec(null, 'ip', ['-n', ns, 'route', 'add', 'default', 'via', GATEWAY, 'dev', 'eth0']);
  const dir = labDir(name);
  const socket = join(dir, `h${i}.sock`);
  const config = datastoreWrenConfig(
    {
      ns,
      nodeName: `h${i}`,
      etcd,
      register: true,
      claimBlock: true,
      kernel: true,
      extra: { timers: { holdTime: 9, keepaliveTime: 3, connectRetryTime: 5, idleHoldTime: 1, idleHoldMaxTime: 10 }, kernel: { enabled: true, protocol: 'bird', blackhole: true, convergenceTimeout: 30 } },
    },
    socket,
  );
  const cfgPath = join(dir, `h${i}.json`);
  writeFileSync(cfgPath, `${JSON.stringify(config, null, 2)}\n`);
  const p = lab.spawn(ns, process.execPath, [WREN_CLI, 'run', '--config', cfgPath], { logFile: join(dir, `h${i}.log`), name: `wren in ${ns}` });
  writeFileSync(join(dir, `h${i}.pid`), `${p.pid}\n`);
  return p.pid;
}

async function datastoreOf(dir: string, i: number): Promise<DatastoreStatusView | null> {
  try {
    const r = await request(join(dir, `h${i}.sock`), { cmd: 'show-datastore' }, 2000);
    return r.ok ? (r.result as DatastoreStatusView | null) : null;
  } catch {
    return null;
  }
}

/** Waits for host i's claimed block, then plumbs its pod in it (as the seed's script does, in that block). */
async function podInClaimedBlock(lab: Lab, name: string, i: number, timeoutMs: number): Promise<LabNode> {
  const dir = labDir(name);
  const claim = await waitFor(
    async () => {
      const st = await datastoreOf(dir, i);
      const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)/.exec(st?.claim ?? '');
      return m ? m : false;
    },
    { what: `h${i} to claim a block`, timeoutMs, intervalMs: 200 },
  );
  const [, a, b, c, d, len] = claim.map(Number) as [number, number, number, number, number, number];
  const podAddress = `${a}.${b}.${c}.${d + 10}`;
  const hostNs = `${name}-h${i}`;
  const pod = lab.addNamespace(`p${i}`);
  lab.link(hostNs, 'cali0', [], pod, 'eth0', [`${podAddress}/${len}`]);
  exec(null, 'ip', ['-n', pod, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link']);
  exec(null, 'ip', ['-n', pod, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
  exec(null, 'ip', ['-n', hostNs, 'route', 'add', podAddress, 'dev', 'cali0', 'scope', 'link']);
  exec(hostNs, 'sysctl', ['-qw', 'net.ipv4.conf.cali0.proxy_arp=1', 'net.ipv4.neigh.cali0.proxy_delay=0']);
  return { index: i, hostNs, podNs: pod, hostAddress: hostAddress(i), hostAddress6: '', podAddress, podBlock: `${a}.${b}.${c}.${d}/${len}`, podBlock6: '' };
}

async function report(name: string, nodes: readonly LabNode[], timeoutMs: number): Promise<number> {
  const run: LabRun = { topology: { name, switchNs: `${name}-sw`, nodes }, dir: labDir(name), pids: [] };
  const converged = await waitForConvergence(run, timeoutMs);
  await printReport(run);
  const first = nodes[0];
  if (first) {
    console.log(`\n=== ${first.hostNs}: wren show datastore ${'='.repeat(40)}`);
    process.stdout.write(exec(null, process.execPath, [WREN_CLI, 'show', 'datastore', '--socket', join(run.dir, `h${first.index}.sock`)]));
  }
  const pingOk = pingPods(run);
  if (!converged.ok) console.log(`\nNOT CONVERGED: ${converged.why}\ndaemon logs: ${run.dir}/*.log`);
  return converged.ok && pingOk ? 0 : 1;
}

/** Builds the etcd-driven lab with `count` hosts. */
export async function upDatastore(name: string, count: number, timeoutMs: number): Promise<number> {
  const dir = labDir(name);
  mkdirSync(dir, { recursive: true });
  const lab = standing(name);
  const etcdNs = lab.addNamespace('etcd');
  const sw = lab.bridgeSegment('sw', [{ ns: etcdNs, ifName: 'eth0', addrs: [`${ETCD_ADDRESS}/24`] }], { addrs: [`${GATEWAY}/24`] });
  const etcd = etcdOf(lab, name);
  await etcd.start();
  writeFileSync(join(dir, 'etcd.pid'), `${etcd.pid ?? ''}\n`);
  etcd.ctl(['put', calico.bgpConfigKey(), JSON.stringify(calico.bgpConfig({ asNumber: 64512, nodeToNodeMeshEnabled: true }))]);
  etcd.ctl(['put', calico.ipPoolKey('default-ipv4-ippool'), JSON.stringify(calico.ipPool('default-ipv4-ippool', { cidr: POOL, blockSize: 26 }))]);
  console.log(`etcd ${etcd.endpoint} in ${etcdNs}: wrote the BGPConfiguration (AS 64512, mesh) and the pool ${POOL}`);
  for (let i = 0; i < count; i++) {
    startHost(lab, name, i, etcd, (ns) => lab.joinSegment(sw, `p${i + 1}`, { ns, ifName: 'eth0', addrs: [`${hostAddress(i)}/24`] }));
  }
  console.log(`wren started on ${count} hosts with only a node name and ${etcd.endpoint}; they register and claim their blocks...`);
  const nodes: LabNode[] = [];
  for (let i = 0; i < count; i++) nodes.push(await podInClaimedBlock(lab, name, i, timeoutMs));
  return report(name, nodes, timeoutMs);
}

/** Adds host h<N> to a running etcd-driven lab. */
export async function addNode(name: string, timeoutMs: number): Promise<number> {
  if (!listNamespaces(`${name}-`).includes(`${name}-etcd`)) {
    console.error(`no etcd-driven lab "${name}" is running (start one with: npm run lab -- --datastore etcd)`);
    return 1;
  }
  const dir = labDir(name);
  const existing = readdirSync(dir).map((f) => /^h(\d+)\.json$/.exec(f)?.[1]).filter((x): x is string => x !== undefined).map(Number);
  const i = existing.length === 0 ? 0 : Math.max(...existing) + 1;
  const lab = standing(name);
  const etcd = etcdOf(lab, name);
  startHost(lab, name, i, etcd, (ns) => lab.joinSegment(`${name}-sw`, `p${i + 1}`, { ns, ifName: 'eth0', addrs: [`${hostAddress(i)}/24`] }));
  console.log(`host h${i} (${hostAddress(i)}) added: wren registers it in etcd and claims its block; every other host adds one session`);
  const added = await podInClaimedBlock(lab, name, i, timeoutMs);
  const nodes: LabNode[] = [];
  for (const j of existing.sort((a, b) => a - b)) {
    const st = await datastoreOf(dir, j);
    const m = /^(\d+\.\d+\.\d+)\.(\d+)\/(\d+)/.exec(st?.claim ?? '');
    if (!m || !existsSync(join(dir, `h${j}.sock`))) continue;
    nodes.push({ index: j, hostNs: `${name}-h${j}`, podNs: `${name}-p${j}`, hostAddress: hostAddress(j), hostAddress6: '', podAddress: `${m[1]}.${Number(m[2]) + 10}`, podBlock: `${m[1]}.${m[2]}/${m[3]}`, podBlock6: '' });
  }
  nodes.push(added);
  return report(name, nodes, timeoutMs);
}


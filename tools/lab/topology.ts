/**
 * The seed's Calico lab, built in network namespaces on this machine (never the root namespace):
 *
 *   <name>-sw    a "switch": bridge br0 with the segment's gateway 192.168.1.1/24, one port per host
 *                (one L2 segment, 192.168.1.0/24)
 *   <name>-h<i>  host i: eth0 192.168.1.(10+i)/24 (+ fd00:192:168:1::(10+i)/64), ip_forward=1,
 *                default via 192.168.1.1, cali0 (no address, proxy_arp=1) towards its pod,
 *                `172.16.i.10 dev cali0 scope link`
 *   <name>-p<i>  pod i: eth0 172.16.i.10/24, `169.254.1.1 dev eth0 scope link`, default via 169.254.1.1
 *
 * exactly as `set-ns-veth-calico.sh` in the seed plumbs it, minus the static route to the other
 * node's block: that is what wren learns over BGP and installs as `proto bird`. The namespaces,
 * links and daemons are a standing lab of the kit (tools/kit/netns.ts): fixed names, and they stay
 * up when `npm run lab` exits, until `npm run lab -- down`.
 */
import { exec, Lab, listNamespaces, removeNamespace } from '../kit/netns.js';

export interface LabNode {
  readonly index: number;
  readonly hostNs: string;
  readonly podNs: string;
  readonly hostAddress: string;
  readonly hostAddress6: string;
  readonly podAddress: string;
  readonly podBlock: string;
  readonly podBlock6: string;
}

/** What a lab of `name` with `count` hosts is made of (pure). */
export interface Topology {
  readonly name: string;
  readonly switchNs: string;
  readonly nodes: readonly LabNode[];
}

export function describeLab(name: string, count: number): Topology {
  const nodes: LabNode[] = [];
  for (let i = 0; i < count; i++) {
    nodes.push({
      index: i,
      hostNs: `${name}-h${i}`,
      podNs: `${name}-p${i}`,
      hostAddress: `192.168.1.${10 + i}`,
      hostAddress6: `fd00:192:168:1::${(10 + i).toString(16)}`,
      podAddress: `172.16.${i}.10`,
      podBlock: `172.16.${i}.0/24`,
      podBlock6: `fd00:172:16:${i.toString(16)}::/64`,
    });
  }
  return { name, switchNs: `${name}-sw`, nodes };
}

export const GATEWAY = '192.168.1.1';

/** The namespaces of a lab named `name` that exist now: `<name>-sw`, `<name>-h<i>`, `<name>-p<i>`. */
export function existingNamespaces(name: string): string[] {
  return listNamespaces(`${name}-`).filter((n) => n === `${name}-sw` || n === `${name}-etcd` || new RegExp(`^${name}-[hp]\\d+$`).test(n));
}

/** Deletes every namespace of the lab, with whatever still runs inside (their interfaces go with them). Safe to call twice. */
export function destroyNamespaces(name: string): string[] {
  const gone = existingNamespaces(name);
  for (const ns of gone) removeNamespace(ns);
  return gone;
}

/** A standing kit lab for the topology: namespaces `<name>-<tag>`, files in `dir`, outliving this process. */
export const standingLab = (t: Topology, dir: string): Lab => new Lab({ standing: { prefix: `${t.name}-`, dir } });

export function buildNamespaces(lab: Lab, t: Topology): void {
  const hosts = t.nodes.map((n) => {
    const ns = lab.addNamespace(`h${n.index}`, { forwarding: true });
    if (ns !== n.hostNs) throw new Error(`host namespace ${ns}, expected ${n.hostNs}`);
    return { ns, ifName: 'eth0', addrs: [`${n.hostAddress}/24`, `${n.hostAddress6}/64`] };
  });
  // The segment's gateway, as a real LAN has one: hosts need a default route for proxy ARP to answer
  // the pod's ARP for 169.254.1.1 (the kernel proxies only addresses it can route out another device).
  lab.bridgeSegment('sw', hosts, { addrs: [`${GATEWAY}/24`] });
  for (const n of t.nodes) {
    exec(null, 'ip', ['-n', n.hostNs, 'route', 'add', 'default', 'via', GATEWAY, 'dev', 'eth0']);
    // Pod: veth cali0 (host, no address) <-> eth0 (pod), as the seed's script does.
    const pod = lab.addNamespace(`p${n.index}`);
    lab.link(n.hostNs, 'cali0', [], pod, 'eth0', [`${n.podAddress}/24`]);
    exec(null, 'ip', ['-n', pod, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link']);
    exec(null, 'ip', ['-n', pod, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
    exec(null, 'ip', ['-n', n.hostNs, 'route', 'add', n.podAddress, 'dev', 'cali0', 'scope', 'link']);
    // proxy_delay 0, as Calico's Felix sets it: answer proxy ARP at once (the default delays replies by up to 0.8 s).
    exec(n.hostNs, 'sysctl', ['-qw', 'net.ipv4.conf.cali0.proxy_arp=1', 'net.ipv4.neigh.cali0.proxy_delay=0']);
  }
}

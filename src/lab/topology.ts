/**
 * The seed's Calico lab, built in network namespaces on this machine (never the root namespace):
 *
 *   <name>-sw    a "switch": bridge br0, one port per host (one L2 segment, 192.168.1.0/24)
 *   <name>-h<i>  host i: eth0 192.168.1.(10+i)/24 (+ fd00:192:168:1::(10+i)/64), ip_forward=1,
 *                cali0 (no address, proxy_arp=1) towards its pod, `172.16.i.10 dev cali0 scope link`
 *   <name>-p<i>  pod i: eth0 172.16.i.10/24, `169.254.1.1 dev eth0 scope link`, default via 169.254.1.1
 *
 * exactly as `set-ns-veth-calico.sh` in the seed plumbs it, minus the static route to the other
 * node's block: that is what wren learns over BGP and installs as `proto bird`.
 */
import { spawnSync } from 'node:child_process';

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

export interface Lab {
  readonly name: string;
  readonly switchNs: string;
  readonly nodes: readonly LabNode[];
}

export function describeLab(name: string, count: number): Lab {
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

export function run(cmd: string, args: readonly string[], opts: { allowFail?: boolean } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
  }
  return r.stdout ?? '';
}

export const GATEWAY = '192.168.1.1';

const ip = (...args: string[]): string => run('ip', args);
const nsExec = (ns: string, ...args: string[]): string => run('ip', ['netns', 'exec', ns, ...args]);
const sysctl = (ns: string, key: string, value: string): string => nsExec(ns, 'sysctl', '-q', '-w', `${key}=${value}`);

export function existingNamespaces(prefix: string): string[] {
  return run('ip', ['netns', 'list'], { allowFail: true })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n === `${prefix}-sw` || new RegExp(`^${prefix}-[hp]\\d+$`).test(n));
}

/** Deletes every namespace of the lab (their interfaces go with them). Safe to call twice. */
export function destroyNamespaces(prefix: string): string[] {
  const gone = existingNamespaces(prefix);
  for (const ns of gone) run('ip', ['netns', 'del', ns], { allowFail: true });
  return gone;
}

export function buildNamespaces(lab: Lab): void {
  ip('netns', 'add', lab.switchNs);
  nsExec(lab.switchNs, 'ip', 'link', 'set', 'lo', 'up');
  nsExec(lab.switchNs, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
  nsExec(lab.switchNs, 'ip', 'link', 'set', 'br0', 'up');
  // The segment's gateway, as a real LAN has one: hosts need a default route for proxy ARP to answer
  // the pod's ARP for 169.254.1.1 (the kernel proxies only addresses it can route out another device).
  nsExec(lab.switchNs, 'ip', 'addr', 'add', `${GATEWAY}/24`, 'dev', 'br0');
  for (const n of lab.nodes) {
    ip('netns', 'add', n.hostNs);
    ip('netns', 'add', n.podNs);
    for (const ns of [n.hostNs, n.podNs]) nsExec(ns, 'ip', 'link', 'set', 'lo', 'up');

    // Host <-> switch: eth0 in the host, sw<i> on the bridge.
    ip('link', 'add', 'eth0', 'netns', n.hostNs, 'type', 'veth', 'peer', 'name', `sw${n.index}`, 'netns', lab.switchNs);
    nsExec(lab.switchNs, 'ip', 'link', 'set', `sw${n.index}`, 'master', 'br0');
    nsExec(lab.switchNs, 'ip', 'link', 'set', `sw${n.index}`, 'up');
    sysctl(n.hostNs, 'net.ipv6.conf.all.accept_dad', '0');
    sysctl(n.hostNs, 'net.ipv6.conf.default.accept_dad', '0');
    nsExec(n.hostNs, 'ip', 'addr', 'add', `${n.hostAddress}/24`, 'dev', 'eth0');
    nsExec(n.hostNs, 'ip', '-6', 'addr', 'add', `${n.hostAddress6}/64`, 'dev', 'eth0', 'nodad');
    nsExec(n.hostNs, 'ip', 'link', 'set', 'eth0', 'up');
    nsExec(n.hostNs, 'ip', 'route', 'add', 'default', 'via', GATEWAY, 'dev', 'eth0');
    sysctl(n.hostNs, 'net.ipv4.ip_forward', '1');
    sysctl(n.hostNs, 'net.ipv6.conf.all.forwarding', '1');

    // Pod: veth cali0 (host, no address) <-> eth0 (pod), as the seed's script does.
    ip('link', 'add', 'cali0', 'netns', n.hostNs, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.podNs);
    nsExec(n.podNs, 'ip', 'addr', 'add', `${n.podAddress}/24`, 'dev', 'eth0');
    nsExec(n.podNs, 'ip', 'link', 'set', 'eth0', 'up');
    nsExec(n.podNs, 'ip', 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link');
    nsExec(n.podNs, 'ip', 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0');
    nsExec(n.hostNs, 'ip', 'link', 'set', 'cali0', 'up');
    nsExec(n.hostNs, 'ip', 'route', 'add', n.podAddress, 'dev', 'cali0', 'scope', 'link');
    sysctl(n.hostNs, 'net.ipv4.conf.cali0.proxy_arp', '1');
    // As Calico's Felix does: answer proxy ARP at once (the default delays replies by up to 0.8 s).
    sysctl(n.hostNs, 'net.ipv4.neigh.cali0.proxy_delay', '0');
  }
}

/**
 * Calico-style pods for netns tests, plumbed as the seed's `set-ns-veth-calico.sh` does (and as
 * tools/lab/topology.ts does for the lab CLI):
 *
 *   pod namespace:  eth0 <pod address>/32 (and /128), `169.254.1.1 dev eth0 scope link`,
 *                   `default via 169.254.1.1 dev eth0`; IPv6 `default via fe80::ecee:eeff:feee:eeee dev eth0`
 *   host namespace: cali<n> (no address, MAC ee:ee:ee:ee:ee:ee as Calico sets it, proxy_arp=1,
 *                   proxy_delay 0), `<pod address> dev cali<n> scope link` (and the /128)
 *
 * Proxy ARP answers only for addresses the host can route out of another device, so the host needs
 * a route for 169.254.1.1 elsewhere: `defaultVia` puts a default route on the host's uplink (a
 * real LAN has a gateway; the address need not answer). IPv6 needs no proxy: the pod's next hop is
 * the host end's link-local address, derived from the fixed MAC.
 */
import { exec, type Lab } from './netns.js';

export interface PodSpec {
  /** Namespace tag of the pod (the lab prefixes it). */
  readonly tag: string;
  /** Host namespace the pod hangs off. */
  readonly hostNs: string;
  /** Host-side interface name (Calico's `caliXXXX`). Default `cali0`. */
  readonly hostIf?: string;
  /** The pod's IPv4 address (inside the host's block). */
  readonly address: string;
  /** The pod's IPv6 address, if dual stack. */
  readonly address6?: string;
  /** A gateway on the host's uplink for a default route (proxy ARP needs one); omit when the host has one. */
  readonly defaultVia?: string;
}

export interface Pod {
  readonly ns: string;
  readonly hostNs: string;
  readonly hostIf: string;
  readonly address: string;
  readonly address6?: string;
}

/** Calico's fixed MAC for the host end of every pod veth, and the link-local address it gives. */
export const CALI_MAC = 'ee:ee:ee:ee:ee:ee';
export const CALI_LINK_LOCAL = 'fe80::ecee:eeff:feee:eeee';

/** Creates the pod namespace and its veth, addresses and routes on both ends. */
export function addPod(lab: Lab, spec: PodSpec): Pod {
  const hostIf = spec.hostIf ?? 'cali0';
  const ns = lab.addNamespace(spec.tag);
  const h = spec.hostNs;
  lab.link(h, hostIf, [], ns, 'eth0', [`${spec.address}/32`, ...(spec.address6 ? [`${spec.address6}/128`] : [])], { macA: CALI_MAC });
  exec(null, 'ip', ['-n', ns, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link']);
  exec(null, 'ip', ['-n', ns, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
  if (spec.address6) exec(null, 'ip', ['-n', ns, '-6', 'route', 'add', 'default', 'via', CALI_LINK_LOCAL, 'dev', 'eth0']);
  exec(null, 'ip', ['-n', h, 'route', 'add', spec.address, 'dev', hostIf, 'scope', 'link']);
  if (spec.address6) exec(null, 'ip', ['-n', h, '-6', 'route', 'add', `${spec.address6}/128`, 'dev', hostIf]);
  exec(h, 'sysctl', ['-qw', `net.ipv4.conf.${hostIf}.proxy_arp=1`, `net.ipv4.neigh.${hostIf}.proxy_delay=0`]);
  if (spec.defaultVia !== undefined) exec(null, 'ip', ['-n', h, 'route', 'replace', 'default', 'via', spec.defaultVia]);
  return { ns, hostNs: h, hostIf, address: spec.address, ...(spec.address6 ? { address6: spec.address6 } : {}) };
}

export interface PingResult {
  readonly ok: boolean;
  /** The TTL of the first reply (hop count check), when there was one. */
  readonly ttl?: number;
  readonly output: string;
}

/**
 * `count` echoes 0.2 s apart (2 s wait for the last) from `ns` to `address`; ok when any is
 * answered (the first may wait on neighbour resolution on a loaded machine). Never throws.
 */
export function ping(lab: Lab, ns: string, address: string, count = 1): PingResult {
  const v6 = address.includes(':');
  const r = lab.tryExec(ns, 'ping', [...(v6 ? ['-6'] : []), '-c', String(count), '-i', '0.2', '-W', '2', address], { timeoutMs: 10_000 });
  const ttl = /(?:ttl|hlim)=(\d+)/.exec(r.stdout)?.[1];
  return { ok: r.status === 0, ...(ttl !== undefined ? { ttl: Number(ttl) } : {}), output: `${r.stdout}${r.stderr}` };
}

/** Every pod pings every other pod (IPv4, and IPv6 where both have an address); returns the failures. */
export function pingAll(lab: Lab, pods: readonly Pod[]): string[] {
  const failures: string[] = [];
  for (const a of pods) {
    for (const b of pods) {
      if (a === b) continue;
      const targets = [b.address, ...(a.address6 && b.address6 ? [b.address6] : [])];
      for (const t of targets) {
        const r = ping(lab, a.ns, t, 2);
        if (!r.ok) failures.push(`${a.address} -> ${t}: ${r.output.trim().split('\n').slice(-2).join(' | ')}\n${describePath(lab, a, b)}`);
      }
    }
  }
  return failures;
}

/** Neighbour tables along a pod-to-pod path, and whether a second try gets through, for failure messages. */
export function describePath(lab: Lab, a: Pod, b: Pod): string {
  const neigh = (ns: string): string => lab.tryExec(ns, 'ip', ['neigh']).stdout.trim().replace(/\n/g, '; ');
  const again = ping(lab, a.ns, b.address, 3);
  return [
    `  again (3 echoes): ${again.output.trim().split('\n').slice(-2).join(' | ')}`,
    `  ${a.ns} neigh: ${neigh(a.ns)}`,
    `  ${a.hostNs} neigh: ${neigh(a.hostNs)}`,
    `  ${b.hostNs} neigh: ${neigh(b.hostNs)}`,
    `  ${b.ns} neigh: ${neigh(b.ns)}`,
  ].join('\n');
}

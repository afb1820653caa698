/**
 * A rack of Calico nodes for the route-reflector, top-of-rack and dual-stack netns tests: hosts on
 * one L2 segment (a bridge in its own namespace), the addresses docs/topologies.md uses, and the
 * checks those tests share ("every block in every node's kernel via its owner").
 *
 *   segment 192.168.1.0/24, fd00:192:168:1::/64
 *     .1    the top-of-rack router / gateway (proxy ARP needs a default route; it need not exist)
 *     .2 .3 route reflectors rr1, rr2
 *     .1i   node i (n1..n4): pod block 172.16.i.0/24 and fd00:172:16:i::/64, pod 172.16.i.10 / fd00:172:16:i::10
 */
import { expect } from 'vitest';
import type { BgpDaemon, DaemonSpec } from '../../../tools/daemons/daemon.js';
import { describeFib, fibRoutes, fibRoutesFor, waitForFibRoute, type FibRoute } from './fib.js';
import { exec, type Lab } from './netns.js';
import { wrenLogTail } from './interop.js';
import { addPod, type Pod } from './pods.js';
import { WrenDaemon } from '../../../tools/daemons/wren.js';

export const SEGMENT_V4 = '192.168.1.0/24';
export const SEGMENT_V6 = 'fd00:192:168:1::/64';
export const GATEWAY = '192.168.1.1';
export const GATEWAY6 = 'fd00:192:168:1::1';

export interface HostAddrs {
  readonly tag: string;
  readonly v4: string;
  readonly v6: string;
}

export interface CalicoNode extends HostAddrs {
  readonly i: number;
  readonly block: string;
  readonly block6: string;
  readonly pod: string;
  readonly pod6: string;
}

/** Node i (1..9): 192.168.1.1i, block 172.16.i.0/24. */
export function calicoNode(i: number): CalicoNode {
  return {
    i,
    tag: `n${i}`,
    v4: `192.168.1.${10 + i}`,
    v6: `fd00:192:168:1::${10 + i}`,
    block: `172.16.${i}.0/24`,
    block6: `fd00:172:16:${i}::/64`,
    pod: `172.16.${i}.10`,
    pod6: `fd00:172:16:${i}::10`,
  };
}

/** Route reflector i (1..2): 192.168.1.(1+i). */
export function reflectorHost(i: number): HostAddrs {
  return { tag: `rr${i}`, v4: `192.168.1.${1 + i}`, v6: `fd00:192:168:1::${1 + i}` };
}

/** The top-of-rack router at the gateway address. */
export const TOR: HostAddrs = { tag: 'tor', v4: GATEWAY, v6: GATEWAY6 };

/** What the ToR of docs/topologies.md ("Top of rack") originates: routes n1's import policy accepts, and others. */
export const TOR_ACCEPTED = ['0.0.0.0/0', '::/0', '10.100.0.0/24'];
export const TOR_REFUSED = ['203.0.113.0/24', '2001:db8:100::/48'];

/**
 * The ToR of docs/topologies.md as an FRR driver spec: eBGP AS 65001 to node 1 over TCP MD5. Its
 * bgpd.conf is the documented `tor-frr` block (test/unit/netns-lib/doc-config.test.ts).
 */
export const torMd5Spec = (ns: string): DaemonSpec => ({
  ns,
  routerId: TOR.v4,
  asn: 65001,
  neighbors: [{ address: calicoNode(1).v4, asn: 64512, password: 'tor-md5-secret' }],
  originate: [...TOR_ACCEPTED.slice(0, 1), TOR_ACCEPTED[1] ?? '', ...TOR_ACCEPTED.slice(2), ...TOR_REFUSED],
  kernel: true,
  hostname: 'tor',
});

/** Every host gets a namespace (forwarding on) and an `eth0` on one bridge; returns tag -> namespace. */
export function buildSegment(lab: Lab, hosts: readonly HostAddrs[]): Record<string, string> {
  const ns: Record<string, string> = {};
  for (const h of hosts) ns[h.tag] = lab.addNamespace(h.tag, { forwarding: true });
  lab.bridgeSegment(
    'sw',
    hosts.map((h) => ({ ns: ns[h.tag] ?? '', ifName: 'eth0', addrs: [`${h.v4}/24`, `${h.v6}/64`] })),
  );
  return ns;
}

/** One dual-stack pod per node (`p<i>`), with the host's default route via the gateway for proxy ARP. */
export function addPods(lab: Lab, ns: Readonly<Record<string, string>>, nodes: readonly CalicoNode[]): Pod[] {
  return nodes.map((n) => addPod(lab, { tag: `p${n.i}`, hostNs: nsOf(ns, n), address: n.pod, address6: n.pod6, defaultVia: GATEWAY }));
}

export const nsOf = (ns: Readonly<Record<string, string>>, h: HostAddrs): string => {
  const n = ns[h.tag];
  if (n === undefined) throw new Error(`no namespace for ${h.tag}`);
  return n;
};

/** The eth0 link-local address of a namespace. */
export function linkLocalOf(ns: string, ifName = 'eth0'): string {
  // iproute2 prints the addresses its filter dropped as {} in addr_info.
  const [link] = JSON.parse(exec(null, 'ip', ['-j', '-n', ns, '-6', 'addr', 'show', 'dev', ifName, 'scope', 'link'])) as { addr_info: { local?: string }[] }[];
  return link?.addr_info.find((a) => a.local?.startsWith('fe80:'))?.local ?? '(none)';
}

export interface BlockOwner {
  readonly node: CalicoNode;
  readonly ns: string;
}

export interface BlockViewer {
  readonly node: CalicoNode;
  readonly ns: string;
  /** The kernel protocol of its learned routes: "bird" (wren, BIRD) or "bgp" (FRR). */
  readonly proto: string;
  /** For error messages. */
  readonly daemon?: BgpDaemon | undefined;
}

const describeRoute = (r: FibRoute): string => `${r.prefix} ${r.type} via ${r.gateways.join(',') || '-'} dev ${r.devices.join(',')} proto ${r.protocol}`;

/**
 * Waits until every viewer has every other owner's IPv4 and IPv6 block as one unicast route of its
 * protocol via the owner's own address (IPv6: global or link-local): next hops unchanged by reflection.
 */
export async function expectBlocksInKernels(viewers: readonly BlockViewer[], owners: readonly BlockOwner[], timeoutMs = 20_000): Promise<void> {
  for (const v of viewers) {
    for (const o of owners) {
      if (o.node.i === v.node.i) continue;
      const fail = (err: Error): never => {
        throw new Error(`${v.node.tag} (${v.ns}): ${err.message}\n${v.daemon ? logTail(v.daemon) : ''}`);
      };
      const r4 = await waitForFibRoute(v.ns, o.node.block, (r) => r.protocol === v.proto && r.type === 'unicast', { timeoutMs }).catch(fail);
      expect(r4.gateways, `${v.node.tag}: ${describeRoute(r4)}`).toEqual([o.node.v4]);
      const r6 = await waitForFibRoute(v.ns, o.node.block6, (r) => r.protocol === v.proto && r.type === 'unicast', { timeoutMs }).catch(fail);
      expect(r6.gateways.length, `${v.node.tag}: ${describeRoute(r6)}`).toBe(1);
      expect([o.node.v6, linkLocalOf(o.ns)], `${v.node.tag}: ${describeRoute(r6)}`).toContain(r6.gateways[0]);
      expect(fibRoutesFor(v.ns, o.node.block), describeFib(v.ns)).toHaveLength(1);
    }
  }
}

/** One line per node: its routes for the pod blocks (172.16.0.0/16, fd00:172:16::/48), for the test's console output. */
export function describeBlocks(viewers: readonly BlockViewer[]): string {
  return viewers
    .map((v) => {
      const rows = fibRoutes(v.ns).filter((r) => r.prefix.startsWith('172.16.') || r.prefix.startsWith('fd00:172:16:'));
      return `  ${v.node.tag}: ${rows.map(describeRoute).join('; ')}`;
    })
    .join('\n');
}

/** The end of a daemon's logs for an error message; wren's without the test's own control-socket polls. */
export function logTail(d: BgpDaemon, lines = 40): string {
  return d instanceof WrenDaemon ? wrenLogTail(d, lines) : d.describeLogs(lines);
}

/**
 * IPv4 routes over an IPv6 session with IPv6 next hops (RFC 8950, extended next hop capability 5):
 * the kernel gets `172.16.x.0/24 via inet6 <IPv6 address> dev eth0`, and IPv4 traffic follows it.
 *
 *   segment 192.168.1.0/24, fd00:192:168:1::/64
 *     n1 ::11  wren (kernel on), pod 172.16.1.10
 *     n2 ::12  wren, or FRR 8 with `neighbor fd00:192:168:1::11 capability extended-nexthop` (zebra on), pod 172.16.2.10
 *   one iBGP session between the IPv6 addresses, IPv4 and IPv6 unicast.
 *
 * wren offers the capability on every IPv6 session (src/daemon/session-config.ts). Checked: capability
 * negotiated, IPv4 block's next hop is the owner's IPv6 address (BGP table and kernel, both ways),
 * IPv4 pod-to-pod ping through those routes.
 *
 * Run: npx vitest run --project netns test/netns/dualstack-enh.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { waitEstablished, waitRoute, type BgpDaemon, type DaemonSpec } from '../../tools/daemons/daemon.js';
import { describeFib, waitForFibRoute, type FibRoute } from './lib/fib.js';
import { startFrr } from '../../tools/daemons/frr.js';
import { askWren, keepFilesOnFailure } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { type Lab } from './lib/netns.js';
import { describeNetns, FRR_INSTALLED, NETNS } from './lib/requirements.js';
import { ping } from './lib/pods.js';
import { addPods, buildSegment, calicoNode, linkLocalOf, nsOf, type CalicoNode, logTail } from './lib/rack.js';
import { startWren, type WrenDaemon } from '../../tools/daemons/wren.js';

const [N1, N2] = [calicoNode(1), calicoNode(2)] as const;
const ASN = 64512;

const spec = (ns: string, self: CalicoNode, other: CalicoNode, kind: 'wren' | 'frr'): DaemonSpec => ({
  ns,
  routerId: self.v4,
  asn: ASN,
  neighbors: [{ address: other.v6, asn: ASN, ...(kind === 'frr' ? { extendedNextHop: true } : {}) }],
  originate: [self.block, self.block6],
  kernel: true,
});

const show = (r: FibRoute): string => `${r.prefix} via ${r.viaOtherFamily ? 'inet6 ' : ''}${r.gateways.join(',')} dev ${r.devices.join(',')} proto ${r.protocol}`;

/** IPv4 block of `owner` in `ns`'s kernel via one of the owner's IPv6 addresses (RTA_VIA). */
async function expectV4ViaV6(ns: string, owner: CalicoNode, ownerNs: string, proto: string, d: BgpDaemon): Promise<FibRoute> {
  const r = await waitForFibRoute(ns, owner.block, (x) => x.protocol === proto && x.type === 'unicast').catch((err: Error) => {
    throw new Error(`${err.message}\n${logTail(d)}`);
  });
  expect(r.viaOtherFamily, show(r)).toBe(true);
  expect([owner.v6, linkLocalOf(ownerNs)], show(r)).toContain(r.gateways[0]);
  return r;
}

describeNetns('IPv4 routes over an IPv6 session with extended next hop (RFC 8950)', [NETNS, FRR_INSTALLED], () => {
  const newLab = labsPerTest();
  let current: Lab | undefined;
  keepFilesOnFailure(() => current);

  async function setup(id: string): Promise<{ lab: Lab; ns: Record<string, string>; pods: ReturnType<typeof addPods>; w1: WrenDaemon }> {
    const lab = newLab(id);
    current = lab;
    const ns = buildSegment(lab, [N1, N2]);
    const pods = addPods(lab, ns, [N1, N2]);
    const w1 = await startWren(lab, spec(nsOf(ns, N1), N1, N2, 'wren'));
    return { lab, ns, pods, w1 };
  }

  it('between two wren nodes: `via inet6` both ways, and IPv4 pods reach each other', async () => {
    const { lab, ns, pods, w1 } = await setup('enhw');
    const w2 = await startWren(lab, spec(nsOf(ns, N2), N2, N1, 'wren'));
    await waitEstablished(w1, N2.v6);
    for (const [w, other] of [
      [w1, N2],
      [w2, N1],
    ] as const) {
      const p = (await askWren(w, { cmd: 'show-peers' }))[0];
      expect(p?.capabilities, JSON.stringify(p)).toEqual(expect.arrayContaining(['ipv4-unicast', 'ipv6-unicast', 'extended-next-hop']));
      const r = await waitRoute(w, other.block);
      expect(r.nextHop).toBe(other.v6);
    }
    const a = await expectV4ViaV6(nsOf(ns, N1), N2, nsOf(ns, N2), 'bird', w1);
    const b = await expectV4ViaV6(nsOf(ns, N2), N1, nsOf(ns, N1), 'bird', w2);
    console.log(`dualstack-enh (wren-wren): n1 ${show(a)}; n2 ${show(b)}`);
    const [p1, p2] = pods;
    if (!p1 || !p2) throw new Error('pods');
    for (const [from, to] of [
      [p1, p2],
      [p2, p1],
    ] as const) {
      const r = ping(lab, from.ns, to.address);
      expect(r.ok, `${from.address} -> ${to.address}: ${r.output}\n${describeFib(nsOf(ns, N1))}`).toBe(true);
    }
  });

  it('between wren and FRR (`capability extended-nexthop`): each installs the other\'s IPv4 block via an IPv6 next hop', async () => {
    const { lab, ns, pods, w1 } = await setup('enhf');
    const frr = await startFrr(lab, spec(nsOf(ns, N2), N2, N1, 'frr'));
    await waitEstablished(frr, N1.v6);
    const p = (await askWren(w1, { cmd: 'show-peers' }))[0];
    expect(p?.capabilities, JSON.stringify(p)).toEqual(expect.arrayContaining(['ipv4-unicast', 'ipv6-unicast', 'extended-next-hop']));
    // wren's view of FRR's IPv4 block: an IPv6 next hop (FRR sends global and link-local).
    const learned = await waitRoute(w1, N2.block);
    expect([N2.v6, linkLocalOf(nsOf(ns, N2))], JSON.stringify(learned)).toContain(learned.nextHop);
    // FRR's view of wren's IPv4 block.
    const fr = await waitRoute(frr, N1.block);
    expect([N1.v6, linkLocalOf(nsOf(ns, N1))], JSON.stringify(fr)).toContain(fr.nextHop);
    const a = await expectV4ViaV6(nsOf(ns, N1), N2, nsOf(ns, N2), 'bird', w1);
    const b = await expectV4ViaV6(nsOf(ns, N2), N1, nsOf(ns, N1), 'bgp', frr);
    console.log(`dualstack-enh (wren-FRR): n1 ${show(a)}; n2 (FRR) ${show(b)}`);
    const [p1, p2] = pods;
    if (!p1 || !p2) throw new Error('pods');
    const r = ping(lab, p1.ns, p2.address);
    expect(r.ok, r.output).toBe(true);
  });
});

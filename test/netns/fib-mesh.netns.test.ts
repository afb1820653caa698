/**
 * Three real daemons on one L2 segment, iBGP full mesh (AS 64512), each originating its own pod
 * block and programming its own FIB: wren, BIRD 2 (kernel protocol) and FRR 8 (zebra). Every
 * block ends up in every node's kernel via its owner's address: wren's and BIRD's as `proto bird`,
 * FRR's as `proto bgp`; wren and BIRD also hold a blackhole for their own block.
 *
 *   segment 10.0.7.0/24, fd00:7::/64 (bridge in its own namespace)
 *   wren .1  172.16.11.0/24  fd00:172:16:11::/64
 *   bird .2  172.16.12.0/24  fd00:172:16:12::/64
 *   frr  .3  172.16.13.0/24  fd00:172:16:13::/64
 *
 * Run: npx vitest run --project netns test/netns/fib-mesh.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { startBird } from '../../tools/daemons/bird.js';
import { waitEstablished, type BgpDaemon, type NeighborSpec } from '../../tools/daemons/daemon.js';
import { describeFib, fibRoutes, waitForFibRoute, type FibRoute } from './lib/fib.js';
import { startFrr } from '../../tools/daemons/frr.js';
import { labsPerTest } from './lib/lab-scope.js';
import { exec } from './lib/netns.js';
import { describeNetns, BIRD_INSTALLED, FRR_INSTALLED, NETNS } from './lib/requirements.js';
import { startWren } from '../../tools/daemons/wren.js';

const ASN = 64512;
const NODES = [
  { tag: 'wren', i: 1 },
  { tag: 'bird', i: 2 },
  { tag: 'frr', i: 3 },
] as const;
type Tag = (typeof NODES)[number]['tag'];
const addr = (i: number): string => `10.0.7.${i}`;
const addr6 = (i: number): string => `fd00:7::${i}`;
/** The eth0 link-local address of a namespace. */
const linkLocal = (n: string): string => {
  // iproute2 prints the addresses its filter dropped as {} in addr_info.
  const [link] = JSON.parse(exec(null, 'ip', ['-j', '-n', n, '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'link'])) as { addr_info: { local?: string }[] }[];
  return link?.addr_info.find((a) => a.local?.startsWith('fe80:'))?.local ?? '(none)';
};
const block = (i: number): string => `172.16.${10 + i}.0/24`;
const block6 = (i: number): string => `fd00:172:16:${10 + i}::/64`;
/** The protocol each node's FIB writer uses for the routes it learned over BGP. */
const LEARNED_PROTO: Record<Tag, string> = { wren: 'bird', bird: 'bird', frr: 'bgp' };

describeNetns('wren, BIRD and FRR in one iBGP mesh, each programming its kernel', [NETNS, BIRD_INSTALLED, FRR_INSTALLED], () => {
  const newLab = labsPerTest();

  it("puts every node's pod block in every node's kernel via the owner's address", async () => {
    const lab = newLab('mesh');
    const ns = Object.fromEntries(NODES.map((n) => [n.tag, lab.addNamespace(n.tag, { forwarding: true })])) as Record<Tag, string>;
    lab.bridgeSegment(
      'sw',
      NODES.map((n) => ({ ns: ns[n.tag], ifName: 'eth0', addrs: [`${addr(n.i)}/24`, `${addr6(n.i)}/64`] })),
    );
    const spec = (n: (typeof NODES)[number]) => ({
      ns: ns[n.tag],
      routerId: addr(n.i),
      asn: ASN,
      neighbors: NODES.filter((o) => o.i !== n.i).map((o): NeighborSpec => ({ address: addr(o.i), asn: ASN })),
      originate: [block(n.i), block6(n.i)],
      kernel: true,
    });
    const [wrenNode, birdNode, frrNode] = NODES;
    const daemons: Record<Tag, BgpDaemon> = {
      wren: await startWren(lab, spec(wrenNode)),
      bird: await startBird(lab, spec(birdNode)),
      frr: await startFrr(lab, spec(frrNode)),
    };
    for (const n of NODES) for (const o of NODES) if (o.i !== n.i) await waitEstablished(daemons[n.tag], addr(o.i));

    const t0 = Date.now();
    for (const n of NODES) {
      for (const o of NODES) {
        if (o.i === n.i) continue;
        const proto = LEARNED_PROTO[n.tag];
        const v4 = await waitForFibRoute(ns[n.tag], block(o.i), (r) => r.protocol === proto && r.type === 'unicast').catch((err: Error) => {
          throw new Error(`${err.message}\n${daemons[n.tag].describeLogs(20)}`);
        });
        expect(v4.gateways, `${n.tag}: ${block(o.i)}`).toEqual([addr(o.i)]);
        expect(v4.devices).toEqual(['eth0']);
        const v6 = await waitForFibRoute(ns[n.tag], block6(o.i), (r) => r.protocol === proto && r.type === 'unicast');
        // IPv6 next hops may be the owner's global or its link-local address (BIRD and FRR prefer the link-local one).
        expect(v6.gateways.length, `${n.tag}: ${block6(o.i)}: ${JSON.stringify(v6)}`).toBe(1);
        expect([addr6(o.i), linkLocal(ns[o.tag])], `${n.tag}: ${block6(o.i)}`).toContain(v6.gateways[0]);
      }
    }
    console.log(`mesh: every block in every FIB ${Date.now() - t0} ms after all sessions were Established`);
    for (const n of NODES) {
      const rows = fibRoutes(ns[n.tag]).filter((r) => r.prefix.startsWith('172.16.') || r.prefix.startsWith('fd00:172:'));
      console.log(`  ${n.tag}: ${rows.map((r) => `${r.prefix} ${r.type === 'blackhole' ? 'blackhole' : `via ${r.gateways.join(',')}`} proto ${r.protocol}`).join('; ')}`);
    }

    // Own blocks: wren and BIRD hold a blackhole (proto bird); FRR originates without a FIB route.
    const own = (tag: Tag, prefix: string): FibRoute[] => fibRoutes(ns[tag]).filter((r) => r.prefix === prefix);
    expect(own('wren', block(1)).map((r) => `${r.type} ${r.protocol}`)).toEqual(['blackhole bird']);
    expect(own('bird', block(2)).map((r) => `${r.type} ${r.protocol}`)).toEqual(['blackhole bird']);
    expect(own('frr', block(3)).filter((r) => r.protocol === 'bgp'), describeFib(ns.frr)).toEqual([]);

    // Each FIB holds exactly one route per block: no duplicates from two writers.
    for (const n of NODES) {
      const prefixes = fibRoutes(ns[n.tag]).map((r) => r.prefix);
      for (const o of NODES) expect(prefixes.filter((p) => p === block(o.i)), `${n.tag}: ${block(o.i)}\n${describeFib(ns[n.tag])}`).toHaveLength(o.tag === 'frr' && n.tag === 'frr' ? 0 : 1);
    }
  });
});

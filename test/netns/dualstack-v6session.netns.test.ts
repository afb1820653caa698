/**
 * IPv6 only: iBGP sessions between IPv6 addresses negotiating IPv6 unicast alone, carrying the
 * nodes' IPv6 pod blocks into each kernel.
 *
 *   segment fd00:192:168:1::/64 (the IPv4 addresses exist but no session uses them)
 *     n1 ::11  wren   n2 ::12  wren   n3 ::13  BIRD 2 (kernel protocol)
 *   each originates 172.16.i.0/24 and fd00:172:16:i::/64; sessions are `families: ["ipv6-unicast"]`.
 *
 * Checked: only IPv6 unicast negotiated; every IPv6 block in every kernel as `proto bird` via its
 * owner (global or link-local address); no IPv4 block crossed; the pods reach each other over IPv6.
 *
 * Run: npx vitest run --project netns test/netns/dualstack-v6session.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { startBird } from '../../tools/daemons/bird.js';
import { waitEstablished, type BgpDaemon, type DaemonSpec } from '../../tools/daemons/daemon.js';
import { describeFib, fibRoutes, waitForFibRoute } from './lib/fib.js';
import { askWren, keepFilesOnFailure } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { type Lab } from './lib/netns.js';
import { describeNetns, BIRD_INSTALLED, NETNS } from './lib/requirements.js';
import { ping } from './lib/pods.js';
import { addPods, buildSegment, calicoNode, describeBlocks, linkLocalOf, nsOf, type CalicoNode, logTail } from './lib/rack.js';
import { startWren, type WrenDaemon } from '../../tools/daemons/wren.js';

const NODES = [1, 2, 3].map(calicoNode);
const ASN = 64512;

describeNetns('IPv6-only BGP sessions', [NETNS, BIRD_INSTALLED], () => {
  const newLab = labsPerTest();
  let current: Lab | undefined;
  keepFilesOnFailure(() => current);

  it('carry the IPv6 pod blocks into every kernel, and nothing of IPv4', async () => {
    const lab = newLab('v6s');
    current = lab;
    const ns = buildSegment(lab, NODES);
    const pods = addPods(lab, ns, NODES);
    const spec = (n: CalicoNode): DaemonSpec => ({
      ns: nsOf(ns, n),
      routerId: n.v4,
      asn: ASN,
      neighbors: NODES.filter((o) => o !== n).map((o) => ({ address: o.v6, asn: ASN, families: ['ipv6'] as const })),
      originate: [n.block, n.block6],
      kernel: true,
    });
    const [n1, n2, n3] = NODES as [CalicoNode, CalicoNode, CalicoNode];
    const w1 = await startWren(lab, spec(n1));
    const w2 = await startWren(lab, spec(n2));
    const bird = await startBird(lab, spec(n3));
    const daemons: [CalicoNode, BgpDaemon][] = [
      [n1, w1],
      [n2, w2],
      [n3, bird],
    ];
    for (const [n, d] of daemons) for (const o of NODES) if (o !== n) await waitEstablished(d, o.v6);

    for (const w of [w1, w2] as WrenDaemon[]) {
      const peers = await askWren(w, { cmd: 'show-peers' });
      for (const p of peers) expect(p.capabilities?.filter((c) => c.endsWith('-unicast')), JSON.stringify(p)).toEqual(['ipv6-unicast']);
    }
    const t0 = Date.now();
    for (const [n, d] of daemons) {
      for (const o of NODES) {
        if (o === n) continue;
        const r = await waitForFibRoute(nsOf(ns, n), o.block6, (x) => x.protocol === 'bird' && x.type === 'unicast').catch((err: Error) => {
          throw new Error(`${err.message}\n${logTail(d)}`);
        });
        expect([o.v6, linkLocalOf(nsOf(ns, o))], `${n.tag}: ${o.block6} via ${r.gateways.join()}`).toContain(r.gateways[0]);
      }
    }
    console.log(`dualstack-v6session: every IPv6 block in every kernel ${Date.now() - t0} ms after the sessions were up`);
    console.log(describeBlocks(daemons.map(([n]) => ({ node: n, ns: nsOf(ns, n), proto: 'bird' }))));
    // No IPv4 block crossed: each kernel holds only its own IPv4 block (blackhole, or nothing for BIRD's static).
    for (const [n] of daemons) {
      const foreign = fibRoutes(nsOf(ns, n)).filter((r) => r.prefix.startsWith('172.16.') && r.prefix !== n.block && !r.prefix.endsWith('/32'));
      expect(foreign, describeFib(nsOf(ns, n))).toEqual([]);
    }
    expect(w1.routes('ipv4')).toEqual([]);
    for (const a of pods) {
      for (const b of pods) {
        if (a === b || b.address6 === undefined) continue;
        const r = ping(lab, a.ns, b.address6);
        expect(r.ok, `${a.address6} -> ${b.address6}: ${r.output}`).toBe(true);
      }
    }
  });
});

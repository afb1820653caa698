/**
 * ADD-PATH (RFC 7911) through a wren route reflector (issue 16): two nodes announce the same /32
 * (an anycast / load-balancer address); the reflector sends every path to the clients that receive
 * ADD-PATH; a wren client and a BIRD 2 client (`add paths on`, kernel `merge paths on`) each install
 * a two-way ECMP route; when one announcer goes away the ECMP route shrinks to one next hop without
 * the prefix ever leaving the kernel. A client without ADD-PATH gets one path, as before.
 *
 *   segment 192.168.1.0/24
 *     rr1 .2    wren reflector, addressRange peers, addPath { receive, send: "all" }, kernel off
 *     n1 .11, n2 .12   wren announcers of 10.96.0.10/32 (no ADD-PATH, graceful restart off so a stop withdraws)
 *     n3 .13    wren client, addPath { receive: true }, kernel on
 *     n4 .14    BIRD 2 client, `add paths on`, kernel protocol with `merge paths on`
 *     n5 .15    wren client without ADD-PATH
 *
 * Run: npx vitest run --project netns test/netns/add-path-rr.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { startBird, type BirdDaemon } from '../../tools/daemons/bird.js';
import { startWrenConfig, type WrenConfigDaemon } from './lib/doc-config.js';
import { RouteMonitor, fibRoutesFor, waitForFibRoute } from './lib/fib.js';
import { interopNeeds, keepFilesOnFailure, wrenLogTail, wrenPeers, wrenRoutes } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { waitFor, type Lab } from './lib/netns.js';
import { BIRD_INSTALLED, describeNetns } from './lib/requirements.js';
import { buildSegment, calicoNode, nsOf, reflectorHost } from './lib/rack.js';

const ANYCAST = '10.96.0.10/32';
const RR = reflectorHost(1);
const [N1, N2, N3, N4, N5] = [1, 2, 3, 4, 5].map(calicoNode) as [ReturnType<typeof calicoNode>, ReturnType<typeof calicoNode>, ReturnType<typeof calicoNode>, ReturnType<typeof calicoNode>, ReturnType<typeof calicoNode>];

const reflectorConfig = {
  routerId: RR.v4,
  asn: 64512,
  peers: [{ name: 'nodes', addressRange: '192.168.1.0/24', asn: 64512, routeReflectorClient: true, maxPeers: 50, families: ['ipv4-unicast'] }],
  addPath: { receive: true, send: 'all' },
  routeReflector: { clusterId: RR.v4 },
  kernel: { enabled: false },
};
const announcer = (n: typeof N1): Record<string, unknown> => ({
  routerId: n.v4,
  asn: 64512,
  originate: [ANYCAST, n.block],
  peers: [{ address: RR.v4, asn: 64512, families: ['ipv4-unicast'] }],
  gracefulRestart: { enabled: false },
  kernel: { enabled: true },
});
const client = (n: typeof N1, addPath: boolean): Record<string, unknown> => ({
  routerId: n.v4,
  asn: 64512,
  originate: [n.block],
  peers: [{ address: RR.v4, asn: 64512, families: ['ipv4-unicast'] }],
  ...(addPath ? { addPath: { receive: true } } : {}),
  kernel: { enabled: true },
});

const sortedGateways = (ns: string): string[] => [...(fibRoutesFor(ns, ANYCAST)[0]?.gateways ?? [])].sort();

describeNetns('ADD-PATH through a wren route reflector: two announcers, ECMP in a wren and a BIRD client', interopNeeds(BIRD_INSTALLED), () => {
  const newLab = labsPerTest();
  let current: Lab | undefined;
  keepFilesOnFailure(() => current);

  it('delivers both paths, the clients install a two-way ECMP route, and it shrinks to one next hop without a flap', async () => {
    const lab = newLab('adp');
    current = lab;
    const ns = buildSegment(lab, [RR, N1, N2, N3, N4, N5]);
    const rr = await startWrenConfig(lab, nsOf(ns, RR), reflectorConfig);
    const n1 = await startWrenConfig(lab, nsOf(ns, N1), announcer(N1));
    await startWrenConfig(lab, nsOf(ns, N2), announcer(N2));
    const n3 = await startWrenConfig(lab, nsOf(ns, N3), client(N3, true));
    const n5 = await startWrenConfig(lab, nsOf(ns, N5), client(N5, false));
    const bird: BirdDaemon = await startBird(lab, {
      ns: nsOf(ns, N4),
      routerId: N4.v4,
      asn: 64512,
      neighbors: [{ address: RR.v4, asn: 64512, families: ['ipv4'], addPath: 'on' }],
      originate: [N4.block],
      kernel: true,
      kernelMergePaths: true,
    });
    await waitFor(async () => (await wrenPeers(rr)).filter((p) => p.state === 'Established').length === 5, {
      what: 'five Established sessions on the reflector',
      timeoutMs: 30_000,
      intervalMs: 200,
    }).catch(async (e: Error) => {
      throw new Error(`${e.message}\n${JSON.stringify(await wrenPeers(rr))}\n${wrenLogTail(rr)}\n${bird.describeLogs()}`);
    });

    // RFC 7911 4: negotiated per session as each side offered it; a one-sided offer is as without it.
    const peers = await wrenPeers(rr);
    const addPathOf = (a: string): unknown => peers.find((p) => p.address === a)?.addPath;
    expect(addPathOf(N3.v4)).toEqual({ 'ipv4-unicast': 'send' });
    expect(addPathOf(N4.v4)).toEqual({ 'ipv4-unicast': 'receive+send' });
    expect(addPathOf(N1.v4)).toBeUndefined();
    expect(addPathOf(N5.v4)).toBeUndefined();
    expect(peers.find((p) => p.address === N1.v4)?.capabilities).not.toContain('add-path');
    expect((await wrenPeers(n3))[0]?.addPath).toEqual({ 'ipv4-unicast': 'receive' });

    // The wren client: both paths from the reflector, each with its path id, one ECMP route in the kernel.
    const both = [N1.v4, N2.v4];
    await waitForFibRoute(nsOf(ns, N3), ANYCAST, (r) => r.protocol === 'bird' && [...r.gateways].sort().join() === both.join(), { timeoutMs: 20_000 });
    const seen = (await wrenRoutes(n3)).filter((r) => r.prefix === ANYCAST);
    expect(seen.map((r) => [r.from, r.nextHop, r.originatorId]).sort()).toEqual([
      [RR.v4, N1.v4, N1.v4],
      [RR.v4, N2.v4, N2.v4],
    ]);
    expect(new Set(seen.map((r) => r.pathId)).size).toBe(2);
    expect(seen.every((r) => typeof r.pathId === 'number' && r.pathId > 0)).toBe(true);
    // The BIRD client: both paths, merged into one ECMP kernel route.
    await waitForFibRoute(nsOf(ns, N4), ANYCAST, (r) => [...r.gateways].sort().join() === both.join(), { timeoutMs: 20_000 }).catch((e: Error) => {
      throw new Error(`${e.message}\n${bird.birdc('show', 'route', 'for', ANYCAST, 'all')}`);
    });
    expect(bird.birdc('show', 'route', 'for', ANYCAST).match(/via 192\.168\.1\.1[12]/g)?.length).toBe(2);
    // A client without ADD-PATH: one path, one next hop, exactly as before.
    await waitForFibRoute(nsOf(ns, N5), ANYCAST, (r) => r.gateways.length === 1, { timeoutMs: 20_000 });
    expect((await wrenRoutes(n5)).filter((r) => r.prefix === ANYCAST).map((r) => [r.nextHop, r.pathId])).toEqual([[N1.v4, undefined]]);
    console.log(`add-path-rr: n3 ${ANYCAST} via ${sortedGateways(nsOf(ns, N3)).join(', ')}; n4 (BIRD) via ${sortedGateways(nsOf(ns, N4)).join(', ')}`);

    // One announcer goes away: the reflector withdraws its path by id; the ECMP routes shrink in place.
    const monitors = await Promise.all([N3, N4].map((n) => RouteMonitor.start(lab, nsOf(ns, n), `mon-${n.tag}`)));
    const t0 = Date.now();
    await n1.stop(); // graceful restart off: Cease, the reflector drops its routes
    for (const n of [N3, N4]) {
      await waitForFibRoute(nsOf(ns, n), ANYCAST, (r) => r.gateways.length === 1 && r.gateways[0] === N2.v4, { timeoutMs: 20_000 });
    }
    console.log(`add-path-rr: ECMP shrank to one next hop on both clients within ${Date.now() - t0} ms of the stop`);
    expect((await wrenRoutes(n3)).filter((r) => r.prefix === ANYCAST).map((r) => r.nextHop)).toEqual([N2.v4]);
    for (const m of monitors) {
      // Never without a route: a change is a replace, or a delete followed at once by the new route.
      expect(m.deletionsNotReplaced([ANYCAST], t0), `${m.ns}: ${JSON.stringify(m.events().filter((e) => e.prefix === ANYCAST))}`).toEqual([]);
      await m.stop();
    }
    await waitForFibRoute(nsOf(ns, N5), ANYCAST, (r) => r.gateways.length === 1 && r.gateways[0] === N2.v4, { timeoutMs: 20_000 });
  });
});

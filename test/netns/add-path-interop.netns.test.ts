/**
 * ADD-PATH (RFC 7911) against BIRD 2 (`add paths on`), FRR (`addpath-tx-all-paths`; FRR offers
 * receive by itself) and GoBGP (`add-paths` receive + send-max), both ways (issue 16).
 *
 *   segment 192.168.1.0/24
 *     w  .2   wren: reflector of a1, a2; the daemon under test is a plain iBGP peer with addPath { receive, send: "all" }
 *     x  .3   BIRD 2 / FRR / GoBGP: reflector of a1, a2; wren is a plain iBGP peer with ADD-PATH on
 *     a1 .11, a2 .12   wren nodes announcing the same /32 to both reflectors (no ADD-PATH)
 *
 * wren reflects both client paths to x (RFC 4456 6: client -> non-client) with two path ids, and x
 * reflects both to wren with its own: each side holds two paths from the other. Without ADD-PATH on
 * the daemon (one-sided offer, BIRD), each side gets one path, as before.
 *
 * Run: npx vitest run --project netns test/netns/add-path-interop.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { startBird, type BirdDaemon } from '../../tools/daemons/bird.js';
import type { DaemonSpec } from '../../tools/daemons/daemon.js';
import { startFrr, type FrrDaemon } from '../../tools/daemons/frr.js';
import { startGobgp, type GobgpDaemon } from '../../tools/daemons/gobgp.js';
import { startWrenConfig } from './lib/doc-config.js';
import { interopNeeds, keepFilesOnFailure, wrenLogTail, wrenPeers, wrenRoutes } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { waitFor, type Lab } from './lib/netns.js';
import { BIRD_INSTALLED, describeNetns, FRR_INSTALLED, GOBGP_INSTALLED, type Requirement } from './lib/requirements.js';
import { buildSegment, calicoNode, nsOf, reflectorHost } from './lib/rack.js';

const ANYCAST = '10.96.0.10/32';
const W = reflectorHost(1);
const X = reflectorHost(2);
const A1 = calicoNode(1);
const A2 = calicoNode(2);

type Under = BirdDaemon | FrrDaemon | GobgpDaemon;

interface Case {
  readonly name: string;
  readonly needs: Requirement;
  readonly start: (lab: Lab, spec: DaemonSpec) => Promise<Under>;
  /** Paths for ANYCAST the daemon holds from wren (its next hops). */
  readonly pathsFromWren: (d: Under) => string[];
}

const nextHopsIn = (text: string): string[] => [...text.matchAll(/via (192\.168\.1\.1[12])/g)].map((m) => m[1] ?? '').sort();

const CASES: readonly Case[] = [
  {
    name: 'BIRD 2 (add paths on)',
    needs: BIRD_INSTALLED,
    start: startBird,
    pathsFromWren: (d) => nextHopsIn((d as BirdDaemon).birdc('show', 'route', 'for', ANYCAST, 'protocol', `n_${W.v4.replace(/\./g, '_')}`)),
  },
  {
    name: 'FRR (addpath-tx-all-paths)',
    needs: FRR_INSTALLED,
    start: startFrr,
    pathsFromWren: (d) => {
      const j = JSON.parse((d as FrrDaemon).vtysh(`show bgp ipv4 unicast ${ANYCAST} json`)) as { paths?: { peer?: { peerId?: string }; nexthops?: { ip?: string }[] }[] };
      return (j.paths ?? []).filter((p) => p.peer?.peerId === W.v4).map((p) => p.nexthops?.[0]?.ip ?? '').sort();
    },
  },
  {
    name: 'GoBGP (add-paths receive, send-max)',
    needs: GOBGP_INSTALLED,
    start: startGobgp,
    pathsFromWren: (d) => {
      const j = JSON.parse((d as GobgpDaemon).gobgp('global', 'rib', '-a', 'ipv4', ANYCAST, '-j')) as Record<string, { 'neighbor-ip'?: string; attrs?: { type: number; nexthop?: string }[] }[]>;
      return (j[ANYCAST] ?? []).filter((p) => p['neighbor-ip'] === W.v4).map((p) => p.attrs?.find((a) => a.type === 3)?.nexthop ?? '').sort();
    },
  },
];

const announcer = (n: typeof A1): Record<string, unknown> => ({
  routerId: n.v4,
  asn: 64512,
  originate: [ANYCAST],
  peers: [W, X].map((r) => ({ address: r.v4, asn: 64512, families: ['ipv4-unicast'] })),
  gracefulRestart: { enabled: false },
  kernel: { enabled: false },
});

async function setup(lab: Lab, c: Case, daemonAddPath: boolean) {
  const ns = buildSegment(lab, [W, X, A1, A2]);
  const wren = await startWrenConfig(lab, nsOf(ns, W), {
    routerId: W.v4,
    asn: 64512,
    peers: [
      ...[A1, A2].map((n) => ({ address: n.v4, asn: 64512, routeReflectorClient: true, families: ['ipv4-unicast'] })),
      { address: X.v4, asn: 64512, families: ['ipv4-unicast'], addPath: { receive: true, send: 'all' } },
    ],
    routeReflector: { clusterId: W.v4 },
    kernel: { enabled: false },
  });
  const daemon = await c.start(lab, {
    ns: nsOf(ns, X),
    routerId: X.v4,
    asn: 64512,
    neighbors: [
      ...[A1, A2].map((n) => ({ address: n.v4, asn: 64512, rrClient: true, families: ['ipv4' as const] })),
      { address: W.v4, asn: 64512, families: ['ipv4' as const], ...(daemonAddPath ? { addPath: 'on' as const } : {}) },
    ],
    originate: [],
  });
  for (const n of [A1, A2]) await startWrenConfig(lab, nsOf(ns, n), announcer(n));
  await waitFor(async () => (await wrenPeers(wren)).every((p) => p.state === 'Established') && daemon.sessionState(W.v4) === 'Established', {
    what: 'every session of wren Established',
    timeoutMs: 40_000,
    intervalMs: 200,
  }).catch(async (e: Error) => {
    throw new Error(`${e.message}\n${JSON.stringify(await wrenPeers(wren))}\n${wrenLogTail(wren)}\n${daemon.describeLogs()}`);
  });
  return { wren, daemon };
}

for (const c of CASES) {
  describeNetns(`ADD-PATH with ${c.name}`, interopNeeds(c.needs), () => {
    const newLab = labsPerTest();
    let current: Lab | undefined;
    keepFilesOnFailure(() => current);

    it('is negotiated both ways, and each side holds both paths of the other, each with its path id', async () => {
      const lab = newLab('apx');
      current = lab;
      const { wren, daemon } = await setup(lab, c, true);
      const px = (await wrenPeers(wren)).find((p) => p.address === X.v4);
      expect(px?.addPath).toEqual({ 'ipv4-unicast': 'receive+send' });
      expect(px?.capabilities).toContain('add-path');
      // The daemon -> wren: its two reflected paths, two distinct path ids.
      await waitFor(async () => (await wrenRoutes(wren)).filter((r) => r.prefix === ANYCAST && r.from === X.v4).length === 2, {
        what: `two paths for ${ANYCAST} from ${c.name} in wren`,
        timeoutMs: 20_000,
      }).catch(async (e: Error) => {
        throw new Error(`${e.message}\n${JSON.stringify(await wrenRoutes(wren))}\n${daemon.describeLogs()}`);
      });
      const fromX = (await wrenRoutes(wren)).filter((r) => r.prefix === ANYCAST && r.from === X.v4);
      expect(fromX.map((r) => r.nextHop).sort()).toEqual([A1.v4, A2.v4]);
      expect(new Set(fromX.map((r) => r.pathId)).size).toBe(2);
      // wren -> the daemon: both paths wren reflects.
      await waitFor(() => c.pathsFromWren(daemon).length === 2, { what: `two paths for ${ANYCAST} from wren in ${c.name}`, timeoutMs: 20_000 }).catch((e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(c.pathsFromWren(daemon))}\n${daemon.describeLogs()}\n${wrenLogTail(wren)}`);
      });
      expect(c.pathsFromWren(daemon)).toEqual([A1.v4, A2.v4]);
      console.log(`add-path-interop ${c.name}: wren holds path ids ${fromX.map((r) => r.pathId).join(', ')} from it; it holds ${c.pathsFromWren(daemon).length} paths from wren`);
    });

    if (c.name.startsWith('BIRD')) {
      it('offered by wren only: the session is as without ADD-PATH (one path each way, no path ids)', async () => {
        const lab = newLab('apo');
        current = lab;
        const { wren, daemon } = await setup(lab, c, false);
        const px = (await wrenPeers(wren)).find((p) => p.address === X.v4);
        expect(px?.addPath).toBeUndefined();
        expect(px?.capabilities).not.toContain('add-path');
        await waitFor(async () => (await wrenRoutes(wren)).some((r) => r.prefix === ANYCAST && r.from === X.v4), { what: 'a path from BIRD', timeoutMs: 20_000 });
        await waitFor(() => c.pathsFromWren(daemon).length === 1, { what: 'a path from wren in BIRD', timeoutMs: 20_000 });
        const fromX = (await wrenRoutes(wren)).filter((r) => r.prefix === ANYCAST && r.from === X.v4);
        expect(fromX.map((r) => r.pathId)).toEqual([undefined]);
        expect(c.pathsFromWren(daemon)).toHaveLength(1);
      });
    }
  });
}

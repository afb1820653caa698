/**
 * wren against GoBGP 3: the interop scenarios of lib/interop-suite.ts (sessions both ways, eBGP
 * and iBGP, IPv4 and IPv6 over IPv4 sessions, restart, silent peer, shutdown communications both
 * ways, wren's ROUTE-REFRESH answered). GoBGP keeps an Adj-RIB-In and never sends ROUTE-REFRESH
 * itself, so the "peer asks wren to refresh" test is skipped here.
 * Run as root after `npm run build`:
 *   npx vitest run --project netns test/netns/interop-gobgp.netns.test.ts
 */
import { readFileSync } from 'node:fs';
import type { DaemonSpec } from '../../tools/daemons/daemon.js';
import { startGobgp, type GobgpDaemon } from '../../tools/daemons/gobgp.js';
import { NODES, interopNeeds, type PeerProbe } from './lib/interop.js';
import { describeInterop } from './lib/interop-suite.js';
import { GOBGP_INSTALLED } from './lib/requirements.js';

/** The fields of `gobgp neighbor <wren> -j` the tests read. */
interface GobgpNeighbor {
  readonly state?: {
    readonly messages?: {
      readonly received?: { readonly update?: number; readonly refresh?: number; readonly open?: number };
      readonly sent?: { readonly update?: number };
    };
  };
  readonly timers?: { readonly state?: { readonly uptime?: { readonly seconds?: number } } };
}

const neighbor = (d: GobgpDaemon): GobgpNeighbor => JSON.parse(d.gobgp('neighbor', NODES.wren.v4, '-j')) as GobgpNeighbor;

/** gobgpd logs each NOTIFICATION it receives as JSON with the RFC 9003 text in "Communicated-Reason". */
function lastNotificationLogged(d: GobgpDaemon): string {
  const lines = readFileSync(d.paths.log, 'utf8').split('\n').filter((l) => l.includes('"received notification"'));
  const last = lines.at(-1);
  if (last === undefined) return '';
  const j = JSON.parse(last) as { Code?: number; Subcode?: number; 'Communicated-Reason'?: string };
  return `${j.Code}/${j.Subcode}: ${j['Communicated-Reason'] ?? ''}`;
}

const probe: PeerProbe<GobgpDaemon> = {
  updatesFromWren: (d) => neighbor(d).state?.messages?.received?.update ?? 0,
  updatesToWren: (d) => neighbor(d).state?.messages?.sent?.update ?? 0,
  refreshesFromWren: (d) => neighbor(d).state?.messages?.received?.refresh ?? 0,
  // Established time (seconds) and the number of OPENs received: both change on a new session.
  sessionMark: (d) => {
    const n = neighbor(d);
    return `${n.timers?.state?.uptime?.seconds}/${n.state?.messages?.received?.open}`;
  },
  shutdownSeen: lastNotificationLogged,
};

/**
 * Over an IPv4 session GoBGP sends IPv6 routes with an IPv4-mapped next hop unless told its own
 * global IPv6 address (see tools/daemons/gobgp.ts).
 */
const withIpv6NextHop = (role: 'ebgp' | 'ibgp', spec: DaemonSpec): DaemonSpec => ({
  ...spec,
  neighbors: spec.neighbors.map((n) => ({ ...n, ipv6NextHop: NODES[role].v6 })),
});

describeInterop({
  title: 'GoBGP 3',
  id: 'gobgp',
  needs: interopNeeds(GOBGP_INSTALLED),
  freeze: (d) => d.pid,
  start: startGobgp,
  peerSpec: withIpv6NextHop,
  probe,
  // GoBGP has no command that sends ROUTE-REFRESH: that scenario is not registered for it.
  peerSendsRouteRefresh: false,
});

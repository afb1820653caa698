/**
 * wren against FRR 8 (bgpd with its own zebra): the interop scenarios of lib/interop-suite.ts
 * (sessions both ways, eBGP and iBGP, IPv4 and IPv6 over IPv4 sessions, restart, silent peer,
 * shutdown communications both ways, ROUTE-REFRESH both ways).
 * Run as root after `npm run build`:
 *   npx vitest run --project netns test/netns/interop-frr.netns.test.ts
 */
import { startFrr, type FrrDaemon } from '../../tools/daemons/frr.js';
import { NODES, interopNeeds, type PeerProbe } from './lib/interop.js';
import { describeInterop } from './lib/interop-suite.js';
import { FRR_INSTALLED } from './lib/requirements.js';

/** The fields of `show bgp neighbors <wren> json` the tests read. */
interface FrrNeighbor {
  readonly connectionsEstablished?: number;
  readonly lastNotificationReason?: string;
  readonly lastShutdownDescription?: string;
  readonly messageStats?: { readonly updatesRecv?: number; readonly updatesSent?: number; readonly routeRefreshRecv?: number };
}

const neighbor = (d: FrrDaemon): FrrNeighbor => {
  const j = JSON.parse(d.vtysh(`show bgp neighbors ${NODES.wren.v4} json`)) as Record<string, FrrNeighbor | undefined>;
  const n = j[NODES.wren.v4];
  if (!n) throw new Error(`FRR has no neighbor ${NODES.wren.v4}`);
  return n;
};

const probe: PeerProbe<FrrDaemon> = {
  updatesFromWren: (d) => neighbor(d).messageStats?.updatesRecv ?? NaN,
  updatesToWren: (d) => neighbor(d).messageStats?.updatesSent ?? NaN,
  refreshesFromWren: (d) => neighbor(d).messageStats?.routeRefreshRecv ?? NaN,
  sessionMark: (d) => String(neighbor(d).connectionsEstablished),
  // "Cease/Administrative Shutdown" and the RFC 9003 text FRR keeps for the last NOTIFICATION received.
  shutdownSeen: (d) => {
    const n = neighbor(d);
    return `${n.lastNotificationReason ?? ''}: ${n.lastShutdownDescription ?? ''}`;
  },
};

describeInterop({
  title: 'FRR 8',
  id: 'frr',
  needs: interopNeeds(FRR_INSTALLED),
  freeze: (d) => d.pid,
  start: startFrr,
  probe,
  peerSendsRouteRefresh: true,
});

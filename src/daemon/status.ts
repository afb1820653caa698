/** `show peers` rows (a Peer's session state plus the RIB's prefix counts) and the `show kernel` view. */
import type { PeerConfig } from '../config/types.js';
import type { KernelStatusView, PeerStatus, RouteChangeStats } from '../control/protocol.js';
import type { KernelStatus } from '../kernel/fib-sync.js';
import type { Peer } from '../session/peer.js';

export function peerStatus(
  peer: Peer,
  cfg: PeerConfig,
  prefixes: { received: number; accepted: number; advertised: number },
  nowMs: number,
  routes: { preferred: number; changes: RouteChangeStats },
): PeerStatus {
  const n = peer.negotiated;
  const established = peer.state === 'Established' && n !== undefined;
  return {
    ...(cfg.name !== undefined ? { name: cfg.name } : {}),
    address: peer.opts.address,
    port: peer.opts.port,
    asn: cfg.asn,
    type: cfg.type,
    origin: peer.opts.dynamic ? 'dynamic' : 'configured',
    state: peer.state,
    uptimeSec: Math.max(0, Math.floor((nowMs - peer.stateSinceMs) / 1000)),
    ...(established
      ? { routerId: n.peerRouterId, holdTimeSec: n.holdTimeSec, keepaliveSec: n.keepaliveSec, sendHoldTimeSec: peer.sendHoldSec, sendQueueBytes: peer.queuedBytes }
      : {}),
    sendHoldExpirations: peer.sendHoldExpirations,
    capabilities: established ? n.capabilities : [],
    prefixes: { ...prefixes, preferred: routes.preferred },
    messages: peer.messages,
    ...(peer.lastDownReason !== undefined ? { lastDownReason: peer.lastDownReason } : {}),
    ...(peer.lastError !== undefined ? { lastError: peer.lastError } : {}),
    phase: peer.phase,
    // The clock is monotonic: the wall-clock time is now minus the age.
    phaseSince: new Date(Date.now() - Math.max(0, nowMs - peer.phaseSinceMs)).toISOString(),
    ...(established && peer.connection ? { localAddress: peer.connection.localAddress } : {}),
    routeChanges: routes.changes,
  };
}

/** `show kernel`: FibSync's status with times as ages in seconds. */
export function kernelStatusView(st: KernelStatus, nowMs: number): KernelStatusView {
  const { lastReconcile, conflicts, failed, ...rest } = st;
  return {
    ...rest,
    conflicts: conflicts.map((c) => ({ key: c.key, prefix: c.prefix, sinceSec: Math.round((nowMs - c.since) / 1000) })),
    failed: failed.map(({ since, ...f }) => ({ ...f, sinceSec: Math.round((nowMs - since) / 1000) })),
    lastReconcile: lastReconcile ? (({ at, ...r }) => ({ ...r, agoSec: Math.round((nowMs - at) / 1000) }))(lastReconcile) : null,
  };
}

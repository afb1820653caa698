/**
 * Every default of the configuration, in one place (docs/configuration.md lists the same values;
 * test/unit/config/defaults.test.ts checks that an empty-but-valid config gets exactly these).
 * Defaults that depend on other keys (keepaliveTime, clusterId, localAs, import/export, passive)
 * are computed in sections.ts and peers.ts and documented there.
 */
import type { KernelPoolConfig, PeerFamily } from './types.js';

export const DEFAULTS = {
  listen: { address: '::', port: 179, enabled: true },
  /** RFC 4271 10: suggested values. keepaliveTime defaults to holdTime / 3 (rounded down). */
  timers: { holdTime: 90, connectRetryTime: 120, idleHoldTime: 5, idleHoldMaxTime: 120 },
  ebgpRequiresPolicy: true,
  multipath: { maxPaths: 16 },
  gracefulRestart: { enabled: true, restartTime: 120, staleRoutesTime: 360 },
  kernel: {
    enabled: true,
    table: 254,
    protocol: 12,
    metric: 0,
    blackhole: true,
    mode: 'direct',
    pools: [] as readonly KernelPoolConfig[],
    tunnelDevice: 'tunl0',
    withdrawOnStop: false,
    convergenceTimeout: 120,
    scanInterval: 30,
  },
  control: { socket: '/run/wren/wren.sock' },
  log: { level: 'info' },
  /** No `listen`: no metrics listener. */
  metrics: { perPeer: true, readyPeers: 'all', livezMaxStall: 10 },
  peer: {
    port: 179,
    passive: false,
    families: ['ipv4-unicast', 'ipv6-unicast'] as readonly PeerFamily[],
    routeReflectorClient: false,
    nextHopSelf: false,
    enabled: true,
    allowasIn: 0,
    gracefulRestart: true,
    acceptDefaultRoute: false,
    maxPeers: 100,
    maxPrefixAction: 'stop',
  },
  policy: { ruleAction: 'accept', default: 'reject' },
} as const;

/** Routing table names accepted for kernel.table (iproute2 rt_tables). */
export const TABLE_NAMES: Readonly<Record<string, number>> = Object.freeze({ main: 254, local: 255 });

/** Route protocol names accepted for kernel.protocol (iproute2 rt_protos). */
export const PROTOCOL_NAMES: Readonly<Record<string, number>> = Object.freeze({
  static: 4,
  zebra: 11,
  bird: 12,
  bgp: 186,
});

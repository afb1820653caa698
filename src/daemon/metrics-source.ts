/**
 * The snapshot the metrics and health endpoints read (metrics/source.ts), built at each scrape or
 * probe from the owners' status methods: the Speaker's peers (session state, counters, prefixes per
 * family), the RIB's table sizes, the decision loop's runs, the kernel reconciler's counts, the loop
 * monitor, and the process state runDaemon keeps (started, stopping, reloads, the running config).
 */
import type { Config } from '../config/types.js';
import type { MetricsSettings, MetricsSnapshot, MetricsSource, PeerSample } from '../metrics/source.js';
import type { LoopMonitor } from './loop-monitor.js';
import type { PeerMetrics, Speaker } from './speaker.js';

/** What runDaemon knows of the process. */
export interface ProcessState {
  started: boolean;
  stopping: boolean;
  readonly reloads: { ok: number; failed: number };
  /** The running configuration (a reload replaces it). */
  config: Config;
}

export function peerSample(m: PeerMetrics): PeerSample {
  const s = m.status;
  const c = m.counters;
  const e = s.lastError;
  return {
    address: s.address,
    ...(s.name !== undefined ? { name: s.name } : {}),
    asn: s.asn,
    dynamic: m.dynamic,
    state: s.state,
    uptimeSec: s.state === 'Established' ? s.uptimeSec : 0,
    flaps: c.flaps,
    messagesReceived: c.messagesReceived,
    messagesSent: c.messagesSent,
    notifications: c.notifications,
    otherNotifications: c.otherNotifications,
    prefixes: m.prefixes,
    ...(e !== undefined ? { lastError: { direction: e.direction, code: e.code, subcode: e.subcode, name: e.name } } : {}),
  };
}

export function metricsSource(speaker: Speaker, loop: LoopMonitor, state: ProcessState, now: () => number = () => performance.now()): MetricsSource {
  return {
    snapshot: (): MetricsSnapshot => {
      const k = speaker.kernelStats();
      const l = loop.stats();
      return {
        daemon: { started: state.started, stopping: state.stopping, reloads: { ...state.reloads } },
        peers: speaker.peerMetrics().map(peerSample),
        rib: { tables: speaker.rib.tableCounts(), pendingDecisions: speaker.rib.pendingDecisions, decisionRuns: speaker.decisionStats().runs },
        kernel: k === null ? null : { converged: k.converged, ...k.routes, errors: k.errors },
        loop: { now: now(), lastTickAt: l.lastTickAt, stalls: l.stalls, maxStallMs: l.maxStallMs, recentStalls: l.recentStalls },
      };
    },
    settings: (): MetricsSettings => {
      const m = state.config.metrics;
      return { perPeer: m.perPeer, readyPeers: m.readyPeers, livezMaxStall: m.livezMaxStall };
    },
  };
}

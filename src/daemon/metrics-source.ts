/**
 * The snapshot the metrics and health endpoints read (metrics/source.ts), built at each scrape or
 * probe from the owners' status methods: the Speaker's peers (session state, counters, prefixes per
 * family), the RIB's table sizes, the decision loop's runs, the kernel reconciler's counts, the loop
 * monitor, and the process state runDaemon keeps (started, stopping, reloads, the running config).
 */
import { protocolNames, type NamedPeer } from '../birdsock/names.js';
import type { Config } from '../config/types.js';
import type { BfdSample, MetricsSettings, MetricsSnapshot, MetricsSource, PeerSample } from '../metrics/source.js';
import type { BfdStats } from './bfd-link.js';
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

/** `session`: the peer's name as the BIRD-compatible socket shows it (birdsock/names.ts). */
export function peerSample(m: PeerMetrics, session: string): PeerSample {
  const s = m.status;
  const c = m.counters;
  const e = s.lastError;
  return {
    address: s.address,
    session,
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

/**
 * Per peer, its sample with the session name the BIRD socket gives it: names are made unique over the
 * configured peers (enabled or not) and the dynamic ones, as the socket's view makes them.
 */
export function peerSamples(peers: readonly PeerMetrics[], config: Config): PeerSample[] {
  const live = new Set(peers.map((m) => m.status.address));
  const named: NamedPeer[] = peers.map(({ status: s }) => ({ address: s.address, type: s.type, ...(s.name !== undefined ? { name: s.name } : {}) }));
  for (const c of config.peers) {
    if (c.kind === 'static' && !live.has(c.address)) named.push({ address: c.address, type: c.type, ...(c.name !== undefined ? { name: c.name } : {}) });
  }
  const names = protocolNames(named);
  return peers.map((m) => peerSample(m, names.get(m.status.address) ?? m.status.address));
}

/** The BFD sessions, labelled as their BGP peers (a session whose peer is gone is left out). */
export function bfdSamples(stats: BfdStats, peers: readonly PeerSample[]): BfdSample[] {
  const byAddress = new Map(peers.map((p) => [p.address, p]));
  const out: BfdSample[] = [];
  for (const s of stats.sessions) {
    const p = byAddress.get(s.peer);
    if (!p) continue;
    out.push({
      address: p.address,
      session: p.session,
      asn: p.asn,
      state: s.state,
      downs: s.flaps,
      transitions: s.transitions,
      detectTimeMs: s.detectTimeMs,
      packetsIn: s.packetsIn,
      packetsOut: s.packetsOut,
      discarded: s.discarded,
    });
  }
  return out;
}

export function metricsSource(speaker: Speaker, loop: LoopMonitor, state: ProcessState, now: () => number = () => performance.now()): MetricsSource {
  return {
    snapshot: (): MetricsSnapshot => {
      const k = speaker.kernelStats();
      const l = loop.stats();
      const peers = peerSamples(speaker.peerMetrics(), state.config);
      return {
        daemon: { started: state.started, stopping: state.stopping, reloads: { ...state.reloads } },
        peers,
        bfd: bfdSamples(speaker.bfdStats(), peers),
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

/**
 * The snapshot before a speaker runs (datastore mode, waiting for the first configuration): the
 * event loop is watched, so /livez answers; /readyz says what the start waits for; no sessions.
 */
export function waitingSource(loop: LoopMonitor, settings: () => Pick<Config, 'metrics'>, waitingFor: string, now: () => number = () => performance.now()): MetricsSource {
  const empty = { destinations: 0, paths: 0 };
  return {
    snapshot: (): MetricsSnapshot => {
      const l = loop.stats();
      return {
        daemon: { started: false, waitingFor, stopping: false, reloads: { ok: 0, failed: 0 } },
        peers: [],
        bfd: [],
        rib: { tables: { 'ipv4-unicast': empty, 'ipv6-unicast': empty }, pendingDecisions: 0, decisionRuns: 0 },
        kernel: null,
        loop: { now: now(), lastTickAt: l.lastTickAt, stalls: l.stalls, maxStallMs: l.maxStallMs, recentStalls: l.recentStalls },
      };
    },
    settings: (): MetricsSettings => {
      const m = settings().metrics;
      return { perPeer: m.perPeer, readyPeers: m.readyPeers, livezMaxStall: m.livezMaxStall };
    },
  };
}

/** A source that reads another, replaced once the speaker runs (the listener keeps one source). */
export class SwitchableSource implements MetricsSource {
  inner: MetricsSource;
  constructor(inner: MetricsSource) {
    this.inner = inner;
  }
  snapshot(): MetricsSnapshot {
    return this.inner.snapshot();
  }
  settings(): MetricsSettings {
    return this.inner.settings();
  }
}

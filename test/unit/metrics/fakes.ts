/** Fake snapshots for the metrics collectors and health endpoints, and a reader of the exposition text. */
import type { MetricsSettings, MetricsSnapshot, MetricsSource, PeerSample } from '../../../src/metrics/source.js';

const zeroMessages = { open: 0, update: 0, notification: 0, keepalive: 0, 'route-refresh': 0 };

export function peerSample(address: string, o: Partial<PeerSample> = {}): PeerSample {
  return {
    address,
    asn: 64512,
    dynamic: false,
    state: 'Established',
    uptimeSec: 0,
    flaps: 0,
    messagesReceived: zeroMessages,
    messagesSent: zeroMessages,
    notifications: [],
    otherNotifications: { sent: 0, received: 0 },
    prefixes: { 'ipv4-unicast': { received: 0, accepted: 0, advertised: 0 }, 'ipv6-unicast': { received: 0, accepted: 0, advertised: 0 } },
    ...o,
  };
}

export function snapshot(o: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
  return {
    daemon: { started: true, stopping: false, reloads: { ok: 0, failed: 0 } },
    peers: [],
    rib: { tables: { 'ipv4-unicast': { destinations: 0, paths: 0 }, 'ipv6-unicast': { destinations: 0, paths: 0 } }, pendingDecisions: 0, decisionRuns: 0 },
    kernel: { converged: true, desired: 0, installed: 0, conflicting: 0, pending: 0, failed: 0, errors: {} },
    loop: { now: 10_000, lastTickAt: 9_950, stalls: 0, maxStallMs: 0, recentStalls: [] },
    ...o,
  };
}

/** A source whose snapshot and settings the test changes; counts how often a snapshot is taken. */
export class FakeSource implements MetricsSource {
  snap: MetricsSnapshot = snapshot();
  set: MetricsSettings = { perPeer: true, readyPeers: 'all', livezMaxStall: 10 };
  taken = 0;
  snapshot(): MetricsSnapshot {
    this.taken++;
    return this.snap;
  }
  settings(): MetricsSettings {
    return this.set;
  }
}

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of a text exposition (no timestamps; label values without escapes beyond \" and \\). */
export function parseExposition(text: string): { samples: Sample[]; help: Map<string, string>; type: Map<string, string> } {
  const samples: Sample[] = [];
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const h = /^# HELP (\S+) (.*)$/.exec(line);
    if (h) {
      help.set(h[1] as string, h[2] as string);
      continue;
    }
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) {
      type.set(t[1] as string, t[2] as string);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, '$1');
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return { samples, help, type };
}

/** The value of the one sample of `name` whose labels include `labels`; throws when there is not exactly one. */
export function value(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return (found[0] as Sample).value;
}

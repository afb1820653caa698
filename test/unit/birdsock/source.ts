/**
 * A fake daemon for the BIRD socket tests: the node of the BIRD 1.6 captures (captures.ts) as
 * wren would have it. Router id 10.98.0.1, AS 64512, two originated blocks, a kernel, and the
 * five sessions of fixtures/b1a.conf with the same states, times and route counts.
 */
import type { BirdContext, BirdSource } from '../../../src/birdsock/answer.js';
import type { Family } from '../../../src/birdsock/command.js';
import type { Config } from '../../../src/config/types.js';
import { validateConfig } from '../../../src/config/validate.js';
import type { KernelStatusView, PeerStatus, RouteChangeStats, RouteView } from '../../../src/control/protocol.js';

/** Local time on the capture's day (the formatters print local time, as BIRD does). */
export const at = (hh: number, mm: number, ss: number): number => new Date(2026, 11, 6, hh, mm, ss).getTime();

export const NOW = at(5, 36, 49);
export const STARTED = at(5, 36, 37);

export function config(extra: Record<string, unknown> = {}): Config {
  const r = validateConfig({
    routerId: '10.98.0.1',
    asn: 64512,
    originate: ['10.200.0.0/26', '10.200.0.64/26'],
    peers: [
      { address: '10.98.0.2', asn: 64512 },
      { address: '10.99.0.2', asn: 64512 },
      { address: '10.99.0.3', asn: 64513, import: 'all', export: 'all' },
      { address: '10.99.0.4', asn: 64514, import: 'all', export: 'all' },
      { address: '10.99.0.5', asn: 64512, passive: true },
    ],
    log: { level: 'silent' },
    ...extra,
  });
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return r.value;
}

export const NO_CHANGES: RouteChangeStats = {
  importUpdates: { received: 0, rejected: 0, filtered: 0, ignored: 0, accepted: 0 },
  importWithdraws: { received: 0, ignored: 0, accepted: 0 },
  exportUpdates: 0,
  exportWithdraws: 0,
};

/** BIRD's template gives every session the description "Connection to BGP peer": as a wren name it is no BIRD name. */
const DESCRIPTION = 'Connection to BGP peer';

function peer(p: Partial<PeerStatus> & Pick<PeerStatus, 'address' | 'asn' | 'state' | 'phase' | 'phaseSince'>): PeerStatus {
  return {
    name: DESCRIPTION,
    port: 179,
    type: p.asn === 64512 ? 'ibgp' : 'ebgp',
    origin: 'configured',
    uptimeSec: 12,
    sendHoldExpirations: 0,
    capabilities: [],
    prefixes: { received: 0, accepted: 0, advertised: 0, preferred: 0 },
    messages: { in: 0, out: 0 },
    routeChanges: NO_CHANGES,
    ...p,
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

export const PEERS: readonly PeerStatus[] = [
  peer({
    address: '10.98.0.2',
    asn: 64512,
    state: 'Established',
    phase: 'up',
    phaseSince: iso(at(5, 36, 39)),
    routerId: '10.98.0.2',
    holdTimeSec: 240,
    keepaliveSec: 80,
    localAddress: '10.98.0.1',
    capabilities: ['ipv4-unicast', 'route-refresh', 'enhanced-route-refresh', 'graceful-restart', 'as4'],
    prefixes: { received: 5, accepted: 5, advertised: 4, preferred: 4 },
    routeChanges: { ...NO_CHANGES, importUpdates: { received: 5, rejected: 0, filtered: 0, ignored: 0, accepted: 5 }, exportUpdates: 4 },
  }),
  peer({ address: '10.99.0.2', asn: 64512, state: 'Connect', phase: 'start', phaseSince: iso(STARTED), lastDownReason: 'connect: EHOSTUNREACH' }),
  peer({ address: '10.99.0.3', asn: 64513, state: 'Connect', phase: 'start', phaseSince: iso(STARTED), lastDownReason: 'connect: EHOSTUNREACH' }),
  // Stopped by hand (wren peer disable): BIRD's disabled protocol. Its name says it is a global peer.
  peer({ name: 'Global_10_99_0_4', address: '10.99.0.4', asn: 64514, state: 'Idle', phase: 'down', phaseSince: iso(STARTED), lastDownReason: 'administratively stopped' }),
  peer({ address: '10.99.0.5', asn: 64512, state: 'Active', phase: 'start', phaseSince: iso(STARTED) }),
];

export const KERNEL: KernelStatusView = {
  protocol: 12,
  converged: true,
  desired: 8,
  installed: 8,
  staleCandidates: 0,
  conflicts: [],
  pendingRetries: [],
  failed: [],
  lastReconcile: null,
};

export interface FakeOptions {
  readonly config?: Config;
  readonly peers?: readonly PeerStatus[];
  readonly routes?: readonly RouteView[];
  readonly kernel?: KernelStatusView | null;
  readonly recovery?: ReturnType<BirdSource['recovery']>;
  readonly interfaces?: Readonly<Record<string, string>>;
  readonly version?: string;
  readonly now?: number;
}

export function fakeSource(o: FakeOptions = {}): BirdSource {
  const cfg = o.config ?? config();
  const routes = o.routes ?? [];
  return {
    config: () => cfg,
    peers: () => o.peers ?? PEERS,
    routes: (prefix) => (prefix === undefined ? routes : routes.filter((r) => r.prefix === prefix)),
    kernel: () => (o.kernel === undefined ? KERNEL : o.kernel),
    recovery: () => o.recovery ?? null,
    memory: () => ({ rss: 111 * 1024, heapTotal: 35 * 1024, heapUsed: 10 * 1024, external: 192 }),
    interfaces: () => (nh) => o.interfaces?.[nh],
    stopping: () => false,
  };
}

export function context(family: Family = 'ipv4', o: FakeOptions = {}): BirdContext {
  return {
    family,
    source: fakeSource(o),
    version: () => o.version ?? '1.6.8',
    now: () => o.now ?? NOW,
    startedMs: () => STARTED,
    reconfiguredMs: () => STARTED,
  };
}

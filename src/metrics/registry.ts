/**
 * The metrics registry of a running wren (docs/metrics.md, docs/decisions/0007-metrics.md): the
 * collectors read one snapshot per scrape (taken by `text()`), histograms are fed by the owners'
 * observers (decision runs, kernel reconciles, event-loop ticks), and prom-client's default process
 * metrics (`process_*`, `nodejs_*`) are added under their standard names.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { registerBgpMetrics } from './bgp-metrics.js';
import { registerDaemonMetrics } from './daemon-metrics.js';
import { registerKernelMetrics } from './kernel-metrics.js';
import { registerRibMetrics } from './rib-metrics.js';
import type { Scrape } from './families.js';
import type { MetricsSnapshot, MetricsSource } from './source.js';

/** Resolves after the event loop has turned once (timers, I/O, then this). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** prom-client default gauges whose names end in _total (docs/decisions/0007-metrics.md). */
export const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export interface WrenMetrics {
  /** The exposition text of every metric (one snapshot of the daemon for all of them). */
  text(): Promise<string>;
  readonly contentType: string;
  observeDecisionRun(seconds: number): void;
  observeReconcile(kind: 'full' | 'incremental', seconds: number): void;
  observeLoopLag(seconds: number): void;
}

export interface MetricsOptions {
  /** prom-client's process and Node.js metrics (default true; tests turn them off). */
  readonly processMetrics?: boolean;
}

export function createMetrics(source: MetricsSource, o: MetricsOptions = {}): WrenMetrics {
  const registry = new Registry();
  let current: MetricsSnapshot | undefined;
  let turns: Promise<void> = Promise.resolve();
  const scrape: Scrape = {
    registry,
    // Collectors run inside registry.metrics(), after text() took the snapshot.
    snap: () => (current ??= source.snapshot()),
    turn: () => (turns = turns.then(nextTurn)),
  };
  const scrapeOnce = async (): Promise<string> => {
    current = source.snapshot();
    turns = Promise.resolve();
    try {
      return await registry.metrics();
    } finally {
      current = undefined;
    }
  };
  let queue: Promise<unknown> = Promise.resolve();
  registerBgpMetrics(scrape, () => source.settings().perPeer);
  const decisions = registerRibMetrics(scrape);
  const reconciles = registerKernelMetrics(scrape);
  const lag = registerDaemonMetrics(scrape);
  if (o.processMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters: `promtool check metrics` refuses them. The same counts stay, by
    // type, in nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
    for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  }
  return {
    // One scrape at a time (a scrape spans turns of the event loop): each has its own snapshot.
    text: () => {
      const run = queue.then(scrapeOnce, scrapeOnce);
      queue = run.catch(() => undefined);
      return run;
    },
    contentType: registry.contentType,
    observeDecisionRun: (s) => decisions.observe(s),
    observeReconcile: (kind, s) => reconciles.observe({ kind }, s),
    observeLoopLag: (s) => lag.observe(s),
  };
}

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
import type { MetricsSnapshot, MetricsSource } from './source.js';

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
  // Collectors run inside registry.metrics(), right after text() took the snapshot.
  const snap = (): MetricsSnapshot => (current ??= source.snapshot());
  registerBgpMetrics(registry, snap, () => source.settings().perPeer);
  const decisions = registerRibMetrics(registry, snap);
  const reconciles = registerKernelMetrics(registry, snap);
  const lag = registerDaemonMetrics(registry, snap);
  if (o.processMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters: `promtool check metrics` refuses them. The same counts stay, by
    // type, in nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
    for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  }
  return {
    text: async () => {
      current = source.snapshot();
      try {
        return await registry.metrics();
      } finally {
        current = undefined;
      }
    },
    contentType: registry.contentType,
    observeDecisionRun: (s) => decisions.observe(s),
    observeReconcile: (kind, s) => reconciles.observe({ kind }, s),
    observeLoopLag: (s) => lag.observe(s),
  };
}

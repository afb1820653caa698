/** Kernel FIB metrics (docs/metrics.md): routes desired, installed and in trouble; netlink errors; reconciles. */
import { Histogram } from 'prom-client';
import { scrapedCounter, scrapedGauge, type Scrape } from './families.js';
import type { KernelSample } from './source.js';

export const RECONCILE_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function registerKernelMetrics(scrape: Scrape): Histogram<'kind'> {
  /** No series when kernel programming is off. */
  const gauge = (name: string, help: string, value: (k: KernelSample) => number): void => {
    scrapedGauge(scrape, name, help, [], (set) => {
      const k = scrape.snap().kernel;
      if (k) set({}, value(k));
    });
  };
  gauge('wren_kernel_routes_desired', 'Routes wren wants in the kernel FIB (best routes and blackholes of its own blocks).', (k) => k.desired);
  gauge('wren_kernel_routes_installed', 'Routes of wren\'s protocol in the kernel FIB, as last listed and written.', (k) => k.installed);
  gauge('wren_kernel_routes_conflicting', 'Desired routes whose key is held by a route of another protocol (never overwritten).', (k) => k.conflicting);
  gauge('wren_kernel_routes_pending', 'Routes waiting for a retry (a failed write, or a next hop waiting for a link).', (k) => k.pending);
  gauge('wren_kernel_routes_failed', 'Routes the kernel refused with an error retrying cannot cure; not retried until the route changes.', (k) => k.failed);
  gauge('wren_kernel_converged', '1 once first convergence is done (End-of-RIB from every peer, or kernel.convergenceTimeout) and the routes a previous run left were purged.', (k) =>
    k.converged ? 1 : 0,
  );
  scrapedCounter(scrape, 'wren_kernel_netlink_errors_total', 'Errors the kernel answered to route writes, lists and lookups, by errno name.', ['errno'], (set) => {
    const k = scrape.snap().kernel;
    if (k) for (const [errno, n] of Object.entries(k.errors)) set({ errno }, n);
  });
  return new Histogram({
    name: 'wren_kernel_reconcile_duration_seconds',
    help: 'Duration of each kernel reconcile, seconds: full (a list of the kernel\'s routes, then every key) or incremental (the changed keys).',
    labelNames: ['kind'],
    buckets: RECONCILE_BUCKETS,
    registers: [scrape.registry],
  });
}

/**
 * Small builders over prom-client for metrics filled at scrape time: a gauge or counter whose
 * series are cleared and set again from the current snapshot at every collection, so a peer that
 * is gone leaves no series behind. Only this folder imports prom-client (test/unit/architecture.test.ts).
 *
 * A scrape is cut into turns of the event loop (convention 9): prom-client collects and formats
 * every family inside one promise chain, which with a thousand peers held the loop for a few
 * hundred milliseconds; each family here first waits for its own turn (`Scrape.turn`), so the
 * loop runs timers and reads sockets between two families.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MetricsSnapshot } from './source.js';

/** What the collectors of one registry share. */
export interface Scrape {
  readonly registry: Registry;
  /** The snapshot of the scrape in progress. */
  readonly snap: () => MetricsSnapshot;
  /** Resolves on a later turn of the event loop than every earlier call of this scrape. */
  readonly turn: () => Promise<void>;
}

/** Label values of one series (prom-client checks the names against the metric's labelNames). */
export type Labels = Readonly<Record<string, string | number>>;

/** At a scrape, on its own turn: the metric emptied and given the series `fill` names. */
async function refill(
  s: Scrape,
  metric: { reset(): void; remove(labels: Labels): void },
  labelNames: readonly string[],
  fill: (set: (labels: Labels, value: number) => void) => void,
  put: (labels: Labels, value: number) => void,
): Promise<void> {
  await s.turn();
  metric.reset();
  let any = false;
  fill((labels, value) => {
    any = true;
    put(labels, value);
  });
  // prom-client puts a 0 back into a metric without labels on reset(): no value means no series.
  if (!any && labelNames.length === 0) metric.remove({});
}

/** A gauge set at each scrape: `fill(set)` calls `set(labels, value)` once per series. */
export function scrapedGauge(
  s: Scrape,
  name: string,
  help: string,
  labelNames: readonly string[],
  fill: (set: (labels: Labels, value: number) => void) => void,
): Gauge {
  return new Gauge({
    name,
    help,
    labelNames,
    registers: [s.registry],
    async collect() {
      await refill(s, this, labelNames, fill, (labels, value) => this.set(labels, value));
    },
  });
}

/**
 * A counter read at each scrape from a count its owner keeps since start (it only grows while the
 * thing counted exists; a peer removed and added again starts from 0, which Prometheus reads as a
 * counter reset).
 */
export function scrapedCounter(
  s: Scrape,
  name: string,
  help: string,
  labelNames: readonly string[],
  fill: (set: (labels: Labels, value: number) => void) => void,
): Counter {
  return new Counter({
    name,
    help,
    labelNames,
    registers: [s.registry],
    async collect() {
      await refill(s, this, labelNames, fill, (labels, value) => this.inc(labels, value));
    },
  });
}

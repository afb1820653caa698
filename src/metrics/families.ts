/**
 * Small builders over prom-client for metrics filled at scrape time: a gauge or counter whose
 * series are cleared and set again from the current snapshot at every collection, so a peer that
 * is gone leaves no series behind. Only this folder imports prom-client (test/unit/architecture.test.ts).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** Label values of one series (prom-client checks the names against the metric's labelNames). */
export type Labels = Readonly<Record<string, string | number>>;

/** A gauge set at each scrape: `fill(set)` calls `set(labels, value)` once per series. */
export function scrapedGauge(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly string[],
  fill: (set: (labels: Labels, value: number) => void) => void,
): Gauge {
  return new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      let any = false;
      fill((labels, value) => {
        any = true;
        this.set(labels, value);
      });
      // prom-client puts a 0 back into a metric without labels on reset(): no value means no series.
      if (!any && labelNames.length === 0) this.remove({});
    },
  });
}

/**
 * A counter read at each scrape from a count its owner keeps since start (it only grows while the
 * thing counted exists; a peer removed and added again starts from 0, which Prometheus reads as a
 * counter reset).
 */
export function scrapedCounter(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly string[],
  fill: (set: (labels: Labels, value: number) => void) => void,
): Counter {
  return new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      let any = false;
      fill((labels, value) => {
        any = true;
        this.inc(labels, value);
      });
      if (!any && labelNames.length === 0) this.remove({});
    },
  });
}

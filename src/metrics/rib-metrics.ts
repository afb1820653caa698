/** RIB metrics (docs/metrics.md): the Loc-RIB's size per family and the decision process. */
import { Histogram } from 'prom-client';
import { scrapedCounter, scrapedGauge, type Scrape } from './families.js';
import { ADDRESS_FAMILIES } from './source.js';

/** Decision runs are slices of about 10 ms (util/slice.ts); longer ones are a problem worth seeing. */
export const DECISION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export function registerRibMetrics(scrape: Scrape): Histogram {
  scrapedGauge(scrape, 'wren_rib_destinations', 'Prefixes with a best route in the Loc-RIB, per address family.', ['family'], (set) => {
    const t = scrape.snap().rib.tables;
    for (const family of ADDRESS_FAMILIES) set({ family }, t[family].destinations);
  });
  scrapedGauge(scrape, 'wren_rib_paths', 'Routes held in the RIB from every source (peers and originated prefixes, accepted or refused), per address family.', ['family'], (set) => {
    const t = scrape.snap().rib.tables;
    for (const family of ADDRESS_FAMILIES) set({ family }, t[family].paths);
  });
  scrapedGauge(scrape, 'wren_rib_pending_decisions', 'Prefixes waiting for the decision process.', [], (set) => set({}, scrape.snap().rib.pendingDecisions));
  scrapedCounter(scrape, 'wren_rib_decision_runs_total', 'Decision process runs (one run is one slice of about 10 ms; a large batch takes several).', [], (set) =>
    set({}, scrape.snap().rib.decisionRuns),
  );
  return new Histogram({
    name: 'wren_rib_decision_duration_seconds',
    help: 'Duration of each decision process run (one slice), seconds.',
    buckets: DECISION_BUCKETS,
    registers: [scrape.registry],
  });
}

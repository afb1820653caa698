/** Process-level metrics of wren (docs/metrics.md): configuration reloads and the event loop. */
import { Histogram } from 'prom-client';
import { scrapedCounter, scrapedGauge, type Scrape } from './families.js';

/** The loop monitor ticks every 100 ms; a tick more than 0.5 s late is a stall. */
export const LOOP_LAG_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function registerDaemonMetrics(scrape: Scrape): Histogram {
  scrapedCounter(scrape, 'wren_config_reloads_total', 'Configuration reloads (SIGHUP or wren reload) by result: ok, or failed (invalid file, or a change that needs a restart).', ['result'], (set) => {
    const r = scrape.snap().daemon.reloads;
    set({ result: 'ok' }, r.ok);
    set({ result: 'failed' }, r.failed);
  });
  scrapedCounter(scrape, 'wren_event_loop_stalls_total', 'Times the event loop was held 0.5 s or more (timers and sockets waited), since wren started.', [], (set) => set({}, scrape.snap().loop.stalls));
  scrapedGauge(scrape, 'wren_event_loop_longest_stall_seconds', 'The longest time the event loop was held since wren started, seconds.', [], (set) => set({}, scrape.snap().loop.maxStallMs / 1000));
  return new Histogram({
    name: 'wren_event_loop_lag_seconds',
    help: 'How late the event loop ran a 100 ms timer, sampled at every tick, seconds.',
    buckets: LOOP_LAG_BUCKETS,
    registers: [scrape.registry],
  });
}

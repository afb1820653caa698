/**
 * From runs to table rows: per (scenario, size, metric) the median and range of every subject's
 * runs, and the ratio wren / each other subject (of the medians, measured in the same bench run).
 */
import type { RunResult, ScenarioName, Subject } from './scenarios/types.js';

export interface MetricDef {
  readonly key: string;
  readonly label: string;
  /** true: a larger value is better (throughput); false: smaller is better (time, memory). */
  readonly higherBetter: boolean;
}

export const METRICS: Readonly<Record<ScenarioName, readonly MetricDef[]>> = {
  inout: [
    { key: 'announce_s', label: 'announce N, first byte to sink has all (s)', higherBetter: false },
    { key: 'withdraw_s', label: 'withdraw N, first byte to sink has none (s)', higherBetter: false },
    { key: 'rss_mb', label: 'DUT peak RSS (MB)', higherBetter: false },
    { key: 'rss_idle_mb', label: 'DUT RSS, sessions up, no route yet (MB)', higherBetter: false },
    { key: 'rss_after_mb', label: 'DUT RSS 3 s after the last withdrawal (MB)', higherBetter: false },
    { key: 'cpu_s', label: 'DUT CPU, both phases (s)', higherBetter: false },
  ],
  kernel: [
    { key: 'install_s', label: 'first byte to N routes in the FIB (s)', higherBetter: false },
    { key: 'remove_s', label: 'first withdrawal byte to none left (s)', higherBetter: false },
    { key: 'rss_mb', label: 'DUT peak RSS (MB)', higherBetter: false },
    { key: 'cpu_s', label: 'DUT CPU, both phases (s)', higherBetter: false },
  ],
  reflector: [
    { key: 'converge_s', label: 'announce to every client has K-1 blocks (s)', higherBetter: false },
    { key: 'establish_s', label: 'K sessions Established (s)', higherBetter: false },
    { key: 'rss_mb', label: 'DUT peak RSS (MB)', higherBetter: false },
    { key: 'cpu_s', label: 'DUT CPU, sessions + reflection (s)', higherBetter: false },
  ],
  idle: [
    { key: 'rss_mb', label: 'DUT RSS at rest: 10 sessions, 1,000 routes learned, installed and passed on (MB)', higherBetter: false },
    { key: 'rss_peak_mb', label: 'DUT peak RSS on the way there (MB)', higherBetter: false },
  ],
  'bfd-load': [
    { key: 'announce_s', label: 'announce N, first byte to sink has all (s)', higherBetter: false },
    { key: 'withdraw_s', label: 'withdraw N, first byte to sink has none (s)', higherBetter: false },
    { key: 'bfd_worst_gap_ms', label: 'BFD to FRR at 100 ms x 3: worst gap between two packets of wren, as FRR got them (ms)', higherBetter: false },
    { key: 'bfd_p99_gap_ms', label: 'BFD: 99th percentile gap (ms)', higherBetter: false },
    { key: 'bfd_gaps_over_interval', label: 'BFD: gaps over the 100 ms interval', higherBetter: false },
    { key: 'bfd_gaps_over_1_5_interval', label: 'BFD: gaps over 150 ms', higherBetter: false },
    { key: 'bfd_worst_sent_gap_ms', label: 'BFD: worst gap as sent, in wren\'s namespace (ms)', higherBetter: false },
    { key: 'bfd_sent_gaps_over_1_5_interval', label: 'BFD: gaps over 150 ms as sent', higherBetter: false },
    { key: 'bfd_false_downs', label: 'BFD: false Down events (wren + FRR)', higherBetter: false },
    { key: 'rss_mb', label: 'DUT peak RSS (MB)', higherBetter: false },
    { key: 'cpu_s', label: 'DUT CPU, both phases (s)', higherBetter: false },
  ],
  datastore: [
    { key: 'start_ms', label: 'start to every Node\'s session configured (ms)', higherBetter: false },
    { key: 'join_ms', label: 'one Node put to its session dialling (ms)', higherBetter: false },
    { key: 'follower_ms', label: 'that change: derive + validate + apply (ms)', higherBetter: false },
    { key: 'rss_mb', label: 'wren RSS (MB)', higherBetter: false },
  ],
  'reflector-addpath': [
    { key: 'converge_s', label: 'announce to every client has K-1 blocks and every path of the shared prefix (s)', higherBetter: false },
    { key: 'establish_s', label: 'K ADD-PATH sessions Established (s)', higherBetter: false },
    { key: 'rss_mb', label: 'DUT peak RSS (MB)', higherBetter: false },
    { key: 'cpu_s', label: 'DUT CPU, sessions + reflection (s)', higherBetter: false },
  ],
  codec: [
    { key: 'encode_pps', label: 'encode (prefixes/s)', higherBetter: true },
    { key: 'decode_pps', label: 'decode (prefixes/s)', higherBetter: true },
  ],
};

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
  /** Runs that failed (their errors are listed separately), invalid ones included. */
  readonly failed: number;
  /** Of those, runs whose result was wrong (content check): never counted as a value. */
  readonly invalid: number;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  if (s.length === 0) return Number.NaN;
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export function summarize(values: readonly number[], failed: number, invalid = 0): Summary {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length, failed, invalid };
}

export interface Row {
  readonly scenario: ScenarioName;
  readonly size: number;
  readonly metric: MetricDef;
  readonly cells: ReadonlyMap<Subject, Summary>;
  /** wren median / other median, per other subject with a value. */
  readonly ratios: ReadonlyMap<Subject, number>;
}

/** Rows in scenario order, then size, then metric; subjects in the order given. */
export function buildRows(results: readonly RunResult[], subjects: readonly Subject[]): Row[] {
  const rows: Row[] = [];
  const scenarios = [...new Set(results.map((r) => r.scenario))];
  for (const scenario of scenarios) {
    const sizes = [...new Set(results.filter((r) => r.scenario === scenario).map((r) => r.size))].sort((a, b) => a - b);
    for (const size of sizes) {
      const here = results.filter((r) => r.scenario === scenario && r.size === size);
      for (const metric of METRICS[scenario]) {
        const cells = new Map<Subject, Summary>();
        for (const s of subjects) {
          const mine = here.filter((r) => r.subject === s);
          if (mine.length === 0) continue;
          const values = mine.flatMap((r) => (r.metrics[metric.key] === undefined ? [] : [r.metrics[metric.key] as number]));
          const failed = mine.filter((r) => r.error !== undefined || r.invalid !== undefined).length;
          const invalid = mine.filter((r) => r.invalid !== undefined).length;
          if (values.length === 0 && failed === 0) continue;
          cells.set(s, summarize(values, failed, invalid));
        }
        const ratios = new Map<Subject, number>();
        const w = cells.get('wren');
        if (w && w.runs > 0) {
          for (const [s, c] of cells) if (s !== 'wren' && c.runs > 0 && c.median !== 0) ratios.set(s, w.median / c.median);
        }
        if (cells.size > 0) rows.push({ scenario, size, metric, cells, ratios });
      }
    }
  }
  return rows;
}

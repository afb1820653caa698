/** What every scenario cell produces: one run of one DUT at one size. */
import type { DutKind } from '../dut.js';

export type ScenarioName = 'inout' | 'kernel' | 'reflector' | 'codec' | 'datastore';
export const SCENARIOS: readonly ScenarioName[] = ['inout', 'kernel', 'reflector', 'codec', 'datastore'];

/** Who was measured: a DUT, the `ip -batch` floor of the kernel scenario, or wren's codec in-process. */
export type Subject = DutKind | 'ip-batch';

export interface RunResult {
  readonly scenario: ScenarioName;
  readonly subject: Subject;
  /** N (routes), K (reflector clients) or the Node resources in etcd (datastore). */
  readonly size: number;
  readonly run: number;
  /** Metric name -> value (units in the name: _s, _mb, _pps). Empty when the run failed. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Why the run failed (it never hangs: every wait is bounded). */
  readonly error?: string;
  /** Extra facts worth keeping (message counts, establishment time, profile path). */
  readonly info?: Readonly<Record<string, number | string>>;
}

export interface ScenarioOptions {
  readonly seed: number;
  /** Multiplies every timeout (slow machines). */
  readonly timeoutScale: number;
  /** Directory for CPU profiles of wren (inout only), or undefined. */
  readonly cpuProfileDir?: string;
  /** Keep lab directories (configs, logs) for inspection. */
  readonly keep: boolean;
  readonly log: (line: string) => void;
}

/** Nanoseconds (hrtime strings or bigints) -> seconds. */
export const secondsBetween = (from: string | bigint, to: string | bigint): number => Number(BigInt(to) - BigInt(from)) / 1e9;

export const MB = 1024 * 1024;

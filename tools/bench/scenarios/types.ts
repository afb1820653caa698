/** What every scenario cell produces: one run of one DUT at one size. */
import type { DutKind } from '../dut.js';

export type ScenarioName = 'inout' | 'kernel' | 'reflector' | 'reflector-addpath' | 'idle' | 'codec' | 'datastore' | 'bfd-load';
export const SCENARIOS: readonly ScenarioName[] = ['inout', 'kernel', 'reflector', 'reflector-addpath', 'idle', 'codec', 'datastore', 'bfd-load'];
/** What `npm run bench` runs without --scenario: the comparisons and wren's datastore scale (bfd-load is wren's own check, asked for by name). */
export const DEFAULT_SCENARIOS: readonly ScenarioName[] = ['inout', 'kernel', 'reflector', 'reflector-addpath', 'idle', 'codec', 'datastore'];

/** The scenarios whose size is K reflector clients (`--k`); the others take N routes (`--n`), datastore Nodes (`--nodes`). */
export const sizedByK = (s: ScenarioName): boolean => s === 'reflector' || s === 'reflector-addpath';

/** The idle scenario's fixed size (issue 14's idle baseline): routes announced, and peers in all (the feeder and the watchers). */
export const IDLE_ROUTES = 1000;
export const IDLE_PEERS = 10;

/** "K=1000", "nodes=1000", "N=100000", or the idle scenario's fixed "10 peers, N=1000". */
export const sizeLabel = (s: ScenarioName, size: number): string => (s === 'idle' ? `${IDLE_PEERS} peers, N=${size}` : `${sizedByK(s) ? 'K' : s === 'datastore' ? 'nodes' : 'N'}=${size}`);

/** wren built from another commit (`--baseline`): `wren@<short commit>`. */
export type BaselineSubject = `wren@${string}`;

/**
 * Who was measured: a DUT, wren built from a baseline commit, the `ip -batch` floor of the kernel
 * scenario, or wren's codec in-process.
 */
export type Subject = DutKind | BaselineSubject | 'ip-batch';

/** A daemon to start for a cell: its kind, the name it is reported under, and (a baseline) its CLI. */
export interface DutRef {
  readonly kind: DutKind;
  readonly subject: DutKind | BaselineSubject;
  /** The wren CLI to run instead of this checkout's dist/cli/main.js (a baseline build). */
  readonly cli?: string;
}

export const dutRef = (kind: DutKind): DutRef => ({ kind, subject: kind });

export interface RunResult {
  readonly scenario: ScenarioName;
  readonly subject: Subject;
  /** N (routes), K (reflector clients) or the Node resources in etcd (datastore). */
  readonly size: number;
  readonly run: number;
  /** Metric name -> value (units in the name: _s, _mb, _pps). Empty when the run failed. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Why the run failed (it never hangs: every wait is bounded). Set, too, when the run is invalid. */
  readonly error?: string;
  /**
   * Why the run's result is wrong although it finished: the sink held other routes than the
   * feeder sent (content digest), or the FIB other next hops or protocols. Such a run has no
   * metrics: a time measured to a wrong result is not reported.
   */
  readonly invalid?: string;
  /** 1-minute load average when the run started (other work on the machine skews its numbers). */
  readonly load?: number;
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
  /**
   * Self-test of the content checks (`--expect-wrong-next-hop`): expect a next hop no DUT uses, at
   * the reflector-addpath clients (for the first announcer's paths of the shared prefix),
   * the sink and in the FIB, so that every inout and kernel run must come out invalid.
   */
  readonly expectWrongNextHop?: boolean;
  readonly log: (line: string) => void;
}

/** Thrown by a scenario when the result's content is wrong; the cell is reported invalid. */
export class InvalidResult extends Error {}

/** The RunResult of a run that threw: invalid (wrong content) or failed. */
export function failedRun(base: Pick<RunResult, 'scenario' | 'subject' | 'size' | 'run' | 'info'>, err: unknown, context = ''): RunResult {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof InvalidResult) return { ...base, metrics: {}, invalid: message, error: `invalid result: ${message}${context}` };
  return { ...base, metrics: {}, error: `${message}${context}` };
}

/** Nanoseconds (hrtime strings or bigints) -> seconds. */
export const secondsBetween = (from: string | bigint, to: string | bigint): number => Number(BigInt(to) - BigInt(from)) / 1e9;

export const MB = 1024 * 1024;

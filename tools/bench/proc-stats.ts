/**
 * CPU and memory of the daemon under test, read from /proc: utime + stime of each process
 * (/proc/PID/stat fields 14 and 15, in clock ticks), summed over the DUT's processes, and its peak
 * resident set. For one process the peak is the kernel's own VmHWM (/proc/PID/status). For a DUT
 * made of several processes (FRR bgpd + zebra) summing the VmHWMs would add peaks reached at
 * different moments (bgpd holds the table before zebra gets it, and frees parts of it later): the
 * peak is instead the largest sum of the processes' VmRSS read at the same instant, sampled every
 * 20 ms by a `MemoryWatch` (a peak shorter than that can be missed; the sum of peaks, an upper
 * bound, is kept beside it).
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

let ticks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`, 100 on every Linux we know of). */
export function clockTicks(): number {
  if (ticks === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(r.stdout?.trim());
    ticks = Number.isInteger(n) && n > 0 ? n : 100;
  }
  return ticks;
}

/** utime + stime of one process in seconds, or null when it is gone. */
export function cpuSeconds(pid: number): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 14 (utime) is fields[11] and field 15 (stime) fields[12].
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return (utime + stime) / clockTicks();
}

/** A field of /proc/PID/status in bytes (VmHWM, VmRSS), or null. */
export function statusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return m?.[1] === undefined ? null : Number(m[1]) * 1024;
}

export interface ProcSample {
  readonly cpuSec: number;
  readonly hwmBytes: number;
  /** Resident now (VmRSS), summed. */
  readonly rssBytes: number;
}

/** Summed CPU seconds, peak RSS and RSS now of a set of processes. Throws when one of them is gone. */
export function sample(pids: readonly number[]): ProcSample {
  let cpuSec = 0;
  let hwmBytes = 0;
  let rssBytes = 0;
  for (const pid of pids) {
    const c = cpuSeconds(pid);
    const h = statusBytes(pid, 'VmHWM');
    const r = statusBytes(pid, 'VmRSS');
    if (c === null || h === null || r === null) throw new Error(`process ${pid} of the daemon under test is gone`);
    cpuSec += c;
    hwmBytes += h;
    rssBytes += r;
  }
  return { cpuSec, hwmBytes, rssBytes };
}

/** The largest total over instants: samples[i] holds every process's resident bytes at instant i. */
export function peakOfSums(samples: readonly (readonly number[])[]): number {
  let peak = 0;
  for (const at of samples) {
    let sum = 0;
    for (const v of at) sum += v;
    if (sum > peak) peak = sum;
  }
  return peak;
}

/** The sum of each process's own peak (what adding VmHWMs gives): an upper bound of peakOfSums. */
export function sumOfPeaks(samples: readonly (readonly number[])[]): number {
  const peaks: number[] = [];
  for (const at of samples) at.forEach((v, i) => (peaks[i] = Math.max(peaks[i] ?? 0, v)));
  return peaks.reduce((a, b) => a + b, 0);
}

export interface MemoryPeak {
  /** One process: its VmHWM. Several: the largest sum of their VmRSS read at one instant. */
  readonly peakBytes: number;
  /** The sum of the processes' VmHWMs (equal to peakBytes for one process). */
  readonly sumOfPeaksBytes: number;
  /** How many instants were sampled (several processes only). */
  readonly samples: number;
}

/** Reads every process's VmRSS at one instant (one tick), or null when one of them is gone. */
type RssReader = (pids: readonly number[]) => number[] | null;

const readRss: RssReader = (pids) => {
  const out: number[] = [];
  for (const pid of pids) {
    const v = statusBytes(pid, 'VmRSS');
    if (v === null) return null;
    out.push(v);
  }
  return out;
};

/**
 * Watches the memory of a DUT's processes from start() to stop(). For several processes it samples
 * their VmRSS together every `intervalMs` (reading a few /proc files takes microseconds, so a
 * sample is one instant); for one process it only reads VmHWM at stop().
 */
export class MemoryWatch {
  readonly #pids: readonly number[];
  readonly #intervalMs: number;
  readonly #read: RssReader;
  readonly #hwm: (pid: number) => number | null;
  readonly #samples: number[][] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(pids: readonly number[], intervalMs = 20, read: RssReader = readRss, hwm: (pid: number) => number | null = (pid) => statusBytes(pid, 'VmHWM')) {
    this.#pids = pids;
    this.#intervalMs = intervalMs;
    this.#read = read;
    this.#hwm = hwm;
  }

  /** Takes one sample now (also what the timer does). */
  tick(): void {
    const at = this.#read(this.#pids);
    if (at) this.#samples.push(at);
  }

  start(): this {
    if (this.#pids.length > 1 && this.#timer === undefined) {
      this.tick();
      this.#timer = setInterval(() => this.tick(), this.#intervalMs);
      this.#timer.unref();
    }
    return this;
  }

  /** Stops sampling without a result (a run that failed). */
  cancel(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Stops sampling and returns the peak. Throws when a process is gone. */
  stop(): MemoryPeak {
    this.cancel();
    let hwmSum = 0;
    for (const pid of this.#pids) {
      const h = this.#hwm(pid);
      if (h === null) throw new Error(`process ${pid} of the daemon under test is gone`);
      hwmSum += h;
    }
    if (this.#pids.length <= 1) return { peakBytes: hwmSum, sumOfPeaksBytes: hwmSum, samples: 0 };
    this.tick();
    return { peakBytes: peakOfSums(this.#samples), sumOfPeaksBytes: hwmSum, samples: this.#samples.length };
  }
}

/**
 * CPU and memory of the daemon under test, read from /proc: utime + stime of each process
 * (/proc/PID/stat fields 14 and 15, in clock ticks) and its peak resident set (VmHWM in
 * /proc/PID/status). For a DUT made of several processes (FRR bgpd + zebra) the values are summed.
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
}

/** Summed CPU seconds and peak RSS of a set of processes. Throws when one of them is gone. */
export function sample(pids: readonly number[]): ProcSample {
  let cpuSec = 0;
  let hwmBytes = 0;
  for (const pid of pids) {
    const c = cpuSeconds(pid);
    const h = statusBytes(pid, 'VmHWM');
    if (c === null || h === null) throw new Error(`process ${pid} of the daemon under test is gone`);
    cpuSec += c;
    hwmBytes += h;
  }
  return { cpuSec, hwmBytes };
}

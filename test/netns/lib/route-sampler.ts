/**
 * Samples a namespace's route views (a daemon's BGP table, the kernel FIB) at a fixed period, from a
 * process of its own, so that nothing the test process does (a synchronous CLI call, a daemon
 * start) can stall the sampling.
 *
 * The sampler is a bash loop, started with `lab.spawn` inside the namespace: every `periodMs` it
 * runs every view's command (in parallel, each into a file of its own) and then writes
 *
 *   @@sample <start, µs since the epoch>
 *   @@view <name>
 *   <the command's stdout and stderr>
 *   ...
 *   @@end <end, µs>
 *
 * to its log file. A sample that takes longer than the period is followed by the next one at once
 * (no catching up). `samples()` parses the complete samples written so far; times are
 * `$EPOCHREALTIME`, the same clock as `Date.now()`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab, LabProcess } from './netns.js';

export interface SampleView {
  /** Letters, digits, '-' and '_'. */
  readonly name: string;
  /** Run inside the sampled namespace: program and arguments. */
  readonly argv: readonly string[];
}

export interface Sample {
  /** When the sample started, ms since the epoch (fractional). */
  readonly at: number;
  /** How long running every view took, ms. */
  readonly tookMs: number;
  /** Each view's output (stdout and stderr). */
  readonly out: Readonly<Record<string, string>>;
}

const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The sampler script (pure; exported for tests and for reading). */
export function samplerScript(views: readonly SampleView[], periodMs: number, tmpDir: string): string {
  if (views.length === 0) throw new Error('route sampler: no views');
  for (const v of views) if (!/^[A-Za-z0-9_-]+$/.test(v.name)) throw new Error(`route sampler: bad view name "${v.name}"`);
  const period = Math.round(periodMs * 1000);
  return [
    '#!/bin/bash',
    '# Written by test/netns/lib/route-sampler.ts: samples route views every period until SIGTERM.',
    'set -u',
    "trap 'exit 0' TERM INT",
    `period=${period}`,
    `d=${sq(tmpDir)}`,
    'mkdir -p "$d"',
    '# $EPOCHREALTIME without its decimal point: microseconds, no fork',
    'next=${EPOCHREALTIME/[.,]/}',
    'while :; do',
    '  printf \'@@sample %s\\n\' "${EPOCHREALTIME/[.,]/}"',
    '  # The views run in parallel: a sample is as long as its slowest view, and closer to one instant.',
    ...views.map((v, i) => `  { printf '@@view %s\\n' ${sq(v.name)}; ${v.argv.map(sq).join(' ')} 2>&1; } >"$d/${String(i).padStart(3, '0')}" &`),
    '  wait',
    '  cat "$d"/*',
    '  printf \'@@end %s\\n\' "${EPOCHREALTIME/[.,]/}"',
    '  next=$((next + period))',
    '  t=${EPOCHREALTIME/[.,]/}',
    '  if ((next > t)); then',
    '    r=$((next - t))',
    '    printf -v frac \'%06d\' $((r % 1000000))',
    '    sleep "$((r / 1000000)).$frac"',
    '  else',
    '    next=$t',
    '  fi',
    'done',
    '',
  ].join('\n');
}

/** Complete samples in a sampler's output (a trailing incomplete one is left out). */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const chunk of text.split('@@sample ').slice(1)) {
    const end = /\n@@end (\d+)\n/.exec(chunk);
    if (!end?.[1]) continue;
    const startUs = Number(chunk.slice(0, chunk.indexOf('\n')));
    const body = chunk.slice(chunk.indexOf('\n') + 1, end.index + 1);
    const views: Record<string, string> = {};
    for (const part of body.split('@@view ').slice(1)) {
      const nl = part.indexOf('\n');
      views[part.slice(0, nl)] = part.slice(nl + 1);
    }
    out.push({ at: startUs / 1000, tookMs: (Number(end[1]) - startUs) / 1000, out: views });
  }
  return out;
}

export class RouteSampler {
  readonly ns: string;
  readonly periodMs: number;
  readonly file: string;
  readonly #proc: LabProcess;

  private constructor(ns: string, periodMs: number, file: string, proc: LabProcess) {
    this.ns = ns;
    this.periodMs = periodMs;
    this.file = file;
    this.#proc = proc;
  }

  /** Starts sampling `views` inside `ns` every `periodMs` (default 50). */
  static start(lab: Lab, ns: string, views: readonly SampleView[], opts: { readonly periodMs?: number; readonly name?: string } = {}): RouteSampler {
    const periodMs = opts.periodMs ?? 50;
    const name = opts.name ?? `sampler-${ns.slice(ns.lastIndexOf('-') + 1)}`;
    const script = join(lab.dir, `${name}.sh`);
    const file = join(lab.dir, `${name}.out`);
    writeFileSync(script, samplerScript(views, periodMs, join(lab.dir, `${name}.d`)), { mode: 0o755 });
    const proc = lab.spawn(ns, 'bash', [script], { logFile: file, name });
    return new RouteSampler(ns, periodMs, file, proc);
  }

  get running(): boolean {
    return this.#proc.running;
  }

  /** Every complete sample so far. */
  samples(): Sample[] {
    return parseSamples(readFileSync(this.file, 'utf8'));
  }

  /** The last complete sample, if any. */
  latest(): Sample | undefined {
    const text = readFileSync(this.file, 'utf8');
    const lastEnd = text.lastIndexOf('\n@@end ');
    if (lastEnd < 0) return undefined;
    const start = text.lastIndexOf('@@sample ', lastEnd);
    return parseSamples(text.slice(start)).at(-1);
  }

  /** Stops the loop (SIGTERM; it exits after the command it is running) and returns every sample. */
  async stop(): Promise<Sample[]> {
    await this.#proc.stop(2000);
    return this.samples();
  }
}

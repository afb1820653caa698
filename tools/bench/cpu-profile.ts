/**
 * Hot spots from a V8 CPU profile (`node --cpu-prof`): self time per function and per source file,
 * with dist/ positions mapped back to src/*.ts through the build's source maps. Idle time is left
 * out of the percentages; garbage collection is its own line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly hitCount?: number;
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
}

export interface HotSpot {
  readonly fn: string;
  readonly where: string;
  readonly selfMs: number;
  /** Share of the busy (non-idle) time, percent. */
  readonly pct: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly busyMs: number;
  readonly gcMs: number;
  readonly functions: readonly HotSpot[];
  readonly files: readonly HotSpot[];
}

const maps = new Map<string, SourceMap | null>();

function sourceMapFor(file: string): SourceMap | null {
  let m = maps.get(file);
  if (m === undefined) {
    m = null;
    const path = `${file}.map`;
    if (existsSync(path)) {
      try {
        m = new SourceMap(JSON.parse(readFileSync(path, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
      } catch {
        m = null;
      }
    }
    maps.set(file, m);
  }
  return m;
}

/** "src/rib/rib.ts:120" for a frame in dist/ with a source map, else the file relative to root. */
export function locate(frame: CallFrame, root: string): { file: string; where: string } {
  if (frame.url === '') return { file: '(native)', where: '(native)' };
  if (!frame.url.startsWith('file://')) return { file: frame.url, where: `${frame.url}:${frame.lineNumber + 1}` };
  const path = fileURLToPath(frame.url);
  const m = sourceMapFor(path);
  const entry = m?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
  if (entry?.originalSource !== undefined && entry.originalLine !== undefined) {
    const src = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : entry.originalSource;
    const file = relative(root, src.startsWith('/') ? src : `${path}/../${src}`).replace(/^(\.\.\/)+/, '');
    return { file, where: `${file}:${entry.originalLine + 1}` };
  }
  const file = relative(root, path);
  return { file, where: `${file}:${frame.lineNumber + 1}` };
}

export function summarizeProfile(profile: CpuProfile, root: string, top = 25): ProfileSummary {
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const samples = profile.samples?.length ?? profile.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0);
  const perSample = samples > 0 ? totalMs / samples : 0;
  const byFn = new Map<string, { fn: string; where: string; ms: number }>();
  const byFile = new Map<string, number>();
  let idleMs = 0;
  let gcMs = 0;
  for (const node of profile.nodes) {
    const ms = (node.hitCount ?? 0) * perSample;
    if (ms === 0) continue;
    const name = node.callFrame.functionName;
    if (name === '(idle)') {
      idleMs += ms;
      continue;
    }
    if (name === '(garbage collector)') gcMs += ms;
    const { file, where } = locate(node.callFrame, root);
    const fn = name === '' ? '(anonymous)' : name;
    const key = `${fn}@${where}`;
    const cur = byFn.get(key) ?? { fn, where, ms: 0 };
    cur.ms += ms;
    byFn.set(key, cur);
    byFile.set(file, (byFile.get(file) ?? 0) + ms);
  }
  const busyMs = totalMs - idleMs;
  const pct = (ms: number): number => (busyMs > 0 ? (100 * ms) / busyMs : 0);
  const functions = [...byFn.values()]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top)
    .map((x) => ({ fn: x.fn, where: x.where, selfMs: x.ms, pct: pct(x.ms) }));
  const files = [...byFile.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([file, ms]) => ({ fn: '', where: file, selfMs: ms, pct: pct(ms) }));
  return { totalMs, busyMs, gcMs, functions, files };
}

export function readProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
}

export function formatProfile(s: ProfileSummary, topFunctions = 20, topFiles = 12): string {
  const lines = [
    `profile: ${(s.totalMs / 1000).toFixed(1)} s wall, ${(s.busyMs / 1000).toFixed(1)} s busy, GC ${((100 * s.gcMs) / Math.max(1, s.busyMs)).toFixed(1)} % of busy`,
    '',
    'self ms   % busy  function  (source)',
    ...s.functions.slice(0, topFunctions).map((h) => `${h.selfMs.toFixed(0).padStart(7)}  ${h.pct.toFixed(1).padStart(6)}  ${h.fn}  (${h.where})`),
    '',
    'self ms   % busy  file',
    ...s.files.slice(0, topFiles).map((h) => `${h.selfMs.toFixed(0).padStart(7)}  ${h.pct.toFixed(1).padStart(6)}  ${h.where}`),
  ];
  return lines.join('\n');
}

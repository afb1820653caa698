/** Printing results: a plain-text table for the terminal and the same as Markdown for the docs. */
import type { Row, Summary } from './stats.js';
import { sizeLabel, type RunResult, type Subject } from './scenarios/types.js';

/** 3 significant digits; throughputs in k/M. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toPrecision(3);
  return v.toPrecision(2);
}

export function cell(s: Summary | undefined): string {
  if (!s) return 'n/a';
  const failed = s.failed - s.invalid;
  const bad = [s.invalid > 0 ? `${s.invalid} INVALID` : '', failed > 0 ? `${failed} failed` : ''].filter((x) => x !== '').join(', ');
  if (s.runs === 0) return s.invalid > 0 ? `INVALID (${s.invalid}${failed > 0 ? `, ${failed} failed` : ''})` : `failed (${s.failed})`;
  const range = s.runs > 1 ? ` (${num(s.min)}-${num(s.max)})` : '';
  return `${num(s.median)}${range}${bad !== '' ? ` [${bad}]` : ''}`;
}

const ratio = (r: number | undefined): string => (r === undefined ? '-' : `${r.toFixed(2)}x`);


function header(subjects: readonly Subject[]): string[] {
  const others = subjects.filter((s) => s !== 'wren');
  return ['scenario', 'size', 'metric', ...subjects, ...(subjects.includes('wren') ? others.map((s) => `wren/${s}`) : [])];
}

function line(row: Row, subjects: readonly Subject[]): string[] {
  const others = subjects.filter((s) => s !== 'wren');
  return [
    row.scenario,
    sizeLabel(row.scenario, row.size),
    row.metric.label,
    ...subjects.map((s) => cell(row.cells.get(s))),
    ...(subjects.includes('wren') ? others.map((s) => ratio(row.ratios.get(s))) : []),
  ];
}

/** Subjects that appear in at least one row, in the given order. */
const present = (rows: readonly Row[], subjects: readonly Subject[]): Subject[] => subjects.filter((s) => rows.some((r) => r.cells.has(s)));

export function textTable(rows: readonly Row[], subjects: readonly Subject[]): string {
  const subs = present(rows, subjects);
  const table = [header(subs), ...rows.map((r) => line(r, subs))];
  const widths = (table[0] ?? []).map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  return table.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

export function markdownTable(rows: readonly Row[], subjects: readonly Subject[]): string {
  const subs = present(rows, subjects);
  const h = header(subs);
  const out = [`| ${h.join(' | ')} |`, `| ${h.map(() => '---').join(' | ')} |`];
  for (const r of rows) out.push(`| ${line(r, subs).join(' | ')} |`);
  return out.join('\n');
}

/** One line per failed or invalid run: what failed and why (first line of the reason). */
export function failures(results: readonly RunResult[]): string[] {
  return results
    .filter((r) => r.error !== undefined || r.invalid !== undefined)
    .map((r) => {
      const what = `${r.scenario} ${sizeLabel(r.scenario, r.size)} ${r.subject} run ${r.run}`;
      return r.invalid !== undefined ? `${what}: INVALID: ${r.invalid.split('\n')[0]}` : `${what}: ${(r.error ?? '').split('\n')[0]}`;
    });
}

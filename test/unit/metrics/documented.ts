/** The metrics docs/metrics.md documents: every table row `| \`wren_...\` | type | labels | meaning |`. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const METRICS_DOC = join(import.meta.dirname, '..', '..', '..', 'docs', 'metrics.md');

export interface DocumentedMetric {
  readonly name: string;
  readonly type: string;
}

export function documentedMetrics(file = METRICS_DOC): DocumentedMetric[] {
  const out: DocumentedMetric[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(/^\| `(wren_[a-z_]+)` \| (gauge|counter|histogram) \|/gm)) out.push({ name: m[1] as string, type: m[2] as string });
  return out;
}

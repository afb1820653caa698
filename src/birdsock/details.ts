/**
 * The lines of a protocol's `show protocols all` block that every protocol has, in BIRD 1.6.8's
 * layout (nest/proto.c proto_show_basic_info, proto_show_limit, proto_show_stats): preference,
 * filters, limits, then the route counts and the route change statistics. bird_exporter reads
 * `Input filter:`, `Output filter:`, `Routes:` and the four change rows (its regexes want the
 * columns exactly so: `%10u` numbers, `---` where BIRD has no counter).
 */

export interface BasicInfo {
  readonly description?: string;
  readonly preference: number;
  readonly inputFilter: string;
  readonly outputFilter: string;
  /** An import limit (wren's maxPrefix): its value, whether it was hit, and its action. */
  readonly importLimit?: { readonly limit: number; readonly hit: boolean; readonly action: 'warn' | 'disable' | 'restart' };
  /** During our graceful-restart recovery: BIRD's `GR recovery:` line. */
  readonly grRecovery?: 'waiting';
}

/** Route counts: in the table, kept but refused (BIRD's `import keep filtered`), sent, best. */
export interface RouteCounts {
  readonly imported: number;
  readonly filtered?: number;
  readonly exported: number;
  readonly preferred: number;
}

/** BIRD's per-protocol counters, each row's columns in BIRD's order; null prints `---`. */
export interface ChangeStats {
  readonly importUpdates: readonly [number, number, number, number, number];
  readonly importWithdraws: readonly [number, number, number, number];
  readonly exportUpdates: readonly [number, number, number, number];
  readonly exportWithdraws: readonly [number, number];
}

export const NO_CHANGES: ChangeStats = { importUpdates: [0, 0, 0, 0, 0], importWithdraws: [0, 0, 0, 0], exportUpdates: [0, 0, 0, 0], exportWithdraws: [0, 0] };

const col = (n: number | null): string => (n === null ? '---' : String(n)).padStart(10);
const row = (label: string, cells: readonly (number | null)[]): string => `    ${label.padEnd(20)}${cells.map(col).join(' ')}`;

/** Description, preference, filters and limits (the lines before the route counts). */
export function basicInfoLines(b: BasicInfo): string[] {
  const out: string[] = [];
  if (b.description !== undefined) out.push(`  Description:    ${b.description}`);
  out.push(`  Preference:     ${b.preference}`, `  Input filter:   ${b.inputFilter}`, `  Output filter:  ${b.outputFilter}`);
  if (b.grRecovery !== undefined) out.push(`  GR recovery:    ${b.grRecovery}`);
  if (b.importLimit !== undefined) {
    out.push(`  ${'Import limit:'.padEnd(16)}${b.importLimit.limit}${b.importLimit.hit ? ' [HIT]' : ''}`, `    Action:       ${b.importLimit.action}`);
  }
  return out;
}

/** `Routes:` and the route change statistics table. */
export function statsLines(r: RouteCounts, c: ChangeStats): string[] {
  const routes =
    r.filtered === undefined
      ? `${r.imported} imported, ${r.exported} exported, ${r.preferred} preferred`
      : `${r.imported} imported, ${r.filtered} filtered, ${r.exported} exported, ${r.preferred} preferred`;
  const [iwr, iwrej, iwig, iwacc] = c.importWithdraws;
  const [eur, eurej, eufilt, euacc] = c.exportUpdates;
  const [ewr, ewacc] = c.exportWithdraws;
  return [
    `  Routes:         ${routes}`,
    '  Route change stats:     received   rejected   filtered    ignored   accepted',
    row('Import updates:', c.importUpdates),
    row('Import withdraws:', [iwr, iwrej, null, iwig, iwacc]),
    row('Export updates:', [eur, eurej, eufilt, null, euacc]),
    row('Export withdraws:', [ewr, null, null, null, ewacc]),
  ];
}

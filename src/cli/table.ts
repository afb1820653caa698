/** Plain-text tables for the terminal: left-aligned columns, two spaces apart, no trailing spaces. */

export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...all.map((r) => (r[col] ?? '').length)));
  return all
    .map((r) =>
      widths
        .map((w, col) => (r[col] ?? '').padEnd(w))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Label/value lines with the values aligned: `  label   value`. */
export function renderFields(fields: readonly (readonly [string, string])[], indent = '  '): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`.trimEnd()).join('\n');
}

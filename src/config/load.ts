/**
 * `loadConfig(path)`: read the file, parse the JSON, validate. Synchronous: it runs at startup,
 * on reload (SIGHUP) and in `wren check`, never on a hot path.
 *
 * Problems are Issues like validation's: a read error or a JSON syntax error has path `$` and says
 * where (line and column); a key written twice in one object is an issue at that key's path.
 */
import { readFileSync } from 'node:fs';
import { addIssue } from './issues.js';
import { scanJson } from './json-syntax.js';
import type { Config, Issue, Result } from './types.js';
import { validateConfig } from './validate.js';

export function loadConfig(path: string): Result<Config> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const why = typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
    return { ok: false, issues: [{ path: '$', message: `cannot read ${path}: ${why}` }] };
  }
  return parseConfigText(text);
}

/** The text of a config file -> Config. A leading UTF-8 byte order mark is ignored. */
export function parseConfigText(text: string): Result<Config> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (e) {
    const scan = scanJson(body);
    const where = scan.syntaxError
      ? `invalid JSON at line ${scan.syntaxError.line}, column ${scan.syntaxError.column}: ${scan.syntaxError.message}`
      : `invalid JSON: ${e instanceof Error ? e.message : String(e)}`;
    return { ok: false, issues: [{ path: '$', message: where }] };
  }
  const scan = scanJson(body);
  const issues: Issue[] = [];
  if (scan.syntaxError) addIssue(issues, [], `at line ${scan.syntaxError.line}, column ${scan.syntaxError.column}: ${scan.syntaxError.message}`);
  for (const d of scan.duplicates) {
    addIssue(issues, d.path, `key written twice (again at line ${d.line}, column ${d.column}); only the last would count`);
  }
  const result = validateConfig(raw);
  if (issues.length === 0) return result;
  return { ok: false, issues: [...issues, ...(result.ok ? [] : result.issues)] };
}

/**
 * `loadConfig(path)`: read the file, parse the JSON, validate a complete configuration. Synchronous:
 * it runs at startup, on reload (SIGHUP) and in `wren check`, never on a hot path.
 *
 * Problems are Issues like validation's: a read error or a JSON syntax error has path `$` and says
 * where (line and column); a key written twice in one object is an issue at that key's path.
 *
 * A file with a `datastore` section is not complete on its own (its identity, peers and blocks come
 * from the datastore): `loadConfigFile` (config-file.ts) reads both kinds.
 */
import { parseJsonText, readConfigText } from './config-file.js';
import { addIssue, isPlainObject } from './issues.js';
import type { Config, Issue, Result } from './types.js';
import { validateConfig } from './validate.js';

export function loadConfig(path: string): Result<Config> {
  const text = readConfigText(path);
  return text.ok ? parseConfigText(text.value) : text;
}

/** The text of a config file -> Config. A leading UTF-8 byte order mark is ignored. */
export function parseConfigText(text: string): Result<Config> {
  const parsed = parseJsonText(text);
  if (!parsed.ok) return parsed;
  const { raw } = parsed.value;
  const issues: Issue[] = [...parsed.value.issues];
  if (isPlainObject(raw) && Object.hasOwn(raw, 'datastore') && !Object.hasOwn(raw, 'asn')) {
    addIssue(issues, ['datastore'], 'this file is completed from the datastore (routerId, asn, peers, blocks): read it with loadConfigFile and datastore/derive.ts');
  }
  const result = validateConfig(raw);
  if (issues.length === 0) return result;
  return { ok: false, issues: [...issues, ...(result.ok ? [] : result.issues)] };
}

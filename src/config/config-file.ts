/**
 * A configuration file is either complete (`static`: what it says is what runs) or a datastore file
 * (`datastore`: it has a `datastore` section, and the node's identity, peers and blocks come from
 * Calico's datastore; datastore/derive.ts completes it). `validateConfigFile` tells them apart and
 * applies each kind's rules, so `wren check` works on both without reaching any datastore.
 *
 * The merge rule of a datastore file (docs/decisions/0008-datastore-config.md):
 * - `asn` and `routeReflector` are refused: they are the cluster's (Node / BGPConfiguration), and a
 *   different local value would break every session the other nodes derive towards this one;
 * - `routerId` is allowed: it overrides the derived one (the node's IPv4 address), as
 *   CALICO_ROUTER_ID does for calico-node;
 * - `peers`, `originate`, `policies` and `kernel.pools` are added to the derived ones; the file's
 *   entry wins over a derived one with the same key (address, prefix, cidr). Peer names starting
 *   with Mesh_, Node_ or Global_ and policy names starting with calico- are the derivation's;
 * - `listen` and `log.level` win over the BGPConfiguration's listenPort and logSeverityScreen;
 * - every other section is the file's.
 */
import { readFileSync } from 'node:fs';
import { addIssue, isPlainObject } from './issues.js';
import { scanJson } from './json-syntax.js';
import type { Config, DatastoreConfig, Issue, Result } from './types.js';
import { validateConfig, validateParts } from './validate.js';

export type ConfigFile =
  | { readonly kind: 'static'; readonly config: Config }
  | {
      readonly kind: 'datastore';
      readonly datastore: DatastoreConfig;
      /** The file's JSON, to complete with datastore/derive.ts `deriveConfig`. */
      readonly raw: Readonly<Record<string, unknown>>;
    };

/** Peer names the derivation gives its sessions (confd's protocol names). */
export const DERIVED_PEER_NAME = /^(Mesh|Node|Global)_/;
/** Policy names the derivation uses. */
export const DERIVED_POLICY_PREFIX = 'calico-';

/** Top-level keys a datastore file may not set, and where their value comes from instead. */
export const DATASTORE_OWNED: Readonly<Record<string, string>> = {
  asn: "comes from the datastore (this node's Node spec.bgp.asNumber, else the default BGPConfiguration's asNumber, else 64512); remove it",
  routeReflector: "comes from the datastore (this node's Node spec.bgp.routeReflectorClusterID); remove it",
};

export function validateConfigFile(raw: unknown): Result<ConfigFile> {
  if (!isPlainObject(raw) || !Object.hasOwn(raw, 'datastore')) {
    const r = validateConfig(raw);
    return r.ok ? { ok: true, value: { kind: 'static', config: r.value } } : r;
  }
  const issues: Issue[] = [];
  for (const [key, why] of Object.entries(DATASTORE_OWNED)) {
    if (Object.hasOwn(raw, key)) addIssue(issues, [key], `not allowed with a datastore section: ${why}`, raw[key]);
  }
  const parts = validateParts(raw, 'datastore-file', issues);
  const peers = raw['peers'];
  if (Array.isArray(peers)) {
    peers.forEach((p: unknown, i) => {
      const name = isPlainObject(p) ? p['name'] : undefined;
      if (typeof name === 'string' && DERIVED_PEER_NAME.test(name)) {
        addIssue(issues, ['peers', i, 'name'], 'names starting with Mesh_, Node_ or Global_ are those of the sessions derived from the datastore; choose another', name);
      }
    });
  }
  const policies = raw['policies'];
  if (isPlainObject(policies)) {
    for (const name of Object.keys(policies)) {
      if (name.startsWith(DERIVED_POLICY_PREFIX)) {
        addIssue(issues, ['policies', name], `policy names starting with "${DERIVED_POLICY_PREFIX}" are those derived from the datastore; choose another`);
      }
    }
  }
  if (issues.length > 0 || !parts?.datastore) return { ok: false, issues };
  return { ok: true, value: { kind: 'datastore', datastore: parts.datastore, raw } };
}

/** Reads, parses and validates a configuration file of either kind (`wren check`, `wren run`). */
export function loadConfigFile(path: string): Result<ConfigFile> {
  const text = readConfigText(path);
  return text.ok ? parseConfigFileText(text.value) : text;
}

/** A configuration file's text, or an issue at `$` naming the file and why it cannot be read. */
export function readConfigText(path: string): Result<string> {
  try {
    return { ok: true, value: readFileSync(path, 'utf8') };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const why = typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
    return { ok: false, issues: [{ path: '$', message: `cannot read ${path}: ${why}` }] };
  }
}

/** The text of a configuration file of either kind. A leading UTF-8 byte order mark is ignored. */
export function parseConfigFileText(text: string): Result<ConfigFile> {
  const parsed = parseJsonText(text);
  if (!parsed.ok) return parsed;
  const result = validateConfigFile(parsed.value.raw);
  const issues = parsed.value.issues;
  if (issues.length === 0) return result;
  return { ok: false, issues: [...issues, ...(result.ok ? [] : result.issues)] };
}

/**
 * JSON text -> its value, and the issues JSON.parse does not report (a key written twice); a syntax
 * error is the only issue, with its line and column.
 */
export function parseJsonText(text: string): Result<{ readonly raw: unknown; readonly issues: readonly Issue[] }> {
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
  return { ok: true, value: { raw, issues } };
}

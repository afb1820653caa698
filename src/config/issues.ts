/**
 * Issues with JSON paths, and the bridge from zod: every zod issue becomes one or more `Issue`s
 * with a `$.a[1].b` path, our wording ("expected an integer 1..65535"), the offending value, and one
 * issue per unknown key (with a "did you mean" when a known key is one or two edits away).
 *
 * `parseFields` parses an object key by key, so that a bad key does not hide the others from the
 * cross-field rules: the caller gets every valid field back and can still check relations.
 */
import { z } from 'zod';
import type { Issue } from './types.js';

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `['peers', 1, 'asn']` -> `$.peers[1].asn`; keys that are not identifiers are quoted. */
export function formatPath(path: Path): string {
  let out = '$';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += IDENTIFIER.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  }
  return out;
}

const MAX_SHOWN = 60;

/** A value as shown after "got": JSON, shortened. */
export function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 3)}...` : text;
}

/** One line: `$.peers[1].asn: expected an integer 1..4294967295 (got "65001")`. */
export function formatIssue(issue: Issue): string {
  const got = 'value' in issue && issue.value !== undefined ? ` (got ${showValue(issue.value)})` : '';
  return `${issue.path}: ${issue.message}${got}`;
}

export function addIssue(issues: Issue[], path: Path, message: string, value?: unknown): void {
  issues.push(value === undefined ? { path: formatPath(path), message } : { path: formatPath(path), message, value });
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

const NOUNS: Readonly<Record<string, string>> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

/** Our wording for issues whose schema gave no message of its own. */
function genericMessage(iss: z.core.$ZodRawIssue): string {
  switch (iss.code) {
    case 'invalid_type':
      return `expected ${NOUNS[iss.expected] ?? iss.expected}`;
    case 'invalid_value': {
      const shown = iss.values.map((v) => JSON.stringify(v));
      return shown.length <= 2 ? `expected ${shown.join(' or ')}` : `expected one of ${shown.join(', ')}`;
    }
    case 'too_small':
      if (iss.origin === 'array') return `expected at least ${iss.minimum} item${iss.minimum === 1 ? '' : 's'}`;
      if (iss.origin === 'string') return `expected at least ${iss.minimum} character${iss.minimum === 1 ? '' : 's'}`;
      return `expected at least ${iss.minimum}`;
    case 'too_big':
      if (iss.origin === 'array') return `expected at most ${iss.maximum} items`;
      if (iss.origin === 'string') return `expected at most ${iss.maximum} characters`;
      return `expected at most ${iss.maximum}`;
    case 'unrecognized_keys':
      return 'unknown key';
    default:
      return 'invalid value';
  }
}

/** Levenshtein distance, for "did you mean". Keys are short; the quadratic cost does not matter. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** "unknown key", plus the closest known key when it is near enough to be a typo (a third of the length). */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  const near = Math.max(2, Math.floor(key.length / 3));
  return best !== undefined && bestDistance <= near ? `unknown key (did you mean "${best}"?)` : 'unknown key';
}

/**
 * Parses `value` (found at `path`) with `schema`. On failure, records every issue and returns
 * undefined. A missing value reported as a type error becomes "required".
 */
export function parseValue<S extends z.ZodType>(schema: S, value: unknown, path: Path, issues: Issue[]): z.output<S> | undefined {
  // Fast path: a plain safeParse is several times cheaper than one with a custom error map, and
  // valid values are the rule (a derived configuration has thousands of fields). Schemas are pure,
  // so parsing again for the messages gives the same result.
  const quick = schema.safeParse(value);
  if (quick.success) return quick.data;
  const knownKeys = new Map<string, readonly string[]>();
  const result = schema.safeParse(value, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys' && iss.inst instanceof z.ZodObject) {
        knownKeys.set(JSON.stringify(iss.path ?? []), Object.keys(iss.inst.shape));
      }
      return genericMessage(iss);
    },
  });
  if (result.success) return result.data;
  for (const iss of result.error.issues) {
    const at = [...path, ...iss.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    if (iss.code === 'unrecognized_keys') {
      const known = knownKeys.get(JSON.stringify(iss.path)) ?? [];
      for (const key of iss.keys) addIssue(issues, [...at, key], unknownKeyMessage(key, known));
      continue;
    }
    const got = valueAt(value, iss.path);
    if (got === undefined && (iss.code === 'invalid_type' || iss.code === 'invalid_value')) addIssue(issues, at, 'required');
    else addIssue(issues, at, iss.message, got);
  }
  return undefined;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export type FieldShape = Readonly<Record<string, z.ZodType>>;
export type ParsedFields<S extends FieldShape> = { -readonly [K in keyof S]?: z.output<S[K]> };

/**
 * Parses an object field by field: unknown keys are issues; each known key is parsed on its own
 * (missing keys are passed as undefined, so a schema that is not `.optional()` makes them required).
 * Returns the fields that parsed, or undefined when `raw` is not an object.
 */
export function parseFields<S extends FieldShape>(shape: S, raw: unknown, path: Path, issues: Issue[]): ParsedFields<S> | undefined {
  if (!isPlainObject(raw)) {
    addIssue(issues, path, 'expected an object', raw);
    return undefined;
  }
  const known = Object.keys(shape);
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(shape, key)) addIssue(issues, [...path, key], unknownKeyMessage(key, known));
  }
  const out: ParsedFields<S> = {};
  for (const key of known) {
    const schema = shape[key];
    if (!schema) continue;
    const value = Object.hasOwn(raw, key) ? raw[key] : undefined;
    const parsed = parseValue(schema, value, [...path, key], issues);
    if (parsed !== undefined) (out as Record<string, unknown>)[key] = parsed;
  }
  return out;
}

/** Loads golden vectors (every vectors/**\/*.json, captured ones included) and crashers. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Vector, vectorIssues } from './json-form.js';

export const GOLDEN_DIR = import.meta.dirname;
export const VECTORS_DIR = join(GOLDEN_DIR, 'vectors');
export const CRASHERS_DIR = join(GOLDEN_DIR, 'crashers');

export interface LoadedVector {
  /** Path relative to test/golden/vectors. */
  readonly name: string;
  readonly vector: Vector;
  readonly issues: readonly string[];
}

function files(dir: string, ext: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith(ext)).map((n) => join(dir, n)).sort();
}

export function loadVectors(): LoadedVector[] {
  return files(VECTORS_DIR, '.json').map((path) => {
    const name = relative(VECTORS_DIR, path).replaceAll('\\', '/');
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      return { name, vector: {} as Vector, issues: [`not JSON: ${(e as Error).message}`] };
    }
    return { name, vector: parsed as Vector, issues: vectorIssues(parsed) };
  });
}

/** Crasher files: hex of one message, "#" comments and whitespace ignored. */
export function loadCrashers(): { readonly name: string; readonly bytes: Buffer }[] {
  return files(CRASHERS_DIR, '.hex').map((path) => {
    const text = readFileSync(path, 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*/, ''))
      .join('')
      .replace(/\s/g, '');
    return { name: relative(CRASHERS_DIR, path), bytes: Buffer.from(text, 'hex') };
  });
}

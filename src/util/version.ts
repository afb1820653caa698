/** wren's version, from its package.json (two levels up from this file in src/ and in dist/). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function packageVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
    const v = (pkg as { version?: unknown }).version;
    return typeof v === 'string' ? v : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Small file helpers for daemon drivers: log tails for error messages. */
import { existsSync, readFileSync } from 'node:fs';

/** The last `lines` lines of a file, or a note when it does not exist. */
export function tailFile(path: string, lines = 30): string {
  if (!existsSync(path)) return `(no file ${path})`;
  const all = readFileSync(path, 'utf8').split('\n');
  if (all.at(-1) === '') all.pop();
  return all.slice(-lines).join('\n');
}

/** One block per log file, headed by its path, for appending to an error message. */
export function describeLogs(paths: readonly string[], lines = 25): string {
  return paths.map((p) => `--- ${p} (last ${lines} lines)\n${tailFile(p, lines)}`).join('\n');
}

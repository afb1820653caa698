/**
 * Where things are, whether this code runs as TypeScript (vitest runs tools/ directly) or as the
 * tools build (`tsc -p tools/tsconfig.json`: tools/x.ts -> dist-tools/tools/x.js, and the src/
 * modules the tools import -> dist-tools/src/). The two sit at different depths, so the repository
 * root is found by walking up to wren's package.json rather than by counting `..`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function isWrenRoot(dir: string): boolean {
  const pkg = join(dir, 'package.json');
  if (!existsSync(pkg)) return false;
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'wren';
  } catch {
    return false;
  }
}

function findRoot(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (isWrenRoot(dir)) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The checkout this code belongs to. Found from this file's directory; from the working directory
 * when this file was bundled somewhere else (WREN_ROOT overrides both).
 */
export const REPO_ROOT: string =
  process.env['WREN_ROOT'] ?? findRoot(import.meta.dirname) ?? findRoot(process.cwd()) ?? join(import.meta.dirname, '..', '..');

/** The product build's CLI (`npm run build`): what every lab runs as wren. */
export const WREN_CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');

/** The tools build's output directory (git-ignored). */
export const TOOLS_OUT = join(REPO_ROOT, 'dist-tools');

/** The built JavaScript of a tools module: `builtTool('bench/speaker/main.js')` -> dist-tools/tools/bench/speaker/main.js. */
export const builtTool = (path: string): string => join(TOOLS_OUT, 'tools', path);

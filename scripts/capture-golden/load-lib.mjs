// Loads the netns test layer (test/netns/lib, TypeScript) into this plain-ESM script: esbuild
// (already installed as vitest's bundler) bundles it to one .mjs file in a temp directory, which is
// then imported. The daemon drivers are therefore the same code the netns tests use.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export async function loadNetnsLib(root) {
  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'wren-capture-lib-'));
  const outfile = join(dir, 'netns-lib.mjs');
  try {
    await build({
      entryPoints: [join(root, 'test/netns/lib/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'silent',
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Loads the lab kit and the daemon drivers (tools/kit, tools/daemons) into this plain-ESM script
// from the tools build (`npm run build` or `npm run build:tools` writes them to dist-tools/), so
// the drivers are the same code the netns tests and the bench use.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export async function loadNetnsLib(root) {
  const built = ['kit', 'daemons'].map((dir) => join(root, 'dist-tools', 'tools', dir, 'index.js'));
  const missing = built.filter((f) => !existsSync(f));
  if (missing.length > 0) throw new Error(`${missing.join(', ')} missing: run npm run build:tools (or npm run build) first`);
  const [kit, daemons] = await Promise.all(built.map((f) => import(pathToFileURL(f).href)));
  return { ...kit, ...daemons };
}

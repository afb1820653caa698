#!/usr/bin/env node
// The native step of `npm run build`: builds wren's TCP options addon (native/, node-gyp) into
// native/build/Release/wren_tcp.node, and lets the build go on when that fails.
//
// - Success: nothing else to say.
// - Failure (no compiler, no Python, no Node headers, ...): a warning naming what failed and what
//   wren does without the addon, exit 0, so the TypeScript build still runs and wren still works:
//   sessions that need TCP MD5 or GTSM stay down with a clear reason (docs/deploy.md).
// - Failure with CI=true or WREN_NATIVE_REQUIRED=1: exit 1. CI must build and test the addon.
//
// `npm run build:native` is the strict form (node-gyp alone, fails when it fails).
// node-gyp uses the Node headers installed beside the running node (/usr/include/node with
// NodeSource's and Debian's packages) when npm's `nodedir` is not set, so it needs no network.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const required = process.env.CI === 'true' || process.env.WREN_NATIVE_REQUIRED === '1';

const args = ['rebuild', '-C', join(root, 'native')];
const prefix = resolve(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

// npm puts node_modules/.bin on PATH for scripts; run directly, use the local node-gyp.
const local = join(root, 'node_modules', '.bin', 'node-gyp');
const gyp = existsSync(local) ? local : 'node-gyp';
const r = spawnSync(gyp, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
if (r.stdout) process.stdout.write(r.stdout);
if (r.stderr) process.stderr.write(r.stderr);
if (r.status === 0 && !r.error) process.exit(0);

// The lines that say what went wrong: the compiler's or make's errors, node-gyp's own error.
const telling = `${r.stdout ?? ''}\n${r.stderr ?? ''}`
  .split('\n')
  .filter((l) => /(^|\s)error:|\*\*\*|ERR! stack Error|ERR! find Python|Could not find|not found|No such file/i.test(l))
  .slice(0, 4)
  .map((l) => l.trim());
const why = r.error ? `${gyp} could not be run: ${r.error.message}` : telling.length > 0 ? telling.join('\n    ') : `node-gyp exited with ${r.status}`;
const lines = [
  '',
  'wren: the native addon (native/build/Release/wren_tcp.node) could not be built:',
  `    ${why}`,
  'wren still builds and runs without it, but sessions with `password` (TCP MD5) or `ttlSecurity`',
  '(GTSM) will not start, eBGP sessions use the default TTL, and the kernel notification socket is',
  'not protected against overflow (docs/deploy.md). To build it: install a C toolchain and Python',
  '(bash scripts/setup.sh, or apt-get install build-essential python3), then npm run build:native.',
];
if (required) {
  lines.push(`This build requires the addon (${process.env.CI === 'true' ? 'CI=true' : 'WREN_NATIVE_REQUIRED=1'}): failing.`, '');
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(1);
}
lines.push('Going on without it.', '');
process.stderr.write(`${lines.join('\n')}\n`);
process.exit(0);

#!/usr/bin/env node
// Captures golden BGP wire vectors from real BIRD, FRR and GoBGP sessions in a namespace lab and
// writes them to test/golden/vectors/captured/. See docs/testing.md ("Captured golden vectors").
//
//   sudo npm run capture:golden -- [--out DIR] [--keep] [--from-pcaps DIR]
//   sudo node scripts/capture-golden.mjs [...]    (the same, once `npm run build:tools` has run)
//
//   --out DIR         where to write vectors (default test/golden/vectors/captured; old *.json there are replaced)
//   --keep            keep the work directory (pcaps, daemon configs and logs) and print its path
//   --from-pcaps DIR  skip the lab and re-extract from the pcaps of an earlier --keep run
//
// The lab and the daemons come from the tools build (dist-tools/tools/{kit,daemons}), which imports
// nothing from src/: the decoded form of each vector comes from tshark's dissector.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNetnsLib } from './capture-golden/load-lib.mjs';
import { PHASES, buildLab, runPhase } from './capture-golden/phases.mjs';
import { extractMessages } from './capture-golden/pcap.mjs';
import { selectVectors } from './capture-golden/select.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (s) => process.stderr.write(`${s}\n`);

function parseArgs(argv) {
  const opts = { out: join(ROOT, 'test/golden/vectors/captured'), keep: false, fromPcaps: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') opts.out = argv[++i];
    else if (a === '--keep') opts.keep = true;
    else if (a === '--from-pcaps') opts.fromPcaps = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.split('\n').find((l) => /version/i.test(l))?.trim() ?? 'unknown';
}

/** Versions as written into each vector's origin. */
function versions() {
  const num = (s) => /(\d+\.\d+\.\d+)/.exec(s)?.[1] ?? s;
  return {
    bird: `BIRD ${num(firstLine('bird', ['--version']))}`,
    frr: `FRR ${num(firstLine('/usr/lib/frr/bgpd', ['--version']))}`,
    gobgp: `GoBGP ${num(firstLine('gobgpd', ['--version']))}`,
    tshark: spawnSync('tshark', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]?.trim() ?? 'tshark (unknown version)',
  };
}

async function capture(workDir) {
  const lib = await loadNetnsLib(ROOT);
  const why = lib.netnsProblem();
  if (why) throw new Error(`cannot build the lab: ${why}`);
  const env = buildLab(lib, workDir);
  const caps = [];
  const warnings = [];
  try {
    for (const phase of PHASES) {
      log(`phase ${phase.name}`);
      const r = await runPhase(lib, env, phase, log);
      caps.push(...r.caps);
      warnings.push(...r.warnings);
    }
  } finally {
    await env.lab.destroy();
  }
  writeFileSync(join(workDir, 'captures.json'), JSON.stringify(caps, null, 1));
  return { caps, warnings };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const v = versions();
  log(`${v.bird}, ${v.frr}, ${v.gobgp}; ${v.tshark}`);
  const workDir = opts.fromPcaps ?? mkdtempSync(join(tmpdir(), 'wren-capture-'));
  let caps;
  let warnings = [];
  if (opts.fromPcaps) {
    caps = JSON.parse(readFileSync(join(workDir, 'captures.json'), 'utf8'));
  } else {
    ({ caps, warnings } = await capture(workDir));
  }
  const messages = [];
  for (const c of caps) {
    if (!existsSync(c.file)) throw new Error(`missing capture ${c.file}`);
    const got = extractMessages(c);
    log(`${c.phase} L${c.link.n}: ${got.length} BGP messages`);
    messages.push(...got);
  }
  const date = new Date().toISOString().slice(0, 10);
  const vectors = selectVectors(messages, { versions: v, date });
  mkdirSync(opts.out, { recursive: true });
  for (const f of readdirSync(opts.out)) if (f.endsWith('.json')) rmSync(join(opts.out, f));
  for (const vec of vectors) writeFileSync(join(opts.out, vec.file), `${JSON.stringify(vec.body, null, 2)}\n`);
  log(`${vectors.length} vectors written to ${opts.out}`);
  for (const w of warnings) log(`warning: ${w}`);
  if (opts.keep || opts.fromPcaps) {
    log(`work directory kept: ${workDir}`);
  } else {
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  log(err.stack ?? String(err));
  process.exit(1);
});

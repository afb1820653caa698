import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const src = join(root, 'src');
const tools = join(root, 'tools');

/**
 * One-way module dependencies (docs/architecture.md, modules and arrows). `control/protocol.ts` holds plain
 * data types for the control socket and may be imported (types only) by the layers that fill them.
 */
const ALLOWED: Record<string, readonly string[]> = {
  util: [],
  codec: ['util'],
  session: ['codec', 'util', 'control/protocol.js'],
  rib: ['codec', 'util', 'control/protocol.js', 'config/types.js'],
  kernel: ['util'],
  config: ['codec', 'util'],
  control: ['util'],
  // Calico's datastore -> wren's configuration (the follower may read etcd; never the daemon).
  datastore: ['config', 'codec', 'util'],
  // BFD (RFC 5880): its codec, state machine and sessions, and the thread they run in; the native
  // addon is loaded through session/tcp-native.ts (one loader for the one addon).
  bfd: ['util', 'session/tcp-native.js'],
  // The BIRD-compatible socket: the control socket's server, the config's types.
  birdsock: ['util', 'control', 'config/types.js'],
  // Prometheus metrics and health endpoints: plain snapshots in (metrics/source.ts); only daemon/ imports it.
  metrics: ['util', 'control/protocol.js'],
  // The process: wires every layer; nothing imports it but the CLI's `wren run` (dynamic import).
  daemon: ['bfd', 'birdsock', 'codec', 'config', 'control', 'datastore', 'kernel', 'metrics', 'rib', 'session', 'util'],
  cli: ['control', 'config', 'util', 'daemon/main.js'],
};

it('every top-level folder of src/ has its arrows declared (a new folder must say what it may import)', () => {
  const folders = readdirSync(src, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  expect(folders.filter((f) => ALLOWED[f] === undefined)).toEqual([]);
});

it('src/ modules only import along the allowed arrows (static and dynamic imports)', () => {
  const violations: string[] = [];
  for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    const from = file.split(/[\\/]/)[0] ?? '';
    const allowed = ALLOWED[from];
    if (!allowed) continue;
    const text = readFileSync(join(src, file), 'utf8');
    for (const m of text.matchAll(/(?:from |import\()'(\.\.?\/[^']+)'/g)) {
      const target = relative(src, join(src, file, '..', m[1] ?? '')).replaceAll('\\', '/');
      const top = target.split('/')[0] ?? '';
      if (top === from || allowed.includes(top) || allowed.includes(target)) continue;
      violations.push(`${file} -> ${m[1]}`);
    }
  }
  expect(violations).toEqual([]);
});

/** The netlink adapter: the port (netlink.ts) and the raw socket its batched writes are sent on (netlink-raw.ts). */
const NETLINK_ADAPTER = ['kernel/netlink.ts', 'kernel/netlink-raw.ts'];

it('only the netlink adapter (kernel/netlink.ts, kernel/netlink-raw.ts) imports the netlink package or a module of it', () => {
  const offenders: string[] = [];
  for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    if (/from 'netlink(\/[^']*)?'/.test(readFileSync(join(src, file), 'utf8')) && !NETLINK_ADAPTER.includes(file.replaceAll('\\', '/'))) {
      offenders.push(file);
    }
  }
  expect(offenders).toEqual([]);
});

it('only src/metrics/ imports prom-client (docs/decisions/0007-metrics.md)', () => {
  const offenders: string[] = [];
  for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    if (/from 'prom-client'/.test(readFileSync(join(src, file), 'utf8')) && !file.replaceAll('\\', '/').startsWith('metrics/')) offenders.push(file);
  }
  expect(offenders).toEqual([]);
});

/** The etcd client library: the etcd layer and the two writers (docs/decisions/0009-etcd-client.md). */
const ETCD_USERS = ['datastore/etcd.ts', 'datastore/register.ts', 'datastore/ipam.ts'];

it('only the etcd layer and its writers (datastore/etcd.ts, register.ts, ipam.ts) import the etcd3 package', () => {
  const offenders: string[] = [];
  for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    if (/from '(etcd3|cockatiel)'/.test(readFileSync(join(src, file), 'utf8')) && !ETCD_USERS.includes(file.replaceAll('\\', '/'))) offenders.push(file);
  }
  expect(offenders).toEqual([]);
});

/** A relative import of a file: where it points (from the repository root) and whether it is `import type` / `export type`. */
interface RelativeImport {
  readonly spec: string;
  readonly target: string;
  readonly typeOnly: boolean;
}

/** Relative imports of a .ts file: `import`/`export ... from '...'`, `import '...'` and dynamic `import('...')`. */
function relativeImports(file: string): RelativeImport[] {
  const text = readFileSync(file, 'utf8');
  const out: RelativeImport[] = [];
  for (const m of text.matchAll(/^\s*(import|export)(\s+type)?\b[^;]*?\sfrom\s+'(\.\.?\/[^']+)'|\bimport\(\s*'(\.\.?\/[^']+)'\s*\)|^\s*import\s+'(\.\.?\/[^']+)'/gm)) {
    const spec = m[3] ?? m[4] ?? m[5] ?? '';
    out.push({ spec, target: relative(root, join(file, '..', spec)).replaceAll('\\', '/'), typeOnly: m[2] !== undefined });
  }
  return out;
}

const tsFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));

it('src/ never imports tools/ or test/ (nothing outside src/)', () => {
  const violations = tsFiles(src).flatMap((file) =>
    relativeImports(file)
      .filter((i) => !i.target.startsWith('src/'))
      .map((i) => `${relative(root, file)} -> ${i.spec}`),
  );
  expect(violations).toEqual([]);
});

/**
 * tools/ (docs/decisions/0006-tools-layout.md): the lab kit imports nothing of the repository but
 * itself; the daemon drivers import the kit, and from src/ only types (so scripts/capture-golden.mjs
 * runs them without wren's code); the bench and the lab import the kit, the drivers and src/, never
 * each other; nothing in tools/ imports test/.
 */
const TOOLS_ALLOWED: Record<string, { readonly tools: readonly string[]; readonly src: 'no' | 'types' | 'yes' }> = {
  kit: { tools: [], src: 'no' },
  daemons: { tools: ['kit'], src: 'types' },
  bench: { tools: ['kit', 'daemons'], src: 'yes' },
  lab: { tools: ['kit', 'daemons'], src: 'yes' },
  // A process the lab, the bench and tests spawn (never import) to reach etcd inside a namespace.
  'etcd-client': { tools: [], src: 'yes' },
};

it('tools/ imports src/ and its own folders along the allowed arrows, and never test/', () => {
  const violations: string[] = [];
  for (const file of tsFiles(tools)) {
    const from = relative(tools, file).split(/[\\/]/)[0] ?? '';
    const rule = TOOLS_ALLOWED[from];
    for (const i of relativeImports(file)) {
      const [top = '', sub = ''] = i.target.split('/');
      const ok =
        top === 'src'
          ? rule !== undefined && (rule.src === 'yes' || (rule.src === 'types' && i.typeOnly))
          : top === 'tools' && rule !== undefined && (sub === from || rule.tools.includes(sub));
      if (!ok) violations.push(`${relative(root, file)} -> ${i.spec}`);
    }
  }
  expect(violations).toEqual([]);
});

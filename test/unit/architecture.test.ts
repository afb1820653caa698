import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';

const src = join(import.meta.dirname, '..', '..', 'src');

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
  cli: ['control', 'config', 'util'],
};

it('src/ modules only import along the allowed arrows', () => {
  const violations: string[] = [];
  for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    const from = file.split(/[\\/]/)[0] ?? '';
    const allowed = ALLOWED[from];
    if (!allowed) continue;
    const text = readFileSync(join(src, file), 'utf8');
    for (const m of text.matchAll(/from '(\.\.?\/[^']+)'/g)) {
      const target = relative(src, join(src, file, '..', m[1] ?? '')).replaceAll('\\', '/');
      const top = target.split('/')[0] ?? '';
      if (top === from || allowed.includes(top) || allowed.includes(target)) continue;
      violations.push(`${file} -> ${m[1]}`);
    }
  }
  expect(violations).toEqual([]);
});

/** The netlink adapter: the port (netlink.ts) and where its batched writes are sent from (netlink-writer.ts). */
const NETLINK_ADAPTER = ['kernel/netlink.ts', 'kernel/netlink-writer.ts'];

it('only the netlink adapter (kernel/netlink.ts, kernel/netlink-writer.ts) imports the netlink package', () => {
  const offenders: string[] = [];
  for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    if (/from 'netlink'/.test(readFileSync(join(src, file), 'utf8')) && !NETLINK_ADAPTER.includes(file.replaceAll('\\', '/'))) {
      offenders.push(file);
    }
  }
  expect(offenders).toEqual([]);
});

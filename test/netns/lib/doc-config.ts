/**
 * Configurations taken verbatim from the documentation, so that what docs/topologies.md tells a
 * user to copy is exactly what a test runs. A block is the fenced code block that follows a marker
 * line `<!-- config: NAME -->`.
 *
 * `startWrenConfig` runs wren with such a JSON config plus only what the test environment needs:
 * `control.socket` (a socket in the lab directory) and `log.level` (debug, so failures explain
 * themselves). Nothing else is added or changed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from './netns.js';
import { WREN_ROOT, WrenDaemon, type WrenSpec } from '../../../tools/daemons/wren.js';

export const TOPOLOGIES_DOC = join(WREN_ROOT, 'docs', 'topologies.md');

/** The text of the fenced block after `<!-- config: NAME -->` in `file`. */
export function docBlock(name: string, file = TOPOLOGIES_DOC): string {
  const text = readFileSync(file, 'utf8');
  const marker = `<!-- config: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${file}: no block marked ${marker}`);
  if (text.indexOf(marker, at + marker.length) >= 0) throw new Error(`${file}: two blocks marked ${marker}`);
  const m = /^[ \t]*\n?```[a-z]*\n([\s\S]*?)\n```/.exec(text.slice(at + marker.length).replace(/^\s*\n/, ''));
  if (!m?.[1]) throw new Error(`${file}: the marker ${marker} is not followed by a fenced block`);
  return `${m[1]}\n`;
}

/** A documented JSON config, parsed. */
export function docConfig(name: string, file = TOPOLOGIES_DOC): Record<string, unknown> {
  const text = docBlock(name, file);
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${file}: block ${name} is not JSON: ${(err as Error).message}\n${text}`);
  }
}

/** The test-environment keys added to a documented config. */
export const testOverlay = (socket: string): Record<string, unknown> => ({ control: { socket }, log: { level: 'debug' } });

/** wren started from a whole config (not from a DaemonSpec); reload() writes `config` again. */
export class WrenConfigDaemon extends WrenDaemon {
  config: Record<string, unknown>;

  constructor(lab: Lab, ns: string, config: Record<string, unknown>, name?: string) {
    const originate = Array.isArray(config['originate']) ? (config['originate'] as unknown[]).map((o) => (typeof o === 'string' ? o : String((o as { prefix?: unknown }).prefix))) : [];
    const spec: WrenSpec = {
      ns,
      routerId: String(config['routerId']),
      asn: Number(config['asn']),
      neighbors: [],
      originate,
      ...(name !== undefined ? { name } : {}),
    };
    super(lab, spec);
    this.config = config;
  }

  /** The file wren runs with: the config plus the test overlay. */
  effectiveConfig(): Record<string, unknown> {
    return { ...this.config, ...testOverlay(this.paths.socket) };
  }

  override writeConfig(): void {
    writeFileSync(this.paths.config, `${JSON.stringify(this.effectiveConfig(), null, 2)}\n`);
  }

  /** Replaces the config and asks the daemon to reload it. */
  reload(config: Record<string, unknown>): string {
    this.config = config;
    this.writeConfig();
    const out = this.cli('reload');
    if (!/reloaded/.test(out)) throw new Error(`wren reload: ${out}\n${this.describeLogs()}`);
    return out;
  }
}

/** Starts wren in `ns` with `config` (plus the test overlay). */
export async function startWrenConfig(lab: Lab, ns: string, config: Record<string, unknown>, name?: string): Promise<WrenConfigDaemon> {
  const d = new WrenConfigDaemon(lab, ns, config, name);
  await d.start();
  return d;
}

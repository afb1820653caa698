import { expect } from 'vitest';
import { formatIssue } from '../../../src/config/issues.js';
import type { Config } from '../../../src/config/types.js';
import { validateConfig } from '../../../src/config/validate.js';
import { deriveConfig, type DerivedConfig } from '../../../src/datastore/derive.js';
import { snapshot, type Entry } from './fixtures.js';

/** The smallest datastore file. */
export const FILE = { datastore: { etcd: { endpoints: ['http://127.0.0.1:2379'] } } } as const;

export interface Derived extends DerivedConfig {
  /** The derived configuration, validated (the test fails when it is not valid). */
  readonly valid: Config;
}

export function derive(entries: readonly Entry[], nodeName: string, file: Record<string, unknown> = FILE): Derived {
  const d = deriveConfig(snapshot(entries), nodeName, file);
  const r = validateConfig(d.config);
  if (!r.ok) expect.fail(`the derived configuration is invalid:\n${r.issues.map(formatIssue).join('\n')}\n${JSON.stringify(d.config, null, 1)}`);
  return { ...d, valid: r.value };
}

/** One line per peer of the raw derived configuration: what a table can compare. */
export function peerLines(d: DerivedConfig): string[] {
  const peers = d.config['peers'] as Record<string, unknown>[];
  return peers.map((p) => {
    const parts: string[] = [String(p['name'] ?? '-'), `${String(p['address'])}${p['port'] !== undefined ? `:${String(p['port'])}` : ''}`, `as ${String(p['asn'])}`];
    if (p['localAs'] !== undefined) parts.push(`local-as ${String(p['localAs'])}`);
    if (p['localAddress'] !== undefined) parts.push(`from ${String(p['localAddress'])}`);
    if (p['passive'] === true) parts.push('passive');
    if (p['routeReflectorClient'] === true) parts.push('rr-client');
    if (p['nextHopSelf'] === true) parts.push('next-hop-self');
    if (p['ebgpMultihop'] !== undefined) parts.push(`multihop ${String(p['ebgpMultihop'])}`);
    if (p['ttlSecurity'] !== undefined) parts.push(`ttl-security ${String(p['ttlSecurity'])}`);
    if (p['allowasIn'] !== undefined) parts.push(`allowas-in ${String(p['allowasIn'])}`);
    if (p['keepaliveTime'] !== undefined) parts.push(`keepalive ${String(p['keepaliveTime'])}`);
    if (p['import'] !== undefined && p['import'] !== 'all') parts.push('import-policy');
    if (p['export'] !== undefined && p['export'] !== 'calico-export') parts.push('export-policy');
    return parts.join(' ');
  });
}

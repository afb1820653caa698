import { formatIssue } from '../../../src/config/issues.js';
import type { Config } from '../../../src/config/types.js';
import { validateConfig } from '../../../src/config/validate.js';

/** The smallest valid configuration. */
export const BASE = { routerId: '192.168.1.10', asn: 64512 } as const;

/** Every problem of `raw`, one printed line each (what `wren check` prints). */
export function problems(raw: unknown): string[] {
  const r = validateConfig(raw);
  return r.ok ? [] : r.issues.map(formatIssue);
}

/** The validated config; fails the test with the problems when it is invalid. */
export function valid(raw: unknown): Config {
  const r = validateConfig(raw);
  if (!r.ok) throw new Error(`expected a valid config, got:\n${r.issues.map(formatIssue).join('\n')}`);
  return r.value;
}

export const withPeers = (...peers: unknown[]): Record<string, unknown> => ({ ...BASE, peers });

/**
 * The `metrics` section (docs/configuration.md, docs/metrics.md): where the Prometheus metrics and
 * the health endpoints (`/metrics`, `/livez`, `/readyz`) are served, whether per-peer series are
 * exported, what `/readyz` asks of the peers by default, and the event-loop stall `/livez` fails on.
 * Off unless `listen` is given.
 */
import { z } from 'zod';
import { formatAddress, parseAddress } from '../util/inet.js';
import { bool, intIn } from './fields.js';
import { DEFAULTS } from './defaults.js';
import { parseFields } from './issues.js';
import { READY_PEERS, type Issue, type MetricsConfig, type MetricsListen } from './types.js';

const LISTEN = 'expected "ADDRESS:PORT" with an IP address, such as "127.0.0.1:9179" or "[::1]:9179"';

/** "127.0.0.1:9179", "[fd00::1]:9179" (brackets required for IPv6). */
export function parseListenAddress(text: string): MetricsListen | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  const parsed = parseAddress(host);
  if (parsed === null || (m[1] !== undefined) !== (parsed.family === 6)) return undefined;
  const address = formatAddress(parsed.bytes);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { address, port };
}

const listen = z.string({ error: LISTEN }).transform((s, ctx) => {
  const l = parseListenAddress(s);
  if (l === undefined) {
    ctx.issues.push({ code: 'custom', message: LISTEN, input: s });
    return z.NEVER;
  }
  return l;
});

const METRICS = {
  listen: listen.optional(),
  perPeer: bool.optional(),
  readyPeers: z.enum(READY_PEERS, { error: 'expected "all", "any" or "none"' }).optional(),
  livezMaxStall: intIn(1, 3600).optional(),
};

export function parseMetrics(raw: unknown, issues: Issue[]): MetricsConfig {
  const f = raw === undefined ? {} : (parseFields(METRICS, raw, ['metrics'], issues) ?? {});
  const d = DEFAULTS.metrics;
  return {
    ...(f.listen !== undefined ? { listen: f.listen } : {}),
    perPeer: f.perPeer ?? d.perPeer,
    readyPeers: f.readyPeers ?? d.readyPeers,
    livezMaxStall: f.livezMaxStall ?? d.livezMaxStall,
  };
}

/**
 * The metrics listener (`metrics.listen`): plain HTTP with three endpoints, GET or HEAD only:
 *
 *   /metrics   Prometheus text exposition (registry.ts)
 *   /livez     200 "ok" or 503 with the reason (health.ts liveness); `?verbose` lists the checks
 *   /readyz    200 "ok" or 503 with the reason (health.ts readiness); `?verbose` lists the checks,
 *              `?peers=all|any|none` overrides `metrics.readyPeers`
 *
 * Bounded like every other input of the daemon: at most MAX_CONNECTIONS connections, short header
 * and request timeouts, no request body read.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../util/log.js';
import { liveness, readiness, verdictText, type ReadyPeers } from './health.js';
import type { WrenMetrics } from './registry.js';
import type { MetricsSource } from './source.js';

export const MAX_CONNECTIONS = 64;
const READY_PEERS: readonly ReadyPeers[] = ['all', 'any', 'none'];

export interface MetricsServer {
  /** The bound address and port (port 0 in the options: the one the kernel chose). */
  readonly address: { readonly address: string; readonly port: number };
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  readonly address: string;
  readonly port: number;
  readonly metrics: WrenMetrics;
  readonly source: MetricsSource;
  readonly log: Logger;
}

/** Starts listening; rejects when the address cannot be bound (EADDRINUSE, EADDRNOTAVAIL, EACCES). */
export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    handle(req, res, o).catch((err: unknown) => {
      o.log.error({ err, path: req.url }, 'metrics request failed');
      if (!res.headersSent) reply(res, 500, 'text/plain; charset=utf-8', 'internal error\n', req.method === 'HEAD');
      else res.destroy();
    });
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: o.address, port: o.port, ipv6Only: o.address.includes(':') && o.address !== '::' }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => o.log.error({ err }, 'metrics listener error'));
  const a = server.address();
  const bound = a !== null && typeof a === 'object' ? { address: a.address, port: a.port } : { address: o.address, port: o.port };
  return { address: bound, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, o: MetricsServerOptions): Promise<void> {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    res.setHeader('Allow', 'GET, HEAD');
    reply(res, 405, 'text/plain; charset=utf-8', 'method not allowed: GET or HEAD\n', false);
    return;
  }
  const url = new URL(req.url ?? '/', 'http://wren');
  const verbose = url.searchParams.has('verbose');
  const text = 'text/plain; charset=utf-8';
  switch (url.pathname) {
    case '/metrics':
      reply(res, 200, o.metrics.contentType, await o.metrics.text(), head);
      return;
    case '/livez': {
      const v = liveness(o.source.snapshot().loop, o.source.settings().livezMaxStall);
      reply(res, v.ok ? 200 : 503, text, verdictText('livez', v, verbose), head);
      return;
    }
    case '/readyz': {
      const asked = url.searchParams.get('peers');
      if (asked !== null && !(READY_PEERS as readonly string[]).includes(asked)) {
        reply(res, 400, text, `unknown peers=${asked}: expected all, any or none\n`, head);
        return;
      }
      const mode = (asked as ReadyPeers | null) ?? o.source.settings().readyPeers;
      const v = readiness(o.source.snapshot(), mode);
      reply(res, v.ok ? 200 : 503, text, verdictText('readyz', v, verbose), head);
      return;
    }
    case '/':
      reply(res, 200, text, 'wren: /metrics (Prometheus), /livez, /readyz (?verbose, ?peers=all|any|none)\n', head);
      return;
    default:
      reply(res, 404, text, 'not found: /metrics, /livez, /readyz\n', head);
  }
}

function reply(res: ServerResponse, status: number, contentType: string, body: string, head: boolean): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(head ? undefined : body);
}

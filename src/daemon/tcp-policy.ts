/**
 * How the speaker opens and accepts TCP connections for a peer: TCP MD5 (RFC 2385), the outgoing TTL
 * (eBGP single-hop 1, multihop N, iBGP 255) and GTSM (RFC 5082), via session/tcp-options.ts.
 * Peers with a password, ebgpMultihop or ttlSecurity connect through the native addon so the options
 * are in place before the SYN; other peers use node:net and get their TTL right after connecting.
 *
 * Without the addon (it failed to build, or does not load): a session that needs TCP MD5 or GTSM is
 * never started (`sessionRefusal`; daemon/refused-peer.ts), since running it unprotected would
 * silently drop what the operator asked for; every other session runs, eBGP ones with the system's
 * default TTL instead of 1 or `ebgpMultihop` (a TTL the peer does not check; docs/deploy.md).
 */
import type { Server, Socket } from 'node:net';
import type { Config, PeerConfig } from '../config/types.js';
import { netConnector, type Connector } from '../session/peer.js';
import { connectTcp, listenTcp, setListenerMd5, setSocketMinTtl, setSocketTtl, tcpOptionsAvailable } from '../session/tcp-options.js';
import { listenerTtl, sessionTtl, type SessionTtl } from '../session/tcp-ttl.js';
import type { Logger } from '../util/log.js';

const needsNative = (p: PeerConfig): boolean => p.password !== undefined || p.ebgpMultihop !== undefined || p.ttlSecurity !== undefined;

/** The settings of a peer that cannot be honoured without the addon, as an operator wrote them. */
export function addonOnlySettings(p: PeerConfig): string[] {
  const out: string[] = [];
  if (p.password !== undefined) out.push('password (TCP MD5)');
  if (p.ttlSecurity !== undefined) out.push('ttlSecurity (GTSM)');
  return out;
}

/** Whether the native TCP options addon is loaded here, and if not, why (the loader's reason, naming its path). */
export function addonStatus(): { ok: true } | { ok: false; reason: string } {
  return tcpOptionsAvailable();
}

/**
 * Why this peer's session must not start here (null: it may): it needs TCP MD5 or GTSM and the
 * addon is not available. The text names the settings and the missing addon: it is the peer's
 * `lastDownReason` (`wren show peers`) and the `reason` of its log line.
 */
export function sessionRefusal(p: PeerConfig): string | null {
  const settings = addonOnlySettings(p);
  if (settings.length === 0) return null;
  const avail = tcpOptionsAvailable();
  if (avail.ok) return null;
  return `not started: ${settings.join(' and ')} need${settings.length === 1 ? 's' : ''} the native TCP options addon, which is not available: ${avail.reason}`;
}

export function peerTtl(p: PeerConfig): SessionTtl {
  return sessionTtl({ ebgp: p.type === 'ebgp', ...(p.ebgpMultihop !== undefined ? { ebgpMultihop: p.ebgpMultihop } : {}), ...(p.ttlSecurity !== undefined ? { ttlSecurity: p.ttlSecurity } : {}) });
}

export function connectorFor(p: PeerConfig, log: Logger): Connector {
  const ttl = peerTtl(p);
  const timeoutMs = Math.min(30_000, Math.max(1000, p.connectRetryTime * 1000));
  // Without the addon only ebgpMultihop peers get here (sessionRefusal keeps MD5 and GTSM peers
  // from starting): they connect with node:net and the system's default TTL.
  if (needsNative(p) && tcpOptionsAvailable().ok) {
    return ({ host, port, localAddress, signal }) =>
      connectTcp({
        host,
        port,
        ...(localAddress !== undefined ? { localAddress } : {}),
        ...(p.password !== undefined ? { md5Password: p.password } : {}),
        ttl: ttl.ttl,
        ...(ttl.minTtl > 0 ? { minTtl: ttl.minTtl } : {}),
        timeoutMs,
        signal,
      });
  }
  return async (opts) => {
    const socket = await netConnector(opts);
    applyTtl(socket, ttl, log);
    return socket;
  };
}

/** Sets a connected or accepted socket's TTL options (best effort when the addon is missing). */
export function applyTtl(socket: Socket, ttl: SessionTtl, log: Logger): void {
  if (!tcpOptionsAvailable().ok) return;
  try {
    setSocketTtl(socket, ttl.ttl);
    if (ttl.minTtl > 0) setSocketMinTtl(socket, ttl.minTtl);
  } catch (err) {
    log.warn({ err }, 'could not set the session TTL');
  }
}

/** Listens with MD5 keys for every configured peer with a password, TTL 255, and GTSM when all peers use it. */
export async function listen(server: Server, config: Config, port: number): Promise<void> {
  const md5Peers = config.peers.flatMap((p) => (p.kind === 'static' && p.password !== undefined ? [{ address: p.address, password: p.password }] : []));
  if (!tcpOptionsAvailable().ok) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: config.listen.address, port }, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    return;
  }
  const ttl = listenerTtl(config.peers.map((p) => ({ ebgp: p.type === 'ebgp', ...(p.ebgpMultihop !== undefined ? { ebgpMultihop: p.ebgpMultihop } : {}), ...(p.ttlSecurity !== undefined ? { ttlSecurity: p.ttlSecurity } : {}) })));
  await listenTcp(server, { host: config.listen.address, port, ttl: ttl.ttl, ...(ttl.minTtl > 0 ? { minTtl: ttl.minTtl } : {}), md5Peers });
}

const md5Map = (c: Config): Map<string, string> =>
  new Map(c.peers.flatMap((p) => (p.kind === 'static' && p.password !== undefined ? [[p.address, p.password] as const] : [])));

/** After a reload: add, change or remove the listener's MD5 keys to match the new peers. */
export function updateListenerKeys(server: Server, old: Config, next: Config, log: Logger): void {
  if (!tcpOptionsAvailable().ok) return;
  const before = md5Map(old);
  const after = md5Map(next);
  try {
    for (const [address, password] of after) if (before.get(address) !== password) setListenerMd5(server, { address, password });
    for (const address of before.keys()) if (!after.has(address)) setListenerMd5(server, { address, password: null });
  } catch (err) {
    log.error({ err }, 'could not update the listener MD5 keys');
  }
}

/**
 * `diffConfig(old, next)`: what a reload (SIGHUP) must do to the running daemon, the way BIRD's
 * `reconfigure` hook decides between "in place" and "restart" (convention 13).
 *
 * - `global-reset`: asn or routerId changed. Every session restarts (Cease / Other Configuration
 *   Change, RFC 4486 subcode 6) with its new settings; per-peer reset/refresh/update changes are not
 *   listed then (they are implied), but add-peer and remove-peer still are.
 * - `remove-peer`: the peer is gone (Cease / Peer De-configured, subcode 3) or now `enabled: false`
 *   (Cease / Administrative Shutdown, subcode 2).
 * - `add-peer`: a new peer, or one that is now `enabled: true`.
 * - `reset-peer`: a setting carried in the OPEN or the transport changed (AS numbers, timers, families,
 *   password, TTL, ...): Cease / Other Configuration Change (subcode 6), then reconnect.
 * - `refresh-peer`: only routing changed (import/export policy, communities, prefix filters...):
 *   no reset; re-run import (RFC 2918 ROUTE-REFRESH, or Adj-RIB-In) and/or re-export.
 * - `update-in-place`: anything else, for one peer (`key` set) or global (listen, kernel, log, ...).
 *
 * Resolved values are compared, so a changed named policy refreshes every peer that uses it, and a
 * changed global hold time resets every peer that inherits it.
 */
import { isDeepStrictEqual } from 'node:util';
import { CeaseSub } from '../codec/constants.js';
import type { Config, DynamicPeerConfig, PeerConfig, StaticPeerConfig } from './types.js';

export type Change =
  | { readonly kind: 'global-reset'; readonly cease: number; readonly changed: readonly string[] }
  | {
      readonly kind: 'remove-peer';
      readonly key: string;
      readonly peer: PeerConfig;
      readonly reason: 'deconfigured' | 'disabled';
      readonly cease: number;
      readonly changed: readonly string[];
    }
  | {
      readonly kind: 'add-peer';
      readonly key: string;
      readonly peer: PeerConfig;
      readonly reason: 'configured' | 'enabled';
      readonly changed: readonly string[];
    }
  | {
      readonly kind: 'reset-peer';
      readonly key: string;
      readonly peer: PeerConfig;
      readonly previous: PeerConfig;
      readonly cease: number;
      readonly changed: readonly string[];
    }
  | {
      readonly kind: 'refresh-peer';
      readonly key: string;
      readonly peer: PeerConfig;
      readonly previous: PeerConfig;
      /** Import side changed: re-run import policy over the peer's routes (ROUTE-REFRESH, RFC 2918). */
      readonly reimport: boolean;
      /** Export side changed: recompute what is advertised to the peer. */
      readonly reexport: boolean;
      readonly changed: readonly string[];
    }
  | {
      readonly kind: 'update-in-place';
      /** The peer concerned, or absent for global settings. */
      readonly key?: string;
      readonly changed: readonly string[];
    };

type PeerField = keyof StaticPeerConfig | keyof DynamicPeerConfig;
type FieldClass = 'reset' | 'import' | 'export' | 'in-place' | 'enable';

/** What a change of each peer field costs. Adding a field to PeerConfig breaks the build here. */
const PEER_FIELD_CLASS: { readonly [K in PeerField]: FieldClass } = {
  key: 'reset',
  kind: 'reset',
  address: 'reset',
  addressRange: 'reset',
  asn: 'reset',
  localAs: 'reset',
  type: 'reset',
  port: 'reset',
  localAddress: 'reset',
  holdTime: 'reset', // RFC 4271 4.2: negotiated in the OPEN
  keepaliveTime: 'reset',
  families: 'reset', // RFC 4760 8: capabilities are only exchanged in the OPEN
  gracefulRestart: 'reset', // RFC 4724 3: likewise
  addPath: 'reset', // RFC 7911 4: likewise
  routeReflectorClient: 'reset', // the peer's role changes which routes it may be sent (RFC 4456 6)
  password: 'reset', // TCP MD5 (RFC 2385) is a property of the connection
  ebgpMultihop: 'reset',
  ttlSecurity: 'reset',
  import: 'import',
  importPrefixes: 'import',
  acceptDefaultRoute: 'import',
  allowasIn: 'import',
  export: 'export',
  communities: 'export',
  largeCommunities: 'export',
  nextHopSelf: 'export',
  enabled: 'enable',
  name: 'in-place',
  passive: 'in-place', // only whether we dial; an established session is unaffected
  connectRetryTime: 'in-place',
  sendHoldTime: 'in-place', // RFC 9687: local only; the next connection uses the new value
  maxPrefix: 'in-place',
  maxPeers: 'in-place',
  // BFD is a session of its own beside BGP: timers change by Poll Sequence (RFC 5880 6.5), and
  // turning it on or off never resets the BGP session (daemon/bfd-link.ts).
  bfd: 'in-place',
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Dotted paths of the leaves that differ; arrays are compared whole. */
export function changedPaths(a: unknown, b: unknown, path = ''): string[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => changedPaths(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return isDeepStrictEqual(a, b) ? [] : [path];
}

const fieldOf = (path: string): PeerField => (path.split('.')[0] ?? path) as PeerField;

export function diffConfig(old: Config, next: Config): Change[] {
  const { peers: oldPeers, ...oldGlobal } = old;
  const { peers: nextPeers, ...nextGlobal } = next;
  const global = changedPaths(oldGlobal, nextGlobal);
  const identity = global.filter((p) => p === 'asn' || p === 'routerId');
  const globalReset = identity.length > 0;

  const removals: Change[] = [];
  const additions: Change[] = [];
  const perPeer: Change[] = [];
  const before = new Map(oldPeers.map((p) => [p.key, p] as const));
  const after = new Map(nextPeers.map((p) => [p.key, p] as const));

  for (const [key, prev] of before) {
    const cur = after.get(key);
    if (!cur) {
      if (prev.enabled) {
        removals.push({ kind: 'remove-peer', key, peer: prev, reason: 'deconfigured', cease: CeaseSub.PEER_DECONFIGURED, changed: [`peers[${key}]`] });
      }
      continue;
    }
    if (prev.enabled && !cur.enabled) {
      removals.push({ kind: 'remove-peer', key, peer: prev, reason: 'disabled', cease: CeaseSub.ADMINISTRATIVE_SHUTDOWN, changed: ['enabled'] });
      continue;
    }
    if (!prev.enabled && cur.enabled) {
      additions.push({ kind: 'add-peer', key, peer: cur, reason: 'enabled', changed: ['enabled'] });
      continue;
    }
    if (!cur.enabled || globalReset) continue;
    const change = classifyPeer(prev, cur);
    if (change) perPeer.push(change);
  }
  for (const [key, cur] of after) {
    if (!before.has(key) && cur.enabled) additions.push({ kind: 'add-peer', key, peer: cur, reason: 'configured', changed: [`peers[${key}]`] });
  }

  const out: Change[] = [];
  if (globalReset) out.push({ kind: 'global-reset', cease: CeaseSub.OTHER_CONFIGURATION_CHANGE, changed: identity });
  out.push(...removals, ...perPeer, ...additions);
  const rest = global.filter((p) => p !== 'asn' && p !== 'routerId');
  if (rest.length > 0) out.push({ kind: 'update-in-place', changed: rest });
  return out;
}

function classifyPeer(prev: PeerConfig, cur: PeerConfig): Change | undefined {
  if (prev === cur) return undefined; // one validated object (validate.ts ValidationMemo): unchanged
  const changed = changedPaths(prev, cur);
  if (changed.length === 0) return undefined;
  const classes = new Set(changed.map((p) => PEER_FIELD_CLASS[fieldOf(p)] ?? 'reset'));
  const key = cur.key;
  if (classes.has('reset')) {
    return { kind: 'reset-peer', key, peer: cur, previous: prev, cease: CeaseSub.OTHER_CONFIGURATION_CHANGE, changed };
  }
  if (classes.has('import') || classes.has('export')) {
    return { kind: 'refresh-peer', key, peer: cur, previous: prev, reimport: classes.has('import'), reexport: classes.has('export'), changed };
  }
  return { kind: 'update-in-place', key, changed };
}

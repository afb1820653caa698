/**
 * What the RIB keeps per configured peer: its configuration, its session facts while Established,
 * its Adj-RIB-In counters (the routes themselves hang off the destinations, loc-rib.ts), its
 * Adj-RIB-Out, and the derived values the hot path needs (role flags, compiled prefix filter,
 * export target, export memo).
 */
import type { RouteSource } from './adj-rib-in.js';
import type { AdjRibOut } from './adj-rib-out.js';
import type { ExportMemo } from './export-memo.js';
import type { ExportTarget } from './export.js';
import { compilePrefixFilter, type ImportPeer, type PrefixFilter } from './import.js';
import { addressSortKey, parseIPv4 } from '../util/inet.js';
import type { PeerRole, RibPeerConfig, RibSessionInfo } from './types.js';

export interface PeerState extends RouteSource {
  cfg: RibPeerConfig;
  role: PeerRole;
  ebgp: boolean;
  localAs: number;
  routerId: string;
  routerIdNum: number;
  session: RibSessionInfo | null;
  /** Routes of this peer in Adj-RIB-In (accepted or refused). */
  received: number;
  /** Of those, the ones that passed import. */
  accepted: number;
  /** Of `received` and `accepted`, the IPv6 ones (IPv4: the rest), for per-family counts. */
  receivedV6: number;
  acceptedV6: number;
  /** Of those, the ones marked stale (graceful restart). */
  stale: number;
  /** Import changes counted per prefix while the session is up (zeroed when it goes down). */
  imports: ImportCounters;
  /** Present while Established. */
  out: AdjRibOut | null;
  /** encode-out.ts ctxKey of the session (shared encodings). */
  ctxKey: number;
  filter: PrefixFilter | null;
  /** What import needs to know of the peer (import.ts). */
  importPeer: ImportPeer;
  /** The max-prefix line was logged for this session. */
  maxPrefixWarned: boolean;
  /** Refused next hops already logged for this session (rib.ts: once per peer per address, bounded). */
  nextHopsWarned: Set<string>;
  /** Present while Established. */
  target: ExportTarget | null;
  /** The export memo shared with every peer of the same export group (rib.ts), while Established. */
  memo: ExportMemo | null;
  memoKey: string | null;
}

/** The import side of BIRD's route change statistics (control/protocol.ts RouteChangeStats). */
export interface ImportCounters {
  readonly updates: { received: number; rejected: number; filtered: number; ignored: number; accepted: number };
  readonly withdraws: { received: number; ignored: number; accepted: number };
}

export const newImportCounters = (): ImportCounters => ({
  updates: { received: 0, rejected: 0, filtered: 0, ignored: 0, accepted: 0 },
  withdraws: { received: 0, ignored: 0, accepted: 0 },
});

export function createPeerState(cfg: RibPeerConfig): PeerState {
  const p: PeerState = {
    id: cfg.id,
    key: addressSortKey(cfg.id),
    cfg,
    role: cfg.role,
    ebgp: cfg.role === 'ebgp',
    localAs: cfg.localAs,
    routerId: '0.0.0.0',
    routerIdNum: 0,
    session: null,
    received: 0,
    accepted: 0,
    receivedV6: 0,
    acceptedV6: 0,
    stale: 0,
    preferred: 0,
    imports: newImportCounters(),
    out: null,
    ctxKey: 0,
    filter: null,
    importPeer: { ebgp: cfg.role === 'ebgp', localAs: cfg.localAs, allowasIn: cfg.allowasIn, directlyConnected: true, peerAddress: null },
    maxPrefixWarned: false,
    nextHopsWarned: new Set(),
    target: null,
    memo: null,
    memoKey: null,
  };
  applyConfig(p, cfg);
  return p;
}

/** Refreshes the derived fields after a configuration change. */
export function applyConfig(p: PeerState, cfg: RibPeerConfig): void {
  p.cfg = cfg;
  p.role = cfg.role;
  p.ebgp = cfg.role === 'ebgp';
  p.localAs = cfg.localAs;
  p.filter = cfg.importPrefixes === undefined ? null : compilePrefixFilter(cfg.importPrefixes);
  p.importPeer = { ...p.importPeer, ebgp: p.ebgp, localAs: cfg.localAs, allowasIn: cfg.allowasIn };
  p.target = p.session === null ? null : exportTarget(cfg, p.session);
}

export function applySession(p: PeerState, s: RibSessionInfo | null): void {
  p.session = s;
  if (s !== null) {
    p.routerId = s.routerId;
    p.routerIdNum = parseIPv4(s.routerId);
    // Kept when the session goes down: stale routes re-imported meanwhile are judged as received.
    p.importPeer = { ...p.importPeer, directlyConnected: s.directlyConnected, peerAddress: s.peerAddress };
  }
  p.target = s === null ? null : exportTarget(p.cfg, s);
}

function exportTarget(cfg: RibPeerConfig, session: RibSessionInfo): ExportTarget {
  const t: { -readonly [K in keyof ExportTarget]: ExportTarget[K] } = {
    id: cfg.id,
    role: cfg.role,
    localAs: cfg.localAs,
    nextHopSelf: cfg.nextHopSelf,
    session,
  };
  if (cfg.exportCommunities !== undefined) t.exportCommunities = cfg.exportCommunities;
  if (cfg.exportLargeCommunities !== undefined) t.exportLargeCommunities = cfg.exportLargeCommunities;
  return t;
}

/**
 * What the RIB keeps per configured peer: its configuration, its session facts while Established,
 * its Adj-RIB-In and Adj-RIB-Out, and the derived values the hot path needs (role flags, compiled
 * prefix filter, export target, export memo).
 */
import type { AdjRibIn, RouteSource } from './adj-rib-in.js';
import type { AdjRibOut } from './adj-rib-out.js';
import type { ExportMemo } from './export-memo.js';
import type { ExportTarget } from './export.js';
import { compilePrefixFilter, type PrefixFilter } from './import.js';
import { addressKey, routerIdNumber } from './prefix.js';
import type { PeerRole, RibPeerConfig, RibSessionInfo } from './types.js';

export interface PeerState extends RouteSource {
  cfg: RibPeerConfig;
  role: PeerRole;
  ebgp: boolean;
  localAs: number;
  routerId: string;
  routerIdNum: number;
  session: RibSessionInfo | null;
  readonly adjIn: AdjRibIn;
  /** Routes in adjIn that passed import. */
  accepted: number;
  /** Present while Established. */
  out: AdjRibOut | null;
  filter: PrefixFilter | null;
  /** The max-prefix line was logged for this session. */
  maxPrefixWarned: boolean;
  /** Present while Established. */
  target: ExportTarget | null;
  /** The export memo shared with every peer of the same export group (rib.ts), while Established. */
  memo: ExportMemo | null;
  memoKey: string | null;
}

export function createPeerState(cfg: RibPeerConfig): PeerState {
  const p: PeerState = {
    id: cfg.id,
    key: addressKey(cfg.id),
    cfg,
    role: cfg.role,
    ebgp: cfg.role === 'ebgp',
    localAs: cfg.localAs,
    routerId: '0.0.0.0',
    routerIdNum: 0,
    session: null,
    adjIn: new Map(),
    accepted: 0,
    out: null,
    filter: null,
    maxPrefixWarned: false,
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
  p.target = p.session === null ? null : exportTarget(cfg, p.session);
}

export function applySession(p: PeerState, s: RibSessionInfo | null): void {
  p.session = s;
  if (s !== null) {
    p.routerId = s.routerId;
    p.routerIdNum = routerIdNumber(s.routerId);
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

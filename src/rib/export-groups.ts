/**
 * Export, per peer, of one destination's best route: what the peer should have for it now. The
 * Adj-RIB-Out asks when it is pulled (adj-rib-out.ts OutFeed.want).
 *
 * Peers whose export-relevant settings are equal (exportGroupKey: role, our AS and next hops on the
 * session, families, added communities) form an export group and share one memo of
 * (family, source, source attribute set) -> exported attribute set, so a reflector with a thousand
 * clients computes each reflected attribute set once, not once per client. The first result
 * computed from a source set is also kept on the set itself (AttrSet.xEpoch/xSrc/xFam/xRes): with
 * one export group, which is the common case, the memo maps stay empty and a lookup is three field
 * compares. The per-peer rules (split horizon, ORIGINATOR_ID of the target) run before the memo;
 * the export policy after it, per prefix.
 */
import type { Route, RouteSource } from './adj-rib-in.js';
import type { PathWant } from './adj-rib-out.js';
import { candidateOf, type RouteCandidate } from './candidate.js';
import { canonicalOrder, compareCandidates } from './decision.js';
import type { AttrSet, AttrsStore } from './attrs-store.js';
import { ExportMemo } from './export-memo.js';
import { blockedForPeer, exportGroupAttrs, exportGroupKey } from './export.js';
import { txPathId, type DestId, type LocRib } from './loc-rib.js';
import type { PeerState } from './peer-state.js';
import { FAMILIES, type Family } from './types.js';

/**
 * The accepted routes of a destination, best first, then the others in ladder order (as multipath
 * ranks them: compareCandidates, then the canonical order). With `limit` "all" (Infinity) the order
 * of the others does not matter and they are not sorted.
 */
function rankedRoutes(rs: Route | Route[] | null, best: Route, limit: number): Route[] {
  if (!Array.isArray(rs)) return [best];
  const others: Route[] = [];
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i] as Route;
    if (r !== best && r.attrs !== null) others.push(r);
  }
  if (limit !== Infinity && others.length > 1) {
    const cands: RouteCandidate[] = others.map(candidateOf);
    cands.sort((a, b) => compareCandidates(a, b).order || canonicalOrder(a, b));
    return [best, ...cands.map((c) => c.route)];
  }
  return [best, ...others];
}

/** A memo larger than this is cleared (keys of released sets are never hit again). */
const MAX_MEMO_ENTRIES = 100_000;

interface Group {
  readonly memo: ExportMemo;
  users: number;
}

export class ExportGroups {
  readonly #store: AttrsStore;
  readonly #loc: LocRib;
  readonly #clusterId: string;
  /** Groups by export group key. */
  readonly #groups = new Map<string, Group>();
  /** Epochs of the memos in use: a cache entry on a set with another epoch is free to take. */
  readonly #liveEpochs = new Set<number>();

  constructor(store: AttrsStore, loc: LocRib, clusterId: string) {
    this.#store = store;
    this.#loc = loc;
    this.#clusterId = clusterId;
  }

  /** Moves a peer to the memo of its current export group (none without a session). */
  join(peer: PeerState): void {
    const key = peer.target === null ? null : exportGroupKey(peer.target);
    if (key === peer.memoKey) return;
    if (peer.memoKey !== null) {
      const g = this.#groups.get(peer.memoKey);
      if (g !== undefined && --g.users === 0) {
        this.#liveEpochs.delete(g.memo.epoch);
        g.memo.clear();
        this.#groups.delete(peer.memoKey);
      }
    }
    peer.memoKey = key;
    peer.memo = null;
    if (key === null) return;
    let g = this.#groups.get(key);
    if (g === undefined) {
      g = { memo: new ExportMemo(this.#store), users: 0 };
      this.#groups.set(key, g);
      this.#liveEpochs.add(g.memo.epoch);
    }
    g.users++;
    peer.memo = g.memo;
  }

  /** Peers in this peer's export group (they get the same batches: worth sharing encodings). */
  groupSize(peer: PeerState): number {
    return peer.memoKey === null ? 0 : (this.#groups.get(peer.memoKey)?.users ?? 0);
  }

  /** Forgets every memoized result (a route source changed: its role, AS or router id). */
  clearAll(): void {
    for (const g of this.#groups.values()) this.#clear(g.memo);
  }

  /** What `peer` should have for destination `id` now (null = nothing), with one reference for the caller. */
  want(peer: PeerState, id: DestId): AttrSet | null {
    const best = this.#loc.best(id);
    if (best === null || peer.target === null) return null;
    return this.#exportRoute(peer, id, best);
  }

  /**
   * ADD-PATH (RFC 7911, docs/decisions/0011-add-path.md): the paths `peer` should have for
   * destination `id` now. The accepted routes are ranked (the best, then the others by the ladder);
   * each goes through the same export rules as a best route; `addPathSend` "all" keeps every one
   * that passes, n the first n that pass. Each with its stable path id; one reference per set for
   * the caller.
   */
  wantPaths(peer: PeerState, id: DestId): PathWant[] {
    const loc = this.#loc;
    const best = loc.best(id);
    if (best === null || peer.target === null) return [];
    const limit = peer.cfg.addPathSend === undefined || peer.cfg.addPathSend === 'all' ? Infinity : peer.cfg.addPathSend;
    const out: PathWant[] = [];
    for (const r of rankedRoutes(loc.routes(id), best, limit)) {
      if (out.length >= limit) break;
      const a = this.#exportRoute(peer, id, r);
      if (a !== null) out.push({ pathId: txPathId(loc, id, r), attrs: a });
    }
    return out;
  }

  /** What `peer` is sent for route `r` of destination `id` (null = nothing), with one reference for the caller. */
  #exportRoute(peer: PeerState, id: DestId, r: Route): AttrSet | null {
    const loc = this.#loc;
    const target = peer.target;
    const acc = r.attrs;
    if (target === null || acc === null || blockedForPeer(acc.attrs, r.source, target)) return null;
    const base = this.#groupAttrs(peer, r.source, acc, loc.familyIndex(id));
    if (base === null) return null;
    const policy = peer.cfg.exportPolicy;
    if (policy !== undefined) {
      const p = policy({ prefix: loc.prefix(id), family: loc.family(id), from: r.source.id, attrs: base.attrs });
      if (p === null) return null;
      if (p.attrs !== base.attrs) return this.#store.intern(p.attrs);
    }
    this.#store.retain(base);
    return base;
  }

  /** The group part of export, memoized (the reference stays with the memo or the source set). */
  #groupAttrs(peer: PeerState, src: RouteSource, attrs: AttrSet, fi: 0 | 1): AttrSet | null {
    const memo = peer.memo;
    const target = peer.target;
    if (memo === null || target === null) return null; // no session: nothing is sent
    const epoch = memo.epoch;
    if (attrs.xEpoch === epoch && attrs.xSrc === src && attrs.xFam === fi) return attrs.xRes;
    const slotFree = attrs.xSrc === null || !this.#liveEpochs.has(attrs.xEpoch);
    if (!slotFree) {
      const known = memo.get(fi, src, attrs);
      if (known !== undefined) return known;
    }
    const a = exportGroupAttrs(attrs.attrs, FAMILIES[fi] as Family, src, target, this.#clusterId);
    const s = a === null ? null : this.#store.intern(a);
    // The set keeps the result only if that cannot make a reference cycle (see AttrSet.serial).
    if (slotFree && (s === null || s === attrs || s.serial > attrs.serial)) {
      const old = attrs.xRes;
      attrs.xEpoch = epoch;
      attrs.xSrc = src;
      attrs.xFam = fi;
      attrs.xRes = s;
      if (s === attrs) this.#store.release(s); // no reference on itself
      if (old !== null && old !== attrs) this.#store.release(old);
    } else {
      if (memo.size >= MAX_MEMO_ENTRIES) this.#clear(memo);
      memo.set(fi, src, attrs, s); // the memo keeps the reference
    }
    return s;
  }

  #clear(memo: ExportMemo): void {
    this.#liveEpochs.delete(memo.epoch);
    memo.clear();
    this.#liveEpochs.add(memo.epoch);
  }
}

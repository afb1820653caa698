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
import type { RouteSource } from './adj-rib-in.js';
import type { AttrSet, AttrsStore } from './attrs-store.js';
import { ExportMemo } from './export-memo.js';
import { blockedForPeer, exportGroupAttrs, exportGroupKey } from './export.js';
import type { DestId, LocRib } from './loc-rib.js';
import type { PeerState } from './peer-state.js';
import { FAMILIES, type Family } from './types.js';

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
    const loc = this.#loc;
    const best = loc.best(id);
    const target = peer.target;
    if (best === null || target === null) return null;
    const acc = best.attrs;
    if (acc === null || blockedForPeer(acc.attrs, best.source, target)) return null;
    const base = this.#groupAttrs(peer, best.source, acc, loc.familyIndex(id));
    if (base === null) return null;
    const policy = peer.cfg.exportPolicy;
    if (policy !== undefined) {
      const r = policy({ prefix: loc.prefix(id), family: loc.family(id), from: best.source.id, attrs: base.attrs });
      if (r === null) return null;
      if (r.attrs !== base.attrs) return this.#store.intern(r.attrs);
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

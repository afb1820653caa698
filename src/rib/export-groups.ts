/**
 * Export, per peer, of one destination's best route into the peer's Adj-RIB-Out.
 *
 * Peers whose export-relevant settings are equal (exportGroupKey: role, our AS and next hops on the
 * session, families, added communities) form an export group and share one memo of
 * (family, source, source attribute set) -> exported attribute set, so a reflector with a thousand
 * clients computes each reflected attribute set once, not once per client. The per-peer rules
 * (split horizon, ORIGINATOR_ID of the target) run before the memo; the export policy after it,
 * per prefix.
 */
import type { RouteSource } from './adj-rib-in.js';
import type { AttrSet, AttrsStore } from './attrs-store.js';
import { ExportMemo } from './export-memo.js';
import { blockedForPeer, exportGroupAttrs, exportGroupKey } from './export.js';
import type { Dest } from './loc-rib.js';
import type { PeerState } from './peer-state.js';
import type { Family } from './types.js';

export class ExportGroups {
  readonly #store: AttrsStore;
  readonly #clusterId: string;
  /** Memos by export group key, with the number of peers using each. */
  readonly #memos = new Map<string, { readonly memo: ExportMemo; users: number }>();

  constructor(store: AttrsStore, clusterId: string) {
    this.#store = store;
    this.#clusterId = clusterId;
  }

  /** Moves a peer to the memo of its current export group (none without a session). */
  join(peer: PeerState): void {
    const key = peer.target === null ? null : exportGroupKey(peer.target);
    if (key === peer.memoKey) return;
    if (peer.memoKey !== null) {
      const g = this.#memos.get(peer.memoKey);
      if (g !== undefined && --g.users === 0) {
        g.memo.clear();
        this.#memos.delete(peer.memoKey);
      }
    }
    peer.memoKey = key;
    peer.memo = null;
    if (key === null) return;
    let g = this.#memos.get(key);
    if (g === undefined) this.#memos.set(key, (g = { memo: new ExportMemo(this.#store), users: 0 }));
    g.users++;
    peer.memo = g.memo;
  }

  /** Forgets every memoized result (a route source changed: its role, AS or router id). */
  clearAll(): void {
    for (const g of this.#memos.values()) g.memo.clear();
  }

  /** Queues the peer's view of the destination's best route (null = withdraw if it was sent). */
  enqueue(peer: PeerState, d: Dest): void {
    const out = peer.out;
    if (out === null) return;
    const best = d.best;
    const target = peer.target;
    if (best === null || best.attrs === null || target === null || blockedForPeer(best.attrs.attrs, best.source, target)) {
      out.enqueue(d.prefix, null);
      return;
    }
    const base = this.#groupAttrs(peer, best.source, best.attrs, d.family);
    const policy = peer.cfg.exportPolicy;
    if (base === null || policy === undefined) {
      out.enqueue(d.prefix, base);
      return;
    }
    const r = policy({ prefix: d.prefix, family: d.family, from: best.source.id, attrs: base.attrs });
    if (r === null) out.enqueue(d.prefix, null);
    else if (r.attrs === base.attrs) out.enqueue(d.prefix, base);
    else {
      const s = this.#store.intern(r.attrs);
      out.enqueue(d.prefix, s);
      this.#store.release(s);
    }
  }

  /** The group part of export, memoized. */
  #groupAttrs(peer: PeerState, src: RouteSource, attrs: AttrSet, family: Family): AttrSet | null {
    const memo = peer.memo;
    const target = peer.target;
    if (memo === null || target === null) return null; // no session: nothing is sent
    const known = memo.get(family, src, attrs);
    if (known !== undefined) return known;
    const a = exportGroupAttrs(attrs.attrs, family, src, target, this.#clusterId);
    const s = a === null ? null : this.#store.intern(a);
    memo.set(family, src, attrs, s); // the memo keeps the reference
    return s;
  }
}

/**
 * The RIB (RFC 4271 3.2, 9): Adj-RIB-In per peer -> import -> Loc-RIB (decision, ECMP) -> export
 * and reflection -> Adj-RIB-Out per peer, pulled as packed UPDATEs. Protocol rules only: no sockets,
 * no timers. The speaker feeds it decoded, validated UPDATEs and session events, calls `decide()`
 * once per batch (from setImmediate), hands BestChange records to the kernel, and pulls each peer's
 * output when its socket can take more.
 *
 * Pieces: attrs-store (interning), adj-rib-in (routes, UPDATE split), import, decision, loc-rib,
 * reflect + export (+ export-memo), adj-rib-out (+ encode-out), originate, view. See docs/rib.md.
 */
import type { UpdateMsg } from '../codec/types.js';
import type { RouteView } from '../control/protocol.js';
import { silentLogger, type Logger } from '../util/log.js';
import { familyOfAfi, splitUpdate, type Route, type RouteSource } from './adj-rib-in.js';
import { AdjRibOut, type OutBatch } from './adj-rib-out.js';
import { AttrsStore, type AttrSet } from './attrs-store.js';
import { candidateOf, ecmpNextHops, sameForwarding } from './candidate.js';
import { multipathSet, selectBest } from './decision.js';
import { encodeBatch } from './encode-out.js';
import { ExportGroups } from './export-groups.js';
import { importAttrs, prefixAllowed, type ImportEnv, type ImportPeer, type ImportResult } from './import.js';
import { LocRib, type Dest } from './loc-rib.js';
import { sessionAddresses } from './next-hop.js';
import { originatedTable } from './originate.js';
import { applyConfig, applySession, createPeerState, type PeerState } from './peer-state.js';
import { canonicalPrefix, comparePrefixes, familyOf, routerIdNumber } from './prefix.js';
import type {
  BestChange,
  Family,
  OriginatedRoute,
  ReceiveResult,
  RejectReason,
  RibOptions,
  RibPeerConfig,
  RibSessionInfo,
} from './types.js';
import { toRouteView } from './view.js';

const MAX_MESSAGE = 4096; // RFC 4271 4
const MAX_MESSAGE_EXTENDED = 65535; // RFC 8654

const importPeer = (p: PeerState): ImportPeer => ({ ebgp: p.ebgp, localAs: p.localAs, allowasIn: p.cfg.allowasIn });

export class Rib {
  readonly #o: RibOptions;
  readonly #log: Logger;
  readonly #store = new AttrsStore();
  readonly #loc = new LocRib();
  readonly #peers = new Map<string, PeerState>();
  readonly #local: RouteSource;
  readonly #localRoutes = new Map<string, Route>();
  #ownAddresses = new Set<string>();
  /** Destinations to re-export to every peer at the next decide() even if their best is unchanged. */
  readonly #reexport = new Set<Dest>();
  readonly #exports: ExportGroups;

  constructor(o: RibOptions) {
    this.#o = o;
    this.#log = (o.log ?? silentLogger).child({ component: 'rib' });
    this.#exports = new ExportGroups(this.#store, o.clusterId);
    this.#local = {
      id: 'local',
      key: '',
      role: 'local',
      ebgp: false,
      localAs: o.localAs,
      routerId: o.routerId,
      routerIdNum: routerIdNumber(o.routerId),
    };
  }

  // ------------------------------------------------------------ peers

  /** Adds a peer, or updates one (its routes are re-imported and its output re-evaluated). */
  configurePeer(p: RibPeerConfig): void {
    const peer = this.#peers.get(p.id);
    if (peer === undefined) {
      this.#peers.set(p.id, createPeerState(p));
      return;
    }
    const roleChanged = peer.role !== p.role || peer.localAs !== p.localAs;
    applyConfig(peer, p);
    this.#exports.join(peer);
    // Its role and AS also matter when its routes are exported to others.
    if (roleChanged) this.#exports.clearAll();
    this.#reimport(peer);
    // Its routes may now be exported differently to others (role, policy results).
    for (const r of peer.adjIn.values()) {
      const d = this.#loc.get(r.prefix);
      if (d !== undefined && d.best === r) this.#reexport.add(d);
    }
    if (peer.out !== null) this.#dumpTo(peer);
  }

  /** Forgets a peer: its routes are withdrawn, its Adj-RIB-Out dropped. */
  removePeer(id: string): void {
    const peer = this.#peers.get(id);
    if (peer === undefined) return;
    for (const r of [...peer.adjIn.values()]) this.#withdraw(peer, r);
    peer.out?.clear();
    peer.out = null;
    applySession(peer, null);
    this.#exports.join(peer);
    this.#peers.delete(id);
    this.#exports.clearAll();
    this.#refreshOwnAddresses();
  }

  /** Session Established: queue the full table for it, then End-of-RIB per family (RFC 4724 2). */
  peerUp(id: string, s: RibSessionInfo): void {
    const peer = this.#peer(id);
    const oldRouterId = peer.routerId;
    applySession(peer, s);
    this.#exports.join(peer);
    peer.maxPrefixWarned = false;
    if (oldRouterId !== peer.routerId) {
      // Router id feeds the decision (RFC 4271 9.1.2.2 f) and ORIGINATOR_ID of reflected routes.
      this.#exports.clearAll();
      for (const r of peer.adjIn.values()) {
        if (r.attrs === null) continue;
        this.#loc.markDirty(r.prefix);
        const d = this.#loc.get(r.prefix);
        if (d !== undefined && d.best === r) this.#reexport.add(d);
      }
    }
    peer.out?.clear();
    peer.out = new AdjRibOut(this.#store, s.ctx.extendedMessage ? MAX_MESSAGE_EXTENDED : MAX_MESSAGE);
    this.#refreshOwnAddresses();
    this.#dumpTo(peer);
    peer.out.requestEndOfRib(s.families);
  }

  /**
   * Session gone. keepStale (RFC 4724 4.2, receiving speaker): "retain the routes received from the
   * peer for all the address families that were previously received in the Graceful Restart
   * Capability and MUST mark them as stale routes". Otherwise its routes are withdrawn.
   */
  peerDown(id: string, o: { keepStale: boolean }): void {
    const peer = this.#peer(id);
    peer.out?.clear();
    peer.out = null;
    applySession(peer, null);
    this.#exports.join(peer);
    this.#refreshOwnAddresses();
    if (o.keepStale) {
      for (const r of peer.adjIn.values()) {
        if (r.stale) continue;
        r.stale = true;
        if (r.attrs !== null) this.#loc.markDirty(r.prefix);
      }
    } else {
      for (const r of [...peer.adjIn.values()]) this.#withdraw(peer, r);
    }
  }

  /**
   * RFC 4724 4.2: after the peer's End-of-RIB for a family, or when its restart / stale timer
   * expires, the routes still stale are deleted. Returns how many were removed.
   */
  sweepStale(id: string, family?: Family): number {
    const peer = this.#peer(id);
    let n = 0;
    for (const r of [...peer.adjIn.values()]) {
      if (r.stale && (family === undefined || r.family === family)) {
        this.#withdraw(peer, r);
        n++;
      }
    }
    return n;
  }

  /**
   * RFC 2918 3: on a ROUTE-REFRESH the speaker "re-advertise[s] to that peer the Adj-RIB-Out of
   * the <AFI, SAFI>". Queues every route of the family again (pulled like any other output).
   */
  refresh(id: string, afi: number, safi: number): void {
    const peer = this.#peer(id);
    const family = familyOfAfi(afi, safi);
    if (family === null || peer.out === null || peer.session === null || !peer.session.families.includes(family)) return;
    peer.out.forgetAdvertised(family);
    this.#dumpTo(peer, family);
  }

  // ------------------------------------------------------------ input

  /** One decoded, validated UPDATE from a peer. */
  receive(id: string, u: UpdateMsg): ReceiveResult {
    const peer = this.#peer(id);
    const parts = splitUpdate(u);
    for (const f of parts.endOfRib) {
      const swept = this.sweepStale(id, f);
      if (swept > 0) this.#log.info({ peer: id, family: f, swept }, 'stale routes swept after end-of-rib');
    }
    for (const p of parts.withdrawn) {
      const r = peer.adjIn.get(p);
      if (r !== undefined) this.#withdraw(peer, r);
    }
    let accepted = 0;
    let rejected = 0;
    const env = this.#importEnv();
    for (const part of parts.announced) {
      const received = this.#store.intern(part.attrs);
      const base = importAttrs(received.attrs, importPeer(peer), env);
      const baseSet = base.attrs === null ? null : this.#store.intern(base.attrs);
      for (const prefix of part.prefixes) {
        if (this.#importOne(peer, prefix, part.family, received, base, baseSet)) accepted++;
        else rejected++;
      }
      this.#store.release(received);
      if (baseSet !== null) this.#store.release(baseSet);
    }
    return { endOfRib: parts.endOfRib, maxPrefixExceeded: this.#checkMaxPrefix(peer), accepted, rejected };
  }

  /** Replaces the set of originated prefixes. */
  setOriginated(routes: readonly OriginatedRoute[]): void {
    const table = originatedTable(routes);
    for (const [prefix, r] of [...this.#localRoutes]) {
      if (table.has(prefix)) continue;
      this.#localRoutes.delete(prefix);
      this.#loc.removeCandidate(r);
      this.#dropRouteRefs(r);
    }
    for (const [prefix, attrs] of table) {
      const set = this.#store.intern(attrs);
      const r = this.#localRoutes.get(prefix);
      if (r === undefined) {
        this.#store.retain(set);
        this.#store.retain(set);
        const route: Route = { prefix, family: familyOf(prefix), source: this.#local, received: set, attrs: set, reason: null, stale: false, lostBy: null };
        this.#localRoutes.set(prefix, route);
        this.#loc.addCandidate(route);
      } else if (r.attrs !== set) {
        this.#store.retain(set);
        this.#store.retain(set);
        this.#dropRouteRefs(r);
        r.received = set;
        r.attrs = set;
        this.#loc.markDirty(prefix);
      }
      this.#store.release(set);
    }
  }

  // ------------------------------------------------------------ decision

  /** Runs the decision over every dirty prefix, fills the Adj-RIB-Outs, returns forwarding changes. */
  decide(): BestChange[] {
    const changes: BestChange[] = [];
    const dirty = this.#loc.takeDirty();
    for (const d of dirty) this.#decideDest(d, changes);
    for (const d of this.#reexport) this.#exportToAll(d);
    this.#reexport.clear();
    for (const d of dirty) this.#loc.dropIfEmpty(d);
    if (this.#log.isLevelEnabled('debug')) this.#log.debug({ dirty: dirty.length, changes: changes.length }, 'decision run');
    return changes;
  }

  #decideDest(d: Dest, changes: BestChange[]): void {
    const c = d.candidates;
    let best: Route | null = null;
    let paths: readonly Route[] = [];
    if (c.length === 1) {
      best = c[0] as Route;
      best.lostBy = null;
      paths = [best];
    } else if (c.length > 1) {
      const cands = c.map(candidateOf);
      const dec = selectBest(cands);
      if (dec !== null) {
        best = dec.best.route;
        for (const x of cands) x.route.lostBy = dec.lostBy.get(x) ?? null;
        paths = multipathSet(dec.best, cands, cands.length).map((x) => x.route);
      }
    }
    const fib = best === null ? null : best.source.role === 'local' ? { local: true, nextHops: [] } : { local: false, nextHops: ecmpNextHops(paths, this.#o.maxPaths) };
    if (!sameForwarding(d.fib, fib)) {
      d.fib = fib;
      changes.push(fib === null ? { prefix: d.prefix, best: null } : { prefix: d.prefix, best: { local: fib.local, nextHops: [...fib.nextHops] } });
    }
    d.best = best;
    if (best !== d.exportedRoute || (best?.attrs ?? null) !== d.exportedAttrs) this.#exportToAll(d);
  }

  // ------------------------------------------------------------ export

  #exportToAll(d: Dest): void {
    d.exportedRoute = d.best;
    d.exportedAttrs = d.best?.attrs ?? null;
    for (const peer of this.#peers.values()) {
      if (peer.out !== null && peer.session !== null && peer.session.families.includes(d.family)) this.#exports.enqueue(peer, d);
    }
  }

  /** The whole Loc-RIB (or one family of it) towards one peer: initial dump, refresh, new configuration. */
  #dumpTo(peer: PeerState, only?: Family): void {
    const families = peer.session?.families ?? [];
    for (const d of this.#loc.values()) {
      if (d.best !== null && families.includes(d.family) && (only === undefined || d.family === only)) this.#exports.enqueue(peer, d);
    }
  }

  // ------------------------------------------------------------ output

  hasPending(id: string): boolean {
    return this.#peers.get(id)?.out?.hasPending() ?? false;
  }

  /** Pending output as grouped batches (no bytes); what nextMessages encodes. */
  nextBatches(id: string, budgetBytes: number): OutBatch[] {
    return this.#peers.get(id)?.out?.pull(budgetBytes) ?? [];
  }

  /** Encoded UPDATEs (and End-of-RIB after the initial dump), about `budgetBytes` in total. */
  nextMessages(id: string, budgetBytes: number): Buffer[] {
    const peer = this.#peers.get(id);
    if (peer?.out == null || peer.session === null) return [];
    const ctx = peer.session.ctx;
    const out: Buffer[] = [];
    for (const b of peer.out.pull(budgetBytes)) for (const buf of encodeBatch(b, ctx)) out.push(buf);
    return out;
  }

  // ------------------------------------------------------------ queries

  /** Every route (accepted and refused) for one prefix or all, best first, losers with their reason. */
  routes(prefix?: string): RouteView[] {
    let prefixes: string[];
    if (prefix !== undefined) {
      try {
        prefixes = [canonicalPrefix(prefix)];
      } catch {
        return [];
      }
    } else {
      const all = new Set<string>(this.#localRoutes.keys());
      for (const d of this.#loc.values()) all.add(d.prefix);
      for (const p of this.#peers.values()) for (const k of p.adjIn.keys()) all.add(k);
      prefixes = [...all].sort(comparePrefixes);
    }
    const views: RouteView[] = [];
    for (const p of prefixes) {
      const best = this.#loc.get(p)?.best ?? null;
      const rs: Route[] = [];
      const local = this.#localRoutes.get(p);
      if (local !== undefined) rs.push(local);
      for (const peer of this.#peers.values()) {
        const r = peer.adjIn.get(p);
        if (r !== undefined) rs.push(r);
      }
      rs.sort((a, b) => Number(b === best) - Number(a === best) || (a.source.key < b.source.key ? -1 : a.source.key > b.source.key ? 1 : 0));
      for (const r of rs) views.push(toRouteView(r, r === best));
    }
    return views;
  }

  counts(id: string): { received: number; accepted: number; advertised: number } {
    const p = this.#peers.get(id);
    if (p === undefined) return { received: 0, accepted: 0, advertised: 0 };
    return { received: p.adjIn.size, accepted: p.accepted, advertised: p.out?.advertisedCount ?? 0 };
  }

  /** Forwarding state of every prefix with a best route (kernel resync). */
  bestNextHops(): Map<string, { nextHops: string[]; local: boolean }> {
    const out = new Map<string, { nextHops: string[]; local: boolean }>();
    for (const d of this.#loc.values()) if (d.fib !== null) out.set(d.prefix, { nextHops: [...d.fib.nextHops], local: d.fib.local });
    return out;
  }

  /** Internals for tests and benchmarks. */
  stats(): { attrSets: number; attrRefs: number; prefixes: number; dirty: number } {
    return { attrSets: this.#store.size, attrRefs: this.#store.totalRefs, prefixes: this.#loc.size, dirty: this.#loc.dirtyCount };
  }

  // ------------------------------------------------------------ internals

  #peer(id: string): PeerState {
    const p = this.#peers.get(id);
    if (p === undefined) throw new Error(`rib: unknown peer ${id}`);
    return p;
  }

  #importEnv(): ImportEnv {
    return { localAs: this.#o.localAs, routerId: this.#o.routerId, clusterId: this.#o.clusterId, ownAddresses: this.#ownAddresses };
  }

  /** Applies the prefix-dependent rules and stores the route. True when accepted. */
  #importOne(peer: PeerState, prefix: string, family: Family, received: AttrSet, base: ImportResult, baseSet: AttrSet | null): boolean {
    let acc = baseSet;
    let reason: RejectReason | null = base.reason;
    let owned = false;
    if (acc !== null && !prefixAllowed(prefix, peer.cfg.acceptDefaultRoute, peer.filter)) {
      acc = null;
      reason = 'filtered';
    }
    const policy = peer.cfg.importPolicy;
    if (acc !== null && policy !== undefined) {
      const r = policy({ prefix, family, from: peer.id, attrs: acc.attrs });
      if (r === null) {
        acc = null;
        reason = 'policy';
      } else if (r.attrs !== acc.attrs) {
        acc = this.#store.intern(r.attrs);
        owned = true;
      }
    }
    this.#upsert(peer, prefix, family, received, acc, reason);
    if (owned && acc !== null) this.#store.release(acc);
    return acc !== null;
  }

  #upsert(peer: PeerState, prefix: string, family: Family, received: AttrSet, acc: AttrSet | null, reason: RejectReason | null): void {
    const s = this.#store;
    const r = peer.adjIn.get(prefix);
    if (r === undefined) {
      s.retain(received);
      if (acc !== null) s.retain(acc);
      const route: Route = { prefix, family, source: peer, received, attrs: acc, reason, stale: false, lostBy: null };
      peer.adjIn.set(prefix, route);
      if (acc !== null) {
        peer.accepted++;
        this.#loc.addCandidate(route);
      }
      return;
    }
    if (r.received !== received) {
      s.retain(received);
      s.release(r.received);
      r.received = received;
    }
    const was = r.attrs;
    if (was !== acc) {
      if (acc !== null) s.retain(acc);
      if (was !== null) s.release(was);
      r.attrs = acc;
    }
    r.reason = reason;
    const wasStale = r.stale;
    r.stale = false;
    if (acc !== null) {
      if (was === null) {
        peer.accepted++;
        this.#loc.addCandidate(r);
      } else if (was !== acc || wasStale) {
        this.#loc.markDirty(prefix);
      }
    } else if (was !== null) {
      peer.accepted--;
      this.#loc.removeCandidate(r);
    }
  }

  #withdraw(peer: PeerState, r: Route): void {
    peer.adjIn.delete(r.prefix);
    if (r.attrs !== null) {
      peer.accepted--;
      this.#loc.removeCandidate(r);
    }
    this.#dropRouteRefs(r);
  }

  #dropRouteRefs(r: Route): void {
    this.#store.release(r.received);
    if (r.attrs !== null) this.#store.release(r.attrs);
    r.attrs = null;
  }

  /** Import again from what was received (configuration or policy changed). */
  #reimport(peer: PeerState): void {
    const env = this.#importEnv();
    const bases = new Map<AttrSet, { base: ImportResult; set: AttrSet | null }>();
    for (const r of [...peer.adjIn.values()]) {
      let b = bases.get(r.received);
      if (b === undefined) {
        const base = importAttrs(r.received.attrs, importPeer(peer), env);
        b = { base, set: base.attrs === null ? null : this.#store.intern(base.attrs) };
        bases.set(r.received, b);
      }
      const stale = r.stale;
      this.#importOne(peer, r.prefix, r.family, r.received, b.base, b.set);
      if (stale) {
        r.stale = true; // a re-evaluation is not a re-announcement
        if (r.attrs !== null) this.#loc.markDirty(r.prefix);
      }
    }
    for (const b of bases.values()) if (b.set !== null) this.#store.release(b.set);
  }

  /** RFC 4486 / max-prefix: counts accepted prefixes. 'warn' logs once per session. */
  #checkMaxPrefix(peer: PeerState): boolean {
    const mp = peer.cfg.maxPrefix;
    if (mp === undefined || peer.accepted <= mp.limit) return false;
    if (!peer.maxPrefixWarned) {
      peer.maxPrefixWarned = true;
      this.#log.warn({ peer: peer.id, limit: mp.limit, accepted: peer.accepted, action: mp.action }, 'peer exceeded its max-prefix limit');
    }
    return mp.action === 'stop';
  }

  #refreshOwnAddresses(): void {
    const own = new Set<string>();
    for (const p of this.#peers.values()) if (p.session !== null) for (const a of sessionAddresses(p.session)) own.add(a);
    this.#ownAddresses = own;
  }
}

/**
 * The RIB (RFC 4271 3.2, 9): Adj-RIB-In per peer -> import -> Loc-RIB (decision, ECMP) -> export
 * and reflection -> Adj-RIB-Out per peer, pulled as packed UPDATEs. Protocol rules only: no sockets,
 * no timers. The speaker feeds it decoded, validated UPDATEs and session events, calls `decide()`
 * once per batch (from setImmediate), hands BestChange records to the kernel, and pulls each peer's
 * output when its socket can take more.
 *
 * Shape (docs/rib.md "Design"): one lookup of the prefix per UPDATE entry finds its destination id
 * (loc-rib.ts), under which the Loc-RIB keeps the routes of every source (Adj-RIB-In), the best, and
 * by which each peer's Adj-RIB-Out indexes what it was sent. A decision run appends each changed
 * destination once to the export journal shared by all peers; each peer's output is computed when
 * it is pulled.
 *
 * Pieces: attrs-store (+ attrs-hash: interning), adj-rib-in (routes, UPDATE split), import,
 * decision + decide-destination, loc-rib (+ prefix-index), export-journal, reflect + export
 * (+ export-groups, export-memo), adj-rib-out (+ encode-out), originate, view.
 */
import type { NlriEntry, PathAttrs, UpdateMsg } from '../codec/types.js';
import type { RouteChangeStats, RouteView } from '../control/protocol.js';
import { silentLogger, type Logger } from '../util/log.js';
import { familyOfAfi, Route, splitUpdate, type RouteSource } from './adj-rib-in.js';
import { AdjRibOut, batchWithText, type OutBatch, type OutBatchText, type OutFeed } from './adj-rib-out.js';
import { AttrsStore, type AttrSet } from './attrs-store.js';
import { decideDestination } from './decide-destination.js';
import { ctxKey, encodeBatch, SharedEncodings } from './encode-out.js';
import { ExportGroups } from './export-groups.js';
import { ExportJournal } from './export-journal.js';
import { importAttrs, prefixAllowed, withLocalPref, type ImportEnv } from './import.js';
import { addRoute, forEachRouteOf, LocRib, removeRoute, routeOf, type DestId } from './loc-rib.js';
import { nextHopClass, sessionAddresses } from './next-hop.js';
import { originatedTable } from './originate.js';
import { applyConfig, applySession, createPeerState, newImportCounters, type PeerState } from './peer-state.js';
import { parseIPv4 } from '../util/inet.js';
import { familyOf, type BestChange, type Family, type OriginatedRoute, type PrefixCounts, type ReceiveResult, type RejectReason, type RibOptions, type RibPeerConfig, type RibSessionInfo } from './types.js';
import { routeViews } from './view.js';

/** prefixAllowed's text for a peer without a prefix list (never called). */
const NO_TEXT = (): string => '';
const MAX_MESSAGE = 4096; // RFC 4271 4
const MAX_MESSAGE_EXTENDED = 65535; // RFC 8654

/** The prefix-independent import result of one received attribute set (once per UPDATE part). */
interface ImportBase {
  readonly set: AttrSet | null;
  readonly reason: RejectReason | null;
}

/** What importing one announced prefix did, in BIRD's route change categories. */
type ImportOutcome = 'accepted' | 'ignored' | 'filtered' | 'rejected';

/** Distinct refused next hops logged per peer and session. */
const NEXT_HOPS_LOGGED = 64;

/** Journal entries allowed beyond twice the table before lagging peers are made to walk the table. */
const JOURNAL_SLACK = 65536;

export class Rib {
  readonly #o: RibOptions;
  readonly #log: Logger;
  readonly #store = new AttrsStore();
  readonly #loc = new LocRib();
  readonly #journal = new ExportJournal(this.#loc);
  #holdEor = false;
  readonly #peers = new Map<string, PeerState>();
  readonly #feeds = new Map<PeerState, OutFeed>();
  readonly #local: RouteSource;
  readonly #localRoutes = new Map<string, Route>();
  #importEnv: ImportEnv;
  /** Counts of the UPDATE being received. */
  #accepted = 0;
  #rejected = 0;
  readonly #exports: ExportGroups;
  readonly #shared = new SharedEncodings();
  /** Some session sends ADD-PATH (#countAddPathTx). */
  #pathsOut = false;

  constructor(o: RibOptions) {
    this.#o = o;
    this.#log = (o.log ?? silentLogger).child({ component: 'rib' });
    this.#exports = new ExportGroups(this.#store, this.#loc, o.clusterId);
    this.#importEnv = { localAs: o.localAs, routerId: o.routerId, clusterId: o.clusterId, ownAddresses: new Set() };
    this.#local = { id: 'local', key: '', role: 'local', ebgp: false, localAs: o.localAs, routerId: o.routerId, routerIdNum: parseIPv4(o.routerId), preferred: 0 };
  }

  // ------------------------------------------------------------ peers

  /** Adds a peer, or updates one (its routes are re-imported and its output re-evaluated). */
  configurePeer(p: RibPeerConfig): void {
    const peer = this.#peers.get(p.id);
    if (peer === undefined) {
      const created = createPeerState(p);
      this.#peers.set(p.id, created);
      this.#feeds.set(created, {
        want: (d) => this.#exports.want(created, d),
        wantPaths: (d) => this.#exports.wantPaths(created, d),
        idle: (d) => this.#idle(d),
      });
      return;
    }
    const roleChanged = peer.role !== p.role || peer.localAs !== p.localAs;
    applyConfig(peer, p);
    this.#exports.join(peer);
    // Its role and AS also matter when its routes are exported to others.
    if (roleChanged) this.#exports.clearAll();
    // Re-imported, and (its role, policy results) re-exported to the others.
    this.#reimport(peer);
    if (peer.out !== null && peer.session !== null) peer.out.dump(peer.session.families);
  }

  /** Forgets a peer: its routes are withdrawn, its Adj-RIB-Out dropped. */
  removePeer(id: string): void {
    const peer = this.#peers.get(id);
    if (peer === undefined) return;
    this.#dropOut(peer);
    this.#withdrawAll(peer);
    applySession(peer, null);
    this.#exports.join(peer);
    this.#peers.delete(id);
    this.#feeds.delete(peer);
    this.#exports.clearAll();
    this.#refreshOwnAddresses();
    this.#compact(); // its Adj-RIB-Out may have held the last reference to many destinations
  }

  /** Session Established: queue the full table for it, then End-of-RIB per family (RFC 4724 2). */
  peerUp(id: string, s: RibSessionInfo): void {
    const peer = this.#peer(id);
    const oldRouterId = peer.routerId;
    applySession(peer, s);
    this.#exports.join(peer);
    peer.maxPrefixWarned = false;
    peer.nextHopsWarned.clear();
    if (oldRouterId !== peer.routerId) {
      // Router id feeds the decision (RFC 4271 9.1.2.2 f) and ORIGINATOR_ID of reflected routes.
      this.#exports.clearAll();
      this.#walk(peer, (id, r) => {
        if (r.attrs === null) return;
        this.#loc.setExportPending(id, true);
        this.#loc.markDirty(id);
      });
    }
    this.#dropOut(peer);
    const addPath = (s.ctx.addPathTx.has('1/1') ? 1 : 0) | (s.ctx.addPathTx.has('2/1') ? 2 : 0);
    const out = new AdjRibOut(this.#store, s.ctx.extendedMessage ? MAX_MESSAGE_EXTENDED : MAX_MESSAGE, this.#loc, this.#journal, addPath);
    peer.out = out;
    peer.addPathTx = addPath;
    this.#countAddPathTx();
    peer.ctxKey = ctxKey(s.ctx);
    this.#refreshOwnAddresses();
    out.dump(s.families);
    out.requestEndOfRib(s.families);
  }

  /**
   * Session gone. keepStale (RFC 4724 4.2, receiving speaker): "retain the routes received from the
   * peer for all the address families that were previously received in the Graceful Restart
   * Capability and MUST mark them as stale routes". Otherwise its routes are withdrawn.
   */
  peerDown(id: string, o: { keepStale: boolean }): void {
    const peer = this.#peer(id);
    peer.imports = newImportCounters();
    this.#dropOut(peer);
    applySession(peer, null);
    this.#exports.join(peer);
    this.#refreshOwnAddresses();
    if (o.keepStale) {
      this.#walk(peer, (id, r) => {
        if (r.stale) {
          // Stale for a refresh under way: now stale for the restart (ranked as such).
          if (r.refreshOnly && r.attrs !== null) this.#loc.markDirty(id);
          r.refreshOnly = false;
          return;
        }
        r.stale = true;
        peer.stale++;
        if (r.attrs !== null) this.#loc.markDirty(id);
      });
    } else {
      this.#withdrawAll(peer);
    }
    this.#compact(); // its Adj-RIB-Out may have held the last reference to many destinations
  }

  /**
   * RFC 4724 4.2: after the peer's End-of-RIB for a family, or when its restart / stale timer
   * expires, the routes still stale are deleted. Returns how many were removed.
   */
  sweepStale(id: string, family?: Family): number {
    const peer = this.#peer(id);
    if (peer.stale === 0) return 0;
    let n = 0;
    this.#walk(peer, (id, r) => {
      if (r.stale && (family === undefined || this.#loc.family(id) === family)) {
        this.#withdraw(peer, id, r);
        n++;
      }
    });
    return n;
  }

  /**
   * RFC 2918 3: on a ROUTE-REFRESH the speaker "re-advertise[s] to that peer the Adj-RIB-Out of
   * the <AFI, SAFI>". Walks the family again, sending every route even if it was sent before.
   */
  refresh(id: string, afi: number, safi: number, enhanced = false): void {
    const peer = this.#peer(id);
    const family = familyOfAfi(afi, safi);
    if (family === null || peer.out === null || peer.session === null || !peer.session.families.includes(family)) return;
    peer.out.dump([family], true);
    if (enhanced) peer.out.requestRefreshMarkers(family);
  }

  /**
   * The peer's BoRR (RFC 7313 4): "the receiving speaker MUST mark all the routes with the given AFI
   * and SAFI received from that peer as stale". What it re-sends clears the mark; its EoRR
   * (`sweepStale(peer, family)`) removes the rest. Returns the family, or null if not negotiated.
   */
  beginPeerRefresh(id: string, afi: number, safi: number): Family | null {
    const peer = this.#peer(id);
    const family = familyOfAfi(afi, safi);
    if (family === null || peer.session === null || !peer.session.families.includes(family)) return null;
    // Marked for the sweep only: the decision does not rank these below fresh routes, so the refresh
    // moves no best path (a route already stale from a restart stays what it is).
    this.#walk(peer, (dest, r) => {
      if (r.stale || this.#loc.family(dest) !== family) return;
      r.stale = true;
      r.refreshOnly = true;
      peer.stale++;
    });
    return family;
  }

  // ------------------------------------------------------------ input

  /** One decoded, validated UPDATE from a peer. */
  receive(id: string, u: UpdateMsg): ReceiveResult {
    const peer = this.#peer(id);
    this.#accepted = 0;
    this.#rejected = 0;
    const a = u.attrs;
    if (u.treatAsWithdraw !== true && (a === null || (a.mpReach === undefined && a.mpUnreach === undefined)) && (u.withdrawn.length > 0 || u.nlri.length > 0)) {
      // The common UPDATE, IPv4 only: no need to split it.
      this.#withdrawList(peer, u.withdrawn, u.withdrawnPathIds);
      if (a !== null && u.nlri.length > 0) this.#announce(peer, 'ipv4-unicast', a, u.nlri, u.nlriPathIds);
      return { endOfRib: [], maxPrefixExceeded: this.#checkMaxPrefix(peer), accepted: this.#accepted, rejected: this.#rejected };
    }
    const parts = splitUpdate(u);
    for (const f of parts.endOfRib) {
      const swept = this.sweepStale(id, f);
      if (swept > 0) this.#log.info({ peer: id, family: f, swept }, 'stale routes swept after end-of-rib');
    }
    this.#withdrawList(peer, parts.withdrawn, parts.withdrawnIds);
    for (const part of parts.announced) this.#announce(peer, part.family, part.attrs, part.prefixes, part.pathIds);
    return { endOfRib: parts.endOfRib, maxPrefixExceeded: this.#checkMaxPrefix(peer), accepted: this.#accepted, rejected: this.#rejected };
  }

  /** Withdraws (prefix, path id) routes of the peer; `ids` parallel to `prefixes` (RFC 7911), absent = path id 0. */
  #withdrawList(peer: PeerState, prefixes: readonly NlriEntry[], ids: readonly number[] | undefined): void {
    const loc = this.#loc;
    const counted = peer.imports.withdraws;
    counted.received += prefixes.length;
    for (let i = 0; i < prefixes.length; i++) {
      const id = loc.get(prefixes[i] as NlriEntry);
      const r = id < 0 ? undefined : routeOf(loc, id, peer, ids === undefined ? 0 : (ids[i] ?? 0));
      if (r !== undefined && r.attrs !== null) counted.accepted++;
      else counted.ignored++;
      if (r !== undefined) this.#withdraw(peer, id, r);
    }
  }

  /**
   * Prefixes announced with one attribute set: interned and imported once, then stored per prefix
   * (per (prefix, path id) with ADD-PATH: `ids` parallel to `prefixes`).
   */
  #announce(peer: PeerState, family: Family, attrs: PathAttrs, prefixes: readonly NlriEntry[], ids: readonly number[] | undefined): void {
    const loc = this.#loc;
    const received = this.#store.intern(attrs);
    const base = this.#importBase(peer, received);
    const counted = peer.imports.updates;
    counted.received += prefixes.length;
    for (let i = 0; i < prefixes.length; i++) {
      const outcome = this.#importOne(peer, loc.getOrCreate(prefixes[i] as NlriEntry, family), received, base, true, ids === undefined ? 0 : (ids[i] ?? 0));
      counted[outcome]++;
      if (outcome === 'accepted' || outcome === 'ignored') this.#accepted++;
      else this.#rejected++;
    }
    this.#store.release(received);
    if (base.set !== null) this.#store.release(base.set);
  }

  /** Replaces the set of originated prefixes. */
  setOriginated(routes: readonly OriginatedRoute[]): void {
    const table = originatedTable(routes);
    const s = this.#store;
    for (const [prefix, r] of [...this.#localRoutes]) {
      if (table.has(prefix)) continue;
      this.#localRoutes.delete(prefix);
      const id = this.#loc.get(prefix);
      if (id >= 0) {
        removeRoute(this.#loc, id, r);
        if (this.#pathsOut) this.#loc.setExportPending(id, true);
        this.#loc.markDirty(id);
      }
      s.release(r.received);
      if (r.attrs !== null) s.release(r.attrs);
      r.attrs = null;
    }
    for (const [prefix, attrs] of table) {
      const set = s.intern(attrs);
      const r = this.#localRoutes.get(prefix);
      const id = this.#loc.getOrCreate(prefix, familyOf(prefix));
      if (r === undefined) {
        s.retain(set);
        s.retain(set);
        const route = new Route(this.#local, set, set);
        this.#localRoutes.set(prefix, route);
        addRoute(this.#loc, id, route);
        this.#loc.markDirty(id);
      } else if (r.attrs !== set) {
        s.retain(set);
        s.retain(set);
        s.release(r.received);
        if (r.attrs !== null) s.release(r.attrs);
        r.received = set;
        r.attrs = set;
        this.#loc.setExportPending(id, true);
        this.#loc.markDirty(id);
      }
      s.release(set);
    }
  }

  // ------------------------------------------------------------ decision

  /**
   * Runs the decision over the dirty prefixes (at most `limit` of them, the oldest first; the others
   * stay queued: `pendingDecisions`), journals what changed for export, returns forwarding changes
   * (none with `report` false: nobody takes them, and an IPv4 prefix's text would be made for nothing).
   */
  decide(limit = Infinity, report = true): BestChange[] {
    const changes: BestChange[] = [];
    const dirty = this.#loc.takeDirty(limit);
    const into = report ? changes : null;
    for (let i = 0; i < dirty.length; i++) decideDestination(this.#loc, this.#journal, dirty[i] as DestId, this.#o.maxPaths, into);
    for (let i = 0; i < dirty.length; i++) this.#idle(dirty[i] as DestId);
    this.#trimJournal();
    this.#compact();
    if (this.#log.isLevelEnabled('debug')) this.#log.debug({ dirty: dirty.length, changes: changes.length }, 'decision run');
    return changes;
  }

  /**
   * Trims the journal behind the slowest peer. The journal holds one entry per change, not per
   * prefix: a peer that does not read (a stalled socket with hold time 0) would let it grow without
   * bound, so once it is more than twice the table (and 64 Ki entries) long, the peers holding its
   * older half skip to its end and walk the table instead (only differences are sent).
   */
  #trimJournal(): void {
    const j = this.#journal;
    if (j.length > 2 * this.#loc.size + JOURNAL_SLACK) {
      const half = j.end - (j.length >> 1);
      for (const p of this.#peers.values()) {
        if (p.out !== null && p.session !== null && p.out.cursor < half) p.out.resync(p.session.families);
      }
    }
    let readers = j.end;
    for (const p of this.#peers.values()) if (p.out !== null && p.out.cursor < readers) readers = p.out.cursor;
    j.trim(readers);
  }

  /** Dirty prefixes waiting for a decision run. */
  get pendingDecisions(): number {
    return this.#loc.dirtyCount;
  }

  // ------------------------------------------------------------ output

  /**
   * Holds End-of-RIB back from every peer (routes still flow) while on: RFC 4724 4.1, a restarting
   * speaker defers its selection, and so its End-of-RIB, until it has heard End-of-RIB from its
   * peers. Turning it off lets the held markers go at the next pull (the caller kicks the peers).
   */
  holdEndOfRib(hold: boolean): void {
    this.#holdEor = hold;
  }

  hasPending(id: string): boolean {
    return this.#peers.get(id)?.out?.hasPending() ?? false;
  }

  /** Pending output as grouped batches (no bytes), prefixes as text; what nextMessages encodes. */
  nextBatches(id: string, budgetBytes: number): OutBatchText[] {
    return this.#pull(id, budgetBytes).map(batchWithText);
  }

  /** Pending output as grouped batches, IPv4 prefixes the Loc-RIB keeps by number as numbers (the encoder's input). */
  #pull(id: string, budgetBytes: number): OutBatch[] {
    const peer = this.#peers.get(id);
    const feed = peer === undefined ? undefined : this.#feeds.get(peer);
    if (peer?.out == null || feed === undefined) return [];
    const batches = peer.out.pull(budgetBytes, feed, this.#holdEor);
    // Withdrawals sent are where destinations are forgotten (their last advertisement gone).
    if (batches.length > 0) this.#compact();
    return batches;
  }

  /**
   * Encoded UPDATEs (and End-of-RIB after the initial dump), about `budgetBytes` in total. Peers
   * of one export group may get the very same Buffers (encoded once); they are never modified.
   */
  nextMessages(id: string, budgetBytes: number): Buffer[] {
    const peer = this.#peers.get(id);
    if (peer?.out == null || peer.session === null) return [];
    const ctx = peer.session.ctx;
    const shared = this.#exports.groupSize(peer) > 1;
    const out: Buffer[] = [];
    for (const b of this.#pull(id, budgetBytes)) {
      const bufs = shared ? this.#shared.encode(b, ctx, peer.ctxKey) : encodeBatch(b, ctx);
      for (let i = 0; i < bufs.length; i++) out.push(bufs[i] as Buffer);
    }
    return out;
  }

  // ------------------------------------------------------------ queries

  /** Every route (accepted and refused) for one prefix or all, best first, losers with their reason. */
  routes(prefix?: string): RouteView[] {
    return routeViews(this.#loc, prefix);
  }

  counts(id: string): { received: number; accepted: number; advertised: number } {
    const p = this.#peers.get(id);
    if (p === undefined) return { received: 0, accepted: 0, advertised: 0 };
    return { received: p.received, accepted: p.accepted, advertised: p.out?.advertisedCount ?? 0 };
  }

  /** A peer's routes that are the best of their prefix, and its route change counters since its session came up. */
  routeStats(id: string): { preferred: number; changes: RouteChangeStats } {
    const p = this.#peers.get(id);
    const i = p?.imports ?? newImportCounters();
    const sent = p?.out?.sent ?? { updates: 0, withdraws: 0 };
    return {
      preferred: p?.preferred ?? 0,
      changes: { importUpdates: { ...i.updates }, importWithdraws: { ...i.withdraws }, exportUpdates: sent.updates, exportWithdraws: sent.withdraws },
    };
  }

  /** The same counts per family (docs/metrics.md). */
  familyCounts(id: string): Record<Family, PrefixCounts> {
    const p = this.#peers.get(id);
    if (p === undefined) return { 'ipv4-unicast': { received: 0, accepted: 0, advertised: 0 }, 'ipv6-unicast': { received: 0, accepted: 0, advertised: 0 } };
    const adv = p.out?.advertisedCount ?? 0;
    const adv6 = p.out?.advertisedV6Count ?? 0;
    return {
      'ipv4-unicast': { received: p.received - p.receivedV6, accepted: p.accepted - p.acceptedV6, advertised: adv - adv6 },
      'ipv6-unicast': { received: p.receivedV6, accepted: p.acceptedV6, advertised: adv6 },
    };
  }

  /** Loc-RIB size per family: destinations with a best route, and routes held (every source, accepted or refused). */
  tableCounts(): Record<Family, { destinations: number; paths: number }> {
    const loc = this.#loc;
    return {
      'ipv4-unicast': { destinations: loc.bestCount(0), paths: loc.pathCount(0) },
      'ipv6-unicast': { destinations: loc.bestCount(1), paths: loc.pathCount(1) },
    };
  }

  /** Forwarding state of every prefix with a best route (kernel resync). */
  bestNextHops(): Map<string, { nextHops: string[]; local: boolean }> {
    const out = new Map<string, { nextHops: string[]; local: boolean }>();
    const loc = this.#loc;
    for (let id = 0; id < loc.idLimit; id++) {
      const fib = loc.isLive(id) ? loc.fib(id) : null;
      if (fib !== null) out.set(loc.prefix(id), { nextHops: [...fib.nextHops], local: fib.local });
    }
    return out;
  }

  /** Internals for tests and benchmarks. */
  stats(): { attrSets: number; attrRefs: number; prefixes: number; dirty: number; journal: number; idLimit: number; setIdLimit: number; journalCapacity: number } {
    return {
      attrSets: this.#store.size,
      attrRefs: this.#store.totalRefs,
      prefixes: this.#loc.size,
      dirty: this.#loc.dirtyCount,
      journal: this.#journal.length,
      idLimit: this.#loc.idLimit,
      setIdLimit: this.#store.idLimit,
      journalCapacity: this.#journal.capacity,
    };
  }

  // ------------------------------------------------------------ internals

  #peer(id: string): PeerState {
    const p = this.#peers.get(id);
    if (p === undefined) throw new Error(`rib: unknown peer ${id}`);
    return p;
  }

  /** The prefix-independent import of a received set; the caller releases `set`. */
  #importBase(peer: PeerState, received: AttrSet): ImportBase {
    const base = importAttrs(received.attrs, peer.importPeer, this.#importEnv);
    if (base.attrs === null && base.nextHop !== undefined) this.#warnNextHop(peer, base.reason, base.nextHop);
    if (base.attrs === received.attrs) {
      this.#store.retain(received); // accepted unchanged: the same set
      return { set: received, reason: null };
    }
    return { set: base.attrs === null ? null : this.#store.intern(base.attrs), reason: base.reason };
  }

  /** Applies the prefix-dependent rules and stores the route. */
  #importOne(peer: PeerState, id: DestId, received: AttrSet, base: ImportBase, announced: boolean, pathId: number): ImportOutcome {
    let acc = base.set;
    let reason = base.reason;
    let owned = false;
    const loc = this.#loc;
    // The text (and the function that makes it) only for a peer with a prefix list: nothing per route otherwise.
    if (acc !== null && !prefixAllowed(loc.prefixLength(id), peer.filter === null ? NO_TEXT : () => loc.prefix(id), peer.cfg.acceptDefaultRoute, peer.filter)) {
      acc = null;
      reason = 'filtered';
    }
    const policy = peer.cfg.importPolicy;
    if (acc !== null && policy !== undefined) {
      const shown = withLocalPref(acc.attrs);
      const r = policy({ prefix: this.#loc.prefix(id), family: this.#loc.family(id), from: peer.id, attrs: shown });
      if (r === null) {
        acc = null;
        reason = 'policy';
      } else if (r.attrs !== shown) {
        acc = this.#store.intern(r.attrs);
        owned = true;
      }
    }
    const changed = this.#upsert(peer, id, received, acc, reason, announced, pathId);
    if (owned && acc !== null) this.#store.release(acc);
    if (acc !== null) return changed ? 'accepted' : 'ignored';
    return reason === 'filtered' || reason === 'policy' ? 'filtered' : 'rejected';
  }

  /**
   * Stores (peer, prefix, path id) -> route. `announced`: the peer sent it again (clears the stale
   * mark). False when the peer already had exactly this route (BIRD counts such an update as ignored).
   */
  #upsert(peer: PeerState, id: DestId, received: AttrSet, acc: AttrSet | null, reason: RejectReason | null, announced: boolean, pathId: number): boolean {
    const s = this.#store;
    const loc = this.#loc;
    const r = routeOf(loc, id, peer, pathId);
    if (r === undefined) {
      s.retain(received);
      if (acc !== null) s.retain(acc);
      const route = new Route(peer, received, acc, pathId);
      if (reason !== null) route.reason = reason;
      addRoute(loc, id, route);
      const v6 = loc.familyIndex(id);
      peer.received++;
      peer.receivedV6 += v6;
      if (acc !== null) {
        peer.accepted++;
        peer.acceptedV6 += v6;
        // A new path is exported to ADD-PATH peers even when the best stays (a changed one already is, below).
        if (this.#pathsOut) loc.setExportPending(id, true);
        loc.markDirty(id);
      }
      return true;
    }
    const same = r.received === received && r.attrs === acc && !(announced && r.stale);
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
      loc.setExportPending(id, true);
    }
    r.reason = reason;
    // A route stale for a refresh only was ranked as fresh: its re-announcement changes nothing.
    const wasStale = r.stale && !r.refreshOnly;
    if (announced && r.stale) {
      r.stale = false;
      r.refreshOnly = false;
      peer.stale--;
    }
    if (acc !== null) {
      if (was === null) {
        peer.accepted++;
        peer.acceptedV6 += loc.familyIndex(id);
      }
      if (was !== acc || (announced && wasStale)) loc.markDirty(id);
    } else if (was !== null) {
      peer.accepted--;
      peer.acceptedV6 -= loc.familyIndex(id);
      loc.markDirty(id);
    }
    return !same;
  }

  #withdraw(peer: PeerState, id: DestId, r: Route): void {
    removeRoute(this.#loc, id, r);
    const v6 = this.#loc.familyIndex(id);
    peer.received--;
    peer.receivedV6 -= v6;
    if (r.stale) peer.stale--;
    if (r.attrs !== null) {
      peer.accepted--;
      peer.acceptedV6 -= v6;
      // Withdrawn by path id from ADD-PATH peers even when it was not the best.
      if (this.#pathsOut) this.#loc.setExportPending(id, true);
      this.#loc.markDirty(id);
      this.#store.release(r.attrs);
      r.attrs = null;
    }
    this.#store.release(r.received);
    this.#idle(id);
  }

  /**
   * Calls f for each route of this peer, every path id (walks every destination: session events,
   * not per UPDATE). f may remove the route.
   */
  #walk(peer: PeerState, f: (id: DestId, r: Route) => void): void {
    if (peer.received === 0) return;
    const loc = this.#loc;
    for (let id = 0; id < loc.idLimit; id++) if (loc.isLive(id)) forEachRouteOf(loc, id, peer, (r) => f(id, r));
  }

  #withdrawAll(peer: PeerState): void {
    this.#walk(peer, (id, r) => this.#withdraw(peer, id, r));
  }

  /** Import again from what was received (configuration or policy changed); re-export its best routes. */
  #reimport(peer: PeerState): void {
    const bases = new Map<AttrSet, ImportBase>();
    this.#walk(peer, (id, r) => {
      let b = bases.get(r.received);
      if (b === undefined) bases.set(r.received, (b = this.#importBase(peer, r.received)));
      this.#importOne(peer, id, r.received, b, false, r.pathId);
      if (this.#loc.best(id) === r) {
        this.#loc.setExportPending(id, true);
        this.#loc.markDirty(id);
      }
    });
    for (const b of bases.values()) if (b.set !== null) this.#store.release(b.set);
  }

  /** Drops the peer's Adj-RIB-Out (session down or replaced). */
  #dropOut(peer: PeerState): void {
    const feed = this.#feeds.get(peer);
    if (peer.out !== null && feed !== undefined) peer.out.clear(feed);
    peer.out = null;
    if (peer.addPathTx !== 0) {
      peer.addPathTx = 0;
      this.#countAddPathTx();
    }
  }

  /**
   * Whether some session sends ADD-PATH: then a change of any route of a destination (not only of
   * its best) must be journaled for export (docs/decisions/0011-add-path.md 7). Without such a
   * session nothing changes on the hot path.
   */
  #countAddPathTx(): void {
    let any = false;
    for (const p of this.#peers.values()) if (p.addPathTx !== 0) any = true;
    this.#pathsOut = any;
  }

  /**
   * After a large withdrawal, gives the columns' capacity back (LocRib.compact, then every
   * Adj-RIB-Out's columns and the attribute store): a table of a million routes that is gone should
   * not leave its size behind. Cheap when there is nothing to do (a few comparisons).
   */
  #compact(): void {
    const limit = this.#loc.compact();
    // The export memos hold references to sets of routes that are gone (with two export groups or more).
    if (limit >= 0) this.#exports.clearAll();
    // The attribute sets are freed as the destinations are, or a little later (the last withdrawals pulled).
    const sets = this.#store.compact();
    if (limit < 0 && !sets) return;
    if (limit >= 0) {
      for (const p of this.#peers.values()) p.out?.cut(limit);
      this.#trimJournal();
      this.#journal.shrink();
    }
    this.#log.info({ destinations: this.#loc.size, idLimit: this.#loc.idLimit, attributeSets: this.#store.size, setIdLimit: this.#store.idLimit }, 'RIB compacted after a large withdrawal');
    this.#o.onCompacted?.();
  }

  /** Forgets a destination nothing refers to any more. */
  #idle(id: DestId): void {
    if (!this.#loc.isLive(id) || !this.#loc.idle(id)) return;
    this.#journal.remove(id);
    this.#loc.drop(id);
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

  /**
   * A refused next hop is logged once per peer and address for the session (not per route, not per
   * UPDATE); at most NEXT_HOPS_LOGGED addresses per session, then one line saying the rest are not.
   */
  #warnNextHop(peer: PeerState, reason: RejectReason, nextHop: string): void {
    const seen = peer.nextHopsWarned;
    if (seen.has(nextHop) || seen.size > NEXT_HOPS_LOGGED) return;
    if (seen.size === NEXT_HOPS_LOGGED) {
      seen.add('');
      this.#log.warn({ peer: peer.id, logged: NEXT_HOPS_LOGGED }, 'more refused next hops from this peer; not logged');
      return;
    }
    seen.add(nextHop);
    const c = nextHopClass(nextHop);
    this.#log.warn({ peer: peer.id, nextHop, reason, class: c }, 'next hop cannot be used: routes refused (kept in Adj-RIB-In, not selected)');
  }

  #refreshOwnAddresses(): void {
    const own = new Set<string>();
    for (const p of this.#peers.values()) if (p.session !== null) for (const a of sessionAddresses(p.session)) own.add(a);
    this.#importEnv = { ...this.#importEnv, ownAddresses: own };
  }
}

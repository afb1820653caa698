/**
 * Adj-RIB-Out of one peer: what it has been sent, indexed by destination id (one array slot per
 * prefix, no map), and where it is in the export journal and in a table dump.
 *
 * Nothing is queued per peer and per prefix. A decision run appends each changed destination once
 * to the shared export journal (export-journal.ts); a session start, a ROUTE-REFRESH or a new
 * configuration starts a dump (a walk of the Loc-RIB). When the peer's socket can take more,
 * `pull` walks the dump, then the journal from the peer's cursor, asks the RIB what the peer should
 * have for each destination now (`OutFeed.want`), and compares it with what was sent: latest wins
 * by construction (a prefix that flapped twice since the last pull is read once, in its current
 * state; a change back to what was sent, or a withdraw of what was never sent, sends nothing).
 *
 * A destination that is dirty (changed, not yet decided) is marked for export: its best route is
 * stale until the next decision run, which journals it again. Read from the journal it is skipped
 * (the new entry brings it back); met by a dump, the dump waits at it until the decision run (the
 * RIB kicks the peer then), so End-of-RIB still follows the whole table and a ROUTE-REFRESH still
 * resends it.
 *
 * The changes taken are grouped by (family, attribute set), withdrawals first, up to about
 * `budgetBytes` of UPDATEs; what is taken counts as advertised from then on. A dump walks one family
 * after the other, and End-of-RIB (RFC 4724 2) follows the walk of each family.
 *
 * References: every advertised entry holds one reference on its attribute set.
 */
import type { NlriEntry } from '../codec/pack.js';
import type { PathAttrs } from '../codec/types.js';
import { nlriText } from '../codec/nlri.js';
import type { AttrSet, AttrsStore } from './attrs-store.js';
import type { ExportJournal } from './export-journal.js';
import type { DestId, LocRib } from './loc-rib.js';
import { FAMILIES, type Family } from './types.js';
import { grownSlots, grownTyped } from '../util/grown-slots.js';

/**
 * `pathIds` (RFC 7911), parallel to `prefixes`, only in a family the session sends ADD-PATH in.
 * Prefixes as the encoder takes them (OutBatch: an IPv4 prefix the Loc-RIB keeps by number is a
 * number) or as text (OutBatchText, Rib.nextBatches).
 */
type Batch<P extends NlriEntry> =
  | { readonly kind: 'withdraw'; readonly family: Family; readonly prefixes: readonly P[]; readonly pathIds?: readonly number[] }
  | { readonly kind: 'announce'; readonly family: Family; readonly attrs: AttrSet; readonly prefixes: readonly P[]; readonly pathIds?: readonly number[] }
  | { readonly kind: 'end-of-rib'; readonly family: Family }
  /** RFC 7313 3.2: Beginning (1) / End (2) of a Route Refresh, around the answer to a ROUTE-REFRESH. */
  | { readonly kind: 'refresh-marker'; readonly family: Family; readonly subtype: 1 | 2 };
export type OutBatch = Batch<NlriEntry>;
export type OutBatchText = Batch<string>;

/** The prefixes as text: the list itself when it has no number. */
export function prefixTexts(list: readonly NlriEntry[]): readonly string[] {
  return list.every((p) => typeof p === 'string') ? (list as readonly string[]) : list.map(nlriText);
}

/** The batch with its prefixes as text (what a reader of batches, not the encoder, wants). */
export function batchWithText(b: OutBatch): OutBatchText {
  if (b.kind !== 'withdraw' && b.kind !== 'announce') return b;
  return { ...b, prefixes: prefixTexts(b.prefixes) };
}

/** One path a peer receiving ADD-PATH should have: our path id for it and its attributes. */
export interface PathWant {
  readonly pathId: number;
  readonly attrs: AttrSet;
}

/** What the RIB tells an Adj-RIB-Out while it is pulled. */
export interface OutFeed {
  /** What the peer should have for destination `id` now (null = nothing), with one reference for the caller. */
  want(id: DestId): AttrSet | null;
  /**
   * ADD-PATH (RFC 7911): every path the peer should have for destination `id` now, distinct path
   * ids, one reference on each set for the caller. Asked only in families the session sends path ids in.
   */
  wantPaths(id: DestId): readonly PathWant[];
  /** Destination `id` is advertised to no peer any more (the RIB may drop it). */
  idle(id: DestId): void;
}

/** RFC 4271 4.3: marker, length, type, withdrawn length, attributes length. */
const UPDATE_OVERHEAD = 23;
/** RFC 7911 3: the Path Identifier before each NLRI entry. */
const PATH_ID_BYTES = 4;

/** A close upper estimate of the encoded path attribute block (for budgeting only; cached per set). */
export function estimateAttrsBytes(s: AttrSet): number {
  if (s.wireEstimate >= 0) return s.wireEstimate;
  const a: PathAttrs = s.attrs;
  let n = 0;
  if (a.origin !== undefined) n += 4;
  const path = a.asPath;
  if (path !== undefined) {
    n += 4;
    for (let i = 0; i < path.length; i++) n += 2 + 4 * (path[i] as (typeof path)[number]).asns.length;
  }
  if (a.nextHop !== undefined) n += 7;
  if (a.med !== undefined) n += 7;
  if (a.localPref !== undefined) n += 7;
  if (a.atomicAggregate === true) n += 3;
  if (a.aggregator !== undefined) n += 11;
  if (a.communities !== undefined) n += 4 + 4 * a.communities.length;
  if (a.originatorId !== undefined) n += 7;
  if (a.clusterList !== undefined) n += 4 + 4 * a.clusterList.length;
  if (a.mpReach !== undefined) n += 4 + 5 + 16 * a.mpReach.nextHops.length + 1;
  if (a.extCommunities !== undefined) n += 4 + 8 * a.extCommunities.length;
  if (a.largeCommunities !== undefined) n += 4 + 12 * a.largeCommunities.length;
  const unknown = a.unknown;
  if (unknown !== undefined) for (let i = 0; i < unknown.length; i++) n += 4 + (unknown[i] as (typeof unknown)[number]).value.length;
  s.wireEstimate = n;
  return n;
}

const familyBit = (f: Family): number => (f === 'ipv4-unicast' ? 1 : 2);

interface Group {
  readonly attrs: AttrSet | null;
  readonly prefixes: NlriEntry[];
  /** Path ids parallel to prefixes (ADD-PATH families only). */
  readonly ids: number[] | null;
  /** Bytes of prefixes in the message being filled. */
  fill: number;
  /** Header and attributes of each message of this group, and the room left for prefixes. */
  readonly perMessage: number;
  readonly room: number;
}

/** A walk of the Loc-RIB, one family after the other (so each family's End-of-RIB can follow it). */
interface Dump {
  /** Family bits (1 IPv4, 2 IPv6) still to walk, the current one included. */
  families: number;
  /** Family bits to send even where the peer already has the same (ROUTE-REFRESH). */
  force: number;
  /** The family being walked (0 IPv4, 1 IPv6) and the next destination id to look at. */
  fi: 0 | 1;
  pos: number;
  /** Per family: the force applies from this destination id on (what was resent already is not resent). */
  forceFrom: [number, number];
}

export class AdjRibOut {
  readonly #store: AttrsStore;
  readonly #maxMessageBytes: number;
  readonly #loc: LocRib;
  readonly #journal: ExportJournal;
  /** Destination id -> what the peer was sent. */
  #adv: (AttrSet | undefined)[] = [];
  /** Family bits (1 IPv4, 2 IPv6) the session sends ADD-PATH path ids in (RFC 7911). */
  readonly #addPath: number;
  /**
   * In those families: destination id -> what the peer was sent (instead of #adv), by path id. One
   * path (the common case: a Map per destination per peer cost ~170 MB at 1,000 ADD-PATH clients) is
   * the AttrSet itself with its path id in #advPathId; a second path makes it a Map.
   */
  #advPaths: (AttrSet | Map<number, AttrSet> | undefined)[] = [];
  /** Destination id -> the path id of a single-path #advPaths entry. */
  #advPathId = new Uint32Array(0);
  #advertised = 0;
  /** Prefixes announced and withdrawn to the peer (BIRD's export route change stats). */
  #announcements = 0;
  #withdrawals = 0;
  /** Of #advertised, the IPv6 prefixes. */
  #advertisedV6 = 0;
  /** Next journal position to read. */
  #cursor: number;
  #dump: Dump | null = null;
  /**
   * A destination taken from the dump or the journal but not processed yet (it did not fit), or -1.
   * Held here, so trimming the journal does not lose it; skipped if it was dropped meanwhile.
   */
  #carry: DestId = -1;
  #carryFromDump = false;
  #eorPending: Family[] = [];
  /** RFC 7313: BoRR to send before the next changes, EoRR once the dump has walked the family. */
  #borrPending: Family[] = [];
  #eorrPending: Family[] = [];

  constructor(store: AttrsStore, maxMessageBytes: number, loc: LocRib, journal: ExportJournal, addPathFamilies = 0) {
    this.#store = store;
    this.#addPath = addPathFamilies;
    this.#maxMessageBytes = maxMessageBytes;
    this.#loc = loc;
    this.#journal = journal;
    this.#cursor = journal.end;
  }

  /** Walks the whole Loc-RIB (these families) for this peer; `force` resends what it already has. */
  dump(families: readonly Family[], force = false): void {
    let bits = 0;
    for (const f of families) bits |= familyBit(f);
    if (bits === 0) return;
    const d = this.#dump;
    // A dump already under way starts over with the union of both: what it already sent is compared,
    // not sent again, and what it already resent for a ROUTE-REFRESH is not resent a second time.
    const all = bits | (d?.families ?? 0);
    let forceBits = force ? bits : 0;
    const forceFrom: [number, number] = [0, 0];
    if (d !== null) {
      for (let fi = 0; fi < 2; fi++) {
        const bit = 1 << fi;
        if ((d.force & bit) === 0 || (forceBits & bit) !== 0 || (d.families & bit) === 0) continue;
        forceBits |= bit;
        if (d.fi !== fi) forceFrom[fi] = d.forceFrom[fi] as number;
        else forceFrom[fi] = this.#carry >= 0 && this.#carryFromDump ? this.#carry : d.pos;
      }
    }
    this.#dump = { families: all, force: forceBits, fi: (all & 1) !== 0 ? 0 : 1, pos: 0, forceFrom };
  }

  /**
   * Skips to the end of the journal and walks the table instead (unforced: only what differs from
   * what the peer has is sent). For a peer so far behind that the journal would grow without bound
   * while it holds the journal's head.
   */
  resync(families: readonly Family[]): void {
    this.#cursor = this.#journal.end;
    if (this.#carry >= 0 && !this.#carryFromDump) this.#carry = -1; // the walk reaches it too
    this.dump(families);
  }

  /** Asks for End-of-RIB of these families, each once the dump has walked it. */
  requestEndOfRib(families: readonly Family[]): void {
    for (const f of families) if (!this.#eorPending.includes(f)) this.#eorPending.push(f);
  }

  /**
   * Enhanced route refresh (RFC 7313 4): the answer to a ROUTE-REFRESH for `family` (the dump the
   * caller starts) is sent between a BoRR and an EoRR, so the peer can purge what it no longer gets.
   */
  requestRefreshMarkers(family: Family): void {
    // RFC 7313 4: a speaker that supports graceful restart "MUST NOT send a BoRR for an <AFI, SAFI>
    // to a neighbor before it sends the EoR for the <AFI, SAFI> to the neighbor". Before our
    // End-of-RIB the re-dump alone answers the refresh (End-of-RIB follows it).
    if (this.#eorPending.includes(family)) return;
    if (!this.#borrPending.includes(family)) this.#borrPending.push(family);
    if (!this.#eorrPending.includes(family)) this.#eorrPending.push(family);
  }

  /** True when a pull may have something to send. */
  hasPending(): boolean {
    return (
      this.#dump !== null ||
      this.#carry >= 0 ||
      this.#cursor < this.#journal.end ||
      this.#eorPending.length > 0 ||
      this.#borrPending.length > 0 ||
      this.#eorrPending.length > 0
    );
  }

  /** The journal position this peer has read up to (the journal is trimmed behind every peer). */
  get cursor(): number {
    return this.#cursor;
  }

  get advertisedCount(): number {
    return this.#advertised;
  }

  /** Prefixes announced (updates) and withdrawn to the peer since this Adj-RIB-Out was made (the session came up). */
  get sent(): { readonly updates: number; readonly withdraws: number } {
    return { updates: this.#announcements, withdraws: this.#withdrawals };
  }

  /** Of advertisedCount, the IPv6 prefixes. */
  get advertisedV6Count(): number {
    return this.#advertisedV6;
  }

  advertisedAttrs(id: DestId): AttrSet | undefined {
    return this.#adv[id];
  }

  /** ADD-PATH families: what the peer was sent for destination `id`, by path id. */
  advertisedPaths(id: DestId): ReadonlyMap<number, AttrSet> | undefined {
    const e = this.#advPaths[id];
    return e === undefined || e instanceof Map ? e : new Map([[this.#advPathId[id] as number, e]]);
  }

  /** ADD-PATH: what the peer was sent for (destination, path id). */
  #sentPath(id: DestId, pathId: number): AttrSet | undefined {
    const e = this.#advPaths[id];
    if (e === undefined || e instanceof Map) return e?.get(pathId);
    return this.#advPathId[id] === pathId ? e : undefined;
  }

  /**
   * Takes the next changes worth about `budgetBytes` of UPDATEs and groups them: withdrawals per
   * family first, then announcements per (family, attribute set), then End-of-RIB for each
   * requested family once the dump is done (and `holdEndOfRib` is off). Always makes progress: at least one prefix when there
   * is anything to send.
   */
  pull(budgetBytes: number, feed: OutFeed, holdEndOfRib = false): OutBatch[] {
    const max = this.#maxMessageBytes;
    const withdraws: [Group | null, Group | null] = [null, null];
    const groups: [Map<AttrSet, Group>, Map<AttrSet, Group>] = [new Map(), new Map()];
    const store = this.#store;
    let used = 0;
    let taken = 0;
    const loc = this.#loc;
    for (let id = this.#next(); id >= 0; id = this.#next()) {
      if (loc.isDirty(id)) {
        loc.setExportPending(id, true);
        // A dump waits here for the decision run (it stays the carry); the journal brings it back.
        if (this.#carryFromDump) break;
        this.#carry = -1;
        continue;
      }
      const fi = loc.familyIndex(id);
      const dump = this.#dump;
      const forced = this.#carryFromDump && dump !== null && (dump.force & (1 << fi)) !== 0 && id >= (dump.forceFrom[fi] as number);
      if ((this.#addPath & (1 << fi)) !== 0) {
        // RFC 7911: several paths of this destination, each by its path id.
        const extra = this.#pathChanges(id, forced, feed, fi, withdraws, groups, max, taken > 0 ? budgetBytes - used : Infinity);
        if (extra < 0) break;
        this.#carry = -1;
        if (extra > 0) taken++;
        used += extra;
        continue;
      }
      // Read afresh each time: #record may have grown the column into a new array (grownSlots).
      const have = this.#adv[id];
      const want = feed.want(id);
      if (want === (have ?? null) && (want === null || !forced)) {
        if (want !== null) store.release(want);
        this.#carry = -1;
        continue;
      }
      let g = want === null ? withdraws[fi] : groups[fi].get(want);
      const isNew = g === undefined || g === null;
      if (g === undefined || g === null) {
        const perMessage = UPDATE_OVERHEAD + (want === null ? 10 * fi : estimateAttrsBytes(want));
        g = { attrs: want, prefixes: [], ids: null, fill: max, perMessage, room: max - perMessage };
      }
      const b = loc.wireBytes(id);
      // A group whose current message is full (or a new group) starts a message.
      const extra = g.fill + b > g.room ? g.perMessage + b : b;
      if (taken > 0 && used + extra > budgetBytes) {
        if (want !== null) store.release(want);
        break;
      }
      this.#carry = -1;
      if (isNew) {
        if (want === null) withdraws[fi] = g;
        else groups[fi].set(want, g);
      }
      g.fill = extra === b ? g.fill + b : b;
      g.prefixes.push(loc.nlri(id));
      used += extra;
      taken++;
      this.#record(id, have, want, feed);
    }
    const out: OutBatch[] = [];
    // BoRR first: everything taken in this pull comes after it (RFC 7313 4).
    for (const f of this.#borrPending) out.push({ kind: 'refresh-marker', family: f, subtype: 1 });
    this.#borrPending = [];
    for (let fi = 0; fi < 2; fi++) {
      const w = withdraws[fi];
      if (w != null) {
        const family = FAMILIES[fi] as Family;
        out.push(w.ids === null ? { kind: 'withdraw', family, prefixes: w.prefixes } : { kind: 'withdraw', family, prefixes: w.prefixes, pathIds: w.ids });
      }
    }
    for (let fi = 0; fi < 2; fi++) {
      for (const g of (groups[fi] as Map<AttrSet, Group>).values()) {
        const family = FAMILIES[fi] as Family;
        const attrs = g.attrs as AttrSet;
        out.push(g.ids === null ? { kind: 'announce', family, attrs, prefixes: g.prefixes } : { kind: 'announce', family, attrs, prefixes: g.prefixes, pathIds: g.ids });
      }
    }
    if (this.#eorrPending.length > 0) {
      const walking = this.#dump?.families ?? 0;
      const ready = this.#eorrPending.filter((f) => (walking & familyBit(f)) === 0);
      for (const f of ready) out.push({ kind: 'refresh-marker', family: f, subtype: 2 });
      if (ready.length > 0) this.#eorrPending = this.#eorrPending.filter((f) => (walking & familyBit(f)) !== 0);
    }
    if (this.#eorPending.length > 0 && !holdEndOfRib) {
      const walking = this.#dump?.families ?? 0;
      const ready = this.#eorPending.filter((f) => (walking & familyBit(f)) === 0);
      for (const f of ready) out.push({ kind: 'end-of-rib', family: f });
      if (ready.length > 0) this.#eorPending = this.#eorPending.filter((f) => (walking & familyBit(f)) !== 0);
    }
    return out;
  }

  /** Forgets everything (session down), releasing every reference. */
  clear(feed: OutFeed): void {
    const adv = this.#adv;
    const loc = this.#loc;
    this.#adv = [];
    this.#advertised = 0;
    this.#advertisedV6 = 0;
    for (let id = 0; id < adv.length; id++) {
      const s = adv[id];
      if (s === undefined) continue;
      this.#store.release(s);
      if (loc.addAdvertised(id, -1) === 0) feed.idle(id);
    }
    const paths = this.#advPaths;
    this.#advPaths = [];
    this.#advPathId = new Uint32Array(0);
    for (let id = 0; id < paths.length; id++) {
      const m = paths[id];
      if (m === undefined) continue;
      if (m instanceof Map) for (const s of m.values()) this.#store.release(s);
      else this.#store.release(m);
      if (loc.addAdvertised(id, -1) === 0) feed.idle(id);
    }
    this.#dump = null;
    this.#carry = -1;
    this.#eorPending = [];
    this.#borrPending = [];
    this.#eorrPending = [];
    this.#cursor = this.#journal.end;
  }

  /**
   * The destination ids from `limit` on were given back (LocRib.compact: none of them is
   * advertised to anyone): the per-destination columns are cut there, into new arrays.
   */
  cut(limit: number): void {
    if (this.#adv.length > limit) this.#adv = this.#adv.slice(0, limit);
    if (this.#advPaths.length > limit) this.#advPaths = this.#advPaths.slice(0, limit);
    if (this.#advPathId.length > limit) this.#advPathId = this.#advPathId.slice(0, limit);
  }

  /** The peer now has `want` (its reference moves here) for destination `id` instead of `have`. */
  #record(id: DestId, have: AttrSet | undefined, want: AttrSet | null, feed: OutFeed): void {
    const adv = this.#adv;
    if (want !== null) {
      this.#announcements++;
      if (id >= adv.length) this.#adv = grownSlots(adv, id + 1, undefined);
      this.#adv[id] = want;
      if (have !== undefined) this.#store.release(have);
      else {
        this.#advertised++;
        this.#advertisedV6 += this.#loc.familyIndex(id);
        this.#loc.addAdvertised(id, 1);
      }
      return;
    }
    if (have === undefined) return;
    this.#withdrawals++;
    adv[id] = undefined;
    this.#store.release(have);
    this.#advertised--;
    this.#advertisedV6 -= this.#loc.familyIndex(id);
    if (this.#loc.addAdvertised(id, -1) === 0) feed.idle(id);
  }

  /**
   * ADD-PATH: compares what the peer should have for destination `id` (every selected path) with
   * what it was sent, by path id, and adds the differences to the groups (withdraws by path id,
   * announces with theirs). Returns the estimated bytes added (0: nothing to send), or -1 when
   * they do not fit in `room` (nothing is taken then).
   */
  #pathChanges(
    id: DestId,
    forced: boolean,
    feed: OutFeed,
    fi: 0 | 1,
    withdraws: [Group | null, Group | null],
    groups: [Map<AttrSet, Group>, Map<AttrSet, Group>],
    max: number,
    room: number,
  ): number {
    const store = this.#store;
    const have = this.#advPaths[id];
    const wants = feed.wantPaths(id);
    const changes: PathWant[] = [];
    for (let i = 0; i < wants.length; i++) {
      const w = wants[i] as PathWant;
      if (!forced && have !== undefined && this.#sentPath(id, w.pathId) === w.attrs) store.release(w.attrs);
      else changes.push(w);
    }
    let gone: number[] | null = null;
    if (have !== undefined) {
      const sent = have instanceof Map ? have.keys() : [this.#advPathId[id] as number];
      for (const pathId of sent) {
        let kept = false;
        for (let i = 0; i < wants.length && !kept; i++) kept = (wants[i] as PathWant).pathId === pathId;
        if (!kept) (gone ??= []).push(pathId);
      }
    }
    if (changes.length === 0 && gone === null) return 0;
    const b = this.#loc.wireBytes(id) + PATH_ID_BYTES;
    // A close estimate: each entry's bytes, and a message head for each group not started yet.
    let extra = 0;
    if (gone !== null) extra += gone.length * b + (withdraws[fi] == null ? UPDATE_OVERHEAD + 10 * fi : 0);
    for (const w of changes) extra += b + (groups[fi].has(w.attrs) ? 0 : UPDATE_OVERHEAD + estimateAttrsBytes(w.attrs));
    if (extra > room) {
      for (const w of changes) store.release(w.attrs);
      return -1;
    }
    const prefix = this.#loc.nlri(id);
    const add = (g: Group): void => {
      g.fill = g.fill + b > g.room ? b : g.fill + b;
      g.prefixes.push(prefix);
    };
    if (gone !== null) {
      let g = withdraws[fi];
      if (g == null) {
        const perMessage = UPDATE_OVERHEAD + 10 * fi;
        withdraws[fi] = g = { attrs: null, prefixes: [], ids: [], fill: max, perMessage, room: max - perMessage };
      }
      for (const pathId of gone) {
        add(g);
        (g.ids as number[]).push(pathId);
        this.#recordPath(id, pathId, null, feed);
      }
    }
    for (const w of changes) {
      let g = groups[fi].get(w.attrs);
      if (g === undefined) {
        const perMessage = UPDATE_OVERHEAD + estimateAttrsBytes(w.attrs);
        g = { attrs: w.attrs, prefixes: [], ids: [], fill: max, perMessage, room: max - perMessage };
        groups[fi].set(w.attrs, g);
      }
      add(g);
      (g.ids as number[]).push(w.pathId);
      this.#recordPath(id, w.pathId, w.attrs, feed);
    }
    return extra;
  }

  /** ADD-PATH: the peer now has `want` (its reference moves here) for (destination, path id), or nothing. */
  #recordPath(id: DestId, pathId: number, want: AttrSet | null, feed: OutFeed): void {
    const paths = this.#advPaths;
    const e = paths[id];
    const have = this.#sentPath(id, pathId);
    if (want !== null) {
      this.#announcements++;
      if (e === undefined) {
        if (id >= paths.length) this.#advPaths = grownSlots(paths, id + 1, undefined);
        if (id >= this.#advPathId.length) this.#advPathId = grownTyped(this.#advPathId, this.#advPaths.length);
        this.#advPaths[id] = want;
        this.#advPathId[id] = pathId;
        this.#loc.addAdvertised(id, 1);
      } else if (e instanceof Map) {
        e.set(pathId, want);
      } else if (have !== undefined) {
        paths[id] = want; // the same single path, new attributes
      } else {
        paths[id] = new Map([
          [this.#advPathId[id] as number, e],
          [pathId, want],
        ]);
      }
      if (have !== undefined) this.#store.release(have);
      else {
        this.#advertised++;
        this.#advertisedV6 += this.#loc.familyIndex(id);
      }
      return;
    }
    if (e === undefined || have === undefined) return;
    this.#withdrawals++;
    this.#store.release(have);
    this.#advertised--;
    this.#advertisedV6 -= this.#loc.familyIndex(id);
    let left = 0;
    if (e instanceof Map) {
      e.delete(pathId);
      left = e.size;
      if (left === 1) {
        // Back to the single-path form.
        const [onlyId, only] = e.entries().next().value as [number, AttrSet];
        paths[id] = only;
        this.#advPathId[id] = onlyId;
      }
    }
    if (left === 0) {
      paths[id] = undefined;
      if (this.#loc.addAdvertised(id, -1) === 0) feed.idle(id);
    }
  }

  /** The next destination to look at (kept as the carry until it is processed), or -1. */
  #next(): DestId {
    if (this.#carry >= 0) {
      if (this.#loc.isLive(this.#carry)) return this.#carry;
      this.#carry = -1; // dropped meanwhile (its id may not be reused before it is live again)
    }
    const dump = this.#dump;
    const loc = this.#loc;
    if (dump !== null) {
      for (;;) {
        while (dump.pos < loc.idLimit) {
          const id = dump.pos++;
          if (!loc.isLive(id) || loc.familyIndex(id) !== dump.fi) continue;
          this.#carry = id;
          this.#carryFromDump = true;
          return id;
        }
        // This family is walked: on to the next one, if any.
        dump.families &= ~(1 << dump.fi);
        if ((dump.families & 2) === 0) break;
        dump.fi = 1;
        dump.pos = 0;
      }
      this.#dump = null;
    }
    const j = this.#journal;
    while (this.#cursor < j.end) {
      const id = j.at(this.#cursor++);
      if (id < 0 || !loc.isLive(id)) continue;
      this.#carry = id;
      this.#carryFromDump = false;
      return id;
    }
    return -1;
  }
}

/**
 * Adj-RIB-Out of one peer: what it has been sent (`advertised`) and what is pending. Pending is
 * "latest wins" per prefix (a prefix that flaps twice before the socket drains is sent once, and a
 * change back to what was advertised is dropped). Output is pulled by byte budget: the oldest
 * pending changes are grouped by (family, attribute set) so one UPDATE carries as many prefixes as
 * fit; nothing encoded is queued here. Enqueueing is two Map operations (a route reflector with a
 * thousand clients enqueues a million). End-of-RIB (RFC 4724 2) follows the initial dump of each
 * family.
 *
 * References: every advertised entry and every pending announce holds one reference on its set.
 */
import type { PathAttrs } from '../codec/types.js';
import type { AttrSet, AttrsStore } from './attrs-store.js';
import { familyIndex, prefixWireBytes } from './prefix.js';
import type { Family } from './types.js';

export type OutBatch =
  | { readonly kind: 'withdraw'; readonly family: Family; readonly prefixes: readonly string[] }
  | { readonly kind: 'announce'; readonly family: Family; readonly attrs: AttrSet; readonly prefixes: readonly string[] }
  | { readonly kind: 'end-of-rib'; readonly family: Family };

/** Group key: an attribute set, or WITHDRAW. */
const WITHDRAW = null;
type GroupKey = AttrSet | typeof WITHDRAW;

/** RFC 4271 4.3: marker, length, type, withdrawn length, attributes length. */
const UPDATE_OVERHEAD = 23;

const sizeCache = new WeakMap<AttrSet, number>();

/** A close upper estimate of the encoded path attribute block (for budgeting only). */
export function estimateAttrsBytes(s: AttrSet): number {
  let n = sizeCache.get(s);
  if (n !== undefined) return n;
  const a: PathAttrs = s.attrs;
  n = 0;
  if (a.origin !== undefined) n += 4;
  if (a.asPath !== undefined) n += 4 + a.asPath.reduce((t, seg) => t + 2 + 4 * seg.asns.length, 0);
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
  for (const r of a.unknown ?? []) n += 4 + r.value.length;
  sizeCache.set(s, n);
  return n;
}

interface Group {
  readonly prefixes: string[];
  /** Bytes of prefixes in the message being filled. */
  fill: number;
  /** Header and attributes of each message of this group, and the room left for prefixes. */
  readonly perMessage: number;
  readonly room: number;
}

export class AdjRibOut {
  readonly #store: AttrsStore;
  readonly #maxMessageBytes: number;
  readonly #advertised = new Map<string, AttrSet>();
  /** prefix -> what to send (null = withdraw), in the order changes arrived; latest wins. */
  readonly #pending = new Map<string, AttrSet | null>();
  /** Pending entries per family (IPv4, IPv6), for End-of-RIB. */
  readonly #pendingPerFamily: [number, number] = [0, 0];
  readonly #eorPending = new Set<Family>();

  constructor(store: AttrsStore, maxMessageBytes: number) {
    this.#store = store;
    this.#maxMessageBytes = maxMessageBytes;
  }

  /** Records what the peer should have for `prefix` (null = nothing). Latest wins. */
  enqueue(prefix: string, attrs: AttrSet | null): void {
    const prev = this.#pending.get(prefix);
    if (prev !== undefined) {
      if (prev === attrs) return;
      this.#unpend(prefix, prev);
    }
    if (attrs === (this.#advertised.get(prefix) ?? null)) return; // the peer already has exactly this
    if (attrs !== null) this.#store.retain(attrs);
    this.#pending.set(prefix, attrs);
    this.#pendingPerFamily[prefix.includes(':') ? 1 : 0]++;
  }

  /** Asks for End-of-RIB of these families once their pending updates are all pulled. */
  requestEndOfRib(families: readonly Family[]): void {
    for (const f of families) this.#eorPending.add(f);
  }

  hasPending(): boolean {
    return this.#pending.size > 0 || this.#eorPending.size > 0;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  get advertisedCount(): number {
    return this.#advertised.size;
  }

  advertisedAttrs(prefix: string): AttrSet | undefined {
    return this.#advertised.get(prefix);
  }

  /** What is pending for a prefix (undefined = nothing pending, null = a withdraw). */
  pendingAttrs(prefix: string): AttrSet | null | undefined {
    return this.#pending.get(prefix);
  }

  /**
   * Takes the oldest pending changes worth about `budgetBytes` of UPDATEs and groups them:
   * withdrawals per family first, then announcements per (family, attribute set). Then End-of-RIB
   * for each requested family with nothing left pending. Always makes progress: at least one
   * prefix when anything is pending. What is taken counts as advertised from now on.
   */
  pull(budgetBytes: number): OutBatch[] {
    const max = this.#maxMessageBytes;
    const groups: [Map<GroupKey, Group>, Map<GroupKey, Group>] = [new Map(), new Map()];
    let used = 0;
    let taken = 0;
    for (const [p, key] of this.#pending) {
      const fi = p.includes(':') ? 1 : 0;
      const b = prefixWireBytes(p);
      let g = groups[fi].get(key);
      const isNew = g === undefined;
      if (g === undefined) {
        const perMessage = UPDATE_OVERHEAD + (key === WITHDRAW ? 10 * fi : estimateAttrsBytes(key));
        g = { prefixes: [], fill: max, perMessage, room: max - perMessage };
      }
      // A group whose current message is full (or a new group) starts a message.
      const extra = g.fill + b > g.room ? g.perMessage + b : b;
      if (taken > 0 && used + extra > budgetBytes) break;
      if (isNew) groups[fi].set(key, g);
      g.fill = extra === b ? g.fill + b : b;
      g.prefixes.push(p);
      used += extra;
      taken++;
    }
    const out: OutBatch[] = [];
    for (const [fi, family] of [[0, 'ipv4-unicast'], [1, 'ipv6-unicast']] as const) {
      const w = groups[fi].get(WITHDRAW);
      if (w !== undefined) out.push({ kind: 'withdraw', family, prefixes: w.prefixes });
    }
    for (const [fi, family] of [[0, 'ipv4-unicast'], [1, 'ipv6-unicast']] as const) {
      for (const [key, g] of groups[fi]) if (key !== WITHDRAW) out.push({ kind: 'announce', family, attrs: key, prefixes: g.prefixes });
    }
    for (const b of out) {
      if (b.kind === 'end-of-rib') continue;
      const attrs = b.kind === 'announce' ? b.attrs : null;
      for (const p of b.prefixes) {
        this.#pending.delete(p);
        this.#pendingPerFamily[p.includes(':') ? 1 : 0]--;
        const old = this.#advertised.get(p);
        if (attrs === null) this.#advertised.delete(p);
        else this.#advertised.set(p, attrs); // the pending reference moves to advertised
        if (old !== undefined) this.#store.release(old);
      }
    }
    for (const f of [...this.#eorPending]) {
      if (this.#pendingPerFamily[familyIndex(f)] === 0) {
        out.push({ kind: 'end-of-rib', family: f });
        this.#eorPending.delete(f);
      }
    }
    return out;
  }

  /**
   * Forgets what was advertised in one family, so the next dump sends all of it again (ROUTE-REFRESH,
   * RFC 2918 3). Pending withdrawals stay pending: the peer still holds those prefixes.
   */
  forgetAdvertised(family: Family): void {
    const v6 = family === 'ipv6-unicast';
    for (const [p, s] of this.#advertised) {
      if (p.includes(':') !== v6) continue;
      this.#advertised.delete(p);
      this.#store.release(s);
    }
  }

  /** Forgets everything (session down), releasing every reference. */
  clear(): void {
    for (const s of this.#advertised.values()) this.#store.release(s);
    for (const s of this.#pending.values()) if (s !== null) this.#store.release(s);
    this.#advertised.clear();
    this.#pending.clear();
    this.#pendingPerFamily[0] = 0;
    this.#pendingPerFamily[1] = 0;
    this.#eorPending.clear();
  }

  #unpend(prefix: string, key: GroupKey): void {
    this.#pending.delete(prefix);
    this.#pendingPerFamily[prefix.includes(':') ? 1 : 0]--;
    if (key !== null) this.#store.release(key);
  }
}

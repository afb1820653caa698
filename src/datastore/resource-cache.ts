/**
 * The etcd layer's copy of every key wren reads (datastore/etcd.ts): a map of RawResource at one
 * revision, changed by watch events one at a time or replaced whole by a re-list (after a
 * compaction, a lost connection, or at start), in which case the difference is what changed.
 * No I/O: the etcd layer feeds it.
 */
import type { DatastoreSnapshot, RawResource } from './types.js';
import { IPAM_BLOCK_PREFIX, IPAM_HOST_PREFIX, RESOURCES_PREFIX } from './types.js';

/** What a re-list changed compared with the copy it replaced. */
export interface ListDiff {
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
}

/** How many keys of each kind the copy holds (`wren show datastore`). */
export interface ResourceCounts {
  readonly nodes: number;
  readonly bgpPeers: number;
  readonly bgpConfigurations: number;
  readonly bgpFilters: number;
  readonly ipPools: number;
  readonly blocks: number;
  readonly affinities: number;
  readonly other: number;
}

const KIND_PREFIXES: readonly (readonly [string, keyof ResourceCounts])[] = [
  [`${RESOURCES_PREFIX}nodes/`, 'nodes'],
  [`${RESOURCES_PREFIX}bgppeers/`, 'bgpPeers'],
  [`${RESOURCES_PREFIX}bgpconfigurations/`, 'bgpConfigurations'],
  [`${RESOURCES_PREFIX}bgpfilters/`, 'bgpFilters'],
  [`${RESOURCES_PREFIX}ippools/`, 'ipPools'],
  [IPAM_BLOCK_PREFIX, 'blocks'],
  [IPAM_HOST_PREFIX, 'affinities'],
];

export function kindOfKey(key: string): keyof ResourceCounts {
  for (const [prefix, kind] of KIND_PREFIXES) if (key.startsWith(prefix)) return kind;
  return 'other';
}

export class ResourceCache {
  #resources = new Map<string, RawResource>();
  #revision = 0;
  #listed = false;

  /** True once a full list has been read (the first snapshot exists). */
  get listed(): boolean {
    return this.#listed;
  }

  get revision(): number {
    return this.#revision;
  }

  /** Replaces everything with a list read at `revision`; returns what differs from before. */
  replaceAll(list: readonly RawResource[], revision: number): ListDiff {
    const next = new Map<string, RawResource>();
    for (const r of list) next.set(r.key, r);
    let added = 0;
    let changed = 0;
    let removed = 0;
    for (const [key, r] of next) {
      const old = this.#resources.get(key);
      if (!old) added++;
      else if (old.value !== r.value) changed++;
    }
    for (const key of this.#resources.keys()) if (!next.has(key)) removed++;
    this.#resources = next;
    this.#revision = Math.max(this.#revision, revision);
    this.#listed = true;
    return { added, changed, removed };
  }

  /** A watch event. Returns whether the copy changed (an event at or below a newer key's revision is stale). */
  put(r: RawResource): boolean {
    const old = this.#resources.get(r.key);
    this.#revision = Math.max(this.#revision, r.modRevision);
    if (old && old.modRevision >= r.modRevision) return false;
    this.#resources.set(r.key, r);
    return old?.value !== r.value;
  }

  delete(key: string, revision: number): boolean {
    this.#revision = Math.max(this.#revision, revision);
    const old = this.#resources.get(key);
    if (!old || old.modRevision > revision) return false;
    this.#resources.delete(key);
    return true;
  }

  /** A watch progress notification: nothing changed up to `revision`. */
  progress(revision: number): void {
    this.#revision = Math.max(this.#revision, revision);
  }

  /** The copy as an immutable snapshot (a new Map: later events do not change it). */
  snapshot(): DatastoreSnapshot {
    return { revision: this.#revision, resources: new Map(this.#resources) };
  }

  counts(): ResourceCounts {
    const c = { nodes: 0, bgpPeers: 0, bgpConfigurations: 0, bgpFilters: 0, ipPools: 0, blocks: 0, affinities: 0, other: 0 };
    for (const key of this.#resources.keys()) c[kindOfKey(key)]++;
    return c;
  }
}

/**
 * datastore/: wren driven by Calico's datastore (etcdv3), the job confd does for BIRD
 * (docs/datastore.md). The contract between its parts:
 *
 * - the etcd layer (etcd.ts) keeps a `DatastoreSnapshot`: every key wren reads, at one revision,
 *   from one range read and then one watch (compaction => re-list and diff; reconnect => re-read);
 * - `deriveConfig` (derive.ts, pure) turns a snapshot, this node's name and the configuration file
 *   into the configuration the daemon runs (peers, AS, router id, originated blocks, kernel modes),
 *   with every resource it could not use and why;
 * - the follower (source.ts) applies each derived configuration through the same path as
 *   `wren reload` (config/diff.ts decides what each change costs), coalescing bursts.
 */

/** One key as read from etcd. */
export interface RawResource {
  readonly key: string;
  /** The stored value (JSON text for Calico's resources). */
  readonly value: string;
  /** etcd's ModRevision of the key (Calico's resourceVersion). */
  readonly modRevision: number;
}

/** Every key wren reads, at one etcd revision. */
export interface DatastoreSnapshot {
  readonly revision: number;
  readonly resources: ReadonlyMap<string, RawResource>;
}

/** A resource that could not be used: its key and what is wrong with it. */
export interface SkippedResource {
  readonly key: string;
  readonly reason: string;
}

/** Key prefixes wren reads (docs/datastore.md). */
export const RESOURCES_PREFIX = '/calico/resources/v3/projectcalico.org/';
export const IPAM_HOST_PREFIX = '/calico/ipam/v2/host/';
export const IPAM_BLOCK_PREFIX = '/calico/ipam/v2/assignment/';

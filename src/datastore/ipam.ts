/**
 * `datastore.ipam.claimBlock: true` (docs/datastore.md, "Registering and claiming blocks"): a node
 * with no affine block claims one from an enabled IP pool, in Calico's IPAM format and with the
 * same etcd transactions as Calico's IPAM (libcalico-go ipam), so that Calico's CNI can allocate
 * pod addresses from it:
 *
 *   1. pending affinity: create `/calico/ipam/v2/host/<node>/ipv4/block/<a.b.c.d-len>` =
 *      {"state":"pending","deleted":false} if its Version is 0;
 *   2. the block: create `/calico/ipam/v2/assignment/ipv4/block/<a.b.c.d-len>` (every ordinal free,
 *      affinity "host:<node>") if its Version is 0; when another node created it first, our pending
 *      affinity is deleted (CAS on its ModRevision) and the next candidate is tried;
 *   3. confirm: the affinity becomes {"state":"confirmed","deleted":false} if its ModRevision is still
 *      the one written in 1.
 *
 * So two nodes never end up with one block: the block's create is the arbiter. Candidates are the
 * pool's blocks of its blockSize (26 by default), walked from a start picked by a hash of the node
 * name (Calico seeds its walk the same way), wrapping around. Blocks written by others are only
 * read (their `sequenceNumber` is an int64 above 2^53: never re-serialised here); the block
 * written here is built as text with a bigint sequence number.
 */
import type { Etcd3 } from 'etcd3';
import { formatIPv4, parseIPv4 } from '../util/inet.js';
import { rfc3339 } from './register.js';
import { IPAM_BLOCK_PREFIX, IPAM_HOST_PREFIX, RESOURCES_PREFIX } from './types.js';

export const affinityKey = (node: string, cidr: string): string => `${IPAM_HOST_PREFIX}${node}/ipv4/block/${cidr.replace('/', '-')}`;
export const blockKey = (cidr: string): string => `${IPAM_BLOCK_PREFIX}ipv4/block/${cidr.replace('/', '-')}`;
const cidrOfKey = (key: string): string => (key.slice(key.lastIndexOf('/') + 1)).replace('-', '/');

const PENDING = '{"state":"pending","deleted":false}';
const CONFIRMED = '{"state":"confirmed","deleted":false}';

export type ClaimResult =
  | { readonly kind: 'existing'; readonly block: string }
  | { readonly kind: 'claimed'; readonly block: string; readonly attempts: number }
  | { readonly kind: 'none'; readonly reason: string };

/** Calico's AllocationBlock JSON for a new, empty block affine to `node` (field order as Go writes it). */
export function newBlockJson(cidr: string, node: string, now: Date, sequenceNumber: bigint): string {
  const size = 2 ** (32 - Number(cidr.split('/')[1]));
  const nulls = new Array<string>(size).fill('null').join(',');
  const free = Array.from({ length: size }, (_, i) => i).join(',');
  // Text, not JSON.stringify: sequenceNumber is an int64 that a JS number cannot hold.
  return (
    `{"cidr":${JSON.stringify(cidr)},"affinity":${JSON.stringify(`host:${node}`)},"affinity_claim_time":${JSON.stringify(rfc3339(now))},` +
    `"allocations":[${nulls}],"unallocated":[${free}],"attributes":[],` +
    `"sequenceNumber":${sequenceNumber.toString()},"sequenceNumberForAllocation":{},"deleted":false}`
  );
}

/** Go's time.Now().UnixNano(), as Calico seeds a block's sequence number. */
export const nowNanos = (now: Date): bigint => BigInt(now.getTime()) * 1_000_000n;

/** FNV-1 32-bit (Go hash/fnv New32), Calico's seed for the node's walk over candidate blocks. */
export function fnv1(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, 'utf8')) {
    h = Math.imul(h, 0x01000193) >>> 0;
    h = (h ^ b) >>> 0;
  }
  return h;
}

interface Pool {
  readonly name: string;
  readonly cidr: string;
  readonly blockSize: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Pools a block may be claimed from: IPv4, enabled, automatic, for workloads, selecting every node. */
export function usablePools(values: readonly { key: string; value: string }[]): { pools: Pool[]; skipped: string[] } {
  const pools: Pool[] = [];
  const skipped: string[] = [];
  for (const { key, value } of values) {
    const name = key.slice(key.lastIndexOf('/') + 1);
    let v: unknown;
    try {
      v = JSON.parse(value);
    } catch {
      skipped.push(`${name}: bad JSON`);
      continue;
    }
    const spec = isObject(v) && isObject(v['spec']) ? v['spec'] : {};
    const cidr = typeof spec['cidr'] === 'string' ? spec['cidr'] : '';
    const [addr, lenText] = cidr.split('/');
    const len = Number(lenText);
    if (addr === undefined || !/^\d+\.\d+\.\d+\.\d+$/.test(addr) || !Number.isInteger(len) || len < 0 || len > 32) continue; // IPv6 or bad: not here
    if (spec['disabled'] === true) continue;
    if (spec['assignmentMode'] !== undefined && spec['assignmentMode'] !== 'Automatic') continue;
    if (Array.isArray(spec['allowedUses']) && !spec['allowedUses'].includes('Workload')) continue;
    const sel = typeof spec['nodeSelector'] === 'string' ? spec['nodeSelector'].trim() : '';
    if (sel !== '' && sel !== 'all()') {
      skipped.push(`${name}: nodeSelector ${JSON.stringify(sel)} is not evaluated when claiming (only all())`);
      continue;
    }
    const blockSize = typeof spec['blockSize'] === 'number' && spec['blockSize'] !== 0 ? spec['blockSize'] : 26;
    if (blockSize < len || blockSize > 32) {
      skipped.push(`${name}: blockSize ${blockSize} does not fit ${cidr}`);
      continue;
    }
    pools.push({ name, cidr, blockSize });
  }
  return { pools: pools.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), skipped };
}

/** The pool's blocks, starting at the node's seeded index and wrapping around. */
export function* candidateBlocks(pool: Pool, node: string): Generator<string> {
  const [addr, lenText] = pool.cidr.split('/') as [string, string];
  const base = parseIPv4(addr) >>> 0;
  const count = 2 ** (pool.blockSize - Number(lenText));
  const step = 2 ** (32 - pool.blockSize);
  const start = fnv1(node) % count;
  for (let i = 0; i < count; i++) {
    const idx = (start + i) % count;
    yield `${formatIPv4((base + idx * step) >>> 0)}/${pool.blockSize}`;
  }
}

/** Reads only what it needs of a block written by anyone: its affinity and soft-delete mark. */
export function blockFacts(value: string): { affinity: string | null; deleted: boolean } {
  const v: unknown = JSON.parse(value); // the int64 fields lose precision here, but they are not used
  const o = isObject(v) ? v : {};
  return { affinity: typeof o['affinity'] === 'string' ? o['affinity'] : null, deleted: o['deleted'] === true };
}

export interface ClaimOptions {
  readonly nodeName: string;
  readonly now?: () => Date;
  /** Most candidate blocks tried before giving up (a full pool). */
  readonly maxAttempts?: number;
}

/** This node's confirmed block, or a newly claimed one, or why there is none. */
export async function ensureBlock(client: Etcd3, o: ClaimOptions): Promise<ClaimResult> {
  const node = o.nodeName;
  const now = o.now ?? (() => new Date());
  const me = `host:${node}`;
  const affinities = await client.getAll().prefix(`${IPAM_HOST_PREFIX}${node}/ipv4/block/`).exec();
  for (const kv of affinities.kvs) {
    const key = kv.key.toString('utf8');
    const cidr = cidrOfKey(key);
    const state = affinityState(kv.value.toString('utf8'));
    const block = (await client.get(blockKey(cidr)).exec()).kvs[0];
    const facts = block ? blockFacts(block.value.toString('utf8')) : null;
    if (facts && !facts.deleted && facts.affinity === me) {
      if (state === 'confirmed') return { kind: 'existing', block: cidr };
      // A claim left half-done (a crash between the block's create and the confirm): finish it.
      const t = await client.if(key, 'Mod', '==', kv.mod_revision).then(client.put(key).value(CONFIRMED)).commit();
      if (t.succeeded) return { kind: 'existing', block: cidr };
    } else if (state === 'pending' && !facts) {
      // Our pending affinity, no block yet: try to create it now.
      const created = await client.if(blockKey(cidr), 'Version', '==', 0).then(client.put(blockKey(cidr)).value(newBlockJson(cidr, node, now(), nowNanos(now())))).commit();
      if (created.succeeded) {
        const t = await client.if(key, 'Mod', '==', kv.mod_revision).then(client.put(key).value(CONFIRMED)).commit();
        if (t.succeeded) return { kind: 'claimed', block: cidr, attempts: 1 };
      }
    }
  }

  const poolValues = await client.getAll().prefix(`${RESOURCES_PREFIX}ippools/`).exec();
  const { pools, skipped } = usablePools(poolValues.kvs.map((kv) => ({ key: kv.key.toString('utf8'), value: kv.value.toString('utf8') })));
  if (pools.length === 0) return { kind: 'none', reason: skipped.length > 0 ? `no usable IPv4 pool (${skipped.join('; ')})` : 'no enabled IPv4 pool' };
  const existing = new Set((await client.getAll().prefix(`${IPAM_BLOCK_PREFIX}ipv4/block/`).keys()).map(cidrOfKey));
  const maxAttempts = o.maxAttempts ?? 10_000;
  let attempts = 0;
  for (const pool of pools) {
    for (const cidr of candidateBlocks(pool, node)) {
      if (existing.has(cidr)) continue;
      if (++attempts > maxAttempts) return { kind: 'none', reason: `gave up after ${maxAttempts} candidate blocks` };
      const aff = affinityKey(node, cidr);
      const pending = await client.if(aff, 'Version', '==', 0).then(client.put(aff).value(PENDING)).commit();
      if (!pending.succeeded) continue;
      const affRev = pending.header.revision;
      const bKey = blockKey(cidr);
      const created = await client.if(bKey, 'Version', '==', 0).then(client.put(bKey).value(newBlockJson(cidr, node, now(), nowNanos(now())))).else(client.get(bKey)).commit();
      if (!created.succeeded) {
        const theirs = created.responses[0]?.response_range?.kvs[0];
        const facts = theirs ? blockFacts(theirs.value.toString('utf8')) : null;
        if (facts?.affinity !== me) {
          // Another node won this block: release our pending affinity and try the next one.
          await client.if(aff, 'Mod', '==', affRev).then(client.delete().key(aff)).commit();
          existing.add(cidr);
          continue;
        }
      }
      const confirmed = await client.if(aff, 'Mod', '==', affRev).then(client.put(aff).value(CONFIRMED)).commit();
      if (confirmed.succeeded) return { kind: 'claimed', block: cidr, attempts };
    }
  }
  return { kind: 'none', reason: `every block of ${pools.map((p) => p.cidr).join(', ')} is taken` };
}

function affinityState(value: string): string {
  if (value.trim() === '') return 'confirmed';
  try {
    const v: unknown = JSON.parse(value);
    const s = isObject(v) ? v['state'] : undefined;
    return typeof s === 'string' && s !== '' ? s : 'confirmed';
  } catch {
    return 'unknown';
  }
}

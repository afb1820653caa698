/**
 * `datastore.register: true` (docs/datastore.md, "Registering and claiming blocks"): this node's
 * Node resource, written at start when it is missing or when its BGP address or AS differ, in the
 * JSON Calico stores (kind, apiVersion, metadata with name, uid and creationTimestamp, spec.bgp,
 * status). An existing Node keeps everything else it holds (labels, other spec fields); only
 * spec.bgp.ipv4Address and spec.bgp.asNumber are set. Writes are etcd transactions as Calico's
 * backend makes them: create when the key's Version is 0, update when its ModRevision is the one
 * read; a lost race reads again (bounded).
 */
import { randomUUID } from 'node:crypto';
import type { Etcd3 } from 'etcd3';
import { RESOURCES_PREFIX } from './types.js';

export interface NodeRegistration {
  readonly nodeName: string;
  /** "10.0.0.1/24", as Calico's spec.bgp.ipv4Address. */
  readonly ipv4Address: string;
  readonly asNumber?: number;
}

export type RegisterResult = 'created' | 'updated' | 'unchanged';

export const nodeKey = (name: string): string => `${RESOURCES_PREFIX}nodes/${name}`;

/** Go's time.Time JSON for a metav1.Time: RFC 3339, whole seconds, UTC. */
export const rfc3339 = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;

/** A new Node as Calico's client writes it (libcalico-go clientv3 sets uid and creationTimestamp on create). */
export function newNodeJson(r: NodeRegistration, now: Date, uid: string = randomUUID()): string {
  const bgp = { ipv4Address: r.ipv4Address, ...(r.asNumber !== undefined ? { asNumber: r.asNumber } : {}) };
  return JSON.stringify({
    kind: 'Node',
    apiVersion: 'projectcalico.org/v3',
    metadata: { name: r.nodeName, uid, creationTimestamp: rfc3339(now) },
    spec: { bgp },
    status: {},
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The stored Node with this registration's BGP fields, or null when they already match. */
export function updatedNodeJson(stored: string, r: NodeRegistration): string | null {
  const v: unknown = JSON.parse(stored);
  if (!isObject(v)) throw new Error('the stored Node is not a JSON object');
  const spec = isObject(v['spec']) ? v['spec'] : {};
  const bgp = isObject(spec['bgp']) ? spec['bgp'] : {};
  const sameAddress = bgp['ipv4Address'] === r.ipv4Address;
  const sameAs = r.asNumber === undefined ? bgp['asNumber'] === undefined : Number(bgp['asNumber']) === r.asNumber;
  if (sameAddress && sameAs) return null;
  const nextBgp: Record<string, unknown> = { ...bgp, ipv4Address: r.ipv4Address };
  if (r.asNumber !== undefined) nextBgp['asNumber'] = r.asNumber;
  else delete nextBgp['asNumber'];
  return JSON.stringify({ ...v, spec: { ...spec, bgp: nextBgp } });
}

export async function registerNode(client: Etcd3, r: NodeRegistration, now: () => Date = () => new Date()): Promise<RegisterResult> {
  const key = nodeKey(r.nodeName);
  for (let attempt = 0; attempt < 5; attempt++) {
    const res = await client.get(key).exec();
    const kv = res.kvs[0];
    if (kv === undefined) {
      const t = await client.if(key, 'Version', '==', 0).then(client.put(key).value(newNodeJson(r, now()))).commit();
      if (t.succeeded) return 'created';
      continue;
    }
    const next = updatedNodeJson(kv.value.toString('utf8'), r);
    if (next === null) return 'unchanged';
    const t = await client.if(key, 'Mod', '==', kv.mod_revision).then(client.put(key).value(next)).commit();
    if (t.succeeded) return 'updated';
  }
  throw new Error(`${key}: changed by another writer on every one of 5 attempts`);
}

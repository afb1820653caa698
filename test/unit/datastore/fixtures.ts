/**
 * Calico resources as calico-node / calicoctl store them in etcd (Go encoding/json of the v3 types:
 * kind, apiVersion, metadata with a uid and creationTimestamp, spec; Node also has status), and
 * snapshots made of them.
 */
import { IPAM_HOST_PREFIX, RESOURCES_PREFIX, type DatastoreSnapshot, type RawResource } from '../../../src/datastore/types.js';

type Json = Record<string, unknown>;

let uid = 0;
const metadata = (name: string, labels?: Record<string, string>): Json => ({
  name,
  uid: `6f1c0a52-${String(++uid).padStart(4, '0')}-4c1e-9d4b-1b2c3d4e5f60`,
  creationTimestamp: '2024-05-01T10:00:00Z',
  ...(labels && { labels }),
});

export interface Entry {
  readonly key: string;
  readonly value: string;
}

const resource = (plural: string, kind: string, name: string, spec: Json, extra: Json = {}, labels?: Record<string, string>): Entry => ({
  key: `${RESOURCES_PREFIX}${plural}/${name}`,
  value: JSON.stringify({ kind, apiVersion: 'projectcalico.org/v3', metadata: metadata(name, labels), spec, ...extra }),
});

export interface NodeSpec {
  readonly ipv4?: string;
  readonly ipv6?: string;
  readonly asNumber?: number | string;
  readonly rr?: string;
  readonly labels?: Record<string, string>;
}

export function node(name: string, s: NodeSpec = {}): Entry {
  const bgp: Json = {
    ...(s.ipv4 !== undefined && { ipv4Address: s.ipv4 }),
    ...(s.ipv6 !== undefined && { ipv6Address: s.ipv6 }),
    ...(s.asNumber !== undefined && { asNumber: s.asNumber }),
    ...(s.rr !== undefined && { routeReflectorClusterID: s.rr }),
  };
  const spec: Json = Object.keys(bgp).length > 0 ? { bgp, orchRefs: [{ nodeName: name, orchestrator: 'k8s' }] } : {};
  return resource('nodes', 'Node', name, spec, { status: {} }, s.labels);
}

export const bgpConfig = (name: string, spec: Json): Entry => resource('bgpconfigurations', 'BGPConfiguration', name, spec);
export const bgpPeer = (name: string, spec: Json): Entry => resource('bgppeers', 'BGPPeer', name, spec);
export const bgpFilter = (name: string, spec: Json): Entry => resource('bgpfilters', 'BGPFilter', name, spec);
export const ipPool = (name: string, spec: Json): Entry => resource('ippools', 'IPPool', name, spec);

/** A block affinity of `host` ("10.65.0.0/26" -> .../ipv4/block/10.65.0.0-26). */
export function affinity(host: string, cidr: string, state: string | null = 'confirmed'): Entry {
  const fam = cidr.includes(':') ? 'ipv6' : 'ipv4';
  return {
    key: `${IPAM_HOST_PREFIX}${host}/${fam}/block/${cidr.replace('/', '-')}`,
    value: state === null ? '' : JSON.stringify({ state, deleted: false }),
  };
}

/** A raw key/value (a malformed value, say). */
export const raw = (key: string, value: string): Entry => ({ key, value });

export function snapshot(entries: readonly Entry[], revision = 100): DatastoreSnapshot {
  const resources = new Map<string, RawResource>();
  entries.forEach((e, i) => resources.set(e.key, { key: e.key, value: e.value, modRevision: i + 1 }));
  return { revision, resources };
}

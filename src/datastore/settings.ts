/**
 * The `datastore` settings the live half needs (etcd.ts, source.ts, register.ts, ipam.ts): read
 * from the configuration file's `datastore` section, with Calico's environment variables for what
 * the file leaves out (docs/datastore.md).
 *
 * RECONCILE AT MERGE: branch ds-derive owns the `datastore` config section (its schema in
 * config/, with docs/configuration.md). This file defines only the shape the live half uses and a
 * small reader for it; at the merge the reader is replaced by that section's parsed value and
 * this type becomes (or maps from) that one. The extra keys used here are `register`,
 * `ipam.claimBlock`, `nodeAddress` and `asNumber` (what register.ts writes).
 */
import { hostname } from 'node:os';
import { parsePrefix } from '../util/inet.js';

export interface EtcdSettings {
  /** `http://host:port` or `https://host:port`. */
  readonly endpoints: readonly string[];
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly username?: string;
  readonly password?: string;
}

export interface DatastoreSettings {
  readonly type: 'etcdv3';
  readonly etcd: EtcdSettings;
  readonly nodeName: string;
  /** Write this node's Node resource at start when it is missing or different (register.ts). */
  readonly register: boolean;
  /** The BGP address written by `register` ("10.0.0.1/24"); absent: found on the host's interfaces. */
  readonly nodeAddress?: string;
  /** The AS written by `register`; absent: none (the cluster's AS applies). */
  readonly asNumber?: number;
  readonly ipam: { readonly claimBlock: boolean };
}

type Env = Readonly<Record<string, string | undefined>>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The datastore settings of a raw (parsed, not validated) configuration file, or null when wren
 * does not use a datastore (no `datastore` section and no DATASTORE_TYPE=etcdv3 / ETCD_ENDPOINTS).
 * Throws an Error whose message says what is wrong.
 */
export function readDatastoreSettings(raw: unknown, env: Env = process.env): DatastoreSettings | null {
  const section = isObject(raw) && isObject(raw['datastore']) ? raw['datastore'] : undefined;
  const envType = str(env['CALICO_DATASTORE_TYPE']) ?? str(env['DATASTORE_TYPE']);
  const envEndpoints = str(env['CALICO_ETCD_ENDPOINTS']) ?? str(env['ETCD_ENDPOINTS']);
  if (!section && envType !== 'etcdv3' && !(envType === undefined && envEndpoints !== undefined)) return null;
  const s = section ?? {};
  const type = str(s['type']) ?? envType ?? 'etcdv3';
  if (type !== 'etcdv3') throw new Error(`datastore.type: only "etcdv3" is supported (got ${JSON.stringify(type)})`);
  const e = isObject(s['etcd']) ? s['etcd'] : {};
  const fromEnv = (name: string): string | undefined => str(env[`CALICO_${name}`]) ?? str(env[name]);
  const endpointsRaw = Array.isArray(e['endpoints']) ? e['endpoints'].filter((x): x is string => typeof x === 'string') : (envEndpoints ?? '').split(',');
  const endpoints = endpointsRaw.map((x) => x.trim()).filter((x) => x !== '');
  if (endpoints.length === 0) throw new Error('datastore.etcd.endpoints: at least one endpoint is needed (or ETCD_ENDPOINTS)');
  for (const ep of endpoints) if (!/^https?:\/\/[^/]+\/?$/.test(ep)) throw new Error(`datastore.etcd.endpoints: "${ep}" is not http(s)://host:port`);
  const opt = (key: string, envName: string): Record<string, string> => {
    const v = str(e[key]) ?? fromEnv(envName);
    return v === undefined ? {} : { [key]: v };
  };
  const etcd: EtcdSettings = {
    endpoints,
    ...opt('caFile', 'ETCD_CA_CERT_FILE'),
    ...opt('certFile', 'ETCD_CERT_FILE'),
    ...opt('keyFile', 'ETCD_KEY_FILE'),
    ...opt('username', 'ETCD_USERNAME'),
    ...opt('password', 'ETCD_PASSWORD'),
  };
  if ((etcd.certFile === undefined) !== (etcd.keyFile === undefined)) throw new Error('datastore.etcd: certFile and keyFile go together');
  const nodeName = str(s['nodeName']) ?? fromEnv('NODENAME') ?? str(env['HOSTNAME'])?.toLowerCase() ?? hostname().toLowerCase();
  const ipam = isObject(s['ipam']) ? s['ipam'] : {};
  const nodeAddress = str(s['nodeAddress']);
  if (nodeAddress !== undefined) {
    const p = parsePrefix(nodeAddress);
    if (p === null || p.family !== 4) throw new Error(`datastore.nodeAddress: expected an IPv4 address with its prefix length, "10.0.0.1/24" (got ${JSON.stringify(nodeAddress)})`);
  }
  const asNumber = s['asNumber'];
  if (asNumber !== undefined && !(Number.isInteger(asNumber) && (asNumber as number) >= 1 && (asNumber as number) <= 4294967295)) {
    throw new Error(`datastore.asNumber: expected an AS number (got ${JSON.stringify(asNumber)})`);
  }
  return {
    type: 'etcdv3',
    etcd,
    nodeName,
    register: s['register'] === true,
    ...(nodeAddress !== undefined ? { nodeAddress } : {}),
    ...(typeof asNumber === 'number' ? { asNumber } : {}),
    ipam: { claimBlock: ipam['claimBlock'] === true },
  };
}

/** The raw file without its `datastore` section (what the configuration validator knows). */
export function withoutDatastore(raw: unknown): Record<string, unknown> {
  if (!isObject(raw)) return {};
  const { datastore: _datastore, ...rest } = raw;
  return rest;
}

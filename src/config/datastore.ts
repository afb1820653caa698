/**
 * The `datastore` section: wren follows Calico's datastore (etcd v3) instead of a hand-written peer
 * list (docs/datastore.md, docs/decisions/0008-datastore-config.md).
 *
 * `parseDatastore` validates what the file says. `resolveDatastore` completes it with Calico's
 * environment variables for whatever the file leaves out, the way calico-node reads them (envconfig
 * with prefix "calico": CALICO_<NAME> first, then <NAME>; the node name as calico-node's
 * DetermineNodeName finds it). The environment is injected (`DatastoreEnvironment`), so tests pass
 * their own.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { parseAddress, parsePrefix } from '../util/inet.js';
import { asn, bool } from './fields.js';
import { addIssue, parseFields, type Path } from './issues.js';
import type { DatastoreConfig, EtcdConfig, Issue, Result } from './types.js';

const ENDPOINT_ERROR = 'expected an etcd client URL such as "https://10.0.0.1:2379"';

/** An etcd endpoint: an http or https URL with a host (and usually a port), nothing after it. */
export function endpointProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return ENDPOINT_ERROR;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${ENDPOINT_ERROR}: the scheme must be http or https`;
  if (url.hostname === '') return ENDPOINT_ERROR;
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    return `${ENDPOINT_ERROR}: only scheme, host and port`;
  }
  return undefined;
}

const endpoint = z.string({ error: ENDPOINT_ERROR }).superRefine((s, ctx) => {
  const problem = endpointProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, input: s });
});

const path = z
  .string({ error: 'expected an absolute file path' })
  .refine((s) => s.startsWith('/'), { error: 'expected an absolute file path' });

const nonEmpty = z.string({ error: 'expected a string' }).min(1, { error: 'expected a non-empty string' });

const NODE_NAME_ERROR = 'expected a node name: 1..253 characters, no "/" or white space';
/** Calico node names are etcd key segments: no "/", and no white space. */
export const nodeName = z.string({ error: NODE_NAME_ERROR }).regex(/^[^/\s]{1,253}$/, { error: NODE_NAME_ERROR });

const ETCD = {
  endpoints: z.array(endpoint, { error: 'expected an array of etcd client URLs' }).min(1, { error: 'expected at least one endpoint' }).optional(),
  caFile: path.optional(),
  certFile: path.optional(),
  keyFile: path.optional(),
  username: nonEmpty.optional(),
  password: nonEmpty.optional(),
};

const NODE_ADDRESS_ERROR = 'expected this node\'s IPv4 address, with its prefix length ("10.0.0.1/24") or without (then the interface holding it gives the length)';

/** `nodeAddress` / calico-node's IP: "10.0.0.1/24" or "10.0.0.1"; undefined when it is neither. */
export function nodeAddressOf(text: string): string | undefined {
  if (text.includes('/')) {
    const p = parsePrefix(text);
    return p !== null && p.family === 4 && /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(text) ? text : undefined;
  }
  const a = parseAddress(text);
  return a !== null && a.family === 4 && !text.includes('%') ? text : undefined;
}

const nodeAddress = z.string({ error: NODE_ADDRESS_ERROR }).refine((s) => nodeAddressOf(s) !== undefined, { error: NODE_ADDRESS_ERROR });

const DATASTORE = {
  type: z.enum(['etcdv3'], { error: 'expected "etcdv3" (the only datastore wren reads)' }).optional(),
  etcd: z.unknown(),
  nodeName: nodeName.optional(),
  register: bool.optional(),
  nodeAddress: nodeAddress.optional(),
  asNumber: asn.optional(),
  ipam: z.unknown(),
};

const IPAM = { claimBlock: bool.optional() };

/** The `datastore` section as written (env not applied), or undefined when absent or invalid. */
export function parseDatastore(raw: unknown, issues: Issue[]): DatastoreConfig | undefined {
  if (raw === undefined) return undefined;
  const at: Path = ['datastore'];
  const before = issues.length;
  const f = parseFields(DATASTORE, raw, at, issues);
  if (!f) return undefined;
  const e = f.etcd === undefined ? {} : (parseFields(ETCD, f.etcd, [...at, 'etcd'], issues) ?? {});
  const ipam = f.ipam === undefined ? {} : (parseFields(IPAM, f.ipam, [...at, 'ipam'], issues) ?? {});
  if ((e.certFile === undefined) !== (e.keyFile === undefined)) {
    addIssue(issues, [...at, 'etcd', e.certFile === undefined ? 'certFile' : 'keyFile'], 'a client certificate needs both certFile and keyFile');
  }
  if ((e.username === undefined) !== (e.password === undefined)) {
    addIssue(issues, [...at, 'etcd', e.username === undefined ? 'username' : 'password'], 'etcd authentication needs both username and password');
  }
  if (issues.length > before) return undefined;
  const etcd: EtcdConfig = {
    ...(e.endpoints !== undefined && { endpoints: e.endpoints }),
    ...(e.caFile !== undefined && { caFile: e.caFile }),
    ...(e.certFile !== undefined && { certFile: e.certFile }),
    ...(e.keyFile !== undefined && { keyFile: e.keyFile }),
    ...(e.username !== undefined && { username: e.username }),
    ...(e.password !== undefined && { password: e.password }),
  };
  return {
    ...(f.type !== undefined && { type: f.type }),
    etcd,
    ...(f.nodeName !== undefined && { nodeName: f.nodeName }),
    register: f.register ?? false,
    ...(f.nodeAddress !== undefined && { nodeAddress: f.nodeAddress }),
    ...(f.asNumber !== undefined && { asNumber: f.asNumber }),
    ipam: { claimBlock: ipam.claimBlock ?? false },
  };
}

// ------------------------------------------------------------------ the environment

/** Where calico-node keeps the node name it chose (overridden by CALICO_NODENAME_FILE). */
export const DEFAULT_NODENAME_FILE = '/var/lib/calico/nodename';

export interface DatastoreEnvironment {
  /** Environment variables. */
  readonly vars: Readonly<Record<string, string | undefined>>;
  /** A file's text, or undefined when it does not exist or cannot be read. */
  readonly readFile: (path: string) => string | undefined;
  /** The host name (os.hostname()). */
  readonly hostname: () => string;
}

/** The process's own environment. */
export function processEnvironment(): DatastoreEnvironment {
  return {
    vars: process.env,
    readFile: (p) => {
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    },
    hostname,
  };
}

/** Where a setting came from: the file, an environment variable, the nodename file, or the host name. */
export type SettingSource = 'file' | `env ${string}` | `file ${string}` | 'hostname' | 'default';

/** The datastore settings the daemon uses: the file's, completed from the environment. */
export interface DatastoreSettings {
  readonly type: 'etcdv3';
  readonly endpoints: readonly string[];
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly username?: string;
  readonly password?: string;
  readonly nodeName: string;
  readonly register: boolean;
  /** What `register` writes as spec.bgp.ipv4Address; absent: found on the host's interfaces (calico-node's first-found). */
  readonly nodeAddress?: string;
  /** What `register` writes as spec.bgp.asNumber; absent: none (the cluster's AS applies). */
  readonly asNumber?: number;
  readonly claimBlock: boolean;
  /** Where each value came from (`wren show datastore`, the start log); secrets are never listed, only their source. */
  readonly sources: Readonly<Record<'type' | 'endpoints' | 'nodeName' | 'caFile' | 'certFile' | 'keyFile' | 'username' | 'password' | 'nodeAddress' | 'asNumber', SettingSource>>;
}

/**
 * envconfig with prefix "calico": CALICO_<name> first, then <name>. As in envconfig, a CALICO_
 * variable that is set wins even when it is empty.
 */
function calicoVar(env: DatastoreEnvironment, name: string): { value: string; source: SettingSource } | undefined {
  const prefixed = env.vars[`CALICO_${name}`];
  if (prefixed !== undefined) return { value: prefixed, source: `env CALICO_${name}` };
  const plain = env.vars[name];
  return plain === undefined ? undefined : { value: plain, source: `env ${name}` };
}

/**
 * calico-node's DetermineNodeName, after the file's `nodeName`: NODENAME (trimmed), the nodename
 * file ($CALICO_NODENAME_FILE, else /var/lib/calico/nodename; trimmed), HOSTNAME (trimmed, lower
 * case), the host name (lower case).
 */
function nodeNameFrom(env: DatastoreEnvironment): { value: string; source: SettingSource } {
  const fromVar = env.vars['NODENAME']?.trim();
  if (fromVar) return { value: fromVar, source: 'env NODENAME' };
  const file = env.vars['CALICO_NODENAME_FILE'] || DEFAULT_NODENAME_FILE;
  const fromFile = env.readFile(file)?.trim();
  if (fromFile) return { value: fromFile, source: `file ${file}` };
  const fromHostVar = env.vars['HOSTNAME']?.trim().toLowerCase();
  if (fromHostVar) return { value: fromHostVar, source: 'env HOSTNAME' };
  return { value: env.hostname().trim().toLowerCase(), source: 'hostname' };
}

/**
 * The section completed from the environment for every key the file leaves out. Issues name the
 * file key and the variables that could have given it ("$.datastore.etcd.endpoints: ...").
 */
export function resolveDatastore(cfg: DatastoreConfig, env: DatastoreEnvironment): Result<DatastoreSettings> {
  const issues: Issue[] = [];
  const at = (...p: string[]): Path => ['datastore', ...p];
  const sources: Record<string, SettingSource> = {};

  // Endpoints: the file's, else ETCD_ENDPOINTS (comma-separated).
  let endpoints: string[] = [];
  if (cfg.etcd.endpoints !== undefined) {
    endpoints = [...cfg.etcd.endpoints];
    sources['endpoints'] = 'file';
  } else {
    const v = calicoVar(env, 'ETCD_ENDPOINTS');
    if (v) {
      endpoints = v.value.split(',').map((s) => s.trim()).filter((s) => s !== '');
      sources['endpoints'] = v.source;
      for (const e of endpoints) {
        const problem = endpointProblem(e);
        if (problem) addIssue(issues, at('etcd', 'endpoints'), `${v.source.slice(4)}: ${problem}`, e);
      }
    }
  }

  // Type: the file's, else DATASTORE_TYPE, else etcdv3 when there are endpoints (Calico's
  // applyConfigDefaults: kubernetes otherwise, which wren does not read).
  const typeVar = cfg.type === undefined ? calicoVar(env, 'DATASTORE_TYPE') : undefined;
  sources['type'] = cfg.type !== undefined ? 'file' : (typeVar?.source ?? 'default');
  if (typeVar && typeVar.value !== '' && typeVar.value !== 'etcdv3') {
    addIssue(issues, at('type'), `${typeVar.source.slice(4)} is ${JSON.stringify(typeVar.value)}: wren reads only the etcdv3 datastore`);
  }
  if (endpoints.length === 0 && issues.length === 0) {
    const srv = calicoVar(env, 'ETCD_DISCOVERY_SRV');
    addIssue(
      issues,
      at('etcd', 'endpoints'),
      srv && srv.value !== ''
        ? `${srv.source.slice(4)} (DNS SRV discovery) is not supported: list the endpoints here or in ETCD_ENDPOINTS`
        : 'no etcd endpoints: set datastore.etcd.endpoints, or ETCD_ENDPOINTS (comma-separated URLs)',
    );
  }

  // TLS files and credentials, each from the file or its variable.
  const field = (key: 'caFile' | 'certFile' | 'keyFile' | 'username' | 'password', name: string): string | undefined => {
    const own = cfg.etcd[key];
    if (own !== undefined) {
      sources[key] = 'file';
      return own;
    }
    const v = calicoVar(env, name);
    if (!v || v.value === '') {
      sources[key] = 'default';
      return undefined;
    }
    sources[key] = v.source;
    return v.value;
  };
  const caFile = field('caFile', 'ETCD_CA_CERT_FILE');
  const certFile = field('certFile', 'ETCD_CERT_FILE');
  const keyFile = field('keyFile', 'ETCD_KEY_FILE');
  let username = field('username', 'ETCD_USERNAME');
  let password = field('password', 'ETCD_PASSWORD');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    addIssue(issues, at('etcd', certFile === undefined ? 'certFile' : 'keyFile'), `a client certificate needs both a certificate and a key (from: certFile ${sources['certFile']}, keyFile ${sources['keyFile']})`);
  }
  // Calico uses the credentials only when both are set.
  if (username === undefined || password === undefined) {
    username = undefined;
    password = undefined;
  }
  for (const [key, value] of [['caFile', caFile], ['certFile', certFile], ['keyFile', keyFile]] as const) {
    if (value !== undefined && !value.startsWith('/')) addIssue(issues, at('etcd', key), `expected an absolute file path (from ${sources[key]})`, value);
  }

  // Node name: the file's, else calico-node's order.
  const node = cfg.nodeName !== undefined ? { value: cfg.nodeName, source: 'file' as const } : nodeNameFrom(env);
  sources['nodeName'] = node.source;
  if (nodeName.safeParse(node.value).success === false) addIssue(issues, at('nodeName'), `${NODE_NAME_ERROR} (from ${node.source})`, node.value);

  // What register writes: the file's, else calico-node's IP ("autodetect" or empty: found on the
  // interfaces; "none": no IPv4 address) and AS.
  let regAddress = cfg.nodeAddress;
  sources['nodeAddress'] = regAddress !== undefined ? 'file' : 'default';
  if (regAddress === undefined) {
    const v = calicoVar(env, 'IP');
    if (v && v.value !== '' && v.value !== 'autodetect' && v.value !== 'none') {
      regAddress = nodeAddressOf(v.value);
      sources['nodeAddress'] = v.source;
      if (regAddress === undefined) addIssue(issues, at('nodeAddress'), `${v.source.slice(4)}: ${NODE_ADDRESS_ERROR}`, v.value);
    }
  }
  let regAs = cfg.asNumber;
  sources['asNumber'] = regAs !== undefined ? 'file' : 'default';
  if (regAs === undefined) {
    const v = calicoVar(env, 'AS');
    if (v && v.value !== '') {
      const r = asn.safeParse(/^\d+$/.test(v.value) ? Number(v.value) : v.value);
      sources['asNumber'] = v.source;
      if (r.success) regAs = r.data;
      else addIssue(issues, at('asNumber'), `${v.source.slice(4)}: expected an AS number (1..4294967295)`, v.value);
    }
  }

  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: {
      type: 'etcdv3',
      endpoints,
      ...(caFile !== undefined && { caFile }),
      ...(certFile !== undefined && { certFile }),
      ...(keyFile !== undefined && { keyFile }),
      ...(username !== undefined && { username }),
      ...(password !== undefined && { password }),
      nodeName: node.value,
      register: cfg.register,
      ...(regAddress !== undefined && { nodeAddress: regAddress }),
      ...(regAs !== undefined && { asNumber: regAs }),
      claimBlock: cfg.ipam.claimBlock,
      sources: sources as DatastoreSettings['sources'],
    },
  };
}

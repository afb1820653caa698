/**
 * Calico's v3 resources as they are stored in etcd (JSON written by Go's encoding/json; keys
 * /calico/resources/v3/projectcalico.org/<plural>/<name>) and this node's block affinities
 * (/calico/ipam/v2/host/<node>/ipv4|ipv6/block/<a.b.c.d-len>), read into typed values with the
 * defaults Calico's client applies (docs/datastore.md has the field-by-field table).
 *
 * A resource that cannot be read (bad JSON, a field of the wrong type, a bad CIDR or address, an
 * unknown enum value, a selector that does not parse) becomes a `SkippedResource` naming its key
 * and every problem; it never throws and never affects the other resources. Pure.
 */
import { IPAM_HOST_PREFIX, RESOURCES_PREFIX, type DatastoreSnapshot, type RawResource, type SkippedResource } from './types.js';
import { Fields, isObject, readAddress, readCidr, readCidrOrIp, show, type JsonObject, type ParsedCidr } from './fields.js';
import { parseAsNumber, splitPeerIP } from './go-values.js';
import type { Labels, SelectorNode } from './selector.js';

export interface Selector {
  readonly text: string;
  readonly node: SelectorNode;
}

// ------------------------------------------------------------------ types

export interface Community {
  readonly name: string;
  readonly value: string;
}

export interface PrefixAdvertisement {
  readonly cidr: string;
  /** Community values or names of `communities` entries, as written. */
  readonly communities: readonly string[];
}

export type ProgramClusterRoutes = 'Enabled' | 'Disabled' | 'EnabledIPIPOnly' | 'EnabledNoEncapOnly';

/** BGPConfiguration `default` or `node.<name>` (api/pkg/apis/projectcalico/v3/bgpconfig.go). */
export interface BgpConfiguration {
  readonly key: string;
  readonly name: string;
  readonly asNumber?: number;
  readonly nodeToNodeMeshEnabled?: boolean;
  /** 0 / absent: not set (BIRD's 179). */
  readonly listenPort?: number;
  readonly logSeverityScreen?: string;
  readonly communities: readonly Community[];
  /** Absent when the resource does not set the field (a per-node object then leaves the global one in force). */
  readonly prefixAdvertisements?: readonly PrefixAdvertisement[];
  /** Seconds. */
  readonly nodeMeshMaxRestartTime?: number;
  readonly programClusterRoutes?: ProgramClusterRoutes;
  readonly ipv4NormalRoutePriority?: number;
  readonly ipv6NormalRoutePriority?: number;
  readonly bindMode?: 'None' | 'NodeIP';
  /** Fields that are set and that wren does not implement (docs/datastore.md). */
  readonly unsupported: readonly string[];
}

export interface NodeAddress {
  /** The host address, canonical text. */
  readonly address: string;
  /** Its network (ipv4Address "10.0.0.5/24" -> "10.0.0.0/24"), what IPIP CrossSubnet compares with. */
  readonly network: string;
}

/** Node (libcalico-go lib/apis/internalapi/node.go): what confd reads of it. */
export interface CalicoNode {
  readonly key: string;
  readonly name: string;
  readonly labels: Labels;
  readonly ipv4?: NodeAddress;
  readonly ipv6?: NodeAddress;
  readonly asNumber?: number;
  /** Non-empty: the node is a route reflector. */
  readonly routeReflectorClusterID?: string;
}

export type NextHopMode = 'Auto' | 'Self' | 'Keep';

/** BGPPeer (api/pkg/apis/projectcalico/v3/bgppeer.go). */
export interface BgpPeer {
  readonly key: string;
  readonly name: string;
  readonly node?: string;
  readonly nodeSelector?: Selector;
  readonly peerSelector?: Selector;
  /** peerIP as confd splits it: `host` is the text as written (confd compares it as text with node addresses). */
  readonly peerIP?: { readonly host: string; readonly address: string; readonly family: 4 | 6; readonly port: number };
  /** 0 when unset. */
  readonly asNumber: number;
  readonly localASNumber?: number;
  readonly keepOriginalNextHop: boolean;
  readonly nextHopMode?: NextHopMode;
  /** Seconds. */
  readonly maxRestartTime?: number;
  /** Seconds. */
  readonly keepaliveTime?: number;
  readonly ttlSecurity?: number;
  /** Default UseNodeIP. */
  readonly sourceAddress: 'UseNodeIP' | 'None';
  readonly numAllowedLocalASNumbers?: number;
  readonly filters: readonly string[];
  /** Default Auto. */
  readonly reversePeering: 'Auto' | 'Manual';
  /** Set fields wren does not implement; a peer with any of them is not used (derive.ts). */
  readonly unsupported: readonly string[];
}

export interface FilterRule {
  /** Where the rule is, for messages: "spec.exportV4[1]". */
  readonly at: string;
  readonly action: 'Accept' | 'Reject';
  readonly cidr?: ParsedCidr;
  readonly matchOperator?: 'Equal' | 'NotEqual' | 'In' | 'NotIn';
  readonly prefixLength?: { readonly min?: number; readonly max?: number };
  readonly source?: 'RemotePeers';
  readonly interface?: string;
  readonly peerType?: 'eBGP' | 'iBGP';
  /** communities.values[0] (Calico allows one). */
  readonly community?: string;
  readonly asPathPrefix?: readonly number[];
  readonly priority?: number;
  readonly operations: readonly FilterOperation[];
}

export type FilterOperation =
  | { readonly kind: 'addCommunity'; readonly value: string }
  | { readonly kind: 'prependASPath'; readonly prefix: readonly number[] }
  | { readonly kind: 'setPriority'; readonly value: number };

/** BGPFilter (api/pkg/apis/projectcalico/v3/bgpfilter.go). */
export interface BgpFilter {
  readonly key: string;
  readonly name: string;
  readonly importV4: readonly FilterRule[];
  readonly exportV4: readonly FilterRule[];
  readonly importV6: readonly FilterRule[];
  readonly exportV6: readonly FilterRule[];
}

export type EncapMode = 'Never' | 'Always' | 'CrossSubnet';

/** IPPool (api/pkg/apis/projectcalico/v3/ippool.go) with the client's defaults applied. */
export interface IpPool {
  readonly key: string;
  readonly name: string;
  readonly cidr: ParsedCidr;
  readonly ipipMode: EncapMode;
  readonly vxlanMode: EncapMode;
  readonly natOutgoing: boolean;
  readonly disabled: boolean;
  readonly disableBGPExport: boolean;
  /** Default 26 (IPv4) / 122 (IPv6). */
  readonly blockSize: number;
  /** Default all(). */
  readonly nodeSelector: Selector;
  readonly assignmentMode: 'Automatic' | 'Manual';
  readonly allowedUses: readonly ('Workload' | 'Tunnel' | 'LoadBalancer')[];
}

export type AffinityState = 'confirmed' | 'pending' | 'pendingDeletion';

/** One block affinity of a host (libcalico-go model/block_affinity.go). */
export interface BlockAffinity {
  readonly key: string;
  readonly host: string;
  readonly cidr: ParsedCidr;
  /** An empty state is "confirmed" (older data). */
  readonly state: AffinityState;
}

/** Everything read from one snapshot, sorted by key. */
export interface CalicoResources {
  readonly bgpConfigurations: ReadonlyMap<string, BgpConfiguration>;
  readonly nodes: ReadonlyMap<string, CalicoNode>;
  readonly bgpPeers: readonly BgpPeer[];
  readonly bgpFilters: ReadonlyMap<string, BgpFilter>;
  readonly ipPools: readonly IpPool[];
  readonly affinities: readonly BlockAffinity[];
  readonly skipped: readonly SkippedResource[];
}

// ------------------------------------------------------------------ keys

export const PLURALS = {
  bgpconfigurations: 'BGPConfiguration',
  nodes: 'Node',
  bgppeers: 'BGPPeer',
  bgpfilters: 'BGPFilter',
  ippools: 'IPPool',
} as const;

export type Plural = keyof typeof PLURALS;

/** `/calico/resources/v3/projectcalico.org/<plural>/<name>` -> plural and name (cluster-scoped kinds only). */
export function resourceKey(key: string): { readonly plural: Plural; readonly name: string } | undefined {
  if (!key.startsWith(RESOURCES_PREFIX)) return undefined;
  const parts = key.slice(RESOURCES_PREFIX.length).split('/');
  if (parts.length !== 2) return undefined;
  const [plural, name] = parts;
  if (plural === undefined || name === undefined || name === '' || !Object.hasOwn(PLURALS, plural)) return undefined;
  return { plural: plural as Plural, name };
}

/** `/calico/ipam/v2/host/<host>/ipv4|ipv6/block/<cidr with "-">`. */
export function affinityKey(key: string): { readonly host: string; readonly family: 4 | 6; readonly cidr: string } | undefined {
  if (!key.startsWith(IPAM_HOST_PREFIX)) return undefined;
  const parts = key.slice(IPAM_HOST_PREFIX.length).split('/');
  if (parts.length !== 4 || parts[2] !== 'block') return undefined;
  const [host, fam, , dashed] = parts;
  if (!host || !dashed || (fam !== 'ipv4' && fam !== 'ipv6')) return undefined;
  return { host, family: fam === 'ipv4' ? 4 : 6, cidr: dashed.replace('-', '/') };
}

// ------------------------------------------------------------------ readers

type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly string[] };

/** The stored JSON as an object, or why not. */
function parseJson(raw: RawResource, problems: string[]): JsonObject | undefined {
  let v: unknown;
  try {
    v = JSON.parse(raw.value);
  } catch (e) {
    problems.push(`invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  if (!isObject(v)) {
    problems.push(`expected a JSON object (got ${show(v)})`);
    return undefined;
  }
  return v;
}

function fail<T>(problems: readonly string[]): Read<T> {
  return { ok: false, problems: problems.length > 0 ? problems : ['unreadable'] };
}

function finish<T>(problems: readonly string[], value: T | undefined): Read<T> {
  return problems.length > 0 || value === undefined ? fail(problems) : { ok: true, value };
}

function spec(obj: JsonObject, problems: string[]): Fields | undefined {
  return new Fields(obj, '', problems).object('spec');
}

const ENCAP_MODES: readonly EncapMode[] = ['Never', 'Always', 'CrossSubnet'];

export function readBgpConfiguration(raw: RawResource, name: string): Read<BgpConfiguration> {
  const problems: string[] = [];
  const obj = parseJson(raw, problems);
  const s = obj && spec(obj, problems);
  if (!s) return fail(problems);
  const communities: Community[] = [];
  for (const c of s.objects('communities') ?? []) {
    communities.push({ name: c.text('name'), value: c.text('value') });
  }
  let prefixAdvertisements: PrefixAdvertisement[] | undefined;
  if (s.has('prefixAdvertisements')) {
    prefixAdvertisements = [];
    for (const p of s.objects('prefixAdvertisements') ?? []) {
      prefixAdvertisements.push({ cidr: p.text('cidr'), communities: p.strings('communities') ?? [] });
    }
  }
  const unsupported = ['nodeMeshPassword', 'serviceClusterIPs', 'serviceExternalIPs', 'serviceLoadBalancerIPs', 'ignoredInterfaces', 'localWorkloadPeeringIPV4', 'localWorkloadPeeringIPV6'].filter(
    (f) => {
      const v = s.raw(f);
      return v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0);
    },
  );
  const value: BgpConfiguration = {
    key: raw.key,
    name,
    ...opt('asNumber', nonZeroAs(s, 'asNumber')),
    ...opt('nodeToNodeMeshEnabled', s.bool('nodeToNodeMeshEnabled')),
    ...opt('listenPort', nonZero(s.int('listenPort', 0, 65535))),
    ...opt('logSeverityScreen', s.string('logSeverityScreen') || undefined),
    communities,
    ...opt('prefixAdvertisements', prefixAdvertisements),
    ...opt('nodeMeshMaxRestartTime', s.duration('nodeMeshMaxRestartTime')),
    ...opt('programClusterRoutes', s.oneOf('programClusterRoutes', ['Enabled', 'Disabled', 'EnabledIPIPOnly', 'EnabledNoEncapOnly'] as const)),
    ...opt('ipv4NormalRoutePriority', s.int('ipv4NormalRoutePriority', 1, 2147483646)),
    ...opt('ipv6NormalRoutePriority', s.int('ipv6NormalRoutePriority', 1, 2147483646)),
    ...opt('bindMode', s.oneOf('bindMode', ['None', 'NodeIP'] as const)),
    unsupported,
  };
  const log = value.logSeverityScreen;
  if (log !== undefined && !/^(trace|debug|info|warning|error|fatal)$/i.test(log)) {
    problems.push(`spec.logSeverityScreen: expected Trace, Debug, Info, Warning, Error or Fatal (got ${show(log)})`);
  }
  if (name !== 'default' && !name.startsWith('node.')) {
    // confd's updateBGPConfigCache: "Bad value for BGPConfiguration resource name".
    problems.push('the name must be "default" or "node.<node name>" (confd ignores any other BGPConfiguration)');
  }
  return finish(problems, value);
}

export function readNode(raw: RawResource, name: string): Read<CalicoNode> {
  const problems: string[] = [];
  const obj = parseJson(raw, problems);
  if (!obj) return fail(problems);
  const top = new Fields(obj, '', problems);
  const labels = top.object('metadata')?.stringMap('labels');
  const bgp = top.object('spec')?.object('bgp');
  if (!bgp || !labels) return fail(problems);
  const address = (field: string, family: 4 | 6): NodeAddress | undefined => {
    const text = bgp.text(field);
    if (text === '') return undefined;
    const a = readCidrOrIp(text, family);
    return typeof a === 'string' ? bgp.problem(field, a) : a;
  };
  const clusterId = bgp.text('routeReflectorClusterID');
  if (clusterId !== '') {
    const a = readAddress(clusterId, 4);
    if (typeof a === 'string') bgp.problem('routeReflectorClusterID', a);
  }
  const value: CalicoNode = {
    key: raw.key,
    name,
    labels,
    ...opt('ipv4', address('ipv4Address', 4)),
    ...opt('ipv6', address('ipv6Address', 6)),
    ...opt('asNumber', nonZeroAs(bgp, 'asNumber')),
    ...opt('routeReflectorClusterID', clusterId || undefined),
  };
  return finish(problems, value);
}

export function readBgpPeer(raw: RawResource, name: string): Read<BgpPeer> {
  const problems: string[] = [];
  const obj = parseJson(raw, problems);
  const s = obj && spec(obj, problems);
  if (!s) return fail(problems);
  let peerIP: BgpPeer['peerIP'];
  const peerText = s.text('peerIP');
  if (peerText !== '') {
    const { host, port } = splitPeerIP(peerText);
    const a = readAddress(host);
    if (typeof a === 'string') s.problem('peerIP', `expected "a.b.c.d", "a.b.c.d:port", "[v6]:port" or a bare IPv6 address (got ${show(peerText)})`);
    else peerIP = { host, address: a.address, family: a.family, port };
  }
  const unsupported: string[] = [];
  if (s.object('password')?.has('secretKeyRef')) unsupported.push('password');
  if (s.text('reachableBy') !== '') unsupported.push('reachableBy');
  if (s.text('localWorkloadSelector') !== '') unsupported.push('localWorkloadSelector');
  const value: BgpPeer = {
    key: raw.key,
    name,
    ...opt('node', s.text('node') || undefined),
    ...opt('nodeSelector', s.selector('nodeSelector')),
    ...opt('peerSelector', s.selector('peerSelector')),
    ...opt('peerIP', peerIP),
    asNumber: s.asNumber('asNumber') ?? 0,
    ...opt('localASNumber', nonZero(s.asNumber('localASNumber'))),
    keepOriginalNextHop: s.bool('keepOriginalNextHop') ?? false,
    ...opt('nextHopMode', s.oneOf('nextHopMode', ['Auto', 'Self', 'Keep'] as const)),
    ...opt('maxRestartTime', s.duration('maxRestartTime')),
    ...opt('keepaliveTime', s.duration('keepaliveTime')),
    ...opt('ttlSecurity', s.int('ttlSecurity', 0, 255)),
    sourceAddress: s.oneOf('sourceAddress', ['UseNodeIP', 'None'] as const) ?? 'UseNodeIP',
    ...opt('numAllowedLocalASNumbers', s.int('numAllowedLocalASNumbers', 0, 2147483647)),
    filters: s.strings('filters') ?? [],
    reversePeering: s.oneOf('reversePeering', ['Auto', 'Manual'] as const) ?? 'Auto',
    unsupported,
  };
  if (value.peerIP === undefined && value.peerSelector === undefined && problems.length === 0) {
    problems.push('spec: neither peerIP nor peerSelector is set');
  }
  if (value.node !== undefined && value.nodeSelector !== undefined) problems.push('spec: node and nodeSelector are both set (Calico allows one)');
  if (value.peerIP !== undefined && value.peerSelector !== undefined) problems.push('spec: peerIP and peerSelector are both set (Calico allows one)');
  if (value.peerIP !== undefined && value.asNumber === 0 && !unsupported.includes('localWorkloadSelector')) {
    problems.push('spec.asNumber: required with peerIP');
  }
  return finish(problems, value);
}

function readFilterRules(s: Fields, field: string, family: 4 | 6): FilterRule[] {
  const rules: FilterRule[] = [];
  for (const r of s.objects(field) ?? []) {
    const action = r.oneOf('action', ['Accept', 'Reject'] as const);
    if (action === undefined && r.text('action') === '') r.problem('action', 'required ("Accept" or "Reject")');
    const cidrText = r.text('cidr');
    let cidr: ParsedCidr | undefined;
    if (cidrText !== '') {
      const c = readCidr(cidrText, family);
      if (typeof c === 'string') r.problem('cidr', c);
      else cidr = c;
    }
    const matchOperator = r.oneOf('matchOperator', ['Equal', 'NotEqual', 'In', 'NotIn'] as const);
    if (cidrText !== '' && matchOperator === undefined && r.text('matchOperator') === '') r.problem('matchOperator', 'required with cidr');
    if (cidrText === '' && matchOperator !== undefined) r.problem('cidr', 'required with matchOperator');
    const pl = r.object('prefixLength');
    const maxLen = family === 4 ? 32 : 128;
    const min = pl?.int('min', 0, maxLen);
    const max = pl?.int('max', 0, maxLen);
    const communities = r.object('communities')?.strings('values');
    if (communities !== undefined && communities.length !== 1) r.problem('communities.values', `expected exactly one community value (got ${communities.length})`);
    const community = communities?.[0];
    if (community !== undefined && !/^[0-9]+:[0-9]+(:[0-9]+)?$/.test(community)) {
      r.problem('communities.values[0]', `expected "aa:nn" or "aa:nn:mm" (got ${show(community)})`);
    }
    const asPathPrefix = r.has('asPathPrefix') ? readAsList(r, 'asPathPrefix') : undefined;
    const operations: FilterOperation[] = [];
    for (const op of r.objects('operations') ?? []) {
      if (op.has('addCommunity')) {
        const v = op.object('addCommunity')?.text('value') ?? '';
        if (!/^[0-9]+:[0-9]+(:[0-9]+)?$/.test(v)) op.problem('addCommunity.value', `expected "aa:nn" or "aa:nn:mm" (got ${show(v)})`);
        else operations.push({ kind: 'addCommunity', value: v });
      } else if (op.has('prependASPath')) {
        const prefix = op.object('prependASPath');
        const list = prefix ? readAsList(prefix, 'prefix') : undefined;
        if (list) operations.push({ kind: 'prependASPath', prefix: list });
      } else if (op.has('setPriority')) {
        const v = op.object('setPriority')?.int('value', 1, 2147483646);
        if (v === undefined) op.problem('setPriority.value', 'required: an integer 1..2147483646');
        else operations.push({ kind: 'setPriority', value: v });
      } else {
        op.problem('', 'an operation sets one of addCommunity, prependASPath, setPriority');
      }
    }
    if (!action) continue;
    rules.push({
      at: r.path,
      action,
      ...opt('cidr', cidr),
      ...opt('matchOperator', matchOperator),
      ...(pl?.has('min') || pl?.has('max') ? { prefixLength: { ...opt('min', min), ...opt('max', max) } } : {}),
      ...opt('source', r.oneOf('source', ['RemotePeers'] as const)),
      ...opt('interface', r.text('interface') || undefined),
      ...opt('peerType', r.oneOf('peerType', ['eBGP', 'iBGP'] as const)),
      ...opt('community', community),
      ...opt('asPathPrefix', asPathPrefix),
      ...opt('priority', r.int('priority', 1, 2147483646)),
      operations,
    });
  }
  return rules;
}

function readAsList(f: Fields, name: string): number[] | undefined {
  const v = f.raw(name);
  if (v === undefined) return [];
  if (!Array.isArray(v)) return f.problem(name, `expected an array of AS numbers (got ${show(v)})`);
  const out: number[] = [];
  v.forEach((x: unknown, i) => {
    const n = parseAsNumber(x);
    if (n.ok) out.push(n.value);
    else f.problem(`${name}[${i}]`, n.error);
  });
  return out;
}

export function readBgpFilter(raw: RawResource, name: string): Read<BgpFilter> {
  const problems: string[] = [];
  const obj = parseJson(raw, problems);
  const s = obj && spec(obj, problems);
  if (!s) return fail(problems);
  const value: BgpFilter = {
    key: raw.key,
    name,
    importV4: readFilterRules(s, 'importV4', 4),
    exportV4: readFilterRules(s, 'exportV4', 4),
    importV6: readFilterRules(s, 'importV6', 6),
    exportV6: readFilterRules(s, 'exportV6', 6),
  };
  return finish(problems, value);
}

const ALL: Selector = { text: 'all()', node: { kind: 'all' } };

export function readIpPool(raw: RawResource, name: string): Read<IpPool> {
  const problems: string[] = [];
  const obj = parseJson(raw, problems);
  const s = obj && spec(obj, problems);
  if (!s) return fail(problems);
  const cidrText = s.text('cidr');
  let cidr: ParsedCidr | undefined;
  if (cidrText === '') s.problem('cidr', 'required');
  else {
    const c = readCidr(cidrText);
    if (typeof c === 'string') s.problem('cidr', c);
    else cidr = c;
  }
  const blockSizeRaw = s.int('blockSize', 0, 128);
  const v6 = cidr?.family === 6;
  const blockSize = blockSizeRaw === undefined || blockSizeRaw === 0 ? (v6 ? 122 : 26) : blockSizeRaw;
  if (cidr && (v6 ? blockSize < 116 || blockSize > 128 : blockSize < 20 || blockSize > 32)) {
    s.problem('blockSize', `expected ${v6 ? '116..128' : '20..32'} for an IPv${v6 ? 6 : 4} pool (got ${blockSize})`);
  }
  if (cidr && blockSize < cidr.len) s.problem('blockSize', `is shorter than the pool's /${cidr.len}`);
  const uses = s.strings('allowedUses') ?? [];
  const allowedUses = uses.filter((u): u is 'Workload' | 'Tunnel' | 'LoadBalancer' => u === 'Workload' || u === 'Tunnel' || u === 'LoadBalancer');
  if (allowedUses.length !== uses.length) s.problem('allowedUses', `expected "Workload", "Tunnel" or "LoadBalancer" (got ${show(uses)})`);
  const value = cidr && {
    key: raw.key,
    name,
    cidr,
    ipipMode: s.oneOf('ipipMode', ENCAP_MODES) ?? 'Never',
    vxlanMode: s.oneOf('vxlanMode', ENCAP_MODES) ?? 'Never',
    natOutgoing: s.bool('natOutgoing') ?? false,
    disabled: s.bool('disabled') ?? false,
    disableBGPExport: s.bool('disableBGPExport') ?? false,
    blockSize,
    nodeSelector: s.selector('nodeSelector') ?? ALL,
    assignmentMode: s.oneOf('assignmentMode', ['Automatic', 'Manual'] as const) ?? 'Automatic',
    allowedUses: allowedUses.length > 0 ? allowedUses : (['Workload', 'Tunnel'] as const),
  };
  return finish(problems, value);
}

export function readAffinity(raw: RawResource, where: { host: string; family: 4 | 6; cidr: string }): Read<BlockAffinity | null> {
  const problems: string[] = [];
  const c = readCidr(where.cidr, where.family);
  if (typeof c === 'string') problems.push(`the key's block: ${c}`);
  else if (c.cidr !== where.cidr) problems.push(`the key's block is not a network address (the network is ${c.cidr})`);
  // An empty value is old data: {} (state empty = confirmed); so is JSON null (Go leaves the zero value).
  let obj: JsonObject | undefined = {};
  const text = raw.value.trim();
  if (text !== '' && text !== 'null') obj = parseJson(raw, problems);
  if (!obj || typeof c === 'string') return fail(problems);
  const f = new Fields(obj, '', problems);
  const state = f.oneOf('state', ['confirmed', 'pending', 'pendingDeletion'] as const) ?? 'confirmed';
  // "deleted": true is a soft-delete marker: the affinity is gone.
  if (f.bool('deleted') === true) return finish(problems, null);
  return finish(problems, { key: raw.key, host: where.host, cidr: c, state });
}

// ------------------------------------------------------------------ the snapshot

/** Reads every key of the snapshot wren knows; keys of other kinds are ignored, unreadable ones skipped. */
export function readResources(snapshot: DatastoreSnapshot): CalicoResources {
  const bgpConfigurations = new Map<string, BgpConfiguration>();
  const nodes = new Map<string, CalicoNode>();
  const bgpPeers: BgpPeer[] = [];
  const bgpFilters = new Map<string, BgpFilter>();
  const ipPools: IpPool[] = [];
  const affinities: BlockAffinity[] = [];
  const skipped: SkippedResource[] = [];
  const keys = [...snapshot.resources.keys()].sort();
  const skip = (key: string, problems: readonly string[], kind: string): void => {
    skipped.push({ key, reason: `${kind} not used: ${problems.join('; ')}` });
  };
  for (const key of keys) {
    const raw = snapshot.resources.get(key);
    if (!raw) continue;
    const rk = resourceKey(key);
    if (rk) {
      switch (rk.plural) {
        case 'bgpconfigurations': {
          const r = readBgpConfiguration(raw, rk.name);
          if (r.ok) bgpConfigurations.set(rk.name, r.value);
          else skip(key, r.problems, 'BGPConfiguration');
          break;
        }
        case 'nodes': {
          const r = readNode(raw, rk.name);
          if (r.ok) nodes.set(rk.name, r.value);
          else skip(key, r.problems, 'Node');
          break;
        }
        case 'bgppeers': {
          const r = readBgpPeer(raw, rk.name);
          if (r.ok) bgpPeers.push(r.value);
          else skip(key, r.problems, 'BGPPeer');
          break;
        }
        case 'bgpfilters': {
          const r = readBgpFilter(raw, rk.name);
          if (r.ok) bgpFilters.set(rk.name, r.value);
          else skip(key, r.problems, 'BGPFilter');
          break;
        }
        case 'ippools': {
          const r = readIpPool(raw, rk.name);
          if (r.ok) ipPools.push(r.value);
          else skip(key, r.problems, 'IPPool');
          break;
        }
      }
      continue;
    }
    const ak = affinityKey(key);
    if (ak) {
      const r = readAffinity(raw, ak);
      if (!r.ok) skip(key, r.problems, 'block affinity');
      else if (r.value) affinities.push(r.value);
    }
  }
  return { bgpConfigurations, nodes, bgpPeers, bgpFilters, ipPools, affinities, skipped };
}

// ------------------------------------------------------------------ small helpers

/** `{ [key]: value }` when defined, else `{}` (exactOptionalPropertyTypes: absent, never undefined). */
function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

const nonZero = (n: number | undefined): number | undefined => (n === 0 ? undefined : n);

/** An AS number where 0 is not an AS (a Node's or the cluster's): a problem. */
function nonZeroAs(f: Fields, name: string): number | undefined {
  const n = f.asNumber(name);
  return n === 0 ? f.problem(name, 'AS 0 is not an AS number (expected 1..4294967295)') : n;
}

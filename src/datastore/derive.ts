/**
 * `deriveConfig(snapshot, nodeName, file)`: the configuration a node runs, derived from Calico's
 * datastore as confd derives BIRD's (docs/datastore.md), in the configuration file's own JSON form,
 * so that `validateConfig`, its defaults and `diffConfig` (what a reload costs) are the same for a
 * derived configuration as for a written one.
 *
 * From the datastore: `routerId` (the node's IPv4 address), `asn` (the node's, else the cluster's,
 * else 64512), `routeReflector.clusterId`, `peers` (peerings.ts), `originate` (the node's confirmed
 * blocks), `policies["calico-export"]` (export-policy.ts) and per-session filter policies
 * (filters.ts), `kernel.pools` (the IP pools' encapsulation), `listen.port` and `log.level`. The
 * file's other sections are kept, and it may add to these by the merge rule of
 * docs/decisions/0008-datastore-config.md (config/config-file.ts).
 *
 * Deterministic: the same snapshot and file give the same JSON, byte for byte (everything is sorted:
 * sessions by name, blocks and pools by prefix), so that a node joining the cluster adds one peer
 * entry and changes nothing else. Never throws on datastore content: what cannot be used is in
 * `skipped` (a resource, and why) or `notes` (a field that is not applied, and why). Pure.
 */
import { comparePrefixes, formatAddress, formatPrefix, parseAddress, parsePrefix } from '../util/inet.js';
import { DEFAULTS } from '../config/defaults.js';
import { isPlainObject } from '../config/issues.js';
import { CALICO_EXPORT, calicoExportRules } from './export-policy.js';
import { filterProblems, sessionFilterRules, type RawRule } from './filters.js';
import { hashRouterId } from './go-values.js';
import { deriveSessions, type Peering } from './peerings.js';
import { readResources, type BgpConfiguration, type CalicoNode, type CalicoResources, type IpPool, type ProgramClusterRoutes } from './resources.js';
import type { DatastoreSnapshot, SkippedResource } from './types.js';

/** Calico's default AS (confd's globalDefaults as_num). */
export const CALICO_DEFAULT_AS = 64512;
/** BIRD's TTL for a `multihop;` session without a number. */
export const BIRD_MULTIHOP_TTL = 64;

/** A setting read from the datastore and not applied as written, and why. */
export interface DeriveNote {
  readonly key: string;
  readonly message: string;
}

export type SessionOrigin = 'mesh' | 'global' | 'node' | 'file';

/** Where one peer of the derived configuration comes from (`wren show peers`, `wren show datastore`). */
export interface DerivedSession {
  /** The peer's address (its key in the configuration). */
  readonly address: string;
  /** confd's session name (Mesh_..., Global_..., Node_...), or the file peer's name. */
  readonly name?: string;
  readonly origin: SessionOrigin;
  /** The datastore keys it comes from (a BGPPeer, a Node). */
  readonly resources: readonly string[];
}

export interface DerivedNode {
  readonly name: string;
  /** Whether the snapshot has this node's Node resource. Without it confd renders nothing: keep running what runs. */
  readonly found: boolean;
  readonly ipv4?: string;
  readonly ipv6?: string;
  readonly asn: number;
  readonly routeReflectorClusterID?: string;
}

export interface DerivedConfig {
  /** The configuration's JSON, for `validateConfig`. */
  readonly config: Record<string, unknown>;
  /** Resources not used, with why (each key once). */
  readonly skipped: readonly SkippedResource[];
  readonly notes: readonly DeriveNote[];
  /** One per peer of `config.peers`, in the same order. */
  readonly sessions: readonly DerivedSession[];
  readonly node: DerivedNode;
  /** What was read (`wren show datastore`). */
  readonly counts: {
    readonly nodes: number;
    readonly bgpPeers: number;
    readonly bgpFilters: number;
    readonly ipPools: number;
    readonly bgpConfigurations: number;
    /** This node's block affinities (any state) and how many are confirmed (announced). */
    readonly affinities: number;
    readonly blocks: number;
  };
  readonly revision: number;
}

/** Keys of the derived configuration, in the order they are written. */
const DERIVED_KEYS = ['routerId', 'asn', 'routeReflector', 'listen', 'peers', 'originate', 'policies', 'kernel', 'log'] as const;

const LOG_LEVELS: Readonly<Record<string, string>> = { trace: 'trace', debug: 'debug', info: 'info', warning: 'warn', error: 'error', fatal: 'fatal' };

/** Per-node BGPConfiguration fields confd reads only from `default`. */
const DEFAULT_ONLY = ['asNumber', 'nodeToNodeMeshEnabled', 'nodeMeshMaxRestartTime', 'programClusterRoutes', 'ipv4NormalRoutePriority', 'ipv6NormalRoutePriority', 'bindMode'] as const;

/** Why wren does not apply a field, per field (docs/datastore.md). */
const UNSUPPORTED_CONFIG: Readonly<Record<string, string>> = {
  nodeMeshPassword: 'a Kubernetes Secret, which wren does not read: mesh sessions have no TCP MD5 password (give one with a file peer at that address)',
  serviceClusterIPs: 'service advertisement needs Kubernetes; not announced',
  serviceExternalIPs: 'service advertisement needs Kubernetes; not announced',
  serviceLoadBalancerIPs: 'service advertisement needs Kubernetes; not announced',
  ignoredInterfaces: 'wren does not import interface routes, so there is nothing to ignore',
  localWorkloadPeeringIPV4: 'peering with local workloads needs Kubernetes; ignored',
  localWorkloadPeeringIPV6: 'peering with local workloads needs Kubernetes; ignored',
};

const UNSUPPORTED_PEER: Readonly<Record<string, string>> = {
  password: 'a Kubernetes Secret, which wren does not read: the session has no TCP MD5 password (as calico-node without Kubernetes); give one with a file peer at that address',
  reachableBy: 'the static route to the peer is not installed; add it yourself',
  localWorkloadSelector: 'peering with local workloads needs Kubernetes; ignored',
};

/**
 * The configuration `nodeName` runs. `file` is the configuration file's JSON, already accepted by
 * config/config-file.ts `validateConfigFile` as a datastore file.
 */
export function deriveConfig(snapshot: DatastoreSnapshot, nodeName: string, file: Readonly<Record<string, unknown>>): DerivedConfig {
  const res = readResources(snapshot);
  return new Derivation(res, nodeName, file, snapshot.revision).run();
}

class Derivation {
  readonly #res: CalicoResources;
  readonly #nodeName: string;
  readonly #file: Readonly<Record<string, unknown>>;
  readonly #revision: number;
  readonly #skipped = new Map<string, string[]>();
  readonly #notes: DeriveNote[] = [];
  readonly #global: BgpConfiguration | undefined;
  readonly #perNode: BgpConfiguration | undefined;
  readonly #node: CalicoNode | undefined;
  readonly #nodeAs: number;

  constructor(res: CalicoResources, nodeName: string, file: Readonly<Record<string, unknown>>, revision: number) {
    this.#res = res;
    this.#nodeName = nodeName;
    this.#file = file;
    this.#revision = revision;
    for (const s of res.skipped) this.#skip(s.key, s.reason);
    this.#global = res.bgpConfigurations.get('default');
    this.#perNode = res.bgpConfigurations.get(`node.${nodeName}`);
    this.#node = res.nodes.get(nodeName);
    this.#nodeAs = this.#node?.asNumber ?? this.#global?.asNumber ?? CALICO_DEFAULT_AS;
  }

  #skip(key: string, reason: string): void {
    const list = this.#skipped.get(key);
    if (!list) this.#skipped.set(key, [reason]);
    else if (!list.includes(reason)) list.push(reason);
  }

  #note(key: string, message: string): void {
    if (!this.#notes.some((n) => n.key === key && n.message === message)) this.#notes.push({ key, message });
  }

  run(): DerivedConfig {
    this.#configNotes();
    const unusableFilters = this.#checkFilters();
    const sessions = this.#node ? this.#sessions() : [];
    const exportRules = calicoExportRules({
      pools: this.#res.ipPools,
      blocks: this.#confirmedBlocks(),
      ...(this.#global && { global: this.#global }),
      ...(this.#perNode && { perNode: this.#perNode }),
    });
    for (const n of exportRules.notes) this.#note(n.key, n.message);

    const derived = this.#peers(sessions, unusableFilters, exportRules.rules);
    const { peers, sessionInfo } = this.#mergeFilePeers(derived);
    const config = this.#assemble(peers, exportRules.rules);
    const myAffinities = this.#res.affinities.filter((a) => a.host === this.#nodeName);
    return {
      config,
      skipped: [...this.#skipped].map(([key, reasons]) => ({ key, reason: reasons.join('; ') })),
      notes: this.#notes,
      sessions: sessionInfo,
      node: {
        name: this.#nodeName,
        found: this.#node !== undefined,
        ...(this.#node?.ipv4 && { ipv4: this.#node.ipv4.address }),
        ...(this.#node?.ipv6 && { ipv6: this.#node.ipv6.address }),
        asn: this.#nodeAs,
        ...(this.#node?.routeReflectorClusterID !== undefined && { routeReflectorClusterID: this.#node.routeReflectorClusterID }),
      },
      counts: {
        nodes: this.#res.nodes.size,
        bgpPeers: this.#res.bgpPeers.length,
        bgpFilters: this.#res.bgpFilters.size,
        ipPools: this.#res.ipPools.length,
        bgpConfigurations: this.#res.bgpConfigurations.size,
        affinities: myAffinities.length,
        blocks: myAffinities.filter((a) => a.state === 'confirmed').length,
      },
      revision: this.#revision,
    };
  }

  #configNotes(): void {
    for (const c of [this.#global, this.#perNode]) {
      if (!c) continue;
      for (const f of c.unsupported) this.#note(c.key, `spec.${f}: ${UNSUPPORTED_CONFIG[f] ?? 'not supported; ignored'}`);
    }
    const node = this.#perNode;
    if (node) {
      for (const f of DEFAULT_ONLY) {
        if (node[f] !== undefined) this.#note(node.key, `spec.${f}: Calico reads it only from the default BGPConfiguration; ignored here`);
      }
    }
    if (this.#global?.nodeMeshMaxRestartTime !== undefined) {
      this.#note(this.#global.key, 'spec.nodeMeshMaxRestartTime: wren has no per-session restart time; gracefulRestart.restartTime applies to every session');
    }
  }

  /** Filters wren cannot express, each skipped with every rule it cannot say. */
  #checkFilters(): Set<string> {
    const unusable = new Set<string>();
    for (const f of this.#res.bgpFilters.values()) {
      const problems = filterProblems(f);
      if (problems.length === 0) continue;
      unusable.add(f.name);
      this.#skip(f.key, `BGPFilter not usable: ${problems.join('; ')}`);
    }
    // A malformed filter is unusable too (its key is in skipped already).
    for (const s of this.#res.skipped) {
      const name = /\/bgpfilters\/([^/]+)$/.exec(s.key)?.[1];
      if (name !== undefined) unusable.add(name);
    }
    return unusable;
  }

  #confirmedBlocks() {
    return this.#res.affinities.filter((a) => a.host === this.#nodeName && a.state === 'confirmed').sort((a, b) => comparePrefixes(a.cidr.cidr, b.cidr.cidr));
  }

  #sessions(): Peering[] {
    const node = this.#node;
    if (!node) return [];
    const nodeListenPorts = new Map<string, number>();
    for (const c of this.#res.bgpConfigurations.values()) {
      if (c.name.startsWith('node.') && c.listenPort !== undefined) nodeListenPorts.set(c.name.slice('node.'.length), c.listenPort);
    }
    return deriveSessions({
      resources: this.#res,
      node,
      globalAs: this.#global?.asNumber ?? CALICO_DEFAULT_AS,
      globalListenPort: this.#global?.listenPort ?? 0,
      nodeListenPorts,
      meshEnabled: this.#global?.nodeToNodeMeshEnabled ?? true,
      ...(this.#global?.nodeMeshMaxRestartTime !== undefined && { meshRestartTime: this.#global.nodeMeshMaxRestartTime }),
    });
  }

  /** The file's hold time, which a derived keepalive must stay below (config/sections.ts). */
  #holdTime(): number {
    const timers = this.#file['timers'];
    const hold = isPlainObject(timers) ? timers['holdTime'] : undefined;
    return typeof hold === 'number' && Number.isInteger(hold) ? hold : DEFAULTS.timers.holdTime;
  }

  /**
   * Sessions -> peers of the configuration (JSON), one per address: an explicit session (Global_,
   * Node_) wins over a mesh one to the same address, and the first by name among explicit ones.
   */
  #peers(sessions: readonly Peering[], unusableFilters: ReadonlySet<string>, exportRules: readonly RawRule[]): { peer: Record<string, unknown>; info: DerivedSession }[] {
    const byAddress = new Map<string, Peering>();
    const ordered = [...sessions.filter((s) => s.type !== 'mesh'), ...sessions.filter((s) => s.type === 'mesh')];
    for (const s of ordered) {
      const first = byAddress.get(s.address);
      if (first) {
        this.#note(s.bgpPeer?.key ?? s.sources[0] ?? '', `session ${s.name} not created: wren keeps one session per address, and ${first.name} has ${s.address}`);
        continue;
      }
      if (s.bgpPeer) {
        const p = s.bgpPeer;
        const bad = p.filters.filter((f) => unusableFilters.has(f));
        if (bad.length > 0) {
          this.#skip(p.key, `session ${s.name} not created: BGPFilter ${bad.map((b) => JSON.stringify(b)).join(', ')} cannot be used (see its own entry)`);
          continue;
        }
        for (const f of p.filters) {
          if (!this.#res.bgpFilters.has(f) && !unusableFilters.has(f)) this.#note(p.key, `spec.filters: no BGPFilter named ${JSON.stringify(f)}; ignored, as confd does`);
        }
        for (const u of p.unsupported) this.#note(p.key, `spec.${u}: ${UNSUPPORTED_PEER[u] ?? 'not supported; ignored'}`);
      }
      byAddress.set(s.address, s);
    }
    const hold = this.#holdTime();
    return [...byAddress.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((s) => ({ peer: this.#rawPeer(s, hold, exportRules), info: { address: s.address, name: s.name, origin: s.type, resources: s.sources } }));
  }

  #rawPeer(s: Peering, hold: number, exportRules: readonly RawRule[]): Record<string, unknown> {
    const key = s.bgpPeer?.key ?? s.sources[0] ?? '';
    const effectiveAs = s.localAs ?? this.#nodeAs;
    const ebgp = s.asn !== effectiveAs;
    const peer: Record<string, unknown> = { name: s.name, address: s.address, asn: s.asn };
    if (s.port > 0) peer['port'] = s.port;
    if (s.localAs !== undefined) peer['localAs'] = s.localAs;
    if (s.sourceAddress !== undefined) peer['localAddress'] = s.sourceAddress;
    if (s.passive) peer['passive'] = true;
    peer['families'] = [s.family === 4 ? 'ipv4-unicast' : 'ipv6-unicast'];
    if (s.routeReflectorClient) peer['routeReflectorClient'] = true;
    if (s.nextHop === 'self') peer['nextHopSelf'] = true;
    if (s.nextHop === 'keep' && ebgp) this.#note(key, `session ${s.name}: next hop keep towards an eBGP peer is not supported; wren announces its own address (RFC 4271 5.1.3)`);
    if (s.ttlSecurity > 0) {
      peer['ttlSecurity'] = Math.min(s.ttlSecurity, 254);
      if (s.ttlSecurity > 254) this.#note(key, `spec.ttlSecurity: ${s.ttlSecurity} hops is applied as 254 (wren's largest)`);
    } else if (ebgp) {
      // confd renders "ttl security off; multihop;": BIRD's multihop TTL.
      peer['ebgpMultihop'] = BIRD_MULTIHOP_TTL;
    }
    if (s.allowLocalAs !== undefined) {
      peer['allowasIn'] = Math.min(s.allowLocalAs, 10);
      if (s.allowLocalAs > 10) this.#note(key, `spec.numAllowedLocalASNumbers: ${s.allowLocalAs} is applied as 10 (wren's largest)`);
    }
    if (s.keepaliveTime !== undefined) {
      if (s.keepaliveTime > 0 && hold > 0 && s.keepaliveTime < hold) peer['keepaliveTime'] = s.keepaliveTime;
      else this.#note(key, `spec.keepaliveTime: ${s.keepaliveTime}s not applied: it must be above 0 and below the hold time (${hold}s, timers.holdTime)`);
    }
    if (s.restartTime !== undefined && s.type !== 'mesh') {
      this.#note(key, 'spec.maxRestartTime: wren has no per-session restart time; gracefulRestart.restartTime applies');
    }
    const filters = (s.bgpPeer?.filters ?? []).map((f) => this.#res.bgpFilters.get(f)).filter((f) => f !== undefined);
    const importRules = sessionFilterRules(filters, 'import', !ebgp);
    const exportFilterRules = sessionFilterRules(filters, 'export', !ebgp);
    peer['import'] = importRules.length > 0 ? { rules: importRules, default: 'accept' } : 'all';
    peer['export'] = exportFilterRules.length > 0 ? { rules: [...exportFilterRules, ...exportRules], default: 'reject' } : CALICO_EXPORT;
    return peer;
  }

  /** File peers join the derived ones; a file peer at a derived peer's address replaces it. */
  #mergeFilePeers(derived: readonly { peer: Record<string, unknown>; info: DerivedSession }[]): { peers: unknown[]; sessionInfo: DerivedSession[] } {
    const filePeers = Array.isArray(this.#file['peers']) ? (this.#file['peers'] as unknown[]) : [];
    const fileAddresses = new Map<string, unknown>();
    for (const p of filePeers) {
      const address = isPlainObject(p) ? p['address'] : undefined;
      const a = typeof address === 'string' ? parseAddress(address) : null;
      if (a) fileAddresses.set(formatAddress(a.bytes), p);
    }
    const peers: unknown[] = [];
    const sessionInfo: DerivedSession[] = [];
    for (const d of derived) {
      if (fileAddresses.has(d.info.address)) {
        this.#note(d.info.resources[0] ?? '', `session ${d.info.name ?? d.info.address} replaced by the configuration file's peer at ${d.info.address}`);
        continue;
      }
      peers.push(d.peer);
      sessionInfo.push(d.info);
    }
    for (const p of filePeers) {
      peers.push(p);
      const address = isPlainObject(p) ? p['address'] : undefined;
      const range = isPlainObject(p) ? p['addressRange'] : undefined;
      const name = isPlainObject(p) && typeof p['name'] === 'string' ? p['name'] : undefined;
      const a = typeof address === 'string' ? parseAddress(address) : null;
      sessionInfo.push({ address: a ? formatAddress(a.bytes) : String(address ?? range), ...(name !== undefined && { name }), origin: 'file', resources: [] });
    }
    return { peers, sessionInfo };
  }

  #routerId(): string | undefined {
    const own = this.#file['routerId'];
    if (typeof own === 'string') return own;
    if (!this.#node) return undefined;
    if (this.#node.ipv4) return this.#node.ipv4.address;
    const id = hashRouterId(this.#nodeName);
    this.#note(this.#node.key, `no IPv4 address: router id ${id} from the node name (as CALICO_ROUTER_ID=hash); set routerId in the file to choose another`);
    return id;
  }

  /** kernel.pools from the IP pools, as confd's kernel filter programs them (bgp_processor.go processIPPool). */
  #kernelPools(): Record<string, unknown>[] {
    const policy = this.#global?.programClusterRoutes;
    const routes = clusterRoutes(policy);
    const derived = [...this.#res.ipPools]
      .sort((a, b) => comparePrefixes(a.cidr.cidr, b.cidr.cidr))
      .map((p) => ({ cidr: p.cidr.cidr, mode: poolMode(p, routes) }));
    const kernel = this.#file['kernel'];
    const own = isPlainObject(kernel) && Array.isArray(kernel['pools']) ? (kernel['pools'] as unknown[]) : [];
    const ownCidrs = new Set<string>();
    for (const p of own) {
      const cidr = isPlainObject(p) ? p['cidr'] : undefined;
      if (typeof cidr === 'string') ownCidrs.add(canonicalOr(cidr));
    }
    return [...derived.filter((d) => !ownCidrs.has(d.cidr)), ...(own as Record<string, unknown>[])];
  }

  #originate(): unknown[] {
    const own = Array.isArray(this.#file['originate']) ? (this.#file['originate'] as unknown[]) : [];
    const ownPrefixes = new Set<string>();
    for (const o of own) {
      const prefix = typeof o === 'string' ? o : isPlainObject(o) ? o['prefix'] : undefined;
      if (typeof prefix === 'string') ownPrefixes.add(canonicalOr(prefix));
    }
    const blocks = this.#confirmedBlocks().map((b) => b.cidr.cidr).filter((c) => !ownPrefixes.has(c));
    return [...blocks, ...own];
  }

  #listen(): Record<string, unknown> | undefined {
    const own = this.#file['listen'];
    const listen: Record<string, unknown> = isPlainObject(own) ? { ...own } : {};
    const port = this.#perNode?.listenPort ?? this.#global?.listenPort;
    if (port !== undefined && listen['port'] === undefined) listen['port'] = port;
    if (this.#global?.bindMode === 'NodeIP' && listen['address'] === undefined && this.#node) {
      const address = this.#node.ipv4?.address ?? this.#node.ipv6?.address;
      if (address !== undefined) listen['address'] = address;
      if (this.#node.ipv4 && this.#node.ipv6) {
        this.#note(this.#global.key, `spec.bindMode NodeIP: wren listens on one address, ${address}; sessions of the other family are only initiated by this node`);
      }
    }
    return Object.keys(listen).length > 0 || isPlainObject(own) ? listen : undefined;
  }

  #log(): Record<string, unknown> | undefined {
    const own = this.#file['log'];
    const log: Record<string, unknown> = isPlainObject(own) ? { ...own } : {};
    const severity = this.#perNode?.logSeverityScreen ?? this.#global?.logSeverityScreen;
    if (log['level'] === undefined && severity !== undefined) {
      const level = LOG_LEVELS[severity.toLowerCase()];
      if (level !== undefined) log['level'] = level;
    }
    return Object.keys(log).length > 0 || isPlainObject(own) ? log : undefined;
  }

  #assemble(peers: unknown[], exportRules: readonly RawRule[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const routerId = this.#routerId();
    if (routerId !== undefined) out['routerId'] = routerId;
    out['asn'] = this.#nodeAs;
    const clusterId = this.#node?.routeReflectorClusterID;
    if (clusterId !== undefined) out['routeReflector'] = { clusterId };
    for (const [k, v] of Object.entries(this.#file)) {
      if (!(DERIVED_KEYS as readonly string[]).includes(k)) out[k] = v;
    }
    const listen = this.#listen();
    if (listen !== undefined) out['listen'] = listen;
    out['peers'] = peers;
    out['originate'] = this.#originate();
    const ownPolicies = this.#file['policies'];
    out['policies'] = { ...(isPlainObject(ownPolicies) ? ownPolicies : {}), [CALICO_EXPORT]: { rules: exportRules, default: 'reject' } };
    const kernel = this.#file['kernel'];
    out['kernel'] = { ...(isPlainObject(kernel) ? kernel : {}), pools: this.#kernelPools() };
    const log = this.#log();
    if (log !== undefined) out['log'] = log;
    return out;
  }
}

/** Which pools' routes the kernel gets from wren (BGPConfiguration programClusterRoutes; unset: all, as up to v3.32). */
function clusterRoutes(policy: ProgramClusterRoutes | undefined): { ipip: boolean; noEncap: boolean } {
  switch (policy) {
    case 'Disabled':
      return { ipip: false, noEncap: false };
    case 'EnabledIPIPOnly':
      return { ipip: true, noEncap: false };
    case 'EnabledNoEncapOnly':
      return { ipip: false, noEncap: true };
    case 'Enabled':
    case undefined:
      return { ipip: true, noEncap: true };
  }
}

/** A pool's kernel.pools mode: VXLAN pools are Felix's; IPIP Always / CrossSubnet; Never is direct. */
function poolMode(p: IpPool, routes: { ipip: boolean; noEncap: boolean }): string {
  if (p.vxlanMode !== 'Never') return 'none';
  if (p.cidr.family === 4 && p.ipipMode !== 'Never') {
    if (!routes.ipip) return 'none';
    return p.ipipMode === 'Always' ? 'ipip' : 'ipip-cross-subnet';
  }
  return routes.noEncap ? 'direct' : 'none';
}

/** Canonical prefix text, or the text itself when it is not a prefix (validation reports it). */
function canonicalOr(text: string): string {
  const p = parsePrefix(text);
  return p ? formatPrefix(p) : text;
}

/**
 * The BGP sessions of one node, derived from Calico's resources the way confd derives them
 * (confd/pkg/backends/calico/client.go `updatePeersV1`, `nodeAsBGPPeers`, `nodesWithIPPortAndAS`,
 * and bgp_processor.go `processMeshPeers`, `buildPeerFromData`), per address family:
 *
 * - Mesh (nodeToNodeMeshEnabled, default true) unless this node is a route reflector: a session
 *   `Mesh_<ip>` to every other node with an address of the family and no routeReflectorClusterID.
 *   This side is passive when the peer's address text is greater than ours (a *string* comparison,
 *   as confd does: "10.0.0.10" < "10.0.0.9").
 * - BGPPeers in three passes: global ones (no node / nodeSelector: every node), then the ones
 *   whose node / nodeSelector selects this node, then the reverse peerings confd adds for symmetry
 *   (reversePeering Auto: this node is selected by peerSelector, or is the peerIP with the same AS
 *   and port). A session is keyed by (address, port); the first one emitted wins, and a node-specific
 *   one is dropped when a global one has the same key. `Global_<ip>` / `Node_<ip>`, `_port_<n>`
 *   when a port is set ('.' and ':' become '_').
 *
 * Ties that confd leaves to Go's map order (two BGPPeers giving the same session, a peerIP that is
 * the address of two nodes) are broken by name here, so the result is deterministic. Pure.
 */
import { evaluateSelector, type SelectorNode } from './selector.js';
import { roundSeconds } from './go-values.js';
import type { BgpPeer, CalicoNode, CalicoResources } from './resources.js';

export type PeeringType = 'mesh' | 'global' | 'node';

/** One derived session, in confd's terms. */
export interface Peering {
  readonly name: string;
  readonly type: PeeringType;
  /** Canonical address. */
  readonly address: string;
  readonly family: 4 | 6;
  /** 0: not set (179). */
  readonly port: number;
  /** The remote AS. */
  readonly asn: number;
  /** BGPPeer localASNumber: our AS on this session. */
  readonly localAs?: number;
  /** Our address of the family (sourceAddress UseNodeIP); absent with sourceAddress None. */
  readonly sourceAddress?: string;
  /** 0: "ttl security off; multihop"; N: GTSM with N hops. */
  readonly ttlSecurity: number;
  readonly passive: boolean;
  /** This node is a route reflector and the peer is its client (iBGP, not in our cluster). */
  readonly routeReflectorClient: boolean;
  readonly nextHop?: 'self' | 'keep';
  /** Whole seconds (confd rounds). */
  readonly keepaliveTime?: number;
  /** Whole seconds: BIRD's per-session "graceful restart time". */
  readonly restartTime?: number;
  /** numAllowedLocalASNumbers. */
  readonly allowLocalAs?: number;
  /** BGPFilter names, in order. */
  readonly filters: readonly string[];
  /** The resources it comes from: the BGPPeer, and the remote Node for mesh and selector sessions. */
  readonly sources: readonly string[];
  /** The BGPPeer it comes from (absent for mesh sessions). */
  readonly bgpPeer?: BgpPeer;
}

/** The cluster-wide values the topology needs (derive.ts reads them from the BGPConfigurations). */
export interface TopologyContext {
  readonly resources: CalicoResources;
  /** This node. */
  readonly node: CalicoNode;
  /** The default BGPConfiguration's asNumber, else 64512. */
  readonly globalAs: number;
  /** The default BGPConfiguration's listenPort (0: unset). */
  readonly globalListenPort: number;
  /** node.<name> BGPConfigurations' listenPort (set and non-zero). */
  readonly nodeListenPorts: ReadonlyMap<string, number>;
  readonly meshEnabled: boolean;
  /** nodeMeshMaxRestartTime, seconds. */
  readonly meshRestartTime?: number;
}

/** A peering before it is rendered (confd's backends.BGPPeer). */
interface PeerData {
  readonly address: string;
  readonly family: 4 | 6;
  readonly port: number;
  readonly asn: number;
  readonly localAs: number;
  readonly rrClusterId: string;
  readonly calicoNode: boolean;
  readonly ttlSecurity: number;
  readonly keepNextHop: boolean;
  readonly nextHopMode: string;
  readonly allowLocalAs: number;
  readonly sourceAddr: 'UseNodeIP' | 'None';
  readonly restartTime?: number;
  readonly keepaliveTime?: number;
  readonly filters: readonly string[];
  readonly sources: readonly string[];
  readonly bgpPeer: BgpPeer;
}

const nodeAddress = (n: CalicoNode, family: 4 | 6): string | undefined => (family === 4 ? n.ipv4?.address : n.ipv6?.address);

/** "10.0.0.1" -> "10_0_0_1", "fd00::1" -> "fd00__1" (bgp_processor.go). */
export const nameSuffix = (address: string): string => address.replaceAll(address.includes(':') ? ':' : '.', '_');

export function deriveSessions(ctx: TopologyContext): Peering[] {
  const t = new Topology(ctx);
  return [...t.mesh(4), ...t.mesh(6), ...t.explicit()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

class Topology {
  readonly #ctx: TopologyContext;
  /** Nodes sorted by name. */
  readonly #nodes: readonly CalicoNode[];
  /** Every node address (confd's nodeIPs). */
  readonly #nodeIPs: ReadonlySet<string>;

  constructor(ctx: TopologyContext) {
    this.#ctx = ctx;
    this.#nodes = [...ctx.resources.nodes.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const ips = new Set<string>();
    for (const n of this.#nodes) {
      if (n.ipv4) ips.add(n.ipv4.address);
      if (n.ipv6) ips.add(n.ipv6.address);
    }
    this.#nodeIPs = ips;
  }

  /** The node's own address of the family: none means "IPv4 (IPv6) disabled on this node": no sessions of that family. */
  #ours(family: 4 | 6): string | undefined {
    return nodeAddress(this.#ctx.node, family);
  }

  #nodeAs(n: CalicoNode): number {
    return n.asNumber ?? this.#ctx.globalAs;
  }

  /** The port other nodes reach `name` on: its node.<name> listenPort, else the global one, else 0. */
  #listenPort(name: string): number {
    return this.#ctx.nodeListenPorts.get(name) ?? this.#ctx.globalListenPort;
  }

  #matching(selector: SelectorNode): CalicoNode[] {
    return this.#nodes.filter((n) => evaluateSelector(selector, n.labels));
  }

  mesh(family: 4 | 6): Peering[] {
    const ctx = this.#ctx;
    const ours = this.#ours(family);
    // A route reflector has no mesh sessions.
    if (!ctx.meshEnabled || ours === undefined || ctx.node.routeReflectorClusterID !== undefined) return [];
    const out: Peering[] = [];
    const names = new Set<string>();
    for (const n of this.#nodes) {
      const ip = nodeAddress(n, family);
      if (ip === undefined || ip === ours || n.routeReflectorClusterID !== undefined) continue;
      const name = `Mesh_${nameSuffix(ip)}`;
      if (names.has(name)) continue; // two nodes with one address: the first by name
      names.add(name);
      out.push({
        name,
        type: 'mesh',
        address: ip,
        family,
        port: this.#listenPort(n.name),
        // The peer node's AS, else the cluster's (confd up to v3.31; see docs/datastore.md).
        asn: this.#nodeAs(n),
        sourceAddress: ours,
        ttlSecurity: 0,
        // confd: `if peerIP > currentNodeIP { passive }`, Go string comparison.
        passive: ip > ours,
        routeReflectorClient: false,
        ...(ctx.meshRestartTime !== undefined && { restartTime: roundSeconds(ctx.meshRestartTime) }),
        filters: [],
        sources: [n.key],
      });
    }
    return out;
  }

  /** confd's nodeAsBGPPeers: sessions to a Calico node, for the given families. */
  #nodeAsPeers(n: CalicoNode, v4: boolean, v6: boolean, p: BgpPeer): PeerData[] {
    const out: PeerData[] = [];
    for (const family of [4, 6] as const) {
      if ((family === 4 && !v4) || (family === 6 && !v6)) continue;
      const ip = nodeAddress(n, family);
      if (ip === undefined) continue;
      out.push({
        address: ip,
        family,
        port: this.#listenPort(n.name),
        asn: this.#nodeAs(n),
        localAs: 0,
        rrClusterId: n.routeReflectorClusterID ?? '',
        calicoNode: false,
        ttlSecurity: p.ttlSecurity ?? 0,
        ...nextHopOf(p),
        allowLocalAs: 0,
        ...configFieldsOf(p),
        filters: p.filters,
        sources: [p.key, n.key],
        bgpPeer: p,
      });
    }
    return out;
  }

  /** confd's nodesWithIPPortAndAS, with its quirk kept: a port is compared with the node's own listenPort, then (else-if) with the global one. */
  #nodesWithIPPortAndAS(ip: string, asn: number, port: number): CalicoNode[] {
    const want = asn === 0 ? this.#ctx.globalAs : asn;
    return this.#nodes.filter((n) => {
      if (n.ipv4?.address !== ip && n.ipv6?.address !== ip) return false;
      if (this.#nodeAs(n) !== want) return false;
      if (port !== 0) {
        // Go: `if own, ok := ...; ok && port != own { continue } else if global != 0 && global != port { continue }`:
        // the else-if is reached whenever the first test fails, even when the node's own port matched.
        const own = this.#ctx.nodeListenPorts.get(n.name);
        if (own !== undefined && port !== own) return false;
        const g = this.#ctx.globalListenPort;
        if (g !== 0 && g !== port) return false;
      }
      return true;
    });
  }

  /** The sessions a BGPPeer describes on its remote side: the nodes of peerSelector, or peerIP. */
  #remotePeers(p: BgpPeer): PeerData[] {
    if (p.peerSelector !== undefined) {
      return this.#matching(p.peerSelector.node).flatMap((n) => this.#nodeAsPeers(n, true, true, p));
    }
    const ip = p.peerIP;
    if (ip === undefined) return [];
    let port = ip.port;
    if (port === 0) {
      const nodes = this.#nodesWithIPPortAndAS(ip.host, p.asNumber, 0);
      const first = nodes[0];
      if (first !== undefined) port = this.#ctx.nodeListenPorts.get(first.name) ?? this.#ctx.globalListenPort;
    }
    return [
      {
        address: ip.address,
        family: ip.family,
        port,
        asn: p.asNumber,
        localAs: p.localASNumber ?? 0,
        rrClusterId: '',
        calicoNode: this.#nodeIPs.has(ip.host),
        ttlSecurity: p.ttlSecurity ?? 0,
        ...nextHopOf(p),
        allowLocalAs: p.numAllowedLocalASNumbers ?? 0,
        ...configFieldsOf(p),
        filters: p.filters,
        sources: [p.key],
        bgpPeer: p,
      },
    ];
  }

  /** Whether a BGPPeer's local side (node / nodeSelector) selects this node. */
  #selectsUs(p: BgpPeer): boolean {
    if (p.nodeSelector !== undefined) return evaluateSelector(p.nodeSelector.node, this.#ctx.node.labels);
    return p.node === this.#ctx.node.name;
  }

  explicit(): Peering[] {
    const peers = this.#ctx.resources.bgpPeers;
    const emitted = new Map<string, { type: 'global' | 'node'; data: PeerData }>();
    const emit = (type: 'global' | 'node', d: PeerData): void => {
      const key = `${type}|${d.address}|${d.port}`;
      if (emitted.has(key)) return; // the first emitted wins
      if (type === 'node' && emitted.has(`global|${d.address}|${d.port}`)) return; // a global one wins
      emitted.set(key, { type, data: d });
    };
    const isGlobal = (p: BgpPeer): boolean => p.node === undefined && p.nodeSelector === undefined;
    for (const p of peers) if (isGlobal(p)) for (const d of this.#remotePeers(p)) emit('global', d);
    for (const p of peers) if (!isGlobal(p) && this.#selectsUs(p)) for (const d of this.#remotePeers(p)) emit('node', d);
    // Reverse peerings: this node is the remote side of a BGPPeer; the peers are its local side.
    for (const p of peers) {
      if (p.reversePeering === 'Manual' || p.unsupported.includes('localWorkloadSelector')) continue;
      let locals: CalicoNode[];
      let v4 = true;
      let v6 = true;
      if (p.peerSelector !== undefined) {
        locals = this.#matching(p.peerSelector.node);
      } else if (p.peerIP !== undefined) {
        locals = this.#nodesWithIPPortAndAS(p.peerIP.host, p.asNumber, p.peerIP.port);
        v4 = !p.peerIP.host.includes(':');
        v6 = !v4;
      } else {
        continue;
      }
      if (!locals.some((n) => n.name === this.#ctx.node.name)) continue;
      let remotes: CalicoNode[];
      if (p.nodeSelector !== undefined) remotes = this.#matching(p.nodeSelector.node);
      else if (p.node !== undefined) remotes = this.#nodes.filter((n) => n.name === p.node);
      else remotes = [...this.#nodes];
      for (const n of remotes) for (const d of this.#nodeAsPeers(n, v4, v6, p)) emit('node', d);
    }
    const out: Peering[] = [];
    for (const { type, data } of emitted.values()) {
      const p = this.#render(type, data);
      if (p) out.push(p);
    }
    return out;
  }

  /** confd's buildPeerFromData. */
  #render(type: 'global' | 'node', d: PeerData): Peering | undefined {
    const ours = this.#ours(d.family);
    if (ours === undefined || d.address === ours) return undefined;
    const name = `${type === 'global' ? 'Global' : 'Node'}_${nameSuffix(d.address)}${d.port > 0 ? `_port_${d.port}` : ''}`;
    const nodeAs = this.#nodeAs(this.#ctx.node);
    const effectiveAs = d.localAs !== 0 ? d.localAs : nodeAs;
    let nextHop: 'self' | 'keep' | undefined;
    if (d.nextHopMode === 'Self') nextHop = 'self';
    else if (d.nextHopMode === 'Keep') nextHop = 'keep';
    // The deprecated keepOriginalNextHop: only towards eBGP peers.
    if (d.keepNextHop && d.asn !== effectiveAs) nextHop = 'keep';
    const clusterId = this.#ctx.node.routeReflectorClusterID;
    const rrClient = d.asn === effectiveAs && clusterId !== undefined && d.rrClusterId !== clusterId;
    return {
      name,
      type,
      address: d.address,
      family: d.family,
      port: d.port,
      asn: d.asn,
      ...(d.localAs !== 0 && { localAs: d.localAs }),
      ...(d.sourceAddr === 'UseNodeIP' && { sourceAddress: ours }),
      ttlSecurity: d.ttlSecurity,
      // Only global sessions to a Calico node get the automatic passive side.
      passive: type === 'global' && d.calicoNode && d.address > ours,
      routeReflectorClient: rrClient,
      ...(nextHop !== undefined && { nextHop }),
      ...(d.keepaliveTime !== undefined && { keepaliveTime: d.keepaliveTime }),
      ...(d.restartTime !== undefined && { restartTime: d.restartTime }),
      ...(d.allowLocalAs > 0 && { allowLocalAs: d.allowLocalAs }),
      filters: d.filters,
      sources: d.sources,
      bgpPeer: d.bgpPeer,
    };
  }
}

/** confd's getNextHopMode: nextHopMode wins; keepOriginalNextHop only without it. */
function nextHopOf(p: BgpPeer): { keepNextHop: boolean; nextHopMode: string } {
  return p.nextHopMode !== undefined ? { keepNextHop: false, nextHopMode: p.nextHopMode } : { keepNextHop: p.keepOriginalNextHop, nextHopMode: '' };
}

/** confd's setPeerConfigFieldsFromV3Resource (the password is not read: docs/datastore.md). */
function configFieldsOf(p: BgpPeer): { sourceAddr: 'UseNodeIP' | 'None'; restartTime?: number; keepaliveTime?: number } {
  return {
    sourceAddr: p.sourceAddress,
    ...(p.maxRestartTime !== undefined && { restartTime: roundSeconds(p.maxRestartTime) }),
    ...(p.keepaliveTime !== undefined && { keepaliveTime: roundSeconds(p.keepaliveTime) }),
  };
}

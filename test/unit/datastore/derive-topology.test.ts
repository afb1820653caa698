/**
 * Calico resources in (JSON as stored in etcd), derived sessions out. The cases are Calico's own:
 * the topologies of its documentation (full mesh; mesh off with route reflectors chosen by label; a
 * global top-of-rack peer; a per-node peer) and confd's test inputs with the BIRD sessions its
 * golden files show (confd/tests/mock_data/calicoctl/... and compiled_templates/... in
 * projectcalico/calico), read from each node's side.
 */
import { describe, expect, it } from 'vitest';
import { bgpConfig, bgpPeer, ipPool, node, type Entry } from './fixtures.js';
import { derive, peerLines } from './helpers.js';

interface Case {
  readonly name: string;
  readonly entries: readonly Entry[];
  /** Node name -> its expected sessions (peerLines). */
  readonly expect: Readonly<Record<string, readonly string[]>>;
}

const POOL = ipPool('ippool-1', { cidr: '192.168.0.0/16', ipipMode: 'Always', natOutgoing: true });
const MESH3 = [
  bgpConfig('default', {}),
  POOL,
  node('kube-master', { ipv4: '10.192.0.2/16' }),
  node('kube-node-1', { ipv4: '10.192.0.3/16' }),
  node('kube-node-2', { ipv4: '10.192.0.4/16' }),
];

/** confd's explicit_peering/route_reflector input: kube-master is a reflector, the others its clients. */
const RR = [
  bgpConfig('default', { asNumber: 64532, nodeToNodeMeshEnabled: false }),
  bgpPeer('bgppeer-1', { peerIP: '172.19.4.87', asNumber: 64533, nodeSelector: 'has(routeReflector)' }),
  bgpPeer('bgppeer-v6', { peerIP: '[ac13::57]:50', asNumber: 64533, nodeSelector: 'has(routeReflector)' }),
  bgpPeer('bgppeer-other-nodes', { nodeSelector: 'has(routeReflector)', peerSelector: '!has(routeReflector)' }),
  POOL,
  node('kube-master', { ipv4: '10.192.0.2/16', ipv6: 'fe0a::2/96', rr: '10.0.0.1', labels: { routeReflector: 'true' } }),
  node('kube-node-1', { ipv4: '10.192.0.3/16', ipv6: 'fe0a::3/96' }),
  node('kube-node-2', { ipv4: '10.192.0.4/16', ipv6: 'fe0a::4/96' }),
];

/**
 * Calico's documentation, "Configure BGP peering": disable the full mesh, label two nodes as route
 * reflectors with a cluster id, and peer every node with them through one BGPPeer.
 */
const DOCS_RR = [
  bgpConfig('default', { logSeverityScreen: 'Info', nodeToNodeMeshEnabled: false, asNumber: 63400 }),
  bgpPeer('peer-with-route-reflectors', { nodeSelector: 'all()', peerSelector: "route-reflector == 'true'" }),
  node('rr-a', { ipv4: '10.0.0.11/24', rr: '244.0.0.1', labels: { 'route-reflector': 'true' } }),
  node('rr-b', { ipv4: '10.0.0.12/24', rr: '244.0.0.1', labels: { 'route-reflector': 'true' } }),
  node('worker-1', { ipv4: '10.0.0.21/24' }),
  node('worker-2', { ipv4: '10.0.0.22/24' }),
];

const CASES: readonly Case[] = [
  {
    // mesh/ipip-always: both sessions of kube-master are passive ("10.192.0.3" and "10.192.0.4" > "10.192.0.2").
    name: 'full mesh of three nodes, from each node',
    entries: MESH3,
    expect: {
      'kube-master': ['Mesh_10_192_0_3 10.192.0.3 as 64512 from 10.192.0.2 passive', 'Mesh_10_192_0_4 10.192.0.4 as 64512 from 10.192.0.2 passive'],
      'kube-node-1': ['Mesh_10_192_0_2 10.192.0.2 as 64512 from 10.192.0.3', 'Mesh_10_192_0_4 10.192.0.4 as 64512 from 10.192.0.3 passive'],
      'kube-node-2': ['Mesh_10_192_0_2 10.192.0.2 as 64512 from 10.192.0.4', 'Mesh_10_192_0_3 10.192.0.3 as 64512 from 10.192.0.4'],
    },
  },
  {
    name: 'the passive side is chosen by comparing address text, not numbers: .10 waits for .9',
    entries: [node('n9', { ipv4: '10.0.0.9/24' }), node('n10', { ipv4: '10.0.0.10/24' })],
    expect: {
      n9: ['Mesh_10_0_0_10 10.0.0.10 as 64512 from 10.0.0.9'],
      n10: ['Mesh_10_0_0_9 10.0.0.9 as 64512 from 10.0.0.10 passive'],
    },
  },
  {
    name: 'mesh: nodes without an address, reflectors and the node itself are left out; each node its own AS',
    entries: [
      bgpConfig('default', { asNumber: 65000 }),
      node('a', { ipv4: '10.0.0.1/24' }),
      node('b', { ipv4: '10.0.0.2/24', asNumber: 65002 }),
      node('no-bgp'),
      node('v6-only', { ipv6: 'fd00::5/64' }),
      node('reflector', { ipv4: '10.0.0.3/24', rr: '1.1.1.1' }),
    ],
    expect: {
      a: ['Mesh_10_0_0_2 10.0.0.2 as 65002 from 10.0.0.1 passive multihop 64'],
      // b's own AS is 65002: sessions to the others are eBGP.
      b: ['Mesh_10_0_0_1 10.0.0.1 as 65000 from 10.0.0.2 multihop 64'],
      // A reflector has no mesh at all; no BGPPeer gives it sessions here.
      reflector: [],
      'no-bgp': [],
    },
  },
  {
    name: 'route reflector (confd explicit_peering/route_reflector): the reflector',
    entries: RR,
    expect: {
      'kube-master': [
        'Node_10_192_0_3 10.192.0.3 as 64532 from 10.192.0.2 rr-client',
        'Node_10_192_0_4 10.192.0.4 as 64532 from 10.192.0.2 rr-client',
        'Node_172_19_4_87 172.19.4.87 as 64533 from 10.192.0.2 multihop 64',
        'Node_ac13__57_port_50 ac13::57:50 as 64533 from fe0a::2 multihop 64',
        'Node_fe0a__3 fe0a::3 as 64532 from fe0a::2 rr-client',
        'Node_fe0a__4 fe0a::4 as 64532 from fe0a::2 rr-client',
      ],
      // The clients get the reverse peerings, to the reflector only.
      'kube-node-1': ['Node_10_192_0_2 10.192.0.2 as 64532 from 10.192.0.3', 'Node_fe0a__2 fe0a::2 as 64532 from fe0a::3'],
      'kube-node-2': ['Node_10_192_0_2 10.192.0.2 as 64532 from 10.192.0.4', 'Node_fe0a__2 fe0a::2 as 64532 from fe0a::4'],
    },
  },
  {
    name: 'Calico docs: mesh off, two reflectors selected by label with one cluster id, every node peers with them',
    entries: DOCS_RR,
    expect: {
      // Reflectors of one cluster are plain iBGP peers of each other; the workers are their clients.
      'rr-a': ['Node_10_0_0_12 10.0.0.12 as 63400 from 10.0.0.11', 'Node_10_0_0_21 10.0.0.21 as 63400 from 10.0.0.11 rr-client', 'Node_10_0_0_22 10.0.0.22 as 63400 from 10.0.0.11 rr-client'],
      'rr-b': ['Node_10_0_0_11 10.0.0.11 as 63400 from 10.0.0.12', 'Node_10_0_0_21 10.0.0.21 as 63400 from 10.0.0.12 rr-client', 'Node_10_0_0_22 10.0.0.22 as 63400 from 10.0.0.12 rr-client'],
      'worker-1': ['Node_10_0_0_11 10.0.0.11 as 63400 from 10.0.0.21', 'Node_10_0_0_12 10.0.0.12 as 63400 from 10.0.0.21'],
    },
  },
  {
    name: 'Calico docs: a global top-of-rack peer on every node (mesh on)',
    entries: [...MESH3, bgpPeer('my-global-peer', { peerIP: '192.20.30.40', asNumber: 64567 })],
    expect: {
      'kube-master': [
        'Global_192_20_30_40 192.20.30.40 as 64567 from 10.192.0.2 multihop 64',
        'Mesh_10_192_0_3 10.192.0.3 as 64512 from 10.192.0.2 passive',
        'Mesh_10_192_0_4 10.192.0.4 as 64512 from 10.192.0.2 passive',
      ],
      'kube-node-2': [
        'Global_192_20_30_40 192.20.30.40 as 64567 from 10.192.0.4 multihop 64',
        'Mesh_10_192_0_2 10.192.0.2 as 64512 from 10.192.0.4',
        'Mesh_10_192_0_3 10.192.0.3 as 64512 from 10.192.0.4',
      ],
    },
  },
  {
    name: 'Calico docs: a per-node peer (node: rack1-host1)',
    entries: [
      bgpConfig('default', { nodeToNodeMeshEnabled: false }),
      bgpPeer('rack1-tor', { peerIP: '192.20.30.40', node: 'rack1-host1', asNumber: 64567 }),
      node('rack1-host1', { ipv4: '192.20.30.2/24' }),
      node('rack1-host2', { ipv4: '192.20.30.3/24' }),
    ],
    expect: {
      'rack1-host1': ['Node_192_20_30_40 192.20.30.40 as 64567 from 192.20.30.2 multihop 64'],
      'rack1-host2': [],
    },
  },
  {
    name: 'confd explicit_peering/specific_node: two per-node peers; the Calico node that is one of them gets the reverse session',
    entries: [
      bgpConfig('default', { nodeToNodeMeshEnabled: false }),
      bgpPeer('bgppeer-1', { peerIP: '10.192.0.3', asNumber: 64512, node: 'kube-master' }),
      bgpPeer('bgppeer-2', { peerIP: '10.192.0.4', asNumber: 64566, node: 'kube-master' }),
      POOL,
      node('kube-master', { ipv4: '10.192.0.2/16' }),
      node('kube-node-1', { ipv4: '10.192.0.3/16' }),
      node('kube-node-2', { ipv4: '10.192.0.4/16' }),
    ],
    expect: {
      'kube-master': ['Node_10_192_0_3 10.192.0.3 as 64512 from 10.192.0.2', 'Node_10_192_0_4 10.192.0.4 as 64566 from 10.192.0.2 multihop 64'],
      'kube-node-1': ['Node_10_192_0_2 10.192.0.2 as 64512 from 10.192.0.3'],
      // kube-node-2's AS is 64512, not the 64566 the BGPPeer says: no reverse session.
      'kube-node-2': [],
    },
  },
  {
    name: 'confd explicit_peering/global: ports from listenPort, sourceAddress None, the passive global peer that is a Calico node',
    entries: [
      bgpConfig('default', { nodeToNodeMeshEnabled: false, logSeverityScreen: 'Debug', asNumber: 64567, listenPort: 150 }),
      bgpPeer('bgppeer-1', { peerIP: '10.192.0.3', asNumber: 64567, sourceAddress: 'None' }),
      bgpPeer('bgppeer-2', { peerIP: '10.192.0.1:166', asNumber: 64567 }),
      bgpPeer('bgppeer-3', { peerIP: '10.192.0.1', asNumber: 64567 }),
      node('kube-master', { ipv4: '10.192.0.2/16' }),
      node('kube-node-1', { ipv4: '10.192.0.3/16' }),
      node('kube-node-2', { ipv4: '10.192.0.1/16' }),
      POOL,
    ],
    expect: {
      // confd renders Global_10_192_0_1_port_150 and _port_166; wren keeps one session per address (the first by name).
      'kube-master': ['Global_10_192_0_1_port_150 10.192.0.1:150 as 64567 from 10.192.0.2', 'Global_10_192_0_3_port_150 10.192.0.3:150 as 64567 passive'],
    },
  },
  {
    name: 'confd explicit_peering/selectors: a node-specific listenPort names the session with its port',
    entries: [
      bgpConfig('default', { nodeToNodeMeshEnabled: false }),
      bgpConfig('node.kube-node-1', { listenPort: 500 }),
      bgpPeer('bgppeer-1', { nodeSelector: "group=='one'", peerSelector: "group=='two'" }),
      POOL,
      node('kube-master', { ipv4: '10.192.0.2/16', ipv6: 'fd5f::2/96', labels: { group: 'one' } }),
      node('kube-node-1', { ipv4: '10.192.0.3/16', ipv6: 'fd5f::3/96', labels: { group: 'two' } }),
      node('kube-node-2', { ipv4: '10.192.0.4/16', ipv6: 'fd5f::4/96', labels: { group: 'two' } }),
    ],
    expect: {
      'kube-master': [
        'Node_10_192_0_3_port_500 10.192.0.3:500 as 64512 from 10.192.0.2',
        'Node_10_192_0_4 10.192.0.4 as 64512 from 10.192.0.2',
        'Node_fd5f__3_port_500 fd5f::3:500 as 64512 from fd5f::2',
        'Node_fd5f__4 fd5f::4 as 64512 from fd5f::2',
      ],
      // The reverse sessions of the selected nodes.
      'kube-node-1': ['Node_10_192_0_2 10.192.0.2 as 64512 from 10.192.0.3', 'Node_fd5f__2 fd5f::2 as 64512 from fd5f::3'],
    },
  },
  {
    name: 'reversePeering Manual: no reverse sessions',
    entries: [
      bgpConfig('default', { nodeToNodeMeshEnabled: false }),
      bgpPeer('one-way', { nodeSelector: "group=='one'", peerSelector: "group=='two'", reversePeering: 'Manual' }),
      node('a', { ipv4: '10.0.0.1/24', labels: { group: 'one' } }),
      node('b', { ipv4: '10.0.0.2/24', labels: { group: 'two' } }),
    ],
    expect: { a: ['Node_10_0_0_2 10.0.0.2 as 64512 from 10.0.0.1'], b: [] },
  },
  {
    name: 'a global listenPort: mesh sessions use the peer node\'s port (names without it), selector sessions carry it in their name',
    entries: [
      bgpConfig('default', { listenPort: 1790 }),
      bgpConfig('node.b', { listenPort: 1791 }),
      bgpPeer('to-tor', { peerIP: '10.0.0.254:1179', asNumber: 65100 }),
      node('a', { ipv4: '10.0.0.1/24' }),
      node('b', { ipv4: '10.0.0.2/24' }),
      node('c', { ipv4: '10.0.0.3/24' }),
    ],
    expect: {
      a: [
        'Global_10_0_0_254_port_1179 10.0.0.254:1179 as 65100 from 10.0.0.1 multihop 64',
        'Mesh_10_0_0_2 10.0.0.2:1791 as 64512 from 10.0.0.1 passive',
        'Mesh_10_0_0_3 10.0.0.3:1790 as 64512 from 10.0.0.1 passive',
      ],
    },
  },
  {
    name: 'IPv6 and dual stack: one session per family, each from the node\'s address of that family',
    entries: [node('a', { ipv4: '10.0.0.1/24', ipv6: 'fd00:10::1/64' }), node('b', { ipv4: '10.0.0.2/24', ipv6: 'fd00:10::2/64' }), node('c', { ipv6: 'FD00:10:0::3/64' })],
    expect: {
      a: [
        'Mesh_10_0_0_2 10.0.0.2 as 64512 from 10.0.0.1 passive',
        'Mesh_fd00_10__2 fd00:10::2 as 64512 from fd00:10::1 passive',
        'Mesh_fd00_10__3 fd00:10::3 as 64512 from fd00:10::1 passive',
      ],
      // No IPv4 address: no IPv4 sessions ("IPv4 disabled on this node").
      c: ['Mesh_fd00_10__1 fd00:10::1 as 64512 from fd00:10::3', 'Mesh_fd00_10__2 fd00:10::2 as 64512 from fd00:10::3'],
    },
  },
  {
    name: 'asdot AS numbers, in Node, BGPConfiguration and BGPPeer',
    entries: [
      bgpConfig('default', { asNumber: '1.10' }),
      bgpPeer('tor', { peerIP: '10.0.0.254', asNumber: '2.20' }),
      node('a', { ipv4: '10.0.0.1/24' }),
      node('b', { ipv4: '10.0.0.2/24', asNumber: '1.11' }),
    ],
    expect: {
      a: ['Global_10_0_0_254 10.0.0.254 as 131092 from 10.0.0.1 multihop 64', 'Mesh_10_0_0_2 10.0.0.2 as 65547 from 10.0.0.1 passive multihop 64'],
    },
  },
  {
    name: 'next hop, local AS, TTL security, allowas-in, keepalive',
    entries: [
      bgpConfig('default', { nodeToNodeMeshEnabled: false }),
      bgpPeer('a-self', { peerIP: '10.0.0.250', asNumber: 64512, nextHopMode: 'Self' }),
      bgpPeer('b-keep-ibgp', { peerIP: '10.0.0.251', asNumber: 64512, keepOriginalNextHop: true }),
      bgpPeer('c-local-as', { peerIP: '10.0.0.252', asNumber: 65001, localASNumber: 65001, ttlSecurity: 2 }),
      bgpPeer('d-allow', { peerIP: '10.0.0.253', asNumber: 65002, numAllowedLocalASNumbers: 3, keepaliveTime: '10s', maxRestartTime: '3m' }),
      node('a', { ipv4: '10.0.0.1/24' }),
    ],
    expect: {
      a: [
        'Global_10_0_0_250 10.0.0.250 as 64512 from 10.0.0.1 next-hop-self',
        'Global_10_0_0_251 10.0.0.251 as 64512 from 10.0.0.1',
        // localASNumber equal to the peer's AS: an iBGP session on this node's side.
        'Global_10_0_0_252 10.0.0.252 as 65001 local-as 65001 from 10.0.0.1 ttl-security 2',
        'Global_10_0_0_253 10.0.0.253 as 65002 from 10.0.0.1 multihop 64 allowas-in 3 keepalive 10',
      ],
    },
  },
];

describe('deriveConfig: sessions as confd derives them', () => {
  for (const c of CASES) {
    describe(c.name, () => {
      for (const [nodeName, lines] of Object.entries(c.expect)) {
        it(`on ${nodeName}`, () => {
          const d = derive(c.entries, nodeName);
          expect(d.node.found).toBe(true);
          expect(peerLines(d)).toEqual(lines);
        });
      }
    });
  }
});

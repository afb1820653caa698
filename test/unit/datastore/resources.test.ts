import { describe, expect, it } from 'vitest';
import { affinityKey, readResources, resourceKey } from '../../../src/datastore/resources.js';
import { raw, snapshot } from './fixtures.js';

const P = '/calico/resources/v3/projectcalico.org';

/** Objects exactly as Go's encoding/json writes them (field order, null creationTimestamp, empty status). */
const STORED = [
  raw(
    `${P}/nodes/kube-node-1`,
    '{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"kube-node-1","uid":"0b2a...","creationTimestamp":null,"labels":{"kubernetes.io/hostname":"kube-node-1","route-reflector":"true"}},"spec":{"bgp":{"ipv4Address":"10.192.0.3/16","ipv6Address":"fd5f::3/96","ipv4IPIPTunnelAddr":"192.168.1.1","routeReflectorClusterID":"224.0.0.1"},"orchRefs":[{"nodeName":"kube-node-1","orchestrator":"k8s"}],"addresses":[{"address":"10.192.0.3/16","type":"CalicoNodeIP"}]},"status":{}}',
  ),
  raw(`${P}/bgpconfigurations/default`, '{"kind":"BGPConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"default","uid":"6f1c","creationTimestamp":"2024-05-01T10:00:00Z"},"spec":{}}'),
  raw(
    `${P}/bgppeers/rr`,
    '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"rr","creationTimestamp":null},"spec":{"nodeSelector":"!has(route-reflector)","peerSelector":"has(route-reflector)","keepOriginalNextHop":false}}',
  ),
  raw(
    `${P}/ippools/default-ipv4-ippool`,
    '{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"default-ipv4-ippool","creationTimestamp":null},"spec":{"cidr":"192.168.0.0/16","ipipMode":"Always","natOutgoing":true}}',
  ),
  raw(`${P}/ippools/v6`, '{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"v6"},"spec":{"cidr":"fd00:10::/48","vxlanMode":"CrossSubnet","blockSize":0,"nodeSelector":"","allowedUses":[]}}'),
  raw(`${P}/bgpfilters/f`, '{"kind":"BGPFilter","apiVersion":"projectcalico.org/v3","metadata":{"name":"f"},"spec":{"exportV4":[{"action":"Accept","matchOperator":"In","cidr":"10.0.0.0/8","prefixLength":{"min":24}}]}}'),
];

describe('readResources: Calico objects as stored', () => {
  const r = readResources(snapshot(STORED));

  it('reads them all, nothing skipped', () => {
    expect(r.skipped).toEqual([]);
    expect([r.nodes.size, r.bgpConfigurations.size, r.bgpPeers.length, r.ipPools.length, r.bgpFilters.size]).toEqual([1, 1, 1, 2, 1]);
  });

  it('Node: addresses and their networks, labels, cluster id', () => {
    expect(r.nodes.get('kube-node-1')).toEqual({
      key: `${P}/nodes/kube-node-1`,
      name: 'kube-node-1',
      labels: { 'kubernetes.io/hostname': 'kube-node-1', 'route-reflector': 'true' },
      ipv4: { address: '10.192.0.3', network: '10.192.0.0/16' },
      ipv6: { address: 'fd5f::3', network: 'fd5f::/96' },
      routeReflectorClusterID: '224.0.0.1',
    });
  });

  it('BGPPeer: Calico\'s defaults (sourceAddress UseNodeIP, reversePeering Auto)', () => {
    expect(r.bgpPeers[0]).toMatchObject({
      name: 'rr',
      nodeSelector: { text: '!has(route-reflector)' },
      peerSelector: { text: 'has(route-reflector)' },
      asNumber: 0,
      keepOriginalNextHop: false,
      sourceAddress: 'UseNodeIP',
      reversePeering: 'Auto',
      filters: [],
      unsupported: [],
    });
  });

  it('IPPool: the client\'s defaults (blockSize 26 / 122, nodeSelector all(), modes Never, uses Workload and Tunnel)', () => {
    expect(r.ipPools.map((p) => [p.name, p.cidr.cidr, p.ipipMode, p.vxlanMode, p.blockSize, p.nodeSelector.text, p.allowedUses.join(), p.assignmentMode, p.natOutgoing])).toEqual([
      ['default-ipv4-ippool', '192.168.0.0/16', 'Always', 'Never', 26, 'all()', 'Workload,Tunnel', 'Automatic', true],
      ['v6', 'fd00:10::/48', 'Never', 'CrossSubnet', 122, 'all()', 'Workload,Tunnel', 'Automatic', false],
    ]);
  });

  it('BGPFilter: the rules with their CIDR parsed', () => {
    expect(r.bgpFilters.get('f')?.exportV4).toEqual([{ at: 'spec.exportV4[0]', action: 'Accept', cidr: { cidr: '10.0.0.0/8', family: 4, len: 8, maxLen: 32 }, matchOperator: 'In', prefixLength: { min: 24 }, operations: [] }]);
  });
});

describe('Go decoding rules', () => {
  it('null is the zero value, unknown fields are ignored, a pool CIDR with host bits is masked (net.ParseCIDR)', () => {
    const r = readResources(
      snapshot([
        raw(`${P}/nodes/n`, '{"metadata":{"labels":null},"spec":{"bgp":{"ipv4Address":"10.0.0.1/24","ipv6Address":null,"asNumber":null,"futureField":{"x":1}}}}'),
        raw(`${P}/ippools/p`, '{"spec":{"cidr":"10.65.1.2/16","ipipMode":null}}'),
      ]),
    );
    expect(r.skipped).toEqual([]);
    expect(r.nodes.get('n')).toEqual({ key: `${P}/nodes/n`, name: 'n', labels: {}, ipv4: { address: '10.0.0.1', network: '10.0.0.0/24' } });
    expect(r.ipPools[0]?.cidr.cidr).toBe('10.65.0.0/16');
  });

  it('a Node without spec.bgp has no addresses (confd: "IPv4 disabled on this node")', () => {
    const r = readResources(snapshot([raw(`${P}/nodes/n`, '{"kind":"Node","spec":{},"status":{}}')]));
    expect(r.nodes.get('n')).toEqual({ key: `${P}/nodes/n`, name: 'n', labels: {} });
  });

  it('refuses a v6 address in ipv4Address and a bad cluster id', () => {
    const r = readResources(snapshot([raw(`${P}/nodes/n`, '{"spec":{"bgp":{"ipv4Address":"fd00::1/64","routeReflectorClusterID":"x"}}}')]));
    expect(r.skipped).toEqual([
      { key: `${P}/nodes/n`, reason: 'Node not used: spec.bgp.routeReflectorClusterID: expected an IP address (got "x"); spec.bgp.ipv4Address: expected an IPv4 address or CIDR (got "fd00::1/64")' },
    ]);
  });

  it('BGPPeer: the combinations Calico refuses', () => {
    const r = readResources(
      snapshot([
        raw(`${P}/bgppeers/none`, '{"spec":{"asNumber":65000}}'),
        raw(`${P}/bgppeers/both-local`, '{"spec":{"node":"a","nodeSelector":"all()","peerIP":"10.0.0.1","asNumber":1}}'),
        raw(`${P}/bgppeers/both-remote`, '{"spec":{"peerSelector":"all()","peerIP":"10.0.0.1","asNumber":1}}'),
        raw(`${P}/bgppeers/no-as`, '{"spec":{"peerIP":"10.0.0.1"}}'),
        raw(`${P}/bgppeers/bad-ip`, '{"spec":{"peerIP":"[10.0.0.1]","asNumber":1}}'),
        raw(`${P}/bgppeers/negative`, '{"spec":{"peerIP":"10.0.0.1","asNumber":1,"maxRestartTime":"-5s"}}'),
      ]),
    );
    expect(r.skipped.map((s) => `${s.key.slice(P.length)}: ${s.reason}`)).toEqual([
      '/bgppeers/bad-ip: BGPPeer not used: spec.peerIP: expected "a.b.c.d", "a.b.c.d:port", "[v6]:port" or a bare IPv6 address (got "[10.0.0.1]")',
      '/bgppeers/both-local: BGPPeer not used: spec: node and nodeSelector are both set (Calico allows one)',
      '/bgppeers/both-remote: BGPPeer not used: spec: peerIP and peerSelector are both set (Calico allows one)',
      '/bgppeers/negative: BGPPeer not used: spec.maxRestartTime: must not be negative (got "-5s")',
      '/bgppeers/no-as: BGPPeer not used: spec.asNumber: required with peerIP',
      '/bgppeers/none: BGPPeer not used: spec: neither peerIP nor peerSelector is set',
    ]);
  });

  it('IPPool block sizes: 20..32 for IPv4, 116..128 for IPv6, not shorter than the pool', () => {
    const r = readResources(
      snapshot([
        raw(`${P}/ippools/a`, '{"spec":{"cidr":"10.0.0.0/16","blockSize":19}}'),
        raw(`${P}/ippools/b`, '{"spec":{"cidr":"fd00::/120","blockSize":116}}'),
        raw(`${P}/ippools/c`, '{"spec":{"cidr":"10.0.0.0/16","blockSize":32}}'),
      ]),
    );
    expect(r.skipped.map((s) => s.reason)).toEqual(['IPPool not used: spec.blockSize: expected 20..32 for an IPv4 pool (got 19)', "IPPool not used: spec.blockSize: is shorter than the pool's /120"]);
    expect(r.ipPools.map((p) => p.blockSize)).toEqual([32]);
  });
});

describe('keys', () => {
  it('resources: cluster-scoped kinds wren reads only', () => {
    expect(resourceKey(`${P}/bgppeers/my.peer-1`)).toEqual({ plural: 'bgppeers', name: 'my.peer-1' });
    expect(resourceKey(`${P}/bgpconfigurations/node.kube-node-1`)).toEqual({ plural: 'bgpconfigurations', name: 'node.kube-node-1' });
    expect(resourceKey(`${P}/networkpolicies/default/p`)).toBeUndefined();
    expect(resourceKey(`${P}/felixconfigurations/default`)).toBeUndefined();
    expect(resourceKey(`${P}/nodes/`)).toBeUndefined();
    expect(resourceKey('/calico/resources/v3/projectcalico.org/bgppeersX/a')).toBeUndefined();
  });

  it('block affinities: host, family and block', () => {
    expect(affinityKey('/calico/ipam/v2/host/node-1/ipv4/block/10.65.0.0-26')).toEqual({ host: 'node-1', family: 4, cidr: '10.65.0.0/26' });
    expect(affinityKey('/calico/ipam/v2/host/node-1/ipv6/block/fd00:1234::-122')).toEqual({ host: 'node-1', family: 6, cidr: 'fd00:1234::/122' });
    expect(affinityKey('/calico/ipam/v2/host/node-1/ipv5/block/10.65.0.0-26')).toBeUndefined();
    expect(affinityKey('/calico/ipam/v2/host/node-1/ipv4/blocks/10.65.0.0-26')).toBeUndefined();
    expect(affinityKey('/calico/ipam/v2/virtual/lb/ipv4/block/10.65.0.0-26')).toBeUndefined();
  });

  it('an affinity\'s value: empty or null is confirmed (older data), deleted is absent', () => {
    const r = readResources(
      snapshot([
        raw('/calico/ipam/v2/host/n/ipv4/block/10.65.0.0-26', ''),
        raw('/calico/ipam/v2/host/n/ipv4/block/10.65.0.64-26', 'null'),
        raw('/calico/ipam/v2/host/n/ipv4/block/10.65.0.128-26', '{"state":"","deleted":false}'),
        raw('/calico/ipam/v2/host/n/ipv4/block/10.65.0.192-26', '{"state":"confirmed","deleted":true}'),
      ]),
    );
    expect(r.skipped).toEqual([]);
    expect(r.affinities.map((a) => `${a.cidr.cidr} ${a.state}`)).toEqual(['10.65.0.0/26 confirmed', '10.65.0.128/26 confirmed', '10.65.0.64/26 confirmed']);
  });

  it('an affinity whose key family and block disagree is skipped', () => {
    const r = readResources(snapshot([raw('/calico/ipam/v2/host/n/ipv6/block/10.65.0.0-26', '{"state":"confirmed"}')]));
    expect(r.skipped).toEqual([{ key: '/calico/ipam/v2/host/n/ipv6/block/10.65.0.0-26', reason: 'block affinity not used: the key\'s block: expected an IPv6 CIDR (got "10.65.0.0/26")' }]);
  });
});

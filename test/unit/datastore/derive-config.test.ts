/**
 * deriveConfig beyond the sessions: identity, blocks, pools and kernel modes, the export policy,
 * BGPFilters, the merge with the file, notes, malformed resources, and the cost of a change.
 */
import { describe, expect, it } from 'vitest';
import { diffConfig } from '../../../src/config/diff.js';
import { affinity, bgpConfig, bgpFilter, bgpPeer, ipPool, node, raw } from './fixtures.js';
import { derive, FILE, peerLines } from './helpers.js';

const A = node('node-a', { ipv4: '10.0.0.1/24' });
const B = node('node-b', { ipv4: '10.0.0.2/24' });

describe('identity', () => {
  it('router id is the node\'s IPv4 address, AS the node\'s, else the cluster\'s, else 64512', () => {
    expect(derive([A, B], 'node-a').valid).toMatchObject({ routerId: '10.0.0.1', asn: 64512 });
    expect(derive([bgpConfig('default', { asNumber: 65000 }), A], 'node-a').valid.asn).toBe(65000);
    expect(derive([bgpConfig('default', { asNumber: 65000 }), node('node-a', { ipv4: '10.0.0.1', asNumber: 65100 })], 'node-a').valid.asn).toBe(65100);
  });

  it('a bare address is accepted for ipv4Address (ParseCIDROrIP)', () => {
    expect(derive([node('node-a', { ipv4: '10.0.0.1' }), B], 'node-a').valid.routerId).toBe('10.0.0.1');
  });

  it('a reflector gets its cluster id; others keep the default (the router id)', () => {
    expect(derive([node('node-a', { ipv4: '10.0.0.1/24', rr: '244.0.0.1' })], 'node-a').valid.routeReflector.clusterId).toBe('244.0.0.1');
    expect(derive([A], 'node-a').valid.routeReflector.clusterId).toBe('10.0.0.1');
  });

  it('the file\'s routerId overrides; an IPv6-only node gets the hashed id, with a note', () => {
    expect(derive([A], 'node-a', { ...FILE, routerId: '192.0.2.1' }).valid.routerId).toBe('192.0.2.1');
    const d = derive([node('kube-master', { ipv6: 'fd00::1/64' })], 'kube-master');
    expect(d.valid.routerId).toBe('25.79.212.8');
    expect(d.notes.map((n) => n.message).join()).toContain('no IPv4 address: router id 25.79.212.8 from the node name');
  });

  it('a node that is not in the datastore is reported; no session is derived for it', () => {
    const d = derive([A, B], 'node-x', { ...FILE, routerId: '10.9.9.9' });
    expect(d.node).toEqual({ name: 'node-x', found: false, asn: 64512 });
    expect(d.valid.peers).toEqual([]);
  });
});

describe('blocks and pools', () => {
  const pools = [
    ipPool('ipip', { cidr: '10.65.0.0/16', ipipMode: 'Always' }),
    ipPool('cross', { cidr: '10.66.0.0/16', ipipMode: 'CrossSubnet' }),
    ipPool('plain', { cidr: '10.67.0.0/16' }),
    ipPool('vxlan', { cidr: '10.68.0.0/16', vxlanMode: 'Always' }),
    ipPool('v6', { cidr: 'fd00:65::/48' }),
    ipPool('quiet', { cidr: '10.69.0.0/16', disableBGPExport: true, ipipMode: 'Never' }),
  ];

  it('originates the confirmed (or state-less) blocks of this node only, sorted', () => {
    const d = derive(
      [
        A,
        ...pools,
        affinity('node-a', '10.65.0.64/26'),
        affinity('node-a', '10.65.0.0/26', null), // an empty value is old data: confirmed
        affinity('node-a', 'fd00:65::/122'),
        affinity('node-a', '10.65.1.0/26', 'pending'),
        affinity('node-a', '10.65.2.0/26', 'pendingDeletion'),
        raw('/calico/ipam/v2/host/node-a/ipv4/block/10.65.3.0-26', '{"state":"confirmed","deleted":true}'),
        affinity('node-b', '10.65.4.0/26'),
      ],
      'node-a',
    );
    expect(d.valid.originate.map((o) => o.prefix)).toEqual(['10.65.0.0/26', '10.65.0.64/26', 'fd00:65::/122']);
    expect(d.counts).toMatchObject({ affinities: 5, blocks: 3 });
  });

  it('maps each pool\'s encapsulation to a kernel mode (programClusterRoutes unset: wren programs them all)', () => {
    expect(derive([A, ...pools], 'node-a').valid.kernel.pools).toEqual([
      { cidr: '10.65.0.0/16', mode: 'ipip' },
      { cidr: '10.66.0.0/16', mode: 'ipip-cross-subnet' },
      { cidr: '10.67.0.0/16', mode: 'direct' },
      { cidr: '10.68.0.0/16', mode: 'none' },
      { cidr: '10.69.0.0/16', mode: 'direct' },
      { cidr: 'fd00:65::/48', mode: 'direct' },
    ]);
  });

  it('programClusterRoutes: the pools another agent programs are "none"', () => {
    const modes = (value: string): string[] => derive([A, bgpConfig('default', { programClusterRoutes: value }), ...pools], 'node-a').valid.kernel.pools.map((p) => p.mode);
    expect(modes('EnabledNoEncapOnly')).toEqual(['none', 'none', 'direct', 'none', 'direct', 'direct']);
    expect(modes('EnabledIPIPOnly')).toEqual(['ipip', 'ipip-cross-subnet', 'none', 'none', 'none', 'none']);
    expect(modes('Disabled')).toEqual(['none', 'none', 'none', 'none', 'none', 'none']);
  });

  it('the export policy: disableBGPExport pools rejected, own blocks accepted with Calico\'s LOCAL_PREF, what lies beneath them rejected, pools accepted', () => {
    const d = derive([A, bgpConfig('default', { ipv4NormalRoutePriority: 512 }), ...pools, affinity('node-a', '10.65.0.0/26'), affinity('node-a', 'fd00:65::/122')], 'node-a');
    expect(d.config['policies']).toEqual({
      'calico-export': {
        rules: [
          { match: { prefixes: [{ prefix: '10.69.0.0/16', ge: 16, le: 32 }] }, action: 'reject' },
          { match: { prefixes: [{ prefix: '10.65.0.0/26' }] }, action: 'accept', set: { localPref: 2147483135 } },
          { match: { prefixes: [{ prefix: '10.65.0.0/26', ge: 27, le: 32 }] }, action: 'reject' },
          { match: { prefixes: [{ prefix: 'fd00:65::/122' }] }, action: 'accept', set: { localPref: 2147482623 } },
          { match: { prefixes: [{ prefix: 'fd00:65::/122', ge: 123, le: 128 }] }, action: 'reject' },
          { match: { prefixes: [{ prefix: '10.65.0.0/16', ge: 16, le: 32 }] }, action: 'accept' },
          { match: { prefixes: [{ prefix: '10.66.0.0/16', ge: 16, le: 32 }] }, action: 'accept' },
          { match: { prefixes: [{ prefix: '10.67.0.0/16', ge: 16, le: 32 }] }, action: 'accept' },
          { match: { prefixes: [{ prefix: '10.68.0.0/16', ge: 16, le: 32 }] }, action: 'accept' },
          { match: { prefixes: [{ prefix: 'fd00:65::/48', ge: 48, le: 128 }] }, action: 'accept' },
        ],
        default: 'reject',
      },
    });
  });

  it('prefixAdvertisements: communities by value or by name; the node\'s list replaces the global one', () => {
    const global = bgpConfig('default', {
      communities: [{ name: 'bgp-large-community', value: '63400:300:100' }],
      prefixAdvertisements: [{ cidr: '10.65.0.0/16', communities: ['bgp-large-community', '63400:120', 'no-such-name'] }],
    });
    const d = derive([A, global, ipPool('p', { cidr: '10.65.0.0/16' })], 'node-a');
    const rules = (d.valid.policies['calico-export']?.rules ?? []).filter((r) => r.action === 'next');
    expect(rules).toEqual([{ match: { prefixes: [{ prefix: '10.65.0.0/16', ge: 16, le: 32 }] }, action: 'next', set: { addCommunities: [4154982520], addLargeCommunities: [{ global: 63400, local1: 300, local2: 100 }] } }]);
    expect(d.notes).toContainEqual({ key: '/calico/resources/v3/projectcalico.org/bgpconfigurations/default', message: 'spec.prefixAdvertisements[0].communities: no community named "no-such-name" in spec.communities; ignored' });
    const perNode = bgpConfig('node.node-a', { prefixAdvertisements: [{ cidr: '10.65.1.0/24', communities: ['65000:1'] }] });
    const n = derive([A, global, perNode, ipPool('p', { cidr: '10.65.0.0/16' })], 'node-a');
    expect((n.valid.policies['calico-export']?.rules ?? []).filter((r) => r.action === 'next').map((r) => r.match.prefixes?.[0]?.prefix)).toEqual(['10.65.1.0/24']);
  });
});

describe('BGPFilters as policies', () => {
  const filter = bgpFilter('tor-filter', {
    exportV4: [
      { action: 'Reject', matchOperator: 'In', cidr: '10.65.100.0/24' },
      { action: 'Accept', matchOperator: 'Equal', cidr: '10.65.0.0/26', operations: [{ addCommunity: { value: '65000:1' } }, { prependASPath: { prefix: [64512, 64512] } }] },
    ],
    importV4: [
      { action: 'Accept', matchOperator: 'In', cidr: '0.0.0.0/0', prefixLength: { max: 0 } },
      { action: 'Accept', communities: { values: ['65100:7:9'] }, peerType: 'iBGP' },
      { action: 'Reject', peerType: 'eBGP', source: 'RemotePeers' },
    ],
    importV6: [{ action: 'Reject' }],
  });
  const tor = bgpPeer('tor', { peerIP: '10.0.0.254', asNumber: 65100, filters: ['tor-filter'] });

  it('a peer with filters gets its own import and export policies: its rules, then Calico\'s', () => {
    const d = derive([A, filter, tor, ipPool('p', { cidr: '10.65.0.0/16' })], 'node-a');
    const p = d.valid.peers.find((x) => x.key === '10.0.0.254');
    expect(p?.import).toEqual({
      kind: 'inline',
      policy: {
        rules: [
          { match: { family: 'ipv4', prefixes: [{ prefix: '0.0.0.0/0', ge: 0, le: 0 }] }, action: 'accept', set: {} },
          // peerType iBGP: dropped on this eBGP session; eBGP kept.
          { match: { family: 'ipv4' }, action: 'reject', set: {} },
          { match: { family: 'ipv6' }, action: 'reject', set: {} },
        ],
        default: 'accept',
      },
    });
    expect(p?.export.kind).toBe('inline');
    const rules = p?.export.kind === 'inline' ? p.export.policy.rules : [];
    expect(rules.slice(0, 2)).toEqual([
      { match: { family: 'ipv4', prefixes: [{ prefix: '10.65.100.0/24', ge: 24, le: 32 }] }, action: 'reject', set: {} },
      { match: { family: 'ipv4', prefixes: [{ prefix: '10.65.0.0/26', ge: 26, le: 26 }] }, action: 'accept', set: { addCommunities: [4259840001], prepend: { asn: 64512, count: 2 } } },
    ]);
    expect(rules.at(-1)).toEqual({ match: { prefixes: [{ prefix: '10.65.0.0/16', ge: 16, le: 32 }] }, action: 'accept', set: {} });
    expect(p?.export.kind === 'inline' && p.export.policy.default).toBe('reject');
  });

  it('the iBGP-only rule applies on an iBGP session', () => {
    const d = derive([A, filter, bgpPeer('rr', { peerIP: '10.0.0.253', asNumber: 64512, filters: ['tor-filter'] })], 'node-a');
    const p = d.valid.peers.find((x) => x.key === '10.0.0.253');
    expect(p?.import.kind === 'inline' && p.import.policy.rules.map((r) => r.action)).toEqual(['accept', 'accept', 'reject']);
  });

  it('a filter wren cannot express is skipped whole, and so are the sessions that use it (no session without its filter)', () => {
    const bad = bgpFilter('bad', {
      exportV4: [
        { action: 'Reject', matchOperator: 'NotIn', cidr: '10.65.0.0/16' },
        { action: 'Accept', interface: 'eth*' },
        { action: 'Accept', asPathPrefix: [65000] },
        { action: 'Accept', source: 'RemotePeers' },
        { action: 'Accept', priority: 512 },
        { action: 'Accept', operations: [{ prependASPath: { prefix: [65000, 65001] } }] },
      ],
    });
    const d = derive([A, B, bad, bgpPeer('tor', { peerIP: '10.0.0.254', asNumber: 65100, filters: ['bad'] })], 'node-a');
    expect(peerLines(d)).toEqual(['Mesh_10_0_0_2 10.0.0.2 as 64512 from 10.0.0.1 passive']);
    const reasons = Object.fromEntries(d.skipped.map((s) => [s.key, s.reason]));
    expect(reasons['/calico/resources/v3/projectcalico.org/bgpfilters/bad']).toBe(
      'BGPFilter not usable: ' +
        [
          "spec.exportV4[0]: matchOperator NotIn is not supported (wren's policy match cannot be negated)",
          'spec.exportV4[1]: interface is not supported (wren does not export interface routes)',
          'spec.exportV4[2]: asPathPrefix is not supported (wren matches an AS anywhere in the path, not a path prefix)',
          "spec.exportV4[3]: source RemotePeers on export is not supported (wren's policy match cannot tell learned routes from its own blocks)",
          "spec.exportV4[4]: priority is not supported (wren's policy does not match LOCAL_PREF)",
          'spec.exportV4[5]: prependASPath of different AS numbers is not supported (wren prepends one AS a number of times)',
        ].join('; '),
    );
    expect(reasons['/calico/resources/v3/projectcalico.org/bgppeers/tor']).toBe('session Global_10_0_0_254 not created: BGPFilter "bad" cannot be used (see its own entry)');
  });

  it('a filter that does not exist is ignored, as confd does, with a note', () => {
    const d = derive([A, bgpPeer('tor', { peerIP: '10.0.0.254', asNumber: 65100, filters: ['missing'] })], 'node-a');
    expect(peerLines(d)).toEqual(['Global_10_0_0_254 10.0.0.254 as 65100 from 10.0.0.1 multihop 64']);
    expect(d.notes).toContainEqual({ key: '/calico/resources/v3/projectcalico.org/bgppeers/tor', message: 'spec.filters: no BGPFilter named "missing"; ignored, as confd does' });
  });
});

describe('merged with the file', () => {
  it('file peers join the derived ones; one at a derived address replaces that session', () => {
    const file = {
      ...FILE,
      peers: [
        { name: 'monitor', address: '192.0.2.9', asn: 65535, passive: true },
        { name: 'node-b with a password', address: '10.0.0.2', asn: 64512, password: 'secret' },
      ],
    };
    const d = derive([A, B, node('node-c', { ipv4: '10.0.0.3/24' })], 'node-a', file);
    expect(d.valid.peers.map((p) => `${p.name} ${p.key}`)).toEqual(['Mesh_10_0_0_3 10.0.0.3', 'monitor 192.0.2.9', 'node-b with a password 10.0.0.2']);
    expect(d.sessions.map((s) => s.origin)).toEqual(['mesh', 'file', 'file']);
    expect(d.notes).toContainEqual({ key: '/calico/resources/v3/projectcalico.org/nodes/node-b', message: "session Mesh_10_0_0_2 replaced by the configuration file's peer at 10.0.0.2" });
  });

  it('file originate entries join the blocks (the file wins for the same prefix); file kernel.pools win for the same cidr', () => {
    const file = {
      ...FILE,
      originate: [{ prefix: '10.65.0.0/26', communities: ['65000:9'] }, '192.0.2.0/24'],
      kernel: { mode: 'ipip', pools: [{ cidr: '10.65.0.0/16', mode: 'direct' }] },
    };
    const d = derive([A, ipPool('p', { cidr: '10.65.0.0/16', ipipMode: 'Always' }), ipPool('q', { cidr: '10.66.0.0/16', ipipMode: 'Always' }), affinity('node-a', '10.65.0.0/26'), affinity('node-a', '10.65.0.64/26')], 'node-a', file);
    expect(d.valid.originate.map((o) => `${o.prefix} ${o.communities.join()}`)).toEqual(['10.65.0.64/26 ', '10.65.0.0/26 4259840009', '192.0.2.0/24 ']);
    expect(d.valid.kernel).toMatchObject({ mode: 'ipip', pools: [{ cidr: '10.66.0.0/16', mode: 'ipip' }, { cidr: '10.65.0.0/16', mode: 'direct' }] });
  });

  it('listen port and log level come from the BGPConfigurations unless the file says them; other sections are the file\'s', () => {
    const configs = [bgpConfig('default', { listenPort: 1790, logSeverityScreen: 'Warning' }), bgpConfig('node.node-a', { listenPort: 1791, logSeverityScreen: 'Debug' })];
    const d = derive([A, ...configs], 'node-a', { ...FILE, timers: { holdTime: 30 }, control: { socket: '/tmp/w.sock' } });
    expect(d.valid.listen.port).toBe(1791);
    expect(d.valid.log.level).toBe('debug');
    expect(d.valid.timers.holdTime).toBe(30);
    expect(d.valid.control.socket).toBe('/tmp/w.sock');
    const own = derive([A, ...configs], 'node-a', { ...FILE, listen: { port: 10179 }, log: { level: 'error' } });
    expect([own.valid.listen.port, own.valid.log.level]).toEqual([10179, 'error']);
    expect(derive([A, configs[0] ?? A], 'node-a').valid.log.level).toBe('warn');
  });

  it('bindMode NodeIP listens on the node\'s address', () => {
    const d = derive([A, bgpConfig('default', { bindMode: 'NodeIP' })], 'node-a');
    expect(d.valid.listen.address).toBe('10.0.0.1');
  });

  it('a keepalive that is not below the file\'s hold time is left out, with a note', () => {
    const d = derive([A, bgpPeer('tor', { peerIP: '10.0.0.254', asNumber: 65100, keepaliveTime: '40s' })], 'node-a', { ...FILE, timers: { holdTime: 30 } });
    expect(peerLines(d)).toEqual(['Global_10_0_0_254 10.0.0.254 as 65100 from 10.0.0.1 multihop 64']);
    expect(d.notes.map((n) => n.message)).toContain('spec.keepaliveTime: 40s not applied: it must be above 0 and below the hold time (30s, timers.holdTime)');
  });
});

describe('notes: what is read and not applied', () => {
  it('says so for each field, once', () => {
    const d = derive(
      [
        A,
        bgpConfig('default', { nodeMeshPassword: { secretKeyRef: { name: 's', key: 'k' } }, serviceClusterIPs: [{ cidr: '10.96.0.0/12' }], nodeMeshMaxRestartTime: '2m' }),
        bgpConfig('node.node-a', { asNumber: 65001 }),
        bgpPeer('tor', { peerIP: '10.0.0.254', asNumber: 65100, password: { secretKeyRef: { name: 's', key: 'k' } }, reachableBy: '10.0.0.100', maxRestartTime: '90s', keepOriginalNextHop: true, ttlSecurity: 255, numAllowedLocalASNumbers: 12 }),
      ],
      'node-a',
    );
    expect(d.notes.map((n) => `${n.key.split('/').slice(-2).join('/')}: ${n.message}`)).toEqual([
      'bgpconfigurations/default: spec.nodeMeshPassword: a Kubernetes Secret, which wren does not read: mesh sessions have no TCP MD5 password (give one with a file peer at that address)',
      'bgpconfigurations/default: spec.serviceClusterIPs: service advertisement needs Kubernetes; not announced',
      'bgpconfigurations/node.node-a: spec.asNumber: Calico reads it only from the default BGPConfiguration; ignored here',
      'bgpconfigurations/default: spec.nodeMeshMaxRestartTime: wren has no per-session restart time; gracefulRestart.restartTime applies to every session',
      'bgppeers/tor: spec.password: a Kubernetes Secret, which wren does not read: the session has no TCP MD5 password (as calico-node without Kubernetes); give one with a file peer at that address',
      'bgppeers/tor: spec.reachableBy: the static route to the peer is not installed; add it yourself',
      'bgppeers/tor: session Global_10_0_0_254: next hop keep towards an eBGP peer is not supported; wren announces its own address (RFC 4271 5.1.3)',
      "bgppeers/tor: spec.ttlSecurity: 255 hops is applied as 254 (wren's largest)",
      "bgppeers/tor: spec.numAllowedLocalASNumbers: 12 is applied as 10 (wren's largest)",
      'bgppeers/tor: spec.maxRestartTime: wren has no per-session restart time; gracefulRestart.restartTime applies',
    ]);
    expect(d.valid.asn).toBe(64512);
  });
});

describe('malformed resources: skipped with their key and what is wrong; the rest is used', () => {
  const P = '/calico/resources/v3/projectcalico.org';
  const entries = [
    bgpConfig('default', { asNumber: 65000 }),
    A,
    B,
    raw(`${P}/nodes/bad-json`, '{"kind":"Node",'),
    node('bad-cidr', { ipv4: '10.0.0.300/24' }),
    node('bad-as', { ipv4: '10.0.0.7/24', asNumber: 'sixty' }),
    raw(`${P}/nodes/bad-labels`, JSON.stringify({ kind: 'Node', metadata: { name: 'bad-labels', labels: { a: 1 } }, spec: { bgp: { ipv4Address: '10.0.0.8/24' } } })),
    bgpPeer('bad-selector', { nodeSelector: 'has(a', peerSelector: 'all()' }),
    bgpPeer('bad-port', { peerIP: '10.0.0.9:http', asNumber: 65000 }),
    bgpPeer('bad-duration', { peerIP: '10.0.0.10', asNumber: 65000, keepaliveTime: '10' }),
    bgpPeer('bad-enum', { peerIP: '10.0.0.11', asNumber: 65000, nextHopMode: 'Sometimes' }),
    ipPool('bad-mode', { cidr: '10.70.0.0/16', ipipMode: 'Sometimes' }),
    ipPool('bad-pool-cidr', { cidr: '10.71.0.0/33' }),
    ipPool('good', { cidr: '10.65.0.0/16', ipipMode: 'CrossSubnet' }),
    bgpFilter('bad-action', { importV4: [{ action: 'Maybe' }] }),
    bgpConfig('node.node-b', { listenPort: 'x' }),
    bgpConfig('oddname', {}),
    raw('/calico/ipam/v2/host/node-a/ipv4/block/10.65.0.0-26', '{"state":"confirmd"}'),
    raw('/calico/ipam/v2/host/node-a/ipv4/block/10.65.0.65-26', '{"state":"confirmed"}'),
    affinity('node-a', '10.65.1.0/26'),
  ];

  it('each problem is named; the mesh, pools and blocks from the good resources are all there', () => {
    const d = derive(entries, 'node-a');
    expect(Object.fromEntries(d.skipped.map((s) => [s.key.replace(P, '').replace('/calico/ipam/v2/host/node-a', 'ipam'), s.reason]))).toEqual({
      '/nodes/bad-json': `Node not used: invalid JSON: ${errorOf('{"kind":"Node",')}`,
      '/nodes/bad-cidr': 'Node not used: spec.bgp.ipv4Address: expected an IPv4 address or CIDR (got "10.0.0.300/24")',
      '/nodes/bad-as': 'Node not used: spec.bgp.asNumber: invalid AS number format "sixty" (decimal, or asdot such as "1.10")',
      '/nodes/bad-labels': 'Node not used: metadata.labels: expected an object of strings (got {"a":1})',
      '/bgppeers/bad-selector': `BGPPeer not used: spec.nodeSelector: selector "has(a": no closing ')' after has( (at character 5)`,
      '/bgppeers/bad-port': 'BGPPeer not used: spec.peerIP: expected "a.b.c.d", "a.b.c.d:port", "[v6]:port" or a bare IPv6 address (got "10.0.0.9:http")',
      '/bgppeers/bad-duration': 'BGPPeer not used: spec.keepaliveTime: invalid duration "10" (Go syntax such as "90s", "2m0s", "1h30m", "1.5s")',
      '/bgppeers/bad-enum': 'BGPPeer not used: spec.nextHopMode: expected one of "Auto", "Self", "Keep" (got "Sometimes")',
      '/ippools/bad-mode': 'IPPool not used: spec.ipipMode: expected one of "Never", "Always", "CrossSubnet" (got "Sometimes")',
      '/ippools/bad-pool-cidr': 'IPPool not used: spec.cidr: expected a CIDR such as "10.65.0.0/16" or "fd00::/48" (got "10.71.0.0/33")',
      '/bgpfilters/bad-action': 'BGPFilter not used: spec.importV4[0].action: expected one of "Accept", "Reject" (got "Maybe")',
      '/bgpconfigurations/node.node-b': 'BGPConfiguration not used: spec.listenPort: expected an integer 0..65535 (got "x")',
      '/bgpconfigurations/oddname': 'BGPConfiguration not used: the name must be "default" or "node.<node name>" (confd ignores any other BGPConfiguration)',
      'ipam/ipv4/block/10.65.0.0-26': 'block affinity not used: state: expected one of "confirmed", "pending", "pendingDeletion" (got "confirmd")',
      'ipam/ipv4/block/10.65.0.65-26': "block affinity not used: the key's block is not a network address (the network is 10.65.0.64/26)",
    });
    expect(peerLines(d)).toEqual(['Mesh_10_0_0_2 10.0.0.2 as 65000 from 10.0.0.1 passive']);
    expect(d.valid.asn).toBe(65000);
    expect(d.valid.kernel.pools).toEqual([{ cidr: '10.65.0.0/16', mode: 'ipip-cross-subnet' }]);
    expect(d.valid.originate.map((o) => o.prefix)).toEqual(['10.65.1.0/26']);
  });

  it('a malformed default BGPConfiguration leaves Calico\'s defaults (mesh on, 64512), as a client that cannot decode it', () => {
    const d = derive([raw(`${P}/bgpconfigurations/default`, '{"spec":{"nodeToNodeMeshEnabled":"no"}}'), A, B], 'node-a');
    expect(d.skipped).toEqual([{ key: `${P}/bgpconfigurations/default`, reason: 'BGPConfiguration not used: spec.nodeToNodeMeshEnabled: expected true or false (got "no")' }]);
    expect(peerLines(d)).toEqual(['Mesh_10_0_0_2 10.0.0.2 as 64512 from 10.0.0.1 passive']);
  });

  it('keys of other kinds and other layouts are ignored, not skipped', () => {
    const d = derive([A, raw(`${P}/felixconfigurations/default`, 'not json'), raw(`${P}/networkpolicies/ns/name`, '{}'), raw('/calico/ipam/v2/assignment/ipv4/block/10.65.0.0-26', '{}')], 'node-a');
    expect(d.skipped).toEqual([]);
  });
});

function errorOf(text: string): string {
  try {
    JSON.parse(text);
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

describe('a change costs what it changes', () => {
  const cluster = (n: number): ReturnType<typeof node>[] =>
    Array.from({ length: n }, (_, i) => node(`node-${String(i).padStart(3, '0')}`, { ipv4: `10.${Math.floor(i / 250)}.${i % 250}.${10 + (i % 7)}/8`, labels: { rack: `r${i % 20}` } }));

  it('500 nodes: deterministic to the byte, and fast', () => {
    const entries = [bgpConfig('default', {}), ipPool('p', { cidr: '192.168.0.0/16', ipipMode: 'CrossSubnet' }), ...cluster(500), affinity('node-000', '192.168.0.0/26')];
    const t0 = performance.now();
    const first = derive(entries, 'node-000');
    const ms = performance.now() - t0;
    const again = derive([...entries].reverse(), 'node-000');
    expect(JSON.stringify(again.config)).toBe(JSON.stringify(first.config));
    expect(first.valid.peers).toHaveLength(499);
    // One derivation with its validation: well under the 100 ms a node join may take (issue 12).
    expect(ms).toBeLessThan(500);
  });

  it('a node joining adds exactly one peer and changes nothing else; leaving removes exactly it', () => {
    const base = [bgpConfig('default', {}), ipPool('p', { cidr: '192.168.0.0/16' }), ...cluster(500)];
    const before = derive(base, 'node-000').valid;
    const joined = derive([...base, node('node-new', { ipv4: '10.9.9.9/8' })], 'node-000').valid;
    const changes = diffConfig(before, joined);
    expect(changes.map((c) => `${c.kind} ${'key' in c ? String(c.key) : ''}`)).toEqual(['add-peer 10.9.9.9']);
    expect(diffConfig(joined, before).map((c) => `${c.kind} ${'key' in c ? String(c.key) : ''}`)).toEqual(['remove-peer 10.9.9.9']);
  });

  it('a block becoming confirmed changes originate and the export policy only; a pool mode change only kernel.pools', () => {
    const base = [A, B, ipPool('p', { cidr: '10.65.0.0/16', ipipMode: 'Never' })];
    const pending = derive([...base, affinity('node-a', '10.65.0.0/26', 'pending')], 'node-a').valid;
    const confirmed = derive([...base, affinity('node-a', '10.65.0.0/26')], 'node-a').valid;
    const changes = diffConfig(pending, confirmed);
    expect(changes.filter((c) => c.kind !== 'refresh-peer').map((c) => c.changed)).toEqual([['originate', 'policies.calico-export.rules']]);
    expect(changes.every((c) => c.kind === 'refresh-peer' || c.kind === 'update-in-place')).toBe(true);
    const cross = derive([A, B, ipPool('p', { cidr: '10.65.0.0/16', ipipMode: 'CrossSubnet' }), affinity('node-a', '10.65.0.0/26')], 'node-a').valid;
    expect(diffConfig(confirmed, cross)).toEqual([{ kind: 'update-in-place', changed: ['kernel.pools'] }]);
  });
});

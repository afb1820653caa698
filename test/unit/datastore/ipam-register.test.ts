import { describe, expect, it } from 'vitest';
import { affinityKey, blockFacts, blockKey, candidateBlocks, fnv1, newBlockJson, nowNanos, usablePools } from '../../../src/datastore/ipam.js';
import { newNodeJson, rfc3339, updatedNodeJson } from '../../../src/datastore/register.js';
import { formatDatastore } from '../../../src/cli/format.js';

const pool = (name: string, spec: Record<string, unknown>) => ({ key: `/calico/resources/v3/projectcalico.org/ippools/${name}`, value: JSON.stringify({ kind: 'IPPool', spec }) });

describe('ipam (Calico IPAM format)', () => {
  it('keys as Calico writes them', () => {
    expect(blockKey('10.65.3.64/26')).toBe('/calico/ipam/v2/assignment/ipv4/block/10.65.3.64-26');
    expect(affinityKey('node-a', '10.65.3.64/26')).toBe('/calico/ipam/v2/host/node-a/ipv4/block/10.65.3.64-26');
  });

  it('a new block: every ordinal free, affine to the node, sequenceNumber an int64 written exactly', () => {
    const now = new Date('2026-12-06T10:00:00.123Z');
    const text = newBlockJson('10.65.3.64/26', 'node-a', now, nowNanos(now));
    expect(text).toContain('"sequenceNumber":1796551200123000000,');
    const v = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['cidr', 'affinity', 'affinity_claim_time', 'allocations', 'unallocated', 'attributes', 'sequenceNumber', 'sequenceNumberForAllocation', 'deleted']);
    expect(v).toMatchObject({ cidr: '10.65.3.64/26', affinity: 'host:node-a', affinity_claim_time: '2026-12-06T10:00:00Z', attributes: [], sequenceNumberForAllocation: {}, deleted: false });
    expect((v['allocations'] as unknown[]).length).toBe(64);
    expect((v['allocations'] as unknown[]).every((x) => x === null)).toBe(true);
    expect(v['unallocated']).toEqual(Array.from({ length: 64 }, (_, i) => i));
  });

  it('reads only affinity and deleted from blocks written by others', () => {
    expect(blockFacts('{"cidr":"10.0.0.0/26","affinity":"host:b","sequenceNumber":1710000000000000001,"deleted":false}')).toEqual({ affinity: 'host:b', deleted: false });
    expect(blockFacts('{"cidr":"10.0.0.0/26","affinity":null,"deleted":true}')).toEqual({ affinity: null, deleted: true });
  });

  it('FNV-1 32 as Go hash/fnv New32', () => {
    expect(fnv1('')).toBe(0x811c9dc5);
    expect(fnv1('a')).toBe(0x050c5d7e);
  });

  it('walks every block of a pool once, from the node\'s seeded start, wrapping', () => {
    const all = [...candidateBlocks({ name: 'p', cidr: '10.70.0.0/22', blockSize: 26 }, 'node-a')];
    expect(all.length).toBe(16);
    expect(new Set(all).size).toBe(16);
    expect(all.every((c) => /^10\.70\.[0-3]\.(0|64|128|192)\/26$/.test(c))).toBe(true);
    expect(all[0]).toBe(`10.70.${Math.floor((fnv1('node-a') % 16) / 4)}.${((fnv1('node-a') % 16) % 4) * 64}/26`);
  });

  it('pools to claim from: enabled IPv4 automatic workload pools selecting every node; blockSize 26 by default', () => {
    const r = usablePools([
      pool('a', { cidr: '10.65.0.0/16' }),
      pool('b', { cidr: '10.66.0.0/16', disabled: true }),
      pool('c', { cidr: 'fd00::/48' }),
      pool('d', { cidr: '10.67.0.0/16', blockSize: 28, nodeSelector: 'all()' }),
      pool('e', { cidr: '10.68.0.0/16', nodeSelector: "rack == 'a'" }),
      pool('f', { cidr: '10.69.0.0/16', allowedUses: ['Tunnel'] }),
      { key: '/calico/resources/v3/projectcalico.org/ippools/g', value: '{bad' },
    ]);
    expect(r.pools).toEqual([
      { name: 'a', cidr: '10.65.0.0/16', blockSize: 26 },
      { name: 'd', cidr: '10.67.0.0/16', blockSize: 28 },
    ]);
    expect(r.skipped).toEqual(['e: nodeSelector "rack == \'a\'" is not evaluated when claiming (only all())', 'g: bad JSON']);
  });
});

describe('register (Node resource as Calico stores it)', () => {
  it('a new Node: kind, apiVersion, metadata (name, uid, creationTimestamp), spec.bgp, status', () => {
    const text = newNodeJson({ nodeName: 'n1', ipv4Address: '10.0.0.1/24', asNumber: 64513 }, new Date('2026-01-02T03:04:05.678Z'), 'u-1');
    expect(JSON.parse(text)).toEqual({
      kind: 'Node',
      apiVersion: 'projectcalico.org/v3',
      metadata: { name: 'n1', uid: 'u-1', creationTimestamp: '2026-01-02T03:04:05Z' },
      spec: { bgp: { ipv4Address: '10.0.0.1/24', asNumber: 64513 } },
      status: {},
    });
    expect(rfc3339(new Date(0))).toBe('1970-01-01T00:00:00Z');
  });

  it('an existing Node keeps everything but the BGP address and AS; null when they already match', () => {
    const stored = JSON.stringify({ kind: 'Node', metadata: { name: 'n1', labels: { rack: 'a' } }, spec: { bgp: { ipv4Address: '10.0.0.9/24', routeReflectorClusterID: '1.1.1.1' }, orchRefs: [{ nodeName: 'n1' }] }, status: {} });
    const next = JSON.parse(updatedNodeJson(stored, { nodeName: 'n1', ipv4Address: '10.0.0.1/24' }) ?? 'null') as Record<string, unknown>;
    expect(next).toEqual({ kind: 'Node', metadata: { name: 'n1', labels: { rack: 'a' } }, spec: { bgp: { ipv4Address: '10.0.0.1/24', routeReflectorClusterID: '1.1.1.1' }, orchRefs: [{ nodeName: 'n1' }] }, status: {} });
    expect(updatedNodeJson(JSON.stringify(next), { nodeName: 'n1', ipv4Address: '10.0.0.1/24' })).toBeNull();
    expect(updatedNodeJson(JSON.stringify(next), { nodeName: 'n1', ipv4Address: '10.0.0.1/24', asNumber: 65000 })).toContain('"asNumber":65000');
  });
});

describe('show datastore', () => {
  it('formats the connection, the counts, the last change and the skipped resources', () => {
    const text = formatDatastore({
      type: 'etcdv3',
      endpoints: ['http://10.0.40.250:2379'],
      nodeName: 'h1',
      connected: false,
      sinceSec: 75,
      synced: true,
      revision: 42,
      lastError: { message: '14 UNAVAILABLE: Connection dropped', agoSec: 75 },
      resyncs: 2,
      counts: { nodes: 3, bgpPeers: 1, bgpConfigurations: 1, bgpFilters: 0, ipPools: 1, blocks: 3, affinities: 3 },
      skipped: [{ key: '/calico/resources/v3/projectcalico.org/nodes/bad', reason: 'bad JSON' }],
      notes: [{ key: '/calico/resources/v3/projectcalico.org/bgpconfigurations/default', message: 'spec.nodeMeshPassword: a Kubernetes Secret' }],
      last: { revision: 41, result: 'applied', agoSec: 80, changes: 1, deriveMs: 0.5, validateMs: 1.25, applyMs: 2 },
      reconfigurations: 4,
      register: 'unchanged (10.0.40.1/24)',
      claim: '10.65.1.0/26 (already affine to this node)',
    });
    expect(text).toContain('state             not connected for 1m15s');
    expect(text).toContain('read              3 nodes, 1 BGP peers, 1 IP pools, 3 blocks');
    expect(text).toContain('last error        14 UNAVAILABLE: Connection dropped (1m15s ago)');
    expect(text).toContain('last change       revision 41: applied, 1 change(s)');
    expect(text).toMatch(/Skipped resources:\nKey +Why\n\/calico\/resources\/v3\/projectcalico.org\/nodes\/bad +bad JSON/);
    expect(text).toMatch(/Not applied as written:\nKey +Note\n\/calico\/resources\/v3\/projectcalico.org\/bgpconfigurations\/default +spec.nodeMeshPassword/);
    expect(formatDatastore(null)).toMatch(/no datastore/);
  });
});

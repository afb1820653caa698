import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';

const example = join(import.meta.dirname, '..', '..', '..', 'config.example.json');

describe('config.example.json', () => {
  it('is a valid configuration', () => {
    const r = loadConfig(example);
    expect(r.ok ? [] : r.issues).toEqual([]);
  });

  it('describes a Calico node: two pod blocks, three iBGP peers and one eBGP top-of-rack with a password', () => {
    const r = loadConfig(example);
    if (!r.ok) throw new Error('example config is invalid');
    const c = r.value;
    expect(c.originate.map((o) => o.prefix)).toEqual(['172.16.0.0/24', 'fd00:172:16::/64']);
    expect(c.peers.map((p) => p.type)).toEqual(['ibgp', 'ibgp', 'ibgp', 'ebgp']);
    expect(c.peers.filter((p) => p.routeReflectorClient)).toHaveLength(1);
    const tor = c.peers[3];
    expect(tor?.password).toBeDefined();
    expect(tor?.import.kind).toBe('named');
    expect(tor?.export.kind).toBe('named');
    expect(c.kernel.table).toBe(254);
    expect(c.kernel.protocol).toBe(12);
    // Calico's BIRD socket paths, so calicoctl, calico-node's probes and bird_exporter find wren.
    expect(c.control).toMatchObject({ birdSocket: '/var/run/calico/bird.ctl', birdSocket6: '/var/run/calico/bird6.ctl' });
  });
});

/** BIRD protocol names for sessions (src/birdsock/names.ts). */
import { describe, expect, it } from 'vitest';
import { derivedProtocolName, isBirdProtocolName, protocolNames } from '../../../src/birdsock/names.js';

describe('BIRD protocol names', () => {
  it("follow BIRD's symbol rules: a letter or _, then letters, digits, _; at most 64; no keyword", () => {
    for (const ok of ['Mesh_192_168_1_11', '_x', 'BGP', 'Kernel', 'a'.repeat(64), 'tor1']) expect(isBirdProtocolName(ok), ok).toBe(true);
    for (const bad of ['1abc', 'tor-1', 'node.1', 'with space', '', 'a'.repeat(65), 'all', 'bgp', 'kernel', 'protocol', 'rts_static']) expect(isBirdProtocolName(bad), bad).toBe(false);
  });

  it("derive Calico's names from the address: Mesh_ for iBGP, Node_ for others, or the origin given", () => {
    expect(derivedProtocolName({ address: '192.168.1.11', type: 'ibgp' })).toBe('Mesh_192_168_1_11');
    expect(derivedProtocolName({ address: 'fd80:24e2:f998:72d7::2', type: 'ibgp' })).toBe('Mesh_fd80_24e2_f998_72d7__2');
    expect(derivedProtocolName({ address: '192.168.1.1', type: 'ebgp' })).toBe('Node_192_168_1_1');
    expect(derivedProtocolName({ address: '192.168.1.1', type: 'ebgp', origin: 'global' })).toBe('Global_192_168_1_1');
    expect(derivedProtocolName({ address: '192.168.1.12', type: 'ibgp', origin: 'node' })).toBe('Node_192_168_1_12');
  });

  it('use a valid configured name, else the derived one; every name unique, none taken from kernel1 / static1', () => {
    const names = protocolNames([
      { address: '10.0.0.9', type: 'ibgp', name: 'Mesh_10_0_0_2' },
      { address: '10.0.0.2', type: 'ibgp' },
      { address: '10.0.0.3', type: 'ibgp', name: 'kernel1' },
      { address: '10.0.0.4', type: 'ebgp', name: 'ToR 1' },
      { address: '10.0.0.5', type: 'ebgp', name: 'tor_a' },
    ]);
    expect(Object.fromEntries(names)).toEqual({
      '10.0.0.9': 'Mesh_10_0_0_2',
      '10.0.0.2': 'Mesh_10_0_0_2_2',
      '10.0.0.3': 'Mesh_10_0_0_3',
      '10.0.0.4': 'Node_10_0_0_4',
      '10.0.0.5': 'tor_a',
    });
  });
});

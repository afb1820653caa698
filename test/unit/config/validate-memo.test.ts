import { describe, expect, it } from 'vitest';
import { diffConfig } from '../../../src/config/diff.js';
import { validateConfig, ValidationMemo } from '../../../src/config/validate.js';

const peers = (n: number, extra: Record<string, unknown> = {}) => Array.from({ length: n }, (_, i) => ({ address: `10.1.0.${i + 1}`, asn: 64512, name: `Mesh_10_1_0_${i + 1}`, ...extra }));
const cfg = (ps: unknown[], top: Record<string, unknown> = {}) => ({ routerId: '10.0.0.1', asn: 64512, peers: ps, ...top });

describe('ValidationMemo (validateConfig over one derived configuration after another)', () => {
  it('gives the same result as without it, and the same peer objects for unchanged entries', () => {
    const memo = new ValidationMemo();
    const a = validateConfig(cfg(peers(50)), memo);
    const b = validateConfig(cfg([...peers(50), { address: '10.2.0.1', asn: 64512 }]), memo);
    const plain = validateConfig(cfg([...peers(50), { address: '10.2.0.1', asn: 64512 }]));
    expect(b).toEqual(plain);
    if (!a.ok || !b.ok) throw new Error('invalid');
    expect(b.value.peers.slice(0, 50).every((p, i) => p === a.value.peers[i])).toBe(true);
    expect(diffConfig(a.value, b.value).map((c) => c.kind)).toEqual(['add-peer']);
  });

  it('still finds duplicates among remembered peers', () => {
    const memo = new ValidationMemo();
    validateConfig(cfg(peers(3)), memo);
    const r = validateConfig(cfg([...peers(3), ...peers(1)]), memo);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path).sort()).toEqual(['$.peers[3].address', '$.peers[3].name']);
  });

  it('parses every peer again when the rest of the configuration changed (a peer depends on it)', () => {
    const memo = new ValidationMemo();
    const a = validateConfig(cfg(peers(2)), memo);
    const b = validateConfig(cfg(peers(2), { asn: 65000 }), memo);
    if (!a.ok || !b.ok) throw new Error('invalid');
    expect(a.value.peers[0]?.type).toBe('ibgp');
    expect(b.value.peers[0]?.type).toBe('ebgp');
    expect(b).toEqual(validateConfig(cfg(peers(2), { asn: 65000 })));
  });

  it('remembers only valid peers; an invalid one is reported every time', () => {
    const memo = new ValidationMemo();
    for (let round = 0; round < 2; round++) {
      const r = validateConfig(cfg([{ address: '10.0.0.300', asn: 1 }]), memo);
      expect(r.ok).toBe(false);
    }
  });
});

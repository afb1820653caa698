/** BFD settings (src/config/bfd.ts): defaults, resolution per peer, problems with their JSON paths, reload classes. */
import { describe, expect, it } from 'vitest';
import { diffConfig } from '../../../src/config/diff.js';
import { BASE, problems, valid, withPeers } from './helpers.js';

const peer = { address: '10.0.0.2', asn: 64512 };
const ebgp = { address: '10.0.0.3', asn: 65001, import: 'all', export: 'all' };

describe('resolution', () => {
  it('no bfd anywhere: no peer has BFD; the section has its defaults', () => {
    const c = valid(withPeers(peer));
    expect(c.peers[0]?.bfd).toBeUndefined();
    expect(c.bfd).toEqual({ enabled: false, minTx: 300, minRx: 300, multiplier: 3, graceful: false, requireUp: true, realtime: true });
  });

  it('a peer’s bfd object turns BFD on with the defaults for what it leaves out', () => {
    const c = valid(withPeers({ ...peer, bfd: { minTx: 100 } }));
    expect(c.peers[0]?.bfd).toEqual({ minTx: 100, minRx: 300, multiplier: 3, graceful: false, requireUp: true, multihop: false });
  });

  it('the top-level section sets the defaults and can turn BFD on for every configured peer', () => {
    const c = valid({ ...BASE, bfd: { enabled: true, minTx: 200, minRx: 250, multiplier: 5, graceful: true, requireUp: false }, peers: [peer, { ...ebgp, bfd: { enabled: false } }] });
    expect(c.peers[0]?.bfd).toEqual({ minTx: 200, minRx: 250, multiplier: 5, graceful: true, requireUp: false, multihop: false });
    expect(c.peers[1]?.bfd).toBeUndefined();
  });

  it('an ebgpMultihop peer gets multihop BFD (RFC 5883); `multihop` overrides either way', () => {
    const c = valid(withPeers({ ...ebgp, ebgpMultihop: 2, bfd: {} }, { ...peer, bfd: { multihop: true } }, { ...ebgp, address: '10.0.0.4', ebgpMultihop: 2, bfd: { multihop: false } }));
    expect(c.peers.map((p) => p.bfd?.multihop)).toEqual([true, true, false]);
  });

  it('realtime (the BFD thread\'s scheduling) is a top-level key only', () => {
    expect(valid({ ...BASE, bfd: { realtime: false } }).bfd.realtime).toBe(false);
  });

  it('a dynamic range never gets BFD from the defaults', () => {
    const c = valid({ ...BASE, bfd: { enabled: true }, peers: [{ addressRange: '10.1.0.0/16', asn: 64512 }] });
    expect(c.peers[0]?.bfd).toBeUndefined();
  });
});

describe('problems, each at its JSON path', () => {
  it.each([
    [{ ...BASE, bfd: { minTx: 5 } }, '$.bfd.minTx: expected an integer 10..60000 (got 5)'],
    [{ ...BASE, bfd: { minRx: 60001 } }, '$.bfd.minRx: expected an integer 10..60000 (got 60001)'],
    [{ ...BASE, bfd: { multiplier: 0 } }, '$.bfd.multiplier: expected an integer 1..255 (got 0)'],
    [{ ...BASE, bfd: { enabled: 'yes' } }, '$.bfd.enabled: expected true or false (got "yes")'],
    [{ ...BASE, bfd: { interval: 300 } }, '$.bfd.interval: unknown key'],
    [{ ...BASE, bfd: 300 }, '$.bfd: expected an object (got 300)'],
    [withPeers({ ...peer, bfd: { multiplier: 256 } }), '$.peers[0].bfd.multiplier: expected an integer 1..255 (got 256)'],
    [withPeers({ ...peer, bfd: { graceful: 1 } }), '$.peers[0].bfd.graceful: expected true or false (got 1)'],
    [withPeers({ ...peer, bfd: true }), '$.peers[0].bfd: expected an object (got true)'],
    [{ ...BASE, bfd: { realtime: 'no' } }, '$.bfd.realtime: expected true or false (got "no")'],
    [withPeers({ ...peer, bfd: { realtime: false } }), '$.peers[0].bfd.realtime: unknown key'],
    [withPeers({ addressRange: '10.1.0.0/16', asn: 64512, bfd: {} }), '$.peers[0].bfd: BFD is for configured peers only, not for a dynamic range (addressRange) (got {})'],
  ])('%j', (config, expected) => {
    expect(problems(config)).toEqual([expected]);
  });
});

describe('reload', () => {
  it('turning BFD on, off, or changing its timers is an in-place change: the BGP session is not reset', () => {
    const old = valid(withPeers(peer));
    const on = valid(withPeers({ ...peer, bfd: {} }));
    const faster = valid(withPeers({ ...peer, bfd: { minTx: 100, minRx: 100 } }));
    expect(diffConfig(old, on)).toEqual([{ kind: 'update-in-place', key: '10.0.0.2', changed: ['bfd'] }]);
    expect(diffConfig(on, faster)).toEqual([{ kind: 'update-in-place', key: '10.0.0.2', changed: ['bfd.minTx', 'bfd.minRx'] }]);
    expect(diffConfig(faster, old)).toEqual([{ kind: 'update-in-place', key: '10.0.0.2', changed: ['bfd'] }]);
  });

  it('a change of the top-level defaults reaches the peers that inherit them, in place', () => {
    const a = valid({ ...BASE, bfd: { enabled: true }, peers: [peer] });
    const b = valid({ ...BASE, bfd: { enabled: true, multiplier: 5 }, peers: [peer] });
    const kinds = diffConfig(a, b).map((c) => c.kind);
    expect(kinds).toEqual(['update-in-place', 'update-in-place']);
  });
});

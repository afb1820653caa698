import { describe, expect, it } from 'vitest';
import { changedPaths, diffConfig } from '../../../src/config/diff.js';
import { BASE, valid } from './helpers.js';

const mesh = { address: '192.168.1.11', asn: 64512 } as const;
const tor = { address: '192.168.1.1', asn: 65001, import: 'in', export: 'all' } as const;
const policies = { in: { rules: [{ match: { family: 'ipv4' } }], default: 'reject' } } as const;
const base = { ...BASE, peers: [mesh, tor], policies };

const diff = (next: Record<string, unknown>): ReturnType<typeof diffConfig> => diffConfig(valid(base), valid(next));
const kinds = (next: Record<string, unknown>): string[] => diff(next).map((c) => ('key' in c && c.key !== undefined ? `${c.kind} ${c.key}` : c.kind));

describe('diffConfig', () => {
  it('finds nothing to do when nothing changed', () => {
    expect(diff(base)).toEqual([]);
  });

  it('adds a new peer', () => {
    const [c] = diff({ ...base, peers: [mesh, tor, { address: '192.168.1.12', asn: 64512 }] });
    expect(c).toMatchObject({ kind: 'add-peer', key: '192.168.1.12', reason: 'configured' });
  });

  it('removes a deleted peer with Cease / Peer De-configured (RFC 4486 subcode 3)', () => {
    const [c] = diff({ ...base, peers: [tor] });
    expect(c).toMatchObject({ kind: 'remove-peer', key: '192.168.1.11', reason: 'deconfigured', cease: 3 });
  });

  it('stops a peer that is now disabled with Cease / Administrative Shutdown (subcode 2)', () => {
    const [c] = diff({ ...base, peers: [{ ...mesh, enabled: false }, tor] });
    expect(c).toMatchObject({ kind: 'remove-peer', key: '192.168.1.11', reason: 'disabled', cease: 2, changed: ['enabled'] });
  });

  it('starts a peer that is enabled again', () => {
    const before = valid({ ...base, peers: [{ ...mesh, enabled: false }, tor] });
    const [c] = diffConfig(before, valid(base));
    expect(c).toMatchObject({ kind: 'add-peer', key: '192.168.1.11', reason: 'enabled' });
  });

  it('does nothing for a disabled peer that changes or goes away', () => {
    const before = valid({ ...base, peers: [{ ...mesh, enabled: false }, tor] });
    expect(diffConfig(before, valid({ ...base, peers: [{ ...mesh, enabled: false, port: 1179 }, tor] }))).toEqual([]);
    expect(diffConfig(before, valid({ ...base, peers: [tor] }))).toEqual([]);
  });

  it.each([
    ['asn', { asn: 64513 }],
    ['port', { port: 1179 }],
    ['localAddress', { localAddress: '192.168.1.10' }],
    ['localAs', { localAs: 64999 }],
    ['holdTime', { holdTime: 30 }],
    ['families', { families: ['ipv4-unicast'] }],
    ['password', { password: 'secret' }],
    ['gracefulRestart', { gracefulRestart: false }],
    ['routeReflectorClient', { routeReflectorClient: true }],
  ])('resets the session with Cease / Other Configuration Change (subcode 6) when %s changes', (field, patch) => {
    const [c] = diff({ ...base, peers: [{ ...mesh, ...patch }, tor] });
    expect(c).toMatchObject({ kind: 'reset-peer', key: '192.168.1.11', cease: 6 });
    expect(c && 'changed' in c ? c.changed : []).toContain(field);
  });

  it('refreshes without a reset when only the import side changes', () => {
    const [c] = diff({ ...base, peers: [{ ...mesh, importPrefixes: [{ prefix: '10.0.0.0/8', le: 24 }] }, tor] });
    expect(c).toMatchObject({ kind: 'refresh-peer', key: '192.168.1.11', reimport: true, reexport: false, changed: ['importPrefixes'] });
  });

  it('refreshes without a reset when only the export side changes', () => {
    const [c] = diff({ ...base, peers: [{ ...mesh, communities: ['64512:1'], nextHopSelf: true }, tor] });
    expect(c).toMatchObject({ kind: 'refresh-peer', reimport: false, reexport: true, changed: ['nextHopSelf', 'communities'] });
  });

  it('refreshes every peer that uses a named policy whose rules changed', () => {
    const next = { ...base, policies: { in: { rules: [{ match: { family: 'ipv6' } }], default: 'reject' } } };
    expect(kinds(next)).toEqual(['refresh-peer 192.168.1.1', 'update-in-place']);
    const [refresh, global] = diff(next);
    expect(refresh).toMatchObject({ reimport: true, reexport: false, changed: ['import.policy.rules'] });
    expect(global).toEqual({ kind: 'update-in-place', changed: ['policies.in.rules'] });
  });

  it('updates in place what needs no session change', () => {
    const [c] = diff({ ...base, peers: [{ ...mesh, name: 'node-1', passive: true, maxPrefix: { limit: 10 } }, tor] });
    expect(c).toEqual({ kind: 'update-in-place', key: '192.168.1.11', changed: ['passive', 'name', 'maxPrefix'] });
  });

  it('resets every peer that inherits a changed global hold time', () => {
    expect(kinds({ ...base, timers: { holdTime: 30 } })).toEqual(['reset-peer 192.168.1.11', 'reset-peer 192.168.1.1', 'update-in-place']);
  });

  it('updates global sections in place, listing each changed key', () => {
    expect(diff({ ...base, listen: { port: 1179 }, kernel: { metric: 10 }, log: { level: 'debug' } })).toEqual([
      { kind: 'update-in-place', changed: ['listen.port', 'kernel.metric', 'log.level'] },
    ]);
  });

  it('resets everything when the router id changes, still listing added and removed peers', () => {
    const next = { ...base, routerId: '192.168.1.99', peers: [mesh, { address: '192.168.1.12', asn: 64512 }] };
    expect(kinds(next)).toEqual(['global-reset', 'remove-peer 192.168.1.1', 'add-peer 192.168.1.12', 'update-in-place']);
    expect(diff(next)[0]).toEqual({ kind: 'global-reset', cease: 6, changed: ['routerId'] });
    expect(diff(next)[3]).toEqual({ kind: 'update-in-place', changed: ['routeReflector.clusterId'] });
  });

  it('resets everything when the local AS changes, without per-peer resets', () => {
    expect(kinds({ ...base, asn: 64513, peers: [{ ...mesh, asn: 64513 }, tor] })).toEqual(['global-reset']);
  });

  it('treats a peer that moves from an address to a range as removed and added', () => {
    expect(kinds({ ...base, peers: [{ addressRange: '192.168.1.0/24', asn: 64512 }, tor] })).toEqual([
      'remove-peer 192.168.1.11',
      'add-peer 192.168.1.0/24',
    ]);
  });
});

describe('changedPaths', () => {
  it('lists differing leaves as dotted paths, arrays compared whole', () => {
    expect(changedPaths({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { b: 2, c: [1, 2] }, e: 1 })).toEqual(['a.b', 'd', 'e']);
    expect(changedPaths({ c: [1, 2] }, { c: [2, 1] })).toEqual(['c']);
  });
});

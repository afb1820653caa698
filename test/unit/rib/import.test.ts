import { describe, expect, it } from 'vitest';
import type { PathAttrs } from '../../../src/codec/types.js';
import { compilePrefixFilter, countAs, importAttrs, localPrefOf, prefixAllowed, withLocalPref, type ImportEnv, type ImportPeer } from '../../../src/rib/import.js';

const env: ImportEnv = { localAs: 65000, routerId: '10.255.0.1', clusterId: '10.255.0.9', ownAddresses: new Set(['10.0.0.1', 'fd00::1']) };
const ebgp: ImportPeer = { ebgp: true, localAs: 65000, allowasIn: 0, directlyConnected: true, peerAddress: '192.0.2.1' };
const ibgp: ImportPeer = { ebgp: false, localAs: 65000, allowasIn: 0, directlyConnected: true, peerAddress: '192.0.2.1' };
const base: PathAttrs = { origin: 0, asPath: [{ type: 'sequence', asns: [65001, 65002] }], nextHop: '192.0.2.1' };

describe('importAttrs', () => {
  it('accepts a plain eBGP route as received, with the default LOCAL_PREF of 100', () => {
    const r = importAttrs(base, ebgp, env);
    expect(r.reason).toBeNull();
    expect(r.attrs).toBe(base); // unchanged: shares the received attribute set
    expect(localPrefOf(r.attrs ?? {})).toBe(100);
    expect(withLocalPref(base)).toMatchObject({ ...base, localPref: 100 });
  });

  it('refuses a path containing our AS as an as-loop', () => {
    const a = { ...base, asPath: [{ type: 'sequence' as const, asns: [65001, 65000, 65002] }] };
    expect(importAttrs(a, ebgp, env).reason).toBe('as-loop');
  });

  it('finds our AS inside an AS_SET too', () => {
    const a = { ...base, asPath: [{ type: 'sequence' as const, asns: [65001] }, { type: 'set' as const, asns: [65000, 7] }] };
    expect(importAttrs(a, ebgp, env).reason).toBe('as-loop');
  });

  it('lets allowasIn permit our AS that many times and no more', () => {
    const a = { ...base, asPath: [{ type: 'sequence' as const, asns: [65001, 65000, 65000] }] };
    expect(importAttrs(a, { ...ebgp, allowasIn: 2 }, env).reason).toBeNull();
    expect(importAttrs(a, { ...ebgp, allowasIn: 1 }, env).reason).toBe('as-loop');
  });

  it('checks the session local-AS override as well as the global AS', () => {
    const a = { ...base, asPath: [{ type: 'sequence' as const, asns: [65001, 64999] }] };
    expect(importAttrs(a, { ...ebgp, localAs: 64999 }, env).reason).toBe('as-loop');
  });

  it('refuses our router id as ORIGINATOR_ID as a reflection-loop', () => {
    expect(importAttrs({ ...base, originatorId: '10.255.0.1' }, ibgp, env).reason).toBe('reflection-loop');
  });

  it('refuses our cluster id in CLUSTER_LIST as a reflection-loop', () => {
    expect(importAttrs({ ...base, originatorId: '1.1.1.1', clusterList: ['7.7.7.7', '10.255.0.9'] }, ibgp, env).reason).toBe(
      'reflection-loop',
    );
  });

  it('refuses a next hop that is one of our addresses', () => {
    expect(importAttrs({ ...base, nextHop: '10.0.0.1' }, ebgp, env).reason).toBe('next-hop-self-loop');
    const v6: PathAttrs = { origin: 0, asPath: [], mpReach: { afi: 2, safi: 1, nextHops: ['fd00::1'], nlri: [] } };
    expect(importAttrs(v6, ibgp, env).reason).toBe('next-hop-self-loop');
  });

  it('refuses a next hop that can never be used, after the loop checks, naming it', () => {
    expect(importAttrs({ ...base, nextHop: '127.0.0.1' }, ebgp, env)).toEqual({ attrs: null, reason: 'next-hop-invalid', nextHop: '127.0.0.1' });
    expect(importAttrs({ ...base, asPath: [{ type: 'sequence', asns: [65001, 65000] }], nextHop: '127.0.0.1' }, ebgp, env).reason).toBe('as-loop');
    const v6 = (nextHops: string[]): PathAttrs => ({ origin: 0, asPath: [], mpReach: { afi: 2, safi: 1, nextHops, nlri: [] } });
    expect(importAttrs(v6(['::1']), ibgp, env)).toEqual({ attrs: null, reason: 'next-hop-invalid', nextHop: '::1' });
    expect(importAttrs(v6(['::', 'fe80::2']), ibgp, env).reason).toBeNull();
    expect(importAttrs(v6(['::', 'fe80::2']), { ...ibgp, directlyConnected: false }, env)).toEqual({ attrs: null, reason: 'next-hop-link-local', nextHop: 'fe80::2' });
  });

  it('refuses a route without a usable next hop', () => {
    const { nextHop: _drop, ...noNh } = base;
    expect(importAttrs(noNh, ebgp, env).reason).toBe('no-next-hop');
  });

  it('gives an iBGP route without LOCAL_PREF 100 and keeps one that has it', () => {
    expect(localPrefOf(importAttrs(base, ibgp, env).attrs ?? {})).toBe(100);
    expect(importAttrs({ ...base, localPref: 250 }, ibgp, env).attrs?.localPref).toBe(250);
  });

  it('overrides LOCAL_PREF and strips reflection attributes on eBGP routes', () => {
    const r = importAttrs({ ...base, localPref: 999, originatorId: '1.2.3.4', clusterList: ['5.6.7.8'] }, ebgp, env);
    expect(r.attrs).toEqual(base);
    expect(localPrefOf(r.attrs ?? {})).toBe(100);
    expect(r.attrs?.originatorId).toBeUndefined();
    expect(r.attrs?.clusterList).toBeUndefined();
  });

  it('counts our AS in every segment', () => {
    expect(countAs([{ type: 'sequence', asns: [1, 2, 1] }, { type: 'set', asns: [1] }], [1])).toBe(3);
  });
});

describe('prefix rules', () => {
  it('refuses default routes unless acceptDefaultRoute', () => {
    const of = (p: string): [number, () => string] => [Number(p.split('/')[1]), () => p];
    expect(prefixAllowed(...of('0.0.0.0/0'), false, null)).toBe(false);
    expect(prefixAllowed(...of('::/0'), false, null)).toBe(false);
    expect(prefixAllowed(...of('0.0.0.0/0'), true, null)).toBe(true);
    expect(prefixAllowed(...of('10.0.0.0/8'), false, null)).toBe(true);
  });

  it('matches an entry without ge/le exactly', () => {
    const f = compilePrefixFilter([{ prefix: '172.16.0.0/16' }]);
    expect(f('172.16.0.0/16')).toBe(true);
    expect(f('172.16.1.0/24')).toBe(false);
  });

  it('matches longer prefixes inside the entry by ge and le', () => {
    const f = compilePrefixFilter([{ prefix: '172.16.0.0/16', ge: 24, le: 26 }]);
    expect(f('172.16.3.0/24')).toBe(true);
    expect(f('172.16.3.64/26')).toBe(true);
    expect(f('172.16.3.0/27')).toBe(false);
    expect(f('172.16.0.0/16')).toBe(false);
    expect(f('172.17.3.0/24')).toBe(false);
  });

  it('treats ge alone as "up to the family maximum" and le alone as "from the entry length"', () => {
    const ge = compilePrefixFilter([{ prefix: 'fd00::/48', ge: 64 }]);
    expect(ge('fd00:0:0:1::/64')).toBe(true);
    expect(ge('fd00::1/128')).toBe(true);
    expect(ge('fd00::/56')).toBe(false);
    const le = compilePrefixFilter([{ prefix: '10.0.0.0/8', le: 16 }]);
    expect(le('10.0.0.0/8')).toBe(true);
    expect(le('10.1.0.0/16')).toBe(true);
    expect(le('10.1.1.0/24')).toBe(false);
  });

  it('refuses a prefix of the other family', () => {
    expect(compilePrefixFilter([{ prefix: '0.0.0.0/0', le: 32 }])('fd00::/64')).toBe(false);
  });
});

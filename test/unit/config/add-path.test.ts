import { describe, expect, it } from 'vitest';
import { diffConfig } from '../../../src/config/diff.js';
import { BASE, problems, valid, withPeers } from './helpers.js';

const ibgp = { address: '192.168.1.11', asn: 64512 } as const;

describe('addPath', () => {
  it('is off by default, for the top level and every peer', () => {
    const c = valid(withPeers(ibgp));
    expect(c.addPath).toEqual({ receive: false, send: false });
    expect(c.peers[0]?.addPath).toEqual({ receive: false, send: false });
  });
  it('the top level is the default of every peer; a peer object replaces it whole', () => {
    const c = valid({ ...withPeers(ibgp, { address: '192.168.1.12', asn: 64512, addPath: { send: 2 } }), addPath: { receive: true, send: 'all' } });
    expect(c.peers[0]?.addPath).toEqual({ receive: true, send: 'all' });
    expect(c.peers[1]?.addPath).toEqual({ receive: false, send: 2 });
  });
  it('keeps the families it is limited to', () => {
    expect(valid(withPeers({ ...ibgp, addPath: { receive: true, families: ['ipv6-unicast'] } })).peers[0]?.addPath).toEqual({
      receive: true,
      send: false,
      families: ['ipv6-unicast'],
    });
  });
  it('refuses bad values with their paths', () => {
    expect(problems(withPeers({ ...ibgp, addPath: { send: true } }))).toEqual([
      '$.peers[0].addPath.send: expected "all", false, or an integer 1..255 (the number of paths sent per prefix) (got true)',
    ]);
    expect(problems(withPeers({ ...ibgp, addPath: { send: 0 } }))).toHaveLength(1);
    expect(problems({ ...BASE, addPath: { receive: 'yes' } })).toEqual(['$.addPath.receive: expected true or false (got "yes")']);
    expect(problems({ ...BASE, addPath: { rx: true } })[0]).toMatch(/^\$\.addPath\.rx: /);
    expect(problems(withPeers({ ...ibgp, addPath: { receive: true, families: ['ipv4-unicast', 'ipv4-unicast'] } }))).toHaveLength(1);
  });
  it('a change resets the session (the capability is in the OPEN), also when inherited', () => {
    const a = valid(withPeers(ibgp));
    const b = valid({ ...withPeers(ibgp), addPath: { receive: true } });
    const kinds = diffConfig(a, b).map((c) => c.kind);
    expect(kinds).toContain('reset-peer');
  });
});

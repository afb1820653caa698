/** The session settings of a peer (src/daemon/session-config.ts): the OPEN offer and the timers, from the config. */
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/types.js';
import { validateConfig } from '../../../src/config/validate.js';
import { sessionConfig } from '../../../src/daemon/session-config.js';

function config(raw: Record<string, unknown>): Config {
  const r = validateConfig({ routerId: '10.0.0.1', asn: 64512, log: { level: 'silent' }, control: { socket: '/tmp/unused.sock' }, ...raw });
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return r.value;
}

describe('sessionConfig', () => {
  it('offers graceful restart with the R bit read when each OPEN is built (it goes once converged)', () => {
    const c = config({ peers: [{ address: '10.0.0.2', asn: 64512 }] });
    const peer = c.peers[0];
    if (!peer) throw new Error('no peer');
    let restarting = true;
    const s = sessionConfig(c, peer, '10.0.0.2', false, { restarting: () => restarting, forwardingPreserved: true });
    expect(s.local.gracefulRestart).toMatchObject({ restartTimeSec: c.gracefulRestart.restartTime, restarting: true, forwardingPreserved: true });
    restarting = false;
    expect(s.local.gracefulRestart?.restarting).toBe(false);
    expect(s.local.extendedNextHop).toBe(false);
    expect(s.passive).toBe(false);
  });

  it('offers no graceful restart when it is off globally or for the peer', () => {
    const ctx = { restarting: () => false, forwardingPreserved: false };
    const off = config({ gracefulRestart: { enabled: false }, peers: [{ address: '10.0.0.2', asn: 64512 }] });
    const peerOff = config({ peers: [{ address: '10.0.0.2', asn: 64512, gracefulRestart: false }] });
    for (const c of [off, peerOff]) {
      const peer = c.peers[0];
      if (!peer) throw new Error('no peer');
      expect(sessionConfig(c, peer, '10.0.0.2', false, ctx).local.gracefulRestart).toBeUndefined();
    }
  });

  it('dynamic peers are passive; IPv6 sessions offer extended next hop (RFC 8950)', () => {
    const c = config({ peers: [{ addressRange: 'fd00::/64', asn: 64512 }] });
    const peer = c.peers[0];
    if (!peer) throw new Error('no peer');
    const s = sessionConfig(c, peer, 'fd00::5', true, { restarting: () => false, forwardingPreserved: false });
    expect(s.passive).toBe(true);
    expect(s.local.extendedNextHop).toBe(true);
    expect(s.local.gracefulRestart?.forwardingPreserved).toBe(false);
  });
});

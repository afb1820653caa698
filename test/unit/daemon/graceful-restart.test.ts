/**
 * Graceful restart, helper side (src/daemon/graceful-restart.ts), on a ManualClock with a recording
 * RIB: which losses keep a peer's routes (gracefulDown), the restart timer (min of the peer's
 * restart time and staleRoutesTime), families not listed swept at once, families without the F
 * bit swept at re-establishment, and the stale-path bound that ends once End-of-RIB arrived for
 * every family.
 */
import { describe, expect, it } from 'vitest';
import type { GracefulRestartConfig } from '../../../src/config/types.js';
import { gracefulDown, GracefulRestartHelper } from '../../../src/daemon/graceful-restart.js';
import type { Negotiated } from '../../../src/session/negotiate.js';
import type { DownInfo } from '../../../src/session/peer.js';
import { ManualClock } from '../../../src/util/clock.js';
import { FakeRib, negotiated, notification, recordingLog, V4, V6 } from './fakes.js';

const P = '10.0.0.2';
const tcpFailure: DownInfo = { reason: 'connection-closed', wasEstablished: true };

/** The session comes up and sends End-of-RIB for every family (the stale-path bound ends). */
function up(h: GracefulRestartHelper, n: Negotiated): void {
  h.established(P, n);
  h.endOfRib(P, n.families, new Set(n.families));
}

function helper(settings: Partial<GracefulRestartConfig> = {}) {
  const clock = new ManualClock();
  const rib = new FakeRib();
  const { log, msgs } = recordingLog();
  const events: string[] = [];
  let gr: GracefulRestartConfig = { enabled: true, restartTime: 120, staleRoutesTime: 360, ...settings };
  const h = new GracefulRestartHelper({
    clock,
    log,
    rib,
    settings: () => gr,
    changed: () => events.push('changed'),
    expired: (id) => events.push(`expired ${id}`),
  });
  const reload = (s: Partial<GracefulRestartConfig>): void => {
    gr = { ...gr, ...s };
  };
  return { clock, rib, h, events, msgs, reload };
}

describe('gracefulDown (RFC 4724 4.2, RFC 8538 4)', () => {
  it('keeps routes after a TCP failure, with or without the N bit', () => {
    expect(gracefulDown({ reason: 'connection-closed', wasEstablished: true }, false)).toBe(true);
  });
  it('drops them after a NOTIFICATION without the N bit, keeps them with it, except Hard Reset', () => {
    expect(gracefulDown({ reason: 'notification-received', wasEstablished: true, notification: notification(6, 2) }, false)).toBe(false);
    expect(gracefulDown({ reason: 'notification-received', wasEstablished: true, notification: notification(6, 2) }, true)).toBe(true);
    expect(gracefulDown({ reason: 'hold-timer-expired', wasEstablished: true, notification: notification(4, 0) }, true)).toBe(true);
    expect(gracefulDown({ reason: 'notification-received', wasEstablished: true, notification: notification(6, 9) }, true)).toBe(false);
  });
  it('never keeps them after our own administrative stop', () => {
    expect(gracefulDown({ reason: 'admin-stop', wasEstablished: true }, true)).toBe(false);
  });
});

describe('a peer goes down (RFC 4724 4.2)', () => {
  it('keeps its routes stale for its restart time when that is below staleRoutesTime, then sweeps them', () => {
    const { clock, rib, h, events, msgs } = helper({ staleRoutesTime: 360 });
    up(h, negotiated({ gr: { restartTimeSec: 120 } }));
    rib.calls.length = 0;
    rib.setStale(P, V4, 3);
    expect(h.down(P, tcpFailure, true)).toBe(true);
    expect(rib.calls).toEqual([{ op: 'peerDown', id: P, keepStale: true }]);
    expect(msgs()).toContain('peer restarting: keeping its routes as stale');
    clock.advance(119_999);
    expect(rib.sweeps()).toEqual([]);
    clock.advance(1);
    expect(rib.sweeps()).toEqual([`${P} all`]);
    expect(events).toEqual([`expired ${P}`, 'changed']);
    expect(msgs()).toContain('graceful restart timer expired: stale routes removed');
    expect(h.timing(P)).toBe(false);
  });

  it('bounds the restart timer by staleRoutesTime when the peer asks for longer', () => {
    const { clock, rib, h } = helper({ staleRoutesTime: 60 });
    up(h, negotiated({ gr: { restartTimeSec: 600 } }));
    rib.calls.length = 0;
    h.down(P, tcpFailure, true);
    clock.advance(59_999);
    expect(rib.sweeps()).toEqual([]);
    clock.advance(1);
    expect(rib.sweeps()).toEqual([`${P} all`]);
  });

  it('reads staleRoutesTime when the peer goes down (a reload in between counts)', () => {
    const { clock, rib, h, reload } = helper({ staleRoutesTime: 360 });
    up(h, negotiated({ gr: { restartTimeSec: 300 } }));
    reload({ staleRoutesTime: 30 });
    rib.calls.length = 0;
    h.down(P, tcpFailure, true);
    clock.advance(30_000);
    expect(rib.sweeps()).toEqual([`${P} all`]);
  });

  it('sweeps at once the families the peer did not list in its capability', () => {
    const { rib, h } = helper();
    up(h, negotiated({ gr: { families: [{ family: V4, forwardingPreserved: true }] } }));
    rib.calls.length = 0;
    expect(h.down(P, tcpFailure, true)).toBe(true);
    expect(rib.calls).toEqual([
      { op: 'peerDown', id: P, keepStale: true },
      { op: 'sweepStale', id: P, family: V6 },
    ]);
  });

  it('keeps nothing when the capability lists no family', () => {
    const { clock, rib, h } = helper();
    up(h, negotiated({ gr: { families: [] } }));
    rib.calls.length = 0;
    expect(h.down(P, tcpFailure, true)).toBe(false);
    expect(rib.calls).toEqual([{ op: 'peerDown', id: P, keepStale: false }]);
    expect(clock.pending).toBe(0);
  });

  it('keeps nothing after a NOTIFICATION without the N bit on both sides', () => {
    const { clock, rib, h } = helper();
    const info: DownInfo = { reason: 'notification-received', wasEstablished: true, notification: notification(6, 2) };
    // The peer sets the N bit, but the session did not negotiate it (we did not, say).
    up(h, negotiated({ gr: { notification: true }, nBit: false }));
    rib.calls.length = 0;
    expect(h.down(P, info, true)).toBe(false);
    expect(rib.calls).toEqual([{ op: 'peerDown', id: P, keepStale: false }]);
    expect(clock.pending).toBe(0);
  });

  it('keeps routes after a NOTIFICATION when both sides set the N bit, but not after a Hard Reset', () => {
    const { rib, h } = helper();
    up(h, negotiated({ gr: { notification: true }, nBit: true }));
    expect(h.down(P, { reason: 'hold-timer-expired', wasEstablished: true, notification: notification(4, 0) }, true)).toBe(true);
    up(h, negotiated({ gr: { notification: true }, nBit: true }));
    rib.calls.length = 0;
    expect(h.down(P, { reason: 'notification-received', wasEstablished: true, notification: notification(6, 9) }, true)).toBe(false);
    expect(rib.calls).toEqual([{ op: 'peerDown', id: P, keepStale: false }]);
  });

  it('keeps nothing when graceful restart is off globally, off for the peer, or not negotiated', () => {
    const off = helper({ enabled: false });
    up(off.h, negotiated({ gr: {} }));
    expect(off.h.down(P, tcpFailure, true)).toBe(false);
    const peerOff = helper();
    up(peerOff.h, negotiated({ gr: {} }));
    expect(peerOff.h.down(P, tcpFailure, false)).toBe(false);
    const none = helper();
    up(none.h, negotiated());
    expect(none.h.down(P, tcpFailure, true)).toBe(false);
    for (const x of [off, peerOff, none]) {
      expect(x.rib.calls.at(-1)).toEqual({ op: 'peerDown', id: P, keepStale: false });
      expect(x.clock.pending).toBe(0);
    }
  });

  it('a peer that never was established keeps nothing', () => {
    const { rib, h } = helper();
    expect(h.down(P, tcpFailure, true)).toBe(false);
    expect(rib.calls).toEqual([{ op: 'peerDown', id: P, keepStale: false }]);
  });
});

describe('the peer comes back (RFC 4724 4.2)', () => {
  it('cancels the restart timer', () => {
    const { clock, rib, h, events } = helper();
    h.established(P, negotiated({ gr: { restartTimeSec: 120 } }));
    h.down(P, tcpFailure, true);
    clock.advance(60_000);
    h.established(P, negotiated({ gr: { restartTimeSec: 120 } }));
    h.endOfRib(P, [V4, V6], new Set([V4, V6]));
    rib.calls.length = 0;
    clock.advance(600_000);
    expect(rib.sweeps()).toEqual([]);
    expect(events).toEqual([]);
  });

  it('sweeps at once the families whose forwarding state it did not preserve (F bit clear, or not listed)', () => {
    const { rib, h } = helper();
    h.established(P, negotiated({ gr: { families: [{ family: V4, forwardingPreserved: false }] } }));
    expect(rib.sweeps()).toEqual([`${P} ${V4}`, `${P} ${V6}`]);
    rib.calls.length = 0;
    h.established(P, negotiated({ gr: { families: [{ family: V4, forwardingPreserved: true }, { family: V6, forwardingPreserved: false }] } }));
    expect(rib.sweeps()).toEqual([`${P} ${V6}`]);
  });

  it('sweeps every family of a peer that comes back without graceful restart, and arms no bound', () => {
    const { clock, rib, h } = helper();
    h.established(P, negotiated());
    expect(rib.sweeps()).toEqual([`${P} ${V4}`, `${P} ${V6}`]);
    expect(h.timing(P)).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('bounds the wait for End-of-RIB of the preserved families by staleRoutesTime, then sweeps what is still stale', () => {
    const { clock, rib, h, events, msgs } = helper({ staleRoutesTime: 90 });
    h.established(P, negotiated({ gr: {} }));
    expect(h.timing(P)).toBe(true);
    rib.calls.length = 0;
    rib.setStale(P, V6, 4);
    h.endOfRib(P, [V4, V6], new Set([V4])); // one family's End-of-RIB: the bound still runs
    expect(h.timing(P)).toBe(true);
    clock.advance(89_999);
    expect(rib.sweeps()).toEqual([]);
    clock.advance(1);
    expect(rib.sweeps()).toEqual([`${P} all`]);
    expect(events).toEqual(['changed']);
    expect(msgs()).toContain('no End-of-RIB after the peer restarted: stale routes removed');
  });

  it('does not warn when the bound finds nothing stale', () => {
    const { clock, h, events, msgs } = helper({ staleRoutesTime: 90 });
    h.established(P, negotiated({ gr: {} }));
    clock.advance(90_000);
    expect(events).toEqual(['changed']);
    expect(msgs()).not.toContain('no End-of-RIB after the peer restarted: stale routes removed');
  });

  it('ends the bound once End-of-RIB arrived for every negotiated family, so it never sweeps a later refresh', () => {
    const { clock, rib, h, events } = helper({ staleRoutesTime: 90 });
    h.established(P, negotiated({ gr: {} }));
    h.endOfRib(P, [V4, V6], new Set([V4, V6]));
    expect(h.timing(P)).toBe(false);
    rib.calls.length = 0;
    rib.setStale(P, V4, 5); // a route refresh under way marks routes stale later
    clock.advance(600_000);
    expect(rib.sweeps()).toEqual([]);
    expect(events).toEqual([]);
  });

  it('an End-of-RIB for a family not negotiated, or without a session, ends nothing', () => {
    const { h } = helper();
    h.established(P, negotiated({ gr: {} }));
    h.endOfRib(P, undefined, new Set([V4, V6]));
    expect(h.timing(P)).toBe(true);
  });
});

describe('cancel and forget', () => {
  it('cancel ends the timer; forget also drops what the last session negotiated', () => {
    const { clock, rib, h } = helper();
    h.established(P, negotiated({ gr: {} }));
    h.cancel(P);
    expect(clock.pending).toBe(0);
    expect(h.down(P, tcpFailure, true)).toBe(true);
    h.forget(P);
    expect(clock.pending).toBe(0);
    rib.calls.length = 0;
    expect(h.down(P, tcpFailure, true)).toBe(false);
  });

  it('cancelAll ends every timer', () => {
    const { clock, h } = helper();
    h.established('10.0.0.2', negotiated({ gr: {} }));
    h.established('10.0.0.3', negotiated({ gr: {} }));
    expect(clock.pending).toBe(2);
    h.cancelAll();
    expect(clock.pending).toBe(0);
  });
});

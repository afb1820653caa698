/**
 * ROUTE-REFRESH from a peer (src/daemon/route-refresh.ts), on a ManualClock with a recording RIB:
 * requests answered; the peer's BoRR ignored before its End-of-RIB when graceful restart was
 * negotiated (RFC 7313 4); an EoRR without a BoRR ignored; the wait for the EoRR bounded by
 * gracefulRestart.staleRoutesTime, then the stale routes swept; a refresh under way ends with the
 * session.
 */
import { describe, expect, it } from 'vitest';
import type { RouteRefreshMsg } from '../../../src/codec/types.js';
import { RouteRefresh, type RefreshingPeer } from '../../../src/daemon/route-refresh.js';
import type { Family } from '../../../src/rib/types.js';
import type { Negotiated } from '../../../src/session/negotiate.js';
import { ManualClock } from '../../../src/util/clock.js';
import { FakeRib, negotiated, recordingLog, V4, V6 } from './fakes.js';

const P = '10.0.0.2';
const REQUEST = 0;
const BORR = 1;
const EORR = 2;
const rr = (subtype: number, afi = 1, safi = 1): RouteRefreshMsg => ({ kind: 'route-refresh', afi, safi, subtype });

class TestPeer implements RefreshingPeer {
  readonly id = P;
  readonly negotiated: Negotiated | undefined;
  kicks = 0;
  constructor(n: Negotiated | undefined) {
    this.negotiated = n;
  }
  kick(): void {
    this.kicks++;
  }
}

function setup(o: { gr?: boolean; enhanced?: boolean; staleRoutesTime?: number } = {}) {
  const clock = new ManualClock();
  const rib = new FakeRib();
  const { log, msgs, lines } = recordingLog();
  let changed = 0;
  let wait = o.staleRoutesTime ?? 360;
  const r = new RouteRefresh({ clock, log, rib, eorrWaitSec: () => wait, changed: () => void changed++ });
  const peer = new TestPeer(negotiated({ enhancedRouteRefresh: o.enhanced ?? true, ...(o.gr === true ? { gr: {} } : {}) }));
  const eor = new Set<Family>();
  return {
    clock,
    rib,
    r,
    peer,
    eor,
    msgs,
    lines,
    changed: () => changed,
    setWait: (s: number) => void (wait = s),
    begun: () => rib.calls.filter((c) => c.op === 'beginPeerRefresh').length,
  };
}

describe('a refresh request (RFC 2918)', () => {
  it('is answered with the whole family, between BoRR and EoRR when enhanced, and the peer pulls it', () => {
    const s = setup();
    s.r.received(s.peer, rr(REQUEST, 2), s.eor);
    expect(s.rib.calls).toEqual([{ op: 'refresh', id: P, afi: 2, safi: 1, enhanced: true }]);
    expect(s.peer.kicks).toBe(1);
    const plain = setup({ enhanced: false });
    plain.r.received(plain.peer, rr(REQUEST), undefined);
    expect(plain.rib.calls).toEqual([{ op: 'refresh', id: P, afi: 1, safi: 1, enhanced: false }]);
  });
});

describe("the peer's BoRR and EoRR (RFC 7313 4)", () => {
  it('BoRR marks the family stale; EoRR sweeps what was not sent again and ends the wait', () => {
    const s = setup();
    s.r.received(s.peer, rr(BORR), s.eor);
    expect(s.rib.calls).toEqual([{ op: 'beginPeerRefresh', id: P, family: V4 }]);
    expect(s.r.waiting(P, V4)).toBe(true);
    expect(s.changed()).toBe(1);
    s.rib.setStale(P, V4, 2);
    s.r.received(s.peer, rr(EORR), s.eor);
    expect(s.rib.sweeps()).toEqual([`${P} ${V4}`]);
    expect(s.r.waiting(P, V4)).toBe(false);
    expect(s.changed()).toBe(2);
    expect(s.lines().find((l) => l['msg'] === 'route refresh from the peer complete (EoRR): routes it did not send again removed')).toMatchObject({ family: V4, swept: 2 });
    s.clock.advance(3_600_000);
    expect(s.rib.sweeps()).toEqual([`${P} ${V4}`]);
  });

  it('with graceful restart, a BoRR before the peer sent End-of-RIB for the family is ignored, and its EoRR too', () => {
    const s = setup({ gr: true });
    s.r.received(s.peer, rr(BORR), s.eor);
    expect(s.begun()).toBe(0);
    s.r.received(s.peer, rr(EORR), s.eor);
    expect(s.rib.sweeps()).toEqual([]);
    // End-of-RIB of IPv6 only: an IPv4 BoRR still waits, an IPv6 one counts.
    s.eor.add(V6);
    s.r.received(s.peer, rr(BORR), s.eor);
    expect(s.begun()).toBe(0);
    s.r.received(s.peer, rr(BORR, 2), s.eor);
    expect(s.begun()).toBe(1);
    expect(s.r.waiting(P, V6)).toBe(true);
  });

  it('without graceful restart, a BoRR counts before any End-of-RIB', () => {
    const s = setup({ gr: false });
    s.r.received(s.peer, rr(BORR), s.eor);
    expect(s.begun()).toBe(1);
  });

  it('an EoRR without a BoRR is ignored', () => {
    const s = setup();
    s.rib.setStale(P, V4, 7); // stale from something else (a restart): not this EoRR's to sweep
    s.r.received(s.peer, rr(EORR), s.eor);
    expect(s.rib.calls).toEqual([]);
    expect(s.changed()).toBe(0);
    // An EoRR for the other family than the BoRR's is ignored too.
    s.r.received(s.peer, rr(BORR, 2), s.eor);
    s.r.received(s.peer, rr(EORR, 1), s.eor);
    expect(s.rib.sweeps()).toEqual([]);
  });

  it('the wait for the EoRR is bounded by staleRoutesTime: then the stale routes go, with a warning', () => {
    const s = setup({ staleRoutesTime: 90 });
    s.r.received(s.peer, rr(BORR), s.eor);
    s.rib.setStale(P, V4, 3);
    s.clock.advance(89_999);
    expect(s.rib.sweeps()).toEqual([]);
    s.clock.advance(1);
    expect(s.rib.sweeps()).toEqual([`${P} ${V4}`]);
    expect(s.r.waiting(P, V4)).toBe(false);
    expect(s.changed()).toBe(2);
    expect(s.lines().find((l) => l['msg'] === "no EoRR after the peer's BoRR: stale routes removed")).toMatchObject({ level: 40, family: V4, swept: 3, waited: 90 });
    // A late EoRR finds no refresh under way.
    s.r.received(s.peer, rr(EORR), s.eor);
    expect(s.rib.sweeps()).toEqual([`${P} ${V4}`]);
  });

  it('a second BoRR restarts the wait, with the bound read at that time', () => {
    const s = setup({ staleRoutesTime: 90 });
    s.r.received(s.peer, rr(BORR), s.eor);
    s.clock.advance(60_000);
    s.setWait(120);
    s.r.received(s.peer, rr(BORR), s.eor);
    s.clock.advance(119_999);
    expect(s.rib.sweeps()).toEqual([]);
    s.clock.advance(1);
    expect(s.rib.sweeps()).toEqual([`${P} ${V4}`]);
    expect(s.clock.pending).toBe(0);
  });

  it('the families wait apart', () => {
    const s = setup({ staleRoutesTime: 90 });
    s.r.received(s.peer, rr(BORR, 1), s.eor);
    s.r.received(s.peer, rr(BORR, 2), s.eor);
    s.r.received(s.peer, rr(EORR, 2), s.eor);
    expect(s.r.waiting(P, V4)).toBe(true);
    expect(s.r.waiting(P, V6)).toBe(false);
    s.clock.advance(90_000);
    expect(s.rib.sweeps()).toEqual([`${P} ${V6}`, `${P} ${V4}`]);
  });

  it('a session that goes down ends the refresh under way: no sweep at the bound', () => {
    const s = setup({ staleRoutesTime: 90 });
    s.r.received(s.peer, rr(BORR), s.eor);
    s.r.end(P);
    expect(s.clock.pending).toBe(0);
    s.clock.advance(90_000);
    expect(s.rib.sweeps()).toEqual([]);
    s.r.received(s.peer, rr(BORR), s.eor);
    s.r.endAll();
    expect(s.clock.pending).toBe(0);
  });

  it('is ignored without enhanced route refresh, for an unknown peer, a family not negotiated or carried, or another subtype (RFC 7313 5)', () => {
    const plain = setup({ enhanced: false });
    plain.r.received(plain.peer, rr(BORR), plain.eor);
    expect(plain.rib.calls).toEqual([]);
    const s = setup();
    s.r.received(s.peer, rr(BORR), undefined);
    s.r.received(s.peer, rr(3), s.eor);
    s.r.received(s.peer, rr(BORR, 1, 128), s.eor); // a SAFI wren does not carry
    s.r.received(s.peer, rr(EORR, 25, 70), s.eor);
    expect(s.rib.calls).toEqual([]);
    s.rib.families = [V4]; // IPv6 not negotiated: the RIB refuses the BoRR, nothing waits
    s.r.received(s.peer, rr(BORR, 2), s.eor);
    expect(s.rib.calls).toEqual([{ op: 'beginPeerRefresh', id: P, family: null }]);
    expect(s.clock.pending).toBe(0);
    expect(s.changed()).toBe(0);
  });
});

/**
 * First convergence and the restarting speaker (src/daemon/convergence.ts), on a ManualClock with
 * peers as plain data: the End-of-RIB deferral of RFC 4724 4.1 (who it waits for, who it does not:
 * restarting peers, peers without graceful restart, dynamic and disabled peers), the deadline
 * (kernel.convergenceTimeout), and the R bit cleared once converged.
 */
import { describe, expect, it } from 'vitest';
import { Convergence, deferralMayEnd, endOfRibFromAll, type PeerProgress } from '../../../src/daemon/convergence.js';
import type { Family } from '../../../src/rib/types.js';
import { ManualClock } from '../../../src/util/clock.js';
import { negotiated, recordingLog, V4, V6, type GrSpec } from './fakes.js';

interface Spec {
  dynamic?: boolean;
  enabled?: boolean;
  established?: boolean;
  /** undefined: no graceful restart in the session. */
  gr?: GrSpec;
  families?: readonly Family[];
  eor?: readonly Family[];
}

/** A peer as convergence sees it; mutable so a test can move it along. */
class TestPeer implements PeerProgress {
  dynamic: boolean;
  enabled: boolean;
  established: boolean;
  readonly eor: Set<Family>;
  readonly #spec: Spec;
  constructor(s: Spec = {}) {
    this.#spec = s;
    this.dynamic = s.dynamic ?? false;
    this.enabled = s.enabled ?? true;
    this.established = s.established ?? true;
    this.eor = new Set(s.eor ?? []);
  }
  get negotiated(): PeerProgress['negotiated'] {
    if (!this.established) return undefined;
    return negotiated({ families: this.#spec.families ?? [V4, V6], ...(this.#spec.gr ? { gr: this.#spec.gr } : {}) });
  }
  /** End-of-RIB for every negotiated family. */
  done(): this {
    for (const f of this.#spec.families ?? [V4, V6]) this.eor.add(f);
    return this;
  }
}

const helper = (gr: GrSpec = {}): TestPeer => new TestPeer({ gr });

function setup(peers: TestPeer[], timeoutSec = 120) {
  const clock = new ManualClock();
  const { log, msgs } = recordingLog();
  const events: string[] = [];
  const c = new Convergence({
    clock,
    log,
    timeoutSec: () => timeoutSec,
    peers: () => peers,
    holdEndOfRib: (hold) => events.push(hold ? 'hold' : 'release'),
    released: () => events.push('kick'),
    converged: () => events.push('converged'),
  });
  return { clock, c, events, msgs };
}

describe('endOfRibFromAll: first convergence', () => {
  it('needs every enabled configured peer established with End-of-RIB for each negotiated family', () => {
    const a = new TestPeer({ eor: [V4] });
    expect(endOfRibFromAll([a])).toBe(false);
    a.eor.add(V6);
    expect(endOfRibFromAll([a])).toBe(true);
    expect(endOfRibFromAll([a, new TestPeer({ established: false })])).toBe(false);
    expect(endOfRibFromAll([a, new TestPeer({ families: [V4], eor: [V4] })])).toBe(true);
  });
  it('does not wait for dynamic or disabled peers, graceful restart or not', () => {
    expect(endOfRibFromAll([new TestPeer({ dynamic: true }), new TestPeer({ enabled: false, established: false })])).toBe(true);
    expect(endOfRibFromAll([])).toBe(true);
  });
  it('waits for peers without graceful restart too', () => {
    expect(endOfRibFromAll([new TestPeer()])).toBe(false);
  });
});

describe('deferralMayEnd: the restarting speaker waits (RFC 4724 4.1)', () => {
  it('for End-of-RIB from every configured peer that advertised graceful restart without the R bit', () => {
    const p = helper();
    expect(deferralMayEnd([p])).toBe(false);
    p.eor.add(V4);
    expect(deferralMayEnd([p])).toBe(false);
    p.eor.add(V6);
    expect(deferralMayEnd([p])).toBe(true);
  });
  it('not for peers that are themselves restarting (R bit) or that did not advertise graceful restart', () => {
    expect(deferralMayEnd([helper({ restarting: true }), new TestPeer()])).toBe(true);
    expect(deferralMayEnd([helper({ restarting: true }), new TestPeer(), helper()])).toBe(false);
  });
  it('not for dynamic or disabled peers', () => {
    expect(deferralMayEnd([new TestPeer({ gr: {}, dynamic: true }), new TestPeer({ gr: {}, enabled: false, established: false })])).toBe(true);
  });
  it('for a configured peer not yet established (what it advertises is not known yet)', () => {
    expect(deferralMayEnd([new TestPeer({ established: false })])).toBe(false);
  });
});

describe('Convergence, not restarting', () => {
  it('with every peer done at arm time, converges at once, once', () => {
    const { c, events, clock } = setup([new TestPeer().done()]);
    c.arm();
    expect(c.converged).toBe(true);
    expect(c.restarting).toBe(false);
    expect(events).toEqual(['converged']);
    expect(clock.pending).toBe(0); // the deadline is cancelled
    c.check();
    expect(events).toEqual(['converged']);
  });

  it('converges when the last End-of-RIB arrives', () => {
    const p = new TestPeer({ eor: [V4] });
    const { c, events } = setup([p]);
    c.arm();
    expect(events).toEqual([]);
    p.eor.add(V6);
    c.check();
    expect(events).toEqual(['converged']);
  });

  it('converges at the deadline (kernel.convergenceTimeout) when a peer never sends End-of-RIB', () => {
    const { c, events, clock, msgs } = setup([new TestPeer({ established: false })], 30);
    c.arm();
    clock.advance(29_999);
    expect(c.converged).toBe(false);
    clock.advance(1);
    expect(c.converged).toBe(true);
    expect(events).toEqual(['converged']);
    expect(msgs()).toContain('convergence deadline reached');
  });

  it('cancel() stops the deadline (the daemon stops)', () => {
    const { c, events, clock } = setup([new TestPeer({ established: false })], 30);
    c.arm();
    c.cancel();
    clock.advance(60_000);
    expect(events).toEqual([]);
  });

  it('never holds End-of-RIB back', () => {
    const { c, events } = setup([new TestPeer({ established: false })]);
    c.arm();
    c.check();
    expect(c.deferred).toBe(false);
    expect(events).toEqual([]);
  });
});

describe('Convergence, restarting (RFC 4724 4.1)', () => {
  it('sets the R bit and holds End-of-RIB back until every graceful-restart peer without the R bit sent its End-of-RIB', () => {
    const grPeer = helper();
    const restartingPeer = helper({ restarting: true });
    const plain = new TestPeer();
    const { c, events, msgs } = setup([grPeer, restartingPeer, plain, new TestPeer({ gr: {}, dynamic: true }), new TestPeer({ gr: {}, enabled: false, established: false })]);
    c.restarted(5);
    expect(msgs()).toContain('restarting with forwarding state preserved');
    expect(c.restarting).toBe(true);
    expect(c.deferred).toBe(true);
    c.arm();
    expect(events).toEqual(['hold']);
    grPeer.eor.add(V4);
    c.check();
    expect(events).toEqual(['hold']);
    grPeer.eor.add(V6);
    c.check();
    // Deferral over (the restarting, plain, dynamic and disabled peers were not waited for)...
    expect(events).toEqual(['hold', 'release', 'kick']);
    expect(msgs()).toContain('selection deferral over: End-of-RIB to peers');
    expect(c.deferred).toBe(false);
    // ...but not converged: the plain and restarting peers' End-of-RIB are still due. The R bit stays.
    expect(c.converged).toBe(false);
    expect(c.restarting).toBe(true);
    plain.done();
    restartingPeer.done();
    c.check();
    expect(events).toEqual(['hold', 'release', 'kick', 'converged']);
    expect(c.restarting).toBe(false);
  });

  it('waits for a configured peer that is not established yet', () => {
    const late = new TestPeer({ gr: {}, established: false });
    const { c, events } = setup([late]);
    c.restarted(1);
    c.arm();
    expect(c.deferred).toBe(true);
    late.established = true;
    c.check();
    expect(c.deferred).toBe(true);
    late.done();
    c.check();
    expect(events).toEqual(['hold', 'release', 'kick', 'converged']);
  });

  it('ends the deferral and clears the R bit at the deadline', () => {
    const { c, events, clock } = setup([helper()], 45);
    c.restarted(1);
    c.arm();
    clock.advance(45_000);
    expect(events).toEqual(['hold', 'release', 'kick', 'converged']);
    expect(c.deferred).toBe(false);
    expect(c.restarting).toBe(false);
  });

  it('with only peers it need not wait for, the deferral and convergence end at arm time', () => {
    const { c, events } = setup([helper({ restarting: true }).done(), new TestPeer().done()]);
    c.restarted(1);
    c.arm();
    expect(events).toEqual(['hold', 'release', 'kick', 'converged']);
    expect(c.restarting).toBe(false);
  });
});

describe('Convergence.recovery (BIRD show status: graceful restart recovery)', () => {
  it('while restarting: the peers still awaited and the seconds left; null once converged, and null when not restarting', () => {
    const a = helper();
    const b = new TestPeer({ established: false });
    const { c, clock } = setup([a, b, new TestPeer({ dynamic: true })], 240);
    c.restarted(3);
    c.arm();
    clock.advance(4_000);
    expect(c.recovery()).toEqual({ waitingFor: 2, remainingSec: 236, timeoutSec: 240 });
    a.done();
    c.check();
    expect(c.recovery()?.waitingFor).toBe(1);
    clock.advance(236_000);
    expect(c.recovery()).toBeNull();

    const fresh = setup([helper()], 240);
    fresh.c.arm();
    expect(fresh.c.recovery()).toBeNull();
  });
});

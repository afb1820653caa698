/** The health verdicts (src/metrics/health.ts): liveness from the loop monitor, readiness from the daemon's state. */
import { describe, expect, it } from 'vitest';
import { liveness, readiness, verdictText } from '../../../src/metrics/health.js';
import { peerSample, snapshot } from './fakes.js';

describe('liveness', () => {
  const loop = { now: 100_000, lastTickAt: 99_950, stalls: 0, maxStallMs: 0, recentStalls: [] };

  it('passes while the loop monitor ticks and no stall over the bound ended within the last minute', () => {
    const v = liveness({ ...loop, stalls: 2, recentStalls: [{ endedAt: 90_000, ms: 9_000 }] }, 10);
    expect(v.ok).toBe(true);
    expect(verdictText('livez', v, false)).toBe('ok\n');
    expect(verdictText('livez', v, true)).toBe(
      '[+]ticks ok: last tick 0.1 s ago\n[+]stalls ok: no stall over 10 s in the last minute (2 stalls over 0.5 s since start)\nlivez check passed\n',
    );
  });

  it('fails after a stall longer than the bound, naming its length and when it ended', () => {
    const v = liveness({ ...loop, stalls: 3, recentStalls: [{ endedAt: 80_000, ms: 12_000 }, { endedAt: 95_000, ms: 11_000 }] }, 10);
    expect(v.ok).toBe(false);
    expect(verdictText('livez', v, false)).toBe('stalls: the event loop was held 12.0 s, 20.0 s ago (bound 10 s, for a minute after)\n');
    expect(verdictText('livez', v, true)).toMatch(/^\[\+\]ticks ok: .*\n\[-\]stalls failed: .*\nlivez check failed\n$/);
  });

  it('fails when the loop monitor has not ticked for longer than the bound', () => {
    const v = liveness({ ...loop, lastTickAt: 80_000 }, 10);
    expect(v.ok).toBe(false);
    expect(verdictText('livez', v, false)).toBe('ticks: the loop monitor has not ticked for 20.0 s (bound 10 s)\n');
  });
});

describe('readiness', () => {
  const up = peerSample('192.168.1.11', { name: 'Mesh_192_168_1_11', state: 'Established' });
  const down = peerSample('192.168.1.12', { state: 'Active' });
  const dynamicDown = peerSample('192.168.1.50', { state: 'OpenSent', dynamic: true });

  it('is ready when started, the kernel converged and every configured peer is Established (dynamic peers do not count)', () => {
    const v = readiness(snapshot({ peers: [up, dynamicDown], kernel: { converged: true, desired: 3, installed: 3, conflicting: 0, pending: 0, failed: 0, errors: {} } }), 'all');
    expect(v.ok).toBe(true);
    expect(verdictText('readyz', v, true)).toBe(
      [
        '[+]config ok: loaded (reloads since start: 0 ok, 0 failed)',
        '[+]running ok: started',
        '[+]kernel ok: converged (3 routes installed, 3 desired)',
        '[+]peers ok: 1/1 configured peers Established',
        'readyz check passed',
        '',
      ].join('\n'),
    );
  });

  it('is not ready while a configured peer is not Established, and says which; any relaxes it, none skips it', () => {
    const s = snapshot({ peers: [up, down] });
    const all = readiness(s, 'all');
    expect(all.ok).toBe(false);
    expect(verdictText('readyz', all, false)).toBe('peers: 1/2 configured peers Established; not Established: 192.168.1.12 Active\n');
    expect(readiness(s, 'any').ok).toBe(true);
    expect(readiness(snapshot({ peers: [down] }), 'any')).toMatchObject({ ok: false });
    expect(verdictText('readyz', readiness(snapshot({ peers: [down] }), 'any'), false)).toBe('peers: 0/1 configured peers Established (peers=any): 192.168.1.12 Active\n');
    expect(readiness(snapshot({ peers: [down] }), 'none').ok).toBe(true);
  });

  it('names at most ten peers that are not up', () => {
    const peers = Array.from({ length: 13 }, (_, i) => peerSample(`10.0.0.${i + 1}`, { state: 'Idle' }));
    expect(verdictText('readyz', readiness(snapshot({ peers }), 'all'), false)).toMatch(/10\.0\.0\.10 Idle, and 3 more\n$/);
  });

  it('is not ready before the kernel converged, while starting or while stopping', () => {
    const notConverged = readiness(snapshot({ kernel: { converged: false, desired: 2, installed: 5, conflicting: 0, pending: 0, failed: 0, errors: {} } }), 'all');
    expect(verdictText('readyz', notConverged, false)).toBe(
      'kernel: not converged: waiting for End-of-RIB from every peer or kernel.convergenceTimeout (5 routes installed, 2 desired)\n',
    );
    expect(verdictText('readyz', readiness(snapshot({ daemon: { started: false, stopping: false, reloads: { ok: 0, failed: 0 } } }), 'all'), false)).toBe('running: starting\n');
    expect(verdictText('readyz', readiness(snapshot({ daemon: { started: true, stopping: true, reloads: { ok: 0, failed: 0 } } }), 'all'), false)).toBe('running: stopping\n');
  });

  it('with kernel programming off, the kernel check passes; with no configured peers, the peer check passes', () => {
    const v = readiness(snapshot({ kernel: null, peers: [dynamicDown] }), 'all');
    expect(v.ok).toBe(true);
    expect(v.checks.map((c) => c.detail)).toContain('kernel programming off');
    expect(v.checks.map((c) => c.detail)).toContain('no configured peers');
  });

  it('lists every failing reason on one line, separated by semicolons', () => {
    const v = readiness(snapshot({ peers: [down], kernel: { converged: false, desired: 0, installed: 0, conflicting: 0, pending: 0, failed: 0, errors: {} } }), 'all');
    expect(verdictText('readyz', v, false)).toMatch(/^kernel: not converged.*; peers: 0\/1 configured peers Established; not Established: 192\.168\.1\.12 Active\n$/);
  });
});

/** How a stop ends each session (src/daemon/stop-style.ts, docs/decisions/0004-planned-restart.md). */
import { describe, expect, it } from 'vitest';
import { stopStyle } from '../../../src/daemon/stop-style.js';
import type { Negotiated } from '../../../src/session/negotiate.js';

describe('stopStyle: how a stop ends each session (docs/decisions/0004-planned-restart.md)', () => {
  const gr = { restartTimeSec: 120, restarting: false, notification: false, families: [] };
  const session = (o: { gr?: boolean; nBit?: boolean }): Negotiated =>
    ({ ...(o.gr === true ? { gracefulRestart: { ...gr, notification: o.nBit === true } } : {}), gracefulNotification: o.nBit === true }) as unknown as Negotiated;
  it('a planned restart closes silently where graceful restart was negotiated without the N bit (BIRD 1.6, BIRD 2.0)', () => {
    expect(stopStyle(session({ gr: true }), false)).toBe('close-silently');
  });
  it('a planned restart sends Cease where the N bit was negotiated (RFC 8538 keeps routes on it), or without graceful restart', () => {
    expect(stopStyle(session({ gr: true, nBit: true }), false)).toBe('cease');
    expect(stopStyle(session({}), false)).toBe('cease');
    expect(stopStyle(undefined, false)).toBe('cease');
  });
  it('a withdrawing stop always sends Cease (Hard Reset where the N bit allows)', () => {
    for (const n of [session({ gr: true }), session({ gr: true, nBit: true }), session({}), undefined]) expect(stopStyle(n, true)).toBe('hard-reset');
  });
});

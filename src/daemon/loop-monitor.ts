/**
 * Watches the daemon's event loop: every KEEPALIVE, hold-timer check and socket read waits for it,
 * so a turn that takes long is a fault worth a log line (docs/decisions/0005-bounded-route-work.md).
 * A timer ticks every TICK_MS; when it fires more than STALL_MS late, the loop was held that long
 * (by route work, or a garbage collection) and a warn line says so, with the stall's length. The
 * largest stall and a count are kept for `stats()` (and a metrics endpoint later), and logged when
 * the daemon stops.
 */
import type { Logger } from '../util/log.js';

const TICK_MS = 100;
/** A turn this much later than due is logged. */
export const STALL_MS = 500;

export interface LoopStats {
  /** Longest stall seen since start, ms (0 if none above the tick). */
  readonly maxStallMs: number;
  /** Stalls over STALL_MS since start. */
  readonly stalls: number;
}

export interface LoopMonitor {
  stats(): LoopStats;
  stop(): void;
}

export function startLoopMonitor(log: Logger, now: () => number = () => performance.now()): LoopMonitor {
  let expected = now() + TICK_MS;
  let maxStallMs = 0;
  let stalls = 0;
  const timer = setInterval(() => {
    const t = now();
    const late = t - expected;
    expected = t + TICK_MS;
    if (late > maxStallMs) maxStallMs = late;
    if (late >= STALL_MS) {
      stalls++;
      log.warn({ stalledMs: Math.round(late), stalls }, 'event loop stalled: timers and sockets waited');
    }
  }, TICK_MS);
  timer.unref();
  return {
    stats: () => ({ maxStallMs: Math.round(maxStallMs), stalls }),
    stop: () => {
      clearInterval(timer);
      log.info({ maxStallMs: Math.round(maxStallMs), stalls }, 'event loop: longest stall since start');
    },
  };
}

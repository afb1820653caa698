/**
 * Watches the daemon's event loop: every KEEPALIVE, hold-timer check and socket read waits for it,
 * so a turn that takes long is a fault worth a log line (docs/decisions/0005-bounded-route-work.md).
 * A timer ticks every TICK_MS; when it fires more than STALL_MS late, the loop was held that long
 * (by route work, or a garbage collection) and a warn line says so, with the stall's length. The
 * largest stall and a count are kept for `stats()`, and logged when the daemon stops.
 *
 * For metrics and `/livez` (docs/metrics.md): each tick's lateness goes to `observe` (the event-loop
 * lag histogram), and `stats()` also tells when the last tick ran and the stalls of the last
 * RECENT_MS (when each ended and how long it was).
 */
import type { Logger } from '../util/log.js';

export const TICK_MS = 100;
/** A turn this much later than due is logged. */
export const STALL_MS = 500;
/** How long stalls are remembered for `recentStalls`. */
export const RECENT_MS = 60_000;
/** At most this many recent stalls are kept (the longest of a burst matter, not each one). */
const RECENT_KEPT = 64;

export interface Stall {
  /** When the stall ended (the late tick ran), on the monitor's clock (ms). */
  readonly endedAt: number;
  readonly ms: number;
}

export interface LoopStats {
  /** Longest stall seen since start, ms (0 if none above the tick). */
  readonly maxStallMs: number;
  /** Stalls over STALL_MS since start. */
  readonly stalls: number;
  /** When the last tick ran, on the monitor's clock (ms). */
  readonly lastTickAt: number;
  /** Stalls over STALL_MS that ended within the last RECENT_MS, oldest first. */
  readonly recentStalls: readonly Stall[];
}

export interface LoopMonitor {
  stats(): LoopStats;
  stop(): void;
}

export interface LoopMonitorOptions {
  /** The clock (ms); performance.now by default. */
  readonly now?: () => number;
  /** Each tick's lateness in seconds (0 when on time). */
  readonly observe?: (lagSeconds: number) => void;
}

export function startLoopMonitor(log: Logger, o: LoopMonitorOptions = {}): LoopMonitor {
  const now = o.now ?? (() => performance.now());
  let expected = now() + TICK_MS;
  let lastTickAt = now();
  let maxStallMs = 0;
  let stalls = 0;
  let recent: Stall[] = [];
  const timer = setInterval(() => {
    const t = now();
    const late = Math.max(0, t - expected);
    expected = t + TICK_MS;
    lastTickAt = t;
    if (late > maxStallMs) maxStallMs = late;
    o.observe?.(late / 1000);
    if (late >= STALL_MS) {
      stalls++;
      recent.push({ endedAt: t, ms: Math.round(late) });
      if (recent.length > RECENT_KEPT) recent = recent.sort((a, b) => b.ms - a.ms).slice(0, RECENT_KEPT).sort((a, b) => a.endedAt - b.endedAt);
      log.warn({ stalledMs: Math.round(late), stalls }, 'event loop stalled: timers and sockets waited');
    }
  }, TICK_MS);
  timer.unref();
  return {
    stats: () => {
      const since = now() - RECENT_MS;
      recent = recent.filter((s) => s.endedAt >= since);
      return { maxStallMs: Math.round(maxStallMs), stalls, lastTickAt, recentStalls: [...recent] };
    },
    stop: () => {
      clearInterval(timer);
      log.info({ maxStallMs: Math.round(maxStallMs), stalls }, 'event loop: longest stall since start');
    },
  };
}

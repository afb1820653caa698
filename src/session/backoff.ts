/**
 * Idle-hold backoff after errors (RFC 4271 8.1.1 DampPeerOscillations, in BIRD's form: the delay
 * before the next automatic start doubles after each error, up to a maximum, and returns to the
 * initial value once a session has stayed Established for a while). Pure.
 */

export interface BackoffConfig {
  readonly initialSec: number;
  readonly maxSec: number;
}

/** The delay after the one just used. */
export function nextIdleHold(currentSec: number, cfg: BackoffConfig): number {
  return Math.min(cfg.maxSec, Math.max(cfg.initialSec, currentSec * 2));
}

/** RFC 4271 10: timers are jittered by a factor between 0.75 and 1.0. `random` is injected. */
export function jitter(seconds: number, random: () => number): number {
  return seconds * (0.75 + 0.25 * random());
}

/**
 * The bound on a stop (SIGTERM, SIGINT, `wren stop`): the process ends within SHUTDOWN_BOUND_MS even
 * if a peer or the kernel never answers (docs/architecture.md, process lifecycle). `stopWithin` says
 * which came first; runDaemon (main.ts) then exits the process, forcing it after EXIT_GRACE_MS if a
 * handle is still open.
 */
import type { Clock } from '../util/clock.js';

/** SIGTERM must end the process within this time even if a peer does not close. */
export const SHUTDOWN_BOUND_MS = 10_000;

/** After the stop (or the bound), the process exits by itself; if a handle keeps it alive, it is ended this much later. */
export const EXIT_GRACE_MS = 250;

/** Runs `stop`; resolves 'stopped' when it settles (fulfilled or not), or 'timed-out' after `boundMs`, whichever is first. */
export function stopWithin(boundMs: number, clock: Clock, stop: () => Promise<void>): Promise<'stopped' | 'timed-out'> {
  return new Promise((resolve) => {
    const cancel = clock.after(boundMs, () => resolve('timed-out'));
    let work: Promise<void>;
    try {
      work = stop();
    } catch (err) {
      work = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    work.then(
      () => {
        cancel();
        resolve('stopped');
      },
      () => {
        cancel();
        resolve('stopped');
      },
    );
  });
}

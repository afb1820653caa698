/**
 * wren's own route sources and sinks as the BIRD protocols Calico's BIRD has for them:
 *
 * - `kernel1` (Kernel): wren's kernel route programming. `up` once first convergence is over (stale
 *   routes of a previous run purged), `wait` before that (as BIRD 1.6's kernel protocol during its
 *   graceful-restart recovery); its exported routes are the routes wren has installed. Only when
 *   `kernel.enabled`.
 * - `static1` (Static): the `originate` prefixes of the socket's family, BIRD's static blackhole
 *   routes in Calico's config. Local routes always win the decision, so all of them are preferred.
 *
 * Neither has an info column (BIRD's kernel and static protocols print none). Route change
 * statistics are not counted for them: zeros, but for static1's one import of each prefix.
 */
import { basicInfoLines, NO_CHANGES, statsLines } from './details.js';
import type { BirdProtocol } from './protocol.js';

/** BIRD's default preferences: kernel routes 10, static 200. */
const KERNEL_PREFERENCE = 10;
const STATIC_PREFERENCE = 200;

export interface KernelFacts {
  readonly converged: boolean;
  readonly installed: number;
  /** Our graceful restart is under way (RecoveryStatus not null). */
  readonly recovering: boolean;
}

export function kernelProtocol(k: KernelFacts, startedMs: number): BirdProtocol {
  return {
    name: 'kernel1',
    proto: 'Kernel',
    table: 'master',
    state: k.converged ? 'up' : 'wait',
    sinceMs: startedMs,
    info: '',
    details: [
      ...basicInfoLines({ preference: KERNEL_PREFERENCE, inputFilter: 'REJECT', outputFilter: 'ACCEPT', ...(k.recovering ? { grRecovery: 'waiting' as const } : {}) }),
      ...statsLines({ imported: 0, exported: k.installed, preferred: 0 }, NO_CHANGES),
    ],
  };
}

export function staticProtocol(originated: number, startedMs: number): BirdProtocol {
  return {
    name: 'static1',
    proto: 'Static',
    table: 'master',
    state: 'up',
    sinceMs: startedMs,
    info: '',
    details: [
      ...basicInfoLines({ preference: STATIC_PREFERENCE, inputFilter: 'ACCEPT', outputFilter: 'REJECT' }),
      // Each originated prefix was imported once, as BIRD's static protocol counts its routes.
      ...statsLines({ imported: originated, exported: 0, preferred: originated }, { ...NO_CHANGES, importUpdates: [originated, 0, 0, 0, originated] }),
    ],
  };
}

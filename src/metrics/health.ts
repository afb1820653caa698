/**
 * The health endpoints' verdicts (docs/metrics.md), as pure functions of a snapshot:
 *
 * - liveness (`/livez`): the event loop answers (the request is being handled) and has not been
 *   held longer than `metrics.livezMaxStall` seconds within the last minute, and the loop
 *   monitor's timer still ticks;
 * - readiness (`/readyz`): wren has started and is not stopping, its configuration is loaded, the
 *   kernel routes converged after start (first convergence done, the leftovers of a previous run
 *   purged), and the configured, enabled, non-dynamic peers are Established: all of them (the
 *   meaning of calico-node's BIRD readiness check), at least one (`any`), or not checked (`none`).
 */
import type { LoopSample, MetricsSnapshot, PeerSample } from './source.js';

export type ReadyPeers = 'all' | 'any' | 'none';

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface Verdict {
  readonly ok: boolean;
  readonly checks: readonly Check[];
}

/** Seconds with one decimal. */
const sec = (ms: number): string => `${(Math.max(0, ms) / 1000).toFixed(1)} s`;

export function liveness(loop: LoopSample, maxStallSec: number): Verdict {
  const bound = maxStallSec * 1000;
  const tickAge = loop.now - loop.lastTickAt;
  const long = loop.recentStalls.filter((s) => s.ms > bound);
  const worst = long.reduce<{ endedAt: number; ms: number } | undefined>((w, s) => (w === undefined || s.ms > w.ms ? s : w), undefined);
  const checks: Check[] = [
    tickAge > bound
      ? { name: 'ticks', ok: false, detail: `the loop monitor has not ticked for ${sec(tickAge)} (bound ${maxStallSec} s)` }
      : { name: 'ticks', ok: true, detail: `last tick ${sec(tickAge)} ago` },
    worst
      ? { name: 'stalls', ok: false, detail: `the event loop was held ${sec(worst.ms)}, ${sec(loop.now - worst.endedAt)} ago (bound ${maxStallSec} s, for a minute after)` }
      : { name: 'stalls', ok: true, detail: `no stall over ${maxStallSec} s in the last minute (${loop.stalls} stalls over 0.5 s since start)` },
  ];
  return { ok: checks.every((c) => c.ok), checks };
}

function describePeer(p: PeerSample): string {
  return `${p.address}${p.session !== p.address ? ` (${p.session})` : ''} ${p.state}`;
}

/** At most this many peers are named in a reason (a big mesh must not make a huge probe answer). */
const NAMED = 10;

function peersCheck(peers: readonly PeerSample[], mode: ReadyPeers): Check {
  if (mode === 'none') return { name: 'peers', ok: true, detail: 'not checked (peers=none)' };
  const configured = peers.filter((p) => !p.dynamic);
  const up = configured.filter((p) => p.state === 'Established');
  const down = configured.filter((p) => p.state !== 'Established');
  const counts = `${up.length}/${configured.length} configured peers Established`;
  if (configured.length === 0) return { name: 'peers', ok: true, detail: 'no configured peers' };
  const named = down.slice(0, NAMED).map(describePeer).join(', ') + (down.length > NAMED ? `, and ${down.length - NAMED} more` : '');
  if (mode === 'any') {
    return up.length > 0 ? { name: 'peers', ok: true, detail: `${counts} (peers=any)` } : { name: 'peers', ok: false, detail: `${counts} (peers=any): ${named}` };
  }
  return down.length === 0 ? { name: 'peers', ok: true, detail: counts } : { name: 'peers', ok: false, detail: `${counts}; not Established: ${named}` };
}

export function readiness(s: MetricsSnapshot, mode: ReadyPeers): Verdict {
  const d = s.daemon;
  const k = s.kernel;
  const checks: Check[] = [
    { name: 'config', ok: true, detail: `loaded (reloads since start: ${d.reloads.ok} ok, ${d.reloads.failed} failed)` },
    d.stopping
      ? { name: 'running', ok: false, detail: 'stopping' }
      : d.started
        ? { name: 'running', ok: true, detail: 'started' }
        : { name: 'running', ok: false, detail: d.waitingFor !== undefined ? `starting: waiting for ${d.waitingFor}` : 'starting' },
    k === null
      ? { name: 'kernel', ok: true, detail: 'kernel programming off' }
      : k.converged
        ? { name: 'kernel', ok: true, detail: `converged (${k.installed} routes installed, ${k.desired} desired)` }
        : {
            name: 'kernel',
            ok: false,
            detail: `not converged: waiting for End-of-RIB from every peer or kernel.convergenceTimeout (${k.installed} routes installed, ${k.desired} desired)`,
          },
    peersCheck(s.peers, mode),
  ];
  return { ok: checks.every((c) => c.ok), checks };
}

/**
 * The answer's body: one line, "ok" or the failed checks' reasons; with `verbose`, every check on
 * a line of its own (`[+]kernel ok: ...`, `[-]peers failed: ...`) and the verdict last, as the
 * Kubernetes API server's health endpoints answer.
 */
export function verdictText(endpoint: 'livez' | 'readyz', v: Verdict, verbose: boolean): string {
  if (verbose) {
    const lines = v.checks.map((c) => `[${c.ok ? '+' : '-'}]${c.name} ${c.ok ? 'ok' : 'failed'}: ${c.detail}`);
    lines.push(v.ok ? `${endpoint} check passed` : `${endpoint} check failed`);
    return `${lines.join('\n')}\n`;
  }
  if (v.ok) return 'ok\n';
  return `${v.checks
    .filter((c) => !c.ok)
    .map((c) => `${c.name}: ${c.detail}`)
    .join('; ')}\n`;
}

/** The session settings of a peer (its OPEN offer and timers), from the validated config; rebuilt on an in-place reload. */
import type { Config, PeerConfig } from '../config/types.js';
import type { SessionConfig } from '../session/fsm.js';
import { addPathFamilies } from '../config/add-path.js';
import type { LocalOffer } from '../session/negotiate.js';

export interface SessionConfigContext {
  /** Our R bit (RFC 4724 4.1), read when each OPEN is built: it goes once the restart is over (convergence.ts). */
  readonly restarting: () => boolean;
  /** We program the kernel, so forwarding survives our restart (the F bit). */
  readonly forwardingPreserved: boolean;
}

export function sessionConfig(c: Config, cfg: PeerConfig, id: string, dynamic: boolean, ctx: SessionConfigContext): SessionConfig {
  const restarting = ctx.restarting;
  const local: LocalOffer = {
    asn: cfg.localAs,
    routerId: c.routerId,
    holdTimeSec: cfg.holdTime,
    keepaliveSec: cfg.keepaliveTime,
    families: cfg.families,
    ...(c.gracefulRestart.enabled && cfg.gracefulRestart
      ? {
          gracefulRestart: {
            restartTimeSec: c.gracefulRestart.restartTime,
            get restarting(): boolean {
              return restarting();
            },
            forwardingPreserved: ctx.forwardingPreserved,
          },
        }
      : {}),
    extendedNextHop: id.includes(':'),
  };
  const addPath = addPathFamilies(cfg.addPath, cfg.families);
  const offer: LocalOffer =
    addPath.length === 0 ? local : { ...local, addPath: { receive: cfg.addPath.receive, send: cfg.addPath.send !== false, families: addPath } };
  return {
    local: offer,
    expect: { asn: cfg.asn },
    passive: cfg.passive || dynamic,
    connectRetrySec: cfg.connectRetryTime,
    idleHoldSec: c.timers.idleHoldTime,
    idleHoldMaxSec: c.timers.idleHoldMaxTime,
    stableSec: 60,
    ...(cfg.sendHoldTime !== undefined ? { sendHoldSec: cfg.sendHoldTime } : {}),
  };
}

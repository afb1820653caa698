/**
 * How a stop ends one session (docs/decisions/0004-planned-restart.md). Keeping routes (a planned
 * restart): graceful restart negotiated and no N bit from the peer => close without a NOTIFICATION
 * (RFC 4724: a helper keeps our routes on a TCP failure; without RFC 8538 it drops them on any
 * NOTIFICATION); N bit => Cease, which RFC 8538 4 keeps routes on; no graceful restart => Cease (the
 * peer drops our routes whatever we send, and learns why). Withdrawing: Cease / Hard Reset where the
 * N bit was negotiated (RFC 8538 3), else Cease (Peer.stop decides).
 */
import type { Negotiated } from '../session/negotiate.js';

export type StopStyle = 'close-silently' | 'cease' | 'hard-reset';

export function stopStyle(n: Negotiated | undefined, withdraw: boolean): StopStyle {
  if (withdraw) return 'hard-reset';
  if (n?.gracefulRestart !== undefined && !n.gracefulNotification) return 'close-silently';
  return 'cease';
}

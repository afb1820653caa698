/**
 * Connection collision detection (RFC 4271 6.8, RFC 6286 2.3). Pure.
 *
 * Two TCP connections to the same peer may both reach OPEN exchange: one we initiated, one the
 * peer initiated. Once the peer's BGP identifier is known (an OPEN received on one connection while
 * the other is in OpenConfirm, or OPENs on both), one of them must close:
 *
 * - "If the value of the local BGP Identifier is less than the remote one, the local system closes
 *   the BGP connection that already exists (the one that is already in the OpenConfirm state), and
 *   accepts the BGP connection initiated by the remote system." In other words: the connection
 *   initiated by the speaker with the higher identifier survives.
 * - RFC 6286 2.3: if the identifiers are equal (possible between different ASes), the speaker with
 *   the larger AS number is dominant and the connection it initiated survives.
 * - A connection in Established always wins over a new one (RFC 4271 6.8, last paragraph).
 *
 * The loser is closed with Cease / Connection Collision Resolution (RFC 4486, subcode 7).
 *
 * With graceful restart, an OPEN on a new connection while one is Established may instead be the peer
 * restarting (RFC 4724 4.2); the peer driver tells the two apart with {@link openSaysRestarting} and
 * {@link RESTART_AFTER_ESTABLISHED_MS}.
 */
import type { OpenMsg } from '../codec/types.js';
import { parseIPv4 } from '../util/inet.js';
import { BgpError } from '../codec/errors.js';
import type { SessionConfig } from './fsm.js';
import { capabilitiesOf, negotiate } from './negotiate.js';

/**
 * How long a connection must have been Established before an OPEN on a new connection, without the
 * Restart State bit, is taken for the peer restarting rather than a collision. A collision's window is
 * one connection set-up plus one OPEN (milliseconds, a second under load); a peer that restarts sooner
 * than this after the session came up is still found, one KEEPALIVE later (its TCP stack resets the old
 * connection) or at the hold time.
 */
export const RESTART_AFTER_ESTABLISHED_MS = 5000;

/** The OPEN passes negotiation with this session's settings (the FSM would accept it). */
export function openAcceptable(config: SessionConfig, open: OpenMsg): boolean {
  try {
    negotiate(config.local, config.expect, open);
    return true;
  } catch (err) {
    if (err instanceof BgpError) return false;
    throw err;
  }
}

/** The OPEN carries the graceful restart capability with the Restart State (R) bit set. */
export function openSaysRestarting(open: OpenMsg): boolean {
  return capabilitiesOf(open).some((c) => c.kind === 'graceful-restart' && c.restarting);
}

/** Which connection survives: the one we initiated ('outgoing') or the one the peer initiated ('incoming'). */
export function collisionWinner(local: { routerId: string; asn: number }, remote: { routerId: string; asn: number }): 'outgoing' | 'incoming' {
  const l = parseIPv4(local.routerId);
  const r = parseIPv4(remote.routerId);
  if (l !== r) return l > r ? 'outgoing' : 'incoming';
  return local.asn > remote.asn ? 'outgoing' : 'incoming';
}

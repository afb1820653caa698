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
 */
import { parseIPv4 } from '../util/inet.js';

/** Which connection survives: the one we initiated ('outgoing') or the one the peer initiated ('incoming'). */
export function collisionWinner(local: { routerId: string; asn: number }, remote: { routerId: string; asn: number }): 'outgoing' | 'incoming' {
  const l = parseIPv4(local.routerId);
  const r = parseIPv4(remote.routerId);
  if (l !== r) return l > r ? 'outgoing' : 'incoming';
  return local.asn > remote.asn ? 'outgoing' : 'incoming';
}

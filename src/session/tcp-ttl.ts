/**
 * TTL policy for BGP sessions: which outgoing TTL and which minimum incoming TTL a peer's socket
 * gets, from its configuration (`ebgpMultihop`, `ttlSecurity`). Pure functions; tcp-options.ts
 * applies the numbers. The semantics are FRR's (bgpd/bgp_network.c, bgp_set_socket_ttl and
 * bgp_socket), so a wren peer and an FRR peer configured alike agree on the wire.
 * See docs/decisions/0002-tcp-socket-options.md.
 */
import { invalidArg } from './tcp-errors.js';

/** The largest TTL / hop limit, and the one GTSM sends with (RFC 5082 3). */
export const MAX_TTL = 255;

export interface PeerTtlConfig {
  readonly ebgp: boolean;
  /** eBGP multihop: the TTL to send with, 1..255. */
  readonly ebgpMultihop?: number;
  /** GTSM (RFC 5082): the peer is at most this many hops away, 1..254. */
  readonly ttlSecurity?: number;
}

export interface SessionTtl {
  /** Outgoing IP TTL / IPv6 hop limit. */
  readonly ttl: number;
  /** Segments with a smaller TTL / hop limit are dropped by the kernel; 0 = no check. */
  readonly minTtl: number;
}

/**
 * RFC 5082 3: a GTSM speaker sends with TTL 255 and drops packets whose TTL shows they came from
 * further away than the configured radius. FRR's `neighbor X ttl-security hops N` counts the
 * peer's own hop: a directly connected peer is N = 1, whose packets arrive with TTL 255, so the
 * minimum is 255 - N + 1 = 256 - N (FRR: `MAXTTL + 1 - peer->gtsm_hops`). N is 1..254 (FRR's range),
 * so the minimum is 2..255 and never 1, which would accept everything.
 */
export function gtsmMinTtl(hops: number): number {
  if (!Number.isInteger(hops) || hops < 1 || hops > 254) throw invalidArg(`ttlSecurity must be an integer 1..254 (got ${hops})`);
  return MAX_TTL + 1 - hops;
}

/**
 * The TTL settings of one peer's sockets, connecting or accepted:
 * - GTSM: send with 255, drop anything below 256 - hops (gtsmMinTtl).
 * - eBGP multihop N: send with N, no receive check.
 * - plain eBGP: send with 1, a directly connected peer (FRR's and BIRD's default; RFC 4271 does
 *   not say, but a TTL of 1 keeps a single-hop session from being reached from further away).
 * - iBGP: send with 255 (FRR: MAXTTL for iBGP), no receive check.
 * `ebgpMultihop` and `ttlSecurity` together is refused, as FRR refuses it: both decide the TTL.
 */
export function sessionTtl(peer: PeerTtlConfig): SessionTtl {
  if (peer.ttlSecurity !== undefined && peer.ebgpMultihop !== undefined) {
    throw invalidArg('ttlSecurity and ebgpMultihop cannot both be set for one peer');
  }
  if (peer.ttlSecurity !== undefined) return { ttl: MAX_TTL, minTtl: gtsmMinTtl(peer.ttlSecurity) };
  if (peer.ebgpMultihop !== undefined) {
    if (!Number.isInteger(peer.ebgpMultihop) || peer.ebgpMultihop < 1 || peer.ebgpMultihop > MAX_TTL) {
      throw invalidArg(`ebgpMultihop must be an integer 1..255 (got ${peer.ebgpMultihop})`);
    }
    return { ttl: peer.ebgp ? peer.ebgpMultihop : MAX_TTL, minTtl: 0 };
  }
  return { ttl: peer.ebgp ? 1 : MAX_TTL, minTtl: 0 };
}

/**
 * The listening socket's TTL settings for a set of configured peers (dynamic ranges included).
 * - TTL 255 always, as FRR's bgp_socket does: the SYN-ACK leaves with the listener's TTL, and a
 *   GTSM peer drops a SYN-ACK below its minimum, so it must be 255. Accepted sockets inherit it
 *   and then get their peer's own TTL (sessionTtl).
 * - A minimum TTL only when every peer uses GTSM: then it is the loosest peer's minimum, the
 *   kernel drops a far-away SYN before any handshake, and accepted sockets inherit the check from
 *   their first byte. With one non-GTSM peer the listener cannot filter (it would refuse that
 *   peer); accepted GTSM sockets get their minimum right after accept (see the decision record
 *   for what that leaves open).
 */
export function listenerTtl(peers: readonly PeerTtlConfig[]): SessionTtl {
  const mins = peers.map((p) => sessionTtl(p).minTtl);
  const allGtsm = mins.length > 0 && mins.every((m) => m > 0);
  return { ttl: MAX_TTL, minTtl: allGtsm ? Math.min(...mins) : 0 };
}

/**
 * Next hops: the usable one of a received route (for the kernel and ECMP), and ours on a session
 * (next-hop-self).
 */
import type { PathAttrs } from '../codec/types.js';
import { isLinkLocalV6 } from './prefix.js';
import type { Family, RibSessionInfo } from './types.js';

/**
 * The address to forward to. IPv4: NEXT_HOP (RFC 4271 5.1.3), or the MP_REACH next hop of an IPv4
 * route carried with an IPv6 next hop (RFC 8950). IPv6 (RFC 2545 3): the global next hop, or the
 * link-local one only when there is no usable global ("::" or absent, or a link-local address put
 * in the global field).
 */
export function usableNextHop(a: PathAttrs): string | null {
  const mp = a.mpReach;
  if (mp === undefined) return a.nextHop ?? null;
  const global = mp.nextHops[0];
  const ll = mp.nextHops[1];
  if (global !== undefined && global !== '::' && !isLinkLocalV6(global)) return global;
  if (ll !== undefined && ll !== '::') return ll;
  if (global !== undefined && global !== '::') return global;
  return null;
}

const isV4 = (a: string): boolean => !a.includes(':');

/**
 * Our next hop(s) for `family` on a session: IPv4 as one address; IPv6 as [global] or, on a
 * directly connected session, [global, link-local] (RFC 2545 3). Null when we have no address of
 * that family on the session (then the route cannot be sent with next-hop-self).
 */
export function selfNextHops(s: RibSessionInfo, family: Family): readonly string[] | null {
  // RFC 8950 4: on an IPv6 session that negotiated extended next hop, IPv4 routes carry our IPv6 address.
  if (family === 'ipv4-unicast' && s.extendedNextHopV4 === true && !isV4(s.localAddress)) return selfNextHops(s, 'ipv6-unicast');
  if (family === 'ipv4-unicast') {
    const v4 = s.localV4 ?? (isV4(s.localAddress) ? s.localAddress : undefined);
    return v4 === undefined ? null : [v4];
  }
  const local = !isV4(s.localAddress) && !isLinkLocalV6(s.localAddress) ? s.localAddress : undefined;
  const global = s.localV6 ?? local;
  if (global === undefined) return null;
  const ll = s.localV6LinkLocal ?? (isLinkLocalV6(s.localAddress) ? s.localAddress : undefined);
  return s.directlyConnected && ll !== undefined ? [global, ll] : [global];
}

/** Our own addresses on a session (a received next hop equal to one of them is a loop). */
export function sessionAddresses(s: RibSessionInfo): string[] {
  const out = [s.localAddress];
  if (s.localV4 !== undefined) out.push(s.localV4);
  if (s.localV6 !== undefined) out.push(s.localV6);
  if (s.localV6LinkLocal !== undefined) out.push(s.localV6LinkLocal);
  return out;
}

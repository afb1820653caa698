/**
 * Next hops: the usable one of a received route (for the kernel and ECMP), whether it can be used
 * at all (next-hop sanity, RFC 4271 6.3 / RFC 7606 7.3, 7.11), and ours on a session
 * (next-hop-self).
 */
import type { PathAttrs } from '../codec/types.js';
import { isLinkLocalV6, parseAddress } from '../util/inet.js';
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

/**
 * The next hop a route is judged on: the usable one, or else the first one it carries (a lone
 * "::" global next hop is judged, and refused, as itself). Null when it carries none.
 */
export function judgedNextHop(a: PathAttrs): string | null {
  return usableNextHop(a) ?? a.mpReach?.nextHops[0] ?? a.nextHop ?? null;
}

/**
 * Address classes that can never be a next hop (RFC 6890 special-purpose addresses no router
 * forwards to; Linux refuses them as a gateway). `link-local` is usable only with an interface.
 */
export type NextHopClass =
  | 'this-network' // 0.0.0.0/8 (RFC 1122 3.2.1.3)
  | 'loopback' // 127.0.0.0/8, ::1
  | 'multicast' // 224.0.0.0/4, ff00::/8
  | 'reserved' // 240.0.0.0/4 (RFC 1112 4)
  | 'broadcast' // 255.255.255.255
  | 'unspecified' // ::
  | 'ipv4-mapped' // ::ffff:0:0/96 (RFC 4291 2.5.5.2: not a wire address)
  | 'ipv4-compatible' // the rest of ::/96 (RFC 4291 2.5.5.1: deprecated)
  | 'link-local'; // fe80::/10 (RFC 4291 2.5.6)

const CLASS_TEXT: Readonly<Record<NextHopClass, string>> = {
  'this-network': 'in 0.0.0.0/8 (this network)',
  loopback: 'a loopback address',
  multicast: 'a multicast address',
  reserved: 'in 240.0.0.0/4 (reserved)',
  broadcast: 'the limited broadcast address',
  unspecified: 'the unspecified address',
  'ipv4-mapped': 'an IPv4-mapped IPv6 address',
  'ipv4-compatible': 'an IPv4-compatible IPv6 address (deprecated)',
  'link-local': 'link-local, and the session has no interface (not directly connected)',
};

/** The special class of an address as a next hop, or null for an ordinary unicast address. */
export function nextHopClass(address: string): NextHopClass | null {
  const a = parseAddress(address);
  if (a === null) return null;
  const b = a.bytes;
  if (a.family === 4) {
    const first = b[0] ?? 0;
    if (first === 0) return 'this-network';
    if (first === 127) return 'loopback';
    if (first >= 224 && first <= 239) return 'multicast';
    if (b.every((x) => x === 255)) return 'broadcast';
    return first >= 240 ? 'reserved' : null;
  }
  if (b[0] === 0xff) return 'multicast';
  if (b[0] === 0xfe && ((b[1] ?? 0) & 0xc0) === 0x80) return 'link-local';
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return null;
  if (b[10] === 0xff && b[11] === 0xff) return 'ipv4-mapped';
  if (b[10] !== 0 || b[11] !== 0) return null;
  let low = 0;
  for (let i = 12; i < 16; i++) low = low * 256 + (b[i] ?? 0);
  return low === 0 ? 'unspecified' : low === 1 ? 'loopback' : 'ipv4-compatible';
}

/** How the peer's session matters to a next hop's use. */
export interface NextHopSession {
  /** Single-hop session (RibSessionInfo.directlyConnected): a link-local next hop has its interface. */
  readonly directlyConnected: boolean;
  /** The peer's address on the session, when known. */
  readonly peerAddress: string | null;
}

export type NextHopVerdict = { readonly reason: 'next-hop-invalid' | 'next-hop-link-local'; readonly nextHop: string; readonly class: NextHopClass };

/**
 * Why a route's next hop can never be used, or null when it can. Refused: every special class
 * above, and a link-local next hop from a session that is not directly connected (no interface to
 * reach it on). Allowed exception: on a session that itself runs over loopback (both speakers on
 * this host), the peer's own address.
 */
export function nextHopVerdict(nextHop: string, s: NextHopSession): NextHopVerdict | null {
  const c = nextHopClass(nextHop);
  if (c === null) return null;
  if (c === 'link-local') return s.directlyConnected ? null : { reason: 'next-hop-link-local', nextHop, class: c };
  if (c === 'loopback' && nextHop === s.peerAddress) return null;
  return { reason: 'next-hop-invalid', nextHop, class: c };
}

/** "::1 is a loopback address" (show route, logs). */
export const describeNextHop = (nextHop: string, c: NextHopClass): string => `${nextHop} is ${CLASS_TEXT[c]}`;

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

/**
 * Which interface a next hop is on, for `show route`'s `via NH on IF`: the interface holding an
 * address whose subnet contains it (node:os networkInterfaces, read once per request). A next hop
 * on no connected subnet (a multihop peer's) has no interface here; `show route` prints `???` then.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { parsePrefix, prefixContains, type IpPrefix } from '../util/inet.js';

/** A lookup over a list of interfaces (injected in tests). */
export function interfaceLookup(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): (nextHop: string) => string | undefined {
  const subnets: { readonly name: string; readonly net: IpPrefix }[] = [];
  for (const [name, addrs] of Object.entries(interfaces)) {
    for (const a of addrs ?? []) {
      const net = a.cidr === null ? null : parsePrefix(a.cidr.replace(/%.*\//, '/'));
      if (net !== null && net.len < net.bytes.length * 8) subnets.push({ name, net });
    }
  }
  // The most specific subnet wins (a /30 inside a /24 on another link).
  subnets.sort((a, b) => b.net.len - a.net.len);
  return (nextHop) => {
    const host = parsePrefix(`${nextHop}/${nextHop.includes(':') ? 128 : 32}`);
    if (host === null) return undefined;
    return subnets.find((s) => prefixContains(s.net, host))?.name;
  };
}

/** The lookup over this host's (this network namespace's) interfaces now. */
export const hostInterfaces = (): ((nextHop: string) => string | undefined) => interfaceLookup(networkInterfaces());

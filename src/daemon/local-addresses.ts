/**
 * This host's interface addresses (in the daemon's network namespace), for next-hop-self per family:
 * an IPv4 session that carries IPv6 routes needs our global IPv6 address (and link-local) on the
 * interface the session runs over (RFC 2545 3, RFC 4760 3). Read with os.networkInterfaces().
 */
import { networkInterfaces } from 'node:os';
import { canonicalAddress, isLinkLocalV6 } from '../util/inet.js';

export interface InterfaceAddresses {
  readonly name: string;
  readonly v4: readonly { readonly address: string; readonly cidr: string }[];
  readonly v6Global: readonly { readonly address: string; readonly cidr: string }[];
  readonly v6LinkLocal: readonly string[];
}

export function readInterfaces(): InterfaceAddresses[] {
  const out: InterfaceAddresses[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (!addrs) continue;
    const v4: { address: string; cidr: string }[] = [];
    const v6Global: { address: string; cidr: string }[] = [];
    const v6LinkLocal: string[] = [];
    for (const a of addrs) {
      if (a.family === 'IPv4') v4.push({ address: a.address, cidr: a.cidr ?? `${a.address}/32` });
      else if (isLinkLocalV6(a.address)) v6LinkLocal.push(canonicalAddress(a.address)); // zone id dropped
      else if (a.address !== '::1') v6Global.push({ address: a.address, cidr: a.cidr ?? `${a.address}/128` });
    }
    out.push({ name, v4, v6Global, v6LinkLocal });
  }
  return out;
}

/**
 * Our addresses of each family on the interface that holds `localAddress` (the session's source; a
 * link-local one as the socket reports it, with its zone id, which is dropped to compare).
 */
export function sessionAddresses(
  socketAddress: string,
  ifaces: readonly InterfaceAddresses[] = readInterfaces(),
): { v4?: string; v6?: string; v6LinkLocal?: string; ifname?: string } {
  const localAddress = canonicalAddress(socketAddress);
  const iface = ifaces.find(
    (i) => i.v4.some((a) => a.address === localAddress) || i.v6Global.some((a) => a.address === localAddress) || i.v6LinkLocal.includes(localAddress),
  );
  if (!iface) {
    if (!localAddress.includes(':')) return { v4: localAddress };
    return isLinkLocalV6(localAddress) ? { v6LinkLocal: localAddress } : { v6: localAddress };
  }
  const v4 = localAddress.includes(':') ? iface.v4[0]?.address : localAddress;
  const v6 = localAddress.includes(':') && !isLinkLocalV6(localAddress) ? localAddress : iface.v6Global[0]?.address;
  const ll = iface.v6LinkLocal[0];
  return { ...(v4 ? { v4 } : {}), ...(v6 ? { v6 } : {}), ...(ll ? { v6LinkLocal: ll } : {}), ifname: iface.name };
}

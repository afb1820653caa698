/** Address helpers for the daemon edge (config and sockets), with ip-address. */
import { Address4, Address6 } from 'ip-address';

/** Canonical text: dotted quad, or RFC 5952 IPv6. */
export function canonicalAddress(addr: string): string {
  if (Address4.isValid(addr)) return new Address4(addr).correctForm();
  if (Address6.isValid(addr)) return new Address6(addr).correctForm();
  return addr;
}

/** Is `addr` inside the CIDR `range`? Families must match. */
export function inRange(addr: string, range: string): boolean {
  try {
    if (Address4.isValid(addr) && range.includes('.')) return new Address4(addr).isInSubnet(new Address4(range));
    if (Address6.isValid(addr) && range.includes(':')) return new Address6(addr).isInSubnet(new Address6(range));
  } catch {
    return false;
  }
  return false;
}

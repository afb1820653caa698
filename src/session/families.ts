/**
 * Address families by name, as in the config (`"ipv4-unicast"`), and their AFI/SAFI pairs.
 * RFC 4760 (multiprotocol), IANA AFI/SAFI registries.
 */
import { Afi, Safi } from '../codec/constants.js';

export type Family = 'ipv4-unicast' | 'ipv6-unicast';

export const ALL_FAMILIES: readonly Family[] = ['ipv4-unicast', 'ipv6-unicast'];

export function familyAfiSafi(f: Family): { readonly afi: number; readonly safi: number } {
  return f === 'ipv4-unicast' ? { afi: Afi.IPV4, safi: Safi.UNICAST } : { afi: Afi.IPV6, safi: Safi.UNICAST };
}

/** The family of an AFI/SAFI pair, or undefined for families wren does not carry. */
export function familyOf(afi: number, safi: number): Family | undefined {
  if (safi !== Safi.UNICAST) return undefined;
  if (afi === Afi.IPV4) return 'ipv4-unicast';
  if (afi === Afi.IPV6) return 'ipv6-unicast';
  return undefined;
}

/**
 * End-of-RIB markers (RFC 4724 2): "An UPDATE message with no reachable Network Layer Reachability
 * Information (NLRI) and empty withdrawn NLRI is specified as the End-of-RIB marker". For IPv4
 * unicast it is an UPDATE with no withdrawn routes, no attributes and no NLRI; for any other family
 * an UPDATE that "contains only the MP_UNREACH_NLRI attribute with no withdrawn routes" for it.
 */
import { Afi, Safi } from './constants.js';
import type { UpdateMsg } from './types.js';

export function endOfRib(afi: number, safi: number): UpdateMsg {
  if (afi === Afi.IPV4 && safi === Safi.UNICAST) return { kind: 'update', withdrawn: [], attrs: null, nlri: [] };
  return { kind: 'update', withdrawn: [], attrs: { mpUnreach: { afi, safi, withdrawn: [] } }, nlri: [] };
}

/** The family an UPDATE is the End-of-RIB marker of, or null when it is not one. */
export function endOfRibFamily(msg: UpdateMsg): { afi: number; safi: number } | null {
  if (msg.withdrawn.length > 0 || msg.nlri.length > 0) return null;
  if (msg.attrs === null) return { afi: Afi.IPV4, safi: Safi.UNICAST };
  const present = Object.values(msg.attrs).filter((v) => v !== undefined).length;
  const un = msg.attrs.mpUnreach;
  if (present !== 1 || un === undefined || un.withdrawn.length > 0) return null;
  return { afi: un.afi, safi: un.safi };
}

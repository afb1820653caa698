/**
 * Route reflection (RFC 4456) as small pure predicates. Called from import.ts (loop check) and
 * export.ts (who may receive what, and the stamping of reflected routes). Reflection never changes
 * NEXT_HOP or LOCAL_PREF (RFC 4456 10).
 */
import type { PathAttrs } from '../codec/types.js';
import type { PeerRole, SourceRole } from './types.js';

const isIbgp = (r: SourceRole): boolean => r === 'ibgp' || r === 'rr-client';

/**
 * RFC 4456 6: "A route from a Non-Client IBGP peer: Reflect to all the Clients. A route from a
 * Client peer: Reflect to all the Non-Client peers and also to the Client peers. A route from an
 * EBGP peer: Send to all the Client and Non-Client Peers." Locally originated routes go everywhere;
 * everything may go to eBGP peers (RFC 4271 9.1.3). A non-client route to a non-client is the plain
 * iBGP split horizon of RFC 4271 9.2: not sent.
 */
export function mayAdvertise(from: SourceRole, to: PeerRole): boolean {
  if (from === 'local' || from === 'ebgp' || to === 'ebgp') return true;
  if (from === 'rr-client') return true;
  return to === 'rr-client';
}

/** An iBGP-learned route sent to an iBGP peer is being reflected (RFC 4456 2). */
export const isReflected = (from: SourceRole, to: PeerRole): boolean => isIbgp(from) && isIbgp(to);

/**
 * RFC 4456 8: "A router that recognizes the ORIGINATOR_ID attribute SHOULD ignore a route received
 * with its BGP Identifier as the ORIGINATOR_ID." ... "If the local CLUSTER_ID is found in the
 * CLUSTER_LIST, the advertisement received SHOULD be ignored."
 */
export function isReflectionLoop(a: PathAttrs, routerId: string, clusterId: string): boolean {
  return a.originatorId === routerId || (a.clusterList?.includes(clusterId) ?? false);
}

/**
 * RFC 4456 8: ORIGINATOR_ID "will be created by an RR in reflecting a route" and "MUST NOT be
 * modified" when present; "when an RR reflects a route, it MUST prepend the local CLUSTER_ID to the
 * CLUSTER_LIST. If the CLUSTER_LIST is empty, it MUST create a new one."
 */
export function stampReflected(
  a: PathAttrs,
  sourceRouterId: string,
  clusterId: string,
): { readonly originatorId: string; readonly clusterList: readonly string[] } {
  return { originatorId: a.originatorId ?? sourceRouterId, clusterList: [clusterId, ...(a.clusterList ?? [])] };
}

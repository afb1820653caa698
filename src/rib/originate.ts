/**
 * Locally originated prefixes (this node's pod blocks). Their attributes are ORIGIN IGP, an empty
 * AS_PATH and their communities; export.ts adds the next hop (always ours) and, towards eBGP, our
 * AS. The kernel installs a blackhole for each (BestForwarding.local).
 */
import { Origin } from '../codec/constants.js';
import type { PathAttrs } from '../codec/types.js';
import { DEFAULT_LOCAL_PREF } from './import.js';
import { canonicalPrefix } from '../util/inet.js';
import type { OriginatedRoute } from './types.js';

/** RFC 4271 5.1.1 (ORIGIN IGP for a prefix interior to the AS) and 5.1.2 (empty AS_PATH inside the AS). */
export function originatedAttrs(r: OriginatedRoute): PathAttrs {
  const a: { -readonly [K in keyof PathAttrs]?: PathAttrs[K] } = {
    origin: Origin.IGP,
    asPath: [],
    localPref: DEFAULT_LOCAL_PREF,
  };
  if (r.communities !== undefined && r.communities.length > 0) a.communities = [...new Set(r.communities)];
  if (r.largeCommunities !== undefined && r.largeCommunities.length > 0) a.largeCommunities = r.largeCommunities;
  return a as PathAttrs;
}

/** Canonical prefix -> attributes; a prefix listed twice keeps its last entry. */
export function originatedTable(routes: readonly OriginatedRoute[]): Map<string, PathAttrs> {
  const out = new Map<string, PathAttrs>();
  for (const r of routes) out.set(canonicalPrefix(r.prefix), originatedAttrs(r));
  return out;
}

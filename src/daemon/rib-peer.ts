/** A configured peer as the RIB sees it (import/export rules, role), from the validated config. */
import type { PeerConfig, PolicyRef } from '../config/types.js';
import type { PolicyRoute, RibPeerConfig } from '../rib/types.js';
import { compilePolicy } from '../rib/policy.js';

function hook(ref: PolicyRef, localAs: number): ((r: PolicyRoute) => PolicyRoute | null) | undefined {
  switch (ref.kind) {
    case 'all':
      return undefined;
    case 'none':
      return () => null;
    case 'named':
    case 'inline':
      return compilePolicy(ref.policy, localAs);
  }
}

export function ribPeerConfig(cfg: PeerConfig, id: string): RibPeerConfig {
  const importPolicy = hook(cfg.import, cfg.localAs);
  const exportPolicy = hook(cfg.export, cfg.localAs);
  return {
    id,
    asn: cfg.asn,
    localAs: cfg.localAs,
    role: cfg.type === 'ebgp' ? 'ebgp' : cfg.routeReflectorClient ? 'rr-client' : 'ibgp',
    nextHopSelf: cfg.nextHopSelf,
    ...(cfg.importPrefixes ? { importPrefixes: cfg.importPrefixes } : {}),
    acceptDefaultRoute: cfg.acceptDefaultRoute,
    ...(cfg.maxPrefix ? { maxPrefix: { limit: cfg.maxPrefix.limit, action: cfg.maxPrefix.action } } : {}),
    allowasIn: cfg.allowasIn,
    exportCommunities: cfg.communities,
    exportLargeCommunities: cfg.largeCommunities,
    ...(importPolicy ? { importPolicy } : {}),
    ...(exportPolicy ? { exportPolicy } : {}),
    ...(cfg.addPath.send !== false ? { addPathSend: cfg.addPath.send } : {}),
  };
}

/** Builders shared by the RIB tests: peers, sessions, UPDATEs. */
import { DEFAULT_CONTEXT, type AsPath, type CodecContext, type PathAttrs, type UpdateMsg } from '../../../src/codec/types.js';
import type { OutBatchText as OutBatch } from '../../../src/rib/adj-rib-out.js';
import { Rib } from '../../../src/rib/rib.js';
import type { Family, PeerRole, RibOptions, RibPeerConfig, RibSessionInfo } from '../../../src/rib/types.js';

export const LOCAL_AS = 65000;
export const ROUTER_ID = '10.255.0.1';
export const CLUSTER_ID = '10.255.0.1';

export const AS4_CONTEXT: CodecContext = { ...DEFAULT_CONTEXT, as4: true };

export function makeRib(o: Partial<RibOptions> = {}): Rib {
  return new Rib({ localAs: LOCAL_AS, routerId: ROUTER_ID, clusterId: CLUSTER_ID, maxPaths: 8, ...o });
}

/** A peer config: role from the ASN unless given. */
export function peer(id: string, asn: number, extra: Partial<RibPeerConfig> & { role?: PeerRole } = {}): RibPeerConfig {
  return {
    id,
    asn,
    localAs: LOCAL_AS,
    role: asn === LOCAL_AS ? 'ibgp' : 'ebgp',
    nextHopSelf: false,
    acceptDefaultRoute: false,
    allowasIn: 0,
    ...extra,
  };
}

/** Session facts for a peer at `id` (IPv4 transport), our address derived from it. */
export function session(id: string, extra: Partial<RibSessionInfo> = {}): RibSessionInfo {
  const v6 = id.includes(':');
  return {
    routerId: v6 ? '192.0.2.99' : id,
    families: ['ipv4-unicast', 'ipv6-unicast'],
    ctx: AS4_CONTEXT,
    localAddress: v6 ? 'fd00:ffff::1' : '10.0.0.1',
    localV4: '10.0.0.1',
    localV6: 'fd00:ffff::1',
    localV6LinkLocal: 'fe80::1',
    peerAddress: id,
    directlyConnected: true,
    ...extra,
  };
}

/** Configure + bring up. */
export function addPeer(rib: Rib, cfg: RibPeerConfig, s: Partial<RibSessionInfo> = {}): void {
  rib.configurePeer(cfg);
  rib.peerUp(cfg.id, session(cfg.id, s));
  rib.nextBatches(cfg.id, Number.MAX_SAFE_INTEGER); // drain the initial dump + End-of-RIB
}

export const seq = (...asns: number[]): AsPath => [{ type: 'sequence', asns }];

/** An IPv4 announce. */
export function announce4(prefixes: readonly string[], attrs: Partial<PathAttrs> & { nextHop: string }): UpdateMsg {
  return { kind: 'update', withdrawn: [], attrs: { origin: 0, asPath: [], ...attrs }, nlri: prefixes };
}

/** An IPv6 announce in MP_REACH_NLRI. */
export function announce6(prefixes: readonly string[], nextHops: readonly string[], attrs: Partial<PathAttrs> = {}): UpdateMsg {
  return {
    kind: 'update',
    withdrawn: [],
    attrs: { origin: 0, asPath: [], ...attrs, mpReach: { afi: 2, safi: 1, nextHops, nlri: prefixes } },
    nlri: [],
  };
}

export const withdraw4 = (prefixes: readonly string[]): UpdateMsg => ({ kind: 'update', withdrawn: prefixes, attrs: null, nlri: [] });

export const withdraw6 = (prefixes: readonly string[]): UpdateMsg => ({
  kind: 'update',
  withdrawn: [],
  attrs: { mpUnreach: { afi: 2, safi: 1, withdrawn: prefixes } },
  nlri: [],
});

export const eor4: UpdateMsg = { kind: 'update', withdrawn: [], attrs: null, nlri: [] };
export const eor6: UpdateMsg = { kind: 'update', withdrawn: [], attrs: { mpUnreach: { afi: 2, safi: 1, withdrawn: [] } }, nlri: [] };

/** What a peer was sent, per prefix: the attributes of the last announce, or null after a withdraw. */
export function sent(rib: Rib, id: string): Map<string, PathAttrs | null> {
  const out = new Map<string, PathAttrs | null>();
  for (const b of rib.nextBatches(id, Number.MAX_SAFE_INTEGER)) applyBatch(out, b);
  return out;
}

export function applyBatch(out: Map<string, PathAttrs | null>, b: OutBatch): void {
  if (b.kind === 'announce') for (const p of b.prefixes) out.set(p, b.attrs.attrs);
  else if (b.kind === 'withdraw') for (const p of b.prefixes) out.set(p, null);
}

export const families = (...f: Family[]): Family[] => f;

/**
 * confd's `calico_export_to_bgp_peers()` as wren policy rules (the raw JSON of config `policies`):
 * what a Calico node announces to any BGP peer, after the peer's own BGPFilter export rules
 * (bird_ipam.cfg.template, bird_aggr.cfg.template, bgp_processor.go `processIPPools`), in order:
 *
 * 1. reject routes inside a pool with disableBGPExport;
 * 2. add the prefixAdvertisements' communities to routes inside their CIDR (this node's
 *    `node.<name>` BGPConfiguration's list when it has one, else the default one's);
 * 3. `calico_aggr()`: accept this node's confirmed blocks themselves, reject what lies beneath them;
 * 4. accept routes inside any other pool;
 * 5. reject everything else.
 *
 * Not carried over: the interface checks (`*.cali`, `tunl0`, `bpf*.cali`: wren never imports
 * interface or kernel routes), service IP advertisement (needs Kubernetes), and the `krt_metric <
 * 1024` escape of elevated-priority /32s (wren does not read route priorities). Our own blocks are
 * sent with LOCAL_PREF 2^31-1 - normalRoutePriority (2147482623 by default), as Calico v3.32+
 * nodes send theirs. Pure.
 */
import { comparePrefixes } from '../util/inet.js';
import { parseCommunity, parseLargeCommunity } from '../config/communities.js';
import { readCidr } from './fields.js';
import { BIRD_INT_MAX, type RawRule } from './filters.js';
import type { BgpConfiguration, BlockAffinity, IpPool } from './resources.js';

/** The name of the shared export policy of the derived sessions. */
export const CALICO_EXPORT = 'calico-export';

/** Calico's default normal route priority (BGPConfiguration ipv4/ipv6NormalRoutePriority). */
export const NORMAL_ROUTE_PRIORITY = 1024;

const STANDARD = /^(\d+):(\d+)$/;
const LARGE = /^(\d+):(\d+):(\d+)$/;

export interface ExportInput {
  readonly pools: readonly IpPool[];
  /** This node's confirmed blocks. */
  readonly blocks: readonly BlockAffinity[];
  /** The default BGPConfiguration (absent: none). */
  readonly global?: BgpConfiguration;
  /** This node's node.<name> BGPConfiguration. */
  readonly perNode?: BgpConfiguration;
}

export interface ExportRules {
  readonly rules: readonly RawRule[];
  /** What could not be used, per resource key. */
  readonly notes: readonly { readonly key: string; readonly message: string }[];
}

const inside = (cidr: string, len: number, maxLen: number): Record<string, unknown> => ({ prefixes: [{ prefix: cidr, ge: len, le: maxLen }] });

export function calicoExportRules(input: ExportInput): ExportRules {
  const rules: RawRule[] = [];
  const notes: { key: string; message: string }[] = [];
  const pools = [...input.pools].sort((a, b) => comparePrefixes(a.cidr.cidr, b.cidr.cidr));

  for (const p of pools) {
    if (p.disableBGPExport) rules.push({ match: inside(p.cidr.cidr, p.cidr.len, p.cidr.maxLen), action: 'reject' });
  }

  // prefixAdvertisements: the node's own list wins whole over the global one (confd reads the
  // node key first); names are looked up in the same resource's `communities`.
  const source = input.perNode?.prefixAdvertisements !== undefined ? input.perNode : input.global;
  for (const [i, adv] of (source?.prefixAdvertisements ?? []).entries()) {
    if (!source || adv.cidr === '') continue;
    const at = `spec.prefixAdvertisements[${i}]`;
    const c = readCidr(adv.cidr);
    if (typeof c === 'string') {
      notes.push({ key: source.key, message: `${at}.cidr: ${c}; entry ignored` });
      continue;
    }
    const standard = new Set<string>();
    const large = new Set<string>();
    for (const text of adv.communities) {
      let value = text;
      if (!STANDARD.test(text) && !LARGE.test(text)) {
        const named = source.communities.find((d) => d.name === text);
        if (!named) {
          notes.push({ key: source.key, message: `${at}.communities: no community named ${JSON.stringify(text)} in spec.communities; ignored` });
          continue;
        }
        value = named.value;
      }
      if (STANDARD.test(value) && parseCommunity(value).ok) standard.add(value);
      else if (LARGE.test(value) && parseLargeCommunity(value).ok) large.add(value);
      else notes.push({ key: source.key, message: `${at}.communities: ${JSON.stringify(value)} is not a community "aa:nn" (each 0..65535) or "aa:nn:mm"; ignored` });
    }
    const set: Record<string, unknown> = {};
    if (standard.size > 0) set['addCommunities'] = [...standard].sort();
    if (large.size > 0) set['addLargeCommunities'] = [...large].sort();
    if (Object.keys(set).length > 0) rules.push({ match: inside(c.cidr, c.len, c.maxLen), action: 'next', set });
  }

  const blocks = [...input.blocks].sort((a, b) => comparePrefixes(a.cidr.cidr, b.cidr.cidr));
  for (const b of blocks) {
    const priority = (b.cidr.family === 4 ? input.global?.ipv4NormalRoutePriority : input.global?.ipv6NormalRoutePriority) ?? NORMAL_ROUTE_PRIORITY;
    rules.push({ match: { prefixes: [{ prefix: b.cidr.cidr }] }, action: 'accept', set: { localPref: BIRD_INT_MAX - priority } });
    if (b.cidr.len < b.cidr.maxLen) rules.push({ match: inside(b.cidr.cidr, b.cidr.len + 1, b.cidr.maxLen), action: 'reject' });
  }

  for (const p of pools) {
    if (!p.disableBGPExport) rules.push({ match: inside(p.cidr.cidr, p.cidr.len, p.cidr.maxLen), action: 'accept' });
  }
  return { rules, notes };
}

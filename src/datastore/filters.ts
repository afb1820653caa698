/**
 * BGPFilter rules -> wren policy rules (the raw JSON form of config `policies`), as confd renders
 * them into BIRD filter functions (confd/pkg/resource/template/template_funcs.go `filterStatement`):
 * the conditions of one rule are AND-ed; a rule without conditions is a bare accept or reject;
 * `operations` run before the accept. A filter's V4 rules see IPv4 routes only, its V6 rules IPv6.
 *
 * What wren's policies can say: a prefix inside or equal to a CIDR with a length range (Equal, In,
 * prefixLength), a community or large community carried, and on accept: add a community, prepend
 * one AS a number of times, set LOCAL_PREF (setPriority: 2147483647 - priority, as confd writes it).
 * `peerType` is decided here, per session (the rule is kept or dropped).
 *
 * What they cannot, and why a filter with it is refused as a whole (its peers get no session:
 * derive.ts): NotEqual / NotIn (no negated match), Equal with prefixLength (BIRD compares a prefix
 * with a prefix set), `source` on export (wren's policy does not tell our own blocks from learned
 * routes; on import every route is from BGP, so it always holds), `interface`, `asPathPrefix`,
 * `priority`, a prepend of several different AS numbers. Pure.
 */
import { parseCommunity, parseLargeCommunity } from '../config/communities.js';
import type { BgpFilter, FilterRule } from './resources.js';

/** A policy rule in the configuration file's JSON form. */
export interface RawRule {
  readonly match?: Readonly<Record<string, unknown>>;
  readonly action: 'accept' | 'reject' | 'next';
  readonly set?: Readonly<Record<string, unknown>>;
}

/** confd's BirdIntMaxValue: priority <-> LOCAL_PREF is x = 2^31-1 - y. */
export const BIRD_INT_MAX = 2147483647;

/** wren's policy prepend count is 1..10. */
const MAX_PREPEND = 10;

type Direction = 'import' | 'export';

/** A prefix entry for "inside or equal to cidr, length ge..le". */
function inside(cidr: string, ge: number, le: number): Record<string, unknown> {
  return { prefix: cidr, ge, le };
}

/**
 * One rule, or why wren cannot express it. `ibgp` is the session's type (rules with peerType for
 * the other type are dropped: `null`).
 */
function translateRule(rule: FilterRule, family: 4 | 6, direction: Direction, ibgp: boolean | undefined): RawRule | null | string {
  const match: Record<string, unknown> = { family: family === 4 ? 'ipv4' : 'ipv6' };
  if (rule.cidr !== undefined) {
    const { cidr, len, maxLen } = rule.cidr;
    switch (rule.matchOperator) {
      case 'Equal':
        if (rule.prefixLength !== undefined) return 'matchOperator Equal with prefixLength (BIRD compares the prefix with a prefix set) is not supported';
        match['prefixes'] = [{ prefix: cidr }];
        break;
      case 'In': {
        const ge = Math.max(rule.prefixLength?.min ?? len, len);
        const le = Math.min(rule.prefixLength?.max ?? maxLen, maxLen);
        if (ge > le) return `prefixLength ${ge}..${le} is empty`;
        match['prefixes'] = [inside(cidr, ge, le)];
        break;
      }
      case 'NotEqual':
      case 'NotIn':
        return `matchOperator ${rule.matchOperator} is not supported (wren's policy match cannot be negated)`;
      case undefined:
        return 'cidr without matchOperator';
    }
  }
  if (rule.source !== undefined && direction === 'export') {
    return 'source RemotePeers on export is not supported (wren\'s policy match cannot tell learned routes from its own blocks)';
  }
  if (rule.interface !== undefined) return 'interface is not supported (wren does not export interface routes)';
  if (rule.asPathPrefix !== undefined && rule.asPathPrefix.length > 0) return 'asPathPrefix is not supported (wren matches an AS anywhere in the path, not a path prefix)';
  if (rule.priority !== undefined) return 'priority is not supported (wren\'s policy does not match LOCAL_PREF)';
  if (rule.community !== undefined) {
    const parts = rule.community.split(':');
    if (parts.length === 2) {
      const c = parseCommunity(rule.community);
      if (!c.ok) return `communities: ${c.error}`;
      match['communities'] = [rule.community];
    } else {
      const c = parseLargeCommunity(rule.community);
      if (!c.ok) return `communities: ${c.error}`;
      match['largeCommunities'] = [rule.community];
    }
  }
  if (rule.peerType !== undefined && ibgp !== undefined && (rule.peerType === 'iBGP') !== ibgp) return null;
  if (rule.action === 'Reject') return { match, action: 'reject' };

  const set: Record<string, unknown> = {};
  const add: string[] = [];
  const addLarge: string[] = [];
  let prepend: { asn: number; count: number } | undefined;
  for (const op of rule.operations) {
    switch (op.kind) {
      case 'addCommunity':
        if (op.value.split(':').length === 2) {
          const c = parseCommunity(op.value);
          if (!c.ok) return `addCommunity: ${c.error}`;
          add.push(op.value);
        } else {
          const c = parseLargeCommunity(op.value);
          if (!c.ok) return `addCommunity: ${c.error}`;
          addLarge.push(op.value);
        }
        break;
      case 'prependASPath':
        for (const asn of op.prefix) {
          if (asn === 0) return 'prependASPath of AS 0';
          if (prepend !== undefined && prepend.asn !== asn) return 'prependASPath of different AS numbers is not supported (wren prepends one AS a number of times)';
          prepend = { asn, count: (prepend?.count ?? 0) + 1 };
        }
        if (prepend !== undefined && prepend.count > MAX_PREPEND) return `prependASPath of more than ${MAX_PREPEND} AS numbers is not supported`;
        break;
      case 'setPriority':
        set['localPref'] = BIRD_INT_MAX - op.value;
        break;
    }
  }
  if (add.length > 0) set['addCommunities'] = add;
  if (addLarge.length > 0) set['addLargeCommunities'] = addLarge;
  if (prepend !== undefined) set['prepend'] = prepend;
  return Object.keys(set).length > 0 ? { match, action: 'accept', set } : { match, action: 'accept' };
}

const RULE_SETS = [
  ['importV4', 'import', 4],
  ['importV6', 'import', 6],
  ['exportV4', 'export', 4],
  ['exportV6', 'export', 6],
] as const;

/** Why wren cannot use this filter (every rule that it cannot express), or an empty list. */
export function filterProblems(filter: BgpFilter): string[] {
  const problems: string[] = [];
  for (const [field, direction, family] of RULE_SETS) {
    for (const rule of filter[field]) {
      const r = translateRule(rule, family, direction, undefined);
      if (typeof r === 'string') problems.push(`${rule.at}: ${r}`);
    }
  }
  return problems;
}

/**
 * The rules of `filters` (in order) for one direction of one session: import rules or export rules,
 * V4 and V6, with peerType decided by `ibgp`. The filters must have no `filterProblems`.
 */
export function sessionFilterRules(filters: readonly BgpFilter[], direction: Direction, ibgp: boolean): RawRule[] {
  const out: RawRule[] = [];
  for (const f of filters) {
    for (const [field, dir, family] of RULE_SETS) {
      if (dir !== direction) continue;
      for (const rule of f[field]) {
        const r = translateRule(rule, family, direction, ibgp);
        if (r !== null && typeof r !== 'string') out.push(r);
      }
    }
  }
  return out;
}

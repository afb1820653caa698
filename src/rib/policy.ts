/**
 * Routing policy as data (config `policies`, peer `import` / `export`), compiled to a RIB hook.
 * Rules are tried in order; a rule matches when all its conditions hold (an empty match matches
 * everything). `accept` / `reject` decide; `next` applies its `set` and goes on. If no rule decides,
 * the policy's `default` does (after the `set`s of matching `next` rules). Pure.
 */
import type { AsPath, PathAttrs, LargeCommunity } from '../codec/types.js';
import type { Policy, PolicyMatch, PolicySet } from '../config/types.js';
import { parsePrefix, prefixContains } from '../util/inet.js';
import type { PolicyRoute } from './types.js';

const largeEq = (a: LargeCommunity, b: LargeCommunity): boolean => a.global === b.global && a.local1 === b.local1 && a.local2 === b.local2;

function asPathHas(p: AsPath | undefined, asn: number): boolean {
  return (p ?? []).some((seg) => seg.asns.includes(asn));
}

export function policyMatches(m: PolicyMatch, r: PolicyRoute): boolean {
  if (m.family && (m.family === 'ipv4') !== (r.family === 'ipv4-unicast')) return false;
  if (m.prefixes) {
    const p = parsePrefix(r.prefix);
    const hit =
      p !== null &&
      m.prefixes.some((e) => {
        const net = parsePrefix(e.prefix);
        return net !== null && p.len >= e.ge && p.len <= e.le && prefixContains(net, p);
      });
    if (!hit) return false;
  }
  if (m.communities && !m.communities.some((c) => (r.attrs.communities ?? []).includes(c))) return false;
  if (m.largeCommunities && !m.largeCommunities.some((c) => (r.attrs.largeCommunities ?? []).some((x) => largeEq(x, c)))) return false;
  if (m.asPathContains !== undefined && !asPathHas(r.attrs.asPath, m.asPathContains)) return false;
  return true;
}

export function applySet(s: PolicySet, attrs: PathAttrs, localAs: number): PathAttrs {
  let a: PathAttrs = attrs;
  if (s.localPref !== undefined) a = { ...a, localPref: s.localPref };
  if (s.med !== undefined) a = { ...a, med: s.med };
  if (s.removeCommunities?.length) {
    const drop = new Set(s.removeCommunities);
    const kept = (a.communities ?? []).filter((c) => !drop.has(c));
    const { communities: _c, ...rest } = a;
    a = kept.length > 0 ? { ...rest, communities: kept } : rest;
  }
  if (s.addCommunities?.length) {
    const have = a.communities ?? [];
    a = { ...a, communities: [...have, ...s.addCommunities.filter((c) => !have.includes(c))] };
  }
  if (s.addLargeCommunities?.length) {
    const have = a.largeCommunities ?? [];
    a = { ...a, largeCommunities: [...have, ...s.addLargeCommunities.filter((c) => !have.some((x) => largeEq(x, c)))] };
  }
  if (s.prepend) {
    const asns: number[] = new Array<number>(s.prepend.count).fill(s.prepend.asn ?? localAs);
    const path = a.asPath ?? [];
    const first = path[0];
    a = {
      ...a,
      asPath: first && first.type === 'sequence' && first.asns.length + asns.length <= 255 ? [{ type: 'sequence', asns: [...asns, ...first.asns] }, ...path.slice(1)] : [{ type: 'sequence', asns }, ...path],
    };
  }
  return a;
}

/** The hook the RIB calls: the route with the policy's changes, or null when it is rejected. */
export function compilePolicy(policy: Policy, localAs: number): (r: PolicyRoute) => PolicyRoute | null {
  return (r) => {
    let attrs = r.attrs;
    for (const rule of policy.rules) {
      if (!policyMatches(rule.match, { ...r, attrs })) continue;
      if (rule.action === 'reject') return null;
      attrs = applySet(rule.set, attrs, localAs);
      if (rule.action === 'accept') return { ...r, attrs };
    }
    return policy.default === 'accept' ? { ...r, attrs } : null;
  };
}

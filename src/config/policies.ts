/**
 * Routing policies: `policies: { "<name>": Policy }` and the per-peer `import` / `export` references
 * ("all" | "none" | a policy name | an inline policy object).
 *
 * RFC 8212: an eBGP session with no explicit policy imports and exports nothing (unless the
 * top-level `ebgpRequiresPolicy` is false); iBGP sessions default to "all".
 */
import { z } from 'zod';
import { DEFAULTS } from './defaults.js';
import { asn, communities, intIn, largeCommunities, POLICY_NAME, prefixList, U32_MAX } from './fields.js';
import { addIssue, isPlainObject, parseValue, type Path } from './issues.js';
import type { Issue, Policy, PolicyMatch, PolicyRef, PolicyRule, PolicySet } from './types.js';

const MATCH = z.strictObject({
  prefixes: prefixList.optional(),
  communities: communities.optional(),
  largeCommunities: largeCommunities.optional(),
  asPathContains: asn.optional(),
  family: z.enum(['ipv4', 'ipv6']).optional(),
});

const SET = z.strictObject({
  localPref: intIn(0, U32_MAX).optional(),
  med: intIn(0, U32_MAX).optional(),
  addCommunities: communities.optional(),
  removeCommunities: communities.optional(),
  addLargeCommunities: largeCommunities.optional(),
  prepend: z.strictObject({ asn: asn.optional(), count: intIn(1, 10) }).optional(),
});

/** Drops keys whose value is undefined (exactOptionalPropertyTypes: absent, not undefined). */
type Compact<T> = { [K in keyof T]?: Exclude<T[K], undefined> };
function compact<T extends object>(o: T): Compact<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Compact<T>;
}

const RULE = z
  .strictObject({
    match: MATCH.optional(),
    action: z.enum(['accept', 'reject', 'next']).optional(),
    set: SET.optional(),
  })
  .transform((r, ctx): PolicyRule => {
    const action = r.action ?? DEFAULTS.policy.ruleAction;
    const { prepend, ...rest } = r.set ?? {};
    const set: PolicySet = {
      ...compact(rest),
      ...(prepend && { prepend: prepend.asn === undefined ? { count: prepend.count } : { asn: prepend.asn, count: prepend.count } }),
    };
    if (action === 'reject' && Object.keys(set).length > 0) {
      ctx.issues.push({ code: 'custom', message: 'has no effect: the rule\'s action is "reject"', input: r.set, path: ['set'] });
    }
    return { match: compact({ ...r.match }), action, set };
  });

export const POLICY = z
  .strictObject({
    rules: z.array(RULE, { error: 'expected an array of rules' }).optional(),
    default: z.enum(['accept', 'reject']).optional(),
  })
  .transform((p): Policy => ({ rules: p.rules ?? [], default: p.default ?? DEFAULTS.policy.default }));

export interface PolicyTable {
  /** Policies that are valid. */
  readonly policies: ReadonlyMap<string, Policy>;
  /** Every declared name, valid or not (a reference to an invalid policy is not also "unknown"). */
  readonly names: ReadonlySet<string>;
}

const RESERVED = new Set(['all', 'none']);

export function parsePolicies(raw: unknown, issues: Issue[]): PolicyTable {
  const policies = new Map<string, Policy>();
  const names = new Set<string>();
  if (raw === undefined) return { policies, names };
  if (!isPlainObject(raw)) {
    addIssue(issues, ['policies'], 'expected an object of named policies', raw);
    return { policies, names };
  }
  for (const [name, value] of Object.entries(raw)) {
    const path: Path = ['policies', name];
    names.add(name);
    if (!POLICY_NAME.test(name)) {
      addIssue(issues, path, 'policy names are 1..64 letters, digits, "-", "_" or "."');
    } else if (RESERVED.has(name)) {
      addIssue(issues, path, `"${name}" is reserved: peers use it to mean ${name === 'all' ? 'accept everything' : 'accept nothing'}`);
    }
    const policy = parseValue(POLICY, value, path, issues);
    if (policy) policies.set(name, policy);
  }
  return { policies, names };
}

/**
 * A peer's `import` or `export`. `fallback` is the RFC 8212 default for this session type.
 * Returns undefined when the reference is invalid (the issue is recorded).
 */
export function parsePolicyRef(
  raw: unknown,
  path: Path,
  table: PolicyTable,
  fallback: 'all' | 'none',
  issues: Issue[],
): PolicyRef | undefined {
  if (raw === undefined) return { kind: fallback };
  if (raw === 'all' || raw === 'none') return { kind: raw };
  if (typeof raw === 'string') {
    const policy = table.policies.get(raw);
    if (policy) return { kind: 'named', name: raw, policy };
    if (!table.names.has(raw)) {
      const known = [...table.names].map((n) => JSON.stringify(n)).join(', ');
      addIssue(issues, path, `unknown policy (defined: ${known || 'none'})`, raw);
    }
    return undefined;
  }
  if (isPlainObject(raw)) {
    const policy = parseValue(POLICY, raw, path, issues);
    return policy ? { kind: 'inline', policy } : undefined;
  }
  addIssue(issues, path, 'expected "all", "none", a policy name or a policy object', raw);
  return undefined;
}

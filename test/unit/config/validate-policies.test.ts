import { describe, expect, it } from 'vitest';
import { BASE, problems, valid } from './helpers.js';

interface Case {
  readonly rule: string;
  readonly policies: unknown;
  readonly expected: readonly string[];
}

const cases: readonly Case[] = [
  { rule: 'refuses policies that is not an object', policies: [], expected: ['$.policies: expected an object of named policies (got [])'] },
  { rule: 'refuses a policy that is not an object', policies: { p: 'accept' }, expected: ['$.policies.p: expected an object (got "accept")'] },
  {
    rule: 'refuses the reserved policy name "all"',
    policies: { all: {} },
    expected: ['$.policies.all: "all" is reserved: peers use it to mean accept everything'],
  },
  {
    rule: 'refuses the reserved policy name "none"',
    policies: { none: {} },
    expected: ['$.policies.none: "none" is reserved: peers use it to mean accept nothing'],
  },
  {
    rule: 'refuses a policy name with spaces, quoting it in the path',
    policies: { 'to tor': {} },
    expected: ['$.policies["to tor"]: policy names are 1..64 letters, digits, "-", "_" or "."'],
  },
  { rule: 'refuses rules that is not an array', policies: { p: { rules: {} } }, expected: ['$.policies.p.rules: expected an array of rules (got {})'] },
  { rule: 'refuses an unknown default', policies: { p: { default: 'drop' } }, expected: ['$.policies.p.default: expected "accept" or "reject" (got "drop")'] },
  {
    rule: 'refuses an unknown rule action',
    policies: { p: { rules: [{ action: 'permit' }] } },
    expected: ['$.policies.p.rules[0].action: expected one of "accept", "reject", "next" (got "permit")'],
  },
  {
    rule: 'refuses an unknown key in a rule',
    policies: { p: { rules: [{ matches: {} }] } },
    expected: ['$.policies.p.rules[0].matches: unknown key (did you mean "match"?)'],
  },
  {
    rule: 'refuses an unknown match condition',
    policies: { p: { rules: [{ match: { community: ['1:1'] } }] } },
    expected: ['$.policies.p.rules[0].match.community: unknown key (did you mean "communities"?)'],
  },
  {
    rule: 'refuses a bad community in a match',
    policies: { p: { rules: [{ match: { communities: ['no-such-name'] } }] } },
    expected: ['$.policies.p.rules[0].match.communities[0]: expected a community "AS:value" (each 0..65535) or a well-known name such as "no-export" (got "no-such-name")'],
  },
  {
    rule: 'refuses a bad prefix in a match',
    policies: { p: { rules: [{ match: { prefixes: [{ prefix: '10.1.0.0/8' }] } }] } },
    expected: ['$.policies.p.rules[0].match.prefixes[0].prefix: host bits are set: the network is "10.0.0.0/8" (got "10.1.0.0/8")'],
  },
  {
    rule: 'refuses asPathContains 0',
    policies: { p: { rules: [{ match: { asPathContains: 0 } }] } },
    expected: ['$.policies.p.rules[0].match.asPathContains: expected an integer 1..4294967295 (got 0)'],
  },
  {
    rule: 'refuses an unknown match family',
    policies: { p: { rules: [{ match: { family: 'ipv4-unicast' } }] } },
    expected: ['$.policies.p.rules[0].match.family: expected "ipv4" or "ipv6" (got "ipv4-unicast")'],
  },
  {
    rule: 'refuses set on a rule whose action is reject',
    policies: { p: { rules: [{ action: 'reject', set: { med: 10 } }] } },
    expected: ['$.policies.p.rules[0].set: has no effect: the rule\'s action is "reject" (got {"med":10})'],
  },
  {
    rule: 'refuses a localPref above 32 bits',
    policies: { p: { rules: [{ set: { localPref: 4294967296 } }] } },
    expected: ['$.policies.p.rules[0].set.localPref: expected an integer 0..4294967295 (got 4294967296)'],
  },
  {
    rule: 'refuses a prepend count above 10',
    policies: { p: { rules: [{ set: { prepend: { count: 11 } } }] } },
    expected: ['$.policies.p.rules[0].set.prepend.count: expected an integer 1..10 (got 11)'],
  },
  {
    rule: 'requires the prepend count',
    policies: { p: { rules: [{ set: { prepend: { asn: 65000 } } }] } },
    expected: ['$.policies.p.rules[0].set.prepend.count: required'],
  },
  {
    rule: 'refuses a bad large community to add',
    policies: { p: { rules: [{ set: { addLargeCommunities: ['1:2'] } }] } },
    expected: ['$.policies.p.rules[0].set.addLargeCommunities[0]: expected a large community "global:local1:local2" (each 0..4294967295) (got "1:2")'],
  },
];

describe('validateConfig: policies', () => {
  it.each(cases)('$rule', ({ policies, expected }) => {
    expect(problems({ ...BASE, policies })).toEqual(expected);
  });

  it('defaults a rule to accept, and a policy to reject what no rule decides', () => {
    const c = valid({ ...BASE, policies: { p: { rules: [{ match: { family: 'ipv6' } }] } } });
    expect(c.policies['p']).toEqual({ rules: [{ match: { family: 'ipv6' }, action: 'accept', set: {} }], default: 'reject' });
  });

  it('keeps set actions with their values, and prepend without an asn', () => {
    const c = valid({
      ...BASE,
      policies: { p: { rules: [{ set: { localPref: 200, addCommunities: ['no-export'], prepend: { count: 2 } } }] } },
    });
    expect(c.policies['p']?.rules[0]?.set).toEqual({ localPref: 200, addCommunities: [0xffffff01], prepend: { count: 2 } });
  });
});

import { describe, expect, it } from 'vitest';
import { filterProblems, sessionFilterRules } from '../../../src/datastore/filters.js';
import { readResources, type BgpFilter } from '../../../src/datastore/resources.js';
import { bgpFilter, snapshot } from './fixtures.js';

function filterOf(spec: Record<string, unknown>): BgpFilter {
  const r = readResources(snapshot([bgpFilter('f', spec)]));
  const f = r.bgpFilters.get('f');
  if (!f) throw new Error(r.skipped.map((s) => s.reason).join());
  return f;
}

/** [rule (exportV4), the wren rule, or the reason it is refused]. */
const RULES: readonly (readonly [Record<string, unknown>, unknown])[] = [
  [{ action: 'Accept' }, { match: { family: 'ipv4' }, action: 'accept' }],
  [{ action: 'Reject', matchOperator: 'Equal', cidr: '10.1.0.0/16' }, { match: { family: 'ipv4', prefixes: [{ prefix: '10.1.0.0/16' }] }, action: 'reject' }],
  [{ action: 'Accept', matchOperator: 'In', cidr: '10.1.0.0/16' }, { match: { family: 'ipv4', prefixes: [{ prefix: '10.1.0.0/16', ge: 16, le: 32 }] }, action: 'accept' }],
  // prefixLength: [ cidr{max(min,len), min(max,32)} ].
  [{ action: 'Accept', matchOperator: 'In', cidr: '10.1.0.0/16', prefixLength: { min: 8, max: 32 } }, { match: { family: 'ipv4', prefixes: [{ prefix: '10.1.0.0/16', ge: 16, le: 32 }] }, action: 'accept' }],
  [{ action: 'Accept', matchOperator: 'In', cidr: '10.1.0.0/16', prefixLength: { min: 24, max: 26 } }, { match: { family: 'ipv4', prefixes: [{ prefix: '10.1.0.0/16', ge: 24, le: 26 }] }, action: 'accept' }],
  [{ action: 'Accept', matchOperator: 'In', cidr: '10.1.0.0/16', prefixLength: { min: 28, max: 24 } }, 'prefixLength 28..24 is empty'],
  [{ action: 'Accept', matchOperator: 'Equal', cidr: '10.1.0.0/16', prefixLength: { min: 24 } }, 'matchOperator Equal with prefixLength (BIRD compares the prefix with a prefix set) is not supported'],
  [{ action: 'Accept', matchOperator: 'NotEqual', cidr: '10.1.0.0/16' }, "matchOperator NotEqual is not supported (wren's policy match cannot be negated)"],
  [{ action: 'Accept', communities: { values: ['65000:100'] } }, { match: { family: 'ipv4', communities: ['65000:100'] }, action: 'accept' }],
  [{ action: 'Accept', communities: { values: ['65000:100:7'] } }, { match: { family: 'ipv4', largeCommunities: ['65000:100:7'] }, action: 'accept' }],
  [{ action: 'Accept', communities: { values: ['70000:100'] } }, 'communities: expected a community "AS:value" (each 0..65535) or a well-known name such as "no-export"'],
  [
    { action: 'Accept', operations: [{ setPriority: { value: 512 } }, { addCommunity: { value: '1:2:3' } }, { prependASPath: { prefix: [65000] } }, { prependASPath: { prefix: [65000, 65000] } }] },
    { match: { family: 'ipv4' }, action: 'accept', set: { localPref: 2147483135, addLargeCommunities: ['1:2:3'], prepend: { asn: 65000, count: 3 } } },
  ],
  // Operations before a reject change nothing.
  [{ action: 'Reject', operations: [{ addCommunity: { value: '1:2' } }] }, { match: { family: 'ipv4' }, action: 'reject' }],
  [{ action: 'Accept', operations: [{ prependASPath: { prefix: Array.from({ length: 11 }, () => 65000) } }] }, 'prependASPath of more than 10 AS numbers is not supported'],
];

describe('a BGPFilter rule as a wren policy rule', () => {
  for (const [rule, want] of RULES) {
    it(JSON.stringify(rule), () => {
      const f = filterOf({ exportV4: [rule] });
      const problems = filterProblems(f);
      if (typeof want === 'string') {
        expect(problems).toEqual([`spec.exportV4[0]: ${want}`]);
      } else {
        expect(problems).toEqual([]);
        expect(sessionFilterRules([f], 'export', true)).toEqual([want]);
      }
    });
  }
});

describe('a filter on a session', () => {
  const f = filterOf({
    importV4: [{ action: 'Accept', peerType: 'eBGP', source: 'RemotePeers' }],
    importV6: [{ action: 'Reject', peerType: 'iBGP', matchOperator: 'In', cidr: 'fd00::/8' }],
    exportV4: [{ action: 'Reject' }],
  });
  it('peerType decides per session; source RemotePeers always holds on import; each direction and family its rules', () => {
    expect(sessionFilterRules([f], 'import', false)).toEqual([{ match: { family: 'ipv4' }, action: 'accept' }]);
    expect(sessionFilterRules([f], 'import', true)).toEqual([{ match: { family: 'ipv6', prefixes: [{ prefix: 'fd00::/8', ge: 8, le: 128 }] }, action: 'reject' }]);
    expect(sessionFilterRules([f], 'export', true)).toEqual([{ match: { family: 'ipv4' }, action: 'reject' }]);
  });
  it('several filters: in their order', () => {
    const g = filterOf({ exportV4: [{ action: 'Accept' }] });
    expect(sessionFilterRules([g, f], 'export', true).map((r) => r.action)).toEqual(['accept', 'reject']);
  });
});

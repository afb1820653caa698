import { describe, expect, it } from 'vitest';
import { validateUpdate, type PeerFacts } from '../../../src/codec/validate.js';
import type { PathAttrs, UpdateMsg } from '../../../src/codec/types.js';

const EBGP: PeerFacts = { ebgp: true, peerAs: 65001, localAs: 65000 };
const IBGP: PeerFacts = { ebgp: false, peerAs: 65000, localAs: 65000 };
const GOOD: PathAttrs = { origin: 0, asPath: [{ type: 'sequence', asns: [65001, 65002] }], nextHop: '192.0.2.1' };
const upd = (attrs: PathAttrs | null, nlri = ['10.0.1.0/24'], extra: Partial<UpdateMsg> = {}): UpdateMsg => ({
  kind: 'update',
  withdrawn: [],
  attrs,
  nlri,
  ...extra,
});

describe('validateUpdate', () => {
  it('returns a clean UPDATE without problems', () => {
    expect(validateUpdate(upd(GOOD), EBGP)).toEqual(upd(GOOD));
  });

  it('treats reachable NLRI without ORIGIN, AS_PATH or NEXT_HOP as withdraw (RFC 7606 3 d)', () => {
    for (const missing of ['origin', 'asPath', 'nextHop'] as const) {
      const { [missing]: _gone, ...attrs } = GOOD;
      const out = validateUpdate(upd(attrs), IBGP);
      expect(out.treatAsWithdraw, missing).toBe(true);
      expect(out.problems?.[0]?.reason).toContain('missing');
    }
    expect(validateUpdate(upd(null), IBGP).problems).toHaveLength(3);
  });

  it('does not need NEXT_HOP when only MP_REACH_NLRI announces (RFC 4760)', () => {
    const { nextHop: _n, ...attrs } = GOOD;
    const mp: PathAttrs = { ...attrs, mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: ['2001:db8:1::/48'] } };
    expect(validateUpdate(upd(mp, []), EBGP).problems).toBeUndefined();
  });

  it('leaves withdraw-only UPDATEs alone', () => {
    expect(validateUpdate({ kind: 'update', withdrawn: ['10.0.0.0/8'], attrs: null, nlri: [] }, EBGP).problems).toBeUndefined();
  });

  it('discards LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST from an eBGP peer (RFC 7606 7.5)', () => {
    const out = validateUpdate(upd({ ...GOOD, localPref: 200, originatorId: '10.0.0.2', clusterList: ['10.0.0.3'] }), EBGP);
    expect(out.attrs).toEqual(GOOD);
    expect(out.problems?.map((p) => [p.attrType, p.action])).toEqual([
      [5, 'attribute-discard'],
      [9, 'attribute-discard'],
      [10, 'attribute-discard'],
    ]);
    expect(out.treatAsWithdraw).toBeUndefined();
  });

  it('downgrades a malformed LOCAL_PREF from an eBGP peer from withdraw to discard', () => {
    const msg = upd(GOOD, ['10.0.1.0/24'], { problems: [{ attrType: 5, action: 'treat-as-withdraw', reason: 'LOCAL_PREF with length 2' }], treatAsWithdraw: true });
    const out = validateUpdate(msg, EBGP);
    expect(out.treatAsWithdraw).toBeUndefined();
    expect(out.problems).toEqual([{ attrType: 5, action: 'attribute-discard', reason: 'LOCAL_PREF from an eBGP peer discarded (RFC 7606 7.5)' }]);
  });

  it('keeps LOCAL_PREF and reflection attributes from an iBGP peer', () => {
    const attrs = { ...GOOD, asPath: [], localPref: 200, originatorId: '10.0.0.2', clusterList: ['10.0.0.3'] };
    expect(validateUpdate(upd(attrs), IBGP)).toEqual(upd(attrs));
  });

  it('treats a path whose leftmost AS is not the eBGP peer as withdraw (RFC 4271 6.3)', () => {
    expect(validateUpdate(upd({ ...GOOD, asPath: [{ type: 'sequence', asns: [65009] }] }), EBGP).treatAsWithdraw).toBe(true);
    expect(validateUpdate(upd({ ...GOOD, asPath: [] }), EBGP).treatAsWithdraw).toBe(true);
    expect(validateUpdate(upd({ ...GOOD, asPath: [{ type: 'set', asns: [65001] }] }), EBGP).treatAsWithdraw).toBe(true);
  });

  it('treats confederation segments from an eBGP peer as withdraw (RFC 5065 5)', () => {
    const attrs: PathAttrs = { ...GOOD, asPath: [{ type: 'sequence', asns: [65001] }, { type: 'confed-sequence', asns: [64512] }] };
    const out = validateUpdate(upd(attrs), EBGP);
    expect(out.problems?.[0]?.reason).toContain('AS_CONFED');
    expect(out.treatAsWithdraw).toBe(true);
  });

  it('applies RFC 7607 to AS 0', () => {
    expect(validateUpdate(upd({ ...GOOD, asPath: [{ type: 'sequence', asns: [65001, 0] }] }), EBGP).treatAsWithdraw).toBe(true);
    const out = validateUpdate(upd({ ...GOOD, aggregator: { asn: 0, address: '10.0.0.9' } }), EBGP);
    expect(out.attrs?.aggregator).toBeUndefined();
    expect(out.treatAsWithdraw).toBeUndefined();
  });

  it('reconciles AS4_PATH from a 2-octet speaker (RFC 6793 4.2.3)', () => {
    const attrs: PathAttrs = { ...GOOD, asPath: [{ type: 'sequence', asns: [65001, 23456] }], as4Path: [{ type: 'sequence', asns: [4200000000] }] };
    const out = validateUpdate(upd(attrs), EBGP);
    expect(out.attrs?.asPath).toEqual([{ type: 'sequence', asns: [65001, 4200000000] }]);
    expect(out.attrs?.as4Path).toBeUndefined();
    expect(out.problems).toBeUndefined();
  });

  it('records confederation segments dropped from AS4_PATH (RFC 6793 6)', () => {
    const attrs: PathAttrs = { ...GOOD, as4Path: [{ type: 'confed-sequence', asns: [64512] }, { type: 'sequence', asns: [65002] }] };
    expect(validateUpdate(upd(attrs), EBGP).problems).toEqual([{ attrType: 17, action: 'attribute-discard', reason: 'AS_CONFED segments dropped from AS4_PATH (RFC 6793 6)' }]);
  });

  // Whether a next hop can be used is the RIB's check (rib/import.ts, test/unit/rib/rib-next-hop.test.ts):
  // the route is refused there with a reason and stays visible, instead of vanishing here.
  it.each(['127.0.0.1', '127.1.2.3', '0.0.0.0', '0.1.2.3', '224.0.0.1', '239.255.255.255', '240.0.0.1', '255.255.255.255', '169.254.0.1', '192.0.2.1'])(
    'leaves NEXT_HOP %s to the RIB (no problem recorded, not treat-as-withdraw)',
    (nextHop) => {
      const out = validateUpdate(upd({ ...GOOD, nextHop }), EBGP);
      expect(out.problems).toBeUndefined();
      expect(out.treatAsWithdraw).toBeUndefined();
      expect(out.attrs?.nextHop).toBe(nextHop);
    },
  );

  it.each([[['::1']], [['::']], [['::ffff:a00:1']], [['::a00:1']], [['ff02::1']], [['fe80::1']], [['::', 'fe80::1']], [['2001:db8::1', 'fe80::1']], [['2001:db8::1']]])(
    'leaves MP_REACH next hops %j to the RIB',
    (nextHops: string[]) => {
      const { nextHop: _n, ...attrs } = GOOD;
      const mp: PathAttrs = { ...attrs, mpReach: { afi: 2, safi: 1, nextHops, nlri: ['2001:db8:1::/48'] } };
      const out = validateUpdate(upd(mp, []), EBGP);
      expect(out.problems).toBeUndefined();
      expect(out.attrs?.mpReach?.nextHops).toEqual(nextHops);
    },
  );

  it('keeps the decoder problems and its treat-as-withdraw verdict', () => {
    const msg = upd(GOOD, ['10.0.1.0/24'], { problems: [{ attrType: 8, action: 'treat-as-withdraw', reason: 'COMMUNITIES with length 5' }], treatAsWithdraw: true });
    const out = validateUpdate(msg, EBGP);
    expect(out.treatAsWithdraw).toBe(true);
    expect(out.problems).toHaveLength(1);
  });
});

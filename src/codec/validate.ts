/**
 * Meaning checks of a decoded UPDATE against the session (docs/architecture.md convention 5: decode the
 * structure first, then validate meaning). Pure: returns a normalized UPDATE whose `problems` list
 * every action taken (the decoder's and ours) and whose `treatAsWithdraw` is set when any of them is
 * treat-as-withdraw. Loop detection (own AS, ORIGINATOR_ID, CLUSTER_LIST) is rib/import.ts.
 *
 * Rules, in order:
 * 1. eBGP: LOCAL_PREF (RFC 7606 7.5 "SHALL be discarded"), ORIGINATOR_ID and CLUSTER_LIST (RFC 4456
 *    attributes that never cross an AS boundary) are discarded, even when they were malformed.
 * 2. RFC 7607: AS 0 in AS_PATH => treat-as-withdraw; in AGGREGATOR => attribute discard (RFC 7606
 *    7.7); in AS4_PATH / AS4_AGGREGATOR => attribute discard (RFC 6793 6).
 * 3. AS4_PATH / AS4_AGGREGATOR present (from a 2-octet speaker) => reconcileAs4 (RFC 6793 4.2.3);
 *    confederation segments in AS4_PATH are dropped and recorded (RFC 6793 6 "SHOULD be logged").
 * 4. eBGP: confederation segments in AS_PATH from a peer outside our confederation (we run none)
 *    => treat-as-withdraw (RFC 5065 5, RFC 7606 7.2).
 * 5. Reachable NLRI without ORIGIN or AS_PATH, or classic NLRI without NEXT_HOP => treat-as-withdraw
 *    (RFC 7606 3 d; RFC 4760 makes NEXT_HOP needed only for the NLRI field).
 * 6. eBGP: the leftmost AS of AS_PATH must be the peer's (RFC 4271 6.3, checked as it MAY be; treat-
 *    as-withdraw per RFC 7606 7.2).
 *
 * Next hops are only checked for structure here (the decoder: NEXT_HOP length 4, MP_REACH next hop
 * length for the AFI). Whether a next hop can be used (RFC 4271 6.3, RFC 7606 7.3 / 7.11: loopback,
 * multicast, 0.0.0.0/8, ::, IPv4-mapped, link-local without an interface, our own address) is
 * rib/import.ts: it refuses the route with a reason, which withdraws the peer's previous route for
 * the prefix as treat-as-withdraw would, and keeps it visible in `show routes`.
 */
import { AttrType } from './constants.js';
import { hasConfedSegments, reconcileAs4 } from './attrs/as-path.js';
import type { AttrsDraft } from './attrs/common.js';
import type { AsPath, AttrProblem, PathAttrs, UpdateMsg } from './types.js';

export interface PeerFacts {
  readonly ebgp: boolean;
  readonly peerAs: number;
  /** Kept for confederation support; AS loops are rib/import.ts. */
  readonly localAs: number;
}

const EBGP_DISCARDED: readonly [keyof PathAttrs, number, string][] = [
  ['localPref', AttrType.LOCAL_PREF, 'LOCAL_PREF from an eBGP peer discarded (RFC 7606 7.5)'],
  ['originatorId', AttrType.ORIGINATOR_ID, 'ORIGINATOR_ID from an eBGP peer discarded (RFC 4456)'],
  ['clusterList', AttrType.CLUSTER_LIST, 'CLUSTER_LIST from an eBGP peer discarded (RFC 4456)'],
];

const hasAs0 = (p: AsPath): boolean => p.some((s) => s.asns.includes(0));

export function validateUpdate(msg: UpdateMsg, peer: PeerFacts): UpdateMsg {
  const a: AttrsDraft = { ...(msg.attrs ?? {}) };
  let problems: AttrProblem[] = [...(msg.problems ?? [])];
  const discard = (attrType: number, reason: string): void => {
    problems.push({ attrType, action: 'attribute-discard', reason });
  };
  const withdraw = (attrType: number, reason: string): void => {
    problems.push({ attrType, action: 'treat-as-withdraw', reason });
  };

  // 1
  if (peer.ebgp) {
    for (const [key, type, reason] of EBGP_DISCARDED) {
      const malformed = problems.some((p) => p.attrType === type && p.action === 'treat-as-withdraw');
      if (malformed) problems = problems.filter((p) => p.attrType !== type);
      if (a[key] !== undefined || malformed) {
        delete a[key];
        discard(type, reason);
      }
    }
  }

  // 2
  if (a.asPath && hasAs0(a.asPath)) withdraw(AttrType.AS_PATH, 'AS 0 in AS_PATH (RFC 7607)');
  if (a.aggregator?.asn === 0) {
    delete a.aggregator;
    discard(AttrType.AGGREGATOR, 'AS 0 in AGGREGATOR discarded (RFC 7607)');
  }
  if (a.as4Path && hasAs0(a.as4Path)) {
    delete a.as4Path;
    discard(AttrType.AS4_PATH, 'AS 0 in AS4_PATH discarded (RFC 7607, RFC 6793 6)');
  }
  if (a.as4Aggregator?.asn === 0) {
    delete a.as4Aggregator;
    discard(AttrType.AS4_AGGREGATOR, 'AS 0 in AS4_AGGREGATOR discarded (RFC 7607, RFC 6793 6)');
  }

  // 3
  let attrs: PathAttrs = a;
  if (a.as4Path !== undefined || a.as4Aggregator !== undefined) {
    if (a.as4Path && hasConfedSegments(a.as4Path)) discard(AttrType.AS4_PATH, 'AS_CONFED segments dropped from AS4_PATH (RFC 6793 6)');
    attrs = reconcileAs4(a);
  }

  const reachable = msg.nlri.length > 0 || (attrs.mpReach?.nlri.length ?? 0) > 0;
  if (reachable) {
    // 4
    if (peer.ebgp && attrs.asPath && hasConfedSegments(attrs.asPath)) {
      withdraw(AttrType.AS_PATH, 'AS_CONFED segments from an eBGP peer (RFC 5065 5)');
    }
    // 5
    if (attrs.origin === undefined) withdraw(AttrType.ORIGIN, 'missing ORIGIN (RFC 7606 3 d)');
    if (attrs.asPath === undefined) withdraw(AttrType.AS_PATH, 'missing AS_PATH (RFC 7606 3 d)');
    if (msg.nlri.length > 0 && attrs.nextHop === undefined) withdraw(AttrType.NEXT_HOP, 'missing NEXT_HOP (RFC 7606 3 d)');
    // 6
    if (peer.ebgp && attrs.asPath !== undefined) {
      const first = attrs.asPath[0];
      const leftmost = first?.type === 'sequence' ? first.asns[0] : undefined;
      if (leftmost !== peer.peerAs) {
        withdraw(AttrType.AS_PATH, `leftmost AS ${leftmost ?? 'none'} is not the peer AS ${peer.peerAs} (RFC 4271 6.3)`);
      }
    }
  }

  const { problems: _p, treatAsWithdraw: _t, ...base } = msg;
  const out: UpdateMsg = { ...base, attrs: msg.attrs === null ? null : attrs };
  if (problems.length === 0) return out;
  const taw = problems.some((p) => p.action === 'treat-as-withdraw');
  return taw ? { ...out, problems, treatAsWithdraw: true } : { ...out, problems };
}

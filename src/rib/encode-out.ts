/**
 * Turns pulled Adj-RIB-Out batches into wire UPDATEs with the codec. IPv4 goes in the classic
 * fields (NEXT_HOP in the attributes), IPv6 in MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760); a peer
 * without the 4-octet AS capability gets the RFC 6793 4.2.2 form (downgradeAs4).
 */
import { downgradeAs4 } from '../codec/attrs/as-path.js';
import { Afi, Safi } from '../codec/constants.js';
import { encodeMessage, endOfRib } from '../codec/message.js';
import { encodeUpdates } from '../codec/pack.js';
import type { CodecContext, PathAttrs } from '../codec/types.js';
import { assertNever } from '../util/assert.js';
import type { OutBatch } from './adj-rib-out.js';
import type { Family } from './types.js';

const afiOf = (f: Family): number => (f === 'ipv4-unicast' ? Afi.IPV4 : Afi.IPV6);

/** Attribute sets are immutable, so their 2-octet form is computed once per set. */
const downgraded = new WeakMap<PathAttrs, PathAttrs>();
function forPeer(a: PathAttrs, ctx: CodecContext): PathAttrs {
  if (ctx.as4) return a;
  let d = downgraded.get(a);
  if (d === undefined) downgraded.set(a, (d = downgradeAs4(a)));
  return d;
}

export function encodeBatch(b: OutBatch, ctx: CodecContext): Buffer[] {
  switch (b.kind) {
    case 'withdraw':
      if (b.family === 'ipv4-unicast') return encodeUpdates({ withdrawn: b.prefixes, attrs: null }, ctx);
      return encodeUpdates({ attrs: { mpUnreach: { afi: afiOf(b.family), safi: Safi.UNICAST, withdrawn: b.prefixes } } }, ctx);
    case 'announce': {
      const a = forPeer(b.attrs.attrs, ctx);
      if (b.family === 'ipv4-unicast' && a.mpReach === undefined) return encodeUpdates({ nlri: b.prefixes, attrs: a }, ctx);
      const mp = a.mpReach;
      if (mp === undefined) return [];
      return encodeUpdates({ attrs: { ...a, mpReach: { afi: mp.afi, safi: mp.safi, nextHops: mp.nextHops, nlri: b.prefixes } } }, ctx);
    }
    case 'end-of-rib':
      return [encodeMessage(endOfRib(afiOf(b.family), Safi.UNICAST), ctx)];
    default:
      return assertNever(b);
  }
}

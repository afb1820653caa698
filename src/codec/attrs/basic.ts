/**
 * The fixed-size attributes of RFC 4271 5.1 and RFC 6793: ORIGIN, NEXT_HOP, MULTI_EXIT_DISC,
 * LOCAL_PREF, ATOMIC_AGGREGATE, AGGREGATOR, AS4_AGGREGATOR. Each decoder applies the RFC 7606 7
 * action for its attribute; semantic checks that need the session (LOCAL_PREF from eBGP, next hop
 * acceptability) live in validate.ts.
 */
import { formatIPv4Bytes } from '../../util/inet.js';
import { Origin, UpdateSub } from '../constants.js';
import type { CodecContext } from '../types.js';
import { type AttrInput, type AttrsDraft, attrError, expectLength } from './common.js';

/** RFC 7606 7.1: length other than 1, or an undefined value => treat-as-withdraw. */
export function decodeOrigin(a: AttrInput, d: AttrsDraft): void {
  expectLength(a, 'treat-as-withdraw', 'ORIGIN', a.value.length === 1);
  const v = a.value.readUInt8(0);
  if (v > Origin.INCOMPLETE) throw attrError(a, 'treat-as-withdraw', UpdateSub.INVALID_ORIGIN_ATTRIBUTE, `ORIGIN value ${v}`);
  d.origin = v;
}

/** RFC 7606 7.3: length other than 4 => treat-as-withdraw. */
export function decodeNextHop(a: AttrInput, d: AttrsDraft): void {
  expectLength(a, 'treat-as-withdraw', 'NEXT_HOP', a.value.length === 4);
  d.nextHop = formatIPv4Bytes(a.value, 0);
}

/** RFC 7606 7.4: length other than 4 => treat-as-withdraw. */
export function decodeMed(a: AttrInput, d: AttrsDraft): void {
  expectLength(a, 'treat-as-withdraw', 'MULTI_EXIT_DISC', a.value.length === 4);
  d.med = a.value.readUInt32BE(0);
}

/** RFC 7606 7.5: length other than 4 => treat-as-withdraw (discarding it from eBGP is validate.ts). */
export function decodeLocalPref(a: AttrInput, d: AttrsDraft): void {
  expectLength(a, 'treat-as-withdraw', 'LOCAL_PREF', a.value.length === 4);
  d.localPref = a.value.readUInt32BE(0);
}

/** RFC 7606 7.6: length other than 0 => attribute discard. */
export function decodeAtomicAggregate(a: AttrInput, d: AttrsDraft): void {
  expectLength(a, 'attribute-discard', 'ATOMIC_AGGREGATE', a.value.length === 0);
  d.atomicAggregate = true;
}

/** RFC 7606 7.7: length other than 6 (2-octet session) or 8 (4-octet session) => attribute discard. */
export function decodeAggregator(a: AttrInput, d: AttrsDraft, ctx: CodecContext): void {
  const as4 = ctx.as4;
  expectLength(a, 'attribute-discard', 'AGGREGATOR', a.value.length === (as4 ? 8 : 6));
  d.aggregator = {
    asn: as4 ? a.value.readUInt32BE(0) : a.value.readUInt16BE(0),
    address: formatIPv4Bytes(a.value, as4 ? 4 : 2),
  };
}

/**
 * RFC 6793 6: AS4_AGGREGATOR between two NEW speakers is discarded; a length other than 8 is
 * malformed and handled by attribute discard.
 */
export function decodeAs4Aggregator(a: AttrInput, d: AttrsDraft, ctx: CodecContext): void {
  if (ctx.as4) throw attrError(a, 'attribute-discard', UpdateSub.OPTIONAL_ATTRIBUTE_ERROR, 'AS4_AGGREGATOR from a 4-octet AS speaker');
  expectLength(a, 'attribute-discard', 'AS4_AGGREGATOR', a.value.length === 8);
  d.as4Aggregator = { asn: a.value.readUInt32BE(0), address: formatIPv4Bytes(a.value, 4) };
}

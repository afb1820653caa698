/**
 * One descriptor per known path attribute (BIRD's bgp_attr_table, in TypeScript): its name, the
 * Optional/Transitive flags its definition fixes, the action for a flags conflict, and its decoder.
 * Each decoder throws AttrError with the RFC 7606 7 action for a malformed value.
 */
import { AttrFlag, AttrType } from '../constants.js';
import type { AttrAction } from '../errors.js';
import type { CodecContext } from '../types.js';
import { decodeAs4PathAttr, decodeAsPathAttr } from './as-path.js';
import {
  decodeAggregator,
  decodeAs4Aggregator,
  decodeAtomicAggregate,
  decodeLocalPref,
  decodeMed,
  decodeNextHop,
  decodeOrigin,
} from './basic.js';
import type { AttrInput, AttrsDraft } from './common.js';
import { decodeCommunities, decodeExtCommunities, decodeLargeCommunities } from './communities.js';
import { decodeMpReach, decodeMpUnreach } from './mp-reach.js';
import { decodeClusterList, decodeOriginatorId } from './reflection.js';

export interface AttrSpec {
  readonly name: string;
  /** Optional | Transitive as defined for the attribute (RFC 7606 3 c compares these two bits). */
  readonly flags: number;
  /**
   * RFC 7606 3 c: a conflict in those bits makes the attribute malformed and is treat-as-withdraw,
   * "unless the specification for the attribute mandates different handling" (RFC 6793 6 for the
   * AS4_* attributes: attribute discard).
   */
  readonly onFlagsError: AttrAction;
  readonly decode: (a: AttrInput, d: AttrsDraft, ctx: CodecContext) => void;
}

const WELL_KNOWN = AttrFlag.TRANSITIVE;
const OPT_NON_TRANS = AttrFlag.OPTIONAL;
const OPT_TRANS = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;

const spec = (name: string, flags: number, decode: AttrSpec['decode'], onFlagsError: AttrAction = 'treat-as-withdraw'): AttrSpec => ({
  name,
  flags,
  onFlagsError,
  decode,
});

export const ATTRS: ReadonlyMap<number, AttrSpec> = new Map<number, AttrSpec>([
  [AttrType.ORIGIN, spec('ORIGIN', WELL_KNOWN, decodeOrigin)],
  [AttrType.AS_PATH, spec('AS_PATH', WELL_KNOWN, decodeAsPathAttr)],
  [AttrType.NEXT_HOP, spec('NEXT_HOP', WELL_KNOWN, decodeNextHop)],
  [AttrType.MULTI_EXIT_DISC, spec('MULTI_EXIT_DISC', OPT_NON_TRANS, decodeMed)],
  [AttrType.LOCAL_PREF, spec('LOCAL_PREF', WELL_KNOWN, decodeLocalPref)],
  [AttrType.ATOMIC_AGGREGATE, spec('ATOMIC_AGGREGATE', WELL_KNOWN, decodeAtomicAggregate)],
  [AttrType.AGGREGATOR, spec('AGGREGATOR', OPT_TRANS, decodeAggregator)],
  [AttrType.COMMUNITIES, spec('COMMUNITIES', OPT_TRANS, decodeCommunities)],
  [AttrType.ORIGINATOR_ID, spec('ORIGINATOR_ID', OPT_NON_TRANS, decodeOriginatorId)],
  [AttrType.CLUSTER_LIST, spec('CLUSTER_LIST', OPT_NON_TRANS, decodeClusterList)],
  [AttrType.MP_REACH_NLRI, spec('MP_REACH_NLRI', OPT_NON_TRANS, decodeMpReach)],
  [AttrType.MP_UNREACH_NLRI, spec('MP_UNREACH_NLRI', OPT_NON_TRANS, decodeMpUnreach)],
  [AttrType.EXTENDED_COMMUNITIES, spec('EXTENDED_COMMUNITIES', OPT_TRANS, decodeExtCommunities)],
  [AttrType.AS4_PATH, spec('AS4_PATH', OPT_TRANS, decodeAs4PathAttr, 'attribute-discard')],
  [AttrType.AS4_AGGREGATOR, spec('AS4_AGGREGATOR', OPT_TRANS, decodeAs4Aggregator, 'attribute-discard')],
  [AttrType.LARGE_COMMUNITY, spec('LARGE_COMMUNITY', OPT_TRANS, decodeLargeCommunities)],
]);

/** The name of an attribute type, for problems and logs. */
export const attrName = (type: number): string => ATTRS.get(type)?.name ?? `attribute ${type}`;

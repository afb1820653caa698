/**
 * ORIGINATOR_ID and CLUSTER_LIST (RFC 4456 8). Malformed lengths are treat-as-withdraw
 * (RFC 7606 7.9, 7.10); discarding them when they come from an eBGP peer is validate.ts.
 */
import { formatIPv4Bytes } from '../../util/inet.js';
import { type AttrInput, type AttrsDraft, expectLength } from './common.js';

export function decodeOriginatorId(a: AttrInput, d: AttrsDraft): void {
  expectLength(a, 'treat-as-withdraw', 'ORIGINATOR_ID', a.value.length === 4);
  d.originatorId = formatIPv4Bytes(a.value, 0);
}

export function decodeClusterList(a: AttrInput, d: AttrsDraft): void {
  const v = a.value;
  expectLength(a, 'treat-as-withdraw', 'CLUSTER_LIST', v.length > 0 && v.length % 4 === 0);
  const out = new Array<string>(v.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = formatIPv4Bytes(v, 4 * i);
  d.clusterList = out;
}

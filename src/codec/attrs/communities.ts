/**
 * COMMUNITIES (RFC 1997), EXTENDED COMMUNITIES (RFC 4360) and LARGE_COMMUNITY (RFC 8092).
 * Each is a list of fixed-size values; a length that is zero or not a multiple of the size is
 * malformed and handled by treat-as-withdraw (RFC 7606 7.8, 7.14; RFC 8092 6 with RFC 7606).
 */
import type { AttrInput, AttrsDraft } from './common.js';
import { expectLength } from './common.js';

export function decodeCommunities(a: AttrInput, d: AttrsDraft): void {
  const v = a.value;
  expectLength(a, 'treat-as-withdraw', 'COMMUNITIES', v.length > 0 && v.length % 4 === 0);
  const out = new Array<number>(v.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = v.readUInt32BE(4 * i);
  d.communities = out;
}

/** Each extended community is an 8-octet Buffer; one copy of the value backs them all. */
export function decodeExtCommunities(a: AttrInput, d: AttrsDraft): void {
  const v = a.value;
  expectLength(a, 'treat-as-withdraw', 'EXTENDED_COMMUNITIES', v.length > 0 && v.length % 8 === 0);
  const copy = Buffer.from(v);
  const out = new Array<Buffer>(v.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = copy.subarray(8 * i, 8 * i + 8);
  d.extCommunities = out;
}

/** RFC 8092 3: Global Administrator, Local Data Part 1, Local Data Part 2, 4 octets each. */
export function decodeLargeCommunities(a: AttrInput, d: AttrsDraft): void {
  const v = a.value;
  expectLength(a, 'treat-as-withdraw', 'LARGE_COMMUNITY', v.length > 0 && v.length % 12 === 0);
  const out = new Array<{ global: number; local1: number; local2: number }>(v.length / 12);
  for (let i = 0; i < out.length; i++) {
    out[i] = { global: v.readUInt32BE(12 * i), local1: v.readUInt32BE(12 * i + 4), local2: v.readUInt32BE(12 * i + 8) };
  }
  d.largeCommunities = out;
}

/**
 * Community text in the configuration.
 *
 * RFC 1997: a community is 32 bits, written "AS:value" with each half 0..65535; the well-known
 * values have names (RFC 1997 no-export / no-advertise / no-export-subconfed, RFC 3765 no-peer,
 * RFC 8326 graceful-shutdown).
 * RFC 8092: a large community is three 32-bit numbers, written "global:local1:local2".
 */
import { WellKnownCommunity } from '../codec/constants.js';
import type { LargeCommunity } from '../codec/types.js';
import type { Parsed } from './types.js';

export const WELL_KNOWN_COMMUNITY_NAMES: Readonly<Record<string, number>> = Object.freeze({
  'no-export': WellKnownCommunity.NO_EXPORT,
  'no-advertise': WellKnownCommunity.NO_ADVERTISE,
  'no-export-subconfed': WellKnownCommunity.NO_EXPORT_SUBCONFED,
  'no-peer': WellKnownCommunity.NO_PEER,
  'graceful-shutdown': WellKnownCommunity.GRACEFUL_SHUTDOWN,
});

const U32_MAX = 4294967295;
const COMMUNITY_ERROR = 'expected a community "AS:value" (each 0..65535) or a well-known name such as "no-export"';
const LARGE_ERROR = 'expected a large community "global:local1:local2" (each 0..4294967295)';

/** "65000:100" -> 0xFDE80064; "no-export" -> 0xFFFFFF01. */
export function parseCommunity(text: string): Parsed<number> {
  const named = Object.hasOwn(WELL_KNOWN_COMMUNITY_NAMES, text) ? WELL_KNOWN_COMMUNITY_NAMES[text] : undefined;
  if (named !== undefined) return { ok: true, value: named };
  const m = /^([0-9]{1,5}):([0-9]{1,5})$/.exec(text);
  const hi = Number(m?.[1]);
  const lo = Number(m?.[2]);
  if (!m || hi > 0xffff || lo > 0xffff) return { ok: false, error: COMMUNITY_ERROR };
  return { ok: true, value: hi * 0x10000 + lo };
}

/** The inverse of parseCommunity: well-known values by name, others as "AS:value". */
export function formatCommunity(value: number): string {
  for (const [name, v] of Object.entries(WELL_KNOWN_COMMUNITY_NAMES)) if (v === value) return name;
  return `${Math.floor(value / 0x10000)}:${value % 0x10000}`;
}

export function parseLargeCommunity(text: string): Parsed<LargeCommunity> {
  const m = /^([0-9]{1,10}):([0-9]{1,10}):([0-9]{1,10})$/.exec(text);
  const parts = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [];
  const [global, local1, local2] = parts;
  if (global === undefined || local1 === undefined || local2 === undefined || parts.some((n) => n > U32_MAX)) {
    return { ok: false, error: LARGE_ERROR };
  }
  return { ok: true, value: { global, local1, local2 } };
}

export function formatLargeCommunity(c: LargeCommunity): string {
  return `${c.global}:${c.local1}:${c.local2}`;
}

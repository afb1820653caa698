/**
 * Leaf value schemas (zod 4), each with the message an operator reads: "expected an integer 1..65535".
 * Values that have a canonical form (addresses, prefixes, communities) are transformed into it here.
 */
import { z } from 'zod';
import { familyOfText, formatAddress, formatPrefix, parseAddress, parseIPv4Range, parsePrefix } from '../util/inet.js';
import { parseCommunity, parseLargeCommunity } from './communities.js';
import type { AddressFamily, Parsed, PrefixMatch } from './types.js';

export const U32_MAX = 4294967295;

/** An integer in min..max with one message for every way of missing it. */
export function intIn(min: number, max: number) {
  const error = `expected an integer ${min}..${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

export const bool = z.boolean({ error: 'expected true or false' });
export const asn = intIn(1, U32_MAX);
export const port = intIn(1, 65535);

/** RFC 4271 4.2: Hold Time is zero or at least three seconds. */
export const holdTime = z
  .int({ error: 'expected 0 or an integer 3..65535' })
  .refine((v) => v === 0 || (v >= 3 && v <= 65535), { error: 'expected 0 or an integer 3..65535' });

const DOTTED_QUAD = 'expected a dotted-quad IPv4 address such as "192.168.1.10"';
export const dottedQuad = z.string({ error: DOTTED_QUAD }).refine((s) => parseIPv4Range(s, 0, s.length) >= 0, { error: DOTTED_QUAD });

/** RFC 6286 2.1: the BGP Identifier is a non-zero 32-bit number. */
export const routerId = dottedQuad.refine((s) => s !== '0.0.0.0', { error: 'must not be 0.0.0.0' });

const IP_LITERAL = 'expected an IPv4 or IPv6 address such as "192.168.1.11" or "fd00::11"';
/**
 * An IP literal (util/inet.ts: no leading zeros, no zone id: "fe80::1%eth0" is refused, a session's
 * interface is not part of its address), as canonical text.
 */
export const ipLiteral = z.string({ error: IP_LITERAL }).transform((s, ctx) => {
  const a = parseAddress(s);
  if (a === null) {
    ctx.issues.push({ code: 'custom', message: IP_LITERAL, input: s });
    return z.NEVER;
  }
  return formatAddress(a.bytes);
});

/** The family of an address that ipLiteral accepted. */
export const addressFamily = (address: string): AddressFamily => (familyOfText(address) === 6 ? 'ipv6' : 'ipv4');

export interface ParsedPrefix {
  /** Canonical text: "172.16.0.0/24", "fd00:10::/64". */
  readonly text: string;
  readonly family: AddressFamily;
  readonly len: number;
  /** The largest length in this family: 32 or 128. */
  readonly maxLen: number;
}

const PREFIX = 'expected a prefix such as "172.16.0.0/24" or "fd00:10::/64"';

/** "addr/len" with addr an IP literal, len a decimal in range (no leading zero), and no host bits set. */
export function readPrefix(text: string): Parsed<ParsedPrefix> {
  const p = parsePrefix(text);
  if (p === null) {
    const slash = text.indexOf('/');
    const addr = slash < 0 ? null : parseAddress(text.slice(0, slash));
    if (addr !== null && /^(0|[1-9][0-9]{0,2})$/.test(text.slice(slash + 1))) {
      return { ok: false, error: `prefix length must be 0..${addr.family === 4 ? 32 : 128}` };
    }
    return { ok: false, error: PREFIX };
  }
  const network = formatPrefix(p);
  if (p.hostBits) return { ok: false, error: `host bits are set: the network is "${network}"` };
  const v4 = p.family === 4;
  return { ok: true, value: { text: network, family: v4 ? 'ipv4' : 'ipv6', len: p.len, maxLen: v4 ? 32 : 128 } };
}

export const prefix = z.string({ error: PREFIX }).transform((s, ctx): ParsedPrefix => {
  const p = readPrefix(s);
  if (!p.ok) {
    ctx.issues.push({ code: 'custom', message: p.error, input: s });
    return z.NEVER;
  }
  return p.value;
});

/**
 * A prefix-list entry `{ prefix, ge?, le? }` with len <= ge <= le <= 32/128.
 * No ge/le: exact match. Only ge: ge..max. Only le: len..le (the usual prefix-list reading).
 */
export const prefixMatch = z
  .strictObject({ prefix, ge: intIn(0, 128).optional(), le: intIn(0, 128).optional() })
  .transform((v, ctx): PrefixMatch => {
    const { len, maxLen } = v.prefix;
    const ge = v.ge ?? len;
    const le = v.le ?? (v.ge !== undefined ? maxLen : len);
    if (ge < len || ge > maxLen) {
      ctx.issues.push({ code: 'custom', message: `ge must be ${len}..${maxLen} (prefix length..${maxLen})`, input: v.ge, path: ['ge'] });
    }
    if (le < ge || le > maxLen) {
      ctx.issues.push({ code: 'custom', message: `le must be ${ge}..${maxLen} (ge..${maxLen})`, input: v.le, path: ['le'] });
    }
    return { prefix: v.prefix.text, ge, le };
  });

export const prefixList = z.array(prefixMatch, { error: 'expected an array of { prefix, ge?, le? }' });

export const community = z.string({ error: 'expected a community string such as "65000:100"' }).transform((s, ctx) => {
  const c = parseCommunity(s);
  if (!c.ok) {
    ctx.issues.push({ code: 'custom', message: c.error, input: s });
    return z.NEVER;
  }
  return c.value;
});

export const largeCommunity = z
  .string({ error: 'expected a large community string such as "65000:1:2"' })
  .transform((s, ctx) => {
    const c = parseLargeCommunity(s);
    if (!c.ok) {
      ctx.issues.push({ code: 'custom', message: c.error, input: s });
      return z.NEVER;
    }
    return c.value;
  });

export const communities = z.array(community, { error: 'expected an array of community strings' });
export const largeCommunities = z.array(largeCommunity, { error: 'expected an array of large community strings' });

/** An integer in min..max, or one of the given names (e.g. routing table "main" = 254). */
export function intOrName(min: number, max: number, names: Readonly<Record<string, number>>) {
  const shown = Object.keys(names).map((n) => JSON.stringify(n));
  const error = `expected an integer ${min}..${max} or ${shown.length > 1 ? 'one of ' : ''}${shown.join(', ')}`;
  return z.unknown().transform((v, ctx) => {
    if (typeof v === 'string' && Object.hasOwn(names, v)) {
      const n = names[v];
      if (n !== undefined) return n;
    }
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
    ctx.issues.push({ code: 'custom', message: error, input: v });
    return z.NEVER;
  });
}

/** Linux interface names: 1..15 bytes (IFNAMSIZ - 1), no '/', ':' or whitespace. */
export const interfaceName = z
  .string({ error: 'expected an interface name' })
  .regex(/^[^\s/:]{1,15}$/, { error: 'expected an interface name of 1..15 characters without "/", ":" or spaces' })
  .refine((s) => s !== '.' && s !== '..', { error: 'expected an interface name' });

/** A name for display (peer name): 1..64 characters, no control characters. */
export const displayName = z
  .string({ error: 'expected a string' })
  .regex(/^[^\u0000-\u001f\u007f]{1,64}$/, { error: 'expected 1..64 printable characters' });

/** Policy names are referenced from peers: letters, digits, '-', '_', '.'; 1..64 characters. */
export const POLICY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

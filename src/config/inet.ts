/**
 * IP literals and prefixes as written in the configuration: validation and canonical text.
 * node:net decides what is an address (it rejects leading zeros and zone ids like "fe80::1%eth0");
 * ip-address gives the RFC 5952 form and the integer value for the host-bits check.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { Address4, Address6 } from 'ip-address';
import type { AddressFamily } from './types.js';

export interface ParsedPrefix {
  /** Canonical text: "172.16.0.0/24", "fd00:10::/64". */
  readonly text: string;
  readonly family: AddressFamily;
  readonly len: number;
  /** The largest length in this family: 32 or 128. */
  readonly maxLen: number;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export function familyOfAddress(text: string): AddressFamily | undefined {
  if (isIPv4(text)) return 'ipv4';
  if (isIPv6(text) && !text.includes('%')) return 'ipv6';
  return undefined;
}

/** Canonical address text (IPv6 lower case, zeros compressed per RFC 5952 4), or undefined. */
export function canonicalAddress(text: string): string | undefined {
  const family = familyOfAddress(text);
  if (family === 'ipv4') return text;
  if (family === 'ipv6') return new Address6(text).correctForm();
  return undefined;
}

/**
 * "addr/len" with addr an IP literal, len a decimal in range, and no host bits set.
 * ip-address accepts "192.168.1.5/24" as a valid subnet, so host bits are checked here explicitly.
 */
export function parsePrefix(text: string): Parsed<ParsedPrefix> {
  const slash = text.indexOf('/');
  const bad = { ok: false, error: 'expected a prefix such as "172.16.0.0/24" or "fd00:10::/64"' } as const;
  if (slash < 0) return bad;
  const addr = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  const family = familyOfAddress(addr);
  if (family === undefined || !/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return bad;
  const len = Number(lenText);
  const maxLen = family === 'ipv4' ? 32 : 128;
  if (len > maxLen) return { ok: false, error: `prefix length must be 0..${maxLen}` };
  const value = family === 'ipv4' ? new Address4(addr).bigInt() : new Address6(addr).bigInt();
  const hostBits = (1n << BigInt(maxLen - len)) - 1n;
  const network = value & ~hostBits;
  const canonicalAddr =
    family === 'ipv4' ? Address4.fromBigInt(network).correctForm() : Address6.fromBigInt(network).correctForm();
  if ((value & hostBits) !== 0n) {
    return { ok: false, error: `host bits are set: the network is "${canonicalAddr}/${len}"` };
  }
  return { ok: true, value: { text: `${canonicalAddr}/${len}`, family, len, maxLen } };
}

/**
 * Every input that ever crashed, hung or threw a non-BgpError (plus hand-made nasty cases) must now
 * decode and re-encode, or end in a BgpError with an allowed (code, subcode), under every context.
 */
import { describe, expect, it } from 'vitest';
import type { CodecContext } from '../../src/codec/types.js';
import { checkFramer, checkInvariant } from './invariant.js';
import { loadCrashers } from './load.js';

const ALL_FAMILIES = ['1/1', '1/2', '2/1', '2/2'];
const CONTEXTS: readonly [string, CodecContext][] = [
  ['2-octet AS', { as4: false, extendedMessage: false, addPathRx: new Set(), addPathTx: new Set() }],
  ['4-octet AS', { as4: true, extendedMessage: false, addPathRx: new Set(), addPathTx: new Set() }],
  ['4-octet AS, ADD-PATH, extended messages', { as4: true, extendedMessage: true, addPathRx: new Set(ALL_FAMILIES), addPathTx: new Set(ALL_FAMILIES) }],
];

const crashers = loadCrashers();

it('has crashers to check', () => expect(crashers.length).toBeGreaterThan(0));

describe.each(crashers.map((c) => [c.name, c.bytes] as const))('%s', (_name, bytes) => {
  it.each(CONTEXTS)('keeps the invariant with %s', (_label, ctx) => {
    expect(checkInvariant(bytes, ctx)).toEqual({ ok: true });
    for (let cut = 0; cut <= bytes.length; cut++) expect(checkFramer(bytes, ctx, [cut])).toEqual({ ok: true });
  });
});

/**
 * The FRR config docs/topologies.md ("Top of rack") shows is exactly what the FRR driver writes for
 * the ToR that test/netns/tor-md5.netns.test.ts runs. Moved from that file: it needs no namespace.
 */
import { describe, expect, it } from 'vitest';
import { docBlock } from '../../netns/lib/doc-config.js';
import { frrBgpdConfig } from '../../../tools/daemons/frr.js';
import { torMd5Spec } from '../../netns/lib/rack.js';

describe('a node peering eBGP with an FRR top-of-rack router over TCP MD5', () => {
  it('uses the FRR config the documentation shows', () => {
    expect(frrBgpdConfig(torMd5Spec('any'))).toBe(docBlock('tor-frr'));
  });
});

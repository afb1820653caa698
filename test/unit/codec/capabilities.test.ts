import { describe, expect, it } from 'vitest';
import { encodeCapabilities } from '../../../src/codec/capability-encode.js';
import { decodeCapabilities } from '../../../src/codec/capabilities.js';
import { cursor } from '../../../src/codec/cursor.js';
import type { Capability } from '../../../src/codec/types.js';
import { expectBgpError, hex } from './bytes.js';

const ALL: Capability[] = [
  { kind: 'multiprotocol', afi: 2, safi: 1 },
  { kind: 'route-refresh' },
  { kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }, { afi: 1, safi: 2, nextHopAfi: 2 }] },
  { kind: 'extended-message' },
  { kind: 'graceful-restart', restarting: false, notification: true, restartTimeSec: 4095, families: [{ afi: 2, safi: 1, forwardingPreserved: true }] },
  { kind: 'as4', asn: 4294967295 },
  { kind: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 1 }, { afi: 2, safi: 1, sendReceive: 2 }] },
  { kind: 'enhanced-route-refresh' },
  { kind: 'unknown', code: 9, value: hex('03') },
];

describe('capabilities (RFC 5492 4)', () => {
  it('round-trips every capability kind', () => {
    expect(decodeCapabilities(cursor(encodeCapabilities(ALL)))).toEqual(ALL);
  });

  it('encodes the graceful restart flags and a 12-bit restart time (RFC 4724 3, RFC 8538)', () => {
    expect(encodeCapabilities([ALL[4] as Capability]).toString('hex')).toBe('4006' + '4fff' + '0002' + '01' + '80');
  });

  it('reads an empty capability list', () => {
    expect(decodeCapabilities(cursor(Buffer.alloc(0)))).toEqual([]);
  });

  it('answers a truncated TLV header with 2/0', () => {
    expectBgpError(() => decodeCapabilities(cursor(hex('41'))), 2, 0);
  });

  it('refuses to encode a capability value over 255 octets', () => {
    expect(() => encodeCapabilities([{ kind: 'unknown', code: 200, value: Buffer.alloc(256) }])).toThrow(RangeError);
  });
});

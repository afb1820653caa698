/**
 * Capability TLVs <- bytes (RFC 5492 4). Known capabilities are decoded; any other code is kept as
 * `unknown` (copied) and ignored by negotiation, as RFC 5492 5 allows.
 *
 * Errors (decided after reading RFC 5492 and what BIRD and FRR do; see docs/rfc-compliance.md):
 * a TLV overrunning its parameter, or a known capability whose length cannot be right for it, is an
 * OPEN Message Error with subcode 0 (Unspecific). BIRD's bgp_read_capabilities does the same.
 * An ADD-PATH capability with a Send/Receive value outside 1..3 (RFC 7911 4) is kept as `unknown`
 * rather than rejected, so negotiation ignores it, like BIRD.
 */
import { GR_FORWARDING, GR_NOTIFICATION, GR_RESTART_STATE } from './capability-encode.js';
import { CapCode } from './constants.js';
import { type Cursor, keep, remaining, sub, u16, u32, u8, view } from './cursor.js';
import { openUnspecific, ShortRead } from './errors.js';
import type { Capability } from './types.js';

type AddPathFamily = { readonly afi: number; readonly safi: number; readonly sendReceive: 1 | 2 | 3 };

function expectLength(code: number, len: number, ok: boolean): void {
  if (!ok) throw openUnspecific(`capability ${code} with length ${len}`);
}

function decodeOne(code: number, v: Cursor): Capability {
  const len = remaining(v);
  switch (code) {
    case CapCode.MULTIPROTOCOL: {
      expectLength(code, len, len === 4);
      const afi = u16(v);
      u8(v); // reserved
      return { kind: 'multiprotocol', afi, safi: u8(v) };
    }
    case CapCode.ROUTE_REFRESH:
      expectLength(code, len, len === 0);
      return { kind: 'route-refresh' };
    case CapCode.EXTENDED_NEXT_HOP: {
      expectLength(code, len, len % 6 === 0);
      const entries: { afi: number; safi: number; nextHopAfi: number }[] = [];
      while (remaining(v) > 0) entries.push({ afi: u16(v), safi: u16(v), nextHopAfi: u16(v) });
      return { kind: 'extended-next-hop', entries };
    }
    case CapCode.EXTENDED_MESSAGE:
      expectLength(code, len, len === 0);
      return { kind: 'extended-message' };
    case CapCode.GRACEFUL_RESTART: {
      expectLength(code, len, len >= 2 && len % 4 === 2);
      const head = u16(v);
      const families: { afi: number; safi: number; forwardingPreserved: boolean }[] = [];
      while (remaining(v) > 0) {
        const afi = u16(v);
        const safi = u8(v);
        families.push({ afi, safi, forwardingPreserved: (u8(v) & GR_FORWARDING) !== 0 });
      }
      return {
        kind: 'graceful-restart',
        restarting: (head & GR_RESTART_STATE) !== 0,
        notification: (head & GR_NOTIFICATION) !== 0,
        restartTimeSec: head & 0x0fff,
        families,
      };
    }
    case CapCode.AS4:
      expectLength(code, len, len === 4);
      return { kind: 'as4', asn: u32(v) };
    case CapCode.ADD_PATH: {
      expectLength(code, len, len % 4 === 0);
      const start = v.off;
      const families: AddPathFamily[] = [];
      while (remaining(v) > 0) {
        const afi = u16(v);
        const safi = u8(v);
        const sr = u8(v);
        if (sr !== 1 && sr !== 2 && sr !== 3) return { kind: 'unknown', code, value: keep(v.buf.subarray(start, v.end)) };
        families.push({ afi, safi, sendReceive: sr });
      }
      return { kind: 'add-path', families };
    }
    case CapCode.ENHANCED_ROUTE_REFRESH:
      expectLength(code, len, len === 0);
      return { kind: 'enhanced-route-refresh' };
    default:
      return { kind: 'unknown', code, value: keep(view(v, len)) };
  }
}

/** Reads capability TLVs until the cursor's end (the value of one Capabilities optional parameter). */
export function decodeCapabilities(c: Cursor): Capability[] {
  const caps: Capability[] = [];
  try {
    while (remaining(c) > 0) {
      const code = u8(c);
      const len = u8(c);
      caps.push(decodeOne(code, sub(c, len)));
    }
  } catch (e) {
    if (e instanceof ShortRead) throw openUnspecific('capability overruns its optional parameter');
    throw e;
  }
  return caps;
}

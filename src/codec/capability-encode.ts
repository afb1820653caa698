/**
 * Capability TLVs -> bytes (RFC 5492 4). Kept apart from capabilities.ts (the decoder) so that
 * errors.ts can build the Unsupported Capability data without an import cycle.
 *
 *   +------------------------------+
 *   | Capability Code (1 octet)    |
 *   +------------------------------+
 *   | Capability Length (1 octet)  |
 *   +------------------------------+
 *   | Capability Value (variable)  |
 *   +------------------------------+
 */
import { CapCode } from './constants.js';
import type { Capability } from './types.js';
import { Writer } from './writer.js';
import { assertNever } from '../util/assert.js';

/** RFC 4724 3: Restart Flags (R = 0x8, N = 0x4 per RFC 8538) in the top 4 bits of the first octet. */
export const GR_RESTART_STATE = 0x8000;
export const GR_NOTIFICATION = 0x4000;
/** RFC 4724 3: Forwarding State bit of the per-AFI flags. */
export const GR_FORWARDING = 0x80;

function writeCapability(w: Writer, cap: Capability): void {
  const start = w.offset;
  const head = (code: number): number => {
    w.u8(code);
    return w.reserve(1);
  };
  let lenAt: number;
  switch (cap.kind) {
    case 'multiprotocol': // RFC 4760 8: AFI (2), Reserved (1), SAFI (1)
      lenAt = head(CapCode.MULTIPROTOCOL);
      w.u16(cap.afi).u8(0).u8(cap.safi);
      break;
    case 'route-refresh':
      lenAt = head(CapCode.ROUTE_REFRESH);
      break;
    case 'extended-next-hop': // RFC 8950 3: NLRI AFI (2), NLRI SAFI (2), Nexthop AFI (2)
      lenAt = head(CapCode.EXTENDED_NEXT_HOP);
      for (const e of cap.entries) w.u16(e.afi).u16(e.safi).u16(e.nextHopAfi);
      break;
    case 'extended-message':
      lenAt = head(CapCode.EXTENDED_MESSAGE);
      break;
    case 'graceful-restart': // RFC 4724 3
      lenAt = head(CapCode.GRACEFUL_RESTART);
      w.u16((cap.restarting ? GR_RESTART_STATE : 0) | (cap.notification ? GR_NOTIFICATION : 0) | (cap.restartTimeSec & 0x0fff));
      for (const f of cap.families) w.u16(f.afi).u8(f.safi).u8(f.forwardingPreserved ? GR_FORWARDING : 0);
      break;
    case 'as4': // RFC 6793 9
      lenAt = head(CapCode.AS4);
      w.u32(cap.asn);
      break;
    case 'add-path': // RFC 7911 4: AFI (2), SAFI (1), Send/Receive (1)
      lenAt = head(CapCode.ADD_PATH);
      for (const f of cap.families) w.u16(f.afi).u8(f.safi).u8(f.sendReceive);
      break;
    case 'enhanced-route-refresh':
      lenAt = head(CapCode.ENHANCED_ROUTE_REFRESH);
      break;
    case 'unknown':
      lenAt = head(cap.code);
      w.bytes(cap.value);
      break;
    default:
      assertNever(cap);
  }
  const len = w.offset - start - 2;
  if (len > 255) throw new RangeError(`capability ${cap.kind} value is ${len} bytes (max 255)`);
  w.patchU8(lenAt, len);
}

/** Capability TLVs back to back, as inside one Capabilities optional parameter. */
export function encodeCapabilities(caps: readonly Capability[]): Buffer {
  const w = new Writer(64);
  for (const c of caps) writeCapability(w, c);
  return Buffer.from(w.finish());
}

// A small BGP encoder for the capture script, written from the RFCs and independent of src/codec.
// It serves two checks on every vector:
//   faithful:  decoded form + the sender's attribute order and flags -> must give back the captured
//              bytes exactly, or the tshark-to-JSON conversion lost something (the script fails);
//   canonical: decoded form in wren's canonical layout (MP_REACH/MP_UNREACH first, then ascending
//              type codes, well-known flags, Extended Length only for values over 255 bytes) ->
//              equal to the capture means reencode "exact", otherwise "semantic".

/** RFC 4271 4.3 and later RFCs: the flags each known attribute is sent with (without Extended Length). */
export const CANONICAL_FLAGS = {
  1: 0x40, 2: 0x40, 3: 0x40, 4: 0x80, 5: 0x40, 6: 0x40, 7: 0xc0, 8: 0xc0,
  9: 0x80, 10: 0x80, 14: 0x80, 15: 0x80, 16: 0xc0, 17: 0xc0, 18: 0xc0, 32: 0xc0,
};
const EXTENDED_LENGTH = 0x10;

const u8 = (n) => Buffer.from([n]);
const u16 = (n) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };
const hexBuf = (h) => Buffer.from(h.hex, 'hex');

export function ipv4Bytes(s) {
  const parts = s.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad IPv4 ${s}`);
  return Buffer.from(parts);
}

export function ipv6Bytes(s) {
  // An embedded IPv4 tail (::ffff:10.0.0.1, RFC 4291 2.2 form 3) becomes two hex words first.
  const str = s.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a, b, c, d) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`);
  const halves = str.split('::');
  if (halves.length > 2) throw new Error(`bad IPv6 ${s}`);
  const words = (x) => (x === '' ? [] : x.split(':').map((w) => parseInt(w, 16)));
  const h = words(halves[0]);
  const r = halves.length === 2 ? words(halves[1]) : [];
  const fill = 8 - h.length - r.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0) || [...h, ...r].some((w) => !(w >= 0 && w <= 0xffff))) throw new Error(`bad IPv6 ${s}`);
  const b = Buffer.alloc(16);
  [...h, ...new Array(fill).fill(0), ...r].forEach((w, i) => b.writeUInt16BE(w, i * 2));
  return b;
}

/** RFC 4271 4.3 / RFC 4760 5: length in bits, then the significant octets. */
export function prefixBytes(p) {
  const [addr, lenStr] = p.split('/');
  const len = Number(lenStr);
  const full = addr.includes(':') ? ipv6Bytes(addr) : ipv4Bytes(addr);
  return Buffer.concat([u8(len), full.subarray(0, Math.ceil(len / 8))]);
}

const SEG = { set: 1, sequence: 2, 'confed-sequence': 3, 'confed-set': 4 };

function asPathBytes(path, four) {
  return Buffer.concat(path.map((s) => Buffer.concat([u8(SEG[s.type]), u8(s.asns.length), ...s.asns.map((a) => (four ? u32(a) : u16(a)))])));
}

/** The value of each attribute present in `attrs`, keyed by type code. */
function attrValues(attrs, ctx) {
  const v = new Map();
  if (attrs.origin !== undefined) v.set(1, u8(attrs.origin));
  if (attrs.asPath !== undefined) v.set(2, asPathBytes(attrs.asPath, ctx.as4));
  if (attrs.nextHop !== undefined) v.set(3, ipv4Bytes(attrs.nextHop));
  if (attrs.med !== undefined) v.set(4, u32(attrs.med));
  if (attrs.localPref !== undefined) v.set(5, u32(attrs.localPref));
  if (attrs.atomicAggregate) v.set(6, Buffer.alloc(0));
  if (attrs.aggregator !== undefined) v.set(7, Buffer.concat([ctx.as4 ? u32(attrs.aggregator.asn) : u16(attrs.aggregator.asn), ipv4Bytes(attrs.aggregator.address)]));
  if (attrs.communities !== undefined) v.set(8, Buffer.concat(attrs.communities.map(u32)));
  if (attrs.originatorId !== undefined) v.set(9, ipv4Bytes(attrs.originatorId));
  if (attrs.clusterList !== undefined) v.set(10, Buffer.concat(attrs.clusterList.map(ipv4Bytes)));
  if (attrs.mpReach !== undefined) {
    const m = attrs.mpReach;
    const nh = Buffer.concat(m.nextHops.map((a) => (a.includes(':') ? ipv6Bytes(a) : ipv4Bytes(a))));
    v.set(14, Buffer.concat([u16(m.afi), u8(m.safi), u8(nh.length), nh, u8(0), ...m.nlri.map(prefixBytes)]));
  }
  if (attrs.mpUnreach !== undefined) {
    const m = attrs.mpUnreach;
    v.set(15, Buffer.concat([u16(m.afi), u8(m.safi), ...m.withdrawn.map(prefixBytes)]));
  }
  if (attrs.extCommunities !== undefined) v.set(16, Buffer.concat(attrs.extCommunities.map(hexBuf)));
  if (attrs.as4Path !== undefined) v.set(17, asPathBytes(attrs.as4Path, true));
  if (attrs.as4Aggregator !== undefined) v.set(18, Buffer.concat([u32(attrs.as4Aggregator.asn), ipv4Bytes(attrs.as4Aggregator.address)]));
  if (attrs.largeCommunities !== undefined) {
    v.set(32, Buffer.concat(attrs.largeCommunities.map((l) => Buffer.concat([u32(l.global), u32(l.local1), u32(l.local2)]))));
  }
  for (const u of attrs.unknown ?? []) v.set(u.type, hexBuf(u.value));
  return v;
}

function attrBytes(flags, type, value) {
  const ext = (flags & EXTENDED_LENGTH) !== 0;
  return Buffer.concat([u8(flags), u8(type), ext ? u16(value.length) : u8(value.length), value]);
}

/**
 * The canonical layout of an attribute set: MP_REACH_NLRI, MP_UNREACH_NLRI, then ascending type
 * codes; known attributes with their RFC flags, unknown ones with the flags they came with;
 * Extended Length only when the value exceeds 255 bytes.
 */
export function canonicalLayout(attrs, ctx) {
  const values = attrValues(attrs, ctx);
  const unknownFlags = new Map((attrs.unknown ?? []).map((u) => [u.type, u.flags & ~EXTENDED_LENGTH]));
  const order = [...values.keys()].sort((a, b) => (a === 14 ? -1 : b === 14 ? 1 : a === 15 ? -1 : b === 15 ? 1 : a - b));
  return order.map((type) => {
    const base = CANONICAL_FLAGS[type] ?? unknownFlags.get(type) ?? 0xc0;
    return { type, flags: values.get(type).length > 255 ? base | EXTENDED_LENGTH : base };
  });
}

function body(msg, ctx, layout) {
  switch (msg.kind) {
    case 'open': {
      const params = msg.params.map((p) => {
        const value = p.type === 2 ? Buffer.concat(p.capabilities.map(capabilityBytes)) : hexBuf(p.value);
        return Buffer.concat([u8(p.type), u8(value.length), value]);
      });
      const opt = Buffer.concat(params);
      return Buffer.concat([u8(msg.version), u16(msg.myAs), u16(msg.holdTime), ipv4Bytes(msg.bgpId), u8(opt.length), opt]);
    }
    case 'update': {
      const withdrawn = Buffer.concat(msg.withdrawn.map(prefixBytes));
      let attrs = Buffer.alloc(0);
      if (msg.attrs !== null) {
        const values = attrValues(msg.attrs, ctx);
        const lay = layout ?? canonicalLayout(msg.attrs, ctx);
        if (lay.length !== values.size || lay.some((l) => !values.has(l.type))) throw new Error('layout does not match the attributes');
        attrs = Buffer.concat(lay.map((l) => attrBytes(l.flags, l.type, values.get(l.type))));
      }
      return Buffer.concat([u16(withdrawn.length), withdrawn, u16(attrs.length), attrs, ...msg.nlri.map(prefixBytes)]);
    }
    case 'notification': {
      if (msg.shutdownCommunication === undefined) return Buffer.concat([u8(msg.code), u8(msg.subcode), hexBuf(msg.data)]);
      const text = Buffer.from(msg.shutdownCommunication, 'utf8');
      return Buffer.concat([u8(msg.code), u8(msg.subcode), u8(text.length), text]);
    }
    case 'keepalive':
      return Buffer.alloc(0);
    case 'route-refresh':
      return Buffer.concat([u16(msg.afi), u8(msg.subtype), u8(msg.safi)]);
    default:
      throw new Error(`unknown kind ${msg.kind}`);
  }
}

function capabilityBytes(c) {
  const tlv = (code, value) => Buffer.concat([u8(code), u8(value.length), value]);
  switch (c.kind) {
    case 'multiprotocol':
      return tlv(1, Buffer.concat([u16(c.afi), u8(0), u8(c.safi)]));
    case 'route-refresh':
      return tlv(2, Buffer.alloc(0));
    case 'extended-next-hop':
      return tlv(5, Buffer.concat(c.entries.map((e) => Buffer.concat([u16(e.afi), u16(e.safi), u16(e.nextHopAfi)]))));
    case 'extended-message':
      return tlv(6, Buffer.alloc(0));
    case 'graceful-restart': {
      const head = u16((c.restarting ? 0x8000 : 0) | (c.notification ? 0x4000 : 0) | c.restartTimeSec);
      const fams = c.families.map((f) => Buffer.concat([u16(f.afi), u8(f.safi), u8(f.forwardingPreserved ? 0x80 : 0)]));
      return tlv(64, Buffer.concat([head, ...fams]));
    }
    case 'as4':
      return tlv(65, u32(c.asn));
    case 'add-path':
      return tlv(69, Buffer.concat(c.families.map((f) => Buffer.concat([u16(f.afi), u8(f.safi), u8(f.sendReceive)]))));
    case 'enhanced-route-refresh':
      return tlv(70, Buffer.alloc(0));
    case 'unknown':
      return tlv(c.code, hexBuf(c.value));
    default:
      throw new Error(`unknown capability ${c.kind}`);
  }
}

const TYPE = { open: 1, update: 2, notification: 3, keepalive: 4, 'route-refresh': 5 };

/** Encodes a decoded message; `layout` (UPDATE only) fixes attribute order and flags, else canonical. */
export function encodeMessage(msg, ctx, layout) {
  const b = body(msg, ctx, layout);
  return Buffer.concat([Buffer.alloc(16, 0xff), u16(19 + b.length), u8(TYPE[msg.kind]), b]);
}

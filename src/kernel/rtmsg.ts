/**
 * Hand encoding and decoding of rtnetlink route messages (the payload after struct nlmsghdr):
 * struct rtmsg (12 bytes) followed by route attributes (struct rtattr: len u16, type u16, value,
 * padded to 4). RTA_MULTIPATH holds struct rtnexthop records (len u16, flags u8, hops u8, ifindex i32)
 * each followed by its own attributes (RTA_GATEWAY). Layouts from include/uapi/linux/rtnetlink.h.
 * Pure functions: the adapter sends the bytes with the `netlink` package, the tests check them.
 * Netlink is host byte order; wren targets little-endian linux-x64/arm64, and the helpers follow
 * os.endianness() anyway.
 */
import { endianness } from 'node:os';
import { clearHostBits, familyOfText, formatAddress, parseAddress, parsePrefix4, parsePrefix6, type IpAddress, type IpFamily } from '../util/inet.js';
import type { PackedBatchBuilder } from './packed-batch.js';
import type { KernelNextHop, KernelRoute, KernelRouteKey } from './port.js';

export const RTM = { NEWROUTE: 24, DELROUTE: 25, GETROUTE: 26 } as const;
export const NLM_F = { REPLACE: 0x100, EXCL: 0x200, CREATE: 0x400, DUMP: 0x300 } as const;
export const AF = { INET: 2, INET6: 10 } as const;
export const RTA = { DST: 1, OIF: 4, GATEWAY: 5, PRIORITY: 6, MULTIPATH: 9, TABLE: 15, VIA: 18 } as const;
export const RTN = { UNICAST: 1, BLACKHOLE: 6 } as const;
export const RT_SCOPE = { UNIVERSE: 0, LINK: 253, NOWHERE: 255 } as const;
export const RT_TABLE = { UNSPEC: 0, MAIN: 254 } as const;
export const RTNH_F_ONLINK = 4;
export const RTMSG_LEN = 12;
export const RTNH_LEN = 8;

const LE = endianness() === 'LE';
const u16 = (b: Buffer, v: number, at: number): number => (LE ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
const u32 = (b: Buffer, v: number, at: number): number => (LE ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
const i32 = (b: Buffer, v: number, at: number): number => (LE ? b.writeInt32LE(v, at) : b.writeInt32BE(v, at));
const r16 = (b: Buffer, at: number): number => (LE ? b.readUInt16LE(at) : b.readUInt16BE(at));
const r32 = (b: Buffer, at: number): number => (LE ? b.readUInt32LE(at) : b.readUInt32BE(at));
const ri32 = (b: Buffer, at: number): number => (LE ? b.readInt32LE(at) : b.readInt32BE(at));

const align4 = (n: number): number => (n + 3) & ~3;

/** One rtattr: header, value, zero padding to 4 bytes. */
export function encodeAttr(type: number, value: Uint8Array): Buffer {
  const out = Buffer.alloc(align4(4 + value.length));
  u16(out, 4 + value.length, 0);
  u16(out, type, 2);
  out.set(value, 4);
  return out;
}

const attrU32 = (type: number, v: number): Buffer => {
  const b = Buffer.alloc(4);
  u32(b, v >>> 0, 0);
  return encodeAttr(type, b);
};

interface RtmsgFields {
  readonly family: number;
  readonly dstLen: number;
  readonly table: number;
  readonly protocol: number;
  readonly scope: number;
  readonly type: number;
  readonly flags: number;
}

export function encodeRtmsg(f: RtmsgFields): Buffer {
  const b = Buffer.alloc(RTMSG_LEN);
  b[0] = f.family;
  b[1] = f.dstLen;
  b[2] = 0; // src_len
  b[3] = 0; // tos
  b[4] = f.table < 256 ? f.table : RT_TABLE.UNSPEC; // ids > 255 only fit RTA_TABLE
  b[5] = f.protocol;
  b[6] = f.scope;
  b[7] = f.type;
  u32(b, f.flags, 8);
  return b;
}

const familyCode = (f: IpFamily): number => (f === 4 ? AF.INET : AF.INET6);

/** Route and next hop text is ours (canonical, from the RIB or the kernel): anything else is a bug. */
function addressOf(text: string): IpAddress {
  const a = parseAddress(text);
  if (a === null) throw new TypeError(`not an IP address: ${JSON.stringify(text)}`);
  return a;
}

/**
 * The gateway attribute: RTA_GATEWAY when the gateway has the route's family, else RTA_VIA
 * (struct rtvia: u16 family + address), which is how an IPv4 route gets an IPv6 next hop (RFC 8950,
 * `ip route add 10.0.0.0/24 via inet6 fd00::1`).
 */
export function gatewayAttr(routeFamily: IpFamily, via: string): Buffer {
  const gw = addressOf(via);
  if (gw.family === routeFamily) return encodeAttr(RTA.GATEWAY, gw.bytes);
  const v = Buffer.alloc(2 + gw.bytes.length);
  u16(v, familyCode(gw.family), 0);
  v.set(gw.bytes, 2);
  return encodeAttr(RTA.VIA, v);
}

/** RTA_VIA value -> address text. */
function decodeVia(v: Buffer): string | undefined {
  if (v.length < 2) return undefined;
  const fam = r16(v, 0);
  const addr = v.subarray(2);
  if ((fam === AF.INET && addr.length === 4) || (fam === AF.INET6 && addr.length === 16)) return formatAddress(addr);
  return undefined;
}

/**
 * RTA_MULTIPATH value: one rtnexthop per hop (len, flags, hops = weight - 1, ifindex) followed by
 * its RTA_GATEWAY. ifindex 0 lets the kernel resolve the device from the gateway.
 */
export function encodeMultipath(hops: readonly KernelNextHop[], routeFamily?: IpFamily): Buffer {
  const parts = hops.map((h) => {
    const gw = gatewayAttr(routeFamily ?? familyOfText(h.via), h.via);
    const rec = Buffer.alloc(RTNH_LEN);
    u16(rec, RTNH_LEN + gw.length, 0);
    rec[2] = h.onlink ? RTNH_F_ONLINK : 0;
    rec[3] = Math.max(0, Math.min(255, (h.weight ?? 1) - 1));
    i32(rec, h.ifindex ?? 0, 4);
    return Buffer.concat([rec, gw]);
  });
  return Buffer.concat(parts);
}

/**
 * A next hop as a route message carries it: the gateway's address bytes (4 or 16), the device's
 * ifindex when known, RTNH_F_ONLINK, the ECMP weight (1..256).
 */
export interface HopBytes {
  readonly gateway: Uint8Array;
  readonly ifindex: number | undefined;
  readonly onlink: boolean;
  readonly weight: number;
}

/** A next hop of a route as HopBytes (its own ifindex, if any). */
export function hopBytes(h: KernelNextHop): HopBytes {
  return { gateway: addressOf(h.via).bytes, ifindex: h.ifindex, onlink: h.onlink === true, weight: h.weight ?? 1 };
}

/** The prefix of the message being written: parsed without allocation (encoding is single-threaded). */
const dst = { family: 4 as IpFamily, len: 0, bytes: new Uint8Array(16) };

/** The destination of the next message written: a prefix's text (host bits cleared). */
export function setDstPrefix(text: string): void {
  if (text.includes(':')) {
    const len = parsePrefix6(text, dst.bytes, 0);
    if (len < 0) throw new TypeError(`not an IP prefix: ${JSON.stringify(text)}`);
    clearHostBits(dst.bytes, len);
    dst.family = 6;
    dst.len = len;
    return;
  }
  const p = parsePrefix4(text);
  if (p < 0) throw new TypeError(`not an IP prefix: ${JSON.stringify(text)}`);
  const len = p % 64;
  const addr = len === 0 ? 0 : (Math.floor(p / 64) & (0xffffffff << (32 - len))) >>> 0;
  setDstV4(addr * 64 + len);
}

/** The destination of the next message written: an IPv4 prefix as address * 64 + length, host bits clear (no text read). */
export function setDstV4(packed: number): void {
  const len = packed % 64;
  const addr = Math.floor(packed / 64) >>> 0;
  dst.family = 4;
  dst.len = len;
  dst.bytes[0] = addr >>> 24;
  dst.bytes[1] = (addr >>> 16) & 0xff;
  dst.bytes[2] = (addr >>> 8) & 0xff;
  dst.bytes[3] = addr & 0xff;
}

/** Bytes of the gateway attribute: RTA_GATEWAY of the route's family, else RTA_VIA (family + address). */
const gatewayAttrLen = (routeFamily: IpFamily, gw: Uint8Array): number => align4(4 + (gw.length === (routeFamily === 4 ? 4 : 16) ? 0 : 2) + gw.length);

/** Writes one rtattr header and returns the offset of its value. */
function attrHead(b: Buffer, at: number, type: number, valueLen: number): number {
  u16(b, 4 + valueLen, at);
  u16(b, type, at + 2);
  return at + 4;
}

function writeGateway(b: Buffer, at: number, routeFamily: IpFamily, gw: Uint8Array): number {
  if (gw.length === (routeFamily === 4 ? 4 : 16)) {
    b.set(gw, attrHead(b, at, RTA.GATEWAY, gw.length));
  } else {
    const v = attrHead(b, at, RTA.VIA, 2 + gw.length);
    u16(b, gw.length === 4 ? AF.INET : AF.INET6, v);
    b.set(gw, v + 2);
  }
  return at + gatewayAttrLen(routeFamily, gw);
}

function writeU32Attr(b: Buffer, at: number, type: number, v: number): number {
  u32(b, v >>> 0, attrHead(b, at, type, 4));
  return at + 8;
}

/**
 * The message header (at `start`, `len` bytes in all), rtmsg and the key attributes (table,
 * destination, priority); returns the offset after them. Every byte up to there is written.
 */
function writeHeadAndKey(b: Buffer, start: number, len: number, type: number, flags: number, seq: number, family: number, table: number, protocol: number, scope: number, rtype: number, rtFlags: number, metric: number): number {
  u32(b, len, start);
  u16(b, type, start + 4);
  u16(b, flags | NLM_F_REQUEST | NLM_F_ACK, start + 6);
  u32(b, seq, start + 8);
  u32(b, 0, start + 12);
  let at = start + NLMSG_HDRLEN;
  b[at] = family;
  b[at + 1] = dst.len;
  b[at + 2] = 0; // src_len
  b[at + 3] = 0; // tos
  b[at + 4] = table < 256 ? table : RT_TABLE.UNSPEC; // ids > 255 only fit RTA_TABLE
  b[at + 5] = protocol;
  b[at + 6] = scope;
  b[at + 7] = rtype;
  u32(b, rtFlags, at + 8);
  at += RTMSG_LEN;
  at = writeU32Attr(b, at, RTA.TABLE, table);
  const plen = dst.family === 4 ? 4 : 16;
  const v = attrHead(b, at, RTA.DST, plen);
  for (let i = 0; i < plen; i++) b[v + i] = dst.bytes[i] as number;
  at += 4 + plen;
  return writeU32Attr(b, at, RTA.PRIORITY, metric);
}

/** Length of the key part: nlmsghdr, rtmsg, RTA_TABLE, RTA_DST, RTA_PRIORITY. */
const keyPartLen = (): number => NLMSG_HDRLEN + RTMSG_LEN + 8 + 4 + (dst.family === 4 ? 4 : 16) + 8;

/** Bytes of the RTM_NEWROUTE message of a route with these next hops, the destination set (setDst*). */
function newRouteMsgLen(blackhole: boolean, hops: readonly HopBytes[]): number {
  const family = dst.family;
  let len = keyPartLen();
  const single = !blackhole && hops.length === 1 ? hops[0] : undefined;
  if (single) len += gatewayAttrLen(family, single.gateway) + (single.ifindex !== undefined ? 8 : 0);
  else if (!blackhole) {
    len += 4;
    for (const h of hops) len += RTNH_LEN + gatewayAttrLen(family, h.gateway);
  }
  return len;
}

/**
 * A whole RTM_NEWROUTE message (nlmsghdr with NLM_F_REQUEST|NLM_F_ACK and `flags`, then the payload),
 * measured first and written into one buffer. `hops` are the route's next hops as bytes, in its
 * order (ignored for a blackhole). Single next hop: RTA_GATEWAY (+ RTA_OIF, + RTNH_F_ONLINK in
 * rtm_flags); several: RTA_MULTIPATH. Throws on a unicast route without next hops.
 */
export function encodeNewRouteMsg(seq: number, flags: number, route: KernelRoute, hops: readonly HopBytes[]): Buffer {
  setDstPrefix(route.prefix);
  checkHops(route, hops);
  const b = Buffer.alloc(newRouteMsgLen(route.type === 'blackhole', hops));
  writeNewRoute(b, 0, b.length, seq, flags, route, hops);
  return b;
}

/**
 * encodeNewRouteMsg into a packed batch (packed-batch.ts), the destination given by setDst*
 * beforehand: nothing allocated per message. Returns the message's length.
 */
export function writeNewRouteMsg(into: PackedBatchBuilder, seq: number, flags: number, route: KernelRoute, hops: readonly HopBytes[]): number {
  checkHops(route, hops);
  const len = newRouteMsgLen(route.type === 'blackhole', hops);
  const at = into.reserve(len);
  writeNewRoute(into.buffer, at, len, seq, flags, route, hops);
  into.push(seq, len);
  return len;
}

function checkHops(route: KernelRoute, hops: readonly HopBytes[]): void {
  if (route.type !== 'blackhole' && hops.length === 0) throw new Error(`unicast route ${route.prefix} without next hops`);
}

function writeNewRoute(b: Buffer, start: number, len: number, seq: number, flags: number, route: KernelRoute, hops: readonly HopBytes[]): void {
  const family = dst.family;
  const blackhole = route.type === 'blackhole';
  const single = !blackhole && hops.length === 1 ? hops[0] : undefined;
  let at = writeHeadAndKey(b, start, len, RTM.NEWROUTE, flags, seq, familyCode(family), route.table, route.protocol, RT_SCOPE.UNIVERSE, blackhole ? RTN.BLACKHOLE : RTN.UNICAST, single?.onlink ? RTNH_F_ONLINK : 0, route.metric);
  if (single) {
    at = writeGateway(b, at, family, single.gateway);
    if (single.ifindex !== undefined) writeU32Attr(b, at, RTA.OIF, single.ifindex);
  } else if (!blackhole) {
    const mp = at;
    at += 4;
    for (const h of hops) {
      const rec = at;
      at = writeGateway(b, at + RTNH_LEN, family, h.gateway);
      u16(b, at - rec, rec);
      b[rec + 2] = h.onlink ? RTNH_F_ONLINK : 0;
      b[rec + 3] = Math.max(0, Math.min(255, h.weight - 1));
      i32(b, h.ifindex ?? 0, rec + 4);
    }
    attrHead(b, mp, RTA.MULTIPATH, at - mp - 4);
  }
}

/**
 * A whole RTM_DELROUTE message: prefix, table, metric and protocol; scope NOWHERE and type UNSPEC
 * as `ip route del` sends them, so the kernel matches any type and scope but only our protocol.
 */
export function encodeDelRouteMsg(seq: number, key: KernelRouteKey): Buffer {
  setDstPrefix(key.prefix);
  const b = Buffer.alloc(keyPartLen());
  writeHeadAndKey(b, 0, b.length, RTM.DELROUTE, 0, seq, familyCode(dst.family), key.table, key.protocol, RT_SCOPE.NOWHERE, 0, 0, key.metric);
  return b;
}

/** encodeDelRouteMsg into a packed batch, the destination given by setDst* beforehand. Returns the message's length. */
export function writeDelRouteMsg(into: PackedBatchBuilder, seq: number, key: KernelRouteKey): number {
  const len = keyPartLen();
  const at = into.reserve(len);
  writeHeadAndKey(into.buffer, at, len, RTM.DELROUTE, 0, seq, familyCode(dst.family), key.table, key.protocol, RT_SCOPE.NOWHERE, 0, 0, key.metric);
  into.push(seq, len);
  return len;
}

/** RTM_NEWROUTE payload (encodeNewRouteMsg without the header) for a route whose next hops carry `ifindex` where one is known. */
export function encodeNewRoute(route: KernelRoute): Buffer {
  return encodeNewRouteMsg(0, 0, route, route.type === 'blackhole' ? [] : route.nextHops.map(hopBytes)).subarray(NLMSG_HDRLEN);
}

/** RTM_DELROUTE payload (encodeDelRouteMsg without the header). */
export function encodeDelRoute(key: KernelRouteKey): Buffer {
  return encodeDelRouteMsg(0, key).subarray(NLMSG_HDRLEN);
}

/** RTM_GETROUTE for one address (not a dump): "which route would the kernel use to reach it". */
export function encodeRouteLookup(address: string): Buffer {
  const a = addressOf(address);
  const head = encodeRtmsg({ family: familyCode(a.family), dstLen: a.family === 4 ? 32 : 128, table: 0, protocol: 0, scope: 0, type: 0, flags: 0 });
  return Buffer.concat([head, encodeAttr(RTA.DST, a.bytes)]);
}

/** RTM_GETROUTE dump request for one family (0 = both). */
export function encodeDumpRequest(family: number): Buffer {
  return encodeRtmsg({ family, dstLen: 0, table: 0, protocol: 0, scope: 0, type: 0, flags: 0 });
}

/** Walks an attribute block; returns type -> value views (last one wins). */
export function decodeAttrs(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let at = 0;
  while (at + 4 <= buf.length) {
    const len = r16(buf, at);
    if (len < 4 || at + len > buf.length) break;
    out.set(r16(buf, at + 2) & 0x3fff, buf.subarray(at + 4, at + len));
    at += align4(len);
  }
  return out;
}

export interface DecodedNextHop {
  readonly via: string | undefined;
  readonly ifindex: number;
  readonly flags: number;
  readonly weight: number;
}

export function decodeMultipath(buf: Buffer): DecodedNextHop[] {
  const out: DecodedNextHop[] = [];
  let at = 0;
  while (at + RTNH_LEN <= buf.length) {
    const len = r16(buf, at);
    if (len < RTNH_LEN || at + len > buf.length) break;
    const inner = decodeAttrs(buf.subarray(at + RTNH_LEN, at + len));
    const gw = inner.get(RTA.GATEWAY);
    const via = inner.get(RTA.VIA);
    out.push({
      via: gw ? formatAddress(gw) : via ? decodeVia(via) : undefined,
      flags: buf[at + 2] ?? 0,
      weight: (buf[at + 3] ?? 0) + 1,
      ifindex: ri32(buf, at + 4),
    });
    at += align4(len);
  }
  return out;
}

export interface DecodedRoute {
  readonly family: number;
  readonly dstLen: number;
  readonly table: number;
  readonly protocol: number;
  readonly scope: number;
  readonly type: number;
  readonly flags: number;
  readonly prefix: string;
  readonly metric: number;
  readonly nextHops: readonly DecodedNextHop[];
}

/** Decodes an RTM_NEWROUTE/DELROUTE payload. Returns null for families other than IPv4/IPv6. */
export function decodeRoute(data: Buffer): DecodedRoute | null {
  if (data.length < RTMSG_LEN) return null;
  const family = data[0] ?? 0;
  if (family !== AF.INET && family !== AF.INET6) return null;
  const dstLen = data[1] ?? 0;
  const flags = r32(data, 8);
  const attrs = decodeAttrs(data.subarray(RTMSG_LEN));
  const dst = attrs.get(RTA.DST) ?? Buffer.alloc(family === AF.INET ? 4 : 16);
  const tableAttr = attrs.get(RTA.TABLE);
  const prio = attrs.get(RTA.PRIORITY);
  const gwAttr = attrs.get(RTA.GATEWAY);
  const viaAttr = attrs.get(RTA.VIA);
  const gwText = gwAttr ? formatAddress(gwAttr) : viaAttr ? decodeVia(viaAttr) : undefined;
  const oif = attrs.get(RTA.OIF);
  const mp = attrs.get(RTA.MULTIPATH);
  let nextHops: DecodedNextHop[] = [];
  if (mp) nextHops = decodeMultipath(mp);
  else if (gwText !== undefined || oif)
    nextHops = [{ via: gwText, ifindex: oif ? ri32(oif, 0) : 0, flags: flags & 0xff, weight: 1 }];
  return {
    family,
    dstLen,
    table: tableAttr ? r32(tableAttr, 0) : (data[4] ?? 0),
    protocol: data[5] ?? 0,
    scope: data[6] ?? 0,
    type: data[7] ?? 0,
    flags,
    prefix: `${formatAddress(dst)}/${dstLen}`,
    metric: prio ? r32(prio, 0) : 0,
    nextHops,
  };
}

/**
 * A decoded route as a KernelRoute, or null when it is neither a gateway route nor a blackhole
 * (connected, local, multicast routes: never ours, and not representable).
 */
export function toKernelRouteFromDecoded(d: DecodedRoute, names: ReadonlyMap<number, string>): KernelRoute | null {
  const base = { prefix: d.prefix, table: d.table, protocol: d.protocol, metric: d.metric };
  if (d.type === RTN.BLACKHOLE) return { ...base, type: 'blackhole', nextHops: [] };
  if (d.type !== RTN.UNICAST || d.nextHops.length === 0) return null;
  const hops: KernelNextHop[] = [];
  for (const h of d.nextHops) {
    if (h.via === undefined) return null;
    const dev = names.get(h.ifindex);
    hops.push({
      via: h.via,
      ...(dev !== undefined ? { dev } : {}),
      ...(h.ifindex ? { ifindex: h.ifindex } : {}),
      ...((h.flags & RTNH_F_ONLINK) !== 0 ? { onlink: true } : {}),
      ...(h.weight !== 1 ? { weight: h.weight } : {}),
    });
  }
  return { ...base, type: 'unicast', nextHops: hops };
}

/** struct nlmsghdr (16 bytes): len u32, type u16, flags u16, seq u32, pid u32. */
export const NLMSG_HDRLEN = 16;
export const NLMSG_ERROR = 2;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;

/**
 * One whole netlink message (header + payload, padded to 4). Without `ack` the kernel answers only
 * on failure (an NLMSG_ERROR with the errno); with it, always.
 */
export function encodeNlmsg(type: number, flags: number, seq: number, payload: Buffer, ack = true): Buffer {
  const len = NLMSG_HDRLEN + payload.length;
  const out = Buffer.alloc(align4(len));
  u32(out, len, 0);
  u16(out, type, 4);
  u16(out, flags | NLM_F_REQUEST | (ack ? NLM_F_ACK : 0), 6);
  u32(out, seq, 8);
  u32(out, 0, 12);
  payload.copy(out, NLMSG_HDRLEN);
  return out;
}

/** Sets or clears NLM_F_ACK in the message at `at` of a buffer. */
export function setNlmsgAckAt(b: Buffer, at: number, ack: boolean): void {
  const flags = r16(b, at + 6);
  u16(b, ack ? flags | NLM_F_ACK : flags & ~NLM_F_ACK, at + 6);
}

/** The sequence number of an encoded message. */
export const nlmsgSeq = (msg: Buffer): number => r32(msg, 8);

/** The ACKs / errors in one received datagram: seq and errno (0 = success; positive errno number). */
export function decodeAcks(buf: Buffer): { seq: number; errno: number }[] {
  const out: { seq: number; errno: number }[] = [];
  let at = 0;
  while (at + NLMSG_HDRLEN <= buf.length) {
    const len = r32(buf, at);
    if (len < NLMSG_HDRLEN || at + len > buf.length) break;
    if (r16(buf, at + 4) === NLMSG_ERROR && len >= NLMSG_HDRLEN + 4) {
      out.push({ seq: r32(buf, at + 8), errno: -ri32(buf, at + NLMSG_HDRLEN) });
    }
    at += align4(len);
  }
  return out;
}

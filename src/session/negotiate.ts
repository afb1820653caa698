/**
 * OPEN: what we send, and whether we accept what the peer sent (RFC 4271 6.2, RFC 5492, RFC 6793,
 * RFC 6286, RFC 4724, RFC 8654, RFC 2918, RFC 7313, RFC 8950). Pure functions.
 *
 * The capability intersection becomes the session's CodecContext and the negotiated timers.
 */
import { AS_TRANS, BGP_VERSION, ErrCode, OpenSub } from '../codec/constants.js';
import { BgpError } from '../codec/errors.js';
import { DEFAULT_CONTEXT, familyKey, type Capability, type CodecContext, type OpenMsg } from '../codec/types.js';
import { parseIPv4Range } from '../util/inet.js';
import { familyAfiSafi, familyOf, type Family } from './families.js';

export interface GracefulRestartLocal {
  /** Seconds the peer should keep our routes while we restart (RFC 4724 3, 12 bits). */
  readonly restartTimeSec: number;
  /** R bit: we are restarting (our process restarted and the FIB was kept). */
  readonly restarting: boolean;
  /** F bit per family: forwarding state (the kernel routes) was preserved across the restart. */
  readonly forwardingPreserved: boolean;
}

/** What this speaker offers on one session. */
export interface LocalOffer {
  /** Our AS on this session (the global AS or a per-peer localAs). */
  readonly asn: number;
  readonly routerId: string;
  /** Proposed hold time, 0 or >= 3 (RFC 4271 4.2). */
  readonly holdTimeSec: number;
  /** Configured keepalive interval; the negotiated one is at most a third of the hold time. */
  readonly keepaliveSec: number;
  readonly families: readonly Family[];
  /** Absent: the graceful restart capability is not sent. */
  readonly gracefulRestart?: GracefulRestartLocal;
  /** RFC 8950: offer IPv4 unicast NLRI with IPv6 next hops (used on IPv6 sessions). */
  readonly extendedNextHop?: boolean;
  /** RFC 7911: offer ADD-PATH in these families (of `families`). Absent or empty: no capability. */
  readonly addPath?: AddPathOffer;
}

/** What we offer of ADD-PATH (RFC 7911 4): receive and/or send path ids, in these families. */
export interface AddPathOffer {
  readonly receive: boolean;
  readonly send: boolean;
  readonly families: readonly Family[];
}

/** ADD-PATH as negotiated in one family: we receive path ids, we send them (RFC 7911 4). */
export interface AddPathFamily {
  readonly family: Family;
  readonly receive: boolean;
  readonly send: boolean;
}

/** What we expect of the peer (from configuration). */
export interface PeerExpectation {
  /** The configured peer AS. */
  readonly asn: number;
}

export interface PeerGracefulRestart {
  readonly restartTimeSec: number;
  readonly restarting: boolean;
  readonly notification: boolean;
  /** Families the peer keeps forwarding state for across its restart, with the F bit. */
  readonly families: readonly { readonly family: Family; readonly forwardingPreserved: boolean }[];
}

/** The outcome of a successful OPEN exchange. */
export interface Negotiated {
  readonly peerAs: number;
  readonly peerRouterId: string;
  /** 0 = no hold timer and no keepalives (RFC 4271 4.4). */
  readonly holdTimeSec: number;
  readonly keepaliveSec: number;
  readonly ctx: CodecContext;
  /** Families both sides announced (RFC 4760 8; IPv4 unicast implied when the peer sent no MP capability). */
  readonly families: readonly Family[];
  readonly routeRefresh: boolean;
  readonly enhancedRouteRefresh: boolean;
  /** RFC 8950, IPv4 unicast NLRI may carry an IPv6 next hop in both directions. */
  readonly extendedNextHopV4: boolean;
  /** Present when both sides sent the graceful restart capability (RFC 4724). */
  readonly gracefulRestart?: PeerGracefulRestart;
  /**
   * RFC 8538: both sides set the N bit: a NOTIFICATION (other than Cease / Hard Reset) ends the
   * session gracefully too, and an operator who wants routes flushed sends Hard Reset.
   */
  readonly gracefulNotification: boolean;
  /** RFC 7911 4: the families where path ids are received or sent (empty: ADD-PATH is not in use). */
  readonly addPath: readonly AddPathFamily[];
  /** Capability names both sides announced, for `show peers`. */
  readonly capabilities: readonly string[];
  /** Capability names only the peer sent (kept and ignored, RFC 5492 3). */
  readonly peerOnlyCapabilities: readonly string[];
}

/** Our OPEN: one Capabilities optional parameter holding every capability, as BIRD sends it. */
export function buildOpen(local: LocalOffer): OpenMsg {
  const caps: Capability[] = [];
  for (const f of local.families) caps.push({ kind: 'multiprotocol', ...familyAfiSafi(f) });
  caps.push({ kind: 'route-refresh' });
  // RFC 7313: our answers to a refresh come between BoRR and EoRR; a peer's EoRR purges (daemon/route-refresh.ts).
  caps.push({ kind: 'enhanced-route-refresh' });
  caps.push({ kind: 'extended-message' });
  if (local.extendedNextHop && local.families.includes('ipv4-unicast')) {
    caps.push({ kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] });
  }
  if (local.gracefulRestart) {
    const gr = local.gracefulRestart;
    caps.push({
      kind: 'graceful-restart',
      restarting: gr.restarting,
      // RFC 8538 2: N bit: graceful restart also applies to a NOTIFICATION other than Hard Reset.
      notification: true,
      restartTimeSec: Math.min(4095, Math.max(0, gr.restartTimeSec)),
      families: local.families.map((f) => ({ ...familyAfiSafi(f), forwardingPreserved: gr.forwardingPreserved })),
    });
  }
  caps.push({ kind: 'as4', asn: local.asn });
  const ap = offeredAddPath(local);
  if (ap.length > 0) {
    // RFC 7911 4: Send/Receive 1 = receive, 2 = send, 3 = both.
    const sr = ((local.addPath?.receive === true ? 1 : 0) | (local.addPath?.send === true ? 2 : 0)) as 1 | 2 | 3;
    caps.push({ kind: 'add-path', families: ap.map((f) => ({ ...familyAfiSafi(f), sendReceive: sr })) });
  }
  return {
    kind: 'open',
    version: BGP_VERSION,
    myAs: local.asn > 0xffff ? AS_TRANS : local.asn,
    holdTime: local.holdTimeSec,
    bgpId: local.routerId,
    params: [{ type: 2, capabilities: caps }],
  };
}

/** The families of the session our ADD-PATH capability lists (none when nothing is offered). */
function offeredAddPath(local: LocalOffer): Family[] {
  const a = local.addPath;
  if (a === undefined || (!a.receive && !a.send)) return [];
  return local.families.filter((f) => a.families.includes(f));
}

/**
 * RFC 7911 4: path ids are received in a family when we offered receive and the peer send, and
 * sent when we offered send and the peer receive. Only negotiated families count.
 */
function negotiateAddPath(local: LocalOffer, caps: readonly Capability[], families: readonly Family[]): AddPathFamily[] {
  const ours = offeredAddPath(local);
  if (ours.length === 0) return [];
  const peer = new Map<Family, number>();
  for (const c of caps) {
    if (c.kind !== 'add-path') continue;
    for (const e of c.families) {
      const f = familyOf(e.afi, e.safi);
      // RFC 7911 4 does not say what a family listed twice means: the last entry wins (as BIRD reads it).
      if (f !== undefined) peer.set(f, e.sendReceive);
    }
  }
  const out: AddPathFamily[] = [];
  for (const f of ours) {
    if (!families.includes(f)) continue;
    const sr = peer.get(f) ?? 0;
    const receive = local.addPath?.receive === true && (sr & 2) !== 0;
    const send = local.addPath?.send === true && (sr & 1) !== 0;
    if (receive || send) out.push({ family: f, receive, send });
  }
  return out;
}

/** Every capability in an OPEN, in wire order. */
export function capabilitiesOf(open: OpenMsg): Capability[] {
  const out: Capability[] = [];
  for (const p of open.params) if ('capabilities' in p) out.push(...p.capabilities);
  return out;
}

function capabilityName(c: Capability): string {
  switch (c.kind) {
    case 'multiprotocol':
      return familyOf(c.afi, c.safi) ?? `mp-${c.afi}/${c.safi}`;
    case 'unknown':
      return `capability-${c.code}`;
    default:
      return c.kind;
  }
}

/**
 * Checks the peer's OPEN against our offer and expectation (RFC 4271 6.2) and negotiates.
 * Throws BgpError with the NOTIFICATION RFC 4271 6.2 prescribes.
 */
export function negotiate(local: LocalOffer, expect: PeerExpectation, open: OpenMsg): Negotiated {
  // RFC 4271 6.2: "If the version number ... is not supported, then the Error Subcode MUST be set to
  // Unsupported Version Number. The Data field is a 2-octet unsigned integer, which indicates the
  // largest, locally-supported version number less than the version the remote BGP peer bid".
  if (open.version !== BGP_VERSION) {
    const data = Buffer.alloc(2);
    data.writeUInt16BE(BGP_VERSION, 0);
    throw new BgpError(ErrCode.OPEN_MESSAGE, OpenSub.UNSUPPORTED_VERSION_NUMBER, data, `unsupported version ${open.version}`);
  }
  const caps = capabilitiesOf(open);
  const as4 = caps.find((c): c is Extract<Capability, { kind: 'as4' }> => c.kind === 'as4');
  // RFC 6793 4.1: the 4-octet AS capability carries the real AS; My AS is AS_TRANS when it needs 4 octets.
  const peerAs = as4 ? as4.asn : open.myAs;
  if (peerAs !== expect.asn || (!as4 && open.myAs === AS_TRANS)) {
    throw new BgpError(ErrCode.OPEN_MESSAGE, OpenSub.BAD_PEER_AS, Buffer.alloc(0), `peer AS ${peerAs}, expected ${expect.asn}`);
  }
  // RFC 4271 6.2 / RFC 6286 2.2: the identifier must be non-zero; within one AS it must differ from ours.
  const peerId = parseIPv4Range(open.bgpId, 0, open.bgpId.length);
  if (peerId <= 0 || (peerAs === local.asn && open.bgpId === local.routerId)) {
    throw new BgpError(ErrCode.OPEN_MESSAGE, OpenSub.BAD_BGP_IDENTIFIER, Buffer.alloc(0), `bad BGP identifier ${open.bgpId}`);
  }
  // RFC 4271 6.2: "An implementation MUST reject Hold Time values of one or two seconds."
  if (open.holdTime === 1 || open.holdTime === 2) {
    throw new BgpError(ErrCode.OPEN_MESSAGE, OpenSub.UNACCEPTABLE_HOLD_TIME, Buffer.alloc(0), `hold time ${open.holdTime}`);
  }
  // RFC 4271 4.2: the hold time is the smaller of the two; keepalive at most a third of it.
  const holdTimeSec = Math.min(open.holdTime, local.holdTimeSec);
  const keepaliveSec = holdTimeSec === 0 ? 0 : Math.max(1, Math.min(local.keepaliveSec, Math.floor(holdTimeSec / 3)));

  const peerFamilies = new Set<Family>();
  let sawMp = false;
  for (const c of caps) {
    if (c.kind !== 'multiprotocol') continue;
    sawMp = true;
    const f = familyOf(c.afi, c.safi);
    if (f) peerFamilies.add(f);
  }
  // RFC 4760 8 / common practice: a speaker without MP capabilities carries IPv4 unicast only.
  if (!sawMp) peerFamilies.add('ipv4-unicast');
  const families = local.families.filter((f) => peerFamilies.has(f));

  const has = (kind: Capability['kind']): boolean => caps.some((c) => c.kind === kind);
  const extendedMessage = has('extended-message');
  const routeRefresh = has('route-refresh');
  const enhancedRouteRefresh = has('enhanced-route-refresh');
  const enh = caps.find((c): c is Extract<Capability, { kind: 'extended-next-hop' }> => c.kind === 'extended-next-hop');
  const extendedNextHopV4 =
    local.extendedNextHop === true && enh !== undefined && enh.entries.some((e) => e.afi === 1 && e.safi === 1 && e.nextHopAfi === 2);

  const grCap = caps.find((c): c is Extract<Capability, { kind: 'graceful-restart' }> => c.kind === 'graceful-restart');
  let gracefulRestart: PeerGracefulRestart | undefined;
  if (grCap && local.gracefulRestart) {
    gracefulRestart = {
      restartTimeSec: grCap.restartTimeSec,
      restarting: grCap.restarting,
      notification: grCap.notification,
      families: grCap.families.flatMap((g) => {
        const family = familyOf(g.afi, g.safi);
        return family ? [{ family, forwardingPreserved: g.forwardingPreserved }] : [];
      }),
    };
  }

  const addPath = negotiateAddPath(local, caps, families);
  const ctx: CodecContext = {
    ...DEFAULT_CONTEXT,
    as4: as4 !== undefined,
    extendedMessage,
    ...(addPath.length > 0 && {
      addPathRx: new Set(addPath.filter((a) => a.receive).map((a) => familyKey(familyAfiSafi(a.family).afi, familyAfiSafi(a.family).safi))),
      addPathTx: new Set(addPath.filter((a) => a.send).map((a) => familyKey(familyAfiSafi(a.family).afi, familyAfiSafi(a.family).safi))),
    }),
  };

  const ours = new Set<string>(['route-refresh', 'enhanced-route-refresh', 'extended-message', 'as4', ...local.families]);
  if (local.gracefulRestart) ours.add('graceful-restart');
  if (local.extendedNextHop) ours.add('extended-next-hop');
  if (offeredAddPath(local).length > 0) ours.add('add-path');
  const names = [...new Set(caps.map(capabilityName))];
  const capabilities = names.filter((n) => ours.has(n));
  const peerOnlyCapabilities = names.filter((n) => !ours.has(n));

  return {
    peerAs,
    peerRouterId: open.bgpId,
    holdTimeSec,
    keepaliveSec,
    ctx,
    families,
    routeRefresh,
    enhancedRouteRefresh,
    extendedNextHopV4,
    ...(gracefulRestart ? { gracefulRestart } : {}),
    gracefulNotification: gracefulRestart?.notification === true,
    addPath,
    capabilities,
    peerOnlyCapabilities,
  };
}

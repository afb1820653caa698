/**
 * Typed BGP messages: what the codec decodes bytes into and encodes from.
 * Plain readonly data with a `kind` tag. Addresses and prefixes are canonical strings
 * ("10.0.1.0/24", "2001:db8::/32" in RFC 5952 form, "192.0.2.1"), except the IPv4 prefixes of an
 * UPDATE's own fields when ctx.ipv4PrefixNumbers asks for numbers (NlriEntry); ASNs and communities are numbers;
 * opaque bytes are Buffers (hex strings in golden vector JSON).
 */

/** Session facts that change how bytes are read and written (negotiated from the two OPENs). */
export interface CodecContext {
  /** RFC 6793: both sides sent the 4-octet AS capability; AS_PATH/AGGREGATOR carry 4-octet ASNs. */
  readonly as4: boolean;
  /** RFC 8654: both sides sent extended message; max length 65535 instead of 4096. */
  readonly extendedMessage: boolean;
  /** RFC 7911: families ("afi/safi", e.g. "1/1") in which NLRI we *receive* carry a Path Identifier. */
  readonly addPathRx: ReadonlySet<string>;
  /** RFC 7911: families in which NLRI we *send* carry a Path Identifier. */
  readonly addPathTx: ReadonlySet<string>;
  /**
   * Decode the UPDATE's own IPv4 fields (Withdrawn Routes, NLRI) to numbers, not text (NlriEntry):
   * what the daemon's sessions use, so a received prefix is never formatted and parsed back. Absent:
   * text, as everywhere else (golden vectors, tools).
   */
  readonly ipv4PrefixNumbers?: boolean;
}

/**
 * A prefix in an UPDATE's own IPv4 fields: its text, or the number parsePrefix4 gives for it
 * (address * 64 + length, host bits clear). Decoded as a number only with ctx.ipv4PrefixNumbers;
 * encoded either way.
 */
export type NlriEntry = string | number;

/** The context before any OPEN: 2-octet ASNs, 4096 bytes, no ADD-PATH. */
export const DEFAULT_CONTEXT: CodecContext = {
  as4: false,
  extendedMessage: false,
  addPathRx: new Set(),
  addPathTx: new Set(),
};

export type BgpMessage = OpenMsg | UpdateMsg | NotificationMsg | KeepaliveMsg | RouteRefreshMsg;

// ---------------------------------------------------------------- OPEN (RFC 4271 4.2)

export interface AfiSafi {
  readonly afi: number;
  readonly safi: number;
}

export type Capability =
  | { readonly kind: 'multiprotocol'; readonly afi: number; readonly safi: number } // code 1, RFC 4760
  | { readonly kind: 'route-refresh' } // code 2, RFC 2918
  | { readonly kind: 'extended-next-hop'; readonly entries: readonly { readonly afi: number; readonly safi: number; readonly nextHopAfi: number }[] } // code 5, RFC 8950
  | { readonly kind: 'extended-message' } // code 6, RFC 8654
  | {
      readonly kind: 'graceful-restart'; // code 64, RFC 4724 (+ N bit, RFC 8538)
      readonly restarting: boolean; // R bit
      readonly notification: boolean; // N bit
      readonly restartTimeSec: number; // 12 bits
      readonly families: readonly { readonly afi: number; readonly safi: number; readonly forwardingPreserved: boolean }[];
    }
  | { readonly kind: 'as4'; readonly asn: number } // code 65, RFC 6793
  | {
      readonly kind: 'add-path'; // code 69, RFC 7911
      readonly families: readonly { readonly afi: number; readonly safi: number; readonly sendReceive: 1 | 2 | 3 }[];
    }
  | { readonly kind: 'enhanced-route-refresh' } // code 70, RFC 7313
  | { readonly kind: 'unknown'; readonly code: number; readonly value: Buffer }; // kept and ignored

/** An optional parameter: capabilities (type 2) or anything else, kept raw. */
export type OptParam =
  | { readonly type: 2; readonly capabilities: readonly Capability[] }
  | { readonly type: number; readonly value: Buffer };

export interface OpenMsg {
  readonly kind: 'open';
  readonly version: number;
  /** The 2-octet My Autonomous System field (AS_TRANS when the real AS needs 4 octets). */
  readonly myAs: number;
  readonly holdTime: number;
  /** BGP Identifier as a dotted quad. */
  readonly bgpId: string;
  /** Optional parameters in wire order (FRR sends one capability per parameter, BIRD one parameter for all). */
  readonly params: readonly OptParam[];
  /** RFC 9072: the optional parameters used the extended length encoding. */
  readonly extendedParams?: boolean;
}

// ---------------------------------------------------------------- UPDATE (RFC 4271 4.3)

export type AsPathSegment = {
  readonly type: 'sequence' | 'set' | 'confed-sequence' | 'confed-set';
  readonly asns: readonly number[];
};
export type AsPath = readonly AsPathSegment[];

/** MP_REACH_NLRI (RFC 4760 3). For IPv6, nextHops is [global] or [global, link-local] (RFC 2545 3). */
export interface MpReach {
  readonly afi: number;
  readonly safi: number;
  readonly nextHops: readonly string[];
  readonly nlri: readonly string[];
  /** RFC 7911 Path Identifiers, parallel to nlri, present only when ADD-PATH applies. */
  readonly pathIds?: readonly number[];
}

/** MP_UNREACH_NLRI (RFC 4760 4). An empty withdrawn list is the End-of-RIB marker of that family. */
export interface MpUnreach {
  readonly afi: number;
  readonly safi: number;
  readonly withdrawn: readonly string[];
  readonly pathIds?: readonly number[];
}

export interface LargeCommunity {
  readonly global: number;
  readonly local1: number;
  readonly local2: number;
}

/**
 * An attribute the codec does not know: optional transitive ones are kept (copied) with the Partial
 * bit already set in `flags`, ready to be passed on (RFC 4271 5). Extended Length is not kept.
 */
export interface RawAttr {
  readonly flags: number;
  readonly type: number;
  readonly value: Buffer;
}

export interface PathAttrs {
  readonly origin?: number; // 0 IGP, 1 EGP, 2 INCOMPLETE
  readonly asPath?: AsPath;
  readonly nextHop?: string; // IPv4 NEXT_HOP
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: boolean;
  readonly aggregator?: { readonly asn: number; readonly address: string };
  readonly communities?: readonly number[]; // RFC 1997, each a u32
  readonly originatorId?: string; // RFC 4456
  readonly clusterList?: readonly string[]; // RFC 4456, dotted quads
  readonly mpReach?: MpReach;
  readonly mpUnreach?: MpUnreach;
  readonly extCommunities?: readonly Buffer[]; // RFC 4360, 8 bytes each
  readonly as4Path?: AsPath; // RFC 6793, as received from / sent to a 2-octet peer
  readonly as4Aggregator?: { readonly asn: number; readonly address: string };
  readonly largeCommunities?: readonly LargeCommunity[]; // RFC 8092
  readonly unknown?: readonly RawAttr[];
}

/** What RFC 7606 handling did to one attribute while decoding an UPDATE. */
export interface AttrProblem {
  readonly attrType: number;
  readonly action: 'attribute-discard' | 'treat-as-withdraw';
  readonly reason: string;
}

export interface UpdateMsg {
  readonly kind: 'update';
  /** IPv4 Withdrawn Routes field. */
  readonly withdrawn: readonly NlriEntry[];
  readonly withdrawnPathIds?: readonly number[];
  /** Path attributes, or null when the Total Path Attribute Length is 0. */
  readonly attrs: PathAttrs | null;
  /** IPv4 NLRI field. */
  readonly nlri: readonly NlriEntry[];
  readonly nlriPathIds?: readonly number[];
  /**
   * Set by the decoder under RFC 7606: the strongest non-reset action taken and why.
   * 'treat-as-withdraw' means every NLRI in this UPDATE (including MP_REACH) is to be withdrawn.
   */
  readonly problems?: readonly AttrProblem[];
  readonly treatAsWithdraw?: boolean;
}

// ---------------------------------------------------------------- others

export interface NotificationMsg {
  readonly kind: 'notification';
  readonly code: number;
  readonly subcode: number;
  /** The Data field as received (a copy), or what to send when shutdownCommunication is absent. */
  readonly data: Buffer;
  /**
   * RFC 9003: Cease subcodes 2 and 4 may carry a length octet + UTF-8 text (<= 255 octets). Set by the
   * decoder only when the data is exactly that and valid UTF-8; when set, the encoder writes it
   * instead of `data`.
   */
  readonly shutdownCommunication?: string;
}

export interface KeepaliveMsg {
  readonly kind: 'keepalive';
}

/** ROUTE-REFRESH (RFC 2918); subtype 1/2 are BoRR/EoRR (RFC 7313), 0 a normal request. */
export interface RouteRefreshMsg {
  readonly kind: 'route-refresh';
  readonly afi: number;
  readonly subtype: number;
  readonly safi: number;
}

export const familyKey = (afi: number, safi: number): string => `${afi}/${safi}`;

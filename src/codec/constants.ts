/**
 * IANA registries used on the wire, as frozen objects with derived union types.
 * Names follow the IANA registries; each cites its RFC.
 */

export const MARKER_LEN = 16;
export const HEADER_LEN = 19;
/** RFC 4271 4: maximum message size without the extended message capability. */
export const MAX_LEN = 4096;
/** RFC 8654: maximum message size once extended message is negotiated by both sides. */
export const MAX_LEN_EXTENDED = 65535;
/** RFC 6793: AS_TRANS, put in 2-octet AS fields when the real AS does not fit. */
export const AS_TRANS = 23456;
export const BGP_VERSION = 4;

/** BGP message types. RFC 4271 4.1, RFC 2918. */
export const MsgType = { OPEN: 1, UPDATE: 2, NOTIFICATION: 3, KEEPALIVE: 4, ROUTE_REFRESH: 5 } as const;
export type MsgType = (typeof MsgType)[keyof typeof MsgType];

/** Path attribute flags. RFC 4271 4.3. */
export const AttrFlag = { OPTIONAL: 0x80, TRANSITIVE: 0x40, PARTIAL: 0x20, EXTENDED_LENGTH: 0x10 } as const;

/** Path attribute type codes. IANA "BGP Path Attributes". */
export const AttrType = {
  ORIGIN: 1,
  AS_PATH: 2,
  NEXT_HOP: 3,
  MULTI_EXIT_DISC: 4,
  LOCAL_PREF: 5,
  ATOMIC_AGGREGATE: 6,
  AGGREGATOR: 7,
  COMMUNITIES: 8, // RFC 1997
  ORIGINATOR_ID: 9, // RFC 4456
  CLUSTER_LIST: 10, // RFC 4456
  MP_REACH_NLRI: 14, // RFC 4760
  MP_UNREACH_NLRI: 15, // RFC 4760
  EXTENDED_COMMUNITIES: 16, // RFC 4360
  AS4_PATH: 17, // RFC 6793
  AS4_AGGREGATOR: 18, // RFC 6793
  LARGE_COMMUNITY: 32, // RFC 8092
} as const;
export type AttrType = (typeof AttrType)[keyof typeof AttrType];

/** ORIGIN values. RFC 4271 5.1.1. */
export const Origin = { IGP: 0, EGP: 1, INCOMPLETE: 2 } as const;
export type Origin = (typeof Origin)[keyof typeof Origin];

/** AS_PATH segment types. RFC 4271 4.3, RFC 5065 (confederations). */
export const AsPathSegType = { AS_SET: 1, AS_SEQUENCE: 2, AS_CONFED_SEQUENCE: 3, AS_CONFED_SET: 4 } as const;

/** Address family identifiers. IANA "Address Family Numbers". */
export const Afi = { IPV4: 1, IPV6: 2 } as const;
export type Afi = (typeof Afi)[keyof typeof Afi];
/** Subsequent AFI. IANA "SAFI Values". */
export const Safi = { UNICAST: 1 } as const;

/** Optional parameter types. RFC 5492, RFC 9072. */
export const OptParamType = { CAPABILITIES: 2, EXTENDED_LENGTH: 255 } as const;

/** Capability codes. IANA "Capability Codes". */
export const CapCode = {
  MULTIPROTOCOL: 1, // RFC 4760
  ROUTE_REFRESH: 2, // RFC 2918
  EXTENDED_NEXT_HOP: 5, // RFC 8950
  EXTENDED_MESSAGE: 6, // RFC 8654
  GRACEFUL_RESTART: 64, // RFC 4724
  AS4: 65, // RFC 6793
  ADD_PATH: 69, // RFC 7911
  ENHANCED_ROUTE_REFRESH: 70, // RFC 7313
} as const;

/** NOTIFICATION error codes. RFC 4271 4.5; IANA "BGP Error (Notification) Codes". */
export const ErrCode = {
  MESSAGE_HEADER: 1,
  OPEN_MESSAGE: 2,
  UPDATE_MESSAGE: 3,
  HOLD_TIMER_EXPIRED: 4,
  FSM: 5,
  CEASE: 6,
  ROUTE_REFRESH_MESSAGE: 7, // RFC 7313
  SEND_HOLD_TIMER_EXPIRED: 8, // RFC 9687
} as const;
export type ErrCode = (typeof ErrCode)[keyof typeof ErrCode];

/** Message Header Error subcodes. RFC 4271 6.1. */
export const HeaderSub = { CONNECTION_NOT_SYNCHRONIZED: 1, BAD_MESSAGE_LENGTH: 2, BAD_MESSAGE_TYPE: 3 } as const;

/** OPEN Message Error subcodes. RFC 4271 6.2, RFC 5492, RFC 9234. */
export const OpenSub = {
  UNSPECIFIC: 0,
  UNSUPPORTED_VERSION_NUMBER: 1,
  BAD_PEER_AS: 2,
  BAD_BGP_IDENTIFIER: 3,
  UNSUPPORTED_OPTIONAL_PARAMETER: 4,
  UNACCEPTABLE_HOLD_TIME: 6,
  UNSUPPORTED_CAPABILITY: 7,
} as const;

/** UPDATE Message Error subcodes. RFC 4271 6.3. */
export const UpdateSub = {
  MALFORMED_ATTRIBUTE_LIST: 1,
  UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE: 2,
  MISSING_WELL_KNOWN_ATTRIBUTE: 3,
  ATTRIBUTE_FLAGS_ERROR: 4,
  ATTRIBUTE_LENGTH_ERROR: 5,
  INVALID_ORIGIN_ATTRIBUTE: 6,
  INVALID_NEXT_HOP_ATTRIBUTE: 8,
  OPTIONAL_ATTRIBUTE_ERROR: 9,
  INVALID_NETWORK_FIELD: 10,
  MALFORMED_AS_PATH: 11,
} as const;

/** FSM Error subcodes. RFC 6608. */
export const FsmSub = { UNSPECIFIED: 0, IN_OPEN_SENT: 1, IN_OPEN_CONFIRM: 2, IN_ESTABLISHED: 3 } as const;

/** Cease subcodes. RFC 4486, RFC 8538. */
export const CeaseSub = {
  MAX_PREFIXES: 1,
  ADMINISTRATIVE_SHUTDOWN: 2,
  PEER_DECONFIGURED: 3,
  ADMINISTRATIVE_RESET: 4,
  CONNECTION_REJECTED: 5,
  OTHER_CONFIGURATION_CHANGE: 6,
  CONNECTION_COLLISION_RESOLUTION: 7,
  OUT_OF_RESOURCES: 8,
  HARD_RESET: 9, // RFC 8538
  BFD_DOWN: 10, // RFC 9384
} as const;

/** ROUTE-REFRESH Message Error subcodes. RFC 7313 5. */
export const RouteRefreshSub = { INVALID_MESSAGE_LENGTH: 1 } as const;

/** ROUTE-REFRESH message subtypes. RFC 7313 3.2 (0 = normal request, 1 = BoRR, 2 = EoRR). */
export const RouteRefreshSubtype = { REQUEST: 0, BORR: 1, EORR: 2 } as const;

/** Well-known communities. RFC 1997, RFC 8326. */
export const WellKnownCommunity = {
  GRACEFUL_SHUTDOWN: 0xffff0000,
  NO_EXPORT: 0xffffff01,
  NO_ADVERTISE: 0xffffff02,
  NO_EXPORT_SUBCONFED: 0xffffff03,
  NO_PEER: 0xffffff04,
} as const;

/** Human names of (code, subcode), for logs and `show peers` (BIRD's bgp_msg_table idea). */
export function notificationName(code: number, subcode: number): string {
  const table: Record<number, readonly [string, Record<number, string>]> = {
    1: ['Message Header Error', { 1: 'Connection Not Synchronized', 2: 'Bad Message Length', 3: 'Bad Message Type' }],
    2: [
      'OPEN Message Error',
      {
        1: 'Unsupported Version Number',
        2: 'Bad Peer AS',
        3: 'Bad BGP Identifier',
        4: 'Unsupported Optional Parameter',
        6: 'Unacceptable Hold Time',
        7: 'Unsupported Capability',
      },
    ],
    3: [
      'UPDATE Message Error',
      {
        1: 'Malformed Attribute List',
        2: 'Unrecognized Well-known Attribute',
        3: 'Missing Well-known Attribute',
        4: 'Attribute Flags Error',
        5: 'Attribute Length Error',
        6: 'Invalid ORIGIN Attribute',
        8: 'Invalid NEXT_HOP Attribute',
        9: 'Optional Attribute Error',
        10: 'Invalid Network Field',
        11: 'Malformed AS_PATH',
      },
    ],
    4: ['Hold Timer Expired', {}],
    5: ['Finite State Machine Error', { 1: 'in OpenSent', 2: 'in OpenConfirm', 3: 'in Established' }],
    6: [
      'Cease',
      {
        1: 'Maximum Number of Prefixes Reached',
        2: 'Administrative Shutdown',
        3: 'Peer De-configured',
        4: 'Administrative Reset',
        5: 'Connection Rejected',
        6: 'Other Configuration Change',
        7: 'Connection Collision Resolution',
        8: 'Out of Resources',
        9: 'Hard Reset',
        10: 'BFD Down',
      },
    ],
    7: ['ROUTE-REFRESH Message Error', { 1: 'Invalid Message Length' }],
    8: ['Send Hold Timer Expired', {}],
  };
  const row = table[code];
  if (!row) return `code ${code}/${subcode}`;
  const sub = row[1][subcode];
  return sub ? `${row[0]} / ${sub}` : subcode === 0 ? row[0] : `${row[0]} / subcode ${subcode}`;
}

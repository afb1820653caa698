/**
 * BFD wire numbers and protocol constants (convention 2: `as const` registries, named as IANA and
 * the RFCs name them, with the RFC beside each).
 */

/** RFC 5880 4.1: the version this implementation speaks. */
export const BFD_VERSION = 1;

/** RFC 5880 4.1: a Control packet without authentication is 24 bytes; the Length field counts the auth section too. */
export const BFD_HEADER_LEN = 24;
/** RFC 5880 4.1: the smallest packet with the A bit set (header plus the 2-byte Auth Type / Auth Len). */
export const BFD_MIN_AUTH_LEN = 26;

/** RFC 5881 4 (single hop), RFC 5883 3 (multihop): UDP destination ports. */
export const BfdPort = {
  SINGLE_HOP: 3784,
  MULTIHOP: 4784,
} as const;

/** RFC 5881 4: the source port range of every BFD Control packet. */
export const SOURCE_PORT_MIN = 49152;
export const SOURCE_PORT_MAX = 65535;

/** RFC 5881 5: single-hop Control packets are sent with TTL / hop limit 255, and only 255 is accepted. */
export const BFD_TTL = 255;

/** RFC 5880 4.1: the State field. */
export const BfdStateCode = {
  AdminDown: 0,
  Down: 1,
  Init: 2,
  Up: 3,
} as const;

export type BfdState = keyof typeof BfdStateCode;
export const BFD_STATES: readonly BfdState[] = ['AdminDown', 'Down', 'Init', 'Up'];

export function stateOfCode(code: number): BfdState {
  const s = BFD_STATES[code & 3];
  if (s === undefined) throw new RangeError(`BFD state code ${code}`);
  return s;
}

/** RFC 5880 4.1 (0-8), RFC 6428 (9): the Diagnostic field. */
export const BfdDiag = {
  NO_DIAGNOSTIC: 0,
  CONTROL_DETECTION_TIME_EXPIRED: 1,
  ECHO_FUNCTION_FAILED: 2,
  NEIGHBOR_SIGNALED_SESSION_DOWN: 3,
  FORWARDING_PLANE_RESET: 4,
  PATH_DOWN: 5,
  CONCATENATED_PATH_DOWN: 6,
  ADMINISTRATIVELY_DOWN: 7,
  REVERSE_CONCATENATED_PATH_DOWN: 8,
  MIS_CONNECTIVITY_DEFECT: 9, // RFC 6428
} as const;

const DIAG_NAMES: Readonly<Record<number, string>> = {
  0: 'No Diagnostic',
  1: 'Control Detection Time Expired',
  2: 'Echo Function Failed',
  3: 'Neighbor Signaled Session Down',
  4: 'Forwarding Plane Reset',
  5: 'Path Down',
  6: 'Concatenated Path Down',
  7: 'Administratively Down',
  8: 'Reverse Concatenated Path Down',
  9: 'Mis-Connectivity Defect',
};

/** The RFC's name of a diagnostic code ("Control Detection Time Expired"), or "diagnostic N". */
export function diagName(code: number): string {
  return DIAG_NAMES[code] ?? `diagnostic ${code}`;
}

/** RFC 5880 4.1: Auth Type values (wren implements none of them; see docs/bfd.md). */
export const BfdAuthType = {
  RESERVED: 0,
  SIMPLE_PASSWORD: 1,
  KEYED_MD5: 2,
  METICULOUS_KEYED_MD5: 3,
  KEYED_SHA1: 4,
  METICULOUS_KEYED_SHA1: 5,
} as const;

/**
 * RFC 5880 6.8.3: while the session is not Up, bfd.DesiredMinTxInterval is at least one second
 * (what FRR and BIRD send while Down, too).
 */
export const SLOW_TX_US = 1_000_000;

/**
 * The BFD session state machine of RFC 5880 6.2 and 6.8.6, as a transition table (convention 7).
 * Pure: `step(state, event)` returns the next state and the diagnostic to set; no timer, no
 * socket. The session driver (session.ts) turns received packets, the detection timer and the
 * operator into events, and does the rest of 6.8.6 (discriminators, timers, Poll/Final).
 *
 * Events:
 * - `RecvAdminDown`, `RecvDown`, `RecvInit`, `RecvUp`: a valid Control packet arrived with that
 *   State field (RFC 5880 6.8.6, "If bfd.SessionState is ...");
 * - `DetectTimeout`: the Detection Time passed without a packet (6.8.4);
 * - `AdminDown`, `AdminUp`: the session is taken out of service or put back (6.8.16).
 *
 * A cell that changes nothing returns the same state and no diagnostic. Every cell has a test
 * (test/unit/bfd/fsm.test.ts).
 */
import { BfdDiag, type BfdState } from './constants.js';

export type BfdEvent = 'RecvAdminDown' | 'RecvDown' | 'RecvInit' | 'RecvUp' | 'DetectTimeout' | 'AdminDown' | 'AdminUp';
export const BFD_EVENTS: readonly BfdEvent[] = ['RecvAdminDown', 'RecvDown', 'RecvInit', 'RecvUp', 'DetectTimeout', 'AdminDown', 'AdminUp'];

export interface BfdStep {
  readonly state: BfdState;
  /** bfd.LocalDiag to set with the transition; absent: unchanged. */
  readonly diag?: number;
}

const stay = (state: BfdState): BfdStep => ({ state });
const to = (state: BfdState, diag?: number): BfdStep => (diag === undefined ? { state } : { state, diag });

/** 6.8.6: "If the received state is AdminDown ... set bfd.LocalDiag to 3 (Neighbor signaled session down)". */
const neighborDown = to('Down', BfdDiag.NEIGHBOR_SIGNALED_SESSION_DOWN);
/** 6.8.4: the Detection Time passed: Down with diagnostic 1. */
const detectionExpired = to('Down', BfdDiag.CONTROL_DETECTION_TIME_EXPIRED);
/** 6.8.16: taken out of service: AdminDown with diagnostic 7. */
const adminDown = to('AdminDown', BfdDiag.ADMINISTRATIVELY_DOWN);

/** State x event. */
const TABLE: { readonly [S in BfdState]: { readonly [E in BfdEvent]: BfdStep } } = {
  // 6.8.6: "If bfd.SessionState is AdminDown: Discard the packet"; only AdminUp leaves it, to Down
  // with the diagnostic cleared.
  AdminDown: {
    RecvAdminDown: stay('AdminDown'),
    RecvDown: stay('AdminDown'),
    RecvInit: stay('AdminDown'),
    RecvUp: stay('AdminDown'),
    DetectTimeout: stay('AdminDown'),
    AdminDown: stay('AdminDown'),
    AdminUp: to('Down', BfdDiag.NO_DIAGNOSTIC),
  },
  // 6.8.6, Down: "If received State is Down, set bfd.SessionState to Init; else if received State
  // is Init, set bfd.SessionState to Up". An Up from the peer is ignored (it still thinks a
  // session we no longer have is up; our Down tells it).
  Down: {
    RecvAdminDown: stay('Down'),
    RecvDown: to('Init'),
    RecvInit: to('Up'),
    RecvUp: stay('Down'),
    DetectTimeout: stay('Down'),
    AdminDown: adminDown,
    AdminUp: stay('Down'),
  },
  // 6.8.6, Init: "If received State is Init or Up, set bfd.SessionState to Up".
  Init: {
    RecvAdminDown: neighborDown,
    RecvDown: stay('Init'),
    RecvInit: to('Up'),
    RecvUp: to('Up'),
    DetectTimeout: detectionExpired,
    AdminDown: adminDown,
    AdminUp: stay('Init'),
  },
  // 6.8.6, Up: "If received State is Down, set bfd.LocalDiag to 3 ... set bfd.SessionState to Down".
  Up: {
    RecvAdminDown: neighborDown,
    RecvDown: neighborDown,
    RecvInit: stay('Up'),
    RecvUp: stay('Up'),
    DetectTimeout: detectionExpired,
    AdminDown: adminDown,
    AdminUp: stay('Up'),
  },
};

export function step(state: BfdState, event: BfdEvent): BfdStep {
  return TABLE[state][event];
}

/** The event a received packet's State field is. */
export function receivedEvent(remote: BfdState): BfdEvent {
  switch (remote) {
    case 'AdminDown':
      return 'RecvAdminDown';
    case 'Down':
      return 'RecvDown';
    case 'Init':
      return 'RecvInit';
    case 'Up':
      return 'RecvUp';
  }
}

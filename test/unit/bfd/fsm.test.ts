/**
 * The BFD state machine (src/bfd/fsm.ts): one test per cell of the table, each citing the RFC 5880
 * rule it follows, and a check that every cell is covered here.
 */
import { describe, expect, it } from 'vitest';
import { BFD_STATES, BfdDiag, type BfdState } from '../../../src/bfd/constants.js';
import { BFD_EVENTS, receivedEvent, step, type BfdEvent, type BfdStep } from '../../../src/bfd/fsm.js';

const D = BfdDiag;
/** Expected result per cell, with the rule. */
const CELLS: readonly (readonly [BfdState, BfdEvent, BfdStep, string])[] = [
  // 6.8.6: "If bfd.SessionState is AdminDown: Discard the packet"; 6.8.16 for the operator.
  ['AdminDown', 'RecvAdminDown', { state: 'AdminDown' }, '6.8.6 AdminDown discards packets'],
  ['AdminDown', 'RecvDown', { state: 'AdminDown' }, '6.8.6 AdminDown discards packets'],
  ['AdminDown', 'RecvInit', { state: 'AdminDown' }, '6.8.6 AdminDown discards packets'],
  ['AdminDown', 'RecvUp', { state: 'AdminDown' }, '6.8.6 AdminDown discards packets'],
  ['AdminDown', 'DetectTimeout', { state: 'AdminDown' }, 'no detection in AdminDown'],
  ['AdminDown', 'AdminDown', { state: 'AdminDown' }, 'already AdminDown'],
  ['AdminDown', 'AdminUp', { state: 'Down', diag: D.NO_DIAGNOSTIC }, '6.8.16 back in service: Down'],
  // 6.8.6, Down
  ['Down', 'RecvAdminDown', { state: 'Down' }, '6.8.6 AdminDown received while Down: nothing to do'],
  ['Down', 'RecvDown', { state: 'Init' }, '6.8.6 Down + received Down -> Init'],
  ['Down', 'RecvInit', { state: 'Up' }, '6.8.6 Down + received Init -> Up'],
  ['Down', 'RecvUp', { state: 'Down' }, '6.8.6 Down ignores a received Up'],
  ['Down', 'DetectTimeout', { state: 'Down' }, 'already Down'],
  ['Down', 'AdminDown', { state: 'AdminDown', diag: D.ADMINISTRATIVELY_DOWN }, '6.8.16 AdminDown, diag 7'],
  ['Down', 'AdminUp', { state: 'Down' }, 'already in service'],
  // 6.8.6, Init
  ['Init', 'RecvAdminDown', { state: 'Down', diag: D.NEIGHBOR_SIGNALED_SESSION_DOWN }, '6.8.6 AdminDown received: Down, diag 3'],
  ['Init', 'RecvDown', { state: 'Init' }, '6.8.6 Init stays on a received Down'],
  ['Init', 'RecvInit', { state: 'Up' }, '6.8.6 Init + received Init -> Up'],
  ['Init', 'RecvUp', { state: 'Up' }, '6.8.6 Init + received Up -> Up'],
  ['Init', 'DetectTimeout', { state: 'Down', diag: D.CONTROL_DETECTION_TIME_EXPIRED }, '6.8.4 detection time: Down, diag 1'],
  ['Init', 'AdminDown', { state: 'AdminDown', diag: D.ADMINISTRATIVELY_DOWN }, '6.8.16 AdminDown, diag 7'],
  ['Init', 'AdminUp', { state: 'Init' }, 'already in service'],
  // 6.8.6, Up
  ['Up', 'RecvAdminDown', { state: 'Down', diag: D.NEIGHBOR_SIGNALED_SESSION_DOWN }, '6.8.6 AdminDown received: Down, diag 3'],
  ['Up', 'RecvDown', { state: 'Down', diag: D.NEIGHBOR_SIGNALED_SESSION_DOWN }, '6.8.6 Up + received Down -> Down, diag 3'],
  ['Up', 'RecvInit', { state: 'Up' }, '6.8.6 Up stays on a received Init'],
  ['Up', 'RecvUp', { state: 'Up' }, '6.8.6 Up stays on a received Up'],
  ['Up', 'DetectTimeout', { state: 'Down', diag: D.CONTROL_DETECTION_TIME_EXPIRED }, '6.8.4 detection time: Down, diag 1'],
  ['Up', 'AdminDown', { state: 'AdminDown', diag: D.ADMINISTRATIVELY_DOWN }, '6.8.16 AdminDown, diag 7'],
  ['Up', 'AdminUp', { state: 'Up' }, 'already in service'],
];

describe('every cell of the BFD transition table', () => {
  for (const [state, event, expected, rule] of CELLS) {
    it(`${state} + ${event} -> ${expected.state}${expected.diag !== undefined ? ` (diag ${expected.diag})` : ''}: ${rule}`, () => {
      expect(step(state, event)).toEqual(expected);
    });
  }

  it('covers all 4 x 7 cells, each once', () => {
    const seen = new Set(CELLS.map(([s, e]) => `${s}/${e}`));
    expect(seen.size).toBe(CELLS.length);
    for (const s of BFD_STATES) for (const e of BFD_EVENTS) expect(seen.has(`${s}/${e}`), `${s}/${e}`).toBe(true);
  });
});

it('maps a received State field to its event', () => {
  expect(BFD_STATES.map(receivedEvent)).toEqual(['RecvAdminDown', 'RecvDown', 'RecvInit', 'RecvUp']);
});

it('the three-way handshake: Down/Down -> Init -> Up on both sides', () => {
  // A and B both Down; each receives the other's Down.
  let a: BfdState = step('Down', 'RecvDown').state;
  let b: BfdState = step('Down', 'RecvDown').state;
  expect([a, b]).toEqual(['Init', 'Init']);
  a = step(a, receivedEvent(b)).state;
  b = step(b, receivedEvent(a)).state;
  expect([a, b]).toEqual(['Up', 'Up']);
});

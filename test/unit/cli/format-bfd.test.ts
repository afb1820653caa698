/** `wren show bfd` (src/cli/format-bfd.ts): the table, each session's details, and the cases without sessions. */
import { describe, expect, it } from 'vitest';
import { formatBfd } from '../../../src/cli/format-bfd.js';
import type { BfdPeerStatus, BfdView } from '../../../src/control/protocol.js';

/** A session without its optional fields (name, localAddress, lastDownReason), as JSON carries them. */
const base: BfdPeerStatus = {
  peer: '10.0.0.2',
  multihop: false,
  state: 'Up',
  remoteState: 'Up',
  diagnostic: 'No Diagnostic',
  remoteDiagnostic: 'No Diagnostic',
  localDiscriminator: 1234567,
  remoteDiscriminator: 2,
  txIntervalMs: 100,
  rxIntervalMs: 100,
  detectTimeMs: 300,
  local: { minTxMs: 100, minRxMs: 100, multiplier: 3 },
  remote: { minTxMs: 100, minRxMs: 100, multiplier: 3 },
  uptimeSec: 3723,
  flaps: 2,
  heard: true,
  polling: false,
  graceful: false,
  requireUp: true,
  bgpHeld: false,
  counters: { packetsIn: 40213, packetsOut: 40511, discarded: 0, transitions: 6, pollsCompleted: 3 },
};

const up: BfdPeerStatus = { ...base, name: 'tor1', localAddress: '10.0.0.1', lastDownReason: 'detection time expired (no packet for 300 ms)' };

const silent: BfdPeerStatus = {
  ...base,
  peer: '10.0.1.2',
  multihop: true,
  state: 'Down',
  remoteState: 'Down',
  remoteDiscriminator: 0,
  txIntervalMs: 1000,
  rxIntervalMs: 300,
  detectTimeMs: 0,
  local: { minTxMs: 300, minRxMs: 300, multiplier: 3 },
  uptimeSec: 65,
  flaps: 0,
  heard: false,
  counters: { packetsIn: 0, packetsOut: 65, discarded: 0, transitions: 0, pollsCompleted: 0 },
};
const BFD_VIEW: BfdView = { mode: 'thread', threadScheduling: 'SCHED_RR 1', sessions: [up, silent] };

describe('formatBfd', () => {
  it('prints the table, the BFD thread, then each session', () => {
    expect(formatBfd(BFD_VIEW)).toBe(
      [
        'Peer      State  Remote  Diag  Remote diag  TX/RX ms  Detect ms  Up/Down  Flaps',
        '10.0.0.2  Up     Up      -     -            100/100   300        1h02m    2',
        '10.0.1.2  Down   -       -     -            1000/300  -          1m05s    0',
        '(BFD thread: SCHED_RR 1)',
        '',
        '10.0.0.2 (tor1):',
        '  kind            single hop (RFC 5881, UDP 3784), from 10.0.0.1',
        '  discriminators  local 1234567, remote 2',
        '  we send         TX 100 ms, RX 100 ms, x3',
        '  peer sends      TX 100 ms, RX 100 ms, x3',
        '  on failure      Cease / BFD Down, routes withdrawn; BGP waits for BFD',
        '  packets         in 40213, out 40511, discarded 0',
        '  last down       detection time expired (no packet for 300 ms)',
        '',
        '10.0.1.2:',
        '  kind            multihop (RFC 5883, UDP 4784)',
        '  discriminators  local 1234567, remote 0',
        '  we send         TX 300 ms, RX 300 ms, x3',
        '  peer sends      nothing heard from the peer',
        '  on failure      Cease / BFD Down, routes withdrawn; BGP waits for BFD',
        '  packets         in 0, out 65, discarded 0',
      ].join('\n'),
    );
  });

  it('says when no session is configured, and why none runs', () => {
    expect(formatBfd({ mode: 'off', sessions: [] })).toBe('no BFD sessions configured');
    expect(formatBfd({ mode: 'unavailable', problem: 'BFD needs the native addon', sessions: [] })).toBe('no BFD session runs: BFD needs the native addon');
    expect(formatBfd({ mode: 'unavailable', problem: 'BFD needs the native addon', sessions: [silent] })).toMatch(/\nBFD does not run: BFD needs the native addon\n/);
  });
});

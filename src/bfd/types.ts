/**
 * The BFD layer's plain data: what the daemon asks for (a session per BGP peer), what a session
 * reports (its status and its transitions), and the counters. Crosses the thread boundary as is
 * (structured clone): no functions, no class instances, no Buffers.
 */
import type { BfdState } from './constants.js';

/** One BFD session the daemon wants, keyed by the BGP peer it serves. */
export interface BfdSessionSpec {
  /** The BGP peer id (canonical address). */
  readonly peer: string;
  /** The peer's address (the packets' destination, and the source we accept them from). */
  readonly remote: string;
  /** Our source address, when the BGP peer's `localAddress` is set; else the kernel picks it. */
  readonly local?: string;
  /** RFC 5883 multihop (UDP 4784) instead of RFC 5881 single hop (3784). */
  readonly multihop: boolean;
  /**
   * Received packets with a smaller TTL / hop limit are discarded: 255 for single hop (RFC 5881
   * 5); for multihop 256 - the peer's `ebgpMultihop` hops, 1 (no check) without it.
   */
  readonly minTtl: number;
  /** Milliseconds (the config's units); sent as microseconds. */
  readonly minTxMs: number;
  readonly minRxMs: number;
  readonly multiplier: number;
}

/** A state change, as it happened in the BFD thread. */
export interface BfdTransition {
  readonly peer: string;
  readonly from: BfdState;
  readonly to: BfdState;
  /** bfd.LocalDiag after the change. */
  readonly diag: number;
  /** The state the peer last sent. */
  readonly remoteState: BfdState;
  readonly remoteDiag: number;
  /** In words, for logs and `show bfd` ("detection time expired: no packet for 900 ms"). */
  readonly reason: string;
  /** Wall clock (ms since the epoch) when the BFD thread made the change. */
  readonly at: number;
}

export interface BfdCounters {
  readonly packetsIn: number;
  readonly packetsOut: number;
  /** Datagrams for this session that were discarded (bad TTL, bad packet, authentication). */
  readonly discarded: number;
  /** Up -> not Up. */
  readonly flaps: number;
  /** Every state change since the session was made. */
  readonly transitions: number;
  /** Poll Sequences we started and saw answered with Final. */
  readonly pollsCompleted: number;
}

export interface BfdSessionStatus {
  readonly peer: string;
  readonly remote: string;
  readonly local?: string;
  readonly multihop: boolean;
  readonly state: BfdState;
  readonly remoteState: BfdState;
  /** bfd.LocalDiag. */
  readonly diag: number;
  /** The Diagnostic field of the peer's last packet. */
  readonly remoteDiag: number;
  readonly localDiscr: number;
  /** 0 until the peer has been heard (and again after a Detection Time without packets). */
  readonly remoteDiscr: number;
  /** What we send, ms: Desired Min TX, Required Min RX, Detect Mult (the configured values once Up; TX at least 1 s before). */
  readonly desiredMinTxMs: number;
  readonly requiredMinRxMs: number;
  readonly multiplier: number;
  /** What the peer sent, ms (0 before it is heard). */
  readonly remoteMinTxMs: number;
  readonly remoteMinRxMs: number;
  readonly remoteMultiplier: number;
  /** The interval we transmit at (max of our TX and the peer's RX, before jitter), ms; 0 when we must not send. */
  readonly txIntervalMs: number;
  /** The interval we expect the peer's packets at (max of our RX and the peer's TX), ms. */
  readonly rxIntervalMs: number;
  /** The peer's Detect Mult x rxIntervalMs: how long a silence takes the session down. */
  readonly detectTimeMs: number;
  /** A Poll Sequence of ours is waiting for the peer's Final. */
  readonly polling: boolean;
  /** Whether any valid packet from the peer arrived since the session was made. */
  readonly heard: boolean;
  /** Wall clock ms of the last state change (or of the session's creation). */
  readonly since: number;
  /** Wall clock ms of the last packet from the peer, 0 if none. */
  readonly lastReceived: number;
  readonly lastDownReason?: string;
  /** Why the session cannot run at all (no addon, socket refused), when it cannot. */
  readonly problem?: string;
  readonly counters: BfdCounters;
}

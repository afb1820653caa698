/**
 * The JSON-lines protocol between the bench harness and its speaker processes (feeder, sink,
 * reflector clients), one object per line: commands on the speaker's stdin, events on its stdout.
 * Times are process.hrtime.bigint() values as decimal strings (CLOCK_MONOTONIC: comparable between
 * processes on one machine).
 */
import type { RouteDiff, Transform } from '../digest.js';
import type { TableOptions } from '../table.js';

export interface SessionParams {
  readonly remote: string;
  readonly asn: number;
  readonly holdTime: number;
  /** Give up establishing after this many milliseconds. */
  readonly establishTimeoutMs: number;
  /**
   * After Established, wait up to this long for the daemon's End-of-RIB (RFC 4724 2) before saying
   * ready, so that a daemon's deliberate initial delay (FRR's update-group coalesce timer) is not
   * measured. `ready` says whether it came (`eor`: "yes"/"no") and how long it took (`eorMs`).
   */
  readonly eorTimeoutMs: number;
}

export type SpeakerInit =
  | (SessionParams & {
      readonly role: 'feeder';
      readonly local: string;
      readonly routerId: string;
      readonly n: number;
      readonly seed: number;
      readonly avoidAs: readonly number[];
    })
  | (SessionParams & { readonly role: 'sink'; readonly local: string; readonly routerId: string; readonly verifyEvery: number })
  | (SessionParams & {
      readonly role: 'clients';
      /** One address per client (its source address, router id and next hop). */
      readonly addrs: readonly string[];
      /** The /26 each client announces, parallel to addrs. */
      readonly blocks: readonly string[];
      readonly concurrency: number;
      /** reflector-addpath: ADD-PATH (RFC 7911) on every session, and one prefix several clients announce. */
      readonly addPath?: AddPathClients;
    })
  | (SessionParams & {
      readonly role: 'watchers';
      /** One address per watcher session (source address and router id). */
      readonly addrs: readonly string[];
    });

/** The ADD-PATH part of the clients role (client-paths.ts). */
export interface AddPathClients {
  /** The prefix clients 0..announcers-1 announce besides their block, each with its own next hop. */
  readonly shared: string;
  readonly announcers: number;
  /** The DUT reflects an announcer's own path of the shared prefix back to it (so it expects all of them). */
  readonly toAnnouncer: boolean;
  /**
   * The next hops the content check accepts on the shared prefix's paths: the announcers' addresses
   * (the default), or another list (the `--expect-wrong-next-hop` self-test).
   */
  readonly acceptNextHops?: readonly string[];
}

export type SpeakerCommand =
  | { readonly cmd: 'init'; readonly init: SpeakerInit }
  | { readonly cmd: 'announce' }
  | { readonly cmd: 'withdraw' }
  /** Sink: report `reached` as soon as it holds exactly `count` prefixes. */
  | { readonly cmd: 'expect'; readonly count: number }
  | { readonly cmd: 'status' }
  /** Sink: report the digest of the routes it holds (digest.ts). */
  | { readonly cmd: 'digest' }
  /** Sink: compare the routes it holds with the generated table, transformed as the DUT should have. */
  | { readonly cmd: 'diff'; readonly table: TableOptions; readonly transform: Transform }
  /** Watchers: start (again) recording KEEPALIVE arrivals; `gaps` reports what was recorded since. */
  | { readonly cmd: 'mark' }
  | { readonly cmd: 'gaps' }
  | { readonly cmd: 'close' };

export type SpeakerEvent =
  | { readonly ev: 'ready'; readonly info: Readonly<Record<string, number | string>> }
  | { readonly ev: 'sent'; readonly firstNs: string; readonly flushedNs: string }
  | { readonly ev: 'expecting'; readonly count: number; readonly now: number }
  | { readonly ev: 'reached'; readonly count: number; readonly atNs: string }
  | { readonly ev: 'status'; readonly info: Readonly<Record<string, number | string>> }
  | { readonly ev: 'digest'; readonly count: number; readonly digest: string; readonly attributeSets: number }
  | { readonly ev: 'diff'; readonly diff: RouteDiff }
  | { readonly ev: 'gaps'; readonly report: KeepaliveReport }
  | { readonly ev: 'down'; readonly why: string }
  | { readonly ev: 'error'; readonly message: string }
  | { readonly ev: 'closed' };

/** What watcher sessions saw of the daemon's KEEPALIVEs since the last `mark`. */
export interface KeepaliveReport {
  /** Per session: its address, the largest gap between KEEPALIVEs (ms), how many arrived, and why it went down (if it did). */
  readonly sessions: readonly { readonly addr: string; readonly maxGapMs: number; readonly keepalives: number; readonly down?: string }[];
  /** Every gap of every session, ms, sorted ascending (the distribution). */
  readonly gapsMs: readonly number[];
  /** How long the recording lasted, ms. */
  readonly durationMs: number;
}

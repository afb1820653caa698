/**
 * What the main thread and the BFD thread (worker.ts) say to each other: structured-clone data
 * only. The main thread configures sessions and asks for statuses; the BFD thread reports every
 * transition at once, and every session's status once a second.
 */
import type { UnmatchedCounters } from './engine.js';
import type { BfdSessionSpec, BfdSessionStatus, BfdTransition } from './types.js';
import type { ThreadPriority } from './udp.js';

export type ToBfdThread =
  | { readonly type: 'configure'; readonly specs: readonly BfdSessionSpec[] }
  /** The thread's scheduling: real-time or nice -10 (answered with `priority`). */
  | { readonly type: 'priority'; readonly realtime: boolean }
  /** Answered with `statuses` carrying the same id. */
  | { readonly type: 'status'; readonly id: number }
  /** Every session AdminDown, every socket closed; then the thread ends by itself. */
  | { readonly type: 'close' };

export type FromBfdThread =
  | { readonly type: 'transition'; readonly transition: BfdTransition; readonly status: BfdSessionStatus }
  | { readonly type: 'statuses'; readonly id?: number; readonly sessions: readonly BfdSessionStatus[]; readonly unmatched: UnmatchedCounters }
  /** The thread could not start its engine (the addon is missing, say): nothing runs. */
  | { readonly type: 'failed'; readonly error: string }
  /** The thread's scheduling, after a `priority` request (udp.ts applyThreadPriority). */
  | { readonly type: 'priority'; readonly priority: ThreadPriority }
  | { readonly type: 'closed' };

/** How often the BFD thread sends every status, ms. */
export const STATUS_INTERVAL_MS = 1000;

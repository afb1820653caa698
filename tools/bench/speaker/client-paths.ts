/**
 * What one reflector-addpath client holds, path by path (RFC 7911), and when it has converged.
 *
 * Every client announces its own /26 block; clients 0..m-1 (the announcers) also announce one
 * shared prefix, each with its own next hop. The DUT reflects with ADD-PATH send all, so a client
 * receives every block of the others (one path each, path ids chosen by the DUT) and several paths
 * of the shared prefix, told apart by path id. A client has converged when it holds
 *
 * - exactly the K - 1 blocks of the others (its own block, if the DUT sends it back, is ignored, as
 *   in the plain reflector scenario), and
 * - exactly one path of the shared prefix per expected next hop: every announcer's, minus its own
 *   unless the DUT reflects a path back to the client it came from (`expectedSharedNextHops`).
 *   Fewer paths is not converged; more (a path id too many, a next hop twice) is not either.
 *
 * What is wrong rather than late is recorded as an anomaly (a block with another next hop than its
 * announcer's, a second path of a block, a shared path via a next hop no announcer has, a prefix
 * nobody announced, the fast walker and wren's decoder reading the shared prefix's path ids
 * differently): the harness reports the run INVALID with the first of them.
 *
 * The UPDATEs are read by the fast walker (nlri-walk.ts walkUpdatePaths: prefix keys and path ids,
 * the NEXT_HOP as a number, no strings); every UPDATE that carries the shared prefix is also decoded
 * whole by wren's codec (src/codec, with the session's ADD-PATH receive context), and that decoding
 * is what the shared prefix's paths are taken from.
 */
import { decodeMessage } from '../../../src/codec/message.js';
import { parsePrefix4 } from '../../../src/codec/nlri.js';
import type { CodecContext } from '../../../src/codec/types.js';
import { formatIPv4, parseIPv4 } from '../../../src/util/inet.js';
import { nextHopNumber, walkUpdatePaths } from '../nlri-walk.js';

/** Anomalies kept per client (the first says why the run is invalid; the count says how many). */
const KEEP = 5;

/** The next hops (as numbers) whose path of the shared prefix client `self` must hold. */
export function expectedSharedNextHops(self: string, announcers: readonly string[], toAnnouncer: boolean): Set<number> {
  return new Set(announcers.filter((a) => toAnnouncer || a !== self).map(parseIPv4));
}

/**
 * The convergence predicate of the shared prefix: the paths held (path id -> next hop) are exactly
 * one per wanted next hop, and nothing else.
 */
export function sharedComplete(held: ReadonlyMap<number, number>, want: ReadonlySet<number>): boolean {
  if (held.size !== want.size) return false;
  const seen = new Set<number>();
  for (const nh of held.values()) {
    if (!want.has(nh) || seen.has(nh)) return false;
    seen.add(nh);
  }
  return true;
}

/** The facts every client shares: the blocks (prefix key -> announcer's next hop) and the shared prefix. */
export interface PathPlan {
  /** Every client's block: parsePrefix4 key -> the next hop (number) its announcer gives it. */
  readonly blocks: ReadonlyMap<number, number>;
  /** The shared prefix, e.g. "100.127.255.0/24". */
  readonly shared: string;
  /** Next hops (numbers) of every announcer of the shared prefix: what the content check accepts. */
  readonly announcers: ReadonlySet<number>;
}

/** `accept`: the next hops the content check accepts on the shared prefix (default: the announcers'). */
export function pathPlan(addrs: readonly string[], blocks: readonly string[], shared: string, announcers: number, accept?: readonly string[]): PathPlan {
  return {
    blocks: new Map(blocks.map((b, i) => [parsePrefix4(b), parseIPv4(addrs[i] ?? '')])),
    shared,
    announcers: new Set((accept ?? addrs.slice(0, announcers)).map(parseIPv4)),
  };
}

/** One client's paths: blocks by prefix key (-> path id), the shared prefix by path id (-> next hop). */
export class ClientPaths {
  readonly #plan: PathPlan;
  readonly #sharedKey: number;
  readonly #own: number;
  readonly #want: ReadonlySet<number>;
  readonly #label: string;
  readonly #blocks = new Map<number, number>();
  readonly #shared = new Map<number, number>();
  readonly anomalies: string[] = [];
  anomalyCount = 0;

  constructor(plan: PathPlan, label: string, ownBlock: string, wantShared: ReadonlySet<number>) {
    this.#plan = plan;
    this.#sharedKey = parsePrefix4(plan.shared);
    this.#own = parsePrefix4(ownBlock);
    this.#want = wantShared;
    this.#label = label;
  }

  /** Blocks held (its own never counts). */
  get blocks(): number {
    return this.#blocks.size;
  }

  /** The shared prefix's paths held: path id -> next hop (number). */
  get shared(): ReadonlyMap<number, number> {
    return this.#shared;
  }

  get converged(): boolean {
    return this.#blocks.size === this.#plan.blocks.size - 1 && sharedComplete(this.#shared, this.#want);
  }

  #anomaly(what: () => string): void {
    if (this.anomalyCount++ < KEEP) this.anomalies.push(`client ${this.#label}: ${what()}`);
  }

  /** A path (key, path id) announced with next hop `nextHop` (a number; -1: none). */
  announce(key: number, pathId: number, nextHop: number): void {
    if (key === this.#sharedKey) {
      if (!this.#plan.announcers.has(nextHop)) this.#anomaly(() => `${this.#plan.shared} path id ${pathId} via ${hop(nextHop)}, which is no announcer's next hop`);
      this.#shared.set(pathId, nextHop);
      return;
    }
    if (key === this.#own) return;
    const want = this.#plan.blocks.get(key);
    if (want === undefined) {
      this.#anomaly(() => `${prefixText(key)} path id ${pathId}: a prefix nobody announced`);
      return;
    }
    if (nextHop !== want) this.#anomaly(() => `${prefixText(key)} via ${hop(nextHop)}, announced via ${hop(want)}`);
    const held = this.#blocks.get(key);
    if (held !== undefined && held !== pathId) this.#anomaly(() => `${prefixText(key)} with a second path id ${pathId} (holds ${held}); it has one announcer`);
    this.#blocks.set(key, pathId);
  }

  /** A path (key, path id) withdrawn; one it does not hold changes nothing. */
  withdraw(key: number, pathId: number): void {
    if (key === this.#sharedKey) this.#shared.delete(pathId);
    else if (this.#blocks.get(key) === pathId) this.#blocks.delete(key);
  }

  /** The session went down and comes back: it holds nothing (anomalies stay). */
  clear(): void {
    this.#blocks.clear();
    this.#shared.clear();
  }

  /**
   * One whole UPDATE of a session that receives path ids (`ctx.addPathRx` has IPv4 unicast): the
   * fast walker for every prefix; wren's decoder for the shared prefix (and the two must agree).
   */
  update(frame: Buffer, ctx: CodecContext): void {
    let nh: number | undefined;
    let sharedIds: number[] | undefined;
    walkUpdatePaths(frame, {
      withdraw: (key, id) => this.withdraw(key, id),
      announce: (key, id) => {
        if (key === this.#sharedKey) (sharedIds ??= []).push(id);
        else this.announce(key, id, (nh ??= nextHopNumber(frame)));
      },
    });
    if (sharedIds === undefined) return;
    const m = decodeMessage(frame, ctx);
    if (m.kind !== 'update') throw new Error(`decoded a ${m.kind} from an UPDATE frame`);
    const ids = m.nlri.flatMap((p, i) => (p === this.#plan.shared ? [m.nlriPathIds?.[i] ?? -1] : []));
    if (ids.join(',') !== sharedIds.join(',')) this.#anomaly(() => `${this.#plan.shared}: the walker read path ids ${sharedIds?.join(',')}, the codec ${ids.join(',')}`);
    const via = m.attrs?.nextHop === undefined ? -1 : parseIPv4(m.attrs.nextHop);
    for (const id of ids) this.announce(this.#sharedKey, id, via);
  }
}

const hop = (n: number): string => (n < 0 ? 'no next hop' : formatIPv4(n));
const prefixText = (key: number): string => `${formatIPv4(Math.floor(key / 64))}/${key % 64}`;

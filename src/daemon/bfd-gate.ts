/**
 * A BGP session that BFD can take down and hold down (docs/bfd.md). Every session of the speaker is
 * one; without BFD it behaves as a plain Peer.
 *
 * - `bfdFailed()`: the BFD session went Down under it. Without `graceful`: Cease / BFD Down (RFC
 *   9384; inside a Hard Reset when the RFC 8538 N bit was negotiated, as FRR does), so the peer's
 *   routes are withdrawn at once. With `graceful`: the connection is closed without a
 *   NOTIFICATION, as BIRD's `bfd graceful` does, and the speaker treats the loss as the peer
 *   restarting (RFC 4724 helper: its routes kept stale until the restart timer; speaker.ts reads
 *   `bfdGracefulDown` while the session goes down). With `requireUp` the session then stays down
 *   (`held`) until BFD is Up again (`release()`); without it, it starts again at once.
 * - `start()` and `accept()` consult the gate (bfd-link.ts `gate`): while it says to wait, the
 *   session is not started and incoming connections are closed. Automatic restarts (idle hold)
 *   cannot bypass it: a BFD failure stops the session with a manual stop, which has none.
 */
import type { Socket } from 'node:net';
import { CeaseSub } from '../codec/constants.js';
import { Peer, type PeerOptions } from '../session/peer.js';

/** Why the session must wait for BFD, or null when it may run. */
export type BfdGate = () => string | null;

export class GatedPeer extends Peer {
  readonly #gate: BfdGate;
  #held = false;
  #heldReason: string | undefined;
  #gracefulDown = false;
  /** The BFD stop in progress that restarts the session when done (without `requireUp`); an operator's stop cancels it. */
  #restartAfter: object | undefined;

  constructor(opts: PeerOptions, gate: BfdGate) {
    super(opts);
    this.#gate = gate;
  }

  /** Held down until BFD is Up again. */
  get held(): boolean {
    return this.#held;
  }

  /** True only while the session is going down for a `graceful` BFD failure (read by the speaker's down hook). */
  get bfdGracefulDown(): boolean {
    return this.#gracefulDown;
  }

  override get lastDownReason(): string | undefined {
    return this.#held && this.#heldReason !== undefined ? `waiting for BFD to come back Up (${this.#heldReason})` : super.lastDownReason;
  }

  override start(): void {
    const wait = this.#gate();
    if (wait !== null) {
      if (!this.#held) this.opts.log.info({ reason: wait }, 'session held: waiting for BFD');
      this.#held = true;
      this.#heldReason = wait;
      return;
    }
    this.#held = false;
    super.start();
  }

  override accept(socket: Socket): boolean {
    if (this.#held || this.#gate() !== null) {
      socket.destroy();
      return false;
    }
    return super.accept(socket);
  }

  /** An operator's or a reload's stop: a held session is no longer started when BFD comes back. */
  override stop(subcode?: number, text?: string, opts?: { hardReset?: boolean; reason?: string }): Promise<void> {
    this.#held = false;
    this.#restartAfter = undefined;
    return super.stop(subcode, text, opts);
  }

  /** BFD is Up: a held session starts. */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    this.opts.log.info({}, 'BFD is up: starting the held session');
    super.start();
  }

  /** The BFD session went Down (see the file comment). Resolves once the connection is closed. */
  async bfdFailed(o: { readonly graceful: boolean; readonly hold: boolean; readonly reason: string }): Promise<void> {
    this.#held = o.hold;
    this.#heldReason = o.reason;
    const token = {};
    this.#restartAfter = o.hold ? undefined : token;
    // The down hook runs inside the stop call, before it yields: the flag is read there.
    this.#gracefulDown = o.graceful;
    let closing: Promise<void>;
    try {
      closing = o.graceful ? super.stopForRestart(o.reason) : super.stop(CeaseSub.BFD_DOWN, undefined, { hardReset: true, reason: o.reason });
    } finally {
      this.#gracefulDown = false;
    }
    await closing;
    if (this.#restartAfter === token) {
      this.#restartAfter = undefined;
      super.start();
    }
  }
}

/**
 * A configured session that must not run here: it needs TCP MD5 (`password`) or GTSM
 * (`ttlSecurity`) and the native TCP options addon is not available (tcp-policy.ts
 * `sessionRefusal`). It is a Peer that never starts: it stays Idle, closes incoming connections
 * at once (a Peer that was never started would answer them), says why in `lastDownReason` (`wren
 * show peers`), and logs one line at `error` each time something tries to start it (daemon start,
 * a reload that adds or resets it, `wren peer enable` or `reset`). Every other session runs.
 */
import type { Socket } from 'node:net';
import type { PeerConfig } from '../config/types.js';
import { Peer, type PeerOptions } from '../session/peer.js';
import { addonOnlySettings, sessionRefusal } from './tcp-policy.js';

export class RefusedPeer extends Peer {
  readonly #reason: string;
  readonly #settings: readonly string[];

  constructor(opts: PeerOptions, reason: string, settings: readonly string[]) {
    super(opts);
    this.#reason = reason;
    this.#settings = settings;
  }

  override start(): void {
    this.opts.log.error({ needs: this.#settings, reason: this.#reason }, 'session not started: the native TCP options addon is missing');
  }

  override accept(socket: Socket): boolean {
    socket.destroy();
    return false;
  }

  override get lastDownReason(): string {
    return this.#reason;
  }
}

/** The session for a peer: a Peer, or a RefusedPeer when its TCP options cannot be honoured here. */
export function newPeer(cfg: PeerConfig, opts: PeerOptions): Peer {
  const refusal = sessionRefusal(cfg);
  return refusal === null ? new Peer(opts) : new RefusedPeer(opts, refusal, addonOnlySettings(cfg));
}

/**
 * The peer registry: which peers exist and how they came to (docs/architecture.md, "Who owns which
 * state"). The configured static peers; dynamic peers accepted from an address range, up to its
 * `maxPeers`, and forgotten once their session is gone (which frees the slot); an incoming
 * connection matched to its peer or refused (RFC 4271 8: connections only from configured peers);
 * a reload's add / remove / reset / refresh / in-place changes (config/diff.ts); the max-prefix
 * restart timer.
 *
 * Sessions are made by an injected factory (the speaker builds session/peer.ts `Peer`s; unit tests
 * pass fakes), and what a peer's routes and timers become is told to the speaker through hooks, so
 * this file knows no RIB, no socket and no timer rule but its own.
 */
import { CeaseSub } from '../codec/constants.js';
import type { Change } from '../config/diff.js';
import type { Config, DynamicPeerConfig, PeerConfig } from '../config/types.js';
import type { Family } from '../rib/types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { canonicalAddress, inSubnet as inRange } from '../util/inet.js';

/** What the registry needs of a session (session/peer.ts `Peer` is one). */
export interface RegisteredSession {
  readonly id: string;
  readonly state: string;
  start(): void;
  stop(subcode?: number): Promise<void>;
}

export interface PeerEntry<P extends RegisteredSession> {
  readonly peer: P;
  /** The config it runs with (a refresh or in-place reload replaces it). */
  config: PeerConfig;
  /** Accepted from an address range rather than configured by address. */
  readonly dynamic: boolean;
  /** Families whose End-of-RIB arrived since the session came up (convergence.ts, graceful-restart.ts, route-refresh.ts read it). */
  readonly eor: Set<Family>;
  /** Max-prefix `stop` with `restartAfter`: cancels the pending restart. */
  cancelRestart: (() => void) | undefined;
}

export interface RegistryHooks<P extends RegisteredSession> {
  /** A new session for this config at this (canonical) address, not started. */
  create(cfg: PeerConfig, id: string, dynamic: boolean): P;
  /** The entry's config is in effect (a new peer, or a reload that changed only routing): configure its RIB side. */
  configured(entry: PeerEntry<P>): void;
  /** A reload changed settings the session applies in place (no reset). */
  reconfigured(entry: PeerEntry<P>): void;
  /** The peer is leaving: its timers end now, before its session is stopped. */
  leaving(id: string): void;
  /** The peer is gone: its routes go, the decision process runs. */
  removed(id: string): void;
}

export interface PeerRegistryOptions<P extends RegisteredSession> {
  readonly clock: Clock;
  readonly log: Logger;
  readonly hooks: RegistryHooks<P>;
}

/** What `admit` did with an incoming connection. */
export type Admission<P extends RegisteredSession> =
  | { readonly kind: 'peer'; readonly entry: PeerEntry<P> }
  | { readonly kind: 'refused'; readonly why: 'unknown-address' | 'range-full'; readonly remote: string };

export class PeerRegistry<P extends RegisteredSession> {
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #hooks: RegistryHooks<P>;
  readonly #peers = new Map<string, PeerEntry<P>>();
  #closed = false;

  constructor(o: PeerRegistryOptions<P>) {
    this.#clock = o.clock;
    this.#log = o.log;
    this.#hooks = o.hooks;
  }

  /** The entry of a peer id (canonical address), as sessions name themselves. */
  get(id: string): PeerEntry<P> | undefined {
    return this.#peers.get(id);
  }

  /** The entry of an address as an operator writes it (any textual form). */
  find(address: string): PeerEntry<P> | undefined {
    return this.#peers.get(canonicalAddress(address));
  }

  entries(): IterableIterator<PeerEntry<P>> {
    return this.#peers.values();
  }

  get size(): number {
    return this.#peers.size;
  }

  /** Registers a peer (not started); a second one at the same address replaces nothing: callers remove first. */
  add(cfg: PeerConfig, address: string, dynamic: boolean): PeerEntry<P> {
    const id = canonicalAddress(address);
    const peer = this.#hooks.create(cfg, id, dynamic);
    const entry: PeerEntry<P> = { peer, config: cfg, dynamic, eor: new Set(), cancelRestart: undefined };
    this.#hooks.configured(entry);
    this.#peers.set(id, entry);
    return entry;
  }

  /** The static peers of a config that are enabled (started later, by `startAll`). */
  addConfigured(peers: readonly PeerConfig[]): void {
    for (const p of peers) if (p.kind === 'static' && p.enabled) this.add(p, p.address, false);
  }

  startAll(): void {
    for (const e of this.#peers.values()) e.peer.start();
  }

  /**
   * An incoming connection from `address` (RFC 4271 8): its peer, or a new dynamic peer when the
   * address is in an enabled range with room left (started at once), or refused.
   */
  admit(address: string, peers: readonly PeerConfig[]): Admission<P> {
    const id = canonicalAddress(address);
    const known = this.#peers.get(id);
    if (known) return { kind: 'peer', entry: known };
    const range = peers.find((p): p is DynamicPeerConfig => p.kind === 'dynamic' && p.enabled && inRange(id, p.addressRange));
    if (!range) return { kind: 'refused', why: 'unknown-address', remote: id };
    let count = 0;
    for (const x of this.#peers.values()) if (x.config === range) count++;
    if (count >= range.maxPeers) {
      this.#log.warn({ remote: id, range: range.addressRange, maxPeers: range.maxPeers }, 'dynamic peer refused: range is full');
      return { kind: 'refused', why: 'range-full', remote: id };
    }
    const entry = this.add(range, id, true);
    this.#log.info({ peer: id, range: range.addressRange }, 'dynamic peer accepted');
    entry.peer.start();
    return { kind: 'peer', entry };
  }

  /**
   * A reload's per-peer changes (config/diff.ts): remove (Cease 6/3 or 6/2), add, reset (remove
   * with Cease 6/6, then add), refresh (the new config in place, re-import and re-export), update in
   * place. Dynamic peers come back by connecting again.
   */
  async apply(changes: readonly Change[], next: Config): Promise<void> {
    for (const c of changes) {
      switch (c.kind) {
        case 'remove-peer':
          await this.#removeKey(c.key, c.cease);
          break;
        case 'add-peer':
          if (c.peer.kind === 'static') this.add(c.peer, c.peer.address, false).peer.start();
          break;
        case 'reset-peer':
          await this.#removeKey(c.key, c.cease);
          if (c.peer.kind === 'static') this.add(c.peer, c.peer.address, false).peer.start();
          break;
        case 'refresh-peer':
          for (const e of this.#ofKey(c.key)) {
            e.config = c.peer;
            this.#hooks.configured(e);
          }
          break;
        case 'update-in-place':
          if (c.key !== undefined) {
            for (const e of this.#ofKey(c.key)) {
              e.config = next.peers.find((p) => p.key === c.key) ?? e.config;
              this.#hooks.reconfigured(e);
            }
          }
          break;
        case 'global-reset':
          break;
      }
    }
  }

  /** A dynamic peer whose session is gone is forgotten (it frees its slot in the range), after this turn of the loop. */
  forgetDynamic(e: PeerEntry<P>): void {
    setImmediate(() => {
      if (this.#peers.get(e.peer.id) !== e || e.peer.state === 'Established') return;
      this.#hooks.leaving(e.peer.id);
      e.cancelRestart?.();
      void e.peer.stop(CeaseSub.PEER_DECONFIGURED);
      this.#peers.delete(e.peer.id);
      this.#hooks.removed(e.peer.id);
      this.#log.info({ peer: e.peer.id }, 'dynamic peer removed');
    });
  }

  /** Max-prefix exceeded with action `stop`: Cease 6/1, and a restart after `restartAfter` seconds if set. */
  maxPrefixStop(e: PeerEntry<P>): void {
    const mp = e.config.maxPrefix;
    void e.peer.stop(CeaseSub.MAX_PREFIXES);
    if (mp?.restartAfter !== undefined) {
      e.cancelRestart = this.#clock.after(mp.restartAfter * 1000, () => {
        e.cancelRestart = undefined;
        if (!this.#closed) e.peer.start();
      });
    }
  }

  /** The daemon stops: no pending restart fires any more. */
  close(): void {
    this.#closed = true;
    for (const e of this.#peers.values()) e.cancelRestart?.();
  }

  #ofKey(key: string): PeerEntry<P>[] {
    return [...this.#peers.values()].filter((e) => e.config.key === key);
  }

  async #removeKey(key: string, cease: number): Promise<void> {
    for (const e of this.#ofKey(key)) {
      this.#hooks.leaving(e.peer.id);
      e.cancelRestart?.();
      await e.peer.stop(cease);
      this.#peers.delete(e.peer.id);
      this.#hooks.removed(e.peer.id);
    }
  }
}

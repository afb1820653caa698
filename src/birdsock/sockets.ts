/**
 * The BIRD-compatible sockets of a running wren (control.birdSocket for the IPv4 sessions,
 * control.birdSocket6 for the IPv6 ones): opened at start, opened, closed or moved by a reload
 * (`apply` with the new config), closed at shutdown. A socket that cannot be opened (its path is
 * served by a running BIRD, or is not a socket) is logged and left closed; wren runs on, and the
 * next reload tries again.
 *
 * It also keeps the times `show status` reports: when wren started (this object was made) and when
 * its configuration was last loaded (the last `apply`).
 */
import type { ConnectionLimits } from '../control/connection.js';
import type { UnixLineServer } from '../control/unix-server.js';
import type { ControlConfig } from '../config/types.js';
import type { Logger } from '../util/log.js';
import { packageVersion } from '../util/version.js';
import type { BirdContext, BirdSource } from './answer.js';
import type { Family } from './command.js';
import { startBirdSocket } from './server.js';

/** What the sockets announce unless control.birdVersion says otherwise: `v` first, as Calico's status reporter expects. */
export const defaultBirdVersion = (): string => `v${packageVersion()}+wren`;

export interface BirdSocketsOptions {
  readonly source: BirdSource;
  readonly log: Logger;
  readonly limits?: Partial<ConnectionLimits>;
  /** Wall clock, milliseconds (tests inject it). */
  readonly now?: () => number;
}

export class BirdSockets {
  readonly #o: BirdSocketsOptions;
  readonly #now: () => number;
  readonly #open = new Map<Family, UnixLineServer>();
  readonly #startedMs: number;
  #reconfiguredMs: number;
  #version: string;

  constructor(o: BirdSocketsOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#startedMs = this.#now();
    this.#reconfiguredMs = this.#startedMs;
    this.#version = defaultBirdVersion();
  }

  /** The open sockets' paths. */
  get paths(): { readonly ipv4?: string; readonly ipv6?: string } {
    const v4 = this.#open.get('ipv4')?.path;
    const v6 = this.#open.get('ipv6')?.path;
    return { ...(v4 !== undefined ? { ipv4: v4 } : {}), ...(v6 !== undefined ? { ipv6: v6 } : {}) };
  }

  /**
   * Opens, closes or moves the sockets to match `control`. Called at start and after every
   * configuration that was applied (its time is `show status`'s last reconfiguration).
   */
  async apply(control: ControlConfig, opts: { readonly reloaded: boolean } = { reloaded: false }): Promise<void> {
    if (opts.reloaded) this.#reconfiguredMs = this.#now();
    this.#version = control.birdVersion ?? defaultBirdVersion();
    const wanted: readonly (readonly [Family, string | undefined])[] = [
      ['ipv4', control.birdSocket],
      ['ipv6', control.birdSocket6],
    ];
    // Close first: a path may move from one family's socket to the other's.
    for (const [family, path] of wanted) {
      const cur = this.#open.get(family);
      if (cur === undefined || cur.path === path) continue;
      this.#open.delete(family);
      await cur.close();
      this.#o.log.info({ family, path: cur.path }, 'BIRD socket closed');
    }
    for (const [family, path] of wanted) {
      if (path === undefined || this.#open.has(family)) continue;
      try {
        this.#open.set(family, await startBirdSocket(path, this.#context(family), this.#o.log.child({ family }), this.#o.limits));
      } catch (err) {
        this.#o.log.error({ err, family, path }, 'BIRD socket not opened');
      }
    }
  }

  async close(): Promise<void> {
    const open = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(open.map((s) => s.close()));
  }

  #context(family: Family): BirdContext {
    return {
      family,
      source: this.#o.source,
      version: () => this.#version,
      now: this.#now,
      startedMs: () => this.#startedMs,
      reconfiguredMs: () => this.#reconfiguredMs,
    };
  }
}

/**
 * The follower: the datastore's resources -> the configuration the daemon runs, live
 * (docs/datastore.md, "Following the datastore").
 *
 * - At start, `initial()` waits for the etcd layer's first snapshot and for a derived
 *   configuration that validates, and returns it (the daemon starts its speaker with it).
 * - Then every coalesced change of the copy (etcd.ts) is derived again (derive.ts) and, when the
 *   derived configuration differs from the last one applied, validated (config/validate.ts) and
 *   applied through `apply` (the speaker's reload: config/diff.ts decides what each change costs,
 *   so a node that joins adds one session and touches no other). A derived configuration that does
 *   not validate changes nothing and is logged with every problem, as an invalid file on reload is.
 * - Changes that arrive while one is being applied are applied after it, once (latest wins).
 *
 * The follower owns no I/O: the feed, the derivation, the validator and `apply` are injected.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Config, Issue, Result } from '../config/types.js';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { canonicalAddress } from '../util/inet.js';
import type { Logger } from '../util/log.js';
import type { DerivedConfig } from './derive.js';
import type { DatastoreFeed } from './etcd.js';
import type { DatastoreSnapshot, SkippedResource } from './types.js';

export type DeriveFn = (snapshot: DatastoreSnapshot, nodeName: string, fileRawConfig: unknown) => DerivedConfig;
export type ApplyFn = (config: Config) => Promise<{ readonly changes: number; readonly refused?: string }>;

/** Where a running session's configuration came from (`wren show peers`). */
export type PeerSource = 'datastore' | 'file';

/** The last derivation and what came of it (`wren show datastore`). */
export interface DeriveOutcome {
  readonly revision: number;
  readonly atMs: number;
  /** applied: reloaded; unchanged: the same configuration as running; invalid: refused (problems); refused: the speaker refused it (e.g. AS changed). */
  readonly result: 'applied' | 'unchanged' | 'invalid' | 'refused' | 'initial';
  readonly changes?: number;
  readonly problems?: readonly string[];
  /** Milliseconds spent deriving, validating and applying. */
  readonly deriveMs: number;
  readonly validateMs: number;
  readonly applyMs: number;
}

export interface FollowerStatus {
  readonly nodeName: string;
  readonly skipped: readonly SkippedResource[];
  readonly last?: DeriveOutcome;
  /** Configurations applied since start (the first one excluded). */
  readonly reconfigurations: number;
}

export interface FollowerOptions {
  readonly feed: DatastoreFeed;
  readonly nodeName: string;
  /** The configuration file as parsed now (it changes on reload). */
  readonly fileRaw: () => unknown;
  readonly derive: DeriveFn;
  readonly validate: (raw: unknown) => Result<Config>;
  readonly log: Logger;
  readonly clock?: Clock;
}

const formatProblem = (i: Issue): string => `${i.path}: ${i.message}`;

export class DatastoreFollower {
  readonly #o: FollowerOptions;
  readonly #clock: Clock;
  #apply: ApplyFn | undefined;
  #latest: DatastoreSnapshot | undefined;
  #waiter: (() => void) | undefined;
  #running = false;
  #again = false;
  #appliedRaw: unknown;
  #skipped: readonly SkippedResource[] = [];
  #skippedLogged = new Set<string>();
  #last: DeriveOutcome | undefined;
  #reconfigurations = 0;
  #fileKeys = new Set<string>();
  #idle: Promise<void> = Promise.resolve();

  constructor(o: FollowerOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    o.feed.onChange((s) => {
      this.#latest = s;
      if (this.#apply) this.#kick();
      else this.#waiter?.();
    });
  }

  /**
   * Waits for the first snapshot and a derived configuration that validates (each invalid one is
   * logged and waited past), and returns it.
   */
  async initial(): Promise<Config> {
    await this.#o.feed.firstSnapshot();
    this.#latest = this.#o.feed.snapshot() ?? this.#latest;
    for (;;) {
      const snapshot = this.#latest;
      if (!snapshot) throw new Error('unreachable: the feed resolved its first snapshot without one');
      const r = this.#derive(snapshot);
      if (r.config === null) throw new Error('unreachable: nothing applied before the first configuration');
      if (r.config.ok) {
        this.#appliedRaw = r.raw;
        this.#noteSources();
        this.#last = { revision: snapshot.revision, atMs: this.#clock.now(), result: 'initial', deriveMs: r.deriveMs, validateMs: r.validateMs, applyMs: 0 };
        return r.config.value;
      }
      this.#refusedInvalid(snapshot, r.config.issues, r.deriveMs, r.validateMs);
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
      });
      this.#waiter = undefined;
    }
  }

  /** From now on every change is applied through `apply` (the speaker is running). */
  follow(apply: ApplyFn): void {
    this.#apply = apply;
    if (this.#latest && this.#latest.revision !== this.#last?.revision) this.#kick();
  }

  /** The configuration file changed (SIGHUP, `wren reload`): derive again with it now. */
  async refresh(): Promise<DeriveOutcome | undefined> {
    this.#appliedRaw = undefined; // apply even if the derived object happens to be equal
    this.#kick();
    await this.settled();
    return this.#last;
  }

  /** Resolves once no change is being applied. */
  async settled(): Promise<void> {
    while (this.#running) await this.#idle;
  }

  status(): FollowerStatus {
    return { nodeName: this.#o.nodeName, skipped: this.#skipped, ...(this.#last ? { last: this.#last } : {}), reconfigurations: this.#reconfigurations };
  }

  /** Where a peer (by its key, config/types.ts PeerConfig.key) came from. */
  sourceOf(key: string): PeerSource {
    return this.#fileKeys.has(key) ? 'file' : 'datastore';
  }

  #kick(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#idle = this.#loop();
  }

  async #loop(): Promise<void> {
    try {
      do {
        this.#again = false;
        const snapshot = this.#latest;
        if (snapshot) await this.#applyOnce(snapshot);
      } while (this.#again);
    } finally {
      this.#running = false;
    }
  }

  async #applyOnce(snapshot: DatastoreSnapshot): Promise<void> {
    const apply = this.#apply;
    if (!apply) return;
    const r = this.#derive(snapshot);
    const base = { revision: snapshot.revision, atMs: this.#clock.now(), deriveMs: r.deriveMs, validateMs: r.validateMs };
    if (r.config === null) {
      this.#last = { ...base, result: 'unchanged', applyMs: 0 };
      return;
    }
    if (!r.config.ok) {
      this.#refusedInvalid(snapshot, r.config.issues, r.deriveMs, r.validateMs);
      return;
    }
    const t = this.#clock.now();
    const out = await apply(r.config.value);
    const applyMs = this.#clock.now() - t;
    if (out.refused !== undefined) {
      this.#last = { ...base, result: 'refused', problems: [out.refused], applyMs };
      this.#o.log.warn({ revision: snapshot.revision, reason: out.refused }, 'datastore change refused; the running configuration is kept');
      return;
    }
    this.#appliedRaw = r.raw;
    this.#noteSources();
    this.#reconfigurations++;
    this.#last = { ...base, result: 'applied', changes: out.changes, applyMs };
    this.#o.log.info({ revision: snapshot.revision, changes: out.changes, deriveMs: r.deriveMs, validateMs: r.validateMs, applyMs }, 'datastore change applied');
  }

  /** `config` is null when the derived object equals the one running (nothing to validate or apply). */
  #derive(snapshot: DatastoreSnapshot): { raw: unknown; config: Result<Config> | null; deriveMs: number; validateMs: number } {
    const t0 = this.#clock.now();
    const d = this.#o.derive(snapshot, this.#o.nodeName, this.#o.fileRaw());
    const t1 = this.#clock.now();
    this.#noteSkipped(d.skipped);
    const unchanged = this.#appliedRaw !== undefined && isDeepStrictEqual(this.#appliedRaw, d.config);
    const config = unchanged ? null : this.#o.validate(d.config);
    return { raw: d.config, config, deriveMs: t1 - t0, validateMs: this.#clock.now() - t1 };
  }

  #refusedInvalid(snapshot: DatastoreSnapshot, issues: readonly Issue[], deriveMs: number, validateMs: number): void {
    for (const i of issues) this.#o.log.error({ revision: snapshot.revision, path: i.path, problem: i.message, value: i.value }, 'derived configuration invalid; nothing changed');
    this.#last = { revision: snapshot.revision, atMs: this.#clock.now(), result: 'invalid', problems: issues.map(formatProblem), deriveMs, validateMs, applyMs: 0 };
  }

  /** Each skipped resource is logged once (per key and reason), not on every change. */
  #noteSkipped(skipped: readonly SkippedResource[]): void {
    this.#skipped = skipped;
    const now = new Set<string>();
    for (const s of skipped) {
      const id = `${s.key}\u0000${s.reason}`;
      now.add(id);
      if (!this.#skippedLogged.has(id)) this.#o.log.warn({ key: s.key, reason: s.reason }, 'datastore resource skipped');
    }
    this.#skippedLogged = now;
  }

  #noteSources(): void {
    const raw = this.#o.fileRaw();
    const peers = typeof raw === 'object' && raw !== null && Array.isArray((raw as { peers?: unknown }).peers) ? ((raw as { peers: unknown[] }).peers) : [];
    const keys = new Set<string>();
    for (const p of peers) {
      if (typeof p !== 'object' || p === null) continue;
      const a = (p as { address?: unknown; addressRange?: unknown }).address ?? (p as { addressRange?: unknown }).addressRange;
      if (typeof a === 'string') keys.add(a.includes('/') ? a : canonicalAddress(a));
    }
    this.#fileKeys = keys;
  }
}

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
import type { DeriveNote, DerivedConfig, DerivedSession, SessionOrigin } from './derive.js';
import type { DatastoreFeed } from './etcd.js';
import type { DatastoreSnapshot, SkippedResource } from './types.js';

export type DeriveFn = (snapshot: DatastoreSnapshot, nodeName: string, file: Readonly<Record<string, unknown>>) => DerivedConfig;
export type ApplyFn = (config: Config) => Promise<{ readonly changes: number; readonly refused?: string }>;

/**
 * Where a running session's configuration came from (`wren show peers`): confd's session name
 * for a derived one (Mesh_..., Global_..., Node_...) or "file", with the datastore keys it comes from.
 */
export interface PeerSource {
  readonly source: string;
  readonly origin: SessionOrigin;
  readonly resources: readonly string[];
}

/** The last derivation and what came of it (`wren show datastore`). */
export interface DeriveOutcome {
  readonly revision: number;
  readonly atMs: number;
  /**
   * applied: reloaded; unchanged: the same configuration as running; invalid: refused (problems);
   * refused: the speaker refused it (e.g. AS changed); no-node: this node has no Node resource, so
   * nothing is derived (confd renders nothing) and the running configuration is kept.
   */
  readonly result: 'applied' | 'unchanged' | 'invalid' | 'refused' | 'no-node' | 'initial';
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
  /** Settings read and not applied as written, and why (derive.ts notes). */
  readonly notes: readonly DeriveNote[];
  readonly last?: DeriveOutcome;
  /** Configurations applied since start (the first one excluded). */
  readonly reconfigurations: number;
}

export interface FollowerOptions {
  readonly feed: DatastoreFeed;
  readonly nodeName: string;
  /** The configuration file's JSON as accepted now (config-file.ts; it changes on reload). */
  readonly fileRaw: () => Readonly<Record<string, unknown>>;
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
  #notes: readonly DeriveNote[] = [];
  #notesLogged = new Set<string>();
  #last: DeriveOutcome | undefined;
  #reconfigurations = 0;
  /** The sessions of the configuration running, by peer key (address or range). */
  #sessions = new Map<string, DerivedSession>();
  #noNodeLogged = false;
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
      if (r.config === 'no-node') this.#noNode(snapshot, r.deriveMs);
      else if (r.config.ok) {
        this.#appliedRaw = r.raw;
        this.#noteSources(r.sessions);
        this.#last = { revision: snapshot.revision, atMs: this.#clock.now(), result: 'initial', deriveMs: r.deriveMs, validateMs: r.validateMs, applyMs: 0 };
        return r.config.value;
      } else this.#refusedInvalid(snapshot, r.config.issues, r.deriveMs, r.validateMs);
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
    return { nodeName: this.#o.nodeName, skipped: this.#skipped, notes: this.#notes, ...(this.#last ? { last: this.#last } : {}), reconfigurations: this.#reconfigurations };
  }

  /** Where a peer (by its key, config/types.ts PeerConfig.key) came from; a peer of no derived session is the file's (dynamic peers). */
  sourceOf(key: string): PeerSource {
    const s = this.#sessions.get(key);
    if (!s || s.origin === 'file') return { source: 'file', origin: 'file', resources: [] };
    return { source: s.name ?? s.origin, origin: s.origin, resources: s.resources };
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
    if (r.config === 'no-node') {
      this.#noNode(snapshot, r.deriveMs);
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
    this.#noteSources(r.sessions);
    this.#reconfigurations++;
    this.#last = { ...base, result: 'applied', changes: out.changes, applyMs };
    this.#o.log.info({ revision: snapshot.revision, changes: out.changes, deriveMs: r.deriveMs, validateMs: r.validateMs, applyMs }, 'datastore change applied');
  }

  /**
   * `config` is null when the derived object equals the one running (nothing to validate or
   * apply), 'no-node' when the snapshot has no Node resource of this node.
   */
  #derive(snapshot: DatastoreSnapshot): { raw: unknown; config: Result<Config> | null | 'no-node'; sessions: readonly DerivedSession[]; deriveMs: number; validateMs: number } {
    const t0 = this.#clock.now();
    const d = this.#o.derive(snapshot, this.#o.nodeName, this.#o.fileRaw());
    const t1 = this.#clock.now();
    this.#noteSkipped(d.skipped);
    this.#noteNotes(d.notes);
    if (!d.node.found) return { raw: d.config, config: 'no-node', sessions: d.sessions, deriveMs: t1 - t0, validateMs: 0 };
    this.#noNodeLogged = false;
    const unchanged = this.#appliedRaw !== undefined && isDeepStrictEqual(this.#appliedRaw, d.config);
    const config = unchanged ? null : this.#o.validate(d.config);
    return { raw: d.config, config, sessions: d.sessions, deriveMs: t1 - t0, validateMs: this.#clock.now() - t1 };
  }

  /** Without its Node resource confd renders nothing: wren keeps what runs (or, at start, waits). Logged once until it is back. */
  #noNode(snapshot: DatastoreSnapshot, deriveMs: number): void {
    if (!this.#noNodeLogged) this.#o.log.warn({ revision: snapshot.revision, node: this.#o.nodeName }, 'this node has no Node resource in the datastore; keeping the running configuration');
    this.#noNodeLogged = true;
    this.#last = { revision: snapshot.revision, atMs: this.#clock.now(), result: 'no-node', problems: [`no Node resource named ${this.#o.nodeName}`], deriveMs, validateMs: 0, applyMs: 0 };
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

  /** Each note is logged once (per key and message), not on every change. */
  #noteNotes(notes: readonly DeriveNote[]): void {
    this.#notes = notes;
    const now = new Set<string>();
    for (const n of notes) {
      const id = `${n.key}\u0000${n.message}`;
      now.add(id);
      if (!this.#notesLogged.has(id)) this.#o.log.info({ key: n.key, note: n.message }, 'datastore setting not applied as written');
    }
    this.#notesLogged = now;
  }

  #noteSources(sessions: readonly DerivedSession[]): void {
    const byKey = new Map<string, DerivedSession>();
    for (const s of sessions) byKey.set(s.address.includes('/') ? s.address : canonicalAddress(s.address), s);
    this.#sessions = byKey;
  }
}

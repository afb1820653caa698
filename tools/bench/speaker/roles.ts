/**
 * The three speaker roles. Each is set up by `init` (sessions established, wire bytes encoded:
 * everything before the clock starts) and then answers commands.
 *
 * - feeder: one eBGP session; pre-encodes the generated table (announce) and its withdrawal.
 * - sink: one eBGP session; keeps the set of IPv4 prefixes it holds (fast walker, nlri-walk.ts),
 *   fully decodes every `verifyEvery`-th UPDATE with wren's decoder as a correctness check, keeps
 *   every UPDATE, and on request (off the clock) replays them into what it holds with each
 *   prefix's next hop and AS path: its digest (digest.ts) or its differences from the table.
 * - clients: K iBGP sessions from K addresses; each announces its /26 and keeps the set of blocks it
 *   received; "reached" once every client holds the K - 1 blocks of the others. With `addPath`
 *   (reflector-addpath) the sessions negotiate ADD-PATH, the first clients also announce a shared
 *   prefix, and each client keeps every path by path id (client-paths.ts): "reached" once every
 *   client holds the K - 1 blocks and exactly the paths of the shared prefix it should.
 */
import { decodeMessage } from '../../../src/codec/message.js';
import { encodeUpdates } from '../../../src/codec/pack.js';
import { parsePrefix4 } from '../../../src/codec/nlri.js';
import { familyKey, type CodecContext } from '../../../src/codec/types.js';
import { encodeAnnouncements, encodeWithdrawals, type WireFeed } from '../feed.js';
import { diffRoutes, digestOf, tableRoutes } from '../digest.js';
import { replayRoutes, walkUpdate } from '../nlri-walk.js';
import { generateTable } from '../table.js';
import type { SpeakerCommand, SpeakerEvent, SpeakerInit } from './protocol.js';
import { ClientPaths, expectedSharedNextHops, pathPlan } from './client-paths.js';
import { BenchSession } from './session.js';

export type Emit = (e: SpeakerEvent) => void;

/** Waits (bounded) for End-of-RIB on every session: `eor` "yes" when all came, and the wait in ms. */
async function waitEor(sessions: readonly BenchSession[], timeoutMs: number): Promise<{ eor: string; eorMs: number }> {
  if (timeoutMs <= 0) return { eor: 'not awaited', eorMs: 0 };
  const t0 = performance.now();
  const got = await Promise.all(sessions.map((s) => s.endOfRib(timeoutMs)));
  const n = got.filter(Boolean).length;
  return { eor: n === sessions.length ? 'yes' : `${n}/${sessions.length}`, eorMs: Math.round(performance.now() - t0) };
}

export interface Role {
  handle(cmd: SpeakerCommand): Promise<void>;
  close(): void;
}

const ns = (t: bigint): string => t.toString();

type FeederInit = Extract<SpeakerInit, { role: 'feeder' }>;
type SinkInit = Extract<SpeakerInit, { role: 'sink' }>;
type ClientsInit = Extract<SpeakerInit, { role: 'clients' }>;
type WatchersInit = Extract<SpeakerInit, { role: 'watchers' }>;

async function feeder(init: FeederInit, emit: Emit): Promise<Role> {
  const session = new BenchSession({
    remote: init.remote,
    local: init.local,
    asn: init.asn,
    routerId: init.routerId,
    holdTime: init.holdTime,
    onUpdate: () => undefined,
    onDown: (why) => emit({ ev: 'down', why }),
  });
  await session.establish(Date.now() + init.establishTimeoutMs);
  const eor = await waitEor([session], init.eorTimeoutMs);
  const t0 = performance.now();
  const groups = generateTable({ n: init.n, seed: init.seed, firstAs: init.asn, nextHop: init.local, avoidAs: init.avoidAs });
  const t1 = performance.now();
  const announce: WireFeed = encodeAnnouncements(groups, session.ctx);
  const withdraw: WireFeed = encodeWithdrawals(groups, session.ctx);
  const t2 = performance.now();
  // The digest of the table as sent (digest.ts): the harness checks that its expectation is this table.
  const tableDigest = digestOf(tableRoutes(groups)).value;
  emit({
    ev: 'ready',
    info: {
      prefixes: announce.prefixes,
      attributeSets: groups.length,
      announceMessages: announce.messages,
      announceBytes: announce.bytes,
      withdrawMessages: withdraw.messages,
      withdrawBytes: withdraw.bytes,
      generateMs: Math.round(t1 - t0),
      encodeMs: Math.round(t2 - t1),
      tableDigest,
      ...eor,
    },
  });
  return {
    async handle(cmd) {
      if (cmd.cmd !== 'announce' && cmd.cmd !== 'withdraw') throw new Error(`feeder: unexpected command ${cmd.cmd}`);
      const r = await session.send((cmd.cmd === 'announce' ? announce : withdraw).chunks);
      emit({ ev: 'sent', firstNs: ns(r.firstNs), flushedNs: ns(r.flushedNs) });
    },
    close: () => session.close(),
  };
}

async function sink(init: SinkInit, emit: Emit): Promise<Role> {
  // The timed path stays what it was: a set of prefix keys, to say when the sink holds N (or 0).
  // Content is checked off the clock: every UPDATE is kept (a view, no copy) and, when the harness
  // asks for the digest, replayed in order into prefix -> the attributes it last came with.
  const held = new Set<number>();
  const log: Buffer[] = [];
  let updates = 0;
  let verified = 0;
  let expected: number | undefined;
  const check = (): void => {
    if (expected !== undefined && held.size === expected) {
      emit({ ev: 'reached', count: held.size, atNs: ns(process.hrtime.bigint()) });
      expected = undefined;
    }
  };
  const target = {
    withdraw: (k: number): void => {
      held.delete(k);
    },
    announce: (k: number): void => {
      held.add(k);
    },
  };
  let session: BenchSession | undefined;
  session = new BenchSession({
    remote: init.remote,
    local: init.local,
    asn: init.asn,
    routerId: init.routerId,
    holdTime: init.holdTime,
    onUpdate: (frame) => {
      updates++;
      if (init.verifyEvery > 0 && updates % init.verifyEvery === 1 && session) {
        // wren's full decoder on a sample: a malformed UPDATE from the daemon fails the run.
        const m = decodeMessage(frame, session.ctx);
        if (m.kind !== 'update') throw new Error('not an UPDATE');
        verified++;
      }
      walkUpdate(frame, target);
      log.push(frame);
      check();
    },
    onDown: (why) => emit({ ev: 'down', why }),
  });
  await session.establish(Date.now() + init.establishTimeoutMs);
  const eor = await waitEor([session], init.eorTimeoutMs);
  emit({ ev: 'ready', info: { as4: String(session.ctx.as4), ...eor } });
  const as4 = session.ctx.as4;
  return {
    handle(cmd) {
      if (cmd.cmd === 'expect') {
        expected = cmd.count;
        emit({ ev: 'expecting', count: cmd.count, now: held.size });
        check();
      } else if (cmd.cmd === 'status') {
        emit({ ev: 'status', info: { held: held.size, updates, verified } });
      } else if (cmd.cmd === 'digest') {
        const mine = replayRoutes(log, as4);
        if (mine.size !== held.size) throw new Error(`sink: the replayed log holds ${mine.size} prefixes, the live set ${held.size}`);
        emit({ ev: 'digest', count: mine.size, digest: digestOf(mine).value, attributeSets: new Set(mine.values()).size });
      } else if (cmd.cmd === 'diff') {
        emit({ ev: 'diff', diff: diffRoutes(replayRoutes(log, as4), tableRoutes(generateTable(cmd.table), cmd.transform)) });
      } else throw new Error(`sink: unexpected command ${cmd.cmd}`);
      return Promise.resolve();
    },
    close: () => session?.close(),
  };
}

/** What one reflector client holds, and whether that is everything it should (the clients role). */
interface ClientHolding {
  update(frame: Buffer, ctx: CodecContext): void;
  readonly done: boolean;
  /** Prefixes (blocks) held, for status. */
  readonly held: number;
  clear(): void;
}

/** reflector: the set of blocks held (fast walker, no path ids); done at the K - 1 of the others. */
function blockHolding(k: number, ownBlock: string): ClientHolding {
  const set = new Set<number>();
  const own = parsePrefix4(ownBlock);
  const sink = {
    withdraw: (key: number) => {
      set.delete(key);
    },
    announce: (key: number) => {
      if (key !== own) set.add(key);
    },
  };
  return {
    update: (frame) => walkUpdate(frame, sink),
    get done() {
      return set.size === k - 1;
    },
    get held() {
      return set.size;
    },
    clear: () => set.clear(),
  };
}

/** reflector-addpath: every path by path id (client-paths.ts); done once it holds exactly what it should. */
function pathHolding(paths: ClientPaths): ClientHolding {
  return {
    update: (frame, ctx) => paths.update(frame, ctx),
    get done() {
      return paths.converged;
    },
    get held() {
      return paths.blocks;
    },
    clear: () => paths.clear(),
  };
}

async function clients(init: ClientsInit, emit: Emit): Promise<Role> {
  const k = init.addrs.length;
  const ap = init.addPath;
  const plan = ap && pathPlan(init.addrs, init.blocks, ap.shared, ap.announcers, ap.acceptNextHops);
  const paths = init.addrs.map((addr, i) => plan && ap && new ClientPaths(plan, addr, init.blocks[i] ?? '', expectedSharedNextHops(addr, init.addrs.slice(0, ap.announcers), ap.toAnnouncer)));
  const held: ClientHolding[] = init.addrs.map((_, i) => {
    const p = paths[i];
    return p ? pathHolding(p) : blockHolding(k, init.blocks[i] ?? '');
  });
  let complete = 0;
  let armed = false;
  let setupDone = false;
  const onUpdate = (i: number, frame: Buffer, ctx: CodecContext): void => {
    const h = held[i];
    if (!h) return;
    const before = h.done;
    h.update(frame, ctx);
    const after = h.done;
    if (!before && after) complete++;
    else if (before && !after) complete--;
    if (armed && complete === k) {
      armed = false;
      emit({ ev: 'reached', count: k, atNs: ns(process.hrtime.bigint()) });
    }
  };
  const connectClient = (i: number): BenchSession => {
    const addr = init.addrs[i] ?? '';
    const s: BenchSession = new BenchSession({
      remote: init.remote,
      local: addr,
      asn: init.asn,
      routerId: addr,
      holdTime: init.holdTime,
      ...(ap ? { addPath: true } : {}),
      onUpdate: (frame) => onUpdate(i, frame, s.ctx),
      // During setup a dropped session is simply connected again (below); afterwards it fails the run.
      onDown: (why) => {
        if (setupDone) emit({ ev: 'down', why: `client ${addr}: ${why}` });
      },
    });
    return s;
  };
  const sessions = init.addrs.map((_, i) => connectClient(i));
  const t0 = performance.now();
  const deadline = Date.now() + init.establishTimeoutMs;
  const establishAll = async (which: readonly number[]): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < which.length) {
        const i = which[next++] ?? 0;
        await sessions[i]?.establish(deadline);
      }
    };
    await Promise.all(Array.from({ length: Math.min(init.concurrency, which.length) }, worker));
  };
  await establishAll(sessions.map((_, i) => i));
  const establishMs = Math.round(performance.now() - t0);
  let eor = await waitEor(sessions, init.eorTimeoutMs);
  // A daemon that drops sessions while hundreds are coming up (seen with FRR at K >= 500 on a
  // busy machine) gets them back: reconnects are reported, not hidden.
  let reconnects = 0;
  for (;;) {
    const down = sessions.flatMap((s, i) => (s.state === 'down' ? [i] : []));
    if (down.length === 0) break;
    if (Date.now() > deadline) throw new Error(`${down.length} client sessions keep going down (first: ${init.addrs[down[0] ?? 0]}: ${sessions[down[0] ?? 0]?.downReason})`);
    reconnects += down.length;
    for (const i of down) {
      held[i]?.clear();
      sessions[i] = connectClient(i);
    }
    complete = held.filter((h) => h.done).length;
    await establishAll(down);
    eor = await waitEor(down.flatMap((i) => sessions[i] ?? []), init.eorTimeoutMs);
  }
  setupDone = true;
  const updates = sessions.map((s, i) => {
    const addr = init.addrs[i] ?? '';
    const block = init.blocks[i] ?? '';
    // reflector-addpath: the announcers add the shared prefix, with the same attributes (their own next hop).
    const nlri = ap && i < ap.announcers ? [block, ap.shared] : [block];
    return Buffer.concat(encodeUpdates({ nlri, nlriPathIds: nlri.map(() => 1), attrs: { origin: 0, asPath: [], nextHop: addr, localPref: 100 } }, s.ctx));
  });
  const negotiated = ap
    ? { addPathReceive: sessions.filter((s) => s.ctx.addPathRx.has(familyKey(1, 1))).length, addPathSend: sessions.filter((s) => s.ctx.addPathTx.has(familyKey(1, 1))).length }
    : {};
  emit({ ev: 'ready', info: { clients: k, establishMs, reconnects, ...eor, ...negotiated } });
  return {
    async handle(cmd) {
      if (cmd.cmd === 'status') {
        const sizes = held.map((h) => h.held);
        const info: Record<string, number | string> = { complete, minHeld: Math.min(...sizes), maxHeld: Math.max(...sizes) };
        if (ap) {
          const shared = paths.map((p) => p?.shared.size ?? 0);
          const anomalies = paths.flatMap((p) => p?.anomalies ?? []);
          Object.assign(info, { minSharedPaths: Math.min(...shared), maxSharedPaths: Math.max(...shared), anomalies: paths.reduce((n, p) => n + (p?.anomalyCount ?? 0), 0) });
          if (anomalies[0] !== undefined) info['firstAnomaly'] = anomalies[0];
        }
        emit({ ev: 'status', info });
        return;
      }
      if (cmd.cmd !== 'announce') throw new Error(`clients: unexpected command ${cmd.cmd}`);
      armed = true;
      const firstNs = process.hrtime.bigint();
      await Promise.all(sessions.map((s, i) => s.send([updates[i] ?? Buffer.alloc(0)])));
      emit({ ev: 'sent', firstNs: ns(firstNs), flushedNs: ns(process.hrtime.bigint()) });
      if (complete === k && armed) {
        armed = false;
        emit({ ev: 'reached', count: k, atNs: ns(process.hrtime.bigint()) });
      }
    },
    close: () => {
      for (const s of sessions) s.close();
    },
  };
}

/**
 * watchers: K iBGP sessions that take whatever the daemon sends (UPDATEs are framed and dropped)
 * and timestamp every KEEPALIVE. `mark` starts a recording; `gaps` reports, per session, the
 * largest gap between KEEPALIVEs (the time since the last one counts at the end) and whether the
 * session went down, and the distribution of all gaps. A session going down is a result here, not
 * a failure of the speaker.
 */
async function watchers(init: WatchersInit, emit: Emit): Promise<Role> {
  interface Watch {
    readonly addr: string;
    last: number;
    gaps: number[];
    down?: string;
  }
  const watches: Watch[] = init.addrs.map((addr) => ({ addr, last: performance.now(), gaps: [] }));
  let markedAt = performance.now();
  const sessions = init.addrs.map((addr, i) => {
    const w = watches[i] as Watch;
    return new BenchSession({
      remote: init.remote,
      local: addr,
      asn: init.asn,
      routerId: addr,
      holdTime: init.holdTime,
      onUpdate: () => undefined,
      onKeepalive: () => {
        const now = performance.now();
        w.gaps.push(now - w.last);
        w.last = now;
      },
      onDown: (why) => {
        w.down ??= why;
      },
    });
  });
  const deadline = Date.now() + init.establishTimeoutMs;
  await Promise.all(sessions.map((s) => s.establish(deadline)));
  const eor = await waitEor(sessions, init.eorTimeoutMs);
  emit({ ev: 'ready', info: { sessions: sessions.length, ...eor } });
  return {
    handle(cmd) {
      if (cmd.cmd === 'mark') {
        markedAt = performance.now();
        for (const w of watches) {
          w.last = markedAt;
          w.gaps = [];
        }
        emit({ ev: 'status', info: { marked: 1 } });
      } else if (cmd.cmd === 'gaps') {
        const now = performance.now();
        const per = watches.map((w) => {
          const gaps = [...w.gaps, now - w.last].map((g) => Math.round(g));
          return { addr: w.addr, maxGapMs: Math.max(...gaps), keepalives: w.gaps.length, ...(w.down !== undefined ? { down: w.down } : {}), gaps };
        });
        const gapsMs = per.flatMap((p) => p.gaps).sort((a, b) => a - b);
        emit({ ev: 'gaps', report: { sessions: per.map(({ gaps: _g, ...rest }) => rest), gapsMs, durationMs: Math.round(now - markedAt) } });
      } else throw new Error(`watchers: unexpected command ${cmd.cmd}`);
      return Promise.resolve();
    },
    close: () => {
      for (const s of sessions) s.close();
    },
  };
}

export function startRole(init: SpeakerInit, emit: Emit): Promise<Role> {
  switch (init.role) {
    case 'feeder':
      return feeder(init, emit);
    case 'sink':
      return sink(init, emit);
    case 'clients':
      return clients(init, emit);
    case 'watchers':
      return watchers(init, emit);
  }
}

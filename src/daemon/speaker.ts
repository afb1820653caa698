/**
 * `Speaker`: a running wren, wired along the data flow of docs/architecture.md:
 *
 *   TCP 179 -> listener -> peer-registry.ts (which peers exist) -> session/peer.ts (one session each)
 *   UPDATE -> rib.receive -> decision-loop.ts (batched, sliced) -> kernel-routes.ts -> kernel/fib-sync.ts
 *                                                              -> each peer's Adj-RIB-Out -> peer.kick()
 *   session up / down, End-of-RIB -> graceful-restart.ts (a peer's restart: stale routes and their timers)
 *                                 -> convergence.ts (our restart: R bit, End-of-RIB deferral; first convergence)
 *   ROUTE-REFRESH -> route-refresh.ts (RFC 7313 BoRR / EoRR and the bound on the wait)
 *   BFD transitions (its own thread) -> bfd-link.ts -> the BGP session down / held / released (bfd-gate.ts)
 *   control socket -> operator actions, reload (config/diff.ts), stop (stop-style.ts)
 *
 * Every input arrives here as a callback and is handled synchronously; route work runs in the
 * decision loop's slices.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { CeaseSub } from '../codec/constants.js';
import type { UpdateMsg } from '../codec/types.js';
import { diffConfig } from '../config/diff.js';
import type { Config, PeerConfig } from '../config/types.js';
import { ControlError, type BfdView, type KernelStatusView, type PeerStatus, type RouteView } from '../control/protocol.js';
import { FibSync, type FibSyncStats, type ReconcileResult } from '../kernel/fib-sync.js';
import type { KernelPort } from '../kernel/port.js';
import { Rib } from '../rib/rib.js';
import type { Family, OriginatedRoute, PrefixCounts } from '../rib/types.js';
import { familyAfiSafi } from '../session/families.js';
import type { Negotiated } from '../session/negotiate.js';
import type { Peer, ConnectionInfo, DownInfo } from '../session/peer.js';
import type { PeerCountersView } from '../session/peer-counters.js';
import { systemClock, type Clock } from '../util/clock.js';
import { unmapIPv4 as unmapped } from '../util/inet.js';
import type { Logger } from '../util/log.js';
import type { GatedPeer } from './bfd-gate.js';
import { BfdLink, type BfdLinkOptions, type BfdStats } from './bfd-link.js';
import { Convergence, type PeerProgress, type RecoveryStatus } from './convergence.js';
import { DecisionLoop, type DecisionStats, type KernelSink } from './decision-loop.js';
import { GracefulRestartHelper } from './graceful-restart.js';
import { KernelRoutes } from './kernel-routes.js';
import { sessionAddresses } from './local-addresses.js';
import { PeerRegistry, type PeerEntry } from './peer-registry.js';
import { newPeer } from './refused-peer.js';
import { logReloadChanges } from './reload-log.js';
import { ribPeerConfig } from './rib-peer.js';
import { RouteRefresh } from './route-refresh.js';
import { sessionConfig } from './session-config.js';
import { sessionName } from './session-name.js';
import { MemoryRelease } from './memory-release.js';
import { kernelStatusView, peerStatus } from './status.js';
import { stopStyle } from './stop-style.js';
import { applyTtl, connectorFor, listen, peerTtl, updateListenerKeys } from './tcp-policy.js';

export interface SpeakerOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly clock?: Clock;
  /** Absent or kernel.enabled false: no kernel programming. */
  readonly kernel?: KernelPort;
  /** For tests: override the listen port (0 = any). */
  readonly listenPort?: number;
  /** For tests: the BFD engine (default: its own thread, bfd/service.ts). */
  readonly startBfd?: BfdLinkOptions['start'];
  /** Metrics (daemon/metrics-source.ts): each decision run's and kernel reconcile's duration. */
  readonly observer?: SpeakerObserver;
}

export interface SpeakerObserver {
  decisionRun(seconds: number): void;
  reconciled(r: ReconcileResult): void;
}

/** One peer as metrics read it: its `show peers` row, its counters, its prefixes per family. */
export interface PeerMetrics {
  readonly status: PeerStatus;
  readonly dynamic: boolean;
  readonly counters: PeerCountersView;
  readonly prefixes: Record<Family, PrefixCounts>;
}

export class Speaker {
  #config: Config;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #rib: Rib;
  readonly #fib: FibSync | undefined;
  readonly #kernelRoutes: KernelRoutes | undefined;
  readonly #peers: PeerRegistry<GatedPeer>;
  readonly #bfd: BfdLink;
  readonly #decisions: DecisionLoop;
  readonly #gr: GracefulRestartHelper;
  readonly #refresh: RouteRefresh;
  /** With a kernel only: first convergence purges its stale routes; our restart is told by our routes in it. */
  readonly #convergence: Convergence | undefined;
  #server: Server | undefined;
  /** A full GC once quiet after the RIB gave back a large table's columns (memory-release.ts). */
  readonly #memory: MemoryRelease;
  #stopping = false;
  readonly #listenPort: number | undefined;

  constructor(o: SpeakerOptions) {
    this.#config = o.config;
    this.#log = o.log;
    const clock = (this.#clock = o.clock ?? systemClock);
    this.#listenPort = o.listenPort;
    const c = o.config;
    const log = o.log;
    this.#memory = new MemoryRelease({ clock, log: log.child({ component: 'rib' }), quiet: () => this.#rib.pendingDecisions === 0 && !(this.#fib?.busy ?? false) });
    this.#rib = new Rib({
      localAs: c.asn,
      routerId: c.routerId,
      clusterId: c.routeReflector.clusterId,
      maxPaths: c.multipath.maxPaths,
      log, // the RIB adds its own component
      onCompacted: () => this.#memory.request(),
    });
    let sink: KernelSink | undefined;
    if (o.kernel && c.kernel.enabled) {
      const fib = new FibSync({
        port: o.kernel,
        protocol: c.kernel.protocol,
        tables: [c.kernel.table],
        clock,
        log: log.child({ component: 'kernel' }),
        scanIntervalMs: c.kernel.scanInterval * 1000,
        ...(o.observer ? { onReconcile: (r: ReconcileResult) => o.observer?.reconciled(r) } : {}),
      });
      const routes = new KernelRoutes(c.kernel);
      this.#kernelRoutes = routes;
      this.#fib = fib;
      sink = { options: () => routes.options(), changes: (ch, opts) => routes.changes(ch, opts), update: (d) => void fib.update(d) };
    }
    // While stopping, sessions going down must not take routes out of the kernel: a stop keeps them
    // (graceful restart) unless it withdraws, which FibSync.withdrawAll() does.
    this.#decisions = new DecisionLoop({
      rib: this.#rib,
      kernel: () => (this.#stopping ? undefined : sink),
      kick: () => this.#kickPending(),
      ...(o.observer ? { observe: (sec: number) => o.observer?.decisionRun(sec) } : {}),
    });
    this.#gr = new GracefulRestartHelper({
      clock,
      log,
      rib: this.#rib,
      settings: () => this.#config.gracefulRestart,
      changed: () => this.#decisions.schedule(),
      expired: (id) => {
        const e = this.#peers.get(id);
        if (e?.dynamic && e.peer.state !== 'Established') this.#peers.forgetDynamic(e);
      },
    });
    this.#refresh = new RouteRefresh({
      clock,
      log,
      rib: this.#rib,
      eorrWaitSec: () => this.#config.gracefulRestart.staleRoutesTime,
      changed: () => this.#decisions.schedule(),
    });
    this.#bfd = new BfdLink({
      clock,
      log: log.child({ component: 'bfd' }),
      failed: (id, how) => {
        const e = this.#peers.get(id);
        if (e && !this.#stopping) void e.peer.bfdFailed(how);
      },
      up: (id) => this.#peers.get(id)?.peer.release(),
      held: (id) => this.#peers.get(id)?.peer.held ?? false,
      ...(o.startBfd ? { start: o.startBfd } : {}),
    });
    this.#peers = new PeerRegistry<GatedPeer>({
      clock,
      log,
      hooks: {
        create: (cfg, id, dynamic) => this.#newPeer(cfg, id, dynamic),
        configured: (e) => this.#rib.configurePeer(ribPeerConfig(e.config, e.peer.id)),
        reconfigured: (e) => e.peer.reconfigure(this.#sessionConfig(e.config, e.peer.id, e.dynamic)),
        leaving: (id) => {
          this.#gr.cancel(id);
          this.#refresh.end(id);
        },
        removed: (id) => {
          this.#gr.forget(id);
          this.#rib.removePeer(id);
          this.#decisions.schedule();
        },
      },
    });
    const fib = this.#fib;
    this.#convergence = fib
      ? new Convergence({
          clock,
          log,
          timeoutSec: () => this.#config.kernel.convergenceTimeout,
          peers: () => this.#progress(),
          holdEndOfRib: (hold) => this.#rib.holdEndOfRib(hold),
          released: () => this.#kickPending(),
          converged: () => {
            // Let the decision process install what was learned before stale routes are purged.
            this.#decisions.schedule();
            setImmediate(() => void this.settled().then(() => fib.converged()));
          },
        })
      : undefined;
  }

  get rib(): Rib {
    return this.#rib;
  }

  /** What a stop without an explicit choice does (kernel.withdrawOnStop). */
  get withdrawsOnStop(): boolean {
    return this.#config.kernel.withdrawOnStop;
  }

  /** The port the listener is bound to (after start). */
  get listeningPort(): number | undefined {
    const a = this.#server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  async start(): Promise<void> {
    const c = this.#config;
    if (this.#fib) {
      await this.#fib.start();
      // RFC 4724 4.1: routes of ours still in the kernel mean we restarted with forwarding preserved.
      const kept = this.#fib.status().installed;
      if (c.gracefulRestart.enabled && kept > 0) this.#convergence?.restarted(kept);
    }
    this.#rib.setOriginated(originated(c));
    this.#peers.addConfigured(c.peers);
    this.#bfd.configure(c);
    if (c.listen.enabled) await this.#listen();
    this.#peers.startAll();
    this.#convergence?.arm();
    this.#decisions.schedule();
  }

  /**
   * Stops every session and the kernel reconciler. Two kinds of stop (docs/decisions/0004-planned-restart.md):
   * - a planned stop or restart (SIGTERM, the default): our kernel routes stay, and every session
   *   ends the way its peer keeps our routes too (RFC 4724 helper): with graceful restart negotiated
   *   and no RFC 8538 N bit from the peer, the connection is closed without a NOTIFICATION (a
   *   NOTIFICATION makes such a peer — BIRD 1.6, BIRD 2.0 — drop every route); with the N bit, a
   *   Cease (RFC 8538 keeps routes on it); without graceful restart, a Cease (the peer drops our
   *   routes whatever we send);
   * - a withdrawing stop (`wren stop --withdraw`, or kernel.withdrawOnStop): Cease / Hard Reset where
   *   the N bit was negotiated, else Cease, to every peer, so they all flush our routes, and our
   *   kernel routes are removed.
   */
  async stop(opts: { withdraw?: boolean; message?: string } = {}): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    const withdraw = opts.withdraw ?? this.#config.kernel.withdrawOnStop;
    const text = opts.message ?? 'wren shutting down';
    this.#convergence?.cancel();
    this.#server?.close();
    this.#peers.close();
    this.#gr.cancelAll();
    this.#refresh.endAll();
    this.#memory.stop();
    const stops = [...this.#peers.entries()].map((e) => {
      switch (stopStyle(e.peer.negotiated, withdraw)) {
        case 'close-silently':
          return e.peer.stopForRestart();
        case 'hard-reset':
          return e.peer.stop(CeaseSub.ADMINISTRATIVE_SHUTDOWN, text, { hardReset: true });
        case 'cease':
          return e.peer.stop(CeaseSub.ADMINISTRATIVE_SHUTDOWN, text);
      }
    });
    await Promise.all(stops);
    // BFD after BGP: the peers see our BFD sessions go AdminDown, which is not a failure to them.
    await this.#bfd.close();
    if (this.#fib) {
      await this.#fib.idle();
      if (withdraw) await this.#fib.withdrawAll();
      else this.#fib.stop();
    }
  }

  peerStatuses(): PeerStatus[] {
    return [...this.#peers.entries()].map((e) => peerStatus(e.peer, e.config, this.#rib.counts(e.peer.id), this.#clock.now(), this.#rib.routeStats(e.peer.id)));
  }

  /** Per peer, what metrics read (daemon/metrics-source.ts). */
  peerMetrics(): PeerMetrics[] {
    const now = this.#clock.now();
    return [...this.#peers.entries()].map((e) => ({
      status: peerStatus(e.peer, e.config, this.#rib.counts(e.peer.id), now, this.#rib.routeStats(e.peer.id)),
      dynamic: e.dynamic,
      counters: e.peer.counters,
      prefixes: this.#rib.familyCounts(e.peer.id),
    }));
  }

  /** Decision runs since start (metrics). */
  decisionStats(): DecisionStats {
    return this.#decisions.stats();
  }

  /** The kernel reconciler's counts (metrics); null without kernel programming. */
  kernelStats(): FibSyncStats | null {
    return this.#fib?.stats() ?? null;
  }

  routes(prefix?: string): RouteView[] {
    return this.#rib.routes(prefix);
  }

  /** `show bfd`. */
  bfdView(): Promise<BfdView> {
    return this.#bfd.view();
  }

  /** BFD per session, synchronously, for a metrics endpoint (bfd-link.ts BfdStats). */
  bfdStats(): BfdStats {
    return this.#bfd.stats();
  }

  kernelStatus(): KernelStatusView | null {
    const st = this.#fib?.status();
    return st ? kernelStatusView(st, this.#clock.now()) : null;
  }

  /** Our own graceful restart while it lasts (kernel routes kept from a previous run), else null. */
  recovery(): RecoveryStatus | null {
    return this.#convergence?.recovery() ?? null;
  }

  /** Resolves once the decision process and the kernel have caught up with everything received. */
  async settled(): Promise<void> {
    while (this.#decisions.scheduled) await new Promise((r) => setImmediate(r));
    await this.#fib?.idle();
  }

  // ------------------------------------------------------------ operator actions (control socket)

  #entry(address: string): PeerEntry<Peer> {
    const e = this.#peers.find(address);
    if (!e) throw new ControlError('ENOTFOUND', `no peer ${address}`);
    return e;
  }

  /** Cease / Administrative Shutdown (RFC 4486 2, RFC 9003 message); stays down until enabled. */
  async disablePeer(address: string, message?: string): Promise<void> {
    const e = this.#entry(address);
    e.cancelRestart?.();
    // The operator takes the session down: the peer must not keep our routes (RFC 8538 Hard Reset).
    await e.peer.stop(CeaseSub.ADMINISTRATIVE_SHUTDOWN, message, { hardReset: true });
  }

  enablePeer(address: string): void {
    const e = this.#entry(address);
    if (e.peer.state === 'Idle') e.peer.start();
  }

  /** Cease / Administrative Reset (RFC 4486 4), then reconnect. */
  async resetPeer(address: string, message?: string): Promise<void> {
    const e = this.#entry(address);
    await e.peer.stop(CeaseSub.ADMINISTRATIVE_RESET, message);
    if (!this.#stopping) e.peer.start();
  }

  /** Inbound soft reset: ROUTE-REFRESH (RFC 2918) for every negotiated family. */
  refreshPeer(address: string): { requested: string[] } {
    const e = this.#entry(address);
    const requested: string[] = [];
    for (const f of e.peer.negotiated?.families ?? []) {
      const { afi, safi } = familyAfiSafi(f);
      if (e.peer.requestRefresh(afi, safi)) requested.push(f);
    }
    return { requested };
  }

  /**
   * Applies a new, validated configuration (SIGHUP or `wren reload`), config/diff.ts deciding what each
   * change costs. AS number and router id changes need a restart and are refused.
   */
  async reload(next: Config): Promise<{ changes: number; refused?: string }> {
    const changes = diffConfig(this.#config, next);
    const global = changes.find((c) => c.kind === 'global-reset');
    if (global) {
      return { changes: 0, refused: `${global.changed.join(', ')} changed: restart wren to apply` };
    }
    const old = this.#config;
    this.#config = next;
    logReloadChanges(this.#log, changes);
    await this.#peers.apply(changes, next);
    this.#bfd.configure(next);
    if (!isDeepStrictEqual(old.originate, next.originate)) this.#rib.setOriginated(originated(next));
    if (old.log.level !== next.log.level) this.#log.level = next.log.level;
    this.#rebuildKernelRoutes(next);
    if (this.#server) updateListenerKeys(this.#server, old, next, this.#log);
    this.#convergence?.check(); // a removed peer no longer holds first convergence back
    this.#decisions.schedule();
    this.#log.info({ changes: changes.length }, 'configuration reloaded');
    return { changes: changes.length };
  }

  /**
   * A reload that changes how kernel routes are built (kernel.pools: a datastore pool's ipipMode;
   * kernel.mode, tunnelDevice, metric, blackhole) re-builds every best route in place: FibSync replaces the
   * routes that differ; no session is touched.
   */
  #rebuildKernelRoutes(next: Config): void {
    const routes = this.#kernelRoutes;
    const fib = this.#fib;
    if (!routes || !fib || !routes.reconfigure(next.kernel) || this.#stopping) return;
    const all = [...this.#rib.bestNextHops()].map(([prefix, best]) => ({ prefix, best }));
    const desired = routes.rebuild(all);
    if (desired.length > 0) void fib.update(desired);
    this.#log.info({ mode: next.kernel.mode, pools: next.kernel.pools.length, routes: all.length }, 'kernel routes rebuilt for new kernel settings');
  }

  // ------------------------------------------------------------ sessions

  #sessionConfig(cfg: PeerConfig, id: string, dynamic: boolean): ReturnType<typeof sessionConfig> {
    return sessionConfig(this.#config, cfg, id, dynamic, {
      restarting: () => this.#convergence?.restarting ?? false,
      forwardingPreserved: this.#fib !== undefined,
    });
  }

  #newPeer(cfg: PeerConfig, id: string, dynamic: boolean): GatedPeer {
    const log = this.#log.child({ component: 'peer', peer: id, session: sessionName(cfg, id) });
    return newPeer(cfg, {
      id,
      address: id,
      port: cfg.port,
      ...(cfg.localAddress ? { localAddress: cfg.localAddress } : {}),
      ebgp: cfg.type === 'ebgp',
      localAs: cfg.localAs,
      dynamic,
      session: this.#sessionConfig(cfg, id, dynamic),
      clock: this.#clock,
      log,
      connector: connectorFor(cfg, log),
      hooks: {
        established: (p, n, conn) => this.#onEstablished(p, n, conn),
        down: (p, info) => this.#onDown(p, info),
        update: (p, msg) => this.#onUpdate(p, msg),
        routeRefresh: (p, msg) => this.#refresh.received(p, msg, this.#peers.get(p.id)?.eor),
        pull: (p, budget) => this.#rib.nextMessages(p.id, budget),
      },
    }, () => this.#bfd.gate(id));
  }

  #onEstablished(p: Peer, n: Negotiated, conn: ConnectionInfo): void {
    const e = this.#peers.get(p.id);
    if (!e) return;
    e.eor.clear();
    this.#gr.established(p.id, n);
    const local = sessionAddresses(conn.localAddress);
    this.#rib.peerUp(p.id, {
      routerId: n.peerRouterId,
      families: n.families,
      ctx: n.ctx,
      localAddress: conn.localAddress,
      ...(local.v4 ? { localV4: local.v4 } : {}),
      ...(local.v6 ? { localV6: local.v6 } : {}),
      ...(local.v6LinkLocal ? { localV6LinkLocal: local.v6LinkLocal } : {}),
      peerAddress: conn.remoteAddress,
      directlyConnected: e.config.type === 'ibgp' || e.config.ebgpMultihop === undefined,
      extendedNextHopV4: n.extendedNextHopV4,
    });
    this.#decisions.schedule();
    p.kick();
    // A peer without graceful restart (or itself restarting) no longer holds our End-of-RIB back.
    this.#convergence?.check();
  }

  #onUpdate(p: Peer, msg: UpdateMsg): void {
    const r = this.#rib.receive(p.id, msg);
    const e = this.#peers.get(p.id);
    if (e && r.endOfRib.length > 0) {
      for (const f of r.endOfRib) e.eor.add(f);
      this.#gr.endOfRib(p.id, p.negotiated?.families, e.eor);
      this.#convergence?.check();
    }
    if (r.maxPrefixExceeded && e) this.#peers.maxPrefixStop(e);
    this.#decisions.schedule();
  }

  #onDown(p: Peer, info: DownInfo): void {
    const e = this.#peers.get(p.id);
    if (!e) return;
    this.#refresh.end(p.id);
    // BFD `graceful`: the loss is the peer restarting (RFC 4724 4.2, as for a TCP failure).
    const how: DownInfo = e.peer.bfdGracefulDown ? { reason: 'connection-closed', wasEstablished: true } : info;
    const kept = this.#gr.down(p.id, how, e.config.gracefulRestart);
    if (e.dynamic && !kept) this.#peers.forgetDynamic(e);
    this.#decisions.schedule();
  }

  /** Where each peer stands, for convergence.ts. */
  *#progress(): Generator<PeerProgress> {
    for (const e of this.#peers.entries()) {
      yield { dynamic: e.dynamic, enabled: e.config.enabled, established: e.peer.state === 'Established', negotiated: e.peer.negotiated, eor: e.eor };
    }
  }

  /** Peers whose Adj-RIB-Out has output pull it. */
  #kickPending(): void {
    for (const e of this.#peers.entries()) if (this.#rib.hasPending(e.peer.id)) e.peer.kick();
  }

  // ------------------------------------------------------------ listener

  async #listen(): Promise<void> {
    const c = this.#config;
    const server = createServer({ allowHalfOpen: false }, (s) => this.#onIncoming(s));
    this.#server = server;
    await listen(server, c, this.#listenPort ?? c.listen.port);
    server.on('error', (err) => this.#log.error({ err }, 'listener error'));
    this.#log.info({ address: c.listen.address, port: this.listeningPort }, 'listening');
  }

  /** RFC 4271 8: connections only from configured peers (or dynamic ranges); anything else is closed at once. */
  #onIncoming(socket: Socket): void {
    socket.on('error', () => undefined);
    if (this.#stopping) {
      socket.destroy();
      return;
    }
    const a = this.#peers.admit(unmapped(socket.remoteAddress ?? ''), this.#config.peers);
    if (a.kind === 'refused') {
      if (a.why === 'unknown-address') this.#log.warn({ remote: a.remote, port: socket.remotePort }, 'connection from an unknown address refused');
      socket.destroy();
      return;
    }
    applyTtl(socket, peerTtl(a.entry.config), this.#log);
    a.entry.peer.accept(socket);
  }
}

function originated(c: Config): OriginatedRoute[] {
  return c.originate.map((o) => ({ prefix: o.prefix, communities: o.communities, largeCommunities: o.largeCommunities }));
}

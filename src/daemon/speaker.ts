/**
 * `Speaker`: owns all mutable state of a running wren and wires the modules together
 * (docs/architecture.md): the peers (session/), the RIB (rib/), the kernel reconciler (kernel/), the
 * TCP listener and the control socket. Every input arrives here as a callback and is handled synchronously; the
 * decision process runs once per batch (setImmediate), then pushes best-route changes to the kernel
 * and kicks the peers whose Adj-RIB-Out has output.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { CeaseSub } from '../codec/constants.js';
import { diffConfig } from '../config/diff.js';
import { ControlError } from '../control/protocol.js';
import { ALL_FAMILIES, familyAfiSafi, familyOf } from '../session/families.js';
import type { RouteRefreshMsg } from '../codec/types.js';
import type { Family } from '../rib/types.js';
import type { Config, PeerConfig, StaticPeerConfig, DynamicPeerConfig } from '../config/types.js';
import type { KernelStatus } from '../kernel/fib-sync.js';
import { FibSync, type DesiredChange } from '../kernel/fib-sync.js';
import type { KernelPort } from '../kernel/port.js';
import type { KernelStatusView, PeerStatus, RouteView } from '../control/protocol.js';
import { Rib } from '../rib/rib.js';
import type { SessionConfig } from '../session/fsm.js';
import type { LocalOffer, Negotiated } from '../session/negotiate.js';
import { Peer, type ConnectionInfo, type DownInfo } from '../session/peer.js';
import { systemClock, type Clock } from '../util/clock.js';
import { Slicer } from '../util/slice.js';
import type { Logger } from '../util/log.js';
import { KernelRoutes } from './kernel-routes.js';
import { sessionAddresses } from './local-addresses.js';
import { canonicalAddress, inSubnet as inRange, unmapIPv4 as unmapped } from '../util/inet.js';
import { peerStatus } from './status.js';
import { applyTtl, connectorFor, listen, peerTtl, updateListenerKeys } from './tcp-policy.js';
import { ribPeerConfig } from './rib-peer.js';

/** Prefixes decided between two checks of the decision slice's budget. */
const DECIDE_GROUP = 256;

export interface SpeakerOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly clock?: Clock;
  /** Absent or kernel.enabled false: no kernel programming. */
  readonly kernel?: KernelPort;
  /** For tests: override the listen port (0 = any). */
  readonly listenPort?: number;
}

interface PeerEntry {
  readonly peer: Peer;
  config: PeerConfig;
  /** Graceful-restart helper: sweep timer while the peer restarts. */
  cancelStaleTimer?: (() => void) | undefined;
  /** Max-prefix 'stop' with restartAfter. */
  cancelRestart?: (() => void) | undefined;
  /** Families whose End-of-RIB arrived since the session came up (for first convergence). */
  readonly eor: Set<string>;
  /** Enhanced route refresh: per family, the bound on the wait for the peer's EoRR after its BoRR. */
  readonly refreshTimers: Map<Family, () => void>;
}

export class Speaker {
  #config: Config;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #rib: Rib;
  readonly #fib: FibSync | undefined;
  readonly #kernelRoutes: KernelRoutes | undefined;
  readonly #peers = new Map<string, PeerEntry>();
  #server: Server | undefined;
  #decideScheduled = false;
  #converged = false;
  #cancelConvergence: (() => void) | undefined;
  #stopping = false;
  #restarting = false;
  /** Restarting speaker: End-of-RIB held back until the peers' End-of-RIB (or the deadline). */
  #selectionDeferred = false;
  readonly #listenPort: number | undefined;

  constructor(o: SpeakerOptions) {
    this.#config = o.config;
    this.#log = o.log;
    this.#clock = o.clock ?? systemClock;
    this.#listenPort = o.listenPort;
    const c = o.config;
    this.#rib = new Rib({ localAs: c.asn, routerId: c.routerId, clusterId: c.routeReflector.clusterId, maxPaths: c.multipath.maxPaths, log: o.log.child({ component: 'rib' }) });
    if (o.kernel && c.kernel.enabled) {
      this.#fib = new FibSync({
        port: o.kernel,
        protocol: c.kernel.protocol,
        tables: [c.kernel.table],
        clock: this.#clock,
        log: o.log.child({ component: 'kernel' }),
        scanIntervalMs: c.kernel.scanInterval * 1000,
      });
      this.#kernelRoutes = new KernelRoutes(c.kernel);
    }
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
      this.#restarting = c.gracefulRestart.enabled && this.#fib.status().installed > 0;
      if (this.#restarting) {
        this.#log.info({ kept: this.#fib.status().installed }, 'restarting with forwarding state preserved');
        // RFC 4724 4.1: End-of-RIB only once our selection has what the peers had to say.
        this.#selectionDeferred = true;
        this.#rib.holdEndOfRib(true);
      }
    }
    this.#rib.setOriginated(c.originate.map((o) => ({ prefix: o.prefix, communities: o.communities, largeCommunities: o.largeCommunities })));
    for (const p of c.peers) {
      if (p.kind === 'static' && p.enabled) this.#addPeer(p, p.address, false);
    }
    if (c.listen.enabled) await this.#listen();
    for (const e of this.#peers.values()) e.peer.start();
    this.#armConvergence();
    this.#scheduleDecide();
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
    this.#cancelConvergence?.();
    this.#server?.close();
    const stops = [...this.#peers.values()].map((e) => {
      e.cancelStaleTimer?.();
      e.cancelRestart?.();
      for (const cancel of e.refreshTimers.values()) cancel();
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
    if (this.#fib) {
      await this.#fib.idle();
      if (withdraw) await this.#fib.withdrawAll();
      else this.#fib.stop();
    }
  }

  peerStatuses(): PeerStatus[] {
    return [...this.#peers.values()].map((e) => peerStatus(e.peer, e.config, this.#rib.counts(e.peer.id), this.#clock.now()));
  }

  routes(prefix?: string): RouteView[] {
    return this.#rib.routes(prefix);
  }

  kernelStatus(): KernelStatusView | null {
    const st: KernelStatus | undefined = this.#fib?.status();
    if (!st) return null;
    const now = this.#clock.now();
    const { lastReconcile, conflicts, failed, ...rest } = st;
    return {
      ...rest,
      conflicts: conflicts.map((c) => ({ key: c.key, prefix: c.prefix, sinceSec: Math.round((now - c.since) / 1000) })),
      failed: failed.map(({ since, ...f }) => ({ ...f, sinceSec: Math.round((now - since) / 1000) })),
      lastReconcile: lastReconcile
        ? (({ at, ...r }) => ({ ...r, agoSec: Math.round((now - at) / 1000) }))(lastReconcile)
        : null,
    };
  }

  /** Resolves once the decision process and the kernel have caught up with everything received. */
  async settled(): Promise<void> {
    while (this.#decideScheduled) await new Promise((r) => setImmediate(r));
    await this.#fib?.idle();
  }

  // ------------------------------------------------------------ operator actions (control socket)

  #entry(address: string): PeerEntry {
    const e = this.#peers.get(canonicalAddress(address));
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
    for (const c of changes) {
      switch (c.kind) {
        case 'remove-peer':
          await this.#removeConfigured(c.key, c.cease);
          break;
        case 'add-peer':
          if (c.peer.kind === 'static') this.#addPeer(c.peer, c.peer.address, false).peer.start();
          break;
        case 'reset-peer':
          await this.#removeConfigured(c.key, c.cease);
          if (c.peer.kind === 'static') this.#addPeer(c.peer, c.peer.address, false).peer.start();
          break;
        case 'refresh-peer':
          for (const e of this.#entriesOf(c.key)) {
            e.config = c.peer;
            // Adj-RIB-In keeps routes as received: re-import and re-export without asking the peer.
            this.#rib.configurePeer(ribPeerConfig(c.peer, e.peer.id));
          }
          break;
        case 'update-in-place':
          if (c.key !== undefined) {
            for (const e of this.#entriesOf(c.key)) {
              e.config = next.peers.find((p) => p.key === c.key) ?? e.config;
              e.peer.reconfigure(this.#sessionConfig(e.config, e.peer.id, e.peer.opts.dynamic));
            }
          }
          break;
        case 'global-reset':
          break;
      }
    }
    if (!isDeepStrictEqual(old.originate, next.originate)) {
      this.#rib.setOriginated(next.originate.map((o) => ({ prefix: o.prefix, communities: o.communities, largeCommunities: o.largeCommunities })));
    }
    if (old.log.level !== next.log.level) this.#log.level = next.log.level;
    if (this.#server) updateListenerKeys(this.#server, old, next, this.#log);
    this.#checkConvergence(); // a removed peer no longer holds first convergence back
    this.#scheduleDecide();
    this.#log.info({ changes: changes.length }, 'configuration reloaded');
    return { changes: changes.length };
  }

  #entriesOf(key: string): PeerEntry[] {
    return [...this.#peers.values()].filter((e) => e.config.key === key);
  }

  async #removeConfigured(key: string, cease: number): Promise<void> {
    for (const e of this.#entriesOf(key)) {
      e.cancelStaleTimer?.();
      e.cancelRestart?.();
      await e.peer.stop(cease);
      this.#rib.removePeer(e.peer.id);
      this.#peers.delete(e.peer.id);
    }
  }

  // ------------------------------------------------------------ peers

  /** The session settings of a peer (its OPEN offer, timers), rebuilt on an in-place reload. */
  #sessionConfig(cfg: PeerConfig, id: string, dynamic: boolean): SessionConfig {
    const c = this.#config;
    // Read when each OPEN is built: the R bit goes once the restart is over (#setConverged).
    const restarting = (): boolean => this.#restarting;
    const local: LocalOffer = {
      asn: cfg.localAs,
      routerId: c.routerId,
      holdTimeSec: cfg.holdTime,
      keepaliveSec: cfg.keepaliveTime,
      families: cfg.families,
      ...(c.gracefulRestart.enabled && cfg.gracefulRestart
        ? {
            gracefulRestart: {
              restartTimeSec: c.gracefulRestart.restartTime,
              get restarting(): boolean {
                return restarting();
              },
              forwardingPreserved: this.#fib !== undefined,
            },
          }
        : {}),
      extendedNextHop: id.includes(':'),
    };
    return {
      local,
      expect: { asn: cfg.asn },
      passive: cfg.passive || dynamic,
      connectRetrySec: cfg.connectRetryTime,
      idleHoldSec: c.timers.idleHoldTime,
      idleHoldMaxSec: c.timers.idleHoldMaxTime,
      stableSec: 60,
      ...(cfg.sendHoldTime !== undefined ? { sendHoldSec: cfg.sendHoldTime } : {}),
    };
  }

  #addPeer(cfg: PeerConfig, address: string, dynamic: boolean): PeerEntry {
    const id = canonicalAddress(address);
    const session = this.#sessionConfig(cfg, id, dynamic);
    const peer = new Peer({
      id,
      address: id,
      port: cfg.port,
      ...(cfg.localAddress ? { localAddress: cfg.localAddress } : {}),
      ebgp: cfg.type === 'ebgp',
      localAs: cfg.localAs,
      dynamic,
      session,
      clock: this.#clock,
      log: this.#log.child({ component: 'peer', peer: id }),
      connector: connectorFor(cfg, this.#log.child({ component: 'peer', peer: id })),
      hooks: {
        established: (p, n, conn) => this.#onEstablished(p, n, conn),
        down: (p, info) => this.#onDown(p, info),
        update: (p, msg) => {
          const r = this.#rib.receive(p.id, msg);
          const e = this.#peers.get(p.id);
          if (e && r.endOfRib.length > 0) {
            for (const f of r.endOfRib) e.eor.add(f);
            // Every family's End-of-RIB is in: the stale-path bound set at re-establishment is done.
            if (p.negotiated?.families.every((f) => e.eor.has(f))) {
              e.cancelStaleTimer?.();
              e.cancelStaleTimer = undefined;
            }
            this.#checkConvergence();
          }
          if (r.maxPrefixExceeded && e) this.#maxPrefixStop(e);
          this.#scheduleDecide();
        },
        routeRefresh: (p, msg) => this.#onRouteRefresh(p, msg),
        pull: (p, budget) => this.#rib.nextMessages(p.id, budget),
      },
    });
    this.#rib.configurePeer(ribPeerConfig(cfg, id));
    const entry: PeerEntry = { peer, config: cfg, eor: new Set(), refreshTimers: new Map() };
    this.#peers.set(id, entry);
    return entry;
  }

  #onEstablished(p: Peer, n: Negotiated, conn: ConnectionInfo): void {
    const e = this.#peers.get(p.id);
    if (!e) return;
    e.cancelStaleTimer?.();
    e.cancelStaleTimer = undefined;
    e.eor.clear();
    // RFC 4724 4.2: stale routes of a family whose forwarding state the restarted peer did not
    // preserve (F bit clear, or the family no longer listed) are removed at once.
    const preserved = new Set((n.gracefulRestart?.families ?? []).filter((f) => f.forwardingPreserved).map((f) => f.family));
    for (const f of ALL_FAMILIES) if (!preserved.has(f)) this.#rib.sweepStale(p.id, f);
    if (preserved.size > 0) {
      // The rest waits for its End-of-RIB, but not forever (like FRR's stale-path time): a peer that
      // never sends one loses its stale routes after gracefulRestart.staleRoutesTime.
      const sec = this.#config.gracefulRestart.staleRoutesTime;
      e.cancelStaleTimer = this.#clock.after(sec * 1000, () => {
        e.cancelStaleTimer = undefined;
        const swept = this.#rib.sweepStale(p.id);
        if (swept > 0) this.#log.warn({ peer: p.id, swept, waited: sec }, 'no End-of-RIB after the peer restarted: stale routes removed');
        this.#scheduleDecide();
      });
    }
    if (n.gracefulRestart) this.#lastGr.set(p.id, n.gracefulRestart);
    else this.#lastGr.delete(p.id);
    this.#lastN.set(p.id, n.gracefulNotification);
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
    this.#scheduleDecide();
    p.kick();
    // A peer without graceful restart (or itself restarting) no longer holds our End-of-RIB back.
    this.#checkConvergence();
  }

  /**
   * ROUTE-REFRESH (RFC 2918) and, when both sides offered enhanced route refresh, its BoRR / EoRR
   * (RFC 7313 4): a request is answered with the whole family between our own BoRR and EoRR; the
   * peer's BoRR marks its routes of the family stale, its EoRR removes those it did not send again.
   * The wait for the EoRR is bounded by gracefulRestart.staleRoutesTime (RFC 7313 4.2 leaves the
   * bound to the implementation). Other subtypes are ignored (RFC 7313 5).
   */
  #onRouteRefresh(p: Peer, msg: RouteRefreshMsg): void {
    const e = this.#peers.get(p.id);
    const enhanced = p.negotiated?.enhancedRouteRefresh === true;
    if (msg.subtype === 0) {
      this.#rib.refresh(p.id, msg.afi, msg.safi, enhanced);
      p.kick();
      return;
    }
    if (!enhanced || !e || (msg.subtype !== 1 && msg.subtype !== 2)) return;
    if (msg.subtype === 1) {
      // RFC 7313 4: with graceful restart, a BoRR before the peer's End-of-RIB of the family is
      // ignored (its EoRR then too: no refresh is under way).
      const f = familyOf(msg.afi, msg.safi);
      if (f === undefined || (p.negotiated?.gracefulRestart !== undefined && !e.eor.has(f))) return;
      const family = this.#rib.beginPeerRefresh(p.id, msg.afi, msg.safi);
      if (family === null) return;
      e.refreshTimers.get(family)?.();
      const sec = this.#config.gracefulRestart.staleRoutesTime;
      e.refreshTimers.set(
        family,
        this.#clock.after(sec * 1000, () => {
          e.refreshTimers.delete(family);
          const swept = this.#rib.sweepStale(p.id, family);
          this.#log.warn({ peer: p.id, family, swept, waited: sec }, 'no EoRR after the peer\'s BoRR: stale routes removed');
          this.#scheduleDecide();
        }),
      );
      this.#scheduleDecide();
      return;
    }
    const family = familyOf(msg.afi, msg.safi);
    if (family === undefined || !e.refreshTimers.has(family)) return; // an EoRR without a BoRR
    e.refreshTimers.get(family)?.();
    e.refreshTimers.delete(family);
    const swept = this.#rib.sweepStale(p.id, family);
    this.#log.info({ peer: p.id, family, swept }, 'route refresh from the peer complete (EoRR): routes it did not send again removed');
    this.#scheduleDecide();
  }

  #onDown(p: Peer, info: DownInfo): void {
    const e = this.#peers.get(p.id);
    if (!e) return;
    // A refresh under way ends with the session (its stale marks then follow graceful restart or go).
    for (const cancel of e.refreshTimers.values()) cancel();
    e.refreshTimers.clear();
    const gr = this.#lastGr.get(p.id);
    const graceful = gr !== undefined && this.#config.gracefulRestart.enabled && e.config.gracefulRestart && gracefulDown(info, gr.notification && this.#lastN.get(p.id) === true);
    // RFC 4724 4.2: only the families the peer listed in its capability are retained.
    const kept = graceful && gr ? gr.families.map((f) => f.family) : [];
    this.#rib.peerDown(p.id, { keepStale: kept.length > 0 });
    if (kept.length > 0) for (const f of ALL_FAMILIES) if (!kept.includes(f)) this.#rib.sweepStale(p.id, f);
    if (p.opts.dynamic && kept.length === 0) this.#forgetDynamic(e);
    if (kept.length > 0 && gr) {
      const sec = Math.min(gr.restartTimeSec, this.#config.gracefulRestart.staleRoutesTime);
      this.#log.info({ peer: p.id, restartTime: sec }, 'peer restarting: keeping its routes as stale');
      e.cancelStaleTimer?.();
      e.cancelStaleTimer = this.#clock.after(sec * 1000, () => {
        e.cancelStaleTimer = undefined;
        const n = this.#rib.sweepStale(p.id);
        this.#log.info({ peer: p.id, swept: n }, 'graceful restart timer expired: stale routes removed');
        if (p.opts.dynamic && p.state !== 'Established') this.#forgetDynamic(e);
        this.#scheduleDecide();
      });
    }
    this.#scheduleDecide();
  }

  /** The GR capability of the last established session per peer (the FSM forgets it on the way down). */
  readonly #lastGr = new Map<string, NonNullable<Negotiated['gracefulRestart']>>();
  /** Whether the last established session negotiated the RFC 8538 N bit. */
  readonly #lastN = new Map<string, boolean>();

  /** A dynamic peer whose session is gone is forgotten (it frees its slot in the range). */
  #forgetDynamic(e: PeerEntry): void {
    setImmediate(() => {
      if (this.#peers.get(e.peer.id) !== e || e.peer.state === 'Established') return;
      e.cancelStaleTimer?.();
      void e.peer.stop(CeaseSub.PEER_DECONFIGURED);
      this.#rib.removePeer(e.peer.id);
      this.#peers.delete(e.peer.id);
      this.#scheduleDecide();
      this.#log.info({ peer: e.peer.id }, 'dynamic peer removed');
    });
  }

  #maxPrefixStop(e: PeerEntry): void {
    const mp = e.config.maxPrefix;
    void e.peer.stop(CeaseSub.MAX_PREFIXES);
    if (mp?.restartAfter !== undefined) {
      e.cancelRestart = this.#clock.after(mp.restartAfter * 1000, () => {
        e.cancelRestart = undefined;
        if (!this.#stopping) e.peer.start();
      });
    }
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
    const addr = canonicalAddress(unmapped(socket.remoteAddress ?? ''));
    if (this.#stopping) {
      socket.destroy();
      return;
    }
    let e = this.#peers.get(addr);
    if (!e) {
      const range = this.#config.peers.find((p): p is DynamicPeerConfig => p.kind === 'dynamic' && p.enabled && inRange(addr, p.addressRange));
      if (range) {
        const count = [...this.#peers.values()].filter((x) => x.config === range).length;
        if (count >= range.maxPeers) {
          this.#log.warn({ remote: addr, range: range.addressRange, maxPeers: range.maxPeers }, 'dynamic peer refused: range is full');
          socket.destroy();
          return;
        }
        e = this.#addPeer(range, addr, true);
        this.#log.info({ remote: addr, range: range.addressRange }, 'dynamic peer accepted');
        e.peer.start();
      }
    }
    if (!e) {
      this.#log.warn({ remote: addr, port: socket.remotePort }, 'connection from an unknown address refused');
      socket.destroy();
      return;
    }
    applyTtl(socket, peerTtl(e.config), this.#log);
    e.peer.accept(socket);
  }

  // ------------------------------------------------------------ decision and kernel

  #scheduleDecide(): void {
    if (this.#decideScheduled) return;
    this.#decideScheduled = true;
    setImmediate(() => {
      this.#decideScheduled = false;
      this.#decide();
    });
  }

  /**
   * One slice of the decision process: DECIDE_GROUP prefixes at a time until the slice's budget is
   * spent (util/slice.ts); what is left runs after the event loop has turned (timers, sockets), so
   * a million changed prefixes never hold KEEPALIVEs back (docs/decisions/0005-bounded-route-work.md).
   */
  #decide(): void {
    const slicer = new Slicer();
    // While stopping, sessions going down must not take routes out of the kernel: SIGTERM keeps them
    // (graceful restart) unless kernel.withdrawOnStop, which withdrawAll() handles.
    const kernel = this.#fib && this.#kernelRoutes && !this.#stopping ? this.#kernelRoutes : undefined;
    const opts = kernel?.options();
    const desired: DesiredChange[] = [];
    do {
      const changes = this.#rib.decide(DECIDE_GROUP);
      // Built in the same slice: a route for the kernel costs more than a decision.
      if (kernel && changes.length > 0) for (const d of kernel.changes(changes, opts)) desired.push(d);
    } while (this.#rib.pendingDecisions > 0 && !slicer.spent);
    for (const e of this.#peers.values()) if (this.#rib.hasPending(e.peer.id)) e.peer.kick();
    if (this.#fib && desired.length > 0) void this.#fib.update(desired);
    if (this.#rib.pendingDecisions > 0) this.#scheduleDecide();
  }

  // ------------------------------------------------------------ first convergence (kernel stale purge)

  #armConvergence(): void {
    if (!this.#fib) return;
    this.#cancelConvergence = this.#clock.after(this.#config.kernel.convergenceTimeout * 1000, () => {
      this.#cancelConvergence = undefined;
      if (!this.#converged) this.#log.info({}, 'convergence deadline reached');
      this.#setConverged();
    });
    this.#checkConvergence();
  }

  /** Converged once every enabled configured peer has sent End-of-RIB for each negotiated family. */
  #checkConvergence(): void {
    this.#checkSelectionDeferral();
    if (this.#converged || !this.#fib) return;
    for (const e of this.#peers.values()) {
      if (e.peer.opts.dynamic || !e.config.enabled) continue;
      const n = e.peer.negotiated;
      if (!n || e.peer.state !== 'Established') return;
      if (!n.families.every((f) => e.eor.has(f))) return;
    }
    this.#setConverged();
  }

  /**
   * RFC 4724 4.1: the restarting speaker defers its selection until it "receives the End-of-RIB
   * marker from all its peers (excluding the ones with the "Restart State" bit set in the received
   * capability and excluding the ones that do not advertise the graceful restart capability)" or a
   * timer expires (here the convergence deadline, kernel.convergenceTimeout). Routes flow meanwhile;
   * only our End-of-RIB waits, so a helper does not sweep our stale routes before we relearned them.
   */
  #checkSelectionDeferral(): void {
    if (!this.#selectionDeferred) return;
    for (const e of this.#peers.values()) {
      if (e.peer.opts.dynamic || !e.config.enabled) continue;
      const n = e.peer.negotiated;
      if (!n || e.peer.state !== 'Established') return;
      if (!n.gracefulRestart || n.gracefulRestart.restarting) continue;
      if (!n.families.every((f) => e.eor.has(f))) return;
    }
    this.#endSelectionDeferral();
  }

  #endSelectionDeferral(): void {
    if (!this.#selectionDeferred) return;
    this.#selectionDeferred = false;
    this.#rib.holdEndOfRib(false);
    this.#log.info({}, 'selection deferral over: End-of-RIB to peers');
    for (const e of this.#peers.values()) if (this.#rib.hasPending(e.peer.id)) e.peer.kick();
  }

  #setConverged(): void {
    this.#endSelectionDeferral();
    if (this.#converged || !this.#fib) return;
    this.#converged = true;
    // The restart is over: later OPENs no longer carry the R bit (RFC 4724 3).
    this.#restarting = false;
    this.#cancelConvergence?.();
    const fib = this.#fib;
    // Let the decision process install what was learned before stale routes are purged.
    this.#scheduleDecide();
    setImmediate(() => void this.settled().then(() => fib.converged()));
  }
}

export type { StaticPeerConfig };

/**
 * How a stop ends one session (docs/decisions/0004-planned-restart.md). Keeping routes (a planned
 * restart): graceful restart negotiated and no N bit from the peer => close without a NOTIFICATION
 * (RFC 4724: a helper keeps our routes on a TCP failure; without RFC 8538 it drops them on any
 * NOTIFICATION); N bit => Cease, which RFC 8538 4 keeps routes on; no graceful restart => Cease (the
 * peer drops our routes whatever we send, and learns why). Withdrawing: Cease / Hard Reset where the
 * N bit was negotiated (RFC 8538 3), else Cease (Peer.stop decides).
 */
export function stopStyle(n: Negotiated | undefined, withdraw: boolean): 'close-silently' | 'cease' | 'hard-reset' {
  if (withdraw) return 'hard-reset';
  if (n?.gracefulRestart !== undefined && !n.gracefulNotification) return 'close-silently';
  return 'cease';
}

/**
 * Does the loss of a session keep the peer's routes (graceful restart helper)?
 * RFC 4724 4.2: a TCP failure does. A NOTIFICATION does not (the session was closed on purpose),
 * unless both sides set the N bit (RFC 8538 4): then every NOTIFICATION but Cease / Hard Reset does,
 * including Hold Timer Expired. An administrative stop of our own is never graceful on our side.
 */
export function gracefulDown(info: DownInfo, nBit: boolean): boolean {
  switch (info.reason) {
    case 'connection-closed':
      return true;
    case 'admin-stop':
    case 'graceful-stop':
    case 'collision':
      return false;
    case 'hold-timer-expired':
    case 'send-hold-timer-expired':
    case 'notification-received':
    case 'notification-sent':
    case 'fsm-error':
      return nBit && !(info.notification?.code === 6 && info.notification.subcode === CeaseSub.HARD_RESET);
  }
}

/**
 * `wren run`: the process. Loads the config (refusing to start on any problem), starts the speaker
 * and the control socket, and handles the shutdown path that leaves the FIB consistent (the
 * signals: SIGTERM/SIGINT are a planned stop (kernel routes kept, every session closed so that its
 * peer keeps our routes through graceful restart; Speaker.stop), unless kernel.withdrawOnStop; the
 * `stop` control command may ask for a withdrawing stop instead. Both end within a bounded time.
 * SIGHUP reloads the config. The BIRD-compatible sockets (control.birdSocket, birdSocket6) start after
 * the speaker, follow reloads, and close with the control socket. With `metrics.listen`, the metrics
 * and health endpoints are served (metrics/server.ts) from before the speaker starts until it has
 * stopped.
 *
 * With a `datastore` section (docs/datastore.md) the configuration is derived from Calico's
 * datastore: the control socket starts first, then wren waits for the first snapshot (the kernel
 * untouched meanwhile), registers and claims as configured, and starts the speaker with the derived
 * configuration; every change of the datastore is then applied as a reload is (datastore-mode.ts).
 */
import { BirdSockets } from '../birdsock/sockets.js';
import { loadConfigFile } from '../config/config-file.js';
import { processEnvironment, resolveDatastore, type DatastoreSettings } from '../config/datastore.js';
import { formatIssue } from '../config/issues.js';
import { loadConfig } from '../config/load.js';
import type { Config, Issue } from '../config/types.js';
import { validateConfig, validateParts, ValidationMemo } from '../config/validate.js';
import { ControlError, type ControlRequest } from '../control/protocol.js';
import { startControlServer, type ControlServer } from '../control/server.js';
import { NetlinkKernel } from '../kernel/netlink.js';
import type { KernelPort } from '../kernel/port.js';
import { assertNever } from '../util/assert.js';
import { createMetrics, type WrenMetrics } from '../metrics/registry.js';
import { startMetricsServer, type MetricsServer } from '../metrics/server.js';
import { systemClock } from '../util/clock.js';
import { createRootLogger, type Logger } from '../util/log.js';
import { birdSource } from './bird-source.js';
// Loaded only in datastore mode (runWithDatastore): its etcd client (gRPC, protobuf) costs about 18 MB
// of memory that a node configured by file would carry for nothing.
import type { DatastoreMode } from './datastore-mode.js';
import { startLoopMonitor, type LoopMonitor } from './loop-monitor.js';
import { metricsSource, SwitchableSource, waitingSource, type ProcessState } from './metrics-source.js';
import { EXIT_GRACE_MS, SHUTDOWN_BOUND_MS, stopWithin } from './shutdown.js';
import { Speaker } from './speaker.js';
import { addonStatus } from './tcp-policy.js';
import { limitHeapGrowth } from '../util/heap-growth.js';

type ReloadResult = { changes: number; refused?: string };
type Trigger = 'SIGHUP' | 'control';

/** What is running: the speaker (absent while a datastore is awaited) and the datastore mode. */
interface Running {
  speaker: Speaker | undefined;
  datastore: DatastoreMode | undefined;
  /** The planned stop, once the speaker runs (untilStopped). */
  stop: ((why: string, how?: StopHow) => void) | undefined;
}

/** What util/heap-growth.ts set (null: the node command line's own flag), for the start-up log line. */
let heapGrowingPercent: number | null = null;

/** The speaker and what was started with it. */
interface Started {
  readonly speaker: Speaker;
  readonly kernel: KernelPort | undefined;
  readonly ops: MetricsServer | undefined;
}

export async function runDaemon(opts: { configPath: string }): Promise<number> {
  // Before any table is held: the heap may grow to twice what is live, not four times (util/heap-growth.ts).
  heapGrowingPercent = limitHeapGrowth();
  const loaded = loadConfigFile(opts.configPath);
  if (!loaded.ok) return refuse(opts.configPath, loaded.issues);
  if (loaded.value.kind === 'datastore') {
    const settings = resolveDatastore(loaded.value.datastore, processEnvironment());
    if (!settings.ok) return refuse(opts.configPath, settings.issues);
    return runWithDatastore(opts.configPath, loaded.value.raw, settings.value);
  }
  const config = loaded.value.config;
  const log = createRootLogger(config.log.level);
  installCrashHandlers(log);
  warnWithoutAddon(log);
  const state: ProcessState = { started: false, stopping: false, reloads: { ok: 0, failed: 0 }, config };
  const metricsRef: { metrics?: WrenMetrics } = {};
  const loop = startLoopMonitor(log.child({ component: 'loop' }), { observe: (s) => metricsRef.metrics?.observeLoopLag(s) });

  const started = await startSpeaker(config, log, loop, state, metricsRef);
  if (typeof started === 'number') return started;
  const { speaker, kernel, ops } = started;
  const running: Running = { speaker, datastore: undefined, stop: undefined };
  const bird = new BirdSockets({ source: birdSource(speaker, () => state.config, () => state.stopping), log: log.child({ component: 'birdsock' }) });
  await bird.apply(config.control);
  const reload = (trigger: Trigger): Promise<ReloadResult> => {
    log.info({ trigger, path: opts.configPath }, 'reload requested');
    return reloadFrom(opts.configPath, speaker, log, state, async (next) => {
      await bird.apply(next.control, { reloaded: true });
    });
  };
  const control = await startControlServer(
    config.control.socket,
    (req) => handleControl(running, req, () => reload('control'), (how) => setImmediate(() => running.stop?.('stop command', how))),
    log.child({ component: 'control' }),
  );
  log.info({ routerId: config.routerId, asn: config.asn, peers: config.peers.length, originate: config.originate.length, socket: config.control.socket, heapGrowingPercent }, 'wren started');
  return untilStopped(log, running, state, { control, bird, kernel, ops, loop, reload });
}

function refuse(path: string, issues: readonly Issue[]): number {
  for (const i of issues) process.stderr.write(`${path}: ${formatIssue(i)}\n`);
  process.stderr.write(`wren: refusing to start: ${issues.length} problem(s) in ${path}\n`);
  return 1;
}

function warnWithoutAddon(log: Logger): void {
  // Without the addon wren runs; sessions that need TCP MD5 or GTSM do not start (refused-peer.ts).
  const addon = addonStatus();
  if (!addon.ok) log.warn({ reason: addon.reason }, 'native TCP options addon not available: sessions with password or ttlSecurity will not start');
}

/** The kernel port, the speaker and (with metrics.listen) the metrics listener; an exit code when one cannot start. */
/** A metrics listener started before the speaker (datastore mode): the speaker's source replaces the waiting one. */
interface EarlyMetrics {
  readonly server: MetricsServer;
  readonly source: SwitchableSource;
}

async function startSpeaker(config: Config, log: Logger, loop: LoopMonitor, state: ProcessState, ref: { metrics?: WrenMetrics }, early?: EarlyMetrics): Promise<Started | number> {
  let kernel: KernelPort | undefined;
  if (config.kernel.enabled) kernel = new NetlinkKernel();
  const observer = { decisionRun: (s: number) => ref.metrics?.observeDecisionRun(s), reconciled: (r: { kind: 'full' | 'incremental'; durationMs: number }) => ref.metrics?.observeReconcile(r.kind, r.durationMs / 1000) };
  const speaker = new Speaker({ config, log, ...(kernel ? { kernel } : {}), observer });

  let ops: MetricsServer | undefined;
  if (early) {
    early.source.inner = metricsSource(speaker, loop, state);
    ops = early.server;
  } else if (config.metrics.listen) {
    const source = metricsSource(speaker, loop, state);
    const metrics = createMetrics(source);
    ref.metrics = metrics;
    try {
      ops = await startMetricsServer({ ...config.metrics.listen, metrics, source, log: log.child({ component: 'metrics' }) });
    } catch (err) {
      log.fatal({ err, listen: config.metrics.listen }, 'cannot listen for metrics (metrics.listen)');
      await kernel?.close();
      loop.stop();
      return 1;
    }
    log.info({ address: ops.address.address, port: ops.address.port }, 'metrics listening');
  }

  try {
    await speaker.start();
  } catch (err) {
    log.fatal({ err }, 'failed to start');
    await ops?.close();
    await kernel?.close();
    loop.stop();
    return 1;
  }
  state.started = true;
  return { speaker, kernel, ops };
}

/** wren driven by a datastore (docs/datastore.md): waits for the first snapshot, then follows it. */
async function runWithDatastore(path: string, raw: Readonly<Record<string, unknown>>, settings: DatastoreSettings): Promise<number> {
  // The file's own sections with their defaults (log, control, metrics), before anything is derived.
  const fileIssues: Issue[] = [];
  const fileConfig = validateParts(raw, 'datastore-file', fileIssues);
  if (!fileConfig || fileIssues.length > 0) return refuse(path, fileIssues);
  const log = createRootLogger(fileConfig.log.level);
  installCrashHandlers(log);
  warnWithoutAddon(log);
  const metricsRef: { metrics?: WrenMetrics } = {};
  const loop = startLoopMonitor(log.child({ component: 'loop' }), { observe: (s) => metricsRef.metrics?.observeLoopLag(s) });
  let fileRaw = raw;
  // Derived configurations come one after another with few differences: unchanged peers are not parsed again.
  const memo = new ValidationMemo();
  const { DatastoreMode } = await import('./datastore-mode.js');
  const ds = new DatastoreMode({ settings, fileRaw: () => fileRaw, validate: (r) => validateConfig(r, memo), log: log.child({ component: 'datastore' }) });
  const running: Running = { speaker: undefined, datastore: ds, stop: undefined };
  let state: ProcessState | undefined;
  let bird: BirdSockets | undefined;
  let earlyStop: ((code: number) => void) | undefined;

  const reload = async (trigger: Trigger): Promise<ReloadResult> => {
    log.info({ trigger, path }, 'reload requested');
    const failed = (issues: readonly Issue[]): never => {
      if (state) state.reloads.failed++;
      for (const i of issues) log.error({ path: i.path, problem: i.message, value: i.value }, 'invalid configuration; reload refused');
      log.warn({ reason: `${issues.length} problem(s) in ${path}` }, 'reload refused');
      throw new ControlError('EBADCONFIG', `reload refused: ${issues.map(formatIssue).join('; ')}`);
    };
    const again = loadConfigFile(path);
    if (!again.ok) return failed(again.issues);
    if (again.value.kind !== 'datastore') return failed([{ path: '$.datastore', message: 'the datastore section was removed: restart wren to run from the file alone' }]);
    const next = resolveDatastore(again.value.datastore, processEnvironment());
    if (!next.ok) return failed(next.issues);
    if (next.value.nodeName !== settings.nodeName || next.value.endpoints.join(',') !== settings.endpoints.join(',')) {
      log.warn({ running: { nodeName: settings.nodeName, endpoints: settings.endpoints }, configured: { nodeName: next.value.nodeName, endpoints: next.value.endpoints } }, 'datastore settings changed: apply at the next start');
    }
    fileRaw = again.value.raw;
    const out = await ds.follower.refresh();
    if (out?.result === 'invalid') return failed((out.problems ?? []).map((p) => ({ path: '$', message: `derived configuration: ${p}` })));
    if (out?.result === 'refused' || out?.result === 'no-node') {
      if (state) state.reloads.failed++;
      const refused = (out.problems ?? []).join('; ');
      log.warn({ reason: refused }, 'reload refused');
      return { changes: 0, refused };
    }
    if (state) state.reloads.ok++;
    return { changes: out?.result === 'applied' ? (out.changes ?? 0) : 0 };
  };

  const control = await startControlServer(
    fileConfig.control.socket,
    (req) => handleControl(running, req, () => reload('control'), (how) => setImmediate(() => (running.stop ? running.stop('stop command', how) : earlyStop?.(0)))),
    log.child({ component: 'control' }),
  );
  // /livez and /readyz answer while wren waits (a probe must not kill a node whose etcd is down).
  let early: EarlyMetrics | undefined;
  if (fileConfig.metrics.listen) {
    const source = new SwitchableSource(waitingSource(loop, () => fileConfig, 'the datastore (wren show datastore)'));
    const metrics = createMetrics(source);
    metricsRef.metrics = metrics;
    try {
      early = { server: await startMetricsServer({ ...fileConfig.metrics.listen, metrics, source, log: log.child({ component: 'metrics' }) }), source };
    } catch (err) {
      log.fatal({ err, listen: fileConfig.metrics.listen }, 'cannot listen for metrics (metrics.listen)');
      await control.close();
      loop.stop();
      return 1;
    }
    log.info({ address: early.server.address.address, port: early.server.address.port }, 'metrics listening');
  }
  log.info({ node: settings.nodeName, endpoints: settings.endpoints, sources: settings.sources, socket: fileConfig.control.socket }, 'wren waiting for the datastore');

  // Until the speaker runs, a signal or `wren stop` just ends the wait (nothing to hand over).
  const waiting = new Promise<number>((resolve) => {
    earlyStop = resolve;
  });
  const onEarlySignal = (): void => earlyStop?.(0);
  process.once('SIGTERM', onEarlySignal);
  process.once('SIGINT', onEarlySignal);
  const first = await Promise.race([ds.start().then((c) => ({ config: c })), waiting.then((code) => ({ code }))]).catch((err: unknown) => ({ err }));
  process.off('SIGTERM', onEarlySignal);
  process.off('SIGINT', onEarlySignal);
  if (!('config' in first)) {
    if ('err' in first) log.fatal({ err: first.err }, 'datastore start failed');
    await ds.close();
    await early?.server.close();
    await control.close();
    loop.stop();
    return 'err' in first ? 1 : first.code;
  }
  const config = first.config;
  const st: ProcessState = { started: false, stopping: false, reloads: { ok: 0, failed: 0 }, config };
  state = st;
  const started = await startSpeaker(config, log, loop, st, metricsRef, early);
  if (typeof started === 'number') {
    await ds.close();
    await early?.server.close();
    await control.close();
    return started;
  }
  const { speaker, kernel, ops } = started;
  running.speaker = speaker;
  const sockets = new BirdSockets({ source: birdSource(speaker, () => st.config, () => st.stopping), log: log.child({ component: 'birdsock' }) });
  bird = sockets;
  await sockets.apply(config.control);
  // Every datastore change (and a reload) goes through the speaker's reload; what it takes is what runs.
  ds.follower.follow(async (next) => {
    const r = await speaker.reload(next);
    if (r.refused === undefined && !st.stopping) {
      const before = st.config.metrics.listen;
      const after = next.metrics.listen;
      if (before?.address !== after?.address || before?.port !== after?.port) log.warn({ running: before ?? null, configured: after ?? null }, 'metrics.listen changed: applies at the next start');
      st.config = next;
      await sockets.apply(next.control, { reloaded: true });
    }
    return r;
  });
  log.info({ routerId: config.routerId, asn: config.asn, peers: config.peers.length, originate: config.originate.length, socket: config.control.socket, heapGrowingPercent }, 'wren started');
  return untilStopped(log, running, st, { control, bird, kernel, ops, loop, reload, beforeStop: () => ds.close() });
}

interface Lifecycle {
  readonly control: ControlServer;
  readonly bird: BirdSockets;
  readonly kernel: KernelPort | undefined;
  readonly ops: MetricsServer | undefined;
  readonly loop: LoopMonitor;
  readonly reload: (trigger: Trigger) => Promise<unknown>;
  /** Before the speaker stops (the datastore: no change is applied during a stop). */
  readonly beforeStop?: () => Promise<void>;
}

/** Runs until SIGTERM/SIGINT or `wren stop`; SIGHUP reloads. */
function untilStopped(log: Logger, running: Running, state: ProcessState, l: Lifecycle): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (why: string, how: StopHow = {}): void => {
      if (stopping) return;
      stopping = true;
      state.stopping = true;
      const speaker = running.speaker;
      log.info({ trigger: why, withdrawRoutes: how.withdraw ?? state.config.kernel.withdrawOnStop }, 'shutting down');
      void stopWithin(SHUTDOWN_BOUND_MS, systemClock, async () => {
        try {
          await l.beforeStop?.();
          await speaker?.stop(how);
          await l.control.close();
          await l.bird.close();
        } catch (err) {
          log.error({ err }, 'error during shutdown');
        } finally {
          await l.kernel?.close().catch(() => undefined);
          await l.ops?.close().catch(() => undefined);
          l.loop.stop();
        }
      }).then((outcome) => {
        if (outcome === 'timed-out') log.warn({ boundMs: SHUTDOWN_BOUND_MS }, 'shutdown took too long; exiting');
        else log.info({}, 'stopped');
        // Whatever is still open (a peer that never closed) must not keep the process past the bound.
        setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
        resolve(0);
      });
    };
    running.stop = shutdown;
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGHUP', () => {
      l.reload('SIGHUP').catch(() => undefined);
    });
  });
}

/** How a stop was asked for: withdraw (undefined: kernel.withdrawOnStop) and an RFC 9003 message. */
interface StopHow {
  readonly withdraw?: boolean;
  readonly message?: string;
}

const NOT_READY = (): never => {
  throw new ControlError('ENOTREADY', 'no sessions yet: waiting for the datastore (wren show datastore)');
};

async function handleControl(running: Running, req: ControlRequest, reload: () => Promise<unknown>, stop: (how: StopHow) => void): Promise<unknown> {
  const speaker = running.speaker;
  switch (req.cmd) {
    case 'show-peers': {
      const peers = speaker?.peerStatuses() ?? [];
      const ds = running.datastore;
      if (!ds) return peers;
      return peers.map((p) => {
        const s = ds.follower.sourceOf(p.address);
        return { ...p, source: s.source, ...(s.resources.length > 0 ? { sourceResources: s.resources } : {}) };
      });
    }
    case 'show-routes':
      return speaker?.routes(req.prefix) ?? [];
    case 'show-kernel':
      return speaker?.kernelStatus() ?? null;
    case 'show-bfd':
      return speaker?.bfdView() ?? { mode: 'off', sessions: [] };
    case 'show-datastore':
      return running.datastore?.status(performance.now()) ?? null;
    case 'peer-disable':
      await (speaker ?? NOT_READY()).disablePeer(req.address, req.message);
      return null;
    case 'peer-enable':
      (speaker ?? NOT_READY()).enablePeer(req.address);
      return null;
    case 'peer-reset':
      await (speaker ?? NOT_READY()).resetPeer(req.address, req.message);
      return null;
    case 'peer-refresh':
      return (speaker ?? NOT_READY()).refreshPeer(req.address);
    case 'reload':
      return reload();
    case 'stop': {
      // Answered first; the stop begins once the answer is on its way.
      const how: StopHow = { ...(req.withdraw !== undefined ? { withdraw: req.withdraw } : {}), ...(req.message !== undefined ? { message: req.message } : {}) };
      stop(how);
      return { stopping: true, withdraw: req.withdraw ?? speaker?.withdrawsOnStop ?? false };
    }
    default:
      return assertNever(req);
  }
}

/**
 * Re-reads and validates the file; an invalid file changes nothing (convention 13). `applied` runs
 * once the speaker took it. Counted for metrics: ok, or failed (invalid, refused, or an error while
 * applying it).
 */
async function reloadFrom(
  path: string,
  speaker: Speaker,
  log: Logger,
  state: ProcessState,
  applied: (next: Config) => Promise<void>,
): Promise<ReloadResult> {
  const loaded = loadConfig(path);
  if (!loaded.ok) {
    state.reloads.failed++;
    for (const i of loaded.issues) log.error({ path: i.path, problem: i.message, value: i.value }, 'invalid configuration; reload refused');
    log.warn({ reason: `${loaded.issues.length} problem(s) in ${path}` }, 'reload refused');
    throw new ControlError('EBADCONFIG', `reload refused: ${loaded.issues.map(formatIssue).join('; ')}`);
  }
  let r: ReloadResult;
  try {
    r = await speaker.reload(loaded.value);
  } catch (err) {
    state.reloads.failed++;
    throw err;
  }
  if (r.refused) {
    state.reloads.failed++;
    log.warn({ reason: r.refused }, 'reload refused');
    return r;
  }
  state.reloads.ok++;
  const before = state.config.metrics.listen;
  const after = loaded.value.metrics.listen;
  if (before?.address !== after?.address || before?.port !== after?.port) {
    log.warn({ running: before ?? null, configured: after ?? null }, 'metrics.listen changed: applies at the next start');
  }
  state.config = loaded.value;
  await applied(loaded.value);
  return r;
}

function installCrashHandlers(log: Logger): void {
  // docs/architecture.md (Node rules): never continue after an uncaught error; the startup adoption of kernel
  // routes makes a restart safe.
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    process.exit(70);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection');
    process.exit(70);
  });
}

export type { Config };

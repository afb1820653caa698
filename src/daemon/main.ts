/**
 * The daemon process (`wren run --config FILE`): load and validate the config (refuse to start on any
 * problem), build the logger, the kernel port and the Speaker, serve the control socket, and handle
 * signals: SIGTERM/SIGINT are a planned stop (kernel routes kept, every session closed so that its
 * peer keeps our routes through graceful restart; Speaker.stop), unless kernel.withdrawOnStop; the
 * `stop` control command may ask for a withdrawing stop instead. Both end within a bounded time.
 * SIGHUP reloads the config. The BIRD-compatible sockets (control.birdSocket, birdSocket6) start after
 * the speaker, follow reloads, and close with the control socket. With `metrics.listen`, the metrics
 * and health endpoints are served (metrics/server.ts) from before the speaker starts until it has
 * stopped.
 */
import { BirdSockets } from '../birdsock/sockets.js';
import { formatIssue } from '../config/issues.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { ControlError, type ControlRequest } from '../control/protocol.js';
import { startControlServer } from '../control/server.js';
import { NetlinkKernel } from '../kernel/netlink.js';
import type { KernelPort } from '../kernel/port.js';
import { assertNever } from '../util/assert.js';
import { createMetrics, type WrenMetrics } from '../metrics/registry.js';
import { startMetricsServer, type MetricsServer } from '../metrics/server.js';
import { systemClock } from '../util/clock.js';
import { createRootLogger, type Logger } from '../util/log.js';
import { birdSource } from './bird-source.js';
import { startLoopMonitor } from './loop-monitor.js';
import { metricsSource, type ProcessState } from './metrics-source.js';
import { EXIT_GRACE_MS, SHUTDOWN_BOUND_MS, stopWithin } from './shutdown.js';
import { Speaker } from './speaker.js';
import { addonStatus } from './tcp-policy.js';


export async function runDaemon(opts: { configPath: string }): Promise<number> {
  const loaded = await loadConfig(opts.configPath);
  if (!loaded.ok) {
    for (const i of loaded.issues) process.stderr.write(`${opts.configPath}: ${formatIssue(i)}\n`);
    process.stderr.write(`wren: refusing to start: ${loaded.issues.length} problem(s) in ${opts.configPath}\n`);
    return 1;
  }
  const config = loaded.value;
  const log = createRootLogger(config.log.level);
  installCrashHandlers(log);
  // Without the addon wren runs; sessions that need TCP MD5 or GTSM do not start (refused-peer.ts).
  const addon = addonStatus();
  if (!addon.ok) log.warn({ reason: addon.reason }, 'native TCP options addon not available: sessions with password or ttlSecurity will not start');
  const state: ProcessState = { started: false, stopping: false, reloads: { ok: 0, failed: 0 }, config };
  let metrics: WrenMetrics | undefined;
  const loop = startLoopMonitor(log.child({ component: 'loop' }), { observe: (s) => metrics?.observeLoopLag(s) });

  let kernel: KernelPort | undefined;
  if (config.kernel.enabled) kernel = new NetlinkKernel();
  const observer = { decisionRun: (s: number) => metrics?.observeDecisionRun(s), reconciled: (r: { kind: 'full' | 'incremental'; durationMs: number }) => metrics?.observeReconcile(r.kind, r.durationMs / 1000) };
  const speaker = new Speaker({ config, log, ...(kernel ? { kernel } : {}), observer });

  let ops: MetricsServer | undefined;
  if (config.metrics.listen) {
    const source = metricsSource(speaker, loop, state);
    metrics = createMetrics(source);
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
    return 1;
  }
  state.started = true;
  let current = config;
  let stopping = false;
  const bird = new BirdSockets({ source: birdSource(speaker, () => current, () => stopping), log: log.child({ component: 'birdsock' }) });
  await bird.apply(config.control);
  const reload = (trigger: 'SIGHUP' | 'control'): Promise<{ changes: number; refused?: string }> => {
    log.info({ trigger, path: opts.configPath }, 'reload requested');
    return reloadFrom(opts.configPath, speaker, log, state, async (next) => {
      current = next;
      await bird.apply(next.control, { reloaded: true });
    });
  };
  let shutdown: (why: string, how?: StopHow) => void = () => undefined;
  const control = await startControlServer(
    config.control.socket,
    (req) => handleControl(speaker, req, () => reload('control'), (how) => setImmediate(() => shutdown('stop command', how))),
    log.child({ component: 'control' }),
  );
  log.info({ routerId: config.routerId, asn: config.asn, peers: config.peers.length, originate: config.originate.length, socket: config.control.socket }, 'wren started');

  return new Promise<number>((resolve) => {
    shutdown = (why: string, how: StopHow = {}): void => {
      if (stopping) return;
      stopping = true;
      state.stopping = true;
      log.info({ trigger: why, withdrawRoutes: how.withdraw ?? config.kernel.withdrawOnStop }, 'shutting down');
      void stopWithin(SHUTDOWN_BOUND_MS, systemClock, async () => {
        try {
          await speaker.stop(how);
          await control.close();
          await bird.close();
        } catch (err) {
          log.error({ err }, 'error during shutdown');
        } finally {
          await kernel?.close().catch(() => undefined);
          await ops?.close().catch(() => undefined);
          loop.stop();
        }
      }).then((outcome) => {
        if (outcome === 'timed-out') log.warn({ boundMs: SHUTDOWN_BOUND_MS }, 'shutdown took too long; exiting');
        else log.info({}, 'stopped');
        // Whatever is still open (a peer that never closed) must not keep the process past the bound.
        setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
        resolve(0);
      });
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGHUP', () => {
      reload('SIGHUP').catch(() => undefined);
    });
  });
}

/** How a stop was asked for: withdraw (undefined: kernel.withdrawOnStop) and an RFC 9003 message. */
interface StopHow {
  readonly withdraw?: boolean;
  readonly message?: string;
}

async function handleControl(speaker: Speaker, req: ControlRequest, reload: () => Promise<unknown>, stop: (how: StopHow) => void): Promise<unknown> {
  switch (req.cmd) {
    case 'show-peers':
      return speaker.peerStatuses();
    case 'show-routes':
      return speaker.routes(req.prefix);
    case 'show-kernel':
      return speaker.kernelStatus();
    case 'show-bfd':
      return speaker.bfdView();
    case 'peer-disable':
      await speaker.disablePeer(req.address, req.message);
      return null;
    case 'peer-enable':
      speaker.enablePeer(req.address);
      return null;
    case 'peer-reset':
      await speaker.resetPeer(req.address, req.message);
      return null;
    case 'peer-refresh':
      return speaker.refreshPeer(req.address);
    case 'reload':
      return reload();
    case 'stop': {
      // Answered first; the stop begins once the answer is on its way.
      const how: StopHow = { ...(req.withdraw !== undefined ? { withdraw: req.withdraw } : {}), ...(req.message !== undefined ? { message: req.message } : {}) };
      stop(how);
      return { stopping: true, withdraw: req.withdraw ?? speaker.withdrawsOnStop };
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
): Promise<{ changes: number; refused?: string }> {
  const loaded = loadConfig(path);
  if (!loaded.ok) {
    state.reloads.failed++;
    for (const i of loaded.issues) log.error({ path: i.path, problem: i.message, value: i.value }, 'invalid configuration; reload refused');
    log.warn({ reason: `${loaded.issues.length} problem(s) in ${path}` }, 'reload refused');
    throw new ControlError('EBADCONFIG', `reload refused: ${loaded.issues.map(formatIssue).join('; ')}`);
  }
  let r: { changes: number; refused?: string };
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

/**
 * The daemon process (`wren run --config FILE`): load and validate the config (refuse to start on any
 * problem), build the logger, the kernel port and the Speaker, serve the control socket, and handle
 * signals: SIGTERM/SIGINT are a planned stop (kernel routes kept, every session closed so that its
 * peer keeps our routes through graceful restart; Speaker.stop), unless kernel.withdrawOnStop; the
 * `stop` control command may ask for a withdrawing stop instead. Both end within a bounded time.
 * SIGHUP reloads the config.
 */
import { formatIssue } from '../config/issues.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { ControlError, type ControlRequest } from '../control/protocol.js';
import { startControlServer } from '../control/server.js';
import { NetlinkKernel } from '../kernel/netlink.js';
import type { KernelPort } from '../kernel/port.js';
import { assertNever } from '../util/assert.js';
import { createRootLogger, type Logger } from '../util/log.js';
import { startLoopMonitor } from './loop-monitor.js';
import { Speaker } from './speaker.js';
import { tcpPolicyProblems } from './tcp-policy.js';

/** SIGTERM must end the process within this time even if a peer does not close. */
const SHUTDOWN_BOUND_MS = 10_000;

export async function runDaemon(opts: { configPath: string }): Promise<number> {
  const loaded = await loadConfig(opts.configPath);
  if (!loaded.ok) {
    for (const i of loaded.issues) process.stderr.write(`${opts.configPath}: ${formatIssue(i)}\n`);
    process.stderr.write(`wren: refusing to start: ${loaded.issues.length} problem(s) in ${opts.configPath}\n`);
    return 1;
  }
  const config = loaded.value;
  const tcpProblems = tcpPolicyProblems(config);
  if (tcpProblems.length > 0) {
    for (const p of tcpProblems) process.stderr.write(`${opts.configPath}: ${p}\n`);
    return 1;
  }
  const log = createRootLogger(config.log.level);
  installCrashHandlers(log);
  const loop = startLoopMonitor(log.child({ component: 'loop' }));

  let kernel: KernelPort | undefined;
  if (config.kernel.enabled) kernel = new NetlinkKernel();
  const speaker = new Speaker({ config, log, ...(kernel ? { kernel } : {}) });

  try {
    await speaker.start();
  } catch (err) {
    log.fatal({ err }, 'failed to start');
    await kernel?.close();
    return 1;
  }
  const reload = (): Promise<{ changes: number; refused?: string }> => reloadFrom(opts.configPath, speaker, log);
  let shutdown: (why: string, how?: StopHow) => void = () => undefined;
  const control = await startControlServer(
    config.control.socket,
    (req) => handleControl(speaker, req, reload, (how) => setImmediate(() => shutdown('stop command', how))),
    log.child({ component: 'control' }),
  );
  log.info({ routerId: config.routerId, asn: config.asn, peers: config.peers.length, originate: config.originate.length, socket: config.control.socket }, 'wren started');

  return new Promise<number>((resolve) => {
    let stopping = false;
    shutdown = (why: string, how: StopHow = {}): void => {
      if (stopping) return;
      stopping = true;
      log.info({ trigger: why, withdrawRoutes: how.withdraw ?? config.kernel.withdrawOnStop }, 'shutting down');
      const bound = setTimeout(() => {
        log.warn({ boundMs: SHUTDOWN_BOUND_MS }, 'shutdown took too long; exiting');
        resolve(0);
      }, SHUTDOWN_BOUND_MS);
      bound.unref();
      void (async () => {
        try {
          await speaker.stop(how);
          await control.close();
        } catch (err) {
          log.error({ err }, 'error during shutdown');
        } finally {
          await kernel?.close().catch(() => undefined);
          loop.stop();
          clearTimeout(bound);
          log.info({}, 'stopped');
          resolve(0);
        }
      })();
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGHUP', () => {
      reload().catch(() => undefined);
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

/** Re-reads and validates the file; an invalid file changes nothing (convention 13). */
async function reloadFrom(path: string, speaker: Speaker, log: Logger): Promise<{ changes: number; refused?: string }> {
  const loaded = loadConfig(path);
  if (!loaded.ok) {
    for (const i of loaded.issues) log.error({ path: i.path, problem: i.message, value: i.value }, 'invalid configuration; reload refused');
    throw new ControlError('EBADCONFIG', `reload refused: ${loaded.issues.map(formatIssue).join('; ')}`);
  }
  const r = await speaker.reload(loaded.value);
  if (r.refused) log.warn({ reason: r.refused }, 'reload refused');
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

/**
 * The daemon process (`wren run --config FILE`): load and validate the config (refuse to start on any
 * problem), build the logger, the kernel port and the Speaker, serve the control socket, and handle
 * signals: SIGTERM/SIGINT are a planned stop (kernel routes kept, every session closed so that its
 * peer keeps our routes through graceful restart; Speaker.stop), unless kernel.withdrawOnStop; the
 * `stop` control command may ask for a withdrawing stop instead. Both end within a bounded time.
 * SIGHUP reloads the config.
 */
import { readFileSync } from 'node:fs';
import { formatIssue } from '../config/issues.js';
import { loadConfig } from '../config/load.js';
import type { Config, Issue, Result } from '../config/types.js';
import { validateConfig, ValidationMemo } from '../config/validate.js';
import { readDatastoreSettings, withoutDatastore, type DatastoreSettings } from '../datastore/settings.js';
import { ControlError, type ControlRequest } from '../control/protocol.js';
import { startControlServer } from '../control/server.js';
import { NetlinkKernel } from '../kernel/netlink.js';
import type { KernelPort } from '../kernel/port.js';
import { assertNever } from '../util/assert.js';
import { createRootLogger, type Logger } from '../util/log.js';
import { DatastoreMode } from './datastore-mode.js';
import { startLoopMonitor } from './loop-monitor.js';
import { Speaker } from './speaker.js';
import { tcpPolicyProblems } from './tcp-policy.js';

/** SIGTERM must end the process within this time even if a peer does not close. */
const SHUTDOWN_BOUND_MS = 10_000;

export async function runDaemon(opts: { configPath: string }): Promise<number> {
  const file = readRawConfig(opts.configPath);
  if (!file.ok) return refuse(opts.configPath, file.issues);
  let settings: DatastoreSettings | null;
  try {
    settings = readDatastoreSettings(file.value);
  } catch (err) {
    return refuse(opts.configPath, [{ path: '$.datastore', message: err instanceof Error ? err.message : String(err) }]);
  }
  if (settings !== null) return runWithDatastore(opts.configPath, file.value, settings);

  const loaded = loadConfig(opts.configPath);
  if (!loaded.ok) return refuse(opts.configPath, loaded.issues);
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
  const running: Running = { speaker, datastore: undefined, stop: undefined };
  const reload = (): Promise<{ changes: number; refused?: string }> => reloadFrom(opts.configPath, speaker, log);
  const control = await startControlServer(
    config.control.socket,
    (req) => handleControl(running, req, reload, (how) => setImmediate(() => running.stop?.('stop command', how))),
    log.child({ component: 'control' }),
  );
  log.info({ routerId: config.routerId, asn: config.asn, peers: config.peers.length, originate: config.originate.length, socket: config.control.socket }, 'wren started');
  return untilStopped(log, running, { stopControl: () => control.close(), stopKernel: async () => kernel?.close(), stopLoop: () => loop.stop(), withdrawOnStop: () => config.kernel.withdrawOnStop, reload });
}

/** What is running: the speaker (absent while a datastore is awaited) and the datastore mode. */
interface Running {
  speaker: Speaker | undefined;
  datastore: DatastoreMode | undefined;
  /** The planned stop, once the speaker runs (untilStopped). */
  stop: ((why: string, how?: StopHow) => void) | undefined;
}

function refuse(path: string, issues: readonly Issue[]): number {
  for (const i of issues) process.stderr.write(`${path}: ${formatIssue(i)}\n`);
  process.stderr.write(`wren: refusing to start: ${issues.length} problem(s) in ${path}\n`);
  return 1;
}

/** The file as parsed JSON (not validated): the datastore mode derives from it. */
function readRawConfig(path: string): Result<unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return { ok: false, issues: [{ path: '$', message: `cannot read ${path}: ${typeof code === 'string' ? code : String(e)}` }] };
  }
  try {
    return { ok: true, value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown };
  } catch {
    // loadConfig says where the syntax error is.
    const r = loadConfig(path);
    return { ok: false, issues: r.ok ? [{ path: '$', message: 'invalid JSON' }] : r.issues };
  }
}

/**
 * The file's own keys checked as they would be in a derived configuration (routerId and asn come
 * from the datastore, so stand-ins are put in for the check). RECONCILE AT MERGE: ds-derive's
 * `datastore` section makes validateConfig accept such a file directly.
 */
function checkFileForDatastore(raw: unknown): Result<Config> {
  const rest = withoutDatastore(raw);
  return validateConfig({ routerId: '192.0.2.1', asn: 64512, ...rest });
}

/** wren driven by a datastore (docs/datastore.md): waits for the first snapshot, then follows it. */
async function runWithDatastore(path: string, raw: unknown, settings: DatastoreSettings): Promise<number> {
  const fileCheck = checkFileForDatastore(raw);
  if (!fileCheck.ok) return refuse(path, fileCheck.issues);
  const fileConfig = fileCheck.value;
  const log = createRootLogger(fileConfig.log.level);
  installCrashHandlers(log);
  const loop = startLoopMonitor(log.child({ component: 'loop' }));
  let fileRaw = raw;
  // Derived configurations come one after another with few differences: unchanged peers are not parsed again.
  const memo = new ValidationMemo();
  const ds = new DatastoreMode({ settings, fileRaw: () => fileRaw, validate: (r) => validateConfig(r, memo), log: log.child({ component: 'datastore' }) });
  const running: Running = { speaker: undefined, datastore: ds, stop: undefined };
  let kernel: KernelPort | undefined;
  let earlyStop: ((code: number) => void) | undefined;

  const reload = async (): Promise<{ changes: number; refused?: string }> => {
    const again = readRawConfig(path);
    const checked = again.ok ? checkFileForDatastore(again.value) : again;
    if (!again.ok || !checked.ok) {
      const issues = !again.ok ? again.issues : checked.ok ? [] : checked.issues;
      for (const i of issues) log.error({ path: i.path, problem: i.message, value: i.value }, 'invalid configuration; reload refused');
      throw new ControlError('EBADCONFIG', `reload refused: ${issues.map(formatIssue).join('; ')}`);
    }
    fileRaw = again.value;
    const out = await ds.follower.refresh();
    if (out?.result === 'invalid' || out?.result === 'refused') return { changes: 0, refused: (out.problems ?? []).join('; ') };
    return { changes: out?.changes ?? 0 };
  };

  const control = await startControlServer(
    fileConfig.control.socket,
    (req) => handleControl(running, req, reload, (how) => setImmediate(() => (running.stop ? running.stop('stop command', how) : earlyStop?.(0)))),
    log.child({ component: 'control' }),
  );
  log.info({ node: settings.nodeName, endpoints: settings.etcd.endpoints, socket: fileConfig.control.socket }, 'wren waiting for the datastore');

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
    await control.close();
    loop.stop();
    return 'err' in first ? 1 : first.code;
  }
  const config = first.config;
  const tcpProblems = tcpPolicyProblems(config);
  if (tcpProblems.length > 0) {
    for (const p of tcpProblems) log.fatal({ problem: p }, 'derived configuration cannot run');
    await ds.close();
    await control.close();
    loop.stop();
    return 1;
  }
  if (config.kernel.enabled) kernel = new NetlinkKernel();
  const speaker = new Speaker({ config, log, ...(kernel ? { kernel } : {}) });
  try {
    await speaker.start();
  } catch (err) {
    log.fatal({ err }, 'failed to start');
    await kernel?.close();
    await ds.close();
    return 1;
  }
  running.speaker = speaker;
  ds.follower.follow((next) => speaker.reload(next));
  log.info({ routerId: config.routerId, asn: config.asn, peers: config.peers.length, originate: config.originate.length, socket: config.control.socket }, 'wren started');
  const result = untilStopped(log, running, {
    stopControl: () => control.close(),
    stopKernel: async () => kernel?.close(),
    stopLoop: () => loop.stop(),
    withdrawOnStop: () => config.kernel.withdrawOnStop,
    reload,
    beforeStop: () => ds.close(),
  });
  return result;
}

interface Lifecycle {
  readonly stopControl: () => Promise<void>;
  readonly stopKernel: () => Promise<void>;
  readonly stopLoop: () => void;
  readonly withdrawOnStop: () => boolean;
  readonly reload: () => Promise<unknown>;
  /** Before the speaker stops (the datastore: no change is applied during a stop). */
  readonly beforeStop?: () => Promise<void>;
}

/** Runs until SIGTERM/SIGINT or `wren stop`; SIGHUP reloads. */
function untilStopped(log: Logger, running: Running, l: Lifecycle): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (why: string, how: StopHow = {}): void => {
      if (stopping) return;
      stopping = true;
      const speaker = running.speaker;
      log.info({ trigger: why, withdrawRoutes: how.withdraw ?? l.withdrawOnStop() }, 'shutting down');
      const bound = setTimeout(() => {
        log.warn({ boundMs: SHUTDOWN_BOUND_MS }, 'shutdown took too long; exiting');
        resolve(0);
      }, SHUTDOWN_BOUND_MS);
      bound.unref();
      void (async () => {
        try {
          await l.beforeStop?.();
          await speaker?.stop(how);
          await l.stopControl();
        } catch (err) {
          log.error({ err }, 'error during shutdown');
        } finally {
          await l.stopKernel().catch(() => undefined);
          l.stopLoop();
          clearTimeout(bound);
          log.info({}, 'stopped');
          resolve(0);
        }
      })();
    };
    running.stop = shutdown;
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGHUP', () => {
      l.reload().catch(() => undefined);
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
      return ds ? peers.map((p) => ({ ...p, source: ds.follower.sourceOf(p.address) })) : peers;
    }
    case 'show-routes':
      return speaker?.routes(req.prefix) ?? [];
    case 'show-kernel':
      return speaker?.kernelStatus() ?? null;
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

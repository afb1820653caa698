/**
 * The `wren` command line (commander): `run`, `check`, `show peers|routes|kernel|bfd`.
 * `runCli(argv, io)` returns the exit code and does all I/O through `io`, so tests drive it
 * without a process; main.ts wires the real process in. `check` and `show` never load the daemon:
 * `run` imports it on demand.
 */
import { Command, CommanderError, Option } from 'commander';
import { loadConfigFile } from '../config/config-file.js';
import { processEnvironment, resolveDatastore, type DatastoreEnvironment } from '../config/datastore.js';
import { formatIssue } from '../config/issues.js';
import { DEFAULTS } from '../config/defaults.js';
import type { BfdView, ControlRequest, ControlResponse, DatastoreStatusView, KernelStatusView, PeerStatus, RouteView } from '../control/protocol.js';
import { packageVersion } from '../util/version.js';
import { formatBfd } from './format-bfd.js';
import { formatDatastore, formatKernel, formatPeers, formatRoutes } from './format.js';

/** Process exit codes (docs/cli.md). */
export const ExitCode = {
  OK: 0,
  /** `check` found problems; the daemon answered with an error. */
  PROBLEM: 1,
  /** Unknown command or option, missing argument. */
  USAGE: 2,
  /** The daemon could not be reached (not running, no permission, no answer). */
  UNREACHABLE: 3,
} as const;

/** How long `wren stop` waits for the daemon to go (it bounds its own shutdown at 10 s). */
const STOP_WAIT_MS = 15_000;

export interface DaemonModule {
  runDaemon(opts: { configPath: string }): Promise<number>;
}

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly request: (path: string, req: ControlRequest, timeoutMs: number) => Promise<ControlResponse>;
  readonly loadDaemon: () => Promise<DaemonModule>;
  /** The environment a datastore file is completed from (`check`); default: the process's. */
  readonly datastoreEnvironment?: DatastoreEnvironment;
}

interface ShowOptions {
  readonly json?: boolean;
  readonly socket: string;
  readonly timeout: number;
}

const isArray = (v: unknown): v is readonly unknown[] => Array.isArray(v);
const isKernelView = (v: unknown): v is KernelStatusView | null => v === null || (typeof v === 'object' && !Array.isArray(v));
const isBfdView = (v: unknown): v is BfdView => typeof v === 'object' && v !== null && Array.isArray((v as { sessions?: unknown }).sessions);
const isDatastoreView = (v: unknown): v is DatastoreStatusView | null =>
  v === null || (typeof v === 'object' && !Array.isArray(v) && typeof (v as { counts?: unknown }).counts === 'object');

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = ExitCode.OK;
  const print = (text: string): void => io.out(text.endsWith('\n') ? text : `${text}\n`);
  const fail = (text: string): void => io.err(`wren: ${text}\n`);

  async function show<T>(req: ControlRequest, opts: ShowOptions, valid: (v: unknown) => v is T, render: (v: T) => string): Promise<void> {
    let response: ControlResponse;
    try {
      response = await io.request(opts.socket, req, opts.timeout);
    } catch (e) {
      fail(e instanceof Error ? e.message : String(e));
      code = ExitCode.UNREACHABLE;
      return;
    }
    if (!response.ok) {
      fail(`${response.error.code}: ${response.error.message}`);
      code = ExitCode.PROBLEM;
      return;
    }
    if (opts.json === true) print(JSON.stringify(response.result, null, 2));
    else if (valid(response.result)) print(render(response.result));
    else {
      fail(`unexpected answer to ${req.cmd}; try --json`);
      code = ExitCode.PROBLEM;
    }
  }

  const program = new Command('wren')
    .description('BGP daemon and Linux route programmer for Calico-style pod networks')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();

  program
    .command('run')
    .description('run the daemon in the foreground')
    .requiredOption('-c, --config <file>', 'configuration file (JSON)')
    .action(async (opts: { config: string }) => {
      const daemon = await io.loadDaemon();
      code = await daemon.runDaemon({ configPath: opts.config });
    });

  program
    .command('check')
    .description('validate a configuration file and print every problem')
    .requiredOption('-c, --config <file>', 'configuration file (JSON)')
    .action((opts: { config: string }) => {
      const r = loadConfigFile(opts.config);
      let issues = r.ok ? [] : r.issues;
      if (r.ok && r.value.kind === 'static') {
        print(`config OK: ${r.value.config.peers.length} peers, ${r.value.config.originate.length} originated prefixes`);
        return;
      }
      if (r.ok && r.value.kind === 'datastore') {
        // The file is valid; what the environment adds must be too (the daemon would refuse it).
        const settings = resolveDatastore(r.value.datastore, io.datastoreEnvironment ?? processEnvironment());
        if (settings.ok) {
          const s = settings.value;
          const peers = Array.isArray(r.value.raw['peers']) ? r.value.raw['peers'].length : 0;
          print(
            `config OK (datastore): node ${s.nodeName} (from ${s.sources.nodeName}), etcd ${s.endpoints.join(',')} (from ${s.sources.endpoints}); ` +
              `router id, AS, peers and blocks come from the datastore; ${peers} peers from the file`,
          );
          return;
        }
        issues = settings.issues.map((i) => ({ ...i, message: `${i.message} (with this environment)` }));
      }
      for (const issue of issues) print(formatIssue(issue));
      fail(`${issues.length} problem${issues.length === 1 ? '' : 's'} in ${opts.config}`);
      code = ExitCode.PROBLEM;
    });

  const showCmd = program.command('show').description('ask the running daemon (control socket)');
  const withShowOptions = (c: Command): Command =>
    c
      .option('--json', 'print the answer as JSON')
      .option('-s, --socket <path>', 'control socket', DEFAULTS.control.socket)
      .addOption(
        new Option('--timeout <ms>', 'give up after this many milliseconds').default(5000).argParser((v: string) => {
          const n = Number(v);
          if (!Number.isInteger(n) || n <= 0) throw new CommanderError(ExitCode.USAGE, 'wren.badTimeout', 'error: --timeout must be a positive integer');
          return n;
        }),
      );

  withShowOptions(showCmd.command('peers').description('BGP sessions: state, uptime, prefixes, last error')).action(
    async (opts: ShowOptions) => show({ cmd: 'show-peers' }, opts, isArray, (v) => formatPeers(v as readonly PeerStatus[])),
  );
  withShowOptions(showCmd.command('routes').description('the RIB: every candidate route, best marked *>').argument('[prefix]', 'only this prefix')).action(
    async (prefix: string | undefined, opts: ShowOptions) =>
      show(prefix === undefined ? { cmd: 'show-routes' } : { cmd: 'show-routes', prefix }, opts, isArray, (v) => formatRoutes(v as readonly RouteView[])),
  );
  withShowOptions(showCmd.command('kernel').description('kernel route programming: desired vs installed, conflicts, retries')).action(
    async (opts: ShowOptions) => show({ cmd: 'show-kernel' }, opts, isKernelView, formatKernel),
  );
  withShowOptions(showCmd.command('bfd').description('BFD sessions: state, negotiated intervals, detection time, flaps, last down')).action(
    async (opts: ShowOptions) => show({ cmd: 'show-bfd' }, opts, isBfdView, formatBfd),
  );
  withShowOptions(showCmd.command('datastore').description('the datastore (etcd): connection, revision, resources read and skipped')).action(
    async (opts: ShowOptions) => show({ cmd: 'show-datastore' }, opts, isDatastoreView, formatDatastore),
  );

  const done = (what: string) => (v: unknown): string => (v === null ? what : `${what}: ${JSON.stringify(v)}`);
  const isAny = (v: unknown): v is unknown => v !== undefined;
  const peerCmd = program.command('peer').description('act on one session (control socket)');
  withShowOptions(peerCmd.command('disable').description('Cease / Administrative Shutdown; stays down until enabled').argument('<address>').option('-m, --message <text>', 'RFC 9003 shutdown communication')).action(
    async (address: string, opts: ShowOptions & { message?: string }) =>
      show({ cmd: 'peer-disable', address, ...(opts.message !== undefined ? { message: opts.message } : {}) }, opts, isAny, done(`${address} disabled`)),
  );
  withShowOptions(peerCmd.command('enable').description('start a disabled session again').argument('<address>')).action(
    async (address: string, opts: ShowOptions) => show({ cmd: 'peer-enable', address }, opts, isAny, done(`${address} enabled`)),
  );
  withShowOptions(peerCmd.command('reset').description('Cease / Administrative Reset, then reconnect').argument('<address>').option('-m, --message <text>', 'RFC 9003 shutdown communication')).action(
    async (address: string, opts: ShowOptions & { message?: string }) =>
      show({ cmd: 'peer-reset', address, ...(opts.message !== undefined ? { message: opts.message } : {}) }, opts, isAny, done(`${address} reset`)),
  );
  withShowOptions(peerCmd.command('refresh').description('ask the peer to send its routes again (ROUTE-REFRESH)').argument('<address>')).action(
    async (address: string, opts: ShowOptions) => show({ cmd: 'peer-refresh', address }, opts, isAny, done(`${address} route refresh requested`)),
  );
  withShowOptions(program.command('reload').description('re-read the configuration file (as SIGHUP does)')).action(async (opts: ShowOptions) =>
    show({ cmd: 'reload' }, opts, isAny, (v) => {
      const r = v as { changes: number; refused?: string };
      return r.refused !== undefined ? `reload refused: ${r.refused}` : `configuration reloaded: ${r.changes} change(s)`;
    }),
  );

  withShowOptions(
    program
      .command('stop')
      .description('stop the daemon: by default as SIGTERM does (routes kept by graceful restart, at the peers and in the kernel)')
      .option('--withdraw', 'withdraw instead: Cease to every peer (they drop our routes) and our kernel routes removed')
      .option('-m, --message <text>', 'RFC 9003 shutdown communication'),
  ).action(async (opts: ShowOptions & { withdraw?: boolean; message?: string }) => {
    const req: ControlRequest = { cmd: 'stop', ...(opts.withdraw === true ? { withdraw: true } : {}), ...(opts.message !== undefined ? { message: opts.message } : {}) };
    await show(req, opts, isAny, (v) => ((v as { withdraw?: boolean }).withdraw === true ? 'wren stopping: withdrawing routes' : 'wren stopping: routes kept for a graceful restart'));
    if (code !== ExitCode.OK || opts.json === true) return;
    // Returns once the daemon is gone (its socket no longer answers); the daemon's own bound is 10 s.
    const end = Date.now() + STOP_WAIT_MS;
    while (Date.now() < end) {
      try {
        await io.request(opts.socket, { cmd: 'show-peers' }, Math.max(1, end - Date.now()));
      } catch {
        print('wren stopped');
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    fail(`still running after ${STOP_WAIT_MS} ms`);
    code = ExitCode.PROBLEM;
  });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    throw e;
  }
  return code;
}

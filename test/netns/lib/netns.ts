/**
 * Network-namespace labs for the netns test layer (and scripts/capture-golden.mjs).
 *
 * A `Lab` owns a set of named namespaces (`w<pid-base36>-<tag>`), the veth pairs and bridges
 * between them, the child processes it started inside them, and a temp directory for configs,
 * sockets and logs. `destroy()` stops every child by PID (SIGTERM, then SIGKILL after a bound) and
 * deletes every namespace; it also runs on process exit, SIGINT and SIGTERM, and is safe to call
 * twice. Nothing here touches the root namespace's addresses or routes: links are created inside a
 * lab namespace and their peers are born in the other one.
 *
 * Several test files run in parallel processes; names carry the PID so they never collide.
 */
import { spawn as spawnChild, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeNamespace } from '../../../src/bench/netns.js';
import { tailFile } from './files.js';

export { waitFor, WaitTimeout, type Check, type WaitOptions } from './wait.js';

/** Why the netns layer cannot run here, or null when it can: for scripts (capture-golden.mjs); tests use NETNS of requirements.ts. */
export function netnsSkipReason(): string | null {
  if (process.platform !== 'linux') return `not Linux (platform ${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)';
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.error) return `\`ip\` is not available (${r.error.message})`;
  if (r.status !== 0) return `\`ip netns list\` failed: ${r.stderr.trim()}`;
  return null;
}

/** The name prefix of every namespace made by this process: `w<pid-base36>-`. */
export const processLabPrefix = (): string => `w${process.pid.toString(36)}-`;

/** Namespaces whose names start with `prefix` (all of this process's labs when omitted). */
export function listNamespaces(prefix = processLabPrefix()): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.startsWith(prefix));
}

export class ExecError extends Error {
  override readonly name = 'ExecError';
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  constructor(message: string, status: number | null, stdout: string, stderr: string) {
    super(message);
    this.status = status;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

export interface ExecResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  /** Kill the command after this long. Default 15 000 ms. */
  readonly timeoutMs?: number;
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs `cmd args` inside `ns` (or in the current namespace when ns is null), synchronously. */
export function tryExec(ns: string | null, cmd: string, args: readonly string[], opts: ExecOptions = {}): ExecResult {
  const [file, argv] = ns === null ? [cmd, [...args]] : ['ip', ['netns', 'exec', ns, cmd, ...args]];
  const r = spawnSync(file, argv, {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 15_000,
    killSignal: 'SIGKILL',
    ...(opts.input === undefined ? {} : { input: opts.input }),
    ...(opts.env === undefined ? {} : { env: opts.env }),
  });
  if (r.error) {
    const why = (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `timed out after ${opts.timeoutMs ?? 15_000} ms` : r.error.message;
    return { status: null, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${why}` };
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Like tryExec, but throws an ExecError naming the command, namespace, status and stderr. */
export function exec(ns: string | null, cmd: string, args: readonly string[], opts: ExecOptions = {}): string {
  const r = tryExec(ns, cmd, args, opts);
  if (r.status !== 0) {
    const where = ns === null ? '' : ` (in netns ${ns})`;
    const out = [r.stderr.trim(), r.stdout.trim()].filter((s) => s !== '').join(' | ');
    throw new ExecError(`\`${[cmd, ...args].join(' ')}\`${where} failed with status ${r.status}: ${out}`, r.status, r.stdout, r.stderr);
  }
  return r.stdout;
}

export interface SpawnOptions {
  /** stdout and stderr are appended here. */
  readonly logFile: string;
  /** A short name for errors and logs; defaults to the command. */
  readonly name?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** A child process started by a Lab inside a namespace. `ip netns exec` execs, so pid is the daemon's. */
export class LabProcess {
  readonly name: string;
  readonly ns: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcess;
  #exitCode: number | null | undefined = undefined;
  #exitSignal: NodeJS.Signals | null = null;

  constructor(name: string, ns: string, child: ChildProcess, logFile: string) {
    if (child.pid === undefined) throw new Error(`${name}: spawn failed (no pid)`);
    this.name = name;
    this.ns = ns;
    this.pid = child.pid;
    this.logFile = logFile;
    this.#child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exitCode = code;
        this.#exitSignal = signal;
        resolve(code);
      });
    });
  }

  get running(): boolean {
    return this.#exitCode === undefined;
  }

  /** "exit code 1", "signal SIGKILL" or "running". */
  get status(): string {
    if (this.#exitCode === undefined) return 'running';
    return this.#exitSignal ? `signal ${this.#exitSignal}` : `exit code ${this.#exitCode}`;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.#child.kill(sig);
  }

  /** SIGTERM (or `sig`), wait up to graceMs, then SIGKILL and wait again. */
  async stop(graceMs = 3000, sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.signal(sig);
    if (await exitedWithin(this, graceMs)) return;
    this.signal('SIGKILL');
    if (!(await exitedWithin(this, 5000))) throw new Error(`${this.name} (pid ${this.pid}) survived SIGKILL for 5 s`);
  }

  /** The last lines of its log file, for error messages. */
  logTail(lines = 30): string {
    return tailFile(this.logFile, lines);
  }
}

async function exitedWithin(p: LabProcess, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const done = await Promise.race([p.exited.then(() => true as const), timeout]);
  clearTimeout(timer);
  return done;
}

const TAG = /^[a-z0-9][a-z0-9-]{0,30}$/i;
/** Linux IFNAMSIZ is 16 including the NUL. */
const MAX_IFNAME = 15;

const namesInUse = new Set<string>();
const liveLabs = new Set<Lab>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    for (const lab of liveLabs) lab.destroySync();
  });
  for (const [sig, n] of [['SIGINT', 2], ['SIGTERM', 15]] as const) {
    process.once(sig, () => {
      for (const lab of liveLabs) lab.destroySync();
      process.exit(128 + n);
    });
  }
}

function checkIfName(name: string): void {
  if (name.length === 0 || name.length > MAX_IFNAME || /[\s/:]/.test(name)) {
    throw new Error(`bad interface name "${name}": 1..${MAX_IFNAME} characters, no spaces, '/' or ':'`);
  }
}

const isV6 = (addr: string): boolean => addr.includes(':');

export interface LinkEnd {
  readonly ns: string;
  readonly ifName: string;
  /** CIDR addresses, IPv4 and/or IPv6 ("10.0.0.1/24", "fd00::1/64"). */
  readonly addrs: readonly string[];
}

export interface LabOptions {
  /** Distinguishes several labs in one process: names become `w<pid36>-<id>-<tag>`. */
  readonly id?: string;
  /** Keep the temp directory (configs, logs, captures) after destroy(). Also WREN_NETNS_KEEP=1. */
  readonly keepFiles?: boolean;
}

export class Lab {
  /** Every namespace of this lab starts with this. */
  readonly prefix: string;
  /** Temp directory for configs, sockets, pid files and logs. */
  readonly dir: string;
  /** Set to true (for example when a test failed) to keep `dir` after destroy(). */
  keepFiles: boolean;
  readonly #namespaces: string[] = [];
  readonly #processes = new Set<LabProcess>();
  #destroyed: Promise<void> | undefined;

  constructor(opts: LabOptions = {}) {
    if (opts.id !== undefined && !TAG.test(opts.id)) throw new Error(`bad lab id "${opts.id}"`);
    this.prefix = `${processLabPrefix()}${opts.id === undefined ? '' : `${opts.id}-`}`;
    this.dir = mkdtempSync(join(tmpdir(), `${this.prefix}lab-`));
    this.keepFiles = opts.keepFiles ?? process.env['WREN_NETNS_KEEP'] === '1';
    installExitHooks();
    liveLabs.add(this);
  }

  get namespaces(): readonly string[] {
    return this.#namespaces;
  }

  get processes(): readonly LabProcess[] {
    return [...this.#processes];
  }

  /** Creates `<prefix><tag>` with lo up and IPv6 DAD off; returns its name. */
  addNamespace(tag: string, opts: { readonly forwarding?: boolean } = {}): string {
    this.#assertAlive();
    if (!TAG.test(tag)) throw new Error(`bad namespace tag "${tag}": letters, digits and '-', up to 31`);
    const ns = `${this.prefix}${tag}`;
    if (namesInUse.has(ns)) throw new Error(`namespace ${ns} already exists in this process`);
    exec(null, 'ip', ['netns', 'add', ns]);
    namesInUse.add(ns);
    this.#namespaces.push(ns);
    exec(null, 'ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const sysctls = ['net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0'];
    if (opts.forwarding) sysctls.push('net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
    exec(ns, 'sysctl', ['-qw', ...sysctls]);
    return ns;
  }

  /**
   * A veth pair: `ifA` in nsA, `ifB` in nsB, each with its addresses, IPv6 without DAD (`nodad`,
   * accept_dad=0, so the link-local address is usable at once too), both up. Fixed MAC addresses
   * (opts) make the IPv6 link-local addresses, and so captured next hops, the same on every run.
   */
  link(
    nsA: string,
    ifA: string,
    addrsA: readonly string[],
    nsB: string,
    ifB: string,
    addrsB: readonly string[],
    opts: { readonly macA?: string; readonly macB?: string } = {},
  ): void {
    this.#assertAlive();
    checkIfName(ifA);
    checkIfName(ifB);
    this.#assertOwn(nsA);
    this.#assertOwn(nsB);
    exec(null, 'ip', ['-n', nsA, 'link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB]);
    this.#configure({ ns: nsA, ifName: ifA, addrs: addrsA, ...(opts.macA === undefined ? {} : { mac: opts.macA }) });
    this.#configure({ ns: nsB, ifName: ifB, addrs: addrsB, ...(opts.macB === undefined ? {} : { mac: opts.macB }) });
  }

  /**
   * N hosts on one L2 segment: a bridge `br0` in a dedicated switch namespace `<prefix><tag>`,
   * one veth per member (switch side `p<i>`). Returns the switch namespace.
   */
  bridgeSegment(tag: string, members: readonly LinkEnd[]): string {
    const sw = this.addNamespace(tag);
    exec(null, 'ip', ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    exec(null, 'ip', ['-n', sw, 'link', 'set', 'br0', 'up']);
    members.forEach((m, i) => {
      checkIfName(m.ifName);
      this.#assertOwn(m.ns);
      const port = `p${i}`;
      exec(null, 'ip', ['-n', sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', m.ifName, 'netns', m.ns]);
      exec(null, 'ip', ['-n', sw, 'link', 'set', port, 'master', 'br0']);
      exec(null, 'ip', ['-n', sw, 'link', 'set', port, 'up']);
      this.#configure(m);
    });
    return sw;
  }

  /** Runs a command inside a namespace (null: here), synchronously; throws a clear ExecError. */
  exec(ns: string | null, cmd: string, args: readonly string[], opts: ExecOptions = {}): string {
    return exec(ns, cmd, args, opts);
  }

  tryExec(ns: string | null, cmd: string, args: readonly string[], opts: ExecOptions = {}): ExecResult {
    return tryExec(ns, cmd, args, opts);
  }

  /** Starts a tracked child inside `ns`; destroy() stops it. */
  spawn(ns: string, cmd: string, args: readonly string[], opts: SpawnOptions): LabProcess {
    this.#assertAlive();
    this.#assertOwn(ns);
    const fd = openSync(opts.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawnChild('ip', ['netns', 'exec', ns, cmd, ...args], {
        stdio: ['ignore', fd, fd],
        ...(opts.env === undefined ? {} : { env: opts.env }),
      });
    } finally {
      closeSync(fd);
    }
    child.on('error', () => undefined); // reported through exit/pid checks; never crash the runner
    const p = new LabProcess(opts.name ?? cmd, ns, child, opts.logFile);
    this.#processes.add(p);
    void p.exited.then(() => this.#processes.delete(p));
    return p;
  }

  /** Stops every child (SIGTERM, SIGKILL after graceMs), deletes every namespace. Idempotent. */
  destroy(graceMs = 3000): Promise<void> {
    this.#destroyed ??= this.#teardown(graceMs);
    return this.#destroyed;
  }

  /** The synchronous last resort used on process exit: SIGKILL everything, delete namespaces. */
  destroySync(): void {
    for (const p of this.#processes) p.signal('SIGKILL');
    this.#removeNamespaces();
    liveLabs.delete(this);
    if (!this.keepFiles) rmSync(this.dir, { recursive: true, force: true });
  }

  async #teardown(graceMs: number): Promise<void> {
    const procs = [...this.#processes];
    const results = await Promise.allSettled(procs.map((p) => p.stop(graceMs)));
    this.#removeNamespaces();
    liveLabs.delete(this);
    if (this.keepFiles) console.warn(`lab files kept in ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    if (failed.length > 0) throw new Error(`lab teardown: ${failed.join('; ')}`);
  }

  #removeNamespaces(): void {
    for (const ns of this.#namespaces.splice(0)) {
      removeNamespace(ns);
      namesInUse.delete(ns);
    }
  }

  #configure(end: LinkEnd & { readonly mac?: string }): void {
    if (end.mac !== undefined) exec(null, 'ip', ['-n', end.ns, 'link', 'set', end.ifName, 'address', end.mac]);
    exec(end.ns, 'sysctl', ['-qw', `net.ipv6.conf.${end.ifName}.accept_dad=0`]);
    for (const a of end.addrs) {
      exec(null, 'ip', ['-n', end.ns, 'addr', 'add', a, 'dev', end.ifName, ...(isV6(a) ? ['nodad'] : [])]);
    }
    exec(null, 'ip', ['-n', end.ns, 'link', 'set', end.ifName, 'up']);
  }

  #assertOwn(ns: string): void {
    if (!this.#namespaces.includes(ns)) throw new Error(`namespace ${ns} does not belong to this lab`);
  }

  #assertAlive(): void {
    if (this.#destroyed) throw new Error('lab already destroyed');
  }
}

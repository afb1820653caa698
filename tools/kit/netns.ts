/**
 * The lab kit's network namespaces, shared by the netns tests (test/netns), the bench
 * (tools/bench), the lab (tools/lab) and scripts/capture-golden.mjs.
 *
 * A `Lab` owns a set of named namespaces, the veth pairs and bridges between them, the child
 * processes it started inside them, and a directory for configs, sockets and logs. `destroy()`
 * stops every child by PID (SIGTERM, then SIGKILL after a bound), kills whatever still runs inside
 * its namespaces and deletes them; it also runs (synchronously, with SIGKILL) on process exit,
 * SIGINT and SIGTERM, and is safe to call twice. Nothing here touches the root namespace's
 * addresses or routes: links are created inside a lab namespace and their peers are born in the
 * other one.
 *
 * Names are `<owner><pid-base36>-[<id>-]<tag>`: the owner says who made a namespace (`w` the netns
 * tests, `wb` the bench), the PID keeps labs of parallel processes apart (vitest runs test files
 * in several processes). A standing lab (`npm run lab`) is the exception: fixed names, and it
 * outlives the process that built it.
 */
import { spawn as spawnChild, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { tailFile } from './files.js';

/** Why network namespaces cannot be used here, or null when they can. */
export function netnsProblem(): string | null {
  if (process.platform !== 'linux') return `not Linux (platform ${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)';
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.error) return `\`ip\` is not available (${r.error.message})`;
  if (r.status !== 0) return `\`ip netns list\` failed: ${r.stderr.trim()}`;
  return null;
}

/** Who made a lab: `w` the netns tests (and scripts), `wb` the bench. */
export type LabOwner = 'w' | 'wb';

/** The name prefix of every namespace made by this process for `owner`: `w<pid-base36>-`. */
export const processLabPrefix = (owner: LabOwner = 'w'): string => `${owner}${process.pid.toString(36)}-`;

/** Namespaces whose names start with `prefix` (all of this process's test labs when omitted). */
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

/** Output kept from one command: `ip route` of a million-route FIB is about 60 MB. */
const MAX_OUTPUT = 256 * 1024 * 1024;

/** Runs `cmd args` inside `ns` (or in the current namespace when ns is null), synchronously. */
export function tryExec(ns: string | null, cmd: string, args: readonly string[], opts: ExecOptions = {}): ExecResult {
  const [file, argv] = ns === null ? [cmd, [...args]] : ['ip', ['netns', 'exec', ns, cmd, ...args]];
  const r = spawnSync(file, argv, {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 15_000,
    killSignal: 'SIGKILL',
    maxBuffer: MAX_OUTPUT,
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

/**
 * Deletes a namespace this process created, killing what still runs in it first: anything inside
 * one of our namespaces descends from a process we started (a daemon, tshark's dumpcap). Deleting
 * a namespace with a million routes takes seconds, hence the long bound.
 */
export function removeNamespace(ns: string): void {
  const pids = tryExec(null, 'ip', ['netns', 'pids', ns], { timeoutMs: 30_000 })
    .stdout.split(/\s+/)
    .filter((s) => /^\d+$/.test(s));
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  tryExec(null, 'ip', ['netns', 'del', ns], { timeoutMs: 30_000 });
}

export interface SpawnOptions {
  /** stdout and stderr are appended here (only stderr with `pipe`). */
  readonly logFile: string;
  /** A short name for errors and logs; defaults to the command. */
  readonly name?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** stdin and stdout are pipes (`LabProcess.stdin`, `.stdout`): the bench's speakers talk JSON lines over them. */
  readonly pipe?: boolean;
}

/** True when p settles within ms. */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const done = await Promise.race([p.then(() => true as const), timeout]);
  clearTimeout(timer);
  return done;
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

  /** Its stdin, when spawned with `pipe`. */
  get stdin(): Writable | null {
    return this.#child.stdin;
  }

  /** Its stdout, when spawned with `pipe`. */
  get stdout(): Readable | null {
    return this.#child.stdout;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.#child.kill(sig);
  }

  /** SIGTERM (or `sig`), wait up to graceMs, then SIGKILL and wait again. */
  async stop(graceMs = 3000, sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.signal(sig);
    if (await within(this.exited, graceMs)) return;
    this.signal('SIGKILL');
    if (!(await within(this.exited, 5000))) throw new Error(`${this.name} (pid ${this.pid}) survived SIGKILL for 5 s`);
  }

  /** The last lines of its log file, for error messages. */
  logTail(lines = 30): string {
    return tailFile(this.logFile, lines);
  }
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
      if (liveLabs.size > 0) process.stderr.write(`\n${sig}: stopping the lab's processes and removing its namespaces\n`);
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
  /** Who makes the lab (the first letters of its names). Default `w`. */
  readonly owner?: LabOwner;
  /**
   * A lab that outlives this process (`npm run lab`): namespaces are named `<prefix><tag>` exactly,
   * files stay in `dir`, processes are started detached, and nothing is removed on exit. Whoever
   * removes it later finds it by name (listNamespaces, removeNamespace).
   */
  readonly standing?: { readonly prefix: string; readonly dir: string };
}

export class Lab {
  /** Every namespace of this lab starts with this. */
  readonly prefix: string;
  /** Directory for configs, sockets, pid files and logs. */
  readonly dir: string;
  /** Set to true (for example when a test failed) to keep `dir` after destroy(). */
  keepFiles: boolean;
  readonly #standing: boolean;
  readonly #namespaces: string[] = [];
  readonly #processes = new Set<LabProcess>();
  #destroyed: Promise<void> | undefined;

  constructor(opts: LabOptions = {}) {
    if (opts.id !== undefined && !TAG.test(opts.id)) throw new Error(`bad lab id "${opts.id}"`);
    this.#standing = opts.standing !== undefined;
    if (opts.standing) {
      if (!/^[a-z][a-z0-9]{0,15}-$/.test(opts.standing.prefix)) throw new Error(`bad standing lab prefix "${opts.standing.prefix}"`);
      this.prefix = opts.standing.prefix;
      this.dir = opts.standing.dir;
      mkdirSync(this.dir, { recursive: true });
      this.keepFiles = true;
      return;
    }
    this.prefix = `${processLabPrefix(opts.owner)}${opts.id === undefined ? '' : `${opts.id}-`}`;
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
   * N hosts on one L2 segment: a bridge `br0` in a dedicated switch namespace `<prefix><tag>`
   * (with `opts.addrs` on br0, e.g. the segment's gateway), one veth per member (switch side
   * `p<i>`). Returns the switch namespace.
   */
  bridgeSegment(tag: string, members: readonly LinkEnd[], opts: { readonly addrs?: readonly string[] } = {}): string {
    const sw = this.addNamespace(tag);
    exec(null, 'ip', ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    exec(null, 'ip', ['-n', sw, 'link', 'set', 'br0', 'up']);
    this.addAddresses(sw, 'br0', opts.addrs ?? []);
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

  /**
   * One more member on an existing segment (a switch namespace with `br0`, made by bridgeSegment,
   * possibly by another process: a standing lab growing): switch-side port `port`.
   */
  joinSegment(sw: string, port: string, m: LinkEnd): void {
    checkIfName(m.ifName);
    checkIfName(port);
    this.#assertOwn(m.ns);
    exec(null, 'ip', ['-n', sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', m.ifName, 'netns', m.ns]);
    exec(null, 'ip', ['-n', sw, 'link', 'set', port, 'master', 'br0']);
    exec(null, 'ip', ['-n', sw, 'link', 'set', port, 'up']);
    this.#configure(m);
  }

  /**
   * Adds addresses (CIDR; IPv6 ones `nodad`) to an interface in one `ip -batch`: thousands (the
   * bench's reflector clients) take one process, not thousands.
   */
  addAddresses(ns: string, ifName: string, addrs: readonly string[]): void {
    this.#assertOwn(ns);
    if (addrs.length === 0) return;
    const lines = addrs.map((a) => `addr add ${a} dev ${ifName}${isV6(a) ? ' nodad' : ''}\n`).join('');
    try {
      exec(null, 'ip', ['-n', ns, '-batch', '-'], { input: lines, timeoutMs: 60_000 });
    } catch (err) {
      const shown = addrs.length > 4 ? `${addrs.slice(0, 4).join(', ')}, ... (${addrs.length})` : addrs.join(', ');
      throw new Error(`adding ${shown} to ${ifName} in ${ns}: ${(err as Error).message}`);
    }
  }

  /** Runs a command inside a namespace (null: here), synchronously; throws a clear ExecError. */
  exec(ns: string | null, cmd: string, args: readonly string[], opts: ExecOptions = {}): string {
    return exec(ns, cmd, args, opts);
  }

  tryExec(ns: string | null, cmd: string, args: readonly string[], opts: ExecOptions = {}): ExecResult {
    return tryExec(ns, cmd, args, opts);
  }

  /** Starts a tracked child inside `ns`; destroy() stops it. In a standing lab the child is detached and outlives us. */
  spawn(ns: string, cmd: string, args: readonly string[], opts: SpawnOptions): LabProcess {
    this.#assertAlive();
    this.#assertOwn(ns);
    const fd = openSync(opts.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawnChild('ip', ['netns', 'exec', ns, cmd, ...args], {
        stdio: opts.pipe ? ['pipe', 'pipe', fd] : ['ignore', fd, fd],
        detached: this.#standing,
        ...(opts.env === undefined ? {} : { env: opts.env }),
      });
    } finally {
      closeSync(fd);
    }
    child.on('error', () => undefined); // reported through exit/pid checks; never crash the runner
    if (this.#standing) child.unref();
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
    if (this.keepFiles) {
      if (!this.#standing) console.warn(`lab files kept in ${this.dir}`);
    } else rmSync(this.dir, { recursive: true, force: true });
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
    this.addAddresses(end.ns, end.ifName, end.addrs);
    exec(null, 'ip', ['-n', end.ns, 'link', 'set', end.ifName, 'up']);
  }

  #assertOwn(ns: string): void {
    if (!this.#namespaces.includes(ns)) throw new Error(`namespace ${ns} does not belong to this lab`);
  }

  #assertAlive(): void {
    if (this.#destroyed) throw new Error('lab already destroyed');
  }
}

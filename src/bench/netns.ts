/**
 * Network namespaces for the benchmark: a `BenchLab` owns the namespaces it creates
 * (`wb<pid-base36>-<tag>`), the veth pairs between them, the processes it starts inside them and a
 * temp directory for configs and logs. `destroy()` stops every process it started, by PID (SIGTERM,
 * SIGKILL after a bound), then deletes its namespaces; it also runs on SIGINT/SIGTERM/exit.
 *
 * Nothing here touches the root namespace's addresses or routes: a veth pair is created inside one
 * lab namespace with its peer born in the other. Adapted from test/netns/lib/netns.ts (the bench is
 * product code and may not import from test/).
 */
import { spawn as spawnChild, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ExecResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cmd args` inside `ns` (null: here), synchronously, bounded by timeoutMs. */
export function tryExec(ns: string | null, cmd: string, args: readonly string[], timeoutMs = 30_000, input?: string): ExecResult {
  const [file, argv] = ns === null ? [cmd, [...args]] : ['ip', ['netns', 'exec', ns, cmd, ...args]];
  const r = spawnSync(file, argv, {
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 256 * 1024 * 1024,
    ...(input === undefined ? {} : { input }),
  });
  if (r.error) return { status: null, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error.message}` };
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Like tryExec but throws an error naming the command, namespace, status and stderr. */
export function exec(ns: string | null, cmd: string, args: readonly string[], timeoutMs = 30_000, input?: string): string {
  const r = tryExec(ns, cmd, args, timeoutMs, input);
  if (r.status !== 0) {
    const where = ns === null ? '' : ` (in netns ${ns})`;
    throw new Error(`\`${[cmd, ...args].join(' ').slice(0, 200)}\`${where} failed with status ${r.status}: ${(r.stderr || r.stdout).trim().slice(0, 500)}`);
  }
  return r.stdout;
}

/** A process started by a BenchLab inside a namespace (`ip netns exec` execs, so pid is the program's). */
export class BenchProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  #done = false;
  #status = 'running';

  constructor(name: string, child: ChildProcess, logFile: string) {
    if (child.pid === undefined) throw new Error(`${name}: spawn failed (no pid)`);
    this.name = name;
    this.pid = child.pid;
    this.logFile = logFile;
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#done = true;
        this.#status = signal ? `signal ${signal}` : `exit code ${code}`;
        resolve();
      });
    });
  }

  get running(): boolean {
    return !this.#done;
  }

  get status(): string {
    return this.#status;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** `sig`, then SIGKILL after graceMs. */
  async stop(graceMs = 5000, sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.signal(sig);
    if (await within(this.exited, graceMs)) return;
    this.signal('SIGKILL');
    await within(this.exited, 5000);
  }
}

/** True when p settles within ms. */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const r = await Promise.race([p.then(() => true as const), t]);
  clearTimeout(timer);
  return r;
}

const liveLabs = new Set<BenchLab>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const lab of liveLabs) lab.destroySync();
  });
  for (const [sig, n] of [['SIGINT', 2], ['SIGTERM', 15]] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}: stopping daemons and removing namespaces\n`);
      for (const lab of liveLabs) lab.destroySync();
      process.exit(128 + n);
    });
  }
}

let labSeq = 0;

export class BenchLab {
  readonly prefix: string;
  readonly dir: string;
  keepFiles = false;
  readonly #namespaces: string[] = [];
  readonly #processes = new Set<BenchProcess>();
  #destroyed = false;

  constructor(tag = 'lab') {
    this.prefix = `wb${process.pid.toString(36)}${(labSeq++).toString(36)}-`;
    this.dir = mkdtempSync(join(tmpdir(), `${this.prefix}${tag}-`));
    installExitHooks();
    liveLabs.add(this);
  }

  /** Creates `<prefix><tag>` with lo up; returns its name. */
  addNamespace(tag: string, opts: { readonly forwarding?: boolean } = {}): string {
    const ns = `${this.prefix}${tag}`;
    exec(null, 'ip', ['netns', 'add', ns]);
    this.#namespaces.push(ns);
    exec(null, 'ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    if (opts.forwarding) exec(ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    return ns;
  }

  /** A veth pair ifA (in nsA, with addrsA) <-> ifB (in nsB, with addrsB), both up. */
  link(nsA: string, ifA: string, addrsA: readonly string[], nsB: string, ifB: string, addrsB: readonly string[]): void {
    this.#own(nsA);
    this.#own(nsB);
    exec(null, 'ip', ['-n', nsA, 'link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB]);
    this.addAddresses(nsA, ifA, addrsA);
    this.addAddresses(nsB, ifB, addrsB);
    exec(null, 'ip', ['-n', nsA, 'link', 'set', ifA, 'up']);
    exec(null, 'ip', ['-n', nsB, 'link', 'set', ifB, 'up']);
  }

  /** Adds addresses (CIDR) to an interface in one `ip -batch` (thousands are fine). */
  addAddresses(ns: string, ifName: string, addrs: readonly string[]): void {
    this.#own(ns);
    if (addrs.length === 0) return;
    const file = join(this.dir, `addrs-${ns}-${ifName}.batch`);
    writeFileSync(file, addrs.map((a) => `addr add ${a} dev ${ifName}\n`).join(''));
    exec(null, 'ip', ['-n', ns, '-batch', file], 60_000);
  }

  /** Starts a tracked process inside ns; stdout/stderr go to logFile unless `pipe` (then stdio is piped). */
  spawn(ns: string, name: string, cmd: string, args: readonly string[], opts: { logFile: string; pipe?: boolean; env?: NodeJS.ProcessEnv }): BenchProcess {
    this.#own(ns);
    if (this.#destroyed) throw new Error('lab already destroyed');
    const fd = openSync(opts.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawnChild('ip', ['netns', 'exec', ns, cmd, ...args], {
        stdio: opts.pipe ? ['pipe', 'pipe', fd] : ['ignore', fd, fd],
        ...(opts.env === undefined ? {} : { env: opts.env }),
      });
    } finally {
      closeSync(fd);
    }
    child.on('error', () => undefined);
    const p = new BenchProcess(name, child, opts.logFile);
    this.#processes.add(p);
    void p.exited.then(() => this.#processes.delete(p));
    return p;
  }

  get namespaces(): readonly string[] {
    return this.#namespaces;
  }

  /** Stops every process (SIGTERM, SIGKILL after graceMs), deletes every namespace. Idempotent. */
  async destroy(graceMs = 5000): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    await Promise.allSettled([...this.#processes].map((p) => p.stop(graceMs)));
    this.#removeNamespaces();
    liveLabs.delete(this);
    if (!this.keepFiles) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Last resort on exit or a signal: SIGKILL our processes, delete our namespaces. */
  destroySync(): void {
    this.#destroyed = true;
    for (const p of this.#processes) p.signal('SIGKILL');
    this.#removeNamespaces();
    liveLabs.delete(this);
    if (!this.keepFiles) rmSync(this.dir, { recursive: true, force: true });
  }

  #removeNamespaces(): void {
    for (const ns of this.#namespaces.splice(0)) removeNamespace(ns);
  }

  #own(ns: string): void {
    if (!this.#namespaces.includes(ns)) throw new Error(`namespace ${ns} does not belong to this lab`);
  }
}

/** Why the bench cannot run here, or null. */
export function netnsProblem(): string | null {
  if (process.platform !== 'linux') return `not Linux (platform ${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)';
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.error) return `\`ip\` is not available (${r.error.message})`;
  if (r.status !== 0) return `\`ip netns list\` failed: ${r.stderr.trim()}`;
  return null;
}

/**
 * Deletes a namespace this process created, killing what still runs in it first: anything inside
 * one of our namespaces descends from a process we started (a daemon, tshark's dumpcap).
 */
export function removeNamespace(ns: string): void {
  const pids = tryExec(null, 'ip', ['netns', 'pids', ns]).stdout.split(/\s+/).filter((s) => /^\d+$/.test(s));
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  tryExec(null, 'ip', ['netns', 'del', ns]);
}

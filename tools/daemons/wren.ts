/**
 * wren driver: `node dist/cli/main.js run --config DIR/wren.json` inside the namespace (the build
 * must exist: `npm test` builds first), driven through its control socket with the CLI
 * (`show peers|routes --json`, `peer disable|enable|refresh`, `reload`).
 *
 * The generated config follows the shared DaemonSpec (iBGP when asn equal, import/export "all" for
 * eBGP neighbours so tests exchange routes without writing policies); `extra` adjusts it (any key of
 * the config, e.g. routeReflector, kernel.withdrawOnStop) and `peerExtra` each neighbour's entry.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { familyOf, nsTag, spawnReady, type BgpDaemon, type DaemonSpec, type Family, type LearnedRoute } from './daemon.js';
import type { BfdView, KernelStatusView } from '../../src/control/protocol.js';
import { describeLogs } from '../kit/files.js';
import { exec, type Lab, type LabProcess } from '../kit/netns.js';
import { WREN_CLI } from '../kit/paths.js';

/** The checkout, and the product build's CLI that runs as wren. */
export { REPO_ROOT as WREN_ROOT, WREN_CLI } from '../kit/paths.js';

export interface WrenSpec extends DaemonSpec {
  /** Merged over the generated top-level config (shallow per key; objects merged one level). */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Merged over each generated peer entry, by neighbour address. */
  readonly peerExtra?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Log level (default "debug", so failures explain themselves; "warn" with quietLogs). */
  readonly logLevel?: string;
  /** Flags for node before the CLI (`--cpu-prof --cpu-prof-dir DIR` in the bench). */
  readonly nodeArgs?: readonly string[];
  /** The wren CLI to run (default WREN_CLI, this checkout's build): another build of wren. */
  readonly cli?: string;
}

export interface RouteView {
  readonly prefix: string;
  readonly nextHop: string;
  readonly asPath: string;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  readonly localPref?: number;
  readonly med?: number;
  readonly from: string;
  readonly best: boolean;
  readonly stale?: boolean;
}

interface PeerView {
  readonly address: string;
  readonly state: string;
}

/** The wren config for a spec (pure). */
export function wrenConfig(spec: WrenSpec, socket: string): Record<string, unknown> {
  const peers = spec.neighbors.map((n) => {
    const ebgp = n.asn !== spec.asn;
    const fam = n.families ?? ['ipv4', 'ipv6'];
    const peer: Record<string, unknown> = {
      address: n.address,
      asn: n.asn,
      ...(n.passive ? { passive: true } : {}),
      ...(n.localAddress ? { localAddress: n.localAddress } : {}),
      ...(n.password ? { password: n.password } : {}),
      ...(typeof n.multihop === 'number' ? { ebgpMultihop: n.multihop } : n.multihop === true ? { ebgpMultihop: 255 } : {}),
      ...(n.rrClient ? { routeReflectorClient: true } : {}),
      families: fam.map((f) => `${f}-unicast`),
      ...(n.addPath !== undefined ? { addPath: { receive: n.addPath !== 'tx', send: n.addPath === 'rx' ? false : 'all' } } : {}),
      ...(ebgp ? { import: 'all', export: 'all' } : {}),
      ...(spec.gracefulRestart === false ? { gracefulRestart: false } : {}),
      ...(n.bfd
        ? {
            bfd: {
              ...(n.bfd.minTx !== undefined ? { minTx: n.bfd.minTx } : {}),
              ...(n.bfd.minRx !== undefined ? { minRx: n.bfd.minRx } : {}),
              ...(n.bfd.multiplier !== undefined ? { multiplier: n.bfd.multiplier } : {}),
              ...(n.bfd.multihop !== undefined ? { multihop: n.bfd.multihop } : {}),
              ...(n.bfd.graceful !== undefined ? { graceful: n.bfd.graceful } : {}),
            },
          }
        : {}),
    };
    return { ...peer, ...(spec.peerExtra?.[n.address] ?? {}) };
  });
  const base: Record<string, unknown> = {
    routerId: spec.routerId,
    asn: spec.asn,
    listen: { address: '::', port: 179 },
    ...(spec.holdTime !== undefined
      ? { timers: { holdTime: spec.holdTime, keepaliveTime: Math.max(1, Math.floor(spec.holdTime / 3)), connectRetryTime: 2, idleHoldTime: 1, idleHoldMaxTime: 4 } }
      : { timers: { connectRetryTime: 2, idleHoldTime: 1, idleHoldMaxTime: 4 } }),
    originate: spec.originate,
    peers,
    gracefulRestart: { enabled: spec.gracefulRestart ?? true },
    kernel: { enabled: spec.kernel ?? false, convergenceTimeout: 10 },
    control: { socket },
    log: { level: spec.logLevel ?? (spec.quietLogs ? (process.env['WREN_BENCH_LOG'] ?? 'warn') : 'debug') },
  };
  for (const [k, v] of Object.entries(spec.extra ?? {})) {
    const cur = base[k];
    base[k] = cur && typeof cur === 'object' && !Array.isArray(cur) && v && typeof v === 'object' && !Array.isArray(v) ? { ...cur, ...v } : v;
  }
  return base;
}

const asPathNumbers = (text: string): number[] => (text.match(/\d+/g) ?? []).map(Number);

export class WrenDaemon implements BgpDaemon {
  readonly kind = 'wren' as const;
  spec: WrenSpec;
  readonly paths: { readonly dir: string; readonly config: string; readonly socket: string; readonly log: string };
  readonly #lab: Lab;
  #proc: LabProcess | undefined;

  constructor(lab: Lab, spec: WrenSpec) {
    this.#lab = lab;
    this.spec = spec;
    const dir = join(lab.dir, spec.name ?? `wren-${nsTag(spec.ns)}`);
    exec(null, 'mkdir', ['-p', dir]);
    this.paths = { dir, config: join(dir, 'wren.json'), socket: join(dir, 'wren.sock'), log: join(dir, 'wren.log') };
  }

  get dir(): string {
    return this.paths.dir;
  }
  get logFiles(): readonly string[] {
    return [this.paths.log];
  }
  get pid(): number | undefined {
    return this.#proc?.pid;
  }
  get process(): LabProcess | undefined {
    return this.#proc;
  }
  get processes(): readonly LabProcess[] {
    return this.#proc ? [this.#proc] : [];
  }

  writeConfig(): void {
    writeFileSync(this.paths.config, `${JSON.stringify(wrenConfig(this.spec, this.paths.socket), null, 2)}\n`);
  }

  /** The CLI this daemon runs and is asked through. */
  get cliPath(): string {
    return this.spec.cli ?? WREN_CLI;
  }

  async start(): Promise<void> {
    const cli = this.cliPath;
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
    this.writeConfig();
    const check = spawnSync(process.execPath, [cli, 'check', '--config', this.paths.config], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`wren check failed:\n${check.stdout}${check.stderr}`);
    this.#proc = await spawnReady(
      this.#lab,
      { ns: this.spec.ns, cmd: process.execPath, argv: [...(this.spec.nodeArgs ?? []), ...extraNodeArgs(), cli, 'run', '--config', this.paths.config], logFile: this.paths.log, name: `wren in ${this.spec.ns}`, logs: this.logFiles },
      () => existsSync(this.paths.socket) && this.#cli(['show', 'peers', '--json'], true) !== null,
    );
  }

  /** Runs the CLI against this daemon's socket; returns stdout, or null on failure when `soft`. */
  #cli(args: readonly string[], soft = false): string | null {
    const r = spawnSync(process.execPath, [this.cliPath, ...args, '--socket', this.paths.socket], { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0) return r.stdout;
    if (soft) return null;
    throw new Error(`wren ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}\n${this.describeLogs()}`);
  }

  cli(...args: string[]): string {
    return this.#cli(args) ?? '';
  }

  showRoutes(): RouteView[] {
    return JSON.parse(this.#cli(['show', 'routes', '--json']) ?? '[]') as RouteView[];
  }

  /** `wren show kernel --json`: the reconciler's state (null when kernel programming is off). */
  showKernel(): KernelStatusView | null {
    return JSON.parse(this.#cli(['show', 'kernel', '--json']) ?? 'null') as KernelStatusView | null;
  }

  /** `wren show bfd --json`. */
  showBfd(): BfdView {
    return JSON.parse(this.#cli(['show', 'bfd', '--json']) ?? '{}') as BfdView;
  }

  /** Rewrites the config from `spec` and reloads (as `wren reload` does). */
  reloadSpec(spec: WrenSpec = this.spec): void {
    this.spec = spec;
    this.#reload();
  }

  showPeers(): (PeerView & Record<string, unknown>)[] {
    return JSON.parse(this.#cli(['show', 'peers', '--json']) ?? '[]') as (PeerView & Record<string, unknown>)[];
  }

  routes(family: Family): LearnedRoute[] {
    return this.showRoutes()
      .filter((r) => r.best && r.from !== 'local' && familyOf(r.prefix) === family)
      .map((r) => ({
        prefix: r.prefix,
        nextHop: r.nextHop,
        asPath: asPathNumbers(r.asPath),
        ...(r.communities.length > 0 ? { communities: [...r.communities] } : {}),
        ...(r.largeCommunities.length > 0 ? { largeCommunities: [...r.largeCommunities] } : {}),
        ...(r.med !== undefined ? { med: r.med } : {}),
        ...(r.localPref !== undefined ? { localPref: r.localPref } : {}),
      }));
  }

  sessionState(peerAddress: string): string {
    const out = this.#cli(['show', 'peers', '--json'], true);
    if (out === null) return 'down';
    const p = (JSON.parse(out) as PeerView[]).find((x) => x.address === peerAddress);
    return p?.state ?? 'unknown';
  }

  async announce(prefix: string): Promise<void> {
    if (!this.spec.originate.includes(prefix)) this.spec = { ...this.spec, originate: [...this.spec.originate, prefix] };
    this.#reload();
    return Promise.resolve();
  }

  async withdraw(prefix: string): Promise<void> {
    this.spec = { ...this.spec, originate: this.spec.originate.filter((p) => p !== prefix) };
    this.#reload();
    return Promise.resolve();
  }

  shutdownPeer(peerAddress: string, message: string): void {
    this.#cli(['peer', 'disable', peerAddress, '--message', message]);
  }
  enablePeer(peerAddress: string): void {
    this.#cli(['peer', 'enable', peerAddress]);
  }
  refreshPeer(peerAddress: string): void {
    this.#cli(['peer', 'refresh', peerAddress]);
  }

  /** SIGTERM (a planned restart; wren bounds it at 10 s), SIGKILL after graceMs. */
  async stop(graceMs = 12_000): Promise<void> {
    await this.#proc?.stop(graceMs);
  }
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
  async kill(): Promise<void> {
    await this.#proc?.stop(0, 'SIGKILL');
  }
  describeLogs(lines = 40): string {
    return describeLogs(this.logFiles, lines);
  }

  #reload(): void {
    this.writeConfig();
    const out = this.#cli(['reload']) ?? '';
    if (!/reloaded/.test(out)) throw new Error(`wren reload: ${out}\n${this.describeLogs()}`);
  }
}

export async function startWren(lab: Lab, spec: WrenSpec): Promise<WrenDaemon> {
  const d = new WrenDaemon(lab, spec);
  await d.start();
  return d;
}

/**
 * Diagnostics for a bench or lab run: `WREN_NODE_ARGS="--trace-gc"` passes flags to the node that
 * runs wren (split at spaces). Not for measurements: tracing costs time.
 */
function extraNodeArgs(): string[] {
  const v = process.env['WREN_NODE_ARGS'];
  return v === undefined || v.trim() === '' ? [] : v.trim().split(/\s+/);
}

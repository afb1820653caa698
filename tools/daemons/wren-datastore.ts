/**
 * wren in datastore mode (docs/datastore.md): `node dist/cli/main.js run --config DIR/wren.json`
 * where the file holds only `datastore` (etcd endpoint, node name, register, claimBlock), `kernel`,
 * `control` and `log`: peers, AS, router id and blocks come from etcd. Ready once its control
 * socket answers `show datastore` (it answers while it waits for etcd too).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatastoreStatusView, KernelStatusView, PeerStatus, RouteView } from '../../src/control/protocol.js';
import { describeLogs } from '../kit/files.js';
import type { Lab, LabProcess } from '../kit/netns.js';
import { WREN_CLI } from '../kit/paths.js';
import { spawnReady } from './daemon.js';
import type { EtcdServer } from './etcd.js';

export interface DatastoreWrenSpec {
  readonly ns: string;
  readonly nodeName: string;
  readonly etcd: EtcdServer;
  readonly register?: boolean;
  readonly claimBlock?: boolean;
  /** datastore.nodeAddress (else found on the interfaces). */
  readonly nodeAddress?: string;
  readonly asNumber?: number;
  readonly kernel?: boolean;
  readonly logLevel?: string;
  /** Merged over the generated config (shallow per key). */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Directory name under the lab directory (default wren-<nodeName>). */
  readonly name?: string;
}

export function datastoreWrenConfig(spec: DatastoreWrenSpec, socket: string): Record<string, unknown> {
  const t = spec.etcd.spec.tls;
  const base: Record<string, unknown> = {
    datastore: {
      type: 'etcdv3',
      etcd: { endpoints: [spec.etcd.endpoint], ...(t ? { caFile: t.ca, certFile: t.clientCert, keyFile: t.clientKey } : {}) },
      nodeName: spec.nodeName,
      ...(spec.register ? { register: true } : {}),
      ...(spec.nodeAddress !== undefined ? { nodeAddress: spec.nodeAddress } : {}),
      ...(spec.asNumber !== undefined ? { asNumber: spec.asNumber } : {}),
      ...(spec.claimBlock ? { ipam: { claimBlock: true } } : {}),
    },
    timers: { connectRetryTime: 2, idleHoldTime: 1, idleHoldMaxTime: 4 },
    kernel: { enabled: spec.kernel ?? false, convergenceTimeout: 10 },
    control: { socket },
    log: { level: spec.logLevel ?? 'info' },
  };
  for (const [k, v] of Object.entries(spec.extra ?? {})) {
    const cur = base[k];
    base[k] = cur && typeof cur === 'object' && !Array.isArray(cur) && v && typeof v === 'object' && !Array.isArray(v) ? { ...cur, ...v } : v;
  }
  return base;
}

export class DatastoreWren {
  readonly spec: DatastoreWrenSpec;
  readonly paths: { readonly dir: string; readonly config: string; readonly socket: string; readonly log: string };
  readonly #lab: Lab;
  #proc: LabProcess | undefined;

  constructor(lab: Lab, spec: DatastoreWrenSpec) {
    this.#lab = lab;
    this.spec = spec;
    const dir = join(lab.dir, spec.name ?? `wren-${spec.nodeName}`);
    mkdirSync(dir, { recursive: true });
    this.paths = { dir, config: join(dir, 'wren.json'), socket: join(dir, 'wren.sock'), log: join(dir, 'wren.log') };
  }

  get pid(): number | undefined {
    return this.#proc?.pid;
  }
  get process(): LabProcess | undefined {
    return this.#proc;
  }

  /** Starts the process; ready when the control socket answers (before etcd is reached, possibly). */
  async start(): Promise<void> {
    if (!existsSync(WREN_CLI)) throw new Error(`${WREN_CLI} is missing: run npm run build first`);
    writeFileSync(this.paths.config, `${JSON.stringify(datastoreWrenConfig(this.spec, this.paths.socket), null, 2)}\n`);
    this.#proc = await spawnReady(
      this.#lab,
      { ns: this.spec.ns, cmd: process.execPath, argv: [WREN_CLI, 'run', '--config', this.paths.config], logFile: this.paths.log, name: `wren ${this.spec.nodeName}`, logs: [this.paths.log] },
      () => existsSync(this.paths.socket) && this.#cli(['show', 'datastore', '--json'], true) !== null,
      30_000,
    );
  }

  #cli(args: readonly string[], soft = false): string | null {
    const r = spawnSync(process.execPath, [WREN_CLI, ...args, '--socket', this.paths.socket], { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0) return r.stdout;
    if (soft) return null;
    throw new Error(`wren ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}\n${this.describeLogs()}`);
  }

  cli(...args: string[]): string {
    return this.#cli(args) ?? '';
  }
  showPeers(): PeerStatus[] {
    return JSON.parse(this.#cli(['show', 'peers', '--json']) ?? '[]') as PeerStatus[];
  }
  showRoutes(): RouteView[] {
    return JSON.parse(this.#cli(['show', 'routes', '--json']) ?? '[]') as RouteView[];
  }
  showKernel(): KernelStatusView | null {
    return JSON.parse(this.#cli(['show', 'kernel', '--json']) ?? 'null') as KernelStatusView | null;
  }
  showDatastore(): DatastoreStatusView | null {
    return JSON.parse(this.#cli(['show', 'datastore', '--json']) ?? 'null') as DatastoreStatusView | null;
  }

  async stop(graceMs = 12_000): Promise<void> {
    await this.#proc?.stop(graceMs);
  }
  async kill(): Promise<void> {
    await this.#proc?.stop(0, 'SIGKILL');
  }
  describeLogs(lines = 40): string {
    return describeLogs([this.paths.log], lines);
  }
}

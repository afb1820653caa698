/**
 * etcd driver (Debian's `etcd-server` and `etcd-client`, v3.4): one single-member etcd inside a
 * namespace, its data directory in the lab directory, listening on a namespace address (never in
 * the root namespace). `ctl()` runs etcdctl in the namespace; `client()` starts the etcd client
 * process (tools/etcd-client/main.ts, from the tools build) for bulk writes, reads, compaction and
 * block claims. `stop()`/`start()` keep the data directory, so a restarted etcd has every key.
 */
import { createInterface } from 'node:readline';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeLogs } from '../kit/files.js';
import { exec, type Lab, type LabProcess } from '../kit/netns.js';
import { builtTool } from '../kit/paths.js';
import { waitFor } from '../kit/wait.js';

export interface EtcdTls {
  /** CA that signed the server's and the clients' certificates. */
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** A client certificate for etcdctl and the client process. */
  readonly clientCert: string;
  readonly clientKey: string;
}

export interface EtcdSpec {
  readonly ns: string;
  /** The namespace address etcd listens on. */
  readonly address: string;
  readonly port?: number;
  /** The peer port on the namespace's loopback (2380): two etcds in one namespace need two. */
  readonly peerPort?: number;
  readonly name?: string;
  /** TLS with client certificates required. */
  readonly tls?: EtcdTls;
}

export class EtcdServer {
  readonly spec: EtcdSpec;
  readonly dir: string;
  readonly endpoint: string;
  readonly #lab: Lab;
  #proc: LabProcess | undefined;

  constructor(lab: Lab, spec: EtcdSpec) {
    this.#lab = lab;
    this.spec = spec;
    this.dir = join(lab.dir, spec.name ?? 'etcd');
    mkdirSync(this.dir, { recursive: true });
    this.endpoint = `${spec.tls ? 'https' : 'http'}://${spec.address}:${spec.port ?? 2379}`;
  }

  get logFile(): string {
    return join(this.dir, 'etcd.log');
  }
  get pid(): number | undefined {
    return this.#proc?.pid;
  }
  get running(): boolean {
    return this.#proc?.running ?? false;
  }

  /** etcdctl's TLS flags (empty without TLS). */
  tlsArgs(): string[] {
    const t = this.spec.tls;
    return t ? ['--cacert', t.ca, '--cert', t.clientCert, '--key', t.clientKey] : [];
  }

  async start(timeoutMs = 20_000): Promise<void> {
    const t = this.spec.tls;
    const peer = `http://127.0.0.1:${this.spec.peerPort ?? 2380}`;
    const args = [
      '--name', 'wren-lab',
      '--data-dir', join(this.dir, 'data'),
      '--listen-client-urls', this.endpoint,
      '--advertise-client-urls', this.endpoint,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `wren-lab=${peer}`,
      '--logger', 'zap',
      '--log-level', 'warn',
      ...(t ? ['--cert-file', t.serverCert, '--key-file', t.serverKey, '--client-cert-auth', '--trusted-ca-file', t.ca] : []),
    ];
    this.#proc = this.#lab.spawn(this.spec.ns, 'etcd', args, { logFile: this.logFile, name: `etcd in ${this.spec.ns}` });
    const proc = this.#proc;
    try {
      await waitFor(
        () => {
          if (!proc.running) throw new Error(`etcd exited (${proc.status})`);
          this.ctl(['endpoint', 'health']);
          return true;
        },
        { what: `etcd at ${this.endpoint} healthy`, timeoutMs, intervalMs: 100 },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${describeLogs([this.logFile])}`);
    }
  }

  /** SIGTERM; the data directory stays. */
  async stop(): Promise<void> {
    await this.#proc?.stop(5000);
  }

  /** etcdctl inside the namespace; returns stdout. */
  ctl(args: readonly string[], input?: string): string {
    return this.#lab.exec(this.spec.ns, 'etcdctl', ['--endpoints', this.endpoint, '--command-timeout', '5s', ...this.tlsArgs(), ...args], input !== undefined ? { input } : {});
  }

  /** The client process (tools/etcd-client), in the same namespace. */
  async client(ns: string = this.spec.ns): Promise<EtcdClient> {
    const main = builtTool('etcd-client/main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
    const t = this.spec.tls;
    const p = this.#lab.spawn(ns, process.execPath, [main, '--endpoint', this.endpoint, ...(t ? ['--ca', t.ca, '--cert', t.clientCert, '--key', t.clientKey] : [])], {
      logFile: join(this.dir, `client-${Date.now().toString(36)}.log`),
      name: 'etcd client',
      pipe: true,
    });
    return new EtcdClient(p);
  }
}

/** JSON lines to tools/etcd-client/main.ts. */
export class EtcdClient {
  readonly process: LabProcess;
  #next = 1;
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(p: LabProcess) {
    this.process = p;
    const out = p.stdout;
    if (!out) throw new Error('etcd client: no stdout pipe');
    createInterface({ input: out }).on('line', (line) => {
      const r = JSON.parse(line) as { id: number; ok: boolean; result?: unknown; error?: string };
      const w = this.#waiting.get(r.id);
      if (!w) return;
      this.#waiting.delete(r.id);
      if (r.ok) w.resolve(r.result);
      else w.reject(new Error(`etcd client: ${r.error ?? '?'}`));
    });
    void p.exited.then(() => {
      for (const w of this.#waiting.values()) w.reject(new Error(`etcd client exited (${p.status})`));
      this.#waiting.clear();
    });
  }

  request<T>(op: string, fields: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
    const id = this.#next++;
    const stdin = this.process.stdin;
    if (!stdin) throw new Error('etcd client: no stdin pipe');
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`etcd client: ${op} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      stdin.write(`${JSON.stringify({ id, op, ...fields })}\n`);
    });
  }

  put(key: string, value: string | object): Promise<number> {
    return this.request('put', { key, value: typeof value === 'string' ? value : JSON.stringify(value) });
  }
  putMany(items: readonly { key: string; value: string | object }[]): Promise<number> {
    return this.request('putMany', { items: items.map((i) => ({ key: i.key, value: typeof i.value === 'string' ? i.value : JSON.stringify(i.value) })) }, 300_000);
  }
  del(key: string): Promise<number> {
    return this.request('del', { key });
  }
  delPrefix(prefix: string): Promise<number> {
    return this.request('delPrefix', { prefix });
  }
  get(prefix: string): Promise<{ key: string; value: string; modRevision: number }[]> {
    return this.request('get', { prefix });
  }
  revision(): Promise<number> {
    return this.request('revision');
  }
  compact(revision: number): Promise<number> {
    return this.request('compact', { revision });
  }
  claim(nodes: readonly string[]): Promise<({ node: string; kind: string; block?: string; reason?: string })[]> {
    return this.request('claim', { nodes }, 120_000);
  }

  async close(): Promise<void> {
    this.process.stdin?.end();
    await this.process.stop(3000);
  }
}

/** Calico's v3 resources as stored in etcd (docs/datastore.md), for labs and tests. */
export const calico = {
  nodeKey: (name: string): string => `/calico/resources/v3/projectcalico.org/nodes/${name}`,
  node: (name: string, bgp: Record<string, unknown>, labels?: Record<string, string>): Record<string, unknown> => ({
    kind: 'Node',
    apiVersion: 'projectcalico.org/v3',
    metadata: { name, uid: `uid-${name}`, creationTimestamp: '2026-01-01T00:00:00Z', ...(labels ? { labels } : {}) },
    spec: { bgp },
    status: {},
  }),
  bgpConfigKey: (name = 'default'): string => `/calico/resources/v3/projectcalico.org/bgpconfigurations/${name}`,
  bgpConfig: (spec: Record<string, unknown>, name = 'default'): Record<string, unknown> => ({
    kind: 'BGPConfiguration',
    apiVersion: 'projectcalico.org/v3',
    metadata: { name, uid: `uid-bgpconfig-${name}`, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec,
  }),
  bgpPeerKey: (name: string): string => `/calico/resources/v3/projectcalico.org/bgppeers/${name}`,
  bgpPeer: (name: string, spec: Record<string, unknown>): Record<string, unknown> => ({
    kind: 'BGPPeer',
    apiVersion: 'projectcalico.org/v3',
    metadata: { name, uid: `uid-bgppeer-${name}`, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec,
  }),
  ipPoolKey: (name: string): string => `/calico/resources/v3/projectcalico.org/ippools/${name}`,
  ipPool: (name: string, spec: Record<string, unknown>): Record<string, unknown> => ({
    kind: 'IPPool',
    apiVersion: 'projectcalico.org/v3',
    metadata: { name, uid: `uid-ippool-${name}`, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { ipipMode: 'Never', vxlanMode: 'Never', natOutgoing: true, blockSize: 26, nodeSelector: 'all()', ...spec },
  }),
  affinityKey: (node: string, cidr: string): string => `/calico/ipam/v2/host/${node}/ipv4/block/${cidr.replace('/', '-')}`,
  blockKey: (cidr: string): string => `/calico/ipam/v2/assignment/ipv4/block/${cidr.replace('/', '-')}`,
  /** A block as Calico writes it (sequenceNumber above 2^53, written as text). */
  block: (cidr: string, node: string): string => {
    const size = 2 ** (32 - Number(cidr.split('/')[1]));
    return `{"cidr":"${cidr}","affinity":"host:${node}","allocations":[${new Array(size).fill('null').join(',')}],"unallocated":[${Array.from({ length: size }, (_, i) => i).join(',')}],"attributes":[],"sequenceNumber":1767225600000000001,"sequenceNumberForAllocation":{},"deleted":false}`;
  },
};

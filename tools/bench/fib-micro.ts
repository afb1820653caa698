#!/usr/bin/env node
/**
 * In-process benchmark of the kernel path's state (no sockets, no namespaces): KernelRoutes and
 * FibSync over a port that accepts every write and keeps nothing, fed best-route changes as the
 * speaker hands them over (batches of BATCH prefixes, one next hop each, a few peers' next hops).
 *
 *   npm run build && node --expose-gc dist-tools/tools/bench/fib-micro.js [--n 1000000] [--runs 1]
 *
 * Reports the time to install and to remove N routes (planning and encoding for a port that answers
 * at once: FibSync's own cost) and the heap FibSync holds per route after a GC once all are
 * installed (the JS heap and typed arrays). What the kernel scenario's peak RSS is made of besides the RIB (docs/benchmarks.md).
 */
import { FibSync } from '../../src/kernel/fib-sync.js';
import type { KernelPort, KernelWrite, KernelError } from '../../src/kernel/port.js';
import { KernelRoutes } from '../../src/daemon/kernel-routes.js';
import type { BestChange } from '../../src/rib/types.js';

const BATCH = 1024;
/** On a connected subnet (the loopback's: no recursive resolution), as the feeders of the kernel scenario are. */
const PEERS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}

const gc = (globalThis as { gc?: () => void }).gc;
/** The JS heap and the typed arrays' backing stores (outside the heap), after GC. */
function heapAfterGc(): number {
  if (gc !== undefined) for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
const mb = (b: number): string => (b / 1048576).toFixed(1);
const sec = (ms: number): string => (ms / 1000).toFixed(2);

/** Accepts every write, keeps nothing. */
class NullKernel implements KernelPort {
  writes = 0;
  write(batch: readonly KernelWrite[]): Promise<(KernelError | null)[]> {
    this.writes += batch.length;
    return Promise.resolve(batch.map(() => null));
  }
  list(): Promise<[]> {
    return Promise.resolve([]);
  }
  lookup(): Promise<Map<string, null>> {
    return Promise.resolve(new Map());
  }
  subscribe(): () => void {
    return () => undefined;
  }
  holdRouteEvents(): () => void {
    return () => undefined;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function prefixOf(i: number): string {
  const a = (11 << 24) + i * 256;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.0/24`;
}

/** Feeds the changes batch by batch, a turn of the event loop between batches (as decide() runs do). */
async function feed(fib: FibSync, routes: KernelRoutes, n: number, best: (i: number) => BestChange['best']): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    const batch: BestChange[] = [];
    for (let j = i; j < Math.min(n, i + BATCH); j++) batch.push({ prefix: prefixOf(j), best: best(j) } as BestChange);
    void fib.update(routes.changes(batch));
    await new Promise((r) => setImmediate(r));
  }
  await fib.idle();
  return performance.now() - t0;
}

async function run(n: number): Promise<void> {
  const port = new NullKernel();
  const routes = new KernelRoutes({
    enabled: true,
    table: 254,
    protocol: 12,
    metric: 0,
    blackhole: false,
    mode: 'direct',
    pools: [],
    tunnelDevice: 'tunl0',
    withdrawOnStop: false,
    convergenceTimeout: 60,
    scanInterval: 3600,
  });
  const fib = new FibSync({ port, scanIntervalMs: 3_600_000 });
  await fib.start();
  await fib.converged();
  const base = heapAfterGc();
  const installMs = await feed(fib, routes, n, (i) => ({ local: false, nextHops: [PEERS[i % PEERS.length] as string] }));
  const held = heapAfterGc() - base;
  const installed = fib.stats().routes.installed;
  const removeMs = await feed(fib, routes, n, () => null);
  const after = heapAfterGc() - base;
  fib.stop();
  if (installed !== n || fib.stats().routes.installed !== 0) throw new Error(`installed ${installed}, left ${fib.stats().routes.installed}`);
  console.log(
    `fib n=${n}: install ${sec(installMs)} s, remove ${sec(removeMs)} s; heap held ${mb(held)} MB = ${(held / n).toFixed(0)} B/route, after removal ${mb(after)} MB; writes ${port.writes}; max rss ${mb(process.resourceUsage().maxRSS * 1024)} MB`,
  );
}

if (gc === undefined) console.log('(run with node --expose-gc for heap figures after GC)');
const runs = Number(arg('runs', '1'));
for (let i = 0; i < runs; i++) await run(Number(arg('n', '1000000')));

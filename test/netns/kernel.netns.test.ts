/**
 * NetlinkKernel and FibSync against a real FIB, inside a private network namespace.
 * Run: npx vitest run --project netns test/netns/kernel.netns.test.ts   (as root)
 *
 * Nothing here touches the root namespace's routes: the test creates `wk-<pid>-<n>` with veth
 * pairs, runs the code under test there as a child (`ip netns exec NS node driver.cjs`, a Node
 * process cannot switch namespaces), checks with `ip -n NS route show`, and deletes the namespace
 * in afterAll and on process exit.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { KernelEvent, KernelLink, KernelRoute } from '../../src/kernel/port.js';
import { describeNetns, IPIP, itNeeds, NETNS } from './lib/requirements.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIRD = 12;

let nsSeq = 0;
const namespaces = new Set<string>();
const children = new Set<ChildProcessWithoutNullStreams>();

function ip(...args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}
const tryIp = (...args: string[]): { ok: boolean; err: string } => {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  return { ok: r.status === 0, err: r.stderr.trim() };
};

function cleanup(): void {
  for (const c of children) if (c.exitCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
  for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns]);
  namespaces.clear();
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    cleanup();
    process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
  });
}

/** A namespace with lo, v0/v1 (192.168.1.10/24, fd00:1::10/64) and v2/v3 (10.0.5.10/24), all up. */
function makeNamespace(): string {
  const ns = `wk-${process.pid}-${nsSeq++}`;
  ip('netns', 'add', ns);
  namespaces.add(ns);
  const n = (...a: string[]): string => ip('-n', ns, ...a);
  n('link', 'set', 'lo', 'up');
  n('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  n('link', 'add', 'v2', 'type', 'veth', 'peer', 'name', 'v3');
  for (const d of ['v0', 'v1', 'v2', 'v3']) n('link', 'set', d, 'up');
  n('addr', 'add', '192.168.1.10/24', 'dev', 'v0');
  n('addr', 'add', '10.0.5.10/24', 'dev', 'v2');
  n('addr', 'add', 'fd00:1::10/64', 'dev', 'v0', 'nodad');
  return ns;
}

function dropNamespace(ns: string): void {
  spawnSync('ip', ['netns', 'del', ns]);
  namespaces.delete(ns);
}

interface Reply {
  readonly id?: number;
  readonly ok?: boolean;
  readonly value?: unknown;
  readonly error?: { code: string; errno?: string; message: string };
  readonly event?: KernelEvent;
}

/** The driver child in a namespace, spoken to over JSON lines. */
class Driver {
  readonly events: KernelEvent[] = [];
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending = new Map<number, (r: Reply) => void>();
  #seq = 0;
  stderr = '';

  constructor(ns: string, bundle: string) {
    this.#child = spawn('ip', ['netns', 'exec', ns, process.execPath, bundle], {
      // The bundle lives in a temp directory: point it at the native addon (netlink-tune.ts).
      env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules'), WREN_TCP_ADDON: join(ROOT, 'native', 'build', 'Release', 'wren_tcp.node') },
    });
    children.add(this.#child);
    this.#child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const r = JSON.parse(line) as Reply;
      if (r.event) this.events.push(r.event);
      else if (r.id !== undefined) this.#pending.get(r.id)?.(r);
    });
  }

  async call<T = unknown>(op: string, arg?: unknown): Promise<T> {
    const r = await this.raw(op, arg);
    if (!r.ok) throw Object.assign(new Error(r.error?.message ?? 'driver error'), { code: r.error?.code });
    return r.value as T;
  }

  raw(op: string, arg?: unknown): Promise<Reply> {
    const id = this.#seq++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`driver ${op} timed out; stderr: ${this.stderr}`)), 10_000);
      this.#pending.set(id, (r) => {
        clearTimeout(t);
        this.#pending.delete(id);
        resolve(r);
      });
      this.#child.stdin.write(`${JSON.stringify({ id, op, arg })}\n`);
    });
  }

  async waitEvent(pred: (e: KernelEvent) => boolean, ms = 3000): Promise<KernelEvent> {
    const t0 = Date.now();
    for (;;) {
      const e = this.events.find(pred);
      if (e) return e;
      if (Date.now() - t0 > ms) throw new Error(`no matching event in ${ms} ms; got ${JSON.stringify(this.events)}`);
      await sleep(20);
    }
  }

  async exit(): Promise<void> {
    const done = new Promise<void>((r) => this.#child.once('exit', () => r()));
    await this.raw('exit').catch(() => undefined);
    await Promise.race([done, sleep(2000)]);
    if (this.#child.exitCode === null && this.#child.pid) process.kill(this.#child.pid, 'SIGKILL');
    children.delete(this.#child);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms`);
    await sleep(10);
  }
}

const v4 = (prefix: string, hops: KernelRoute['nextHops'], more: Partial<KernelRoute> = {}): KernelRoute => ({
  prefix,
  table: 254,
  protocol: BIRD,
  metric: 0,
  type: 'unicast',
  nextHops: hops,
  ...more,
});

describeNetns('NetlinkKernel in a network namespace', [NETNS], () => {
  let ns = '';
  let bundleDir = '';
  let bundle = '';
  let k: Driver;
  /** `ip -n NS ...` output, each line right-trimmed (ip pads some lines with a space). */
  const show = (...args: string[]): string =>
    ip('-n', ns, ...args)
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n')
      .trim();

  beforeAll(async () => {
    bundleDir = mkdtempSync(join(tmpdir(), 'wk-kernel-'));
    bundle = join(bundleDir, 'driver.cjs');
    const { build } = await import('esbuild');
    await build({
      entryPoints: [join(ROOT, 'test/netns/fixtures/kernel-driver.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['netlink'],
      outfile: bundle,
      logLevel: 'silent',
    });
    ns = makeNamespace();
    k = new Driver(ns, bundle);
    await k.call('subscribe');
  });

  afterAll(async () => {
    await k?.exit();
    if (ns) dropNamespace(ns);
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  });

  it('lists links with their addresses', async () => {
    const links = await k.call<KernelLink[]>('links');
    const v0 = links.find((l) => l.name === 'v0');
    expect(v0).toMatchObject({ up: true });
    expect(v0?.addresses).toEqual(expect.arrayContaining(['192.168.1.10/24', 'fd00:1::10/64']));
  });

  it('adds, lists, changes (delete + add, one datagram) and deletes a route with proto bird in table main', async () => {
    await k.call('add', v4('172.16.1.0/24', [{ via: '192.168.1.11' }]));
    expect(show('route', 'show', 'proto', 'bird')).toBe('172.16.1.0/24 via 192.168.1.11 dev v0');
    const listed = await k.call<KernelRoute[]>('list', { table: 254, protocol: BIRD });
    expect(listed).toEqual([v4('172.16.1.0/24', [{ via: '192.168.1.11', dev: 'v0', ifindex: expect.any(Number) as number }])]);

    await k.call('change', { from: listed[0], route: v4('172.16.1.0/24', [{ via: '192.168.1.12' }]) });
    expect(show('route', 'show', 'proto', 'bird')).toBe('172.16.1.0/24 via 192.168.1.12 dev v0');

    await k.call('remove', { prefix: '172.16.1.0/24', table: 254, protocol: BIRD, metric: 0 });
    expect(show('route', 'show', 'proto', 'bird')).toBe('');
  });

  it('treats ESRCH on delete as success', async () => {
    await expect(k.call('remove', { prefix: '172.16.99.0/24', table: 254, protocol: BIRD, metric: 0 })).resolves.toBeNull();
  });

  it('uses a non-main table (id above 255 through RTA_TABLE) and a metric', async () => {
    await k.call('add', v4('172.16.1.0/24', [{ via: '192.168.1.11' }], { table: 1000, metric: 50 }));
    expect(show('route', 'show', 'table', '1000', 'proto', 'bird')).toBe('172.16.1.0/24 via 192.168.1.11 dev v0 metric 50');
    expect(show('route', 'show', 'proto', 'bird')).toBe('');
    expect(await k.call<KernelRoute[]>('list', { table: 1000, protocol: BIRD })).toHaveLength(1);
    expect(await k.call<KernelRoute[]>('list', { table: 254, protocol: BIRD })).toHaveLength(0);
    await k.call('remove', { prefix: '172.16.1.0/24', table: 1000, protocol: BIRD, metric: 50 });
    expect(show('route', 'show', 'table', '1000')).toBe('');
  });

  it('installs an ECMP route (RTA_MULTIPATH with weights) and reads it back', async () => {
    const ecmp = v4('172.16.2.0/24', [{ via: '192.168.1.11' }, { via: '10.0.5.11', weight: 2 }]);
    await k.call('add', ecmp);
    const out = show('route', 'show', 'proto', 'bird');
    expect(out).toMatch(/^172\.16\.2\.0\/24\s+nexthop via 192\.168\.1\.11 dev v0 weight 1\s+nexthop via 10\.0\.5\.11 dev v2 weight 2$/);
    const [listed] = await k.call<KernelRoute[]>('list', { table: 254, protocol: BIRD });
    expect(listed?.nextHops).toEqual([
      { via: '192.168.1.11', dev: 'v0', ifindex: expect.any(Number) as number },
      { via: '10.0.5.11', dev: 'v2', ifindex: expect.any(Number) as number, weight: 2 },
    ]);
    await k.call('remove', ecmp);
    expect(show('route', 'show', 'proto', 'bird')).toBe('');
  });

  it('installs a blackhole for our own block', async () => {
    await k.call('add', { prefix: '172.16.0.0/24', table: 254, protocol: BIRD, metric: 0, type: 'blackhole', nextHops: [] });
    expect(show('route', 'show', 'proto', 'bird')).toBe('blackhole 172.16.0.0/24');
    expect(await k.call<KernelRoute[]>('list', { table: 254, protocol: BIRD })).toEqual([
      { prefix: '172.16.0.0/24', table: 254, protocol: BIRD, metric: 0, type: 'blackhole', nextHops: [] },
    ]);
    await k.call('remove', { prefix: '172.16.0.0/24', table: 254, protocol: BIRD, metric: 0 });
  });

  it('handles IPv6, single path and ECMP', async () => {
    await k.call('add', v4('fd00:172:16:1::/64', [{ via: 'fd00:1::11' }], { metric: 1024 }));
    expect(show('-6', 'route', 'show', 'proto', 'bird')).toBe('fd00:172:16:1::/64 via fd00:1::11 dev v0 metric 1024 pref medium');
    await k.call('add', v4('fd00:172:16:2::/64', [{ via: 'fd00:1::11' }, { via: 'fd00:1::12' }], { metric: 1024 }));
    const listed = await k.call<KernelRoute[]>('list', { table: 254, protocol: BIRD });
    expect(listed.map((r) => [r.prefix, r.metric, r.nextHops.map((h) => h.via)])).toEqual([
      ['fd00:172:16:1::/64', 1024, ['fd00:1::11']],
      ['fd00:172:16:2::/64', 1024, ['fd00:1::11', 'fd00:1::12']],
    ]);
    await k.call('remove', { prefix: 'fd00:172:16:1::/64', table: 254, protocol: BIRD, metric: 1024 });
    await k.call('remove', { prefix: 'fd00:172:16:2::/64', table: 254, protocol: BIRD, metric: 1024 });
    expect(show('-6', 'route', 'show', 'proto', 'bird')).toBe('');
  });

  it('installs an IPv4 route with an IPv6 next hop (RFC 8950, RTA_VIA) and reads it back', async () => {
    await k.call('add', v4('172.16.9.0/24', [{ via: 'fd00:1::11' }]));
    expect(show('route', 'show', 'proto', 'bird')).toBe('172.16.9.0/24 via inet6 fd00:1::11 dev v0');
    const listed = await k.call<KernelRoute[]>('list', { table: 254, protocol: BIRD });
    expect(listed.find((r) => r.prefix === '172.16.9.0/24')?.nextHops.map((h) => h.via)).toEqual(['fd00:1::11']);
    await k.call('remove', { prefix: '172.16.9.0/24', table: 254, protocol: BIRD, metric: 0 });
    expect(show('route', 'show', 'proto', 'bird')).toBe('');
  });

  it('leaves a foreign proto static route at the same prefix and metric alone: add gives EEXIST, delete does not touch it', async () => {
    ip('-n', ns, 'route', 'add', '172.16.3.0/24', 'via', '192.168.1.200', 'proto', 'static');
    const r = await k.raw('add', v4('172.16.3.0/24', [{ via: '192.168.1.11' }]));
    expect(r).toMatchObject({ ok: false, error: { code: 'EEXIST' } });
    await k.call('remove', { prefix: '172.16.3.0/24', table: 254, protocol: BIRD, metric: 0 });
    expect(show('route', 'show', '172.16.3.0/24')).toBe('172.16.3.0/24 via 192.168.1.200 dev v0 proto static');
    expect(await k.call<KernelRoute[]>('list', { table: 254, protocol: BIRD })).toEqual([]);
    ip('-n', ns, 'route', 'del', '172.16.3.0/24', 'proto', 'static');
  });

  it('changes routes of ours by a protocol-matched delete and an exclusive add: IPv4 and IPv6, single path, ECMP, blackhole', async () => {
    const v6 = (hops: KernelRoute['nextHops'], more: Partial<KernelRoute> = {}): KernelRoute => v4('fd00:172:16:8::/64', hops, { metric: 1024, ...more });
    const steps: [KernelRoute, KernelRoute, string][] = [
      [v4('172.16.8.0/24', [{ via: '192.168.1.11' }]), v4('172.16.8.0/24', [{ via: '192.168.1.11' }, { via: '192.168.1.12' }]), '172.16.8.0/24 nexthop via 192.168.1.11 dev v0 weight 1 nexthop via 192.168.1.12 dev v0 weight 1'],
      [v4('172.16.8.0/24', [{ via: '192.168.1.11' }, { via: '192.168.1.12' }]), v4('172.16.8.0/24', [], { type: 'blackhole' }), 'blackhole 172.16.8.0/24'],
      [v4('172.16.8.0/24', [], { type: 'blackhole' }), v4('172.16.8.0/24', [{ via: '192.168.1.12' }]), '172.16.8.0/24 via 192.168.1.12 dev v0'],
      [v6([{ via: 'fd00:1::11' }]), v6([{ via: 'fd00:1::11' }, { via: 'fd00:1::12' }]), 'fd00:172:16:8::/64 metric 1024 pref medium nexthop via fd00:1::11 dev v0 weight 1 nexthop via fd00:1::12 dev v0 weight 1'],
      [v6([{ via: 'fd00:1::11' }, { via: 'fd00:1::12' }]), v6([{ via: 'fd00:1::12' }]), 'fd00:172:16:8::/64 via fd00:1::12 dev v0 metric 1024 pref medium'],
      [v6([{ via: 'fd00:1::12' }]), v6([], { type: 'blackhole' }), 'blackhole fd00:172:16:8::/64 dev lo metric 1024 pref medium'],
      [v6([], { type: 'blackhole' }), v6([{ via: 'fd00:1::11' }, { via: 'fd00:1::12' }]), 'fd00:172:16:8::/64 metric 1024 pref medium nexthop via fd00:1::11 dev v0 weight 1 nexthop via fd00:1::12 dev v0 weight 1'],
    ];
    await k.call('add', steps[0]?.[0]);
    await k.call('add', steps[3]?.[0]);
    for (const [from, route, shown] of steps) {
      await k.call('change', { from, route });
      const family = route.prefix.includes(':') ? '-6' : '-4';
      // Filtered by proto bird: nothing else at the key, and `ip` leaves the protocol out.
      expect(show(family, 'route', 'show', route.prefix, 'proto', 'bird').replace(/\s+/g, ' ')).toBe(shown);
      expect(show(family, 'route', 'show', route.prefix).split('\n')[0]).toContain('proto bird');
    }
    await k.call('remove', { prefix: '172.16.8.0/24', table: 254, protocol: BIRD, metric: 0 });
    await k.call('remove', { prefix: 'fd00:172:16:8::/64', table: 254, protocol: BIRD, metric: 1024 });
    expect(show('route', 'show', 'proto', 'bird')).toBe('');
    expect(show('-6', 'route', 'show', 'proto', 'bird')).toBe('');
  });

  it('a batch of changes: each key is deleted and re-added back to back (notifications alternate delete/add per key)', async () => {
    const before = Array.from({ length: 300 }, (_, i) => v4(`172.21.${i >> 8}.${i & 255}/32`, [{ via: '192.168.1.11' }]));
    const after = before.map((r) => ({ ...r, nextHops: [{ via: '192.168.1.12' }] }));
    const added = await k.call<{ errors: (string | null)[] }>('write', before.map((route) => ({ op: 'add', route })));
    expect(added.errors.filter((e) => e !== null)).toEqual([]);
    await waitFor(() => k.events.filter((e) => e.kind === 'route-changed' && e.route.prefix.startsWith('172.21.')).length === 300, 3000);
    k.events.length = 0;
    const changed = await k.call<{ errors: (string | null)[] }>('write', before.map((from, i) => ({ op: 'change', from, route: after[i] })));
    expect(changed.errors.filter((e) => e !== null)).toEqual([]);
    const mine = (): KernelEvent[] => k.events.filter((e) => (e.kind === 'route-changed' || e.kind === 'route-deleted') && e.route.prefix.startsWith('172.21.'));
    await waitFor(() => mine().length === 600, 3000);
    // In kernel order: delete of key i, then at once the add of key i (the re-add of the old route meets EEXIST, no event).
    const seq = mine().map((e) => (e.kind === 'route-deleted' || e.kind === 'route-changed' ? `${e.kind === 'route-deleted' ? 'del' : 'new'} ${e.route.prefix} ${e.route.nextHops[0]?.via}` : ''));
    expect(seq).toEqual(before.flatMap((r) => [`del ${r.prefix} 192.168.1.11`, `new ${r.prefix} 192.168.1.12`]));
    const removed = await k.call<{ errors: (string | null)[] }>('write', after.map((route) => ({ op: 'remove', route })));
    expect(removed.errors.filter((e) => e !== null)).toEqual([]);
  });

  it('a change never deletes or overwrites a foreign route at the key (IPv4 and IPv6): EEXIST, the foreign route stays', async () => {
    ip('-n', ns, 'route', 'add', '172.16.10.0/24', 'via', '192.168.1.200', 'proto', 'static');
    ip('-n', ns, '-6', 'route', 'add', 'fd00:172:16:10::/64', 'via', 'fd00:1::200', 'proto', 'static');
    const r4 = await k.raw('change', { from: v4('172.16.10.0/24', [{ via: '192.168.1.11' }]), route: v4('172.16.10.0/24', [{ via: '192.168.1.12' }]) });
    expect(r4).toMatchObject({ ok: false, error: { code: 'EEXIST' } });
    const from6 = v4('fd00:172:16:10::/64', [{ via: 'fd00:1::11' }], { metric: 1024 });
    const r6 = await k.raw('change', { from: from6, route: { ...from6, nextHops: [{ via: 'fd00:1::11' }, { via: 'fd00:1::12' }] } });
    expect(r6).toMatchObject({ ok: false, error: { code: 'EEXIST' } });
    expect(show('route', 'show', '172.16.10.0/24')).toBe('172.16.10.0/24 via 192.168.1.200 dev v0 proto static');
    expect(show('-6', 'route', 'show', 'fd00:172:16:10::/64')).toBe('fd00:172:16:10::/64 via fd00:1::200 dev v0 proto static metric 1024 pref medium');
    ip('-n', ns, 'route', 'del', '172.16.10.0/24', 'proto', 'static');
    ip('-n', ns, '-6', 'route', 'del', 'fd00:172:16:10::/64', 'proto', 'static');
  });

  it('a change the kernel refuses (IPv6 next hop ::1: EINVAL) puts our old route back', async () => {
    const from = v4('fd00:172:16:11::/64', [{ via: 'fd00:1::11' }], { metric: 1024 });
    await k.call('add', from);
    const r = await k.raw('change', { from, route: { ...from, nextHops: [{ via: '::1' }] } });
    expect(r).toMatchObject({ ok: false, error: { code: 'EINVAL', errno: 'EINVAL' } });
    expect(show('-6', 'route', 'show', 'fd00:172:16:11::/64')).toBe('fd00:172:16:11::/64 via fd00:1::11 dev v0 proto bird metric 1024 pref medium');
    await k.call('remove', from);
  });

  it('reports ENETUNREACH for a gateway on no connected subnet, and accepts it with onlink', async () => {
    const r = await k.raw('add', v4('172.16.4.0/24', [{ via: '10.99.0.1' }]));
    expect(r).toMatchObject({ ok: false, error: { code: 'ENETUNREACH' } });
    await k.call('add', v4('172.16.4.0/24', [{ via: '10.99.0.1', dev: 'v0', onlink: true }]));
    expect(show('route', 'show', 'proto', 'bird')).toBe('172.16.4.0/24 via 10.99.0.1 dev v0 onlink');
    const [listed] = await k.call<KernelRoute[]>('list', { table: 254, protocol: BIRD });
    expect(listed?.nextHops[0]).toMatchObject({ via: '10.99.0.1', dev: 'v0', onlink: true });
    await k.call('remove', { prefix: '172.16.4.0/24', table: 254, protocol: BIRD, metric: 0 });
  });

  // The one skip CI allows (ALLOWED_SKIPS['ipip-module']): only when the kernel has no ipip at all.
  itNeeds([NETNS, IPIP])('tunnel mode: via X dev tunl0 onlink (skipped when the kernel has no ipip)', async () => {
    // With ipip in the kernel every namespace may already have tunl0 (the fallback device).
    const made = tryIp('-n', ns, 'link', 'add', 'tunl0', 'type', 'ipip');
    if (!made.ok) expect(tryIp('-n', ns, 'link', 'show', 'tunl0'), `ip link add tunl0 type ipip: ${made.err}`).toMatchObject({ ok: true });
    ip('-n', ns, 'link', 'set', 'tunl0', 'up');
    await k.call('add', v4('172.16.5.0/24', [{ via: '192.168.7.11', dev: 'tunl0', onlink: true }]));
    expect(show('route', 'show', 'proto', 'bird')).toBe('172.16.5.0/24 via 192.168.7.11 dev tunl0 onlink');
    await k.call('remove', { prefix: '172.16.5.0/24', table: 254, protocol: BIRD, metric: 0 });
  });

  it('pipelines many writes in flight at once, each a batch of one (no waiting for each ACK in turn)', async () => {
    const routes = Array.from({ length: 500 }, (_, i) => v4(`172.20.${i >> 8}.${i & 255}/32`, [{ via: '192.168.1.11' }]));
    const { ms } = await k.call<{ ms: number }>('burst', routes);
    expect(await k.call<KernelRoute[]>('list', { table: 254, protocol: BIRD })).toHaveLength(500);
    console.info(`500 route adds pipelined in ${ms.toFixed(1)} ms`);
    for (const r of routes) await k.call('remove', r);
  });

  it('writes a batch of 20,000 routes through write() (many messages per datagram), reporting per-route errors', async () => {
    const routes = Array.from({ length: 20_000 }, (_, i) => v4(`10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`, [{ via: '192.168.1.11' }]));
    const add = await k.call<{ ms: number; errors: (string | null)[] }>('write', routes.map((route) => ({ op: 'add', route })));
    expect(add.errors.filter((e) => e !== null)).toEqual([]);
    expect(await k.call<KernelRoute[]>('list', { table: 254, protocol: BIRD })).toHaveLength(20_000);
    // A second add of the same routes: every one EEXIST; a foreign-free table otherwise untouched.
    const again = await k.call<{ ms: number; errors: (string | null)[] }>('write', routes.slice(0, 3).map((route) => ({ op: 'add', route })));
    expect(again.errors).toEqual(['EEXIST', 'EEXIST', 'EEXIST']);
    const del = await k.call<{ ms: number; errors: (string | null)[] }>('write', [...routes, routes[0]].map((route) => ({ op: 'remove', route })));
    // Removing an absent route (the repeated first one) is success.
    expect(del.errors.filter((e) => e !== null)).toEqual([]);
    expect(await k.call<KernelRoute[]>('list', { table: 254, protocol: BIRD })).toHaveLength(0);
    console.info(`20,000 routes written in one batch in ${add.ms.toFixed(0)} ms, removed in ${del.ms.toFixed(0)} ms`);
  });

  it('survives a flood of route notifications from someone else (the netlink package would abort on ENOBUFS)', async () => {
    // 60,000 routes added by `ip -batch` in one go: far more notifications than the subscription
    // socket's buffer holds. The socket is set NETLINK_NO_ENOBUFS (kernel/netlink-tune.ts), so the
    // overflow drops notifications instead of killing the process.
    const lines = Array.from({ length: 60_000 }, (_, i) => `route add 10.${150 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32 via 192.168.1.11 proto static`);
    const file = join(tmpdir(), `wk-flood-${process.pid}.txt`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    try {
      ip('-n', ns, '-batch', file);
      ip('-n', ns, 'route', 'flush', 'proto', 'static');
    } finally {
      rmSync(file, { force: true });
    }
    // Still alive and answering.
    expect(await k.call<KernelRoute[]>('list', { table: 254, protocol: BIRD })).toEqual([]);
  });

  it('notifies when a route is deleted with `ip route del`', async () => {
    await k.call('add', v4('172.16.6.0/24', [{ via: '192.168.1.11' }]));
    await k.waitEvent((e) => e.kind === 'route-changed' && e.route.prefix === '172.16.6.0/24');
    ip('-n', ns, 'route', 'del', '172.16.6.0/24');
    const e = await k.waitEvent((x) => x.kind === 'route-deleted' && x.route.prefix === '172.16.6.0/24');
    expect(e).toMatchObject({ kind: 'route-deleted', route: { protocol: BIRD, nextHops: [{ via: '192.168.1.11', dev: 'v0' }] } });
  });

  it('notifies link down/up and address changes', async () => {
    k.events.length = 0;
    ip('-n', ns, 'link', 'set', 'v2', 'down');
    await k.waitEvent((e) => e.kind === 'link-down' && e.name === 'v2');
    ip('-n', ns, 'link', 'set', 'v2', 'up');
    await k.waitEvent((e) => e.kind === 'link-up' && e.name === 'v2');
    ip('-n', ns, 'addr', 'add', '10.0.6.10/24', 'dev', 'v2');
    await k.waitEvent((e) => e.kind === 'addr-changed' && e.address === '10.0.6.10/24' && !e.removed);
  });
});

describeNetns('FibSync in a network namespace', [NETNS], () => {
  let ns = '';
  let bundleDir = '';
  let s: Driver;
  /** `ip -n NS ...` output, each line right-trimmed (ip pads some lines with a space). */
  const show = (...args: string[]): string =>
    ip('-n', ns, ...args)
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n')
      .trim();

  beforeAll(async () => {
    bundleDir = mkdtempSync(join(tmpdir(), 'wk-kernel-'));
    const bundle = join(bundleDir, 'driver.cjs');
    const { build } = await import('esbuild');
    await build({
      entryPoints: [join(ROOT, 'test/netns/fixtures/kernel-driver.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['netlink'],
      outfile: bundle,
      logLevel: 'silent',
    });
    ns = makeNamespace();
    // A route a previous run left, and a foreign one at a key we will want.
    ip('-n', ns, 'route', 'add', '172.16.9.0/24', 'via', '192.168.1.19', 'proto', 'bird');
    ip('-n', ns, 'route', 'add', '172.16.3.0/24', 'via', '192.168.1.200', 'proto', 'static');
    s = new Driver(ns, bundle);
  });

  afterAll(async () => {
    await s?.exit();
    if (ns) dropNamespace(ns);
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  });

  it('keeps the leftover route until converged, never touches the foreign one, restores a hand-deleted route within a second', async () => {
    await s.call('sync-start');
    await s.call('sync-desired', [
      v4('172.16.1.0/24', [{ via: '192.168.1.11' }]),
      v4('172.16.3.0/24', [{ via: '192.168.1.11' }]),
      { prefix: '172.16.0.0/24', table: 254, protocol: BIRD, metric: 0, type: 'blackhole', nextHops: [] },
    ]);
    expect(show('route', 'show', 'proto', 'bird').split('\n')).toEqual([
      'blackhole 172.16.0.0/24',
      '172.16.1.0/24 via 192.168.1.11 dev v0',
      '172.16.9.0/24 via 192.168.1.19 dev v0',
    ]);
    const st = await s.call<{ conflicts: { prefix: string }[]; staleCandidates: number }>('sync-status');
    expect(st.conflicts.map((c) => c.prefix)).toEqual(['172.16.3.0/24']);
    expect(st.staleCandidates).toBe(1);

    await s.call('sync-converged');
    expect(show('route', 'show', 'proto', 'bird')).not.toContain('172.16.9.0/24');
    expect(show('route', 'show', '172.16.3.0/24')).toBe('172.16.3.0/24 via 192.168.1.200 dev v0 proto static');

    ip('-n', ns, 'route', 'del', '172.16.1.0/24');
    const t0 = Date.now();
    while (!show('route', 'show', 'proto', 'bird').includes('172.16.1.0/24') && Date.now() - t0 < 3000) await sleep(10);
    const took = Date.now() - t0;
    console.info(`hand-deleted route restored in ${took} ms`);
    expect(show('route', 'show', 'proto', 'bird')).toContain('172.16.1.0/24 via 192.168.1.11 dev v0');
    expect(took).toBeLessThan(1000);

    // Someone rewrites our route (same protocol): put back.
    ip('-n', ns, 'route', 'replace', '172.16.1.0/24', 'via', '192.168.1.99', 'proto', 'bird');
    await waitFor(() => show('route', 'show', 'proto', 'bird').includes('172.16.1.0/24 via 192.168.1.11 dev v0'), 1000);

    // Someone overwrites our route with a static one: a conflict, never overwritten back.
    ip('-n', ns, 'route', 'replace', '172.16.1.0/24', 'via', '192.168.1.98', 'proto', 'static');
    await waitFor(async () => (await s.call<{ conflicts: { prefix: string }[] }>('sync-status')).conflicts.length === 2, 1000);
    expect(show('route', 'show', '172.16.1.0/24')).toBe('172.16.1.0/24 via 192.168.1.98 dev v0 proto static');
    ip('-n', ns, 'route', 'del', '172.16.1.0/24', 'proto', 'static');
    await waitFor(() => show('route', 'show', 'proto', 'bird').includes('172.16.1.0/24 via 192.168.1.11 dev v0'), 1000);

    // A next hop on no connected subnet waits (ENETUNREACH) and goes in when the address appears.
    await s.call('sync-desired', [
      v4('172.16.1.0/24', [{ via: '192.168.1.11' }]),
      v4('172.16.7.0/24', [{ via: '10.0.7.11' }]),
    ]);
    const pending = await s.call<{ pendingRetries: { prefix: string; code: string }[] }>('sync-status');
    expect(pending.pendingRetries).toMatchObject([{ prefix: '172.16.7.0/24', code: 'ENETUNREACH' }]);
    ip('-n', ns, 'addr', 'add', '10.0.7.10/24', 'dev', 'v2');
    await waitFor(() => show('route', 'show', 'proto', 'bird').includes('172.16.7.0/24 via 10.0.7.11 dev v2'), 1000);

    await s.call('sync-withdraw');
    expect(show('route', 'show', 'proto', 'bird')).toBe('');
    expect(show('route', 'show', '172.16.3.0/24')).toContain('proto static');
  });

  it('marks a route the kernel refuses (IPv6 next hop ::1: EINVAL) failed, does not resend it, and installs it once it changes', async () => {
    type St = { failed: { prefix: string; errno: string; op: string; route: string }[]; pendingRetries: unknown[]; lastReconcile: { kind: string; ok: boolean; failed: number } };
    await s.call('sync-start');
    const prefix = 'fd00:172:16:12::/64';
    const bogus = v4(prefix, [{ via: '::1' }], { metric: 1024 });
    await s.call('sync-desired', [bogus]);
    const st = await s.call<St>('sync-status');
    expect(st.failed).toMatchObject([{ prefix, errno: 'EINVAL', op: 'add', route: `${prefix} via ::1` }]);
    expect(st.pendingRetries).toEqual([]);
    // A full scan with the same route wanted: nothing sent, nothing failed.
    await s.call('sync-scan');
    expect(await s.call<St>('sync-status')).toMatchObject({ failed: [{ errno: 'EINVAL' }], lastReconcile: { kind: 'full', ok: true, failed: 0 } });
    const fixed = v4(prefix, [{ via: 'fd00:1::11' }], { metric: 1024 });
    await s.call('sync-desired', [fixed]);
    expect(show('-6', 'route', 'show', prefix, 'proto', 'bird')).toBe(`${prefix} via fd00:1::11 dev v0 metric 1024 pref medium`);
    expect((await s.call<St>('sync-status')).failed).toEqual([]);
    await s.call('sync-withdraw');
    expect(show('-6', 'route', 'show', 'proto', 'bird')).toBe('');
  });
});

/**
 * A build whose native step fails still gives a working wren (issue 13, docs/deploy.md).
 *
 * The checkout's sources are copied into a temporary directory (node_modules linked, the real
 * native/build never touched) and built there with `npm run build` and `CC=/bin/false`, so
 * node-gyp's compile fails the way it does on a machine without a compiler:
 * - without CI the build goes on, warns why, and produces dist/ and dist-tools/ but no addon;
 * - with CI=true the same build fails at its first step (CI must build the addon).
 * Then that build runs as wren `x` on one bridged segment, with three iBGP peers:
 *
 *   x .11  wren built without the addon: peers b (plain), c (password), .14 (ttlSecurity, nobody there)
 *   b .12  wren (this checkout's build), plain
 *   c .13  wren (this checkout's build, with the addon), password toward x
 *
 * The plain session comes up and routes flow; the MD5 and GTSM sessions never start: `show peers`
 * says why (naming the addon) and x's log has exactly one line for each. c's SYNs, signed, reach
 * x's kernel, which drops them as unexpected MD5 (TcpExt.TCPMD5Unexpected): the evidence that c
 * really tried.
 *
 * Run (root, after npm run build): npx vitest run --project netns test/netns/no-addon.netns.test.ts
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { PeerStatus } from '../../src/control/protocol.js';
import { startWren, type WrenSpec } from '../../tools/daemons/wren.js';
import { askWren, keepFilesOnFailure, waitWrenPeer, wrenLogTail } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { waitFor, type Lab } from './lib/netns.js';
import { netstatCounter } from './lib/netstat.js';
import { ADDON_BUILT, describeNetns, NETNS, programs } from './lib/requirements.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ASN = 64512;
const X = '192.168.1.11';
const B = '192.168.1.12';
const C = '192.168.1.13';
const GTSM_PEER = '192.168.1.14';
const REFUSED_LINE = 'session not started: the native TCP options addon is missing';

interface Build {
  readonly dir: string;
  readonly status: number | null;
  readonly output: string;
}

/** A copy of the sources that `npm run build` can build on its own; node_modules is linked. */
function copyCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wren-no-addon-'));
  for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) cpSync(join(ROOT, f), join(dir, f));
  for (const d of ['src', 'tools']) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
  cpSync(join(ROOT, 'native'), join(dir, 'native'), { recursive: true, filter: (p) => !p.startsWith(join(ROOT, 'native', 'build')) });
  cpSync(join(ROOT, 'scripts', 'build-native.mjs'), join(dir, 'scripts', 'build-native.mjs'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** `npm run build` in `dir` with a C compiler that always fails. */
function buildWithoutCompiler(dir: string, ci: boolean): Build {
  const env: NodeJS.ProcessEnv = { ...process.env, CC: '/bin/false', CXX: '/bin/false' };
  delete env['CI'];
  delete env['WREN_NATIVE_REQUIRED'];
  if (ci) env['CI'] = 'true';
  const r = spawnSync('npm', ['run', 'build'], { cwd: dir, env, encoding: 'utf8', timeout: 180_000 });
  return { dir, status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

describeNetns('a wren whose native build step failed', [NETNS, ADDON_BUILT, programs('npm')], () => {
  let build: Build | undefined;
  let failed = false;
  beforeAll(() => {
    build = buildWithoutCompiler(copyCheckout(), false);
  }, 200_000);
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  afterAll(() => {
    if (!build) return;
    if (failed) console.warn(`no-addon.netns.test.ts: the build is kept for a look: ${build.dir}`);
    else rmSync(build.dir, { recursive: true, force: true });
  });
  const newLab = labsPerTest();
  let current: Lab | undefined;
  keepFilesOnFailure(() => current);

  const built = (): Build => {
    if (!build) throw new Error('the build did not run');
    return build;
  };

  it('builds anyway: npm run build warns why the addon is missing and produces dist/ and dist-tools/ without it', () => {
    const b = built();
    expect(b.status, b.output).toBe(0);
    expect(b.output).toContain('wren: the native addon (native/build/Release/wren_tcp.node) could not be built:');
    expect(b.output).toMatch(/make: \*\*\*|Error: `make` failed/);
    expect(b.output).toContain('Going on without it.');
    expect(existsSync(join(b.dir, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(b.dir, 'dist-tools', 'tools', 'lab', 'main.js'))).toBe(true);
    expect(existsSync(join(b.dir, 'native', 'build', 'Release', 'wren_tcp.node'))).toBe(false);
  });

  it('fails the same build under CI=true, before anything else is built', () => {
    const b = buildWithoutCompiler(built().dir, true);
    expect(b.status, b.output).not.toBe(0);
    expect(b.output).toContain('This build requires the addon (CI=true): failing.');
    // npm announces each script it runs ("> wren@0.1.0 clean"): the build stopped before `clean`.
    expect(b.output).toMatch(/> wren@\S+ build\n/);
    expect(b.output).not.toMatch(/> wren@\S+ clean\n/);
  });

  it('runs: the plain session comes up, the MD5 and GTSM sessions are refused with one line naming the addon', async () => {
    const cli = join(built().dir, 'dist', 'cli', 'main.js');
    const lab = newLab('noaddon');
    current = lab;
    const ns = { x: lab.addNamespace('x'), b: lab.addNamespace('b'), c: lab.addNamespace('c') };
    lab.bridgeSegment('sw', [
      { ns: ns.x, ifName: 'eth0', addrs: [`${X}/24`] },
      { ns: ns.b, ifName: 'eth0', addrs: [`${B}/24`] },
      { ns: ns.c, ifName: 'eth0', addrs: [`${C}/24`] },
    ]);
    const spec = (n: string, routerId: string, neighbors: WrenSpec['neighbors'], originate: string[], extra: Partial<WrenSpec> = {}): WrenSpec => ({
      ns: n,
      routerId,
      asn: ASN,
      neighbors,
      originate,
      logLevel: 'info',
      ...extra,
    });
    const x = await startWren(
      lab,
      spec(ns.x, X, [{ address: B, asn: ASN }, { address: C, asn: ASN }, { address: GTSM_PEER, asn: ASN }], ['172.16.11.0/24'], {
        cli,
        peerExtra: { [B]: { name: 'plain' }, [C]: { name: 'md5', password: 'no-addon-secret' }, [GTSM_PEER]: { name: 'gtsm', ttlSecurity: 1 } },
      }),
    );
    const b = await startWren(lab, spec(ns.b, B, [{ address: X, asn: ASN }], ['172.16.12.0/24']));
    const c = await startWren(lab, spec(ns.c, C, [{ address: X, asn: ASN, password: 'no-addon-secret' }], ['172.16.13.0/24']));
    expect(x.cliPath).toBe(cli);

    await waitWrenPeer(x, B, 'Established', (p) => p.state === 'Established');
    await waitWrenPeer(b, X, 'Established', (p) => p.state === 'Established');
    await waitFor(async () => (await askWren(x, { cmd: 'show-routes' })).some((r) => r.prefix === '172.16.12.0/24' && r.best), {
      what: "x learns b's block",
      timeoutMs: 15_000,
    });
    // c dials x with a signed SYN; x's kernel has no key for it and drops it.
    await waitFor(() => netstatCounter(ns.x, 'TcpExt.TCPMD5Unexpected') > 0, { what: "c's signed SYNs dropped by x's kernel (TcpExt.TCPMD5Unexpected)", timeoutMs: 20_000 });

    const peers = await askWren(x, { cmd: 'show-peers' });
    const row = (address: string): PeerStatus | undefined => peers.find((p) => p.address === address);
    expect(row(C)?.state, wrenLogTail(x)).toBe('Idle');
    expect(row(C)?.lastDownReason).toMatch(/^not started: password \(TCP MD5\) needs the native TCP options addon, which is not available: cannot load the TCP options addon .*wren_tcp\.node .*npm run build:native/);
    expect(row(GTSM_PEER)?.state).toBe('Idle');
    expect(row(GTSM_PEER)?.lastDownReason).toMatch(/^not started: ttlSecurity \(GTSM\) needs the native TCP options addon/);
    expect((await askWren(c, { cmd: 'show-peers' })).find((p) => p.address === X)?.state).not.toBe('Established');

    const lines = readFileSync(x.paths.log, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string; peer?: string; session?: string; reason?: string });
    const refused = lines.filter((l) => l.msg === REFUSED_LINE);
    expect(refused.map((l) => [l.level, l.peer, l.session]).sort()).toEqual([
      [50, C, 'md5'],
      [50, GTSM_PEER, 'gtsm'],
    ]);
    expect(refused.every((l) => /wren_tcp\.node/.test(l.reason ?? ''))).toBe(true);
    expect(lines.filter((l) => l.msg.startsWith('native TCP options addon not available'))).toHaveLength(1);
    // The daemon with the addon, by contrast, says nothing of the kind.
    expect(readFileSync(b.paths.log, 'utf8')).not.toContain('native TCP options addon not available');
    await Promise.all([x.stop(), b.stop(), c.stop()] satisfies Promise<void>[]);
  });
});

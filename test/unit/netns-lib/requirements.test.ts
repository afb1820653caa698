/**
 * The skip policy of the netns layer (test/netns/lib/requirements.ts, docs/testing.md "When a suite
 * cannot run"): outside CI a suite that cannot run is skipped with its reason; with CI=true it
 * fails naming what is missing; only ALLOWED_SKIPS may skip in CI, and only for its own reason.
 *
 * The decision is checked with injected hosts (no root needed), and end to end: a vitest run of a
 * fixture suite that needs BIRD, with a PATH that hides it, fails under CI=true naming
 * "bird not found on PATH" and passes with the suite skipped without it.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FRR_BIN } from '../../../tools/daemons/frr.js';
import {
  ALLOWED_SKIPS,
  BIRD_INSTALLED,
  CANNOT_RUN_TEST,
  FRR_INSTALLED,
  IPIP,
  NETNS,
  TSHARK_INSTALLED,
  decide,
  findProgram,
  ipipUnmet,
  programs,
  realHost,
  verdict,
  type Host,
  type IpipProbe,
  type RunResult,
} from '../../netns/lib/requirements.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

interface FakeOptions {
  readonly env?: Host['env'];
  readonly uid?: number;
  readonly platform?: NodeJS.Platform;
  /** Executable files. */
  readonly files?: readonly string[];
  /** Answers to `run`, by "file arg arg ..."; anything else succeeds. */
  readonly answers?: Readonly<Record<string, RunResult>>;
}

/** A host with root, Linux, a working `ip`, and only the given executables; records what it runs. */
function fakeHost(o: FakeOptions = {}): Host & { readonly ran: string[] } {
  const ran: string[] = [];
  const files = new Set(o.files ?? []);
  return {
    env: o.env ?? { PATH: '/usr/sbin:/usr/bin' },
    platform: o.platform ?? 'linux',
    uid: o.uid ?? 0,
    pid: 4242,
    ran,
    run: (file, args) => {
      const line = [file, ...args].join(' ');
      ran.push(line);
      return o.answers?.[line] ?? { status: 0, stderr: '' };
    },
    isExecutable: (path) => files.has(path),
    exists: (path) => files.has(path),
    readFile: () => null,
  };
}

const CI = { PATH: '/usr/sbin:/usr/bin', CI: 'true' };
const BIRD_FILES = ['/usr/sbin/bird', '/usr/sbin/birdc'];

describe('the decision: run, skip, or fail under CI=true', () => {
  it('runs when every requirement is met', () => {
    expect(verdict([NETNS, BIRD_INSTALLED], fakeHost({ files: BIRD_FILES }))).toEqual({ kind: 'run' });
    expect(verdict([NETNS, BIRD_INSTALLED], fakeHost({ files: BIRD_FILES, env: CI }))).toEqual({ kind: 'run' });
  });

  it('skips outside CI and fails under CI=true, naming what is missing: not root', () => {
    const notRoot = { uid: 1000, files: BIRD_FILES };
    expect(verdict([NETNS], fakeHost(notRoot))).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/^not root/) });
    expect(verdict([NETNS], fakeHost({ ...notRoot, env: { CI: 'false' } }))).toMatchObject({ kind: 'skip' });
    expect(verdict([NETNS], fakeHost({ ...notRoot, env: CI }))).toMatchObject({ kind: 'fail', reason: expect.stringMatching(/^not root \(uid 1000;/) });
  });

  it('names a missing `ip`, a failing `ip netns`, and another platform', () => {
    const noIp = { 'ip netns list': { status: null, stderr: '', error: new Error('spawnSync ip ENOENT') } };
    expect(verdict([NETNS], fakeHost({ env: CI, answers: noIp }))).toMatchObject({ kind: 'fail', reason: expect.stringContaining('ip not found on PATH') });
    const broken = { 'ip netns list': { status: 1, stderr: 'mount --make-shared /run/netns failed: Operation not permitted\n' } };
    expect(verdict([NETNS], fakeHost({ env: CI, answers: broken }))).toMatchObject({
      kind: 'fail',
      reason: '`ip netns list` failed: mount --make-shared /run/netns failed: Operation not permitted',
    });
    expect(verdict([NETNS], fakeHost({ env: CI, platform: 'darwin' }))).toMatchObject({ kind: 'fail', reason: 'not Linux (platform darwin)' });
  });

  it('fails under CI=true when a daemon is not on PATH, naming each missing program', () => {
    const v = verdict([NETNS, BIRD_INSTALLED], fakeHost({ env: { ...CI, PATH: '/usr/bin:/bin' }, files: BIRD_FILES }));
    expect(v).toEqual({ kind: 'fail', reason: 'bird not found on PATH; birdc not found on PATH (scripts/setup.sh installs them)' });
    expect(verdict([NETNS, BIRD_INSTALLED], fakeHost({ env: { PATH: '/usr/bin:/bin' }, files: BIRD_FILES }))).toMatchObject({ kind: 'skip' });
  });

  it('looks programs up on PATH in order, and takes a name with a slash as a path', () => {
    const h = fakeHost({ env: { PATH: ':/opt/a::/usr/sbin' }, files: ['/usr/sbin/bird', '/opt/a/bird', '/usr/lib/frr/bgpd'] });
    expect(findProgram(h, 'bird')).toBe('/opt/a/bird');
    expect(findProgram(h, '/usr/lib/frr/bgpd')).toBe('/usr/lib/frr/bgpd');
    expect(findProgram(h, '/usr/lib/frr/zebra')).toBeNull();
    expect(findProgram(fakeHost({ env: {} }), 'bird')).toBeNull();
    expect(verdict([FRR_INSTALLED], fakeHost({ env: CI, files: ['/usr/lib/frr/zebra', '/usr/bin/vtysh'] }))).toEqual({
      kind: 'fail',
      reason: '/usr/lib/frr/bgpd not found (scripts/setup.sh installs them)',
    });
  });

  it('reports every unmet requirement, but nothing after an unmet gate (NETNS)', () => {
    const both = verdict([NETNS, BIRD_INSTALLED, TSHARK_INSTALLED], fakeHost({ env: CI }));
    expect(both).toMatchObject({ kind: 'fail', reason: expect.stringMatching(/bird not found on PATH.*; tshark not found on PATH/) });
    const h = fakeHost({ env: CI, uid: 1000 });
    const gated = verdict([NETNS, IPIP, BIRD_INSTALLED], h);
    expect(gated).toMatchObject({ kind: 'fail', reason: expect.stringMatching(/^not root/) });
    expect(gated.kind === 'fail' && gated.reason).not.toMatch(/bird|ipip/);
    expect(h.ran).toEqual([]);
  });

  it('the FRR requirement looks where the FRR driver starts zebra and bgpd', () => {
    expect(FRR_INSTALLED.what).toBe(`${join(FRR_BIN, 'zebra')}, ${join(FRR_BIN, 'bgpd')}, vtysh`);
  });

  it('with the real host, a PATH that lacks the daemon makes CI=true fail with its name', () => {
    const hidden: Host = { ...realHost(), env: { PATH: '/nonexistent-wren-test', CI: 'true' } };
    expect(verdict([programs('bird', 'sh')], hidden)).toEqual({
      kind: 'fail',
      reason: 'bird not found on PATH; sh not found on PATH (scripts/setup.sh installs them)',
    });
    expect(verdict([programs('sh')], { ...realHost(), env: { PATH: '/nonexistent-wren-test:/usr/bin:/bin' } })).toEqual({ kind: 'run' });
  });
});

describe('the allow-list: the only skips CI keeps', () => {
  const unknownType: RunResult = { status: 2, stderr: 'Error: Unknown device type.\n' };
  const noIpip: IpipProbe = { linkAdd: unknownType, sysModule: false, procModules: null, modprobe: null };

  it('has one entry, ipip-module, saying where tunnel routes are tested instead', () => {
    expect(Object.keys(ALLOWED_SKIPS)).toEqual(['ipip-module']);
    expect(ALLOWED_SKIPS['ipip-module']).toMatch(/test\/unit\/kernel\/rtmsg\.test\.ts/);
  });

  it('ipip: met when the probe link is made', () => {
    expect(ipipUnmet({ ...noIpip, linkAdd: { status: 0, stderr: '' } })).toBeNull();
  });

  it('ipip: the allowed skip only for "Unknown device type" with no module built in, loaded or loadable', () => {
    const u = ipipUnmet(noIpip);
    expect(u).toMatchObject({ allowedSkip: 'ipip-module', reason: expect.stringMatching(/the kernel has no ipip.*Unknown device type.*no \/sys\/module\/ipip/) });
    expect(decide(u ? [u] : [], { CI: 'true' })).toMatchObject({ kind: 'skip', allowedSkip: 'ipip-module' });
    expect(decide(u ? [u] : [], {})).toMatchObject({ kind: 'skip', allowedSkip: 'ipip-module' });
    const noModprobeMatch = ipipUnmet({ ...noIpip, procModules: 'veth 40960 0 - Live 0x0\n', modprobe: { status: 1, stderr: "modprobe: FATAL: Module ipip not found\n" } });
    expect(noModprobeMatch?.allowedSkip).toBe('ipip-module');
  });

  it('ipip: any other failure is not allowed, and fails under CI=true', () => {
    const others: IpipProbe[] = [
      { ...noIpip, sysModule: true },
      { ...noIpip, procModules: 'ipip 20480 0 - Live 0x0\ntunnel4 16384 1 ipip, Live 0x0\n' },
      { ...noIpip, modprobe: { status: 0, stderr: '' } },
      { ...noIpip, linkAdd: { status: 2, stderr: 'RTNETLINK answers: Operation not permitted\n' } },
      { ...noIpip, linkAdd: { status: null, stderr: '', error: new Error('spawnSync ip ENOENT') } },
    ];
    for (const p of others) {
      const u = ipipUnmet(p);
      expect(u, JSON.stringify(p)).not.toBeNull();
      expect(u?.allowedSkip, JSON.stringify(p)).toBeUndefined();
      expect(decide(u ? [u] : [], { CI: 'true' }).kind).toBe('fail');
    }
  });

  it('ipip: probed in a throwaway namespace that is deleted whatever the outcome', () => {
    const ns = `w${(4242).toString(36)}-ipipprobe`;
    const add = `ip -n ${ns} link add wprobe0 type ipip local 192.0.2.1 remote 192.0.2.2`;
    const h = fakeHost({ env: CI, answers: { [add]: unknownType, 'modprobe -n ipip': { status: null, stderr: '', error: new Error('ENOENT') } } });
    expect(verdict([NETNS, IPIP], h)).toMatchObject({ kind: 'skip', allowedSkip: 'ipip-module' });
    expect(h.ran).toEqual(['ip netns list', `ip netns add ${ns}`, add, `ip netns del ${ns}`, 'modprobe -n ipip']);
    const ok = fakeHost({ env: CI });
    expect(verdict([NETNS, IPIP], ok)).toEqual({ kind: 'run' });
    expect(ok.ran).toContain(`ip netns del ${ns}`);
  });

  it('an allowed reason next to one that is not allowed still fails, naming only the other', () => {
    const u = ipipUnmet(noIpip);
    const v = decide([...(u ? [u] : []), { reason: 'tshark not found on PATH' }], { CI: 'true' });
    expect(v).toEqual({ kind: 'fail', reason: 'tshark not found on PATH' });
  });

  it('a name that is not in ALLOWED_SKIPS is no excuse', () => {
    const forged = { reason: 'no frr', allowedSkip: 'frr-missing' } as unknown as Parameters<typeof decide>[0][number];
    expect(decide([forged], { CI: 'true' })).toEqual({ kind: 'fail', reason: 'no frr' });
  });
});

/** Runs vitest on the fixture suite (needs `bird` and `birdc`) with `env`; resolves with its status and output. */
function runFixture(env: NodeJS.ProcessEnv): Promise<{ status: number | null; out: string }> {
  const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const config = join(import.meta.dirname, 'fixtures', 'vitest.config.ts');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vitest, 'run', '--config', config, '--reporter', 'verbose'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, out }));
  });
}

describe('a suite whose daemon is hidden from PATH (a real vitest run)', () => {
  // PATH without the system directories, where bird lives; node is run by its absolute path. The
  // variables this vitest worker sets (VITEST_*, TEST) are left out, so the child is a run of its own.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'TEST' && k !== 'CI'));
  const base = { ...inherited, PATH: '/nonexistent-wren-test', NO_COLOR: '1' };

  it('fails under CI=true with a test that names the missing programs; skips and passes without CI', async () => {
    const [ci, local] = await Promise.all([runFixture({ ...base, CI: 'true' }), runFixture(base)]);
    expect(ci.status, ci.out).toBe(1);
    expect(ci.out).toContain(CANNOT_RUN_TEST);
    expect(ci.out).toContain('bird not found on PATH; birdc not found on PATH');
    expect(ci.out).toMatch(/1 failed/);
    expect(local.status, local.out).toBe(0);
    expect(local.out).toContain('needs-bird.fixture.ts: skipped "a suite that needs BIRD": bird not found on PATH; birdc not found on PATH');
    expect(local.out).toMatch(/1 skipped/);
    expect(local.out).not.toMatch(/failed/);
  }, 60_000);
});

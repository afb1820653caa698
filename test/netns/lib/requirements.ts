/**
 * What a netns test needs in order to run (Linux, root, `ip netns`, a daemon, a kernel feature),
 * and the one rule for when something is missing (docs/testing.md, "When a suite cannot run"):
 *
 * - outside CI the suite (or test) is skipped, and the reason is printed;
 * - with `CI=true` it is not skipped: a failing test names what is missing, so a CI run cannot
 *   pass by skipping;
 * - the only exception is an entry of ALLOWED_SKIPS, which a requirement names explicitly and only
 *   reports when the reason really is that one (e.g. the kernel has no ipip at all).
 *
 * Every netns test file registers its suites with `describeNetns(title, needs, fn)` and its
 * single conditional tests with `itNeeds(needs)(name, fn)`. The decision itself (`verdict`) is a
 * pure function of the requirements and a `Host` (environment, platform, uid, how to run a
 * program, the file system), so test/unit/netns-lib/requirements.test.ts checks it without root.
 *
 * Outside vitest (this module needs it), the tools and scripts (npm run bench, npm run lab,
 * scripts/capture-golden.mjs) ask the kit's `netnsProblem()` (tools/kit/netns.ts): the NETNS check
 * for the real host, which netns.ts also re-exports to tests as `netnsSkipReason()`.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it, type TestFunction } from 'vitest';
import { tcpOptionsAvailable } from '../../../src/session/tcp-native.js';

/**
 * The skips a CI run may keep, each with why it is acceptable. A requirement may only name an entry
 * here; anything else that cannot run under CI=true fails.
 */
export const ALLOWED_SKIPS = {
  'ipip-module':
    'this kernel has no ipip module (not built in, not loadable): tunnel-mode routes (`via X dev tunl0 onlink`) are tested byte for byte in test/unit/kernel/rtmsg.test.ts',
} as const;
export type AllowedSkip = keyof typeof ALLOWED_SKIPS;

/** What the decision looks at. `realHost()` is this process; unit tests pass their own. */
export interface Host {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  readonly uid: number | undefined;
  readonly pid: number;
  /** Runs a program without a shell. `error` is set when it could not be started (ENOENT: not found). */
  run(file: string, args: readonly string[]): RunResult;
  /** A regular file this process may execute. */
  isExecutable(path: string): boolean;
  /** A file or directory exists. */
  exists(path: string): boolean;
  /** The text of a file, or null when it cannot be read. */
  readFile(path: string): string | null;
}

export interface RunResult {
  readonly status: number | null;
  readonly stderr: string;
  readonly error?: Error | undefined;
}

export function realHost(): Host {
  return {
    env: process.env,
    platform: process.platform,
    uid: process.getuid?.(),
    pid: process.pid,
    run: (file, args) => {
      const r = spawnSync(file, args, { encoding: 'utf8', timeout: 10_000 });
      return { status: r.status, stderr: r.stderr ?? '', error: r.error };
    },
    isExecutable: (path) => {
      try {
        if (!statSync(path).isFile()) return false;
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
    exists: (path) => {
      try {
        statSync(path);
        return true;
      } catch {
        return false;
      }
    },
    readFile: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return null;
      }
    },
  };
}

/** Why a requirement is not met; `allowedSkip` only when the reason is exactly that entry's. */
export interface Unmet {
  readonly reason: string;
  readonly allowedSkip?: AllowedSkip;
}

export interface Requirement {
  /** What is needed, for messages and docs: "root and `ip netns`", "bird, birdc". */
  readonly what: string;
  /** Null when met here. */
  check(host: Host): Unmet | null;
  /** When unmet, the requirements after it are not checked (they need it: a namespace, root). */
  readonly gate?: boolean;
}

/** A requirement from a check that returns why it is not met (a string) or null. */
export function requirement(what: string, check: (host: Host) => string | null, gate = false): Requirement {
  return {
    what,
    gate,
    check: (host) => {
      const reason = check(host);
      return reason === null ? null : { reason };
    },
  };
}

export const LINUX: Requirement = requirement('Linux', (h) => (h.platform === 'linux' ? null : `not Linux (platform ${h.platform})`), true);

/** Linux, root, and a working `ip netns` (what every namespace lab needs). */
export const NETNS: Requirement = requirement('Linux, root and `ip netns`', (h) => {
  if (h.platform !== 'linux') return `not Linux (platform ${h.platform})`;
  if (h.uid !== 0) return `not root (uid ${h.uid ?? '?'}; network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)`;
  const r = h.run('ip', ['netns', 'list']);
  if (r.error) return `\`ip\` cannot be run (${r.error.message}): ip not found on PATH (iproute2)`;
  if (r.status !== 0) return `\`ip netns list\` failed: ${r.stderr.trim()}`;
  return null;
}, true);

/** Where `name` is found on the host's PATH (a name with a slash is taken as a path), or null. */
export function findProgram(host: Host, name: string): string | null {
  if (name.includes('/')) return host.isExecutable(name) ? name : null;
  for (const dir of (host.env['PATH'] ?? '').split(':')) {
    if (dir === '') continue;
    const path = join(dir, name);
    if (host.isExecutable(path)) return path;
  }
  return null;
}

/**
 * Programs that must be there: command names are looked up on PATH (as the drivers spawn them),
 * absolute paths must be executable files. The reason names each missing one:
 * "bird not found on PATH; /usr/lib/frr/bgpd not found".
 */
export function programs(...names: readonly string[]): Requirement {
  return requirement(names.join(', '), (h) => {
    const missing = names.filter((n) => findProgram(h, n) === null);
    if (missing.length === 0) return null;
    const each = missing.map((n) => (n.includes('/') ? `${n} not found` : `${n} not found on PATH`));
    return `${each.join('; ')} (scripts/setup.sh installs them)`;
  });
}

/** A file the tests need, with what to do when it is missing ("run `npm run build` first"). */
export function fileExists(path: string, hint: string): Requirement {
  return requirement(path, (h) => (h.exists(path) ? null : `${path} is missing: ${hint}`));
}

// The daemons and tools of the netns kit, as their drivers (tools/daemons) start them.
/** BIRD 2 (tools/daemons/bird.ts). */
export const BIRD_INSTALLED = programs('bird', 'birdc');
/**
 * FRR 8 (tools/daemons/frr.ts: zebra and bgpd from FRR_BIN, /usr/lib/frr; vtysh on PATH). The path
 * is repeated here; test/unit/netns-lib/requirements.test.ts ties it to FRR_BIN.
 */
export const FRR_INSTALLED = programs('/usr/lib/frr/zebra', '/usr/lib/frr/bgpd', 'vtysh');
/** GoBGP 3 (tools/daemons/gobgp.ts runs gobgpd under `unshare --uts`). */
export const GOBGP_INSTALLED = programs('gobgpd', 'gobgp', 'unshare');
/** OpenBGPD 7 (tools/daemons/openbgpd.ts). */
export const OPENBGPD_INSTALLED = programs('bgpd', 'bgpctl');
export const TSHARK_INSTALLED = programs('tshark');
export const TCPDUMP_INSTALLED = programs('tcpdump');

/** The native addon for TCP MD5 / TTL / GTSM (src/session/tcp-native.ts), built by `npm run build:native`. */
export const ADDON_BUILT = requirement('the native addon (npm run build:native)', () => {
  const addon = tcpOptionsAvailable();
  return addon.ok ? null : addon.reason;
});

/** What the ipip probe saw, for `ipipUnmet`. */
export interface IpipProbe {
  /** `ip -n <throwaway namespace> link add ... type ipip ...` */
  readonly linkAdd: RunResult;
  /** /sys/module/ipip exists (built in or loaded). */
  readonly sysModule: boolean;
  /** The text of /proc/modules, null when the kernel has none (no loadable modules at all). */
  readonly procModules: string | null;
  /** `modprobe -n ipip`, null when modprobe is not there. */
  readonly modprobe: RunResult | null;
}

/**
 * Whether a failed ipip probe means "this kernel has no ipip" (the one allowed skip) or something
 * else (which fails under CI): only "Unknown device type" from `ip`, with no ipip module built in,
 * loaded, or known to modprobe.
 */
export function ipipUnmet(p: IpipProbe): Unmet | null {
  if (p.linkAdd.status === 0 && !p.linkAdd.error) return null;
  const err = (p.linkAdd.error?.message ?? p.linkAdd.stderr).trim();
  const loaded = p.sysModule || /^ipip\s/m.test(p.procModules ?? '');
  const loadable = p.modprobe !== null && !p.modprobe.error && p.modprobe.status === 0;
  if (/Unknown device type/i.test(err) && !loaded && !loadable) {
    const modules = p.procModules === null ? 'the kernel has no loadable modules (no /proc/modules)' : 'ipip not in /proc/modules';
    const modprobe = p.modprobe === null || p.modprobe.error ? 'no modprobe' : '`modprobe -n ipip` fails';
    return { reason: `the kernel has no ipip: \`ip link add type ipip\` says "${err}"; no /sys/module/ipip, ${modules}, ${modprobe}`, allowedSkip: 'ipip-module' };
  }
  const state = loaded ? 'although ipip is loaded' : loadable ? 'although modprobe finds ipip' : 'and not "Unknown device type"';
  return { reason: `\`ip link add type ipip\` failed (${err}), ${state}` };
}

/**
 * The kernel can make ipip tunnels (tunl0). Probed in a throwaway namespace `w<pid>-ipipprobe`,
 * deleted at once; put NETNS before it. Its only allowed skip is ALLOWED_SKIPS['ipip-module'].
 */
export const IPIP: Requirement = {
  what: 'ipip tunnels in the kernel',
  check: (h) => {
    const ns = `w${h.pid.toString(36)}-ipipprobe`;
    const made = h.run('ip', ['netns', 'add', ns]);
    if (made.error || made.status !== 0) return { reason: `cannot make a namespace to probe for ipip: ${(made.error?.message ?? made.stderr).trim()}` };
    let linkAdd: RunResult;
    try {
      linkAdd = h.run('ip', ['-n', ns, 'link', 'add', 'wprobe0', 'type', 'ipip', 'local', '192.0.2.1', 'remote', '192.0.2.2']);
    } finally {
      h.run('ip', ['netns', 'del', ns]);
    }
    if (linkAdd.status === 0 && !linkAdd.error) return null;
    const modprobe = h.run('modprobe', ['-n', 'ipip']);
    return ipipUnmet({ linkAdd, sysModule: h.exists('/sys/module/ipip'), procModules: h.readFile('/proc/modules'), modprobe: modprobe.error ? null : modprobe });
  },
};

/** CI=true: a suite that cannot run fails instead of skipping. */
export const ciRequiresRun = (env: Host['env']): boolean => env['CI'] === 'true';

export type Verdict =
  | { readonly kind: 'run' }
  | { readonly kind: 'skip'; readonly reason: string; readonly allowedSkip?: AllowedSkip }
  | { readonly kind: 'fail'; readonly reason: string };

/**
 * What to do with a suite: run it when every requirement is met; otherwise skip it, or under
 * CI=true fail it, with every unmet requirement's reason. A requirement marked `gate` (NETNS,
 * LINUX) ends the checks when unmet: the ones after it need it.
 */
export function verdict(needs: readonly Requirement[], host: Host): Verdict {
  const unmet: Unmet[] = [];
  for (const need of needs) {
    const u = need.check(host);
    if (u === null) continue;
    unmet.push(u);
    if (need.gate === true) break;
  }
  return decide(unmet, host.env);
}

/**
 * Run when nothing is unmet; skip outside CI; under CI=true fail, unless every reason is an
 * ALLOWED_SKIPS entry.
 */
export function decide(unmet: readonly Unmet[], env: Host['env']): Verdict {
  if (unmet.length === 0) return { kind: 'run' };
  const isAllowed = (u: Unmet): boolean => u.allowedSkip !== undefined && Object.hasOwn(ALLOWED_SKIPS, u.allowedSkip);
  const reasons = (us: readonly Unmet[]): string => us.map((u) => u.reason).join('; ');
  const allowed = unmet.every(isAllowed) ? unmet[0]?.allowedSkip : undefined;
  if (ciRequiresRun(env) && allowed === undefined) return { kind: 'fail', reason: reasons(unmet.filter((u) => !isAllowed(u))) };
  return allowed === undefined ? { kind: 'skip', reason: reasons(unmet) } : { kind: 'skip', reason: reasons(unmet), allowedSkip: allowed };
}

/** The name of the failing test that stands for a suite that cannot run under CI=true. */
export const CANNOT_RUN_TEST = 'can run here (CI=true: a missing requirement fails instead of skipping)';

/** The message of that failing test (and of a failing single test). */
export function cannotRunMessage(file: string, title: string, reason: string): string {
  return (
    `${file}: "${title}" cannot run: ${reason}. ` +
    'With CI=true a netns suite that cannot run fails instead of skipping; only ALLOWED_SKIPS in test/netns/lib/requirements.ts may skip (docs/testing.md).'
  );
}

/** The line printed for a skip. */
export function skipMessage(file: string, title: string, v: Extract<Verdict, { kind: 'skip' }>): string {
  const allowed = v.allowedSkip === undefined ? '' : ` (allowed skip "${v.allowedSkip}": ${ALLOWED_SKIPS[v.allowedSkip]})`;
  return `${file}: skipped "${title}": ${v.reason}${allowed}`;
}

const printed = new Set<string>();
function warnOnce(line: string): void {
  if (printed.has(line)) return;
  printed.add(line);
  console.warn(line);
}

/** The test file being collected, for messages. */
function testFile(): string {
  const path = expect.getState().testPath;
  return path ? basename(path) : 'a netns test file';
}

/**
 * `describe(title, fn)` when every requirement is met here. Otherwise the suite is skipped with
 * the reason printed; under CI=true it gets one failing test (CANNOT_RUN_TEST) naming what is
 * missing, next to its own tests, which are listed as skipped.
 */
export function describeNetns(title: string, needs: readonly Requirement[], fn: () => void, host: Host = realHost()): void {
  const v = verdict(needs, host);
  if (v.kind === 'run') {
    describe(title, fn);
    return;
  }
  const file = testFile();
  if (v.kind === 'skip') {
    warnOnce(skipMessage(file, title, v));
    describe.skip(title, fn);
    return;
  }
  describe(title, () => {
    it(CANNOT_RUN_TEST, () => {
      throw new Error(cannotRunMessage(file, title, v.reason));
    });
    describe.skip('not run', fn);
  });
}

export type NeedsTest = (name: string, fn: TestFunction, timeout?: number) => void;

/**
 * `it` for one test with requirements of its own (a daemon only that test starts): the test runs,
 * is skipped with the reason printed, or under CI=true fails under its own name with the reason.
 */
export function itNeeds(needs: readonly Requirement[], host: Host = realHost()): NeedsTest {
  const v = verdict(needs, host);
  if (v.kind === 'run') return (name, fn, timeout) => it(name, fn, timeout);
  const file = testFile();
  if (v.kind === 'skip') {
    return (name, fn, timeout) => {
      warnOnce(skipMessage(file, name, v));
      it.skip(name, fn, timeout);
    };
  }
  return (name) =>
    it(name, () => {
      throw new Error(cannotRunMessage(file, name, v.reason));
    });
}

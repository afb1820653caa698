/**
 * packaging/wren.service, checked without a running systemd (this machine has none as PID 1, and a
 * test must not start a service):
 *
 * - `systemd-analyze verify` accepts the unit with no message at all (an unknown key or a bad
 *   value only prints a warning, so the output must be empty, not just the exit code 0);
 * - `systemd-analyze security --offline` rates its sandbox at most 2.0 ("OK"; 1.7 now);
 * - what the unit grants is enough, and what it forbids is not needed: wren runs the way the unit
 *   runs it, as an unprivileged user (nobody) with exactly the ambient capabilities CAP_NET_ADMIN
 *   and CAP_NET_BIND_SERVICE, the same bounding set and no_new_privs (`setpriv`), under `strace -f`,
 *   in a namespace: it binds port 179, its MD5 session with a peer comes up, it installs the peer's
 *   block in the kernel, a SIGHUP reloads its config (a new originated prefix reaches the peer), and
 *   a SIGTERM ends it with exit 0 within the 10 s bound. Every system call it made is in the unit's
 *   SystemCallFilter (@system-service @pkey, less @privileged and @resources, expanded with
 *   `systemd-analyze syscall-filter`), and every
 *   socket it opened is of a family in RestrictAddressFamilies.
 *
 * Run (root, after npm run build): npx vitest run --project netns test/netns/packaging.netns.test.ts
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT, WREN_CLI } from '../../tools/kit/paths.js';
import { startWren } from '../../tools/daemons/wren.js';
import { fibRoutesFor } from './lib/fib.js';
import { keepFilesOnFailure } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { waitFor, within, type Lab } from './lib/netns.js';
import { ADDON_BUILT, describeNetns, fileExists, NETNS, programs } from './lib/requirements.js';

const ROOT = join(import.meta.dirname, '..', '..');
const UNIT = join(ROOT, 'packaging', 'wren.service');
const NOBODY = 65534;

/**
 * The CLI as user nobody can run it: this checkout's, or a copy of what it needs (package.json,
 * dist, node_modules, the native addon) when the checkout is not readable by others (a clone in a
 * 0700 directory, as `mktemp -d` makes).
 */
function cliForNobody(dir: string): string {
  const asNobody = ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups'];
  if (spawnSync('setpriv', [...asNobody, 'test', '-r', WREN_CLI]).status === 0) return WREN_CLI;
  const app = join(dir, 'app');
  mkdirSync(join(app, 'native', 'build'), { recursive: true });
  for (const part of ['package.json', 'dist', 'node_modules', join('native', 'build', 'Release')]) {
    const r = spawnSync('cp', ['-a', join(REPO_ROOT, part), join(app, part)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cannot copy ${part} for user nobody: ${r.stderr}`);
  }
  spawnSync('chmod', ['-R', 'a+rX', app]);
  const cli = join(app, 'dist', 'cli', 'main.js');
  if (spawnSync('setpriv', [...asNobody, 'test', '-r', cli]).status !== 0) throw new Error(`user nobody cannot read ${cli}`);
  return cli;
}
const NODE = '192.168.1.11';
const PEER = '192.168.1.12';
const ASN = 64512;
const SECRET = 'packaging-md5';

/** The unit's value of a [Service] key (the last one wins, as in systemd; list keys are joined). */
function unitValues(key: string): string[] {
  return readFileSync(UNIT, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1).trim());
}

/** Every system call a systemd filter set allows, groups expanded (`systemd-analyze syscall-filter`). */
function syscallSet(spec: readonly string[]): Set<string> {
  const text = spawnSync('systemd-analyze', ['syscall-filter'], { encoding: 'utf8' }).stdout;
  const groups = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('@')) groups.set(line.trim(), (current = []));
    else if (/^\s+[@a-z0-9_-]+$/.test(line)) current?.push(line.trim());
    else if (line.trim() === '') current = undefined;
  }
  const out = new Set<string>();
  const add = (name: string, seen: Set<string>): void => {
    if (!name.startsWith('@')) {
      out.add(name);
      return;
    }
    if (seen.has(name)) return;
    seen.add(name);
    const members = groups.get(name);
    if (!members) throw new Error(`systemd-analyze syscall-filter does not know ${name}`);
    for (const m of members) add(m, seen);
  };
  for (const s of spec) for (const name of s.split(/\s+/)) if (name !== '') add(name, new Set());
  return out;
}

/**
 * System call names and socket families in an `strace -f` log, from the execve of `program` on:
 * what setpriv did before it became wren (setresuid, capset, ...) is systemd's part under the unit.
 */
function traced(path: string, program: string): { calls: Map<string, number>; families: Set<string> } {
  const calls = new Map<string, number>();
  const families = new Set<string>();
  let started = false;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!started) {
      started = line.includes(`execve("${program}"`) && / = 0$/.test(line);
      continue;
    }
    const m = /^\d+\s+(?:<\.\.\. )?([a-z_][a-z0-9_]*)[( ]/.exec(line);
    if (!m?.[1]) continue;
    calls.set(m[1], (calls.get(m[1]) ?? 0) + 1);
    const s = /^\d+\s+socket(?:pair)?\((AF_[A-Z0-9]+)/.exec(line);
    if (s?.[1]) families.add(s[1]);
  }
  return { calls, families };
}

describeNetns(
  'packaging/wren.service',
  [NETNS, ADDON_BUILT, programs('systemd-analyze', 'strace', 'setpriv'), fileExists('/usr/bin/node', 'the unit runs /usr/bin/node (NodeSource or Debian nodejs)')],
  () => {
    const newLab = labsPerTest();
    let current: Lab | undefined;
    keepFilesOnFailure(() => current);

    it('passes systemd-analyze verify without a single message', () => {
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', UNIT], { encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`).toBe('');
      expect(r.status).toBe(0);
    });

    it('is rated at most 2.0 by systemd-analyze security', () => {
      const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--threshold=20', '--no-pager', UNIT], { encoding: 'utf8' });
      const overall = /Overall exposure level for wren\.service: ([\d.]+)/.exec(`${r.stdout}${r.stderr}`);
      expect(overall?.[1], r.stdout + r.stderr).toBeDefined();
      expect(Number(overall?.[1])).toBeLessThanOrEqual(2.0);
      expect(r.status, r.stdout + r.stderr).toBe(0);
    });

    it('says what the sandbox test below assumes', () => {
      expect(unitValues('AmbientCapabilities')).toEqual(['CAP_NET_ADMIN CAP_NET_BIND_SERVICE']);
      expect(unitValues('CapabilityBoundingSet')).toEqual(['CAP_NET_ADMIN CAP_NET_BIND_SERVICE']);
      expect(unitValues('NoNewPrivileges')).toEqual(['yes']);
      expect(unitValues('ExecStart')).toEqual(['/usr/bin/node /opt/wren/dist/cli/main.js run --config /etc/wren/wren.json']);
      expect(unitValues('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
      expect(unitValues('Restart')).toEqual(['on-failure']);
      // Above wren's own 10 s shutdown bound (src/daemon/main.ts), so systemd never has to SIGKILL it.
      expect(Number.parseInt(unitValues('TimeoutStopSec')[0] ?? '0', 10)).toBeGreaterThan(10);
    });

    it('grants enough: wren as nobody with only CAP_NET_ADMIN and CAP_NET_BIND_SERVICE, under strace, does its job; every call and socket family is allowed', async () => {
      const lab = newLab('pkg');
      current = lab;
      chmodSync(lab.dir, 0o755);
      const home = join(lab.dir, 'sandboxed');
      mkdirSync(home, { mode: 0o750 });
      chownSync(home, NOBODY, NOBODY);
      const node = lab.addNamespace('node', { forwarding: true });
      const peerNs = lab.addNamespace('peer', { forwarding: true });
      lab.link(node, 'eth0', [`${NODE}/24`], peerNs, 'eth0', [`${PEER}/24`]);

      const configPath = join(home, 'wren.json');
      const socket = join(home, 'wren.sock');
      const config = (originate: string[]): string =>
        `${JSON.stringify(
          {
            routerId: NODE,
            asn: ASN,
            listen: { address: '::', port: 179 },
            timers: { connectRetryTime: 2, idleHoldTime: 1, idleHoldMaxTime: 4 },
            originate,
            peers: [{ address: PEER, asn: ASN, password: SECRET }],
            kernel: { enabled: true, convergenceTimeout: 10 },
            control: { socket },
            log: { level: 'info' },
          },
          null,
          2,
        )}\n`;
      writeFileSync(configPath, config(['172.16.11.0/24']), { mode: 0o640 });
      chownSync(configPath, 0, NOBODY);

      const peer = await startWren(lab, { ns: peerNs, routerId: PEER, asn: ASN, neighbors: [{ address: NODE, asn: ASN, password: SECRET }], originate: ['172.16.12.0/24'], kernel: true });

      const trace = join(lab.dir, 'wren.strace');
      const logFile = join(lab.dir, 'wren-sandboxed.log');
      const caps = '-all,+net_admin,+net_bind_service';
      const strace = lab.spawn(
        node,
        'strace',
        ['-f', '-qq', '-o', trace, 'setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', `--inh-caps=${caps}`, `--ambient-caps=${caps}`, `--bounding-set=${caps}`, '--no-new-privs', process.execPath, cliForNobody(lab.dir), 'run', '--config', configPath],
        { logFile, name: 'sandboxed wren under strace' },
      );
      const log = (): string => readFileSync(logFile, 'utf8');
      const said = (msg: string): boolean => log().split('\n').some((l) => l.includes(`"msg":"${msg}"`));
      // setpriv execs node: wren is strace's only child.
      const wrenPid = await waitFor(
        () => {
          if (!strace.running) throw new Error(`strace exited (${strace.status}): ${log()}`);
          const children = readFileSync(`/proc/${strace.pid}/task/${strace.pid}/children`, 'utf8').trim();
          return children !== '' && said('wren started') ? Number(children.split(' ')[0]) : false;
        },
        { what: 'the sandboxed wren to start', timeoutMs: 60_000, intervalMs: 200 },
      );
      expect(readFileSync(`/proc/${wrenPid}/status`, 'utf8')).toMatch(/CapEff:\s+0000000000001400/);
      expect(said('listening')).toBe(true);

      await waitFor(() => peer.sessionState(NODE) === 'Established', { what: 'the MD5 session Established', timeoutMs: 60_000, intervalMs: 300 });
      await waitFor(() => fibRoutesFor(node, '172.16.12.0/24').some((r) => r.protocol === 'bird'), {
        what: "the peer's block in the node's kernel, installed by the unprivileged wren",
        timeoutMs: 30_000,
      });

      // SIGHUP: the reloaded config originates one more prefix, which reaches the peer.
      writeFileSync(configPath, config(['172.16.11.0/24', '172.16.111.0/24']));
      process.kill(wrenPid, 'SIGHUP');
      await waitFor(() => said('configuration reloaded'), { what: 'the reload', timeoutMs: 20_000 });
      expect(log()).toMatch(/"trigger":"SIGHUP"[^\n]*"msg":"reload requested"/);
      await waitFor(() => peer.routes('ipv4').some((r) => r.prefix === '172.16.111.0/24'), { what: 'the new prefix at the peer', timeoutMs: 20_000 });

      // SIGTERM: a planned stop, done within wren's 10 s bound (plus strace's slowness).
      const t0 = Date.now();
      process.kill(wrenPid, 'SIGTERM');
      expect(await within(strace.exited, 12_000), 'wren did not exit within 12 s of SIGTERM').toBe(true);
      const stopMs = Date.now() - t0;
      expect(strace.status).toBe('exit code 0');
      expect(said('stopped')).toBe(true);
      expect(said('shutdown took too long; exiting')).toBe(false);
      expect(stopMs).toBeLessThan(12_000);

      const { calls, families } = traced(trace, process.execPath);
      expect(calls.size).toBeGreaterThan(30);
      // SystemCallFilter lines: allow lists, then deny lists (~).
      const filters = unitValues('SystemCallFilter');
      const allowed = syscallSet(filters.filter((f) => !f.startsWith('~')));
      const denied = syscallSet(filters.filter((f) => f.startsWith('~')).map((f) => f.slice(1)));
      const outside = [...calls.keys()].filter((c) => !allowed.has(c) || denied.has(c)).sort();
      expect(outside, `system calls outside SystemCallFilter=${filters.join(' ')}`).toEqual([]);
      const families_ = new Set(unitValues('RestrictAddressFamilies').flatMap((v) => v.split(/\s+/)));
      expect([...families].filter((f) => !families_.has(f)), 'socket families outside RestrictAddressFamilies').toEqual([]);
      expect([...families].sort()).toEqual(expect.arrayContaining(['AF_INET6', 'AF_NETLINK', 'AF_UNIX']));
      console.log(`packaging: sandboxed wren stopped ${stopMs} ms after SIGTERM; ${calls.size} distinct system calls; families ${[...families].sort().join(' ')}`);
      await peer.stop();
    });
  },
);

/**
 * scripts/setup.sh on a "fresh machine" it cannot harm: the script is copied into a temporary
 * checkout and run with a PATH of its own, where node, npm, dpkg-query, apt-get and the other
 * system commands are fakes that record their calls (bash, sed, grep and the like are the real
 * ones, linked in). Nothing is installed and no system path is written.
 *
 * - Node missing or older than package.json "engines": exit 1 with what to install (NodeSource for
 *   Debian 12, Debian's nodejs for 13), before anything else runs (no apt-get, no npm).
 * - A machine without a compiler: build-essential and python3 are installed, then npm ci and
 *   npm run build run.
 * - Everything present: no apt-get at all (quick and idempotent, as CI runs it every time).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** Real programs the script may use, linked into the fake PATH (when they exist here). */
const REAL = ['bash', 'sh', 'sed', 'grep', 'head', 'cat', 'dirname', 'env', 'printf', 'tr', 'cut'];

/** Every package setup.sh asks dpkg-query about on this test's fake machine. */
const ALL_PACKAGES = ['build-essential', 'python3', 'bird2', 'frr', 'gobgpd', 'openbgpd', 'iproute2', 'iputils-ping', 'iputils-tracepath', 'tshark', 'tcpdump', 'strace', 'prometheus-bird-exporter', 'prometheus', 'curl', 'etcd-server', 'etcd-client', 'openssl', 'nftables', 'systemd'];

interface Machine {
  /** Installed Debian packages (dpkg-query says "install ok installed" for these). */
  readonly installed: readonly string[];
  /** `node -p process.versions.node`; null: no node on PATH. */
  readonly node: string | null;
  readonly npm?: boolean;
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Recorded calls, one line each: "apt-get install -y ...", "npm ci ...". */
  readonly calls: string[];
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function script(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

function runSetup(m: Machine): Run {
  const dir = mkdtempSync(join(tmpdir(), 'wren-setup-test-'));
  dirs.push(dir);
  const checkout = join(dir, 'checkout');
  const bin = join(dir, 'bin');
  const calls = join(dir, 'calls.log');
  mkdirSync(join(checkout, 'scripts'), { recursive: true });
  mkdirSync(bin);
  writeFileSync(calls, '');
  copyFileSync(join(ROOT, 'scripts', 'setup.sh'), join(checkout, 'scripts', 'setup.sh'));
  copyFileSync(join(ROOT, 'package.json'), join(checkout, 'package.json'));
  script(join(checkout, 'scripts', 'setup-bird1.sh'), `echo "setup-bird1.sh" >> ${calls}`);
  for (const name of REAL) {
    const found = spawnSync('bash', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    if (found.startsWith('/')) symlinkSync(found, join(bin, name));
  }
  const record = (name: string): void => script(join(bin, name), `echo "${name} $*" >> ${calls}`);
  for (const name of ['apt-get', 'mkdir', 'systemctl']) record(name);
  script(join(bin, 'debconf-set-selections'), `cat > /dev/null; echo "debconf-set-selections" >> ${calls}`);
  script(join(bin, 'dpkg-query'), [`for pkg; do :; done`, `for p in ${m.installed.join(' ')}; do [ "$p" = "$pkg" ] && { printf 'install ok installed'; exit 0; }; done`, 'exit 1'].join('\n'));
  if (m.node !== null) script(join(bin, 'node'), `echo "${m.node}"`);
  if (m.npm !== false) record('npm');
  const r = spawnSync(join(bin, 'bash'), [join(checkout, 'scripts', 'setup.sh')], { encoding: 'utf8', env: { PATH: bin }, timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls: readFileSync(calls, 'utf8').split('\n').filter((l) => l !== '') };
}

const everything = ALL_PACKAGES;
const installs = (r: Run): string[] => r.calls.filter((c) => c.startsWith('apt-get install'));

describe('scripts/setup.sh', () => {
  it.each([
    ['no node', null, /node not found on PATH/],
    ['Node 18 (Debian 12)', '18.19.0', /Node\.js 18\.19\.0 is too old .* wren needs >= 20\.11/],
    ['Node 20.10', '20.10.0', /Node\.js 20\.10\.0 is too old/],
  ])('stops with what to install, before changing anything: %s', (_name, node, said) => {
    const r = runSetup({ installed: [], node });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(said);
    expect(r.stderr).toMatch(/Debian 12 \(bookworm\).*NodeSource/s);
    expect(r.stderr).toContain('https://deb.nodesource.com/setup_20.x');
    expect(r.stderr).toMatch(/Debian 13 \(trixie\): +apt-get install nodejs npm/);
    expect(r.calls).toEqual([]);
  });

  it('stops when npm is missing beside a good node (Debian 13 ships it separately)', () => {
    const r = runSetup({ installed: [], node: '20.19.2', npm: false });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/npm is not on PATH/);
    expect(r.calls).toEqual([]);
  });

  it('on a machine without a compiler installs the toolchain and Python, then runs npm ci and the build', () => {
    const r = runSetup({ installed: everything.filter((p) => p !== 'build-essential' && p !== 'python3'), node: '20.11.0' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(installs(r)).toEqual(['apt-get install -y --no-install-recommends build-essential python3']);
    expect(r.calls.filter((c) => c.startsWith('npm'))).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    // apt-get update first, and the build last.
    expect(r.calls.indexOf('apt-get update')).toBeLessThan(r.calls.indexOf(installs(r)[0] ?? ''));
    expect(r.calls.at(-1)).toBe('npm run build');
  });

  it('on a bare machine installs everything the build, the lab and the tests use', () => {
    const r = runSetup({ installed: [], node: '22.3.0' });
    expect(r.status).toBe(0);
    const line = installs(r)[0] ?? '';
    for (const p of ['build-essential', 'python3', 'bird2', 'frr', 'gobgpd', 'openbgpd', 'iproute2', 'tshark', 'strace', 'prometheus', 'curl', 'etcd-server', 'etcd-client', 'openssl', 'nftables']) expect(line.split(' ')).toContain(p);
  });

  it('with everything present installs nothing (idempotent, quick)', () => {
    const r = runSetup({ installed: everything, node: '20.20.2' });
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => c.startsWith('apt-get'))).toEqual([]);
    expect(r.calls).toEqual(['mkdir -p /run/openbgpd', 'setup-bird1.sh', 'npm ci --no-audit --no-fund', 'npm run build']);
  });

  it('reads the minimum from package.json "engines"', () => {
    const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe('>=20.11');
    expect(existsSync(join(ROOT, 'scripts', 'setup.sh'))).toBe(true);
  });
});

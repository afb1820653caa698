/**
 * Control socket back-pressure, process level (issue "never black-hole", part 6): the real daemon
 * (`node dist/cli/main.js run`, kernel off, listen off, no peers, 2,000 originated prefixes so that
 * a `show-routes` answer is about 300 KB) and a client that sends 20,000 `{"cmd":"show-routes"}`
 * lines and reads none of the answers. The daemon's VmRSS (/proc/PID/status) must stay flat: it
 * stops reading the client instead of buffering answers.
 *
 * Before the fix the same run grew the daemon by 260 MB in 5 s and kept growing (every answer was
 * computed and queued in the socket's write buffer); this test failed after 0.6 s at 54 MB. See
 * docs/cli.md, "Back-pressure".
 *
 * Needs no namespace and no root (a Unix socket in a temp directory), only Linux (/proc) and the
 * build (`npm test` builds first). It lives here because it runs dist/ and takes several seconds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { tailFile } from '../../tools/kit/files.js';
import { describeNetns, LINUX } from './lib/requirements.js';
import { waitFor } from '../../tools/kit/wait.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const PREFIXES = 2_000;
const REQUESTS = 20_000;
/** How long the silent client is watched, sampling the daemon's RSS. */
const WINDOW_MS = 5_000;
/**
 * Allowed RSS growth. What the daemon may hold for the client: 64 KiB of unsent answers plus one
 * answer (~300 KB, as a string and as bytes), 16 request lines, one read of input (64 KiB): about
 * 1 MB. The rest of the bound is the garbage collector: computing one answer makes a few MB of
 * garbage and V8's heap grows in steps of a few MB. Measured with the fix: under 2 MB. Without it:
 * 260 MB within this window (every answer queued: ~6 GB if the daemon lived long enough).
 */
const MAX_GROWTH_BYTES = 50 * 1024 * 1024;

const vmRssBytes = (pid: number): number => {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m?.[1]) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
};

/** One well-behaved exchange: sends `line`, half-closes, returns everything the daemon wrote. */
const ask = (path: string, line: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const s = createConnection(path);
    let got = '';
    s.setEncoding('utf8');
    s.on('error', reject);
    s.on('data', (d: string) => (got += d));
    s.on('close', () => resolve(got));
    s.on('connect', () => s.end(line));
  });

const MB = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;

// Linux only: VmRSS comes from /proc.
describeNetns('control socket: a client that never reads its answers (real daemon)', [LINUX], () => {
  const dir = mkdtempSync(join(tmpdir(), 'wren-ctl-bp-'));
  const socketPath = join(dir, 'wren.sock');
  const logPath = join(dir, 'wren.log');
  let daemon: ChildProcess | undefined;
  let silent: Socket | undefined;

  afterAll(() => {
    silent?.destroy();
    const pid = daemon?.pid;
    if (pid !== undefined && daemon?.exitCode === null && daemon.signalCode === null) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const logTail = (): string => `\n--- wren log (tail) ---\n${tailFile(logPath, 30)}`;

  it(`keeps its RSS flat while a client sends ${REQUESTS} show-routes and reads none`, async () => {
    expect(existsSync(CLI), `${CLI} is missing: run npx tsc -p tsconfig.build.json`).toBe(true);
    const originate = Array.from({ length: PREFIXES }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24`);
    const config = {
      routerId: '10.255.0.1',
      asn: 64512,
      listen: { enabled: false },
      originate,
      peers: [],
      kernel: { enabled: false },
      control: { socket: socketPath },
      log: { level: 'info' },
    };
    const configPath = join(dir, 'wren.json');
    writeFileSync(configPath, JSON.stringify(config));
    const logFd = openSync(logPath, 'a');
    daemon = spawn(process.execPath, [CLI, 'run', '--config', configPath], { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    const pid = daemon.pid;
    if (pid === undefined) throw new Error('the daemon did not start');

    // A normal client gets a large answer; a few of them warm the daemon up before the baseline.
    const first = await waitFor(() => ask(socketPath, '{"cmd":"show-routes"}\n'), { what: `wren to answer on ${socketPath}`, timeoutMs: 15_000 });
    const answerBytes = Buffer.byteLength(first);
    expect(answerBytes, `a show-routes answer should be large${logTail()}`).toBeGreaterThan(100_000);
    for (let i = 0; i < 3; i++) await ask(socketPath, '{"cmd":"show-routes"}\n');
    const before = vmRssBytes(pid);

    // The silent client: writes every request at once and never reads.
    const s = createConnection(socketPath);
    silent = s;
    s.on('error', () => undefined);
    s.pause();
    await new Promise<void>((r) => s.on('connect', () => r()));
    s.write('{"cmd":"show-routes"}\n'.repeat(REQUESTS));

    // Watch the daemon for the window; stop early once it has grown past the bound.
    const start = Date.now();
    let peak = before;
    await waitFor(
      () => {
        peak = Math.max(peak, vmRssBytes(pid));
        return peak - before > MAX_GROWTH_BYTES || Date.now() - start >= WINDOW_MS;
      },
      { what: 'the observation window', timeoutMs: WINDOW_MS + 5_000, intervalMs: 100 },
    );
    const after = vmRssBytes(pid);
    console.log(
      `control back-pressure: answer ${answerBytes} bytes, ${REQUESTS} requests unread; VmRSS before ${MB(before)}, after ${MB(after)}, peak ${MB(peak)}, growth ${MB(peak - before)}`,
    );
    expect(peak - before, `wren's RSS grew by ${MB(peak - before)} in ${Date.now() - start} ms${logTail()}`).toBeLessThan(MAX_GROWTH_BYTES);
    // The daemon stopped reading the client: its requests still wait in the client's own buffer.
    expect(s.writableLength).toBeGreaterThan(0);

    // Everyone else is still served, and the daemon stops cleanly with the silent client connected.
    expect(JSON.parse(await ask(socketPath, '{"cmd":"show-peers"}\n'))).toEqual({ ok: true, result: [] });
    const exited = new Promise<number | null>((r) => daemon?.once('exit', (code) => r(code)));
    process.kill(pid, 'SIGTERM');
    expect(await exited).toBe(0);
  });
});

/**
 * Counting routes in a namespace's FIB.
 *
 * Polling uses /proc/net/fib_triestat (read from inside the namespace: /proc/net is per network
 * namespace): the kernel's own count of IPv4 prefixes in the main trie, about 75 ms for a million
 * routes, against seconds for `ip route show`. It counts every route, so the caller subtracts the
 * baseline it saw before the test (connected and local routes), and confirms at the end, once, with
 * `ip route show proto P` that exactly the expected number of routes carry the DUT's protocol id.
 */
import { execFile } from 'node:child_process';
import { exec } from '../kit/netns.js';

/** "Prefixes:" of the first table (Main) in fib_triestat. */
export function parseTrieStat(text: string): number {
  const m = /Main:[\s\S]*?Prefixes:\s+(\d+)/.exec(text);
  if (m?.[1] === undefined) throw new Error(`no Main/Prefixes in fib_triestat: ${text.slice(0, 200)}`);
  return Number(m[1]);
}

/** The number of IPv4 prefixes in ns's main FIB trie (includes local and connected routes). */
export function fibPrefixes(ns: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', ns, 'cat', '/proc/net/fib_triestat'], { timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) reject(err);
      else {
        try {
          resolve(parseTrieStat(stdout));
        } catch (e) {
          reject(e as Error);
        }
      }
    });
  });
}

/** IPv4 routes in ns's main table with rtm_protocol `proto` (slow for big tables: not for polling). */
export function protocolRouteCount(ns: string, proto: number): number {
  const out = exec(null, 'ip', ['-n', ns, '-4', 'route', 'show', 'table', 'main', 'proto', String(proto)], { timeoutMs: 120_000 });
  let n = 0;
  for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Polls until `done(count)` holds; returns process.hrtime.bigint() at the end of the first read that
 * satisfied it (so the time is at most one poll late). The interval adapts to the read cost (at
 * least 3 times the last read, at least 25 ms) so polling never takes more than a third of a core.
 */
export async function pollFib(
  ns: string,
  done: (count: number) => boolean,
  timeoutMs: number,
  what: string,
  /** Returns why waiting is pointless (the DUT exited, the feeder's session dropped), or null. */
  broken: () => string | null = () => null,
): Promise<{ atNs: bigint; count: number }> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const why = broken();
    if (why !== null) throw new Error(`${why} while waiting for ${what} (FIB holds ${last} IPv4 prefixes)`);
    const t0 = performance.now();
    last = await fibPrefixes(ns);
    const atNs = process.hrtime.bigint();
    if (done(last)) return { atNs, count: last };
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what} (FIB holds ${last} IPv4 prefixes)`);
    const cost = performance.now() - t0;
    await new Promise((r) => setTimeout(r, Math.max(25, 3 * cost)));
  }
}

/**
 * A memory timeline of the process it is loaded into, for diagnostics (docs/benchmarks.md,
 * "Running it"): `WREN_NODE_ARGS="--import <repo>/dist-tools/tools/bench/memory-log.js"` with
 * `WREN_MEMORY_LOG=<file>` in the environment appends, every WREN_MEMORY_LOG_MS (250 by default),
 * one line of the pid, the main thread's `process.memoryUsage()` and the used / committed size of each V8
 * heap space, in MB, since the process started. Worker threads (the netlink writer) log nothing.
 * Nothing is written without WREN_MEMORY_LOG; a write that fails stops the timeline, not wren.
 */
import { appendFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

const MB = 1024 * 1024;
const mb = (b: number): string => (b / MB).toFixed(0);

/** One line: the pid, ms since start, rss, heap, external and array buffers, then each space as used/committed. */
export function memoryLine(sinceMs: number): string {
  const m = process.memoryUsage();
  const spaces = getHeapSpaceStatistics()
    .filter((s) => s.space_size > 0)
    .map((s) => `${s.space_name.replace(/_space$/, '')}=${mb(s.space_used_size)}/${mb(s.space_size)}`)
    .join(' ');
  return `${process.pid} ${sinceMs} rss=${mb(m.rss)} heapTotal=${mb(m.heapTotal)} heapUsed=${mb(m.heapUsed)} external=${mb(m.external)} arrayBuffers=${mb(m.arrayBuffers)} ${spaces}`;
}

const file = process.env['WREN_MEMORY_LOG'];
if (isMainThread && file !== undefined && file !== '') {
  const every = Number(process.env['WREN_MEMORY_LOG_MS'] ?? 250);
  const t0 = Date.now();
  const timer = setInterval(() => {
    try {
      appendFileSync(file, `${memoryLine(Date.now() - t0)}\n`);
    } catch (err) {
      // A diagnostic must not end the daemon: the timeline stops, once, with the reason.
      clearInterval(timer);
      process.stderr.write(`memory-log: ${String(err)}; no more lines\n`);
    }
  }, every > 0 ? every : 250);
  timer.unref();
}

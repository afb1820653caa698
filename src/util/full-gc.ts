/**
 * One full, compacting garbage collection of this thread's heap, on request (daemon/memory-release.ts).
 *
 * Node exposes no such call without `--expose-gc` on its command line, and wren is started as
 * `node dist/cli/main.js` by units and manifests that should not need V8 flags. The flag is set at
 * run time instead, which makes V8 install `gc` in contexts created afterwards: one fresh context
 * (node:vm) is made to fetch it. That is the documented use of `v8.setFlagsFromString` (flags that
 * only affect later contexts). Node.js warns that changing V8 flags after start-up may behave
 * unpredictably; this one flag only decides whether a `gc` function is installed in new contexts
 * (tested on the Node.js of this repository: test/unit/daemon/memory-release.test.ts). If it ever
 * fails, there is no full GC and V8's own memory reducer gives the memory back later.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let cached: (() => void) | null | undefined;

/** The full-GC function, or null when this Node.js cannot give one. */
export function fullGc(): (() => void) | null {
  if (cached !== undefined) return cached;
  const own = (globalThis as { gc?: unknown }).gc;
  if (typeof own === 'function') return (cached = own as () => void);
  try {
    setFlagsFromString('--expose-gc');
    const f: unknown = runInNewContext('typeof gc === "function" ? gc : null');
    cached = typeof f === 'function' ? (f as () => void) : null;
  } catch {
    cached = null;
  }
  return cached;
}

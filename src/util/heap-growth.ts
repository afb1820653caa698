/**
 * How far V8 lets the heap grow past what is live before its next full collection.
 *
 * After each full collection V8 sets the next limit at the live size times a factor it picks from
 * how fast collecting is compared with the program: up to 4 on a machine with memory to spare
 * (`MemoryController::MaxGrowingFactor`). Collecting a RIB is fast, so V8 picks nearly 4, and a
 * million-route install peaks at about four times what it holds: `--trace-gc` showed 252 MB live
 * and an old generation of 952 MB before the next mark-compact (docs/benchmarks.md, "kernel and
 * memory: step 4"). A fixed factor of 2 (`--heap-growing-percent=100`) takes the kernel scenario's
 * peak RSS at N = 1,000,000 from 904-1053 MB to 700-731 MB with no more CPU (16.4-17.1 s against
 * 17.0-19.0 s). A smaller factor costs CPU (1.5: +15 %). docs/decisions/0015-heap-growth.md.
 *
 * It is set at run time (v8.setFlagsFromString), as util/full-gc.ts sets `--expose-gc`, because
 * units and manifests start wren as `node dist/cli/main.js` without V8 flags; V8 reads this flag
 * each time it computes a new limit. An operator's own `--heap-growing-percent` on the node command
 * line wins: nothing is set then.
 */
import { setFlagsFromString } from 'node:v8';

/** The old generation may grow to twice what was live after the last full collection. */
export const HEAP_GROWING_PERCENT = 100;

/**
 * Sets V8's heap growth unless the node command line (`execArgv`) sets it already. Returns the
 * percent wren set, or null when the operator's flag is in force. (V8 reports nothing back: whether
 * it honours the flag is measured, docs/decisions/0015-heap-growth.md.)
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): number | null {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a))) return null;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return HEAP_GROWING_PERCENT;
}

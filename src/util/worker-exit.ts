/** Ending a worker thread that was asked to close itself. */
import type { Worker } from 'node:worker_threads';

/** Waits for `exited` (the worker's 'exit') at most `boundMs`, then terminates the worker. */
export async function exitWithin(worker: Worker, exited: Promise<void>, boundMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), boundMs);
  });
  if ((await Promise.race([exited, bound])) === 'late') await worker.terminate();
  clearTimeout(timer);
}

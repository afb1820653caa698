/**
 * The netns test layer's entry to the lab kit: everything of tools/kit/netns.ts (Lab, LabProcess,
 * exec, tryExec, listNamespaces, ...) and tools/kit/wait.ts (waitFor), plus the layer's rule for
 * when it cannot run. Tests may import these from here or from tools/kit: they are the same objects.
 */
import { netnsProblem } from '../../../tools/kit/netns.js';

export * from '../../../tools/kit/netns.js';
export { waitFor, WaitTimeout, type Check, type WaitOptions } from '../../../tools/kit/wait.js';

/** Why the netns layer cannot run here, or null when it can. Tests print it and skip. */
export function netnsSkipReason(): string | null {
  return netnsProblem();
}

/**
 * The netns test layer's entry to the lab kit: everything of tools/kit/netns.ts (Lab, LabProcess,
 * exec, tryExec, listNamespaces, ...) and tools/kit/wait.ts (waitFor), plus the layer's rule for
 * when it cannot run. Tests may import these from here or from tools/kit: they are the same objects.
 */
import { netnsProblem } from '../../../tools/kit/netns.js';

export * from '../../../tools/kit/netns.js';
export { waitFor, WaitTimeout, type Check, type WaitOptions } from '../../../tools/kit/wait.js';

/**
 * Why the netns layer cannot run here, or null when it can (the kit's netnsProblem()). Test files
 * do not skip on it: they declare NETNS of requirements.ts, which skips outside CI and fails under
 * CI=true (docs/testing.md, "When a suite cannot run").
 */
export function netnsSkipReason(): string | null {
  return netnsProblem();
}

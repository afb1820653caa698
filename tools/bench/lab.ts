/** The lab of one bench run. */
import { Lab } from '../kit/netns.js';

let seq = 0;

/**
 * A lab for one run: namespaces `wb<pid36>-<tag><n>-<ns>`, where n counts this process's labs, so a
 * namespace that failed to go away never blocks the next run. `keep`: keep its configs and logs.
 */
export function benchLab(tag: string, keep: boolean): Lab {
  return new Lab({ owner: 'wb', id: `${tag}${(seq++).toString(36)}`, keepFiles: keep });
}

/**
 * One `info` line per change a reload applies (docs/logging.md, "Reload"): which peer (`peer`,
 * `session`), what happens to its session (`change`: config/diff.ts's kind) and which keys changed.
 * Global changes (listen, kernel, originate, ...) have no `peer`.
 */
import type { Change } from '../config/diff.js';
import type { Logger } from '../util/log.js';
import { sessionName } from './session-name.js';

export function logReloadChanges(log: Logger, changes: readonly Change[]): void {
  for (const c of changes) {
    switch (c.kind) {
      case 'global-reset':
        log.info({ change: c.kind, changed: c.changed }, 'configuration change');
        break;
      case 'add-peer':
      case 'remove-peer':
        log.info({ change: c.kind, peer: c.key, session: sessionName(c.peer, c.key), why: c.reason, changed: c.changed }, 'configuration change');
        break;
      case 'reset-peer':
        log.info({ change: c.kind, peer: c.key, session: sessionName(c.peer, c.key), changed: c.changed }, 'configuration change');
        break;
      case 'refresh-peer':
        log.info({ change: c.kind, peer: c.key, session: sessionName(c.peer, c.key), reimport: c.reimport, reexport: c.reexport, changed: c.changed }, 'configuration change');
        break;
      case 'update-in-place':
        log.info({ change: c.kind, ...(c.key !== undefined ? { peer: c.key } : {}), changed: c.changed }, 'configuration change');
        break;
    }
  }
}

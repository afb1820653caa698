/**
 * The name of a session in logs (the `session` field, docs/logging.md): the peer's configured
 * `name`, or its address when it has none. A dynamic peer is named by its own address (the range's
 * `name` is shared by every session from the range).
 */
import type { PeerConfig } from '../config/types.js';

export function sessionName(cfg: PeerConfig, id: string): string {
  return cfg.kind === 'static' && cfg.name !== undefined ? cfg.name : id;
}

/**
 * `addPath` (RFC 7911), at the top level (the default of every peer) and per peer (replaces the
 * default whole): `{ receive, send, families }`. docs/configuration.md, docs/decisions/0011-add-path.md.
 */
import { z } from 'zod';
import { bool, intIn } from './fields.js';
import { parseFields, type Path } from './issues.js';
import type { AddPathConfig, Issue, PeerFamily } from './types.js';

/** Everything off: no ADD-PATH capability is sent. */
export const ADD_PATH_OFF: AddPathConfig = { receive: false, send: false };

const SEND = 'expected "all", false, or an integer 1..255 (the number of paths sent per prefix)';

export const addPathSend = z.union([z.literal('all'), z.literal(false), intIn(1, 255)], { error: SEND });

const ADD_PATH = {
  receive: bool.optional(),
  send: addPathSend.optional(),
  families: z
    .array(z.enum(['ipv4-unicast', 'ipv6-unicast']), { error: 'expected an array of "ipv4-unicast", "ipv6-unicast"' })
    .min(1, { error: 'expected at least one family' })
    .refine((a) => new Set(a).size === a.length, { error: 'lists a family twice' })
    .optional(),
};

/** An `addPath` object at `path`, defaults filled in; `fallback` when absent. */
export function parseAddPath(raw: unknown, path: Path, fallback: AddPathConfig, issues: Issue[]): AddPathConfig {
  if (raw === undefined) return fallback;
  const f = parseFields(ADD_PATH, raw, path, issues);
  if (!f) return fallback;
  return {
    receive: f.receive ?? false,
    send: f.send ?? false,
    ...(f.families !== undefined && { families: f.families as readonly PeerFamily[] }),
  };
}

/** The families of a session ADD-PATH is offered in (the peer's families the setting selects). */
export function addPathFamilies(a: AddPathConfig, sessionFamilies: readonly PeerFamily[]): PeerFamily[] {
  if (!a.receive && a.send === false) return [];
  return sessionFamilies.filter((f) => a.families === undefined || a.families.includes(f));
}

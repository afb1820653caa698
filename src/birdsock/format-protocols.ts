/**
 * `show protocols [all]` in BIRD 1.6.8's layout (nest/proto.c proto_cmd_show), which Calico's tools
 * need: the lower-case heading `name proto table state since info` (calicoctl and calico-node
 * compare the heading's words with exactly these), the row `%-8s %-8s %-8s %-5s  %-10s  %s` with a
 * one-word `since`, and for `all` a 1006 block and an empty line after each row. The first row after
 * the heading, and with `all` every row, carries its own `1002-` code: bird_exporter only reads a
 * protocol row that starts with `1002-`.
 */
import { Code, type ReplyLine } from './reply.js';
import type { BirdProtocol } from './protocol.js';
import { shortTime } from './time.js';

export const PROTOCOLS_HEADING = 'name     proto    table    state  since       info';

/** One row of the table. */
export function protocolRow(p: BirdProtocol, nowMs: number): string {
  return `${p.name.padEnd(8)} ${p.proto.padEnd(8)} ${p.table.padEnd(8)} ${p.state.padEnd(5)}  ${shortTime(p.sinceMs, nowMs).padEnd(10)}  ${p.info}`;
}

/** The lines of the reply for these protocols (at least one), ending with `0000`. */
export function showProtocols(protocols: readonly BirdProtocol[], all: boolean, nowMs: number): ReplyLine[] {
  const lines: ReplyLine[] = [{ code: Code.TABLE_HEADING, text: PROTOCOLS_HEADING }];
  for (const p of protocols) {
    lines.push({ code: Code.PROTOCOL_LIST, text: protocolRow(p, nowMs) });
    if (!all) continue;
    for (const d of p.details) lines.push({ code: Code.PROTOCOL_DETAILS, text: d });
    lines.push({ code: Code.PROTOCOL_DETAILS, text: '' });
  }
  lines.push({ code: Code.OK, text: '' });
  return lines;
}

const literal = (ch: string): string => ch.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

/**
 * BIRD's patmatch() (lib/patmatch.c): `*` any run of characters, `?` one character, `\` makes the
 * next character literal; case matters. A quoted pattern in `show protocols "Mesh_*"` is matched
 * against the whole name.
 */
export function patternMatches(pattern: string, name: string): boolean {
  const chars = [...pattern];
  let re = '^';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] ?? '';
    if (ch === '\\' && i + 1 < chars.length) re += literal(chars[++i] ?? '');
    else re += ch === '*' ? '.*' : ch === '?' ? '.' : literal(ch);
  }
  return new RegExp(`${re}$`, 's').test(name);
}

/**
 * The commands wren's BIRD socket understands, parsed from one request line the way BIRD's CLI
 * grammar reads them (BIRD 1.6.8 nest/config.Y, nest/rt-table.c): words separated by spaces and
 * tabs, `\r` ignored, keywords in lower case and never abbreviated (abbreviations are expanded by
 * `birdc` before it sends a command), `"text"` for a pattern, a bare or `'quoted'` word for a
 * protocol name.
 *
 *   show status
 *   show memory
 *   show protocols [all] [<name> | "<pattern>"]
 *   show route [<prefix> | for <prefix or address>] [table master] [protocol <name>] [primary] [filtered] [stats | count]
 *   restrict
 *
 * Anything else is a `9001` parse error saying what is wrong; BIRD's commands that change state
 * (configure, enable, disable, ...) get `8007 Access denied`: this socket is read-only, as a BIRD
 * session after `restrict` is.
 */
import { parseAddress, parsePrefix } from '../util/inet.js';
import { BIRD_KEYWORDS } from './keywords.js';
import { Code, type ReplyLine } from './reply.js';

export type Family = 'ipv4' | 'ipv6';

export type ProtocolMatch = { readonly kind: 'name'; readonly name: string } | { readonly kind: 'pattern'; readonly pattern: string };

export interface RouteCommand {
  readonly kind: 'show-route';
  /** A network: `exact` for `show route <prefix>`, the longest match for `for`. */
  readonly network?: { readonly bytes: Uint8Array; readonly len: number; readonly exact: boolean };
  readonly protocol?: string;
  readonly primary: boolean;
  readonly filtered: boolean;
  readonly stats: 0 | 1 | 2;
}

export type Command =
  | { readonly kind: 'show-status' }
  | { readonly kind: 'show-memory' }
  | { readonly kind: 'show-protocols'; readonly all: boolean; readonly match?: ProtocolMatch }
  | RouteCommand
  | { readonly kind: 'restrict' };

/** A command, or the error reply line. */
export type Parsed = { readonly ok: true; readonly command: Command } | { readonly ok: false; readonly error: ReplyLine };

const SUPPORTED = 'wren implements show status, show protocols [all], show route, show memory';

/** BIRD commands that change state: refused, the socket is read-only. */
const WRITES = new Set(['configure', 'enable', 'disable', 'restart', 'reload', 'down', 'graceful', 'debug', 'mrtdump', 'echo', 'dump', 'eval']);
/** Handled by birdc itself, never sent by it. */
const CLIENT_SIDE = new Set(['quit', 'exit', 'help']);

interface Token {
  readonly text: string;
  /** "..." (BIRD's TEXT) or '...' (a quoted symbol). */
  readonly quoted: '"' | "'" | null;
}

const syntax = (detail: string): Parsed => ({ ok: false, error: { code: Code.PARSE_ERROR, text: `syntax error, ${detail}` } });
const show = (t: Token | undefined): string => (t === undefined ? 'end of line' : JSON.stringify(t.text));

function tokenize(line: string): Token[] | string {
  const out: Token[] = [];
  const s = line.replace(/\r/g, '');
  let i = 0;
  while (i < s.length) {
    const c = s[i] ?? '';
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = s.indexOf(c, i + 1);
      if (end < 0) return `unterminated ${c === '"' ? 'string' : 'quoted name'}`;
      out.push({ text: s.slice(i + 1, end), quoted: c });
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < s.length && s[j] !== ' ' && s[j] !== '\t' && s[j] !== '"' && s[j] !== "'") j++;
    out.push({ text: s.slice(i, j), quoted: null });
    i = j;
  }
  return out;
}

const isWord = (t: Token | undefined, w: string): boolean => t !== undefined && t.quoted === null && t.text === w;

/** A protocol name: a bare symbol that is not a keyword, or a 'quoted' one. */
function symbolOf(t: Token | undefined): string | null {
  if (t === undefined || t.quoted === '"') return null;
  if (t.quoted === "'") return t.text;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(t.text) && !BIRD_KEYWORDS.has(t.text) ? t.text : null;
}

function parseProtocols(rest: readonly Token[]): Parsed {
  let i = 0;
  const all = isWord(rest[0], 'all');
  if (all) i++;
  const t = rest[i];
  let match: ProtocolMatch | undefined;
  if (t !== undefined) {
    if (t.quoted === '"') match = { kind: 'pattern', pattern: t.text };
    else {
      const name = symbolOf(t);
      if (name === null) return syntax(`unexpected ${show(t)}, expecting a protocol name or "pattern"`);
      match = { kind: 'name', name };
    }
    i++;
  }
  if (i < rest.length) return syntax(`unexpected ${show(rest[i])}, expecting end of line`);
  return { ok: true, command: { kind: 'show-protocols', all, ...(match ? { match } : {}) } };
}

function parseRoute(rest: readonly Token[], family: Family): Parsed {
  let network: RouteCommand['network'];
  let protocol: string | undefined;
  let primary = false;
  let filtered = false;
  let stats: 0 | 1 | 2 = 0;
  const addressLen = family === 'ipv4' ? 4 : 16;
  const net = (t: Token | undefined, exact: boolean): RouteCommand['network'] | string => {
    if (t === undefined || t.quoted !== null) return `unexpected ${show(t)}, expecting ${exact ? 'a prefix' : 'a prefix or an address'}`;
    if (network !== undefined) return 'only one prefix expected';
    const p = t.text.includes('/') ? parsePrefix(t.text) : exact ? null : ((a) => (a ? { bytes: a.bytes, len: a.bytes.length * 8 } : null))(parseAddress(t.text));
    if (p === null) return `${JSON.stringify(t.text)} is not ${exact ? 'a prefix' : 'a prefix or an address'}`;
    if (p.bytes.length !== addressLen) return `${t.text} is not an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} ${exact ? 'prefix' : 'prefix or address'} (this socket shows the ${family} table)`;
    return { bytes: p.bytes, len: p.len, exact };
  };
  for (let i = 0; i < rest.length; i++) {
    const t = rest[i] as Token;
    const word = t.quoted === null ? t.text : '';
    if (word === 'for') {
      const n = net(rest[++i], false);
      if (typeof n === 'string') return syntax(n);
      network = n;
    } else if (word === 'protocol') {
      if (protocol !== undefined) return syntax('protocol specified twice');
      const name = symbolOf(rest[++i]);
      if (name === null) return syntax(`unexpected ${show(rest[i])}, expecting a protocol name`);
      protocol = name;
    } else if (word === 'table') {
      const name = rest[++i];
      if (!isWord(name, 'master')) return syntax(`${show(name)} is not a table (the only table is master)`);
    } else if (word === 'primary') primary = true;
    else if (word === 'filtered') filtered = true;
    else if (word === 'stats') stats = 1;
    else if (word === 'count') stats = 2;
    else if (['all', 'filter', 'where', 'export', 'preexport', 'noexport'].includes(word)) {
      return syntax(`"show route ${word}" is not supported by wren (options: <prefix>, for, table master, protocol, primary, filtered, stats, count)`);
    } else if (word.includes('/')) {
      const n = net(t, true);
      if (typeof n === 'string') return syntax(n);
      network = n;
    } else return syntax(`unexpected ${show(t)}`);
  }
  return {
    ok: true,
    command: { kind: 'show-route', ...(network ? { network } : {}), ...(protocol !== undefined ? { protocol } : {}), primary, filtered, stats },
  };
}

/** Parses one request line (without its newline) for a socket that shows this family's table. */
export function parseCommand(line: string, family: Family): Parsed {
  const tokens = tokenize(line);
  if (typeof tokens === 'string') return syntax(tokens);
  const [first, second, ...rest] = tokens;
  if (first === undefined) return syntax('empty command');
  const w = first.quoted === null ? first.text : '';
  if (w === 'restrict' && second === undefined) return { ok: true, command: { kind: 'restrict' } };
  if (WRITES.has(w)) return { ok: false, error: { code: Code.ACCESS_DENIED, text: `Access denied: wren's BIRD socket is read-only (${w} is done with the wren command)` } };
  if (CLIENT_SIDE.has(w)) return syntax(`"${w}" is a command of birdc itself, not of the daemon`);
  if (w !== 'show') return syntax(`unknown command ${show(first)}; ${SUPPORTED}`);
  const what = second?.quoted === null ? second.text : '';
  switch (what) {
    case 'status':
    case 'memory':
      if (rest.length > 0) return syntax(`unexpected ${show(rest[0])}, expecting end of line`);
      return { ok: true, command: { kind: what === 'status' ? 'show-status' : 'show-memory' } };
    case 'protocols':
      return parseProtocols(rest);
    case 'route':
      return parseRoute(rest, family);
    default:
      return second === undefined ? syntax(`show what? ${SUPPORTED}`) : syntax(`"show ${second.text}" is not supported; ${SUPPORTED}`);
  }
}

/**
 * The byte-exact replies of a real BIRD 1.6.8 (Debian `bird`, the release Calico's fork is built
 * on), captured from its control socket with a raw client: fixtures/b1a.raw (a daemon with a
 * kernel, device, direct and static protocol and five BGP sessions: one Established, two
 * connecting to unreachable peers, one disabled, one passive), b1a-gr.raw (the same started with
 * `-R`, during its graceful-restart recovery), b1a-misc.raw (restrict), b1min-long.raw (a line
 * too long for BIRD's buffer). fixtures/b1a.conf is the daemon's config.
 *
 * Each file is a sequence of `### greeting` / `### >>> COMMAND` lines, each followed by the
 * reply's bytes as received.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(import.meta.dirname, 'fixtures');

/** Reply bytes by command (`greeting` for the greeting). The first reply to a command wins. */
export function capture(file: string): Map<string, string> {
  const text = readFileSync(join(DIR, file), 'utf8');
  const out = new Map<string, string>();
  const parts = text.split(/^### (?:>>> )?(.*)\n/m);
  for (let i = 1; i + 1 < parts.length; i += 2) {
    const cmd = parts[i] ?? '';
    if (!out.has(cmd)) out.set(cmd, parts[i + 1] ?? '');
  }
  return out;
}

export function reply(file: string, cmd: string): string {
  const r = capture(file).get(cmd);
  if (r === undefined) throw new Error(`${file}: no reply to ${JSON.stringify(cmd)}`);
  return r;
}

/** The reply without the lines of protocols wren does not have (device1, direct1). */
export const withoutProtocols = (text: string, names: readonly string[]): string =>
  text
    .split('\n')
    .filter((l) => !names.some((n) => l.slice(5).startsWith(`${n} `) || l.slice(1).startsWith(`${n} `)))
    .join('\n');

/**
 * The `show protocols all` reply split into its protocol blocks (each from its `1002-` row to the
 * empty line that ends it), by protocol name, plus the heading and the final line.
 */
export function protocolBlocks(text: string): { readonly heading: string; readonly blocks: Map<string, string>; readonly end: string } {
  const lines = text.split('\n');
  const blocks = new Map<string, string>();
  let name = '';
  let cur: string[] = [];
  for (const l of lines.slice(1, -2)) {
    if (l.startsWith('1002-')) {
      if (name !== '') blocks.set(name, `${cur.join('\n')}\n`);
      name = l.slice(5).split(' ')[0] ?? '';
      cur = [];
    }
    cur.push(l);
  }
  if (name !== '') blocks.set(name, `${cur.join('\n')}\n`);
  return { heading: `${lines[0] ?? ''}\n`, blocks, end: `${lines.at(-2) ?? ''}\n` };
}

/** The BIRD socket's command parser (src/birdsock/command.ts). */
import { describe, expect, it } from 'vitest';
import { parseCommand, type Command } from '../../../src/birdsock/command.js';

const ok = (line: string, family: 'ipv4' | 'ipv6' = 'ipv4'): Command => {
  const p = parseCommand(line, family);
  if (!p.ok) throw new Error(`${line}: ${p.error.code} ${p.error.text}`);
  return p.command;
};
const error = (line: string, family: 'ipv4' | 'ipv6' = 'ipv4'): string => {
  const p = parseCommand(line, family);
  if (p.ok) throw new Error(`${line}: parsed as ${JSON.stringify(p.command)}`);
  return `${p.error.code} ${p.error.text}`;
};

describe('BIRD command parser', () => {
  it.each([
    ['show status', { kind: 'show-status' }],
    ['  show\tstatus\r', { kind: 'show-status' }],
    ['show memory', { kind: 'show-memory' }],
    ['restrict', { kind: 'restrict' }],
    ['show protocols', { kind: 'show-protocols', all: false }],
    ['show protocols all', { kind: 'show-protocols', all: true }],
    ['show protocols Mesh_10_0_0_2', { kind: 'show-protocols', all: false, match: { kind: 'name', name: 'Mesh_10_0_0_2' } }],
    ["show protocols 'Mesh_10_0_0_2'", { kind: 'show-protocols', all: false, match: { kind: 'name', name: 'Mesh_10_0_0_2' } }],
    ['show protocols all "Mesh_*"', { kind: 'show-protocols', all: true, match: { kind: 'pattern', pattern: 'Mesh_*' } }],
    ['show protocols "with space"', { kind: 'show-protocols', all: false, match: { kind: 'pattern', pattern: 'with space' } }],
    ['show route', { kind: 'show-route', primary: false, filtered: false, stats: 0 }],
    ['show route count', { kind: 'show-route', primary: false, filtered: false, stats: 2 }],
    ['show route stats primary filtered table master', { kind: 'show-route', primary: true, filtered: true, stats: 1 }],
    ['show route protocol Mesh_1 count', { kind: 'show-route', protocol: 'Mesh_1', primary: false, filtered: false, stats: 2 }],
  ] as const)('%s', (line, want) => {
    expect(ok(line)).toEqual(want);
  });

  it('reads networks: a prefix (exact, host bits cleared), for an address or a prefix (longest match)', () => {
    const net = (line: string): unknown => {
      const c = ok(line);
      return c.kind === 'show-route' && c.network ? { ...c.network, bytes: [...c.network.bytes] } : null;
    };
    expect(net('show route 10.1.2.77/24')).toEqual({ bytes: [10, 1, 2, 0], len: 24, exact: true });
    expect(net('show route for 10.1.2.3')).toEqual({ bytes: [10, 1, 2, 3], len: 32, exact: false });
    expect(ok('show route for 10.1.2.3/24 protocol X')).toMatchObject({ network: { len: 24, exact: false }, protocol: 'X' });
    expect(ok('show route for fd00::1', 'ipv6')).toMatchObject({ network: { len: 128, exact: false } });
  });

  it.each([
    ['', '9001 syntax error, empty command'],
    ['   \r', '9001 syntax error, empty command'],
    ['foo', '9001 syntax error, unknown command "foo"; wren implements show status, show protocols [all], show route, show memory'],
    ['SHOW STATUS', '9001 syntax error, unknown command "SHOW"; wren implements show status, show protocols [all], show route, show memory'],
    ['s p', '9001 syntax error, unknown command "s"; wren implements show status, show protocols [all], show route, show memory'],
    ['show', '9001 syntax error, show what? wren implements show status, show protocols [all], show route, show memory'],
    ['show proto', '9001 syntax error, "show proto" is not supported; wren implements show status, show protocols [all], show route, show memory'],
    ['show interfaces', '9001 syntax error, "show interfaces" is not supported; wren implements show status, show protocols [all], show route, show memory'],
    ['show status now', '9001 syntax error, unexpected "now", expecting end of line'],
    ['show protocols a b', '9001 syntax error, unexpected "b", expecting end of line'],
    ['show protocols all kernel', '9001 syntax error, unexpected "kernel", expecting a protocol name or "pattern"'],
    ['show protocols "Mesh', '9001 syntax error, unterminated string'],
    ['show route for', '9001 syntax error, unexpected end of line, expecting a prefix or an address'],
    ['show route for 10.0.0.0/24 10.1.0.0/24', '9001 syntax error, only one prefix expected'],
    ['show route for fd00::1', '9001 syntax error, fd00::1 is not an IPv4 prefix or address (this socket shows the ipv4 table)'],
    ['show route 10.0.0.300/24', '9001 syntax error, "10.0.0.300/24" is not a prefix'],
    ['show route protocol', '9001 syntax error, unexpected end of line, expecting a protocol name'],
    ['show route protocol a protocol b', '9001 syntax error, protocol specified twice'],
    ['show route table master4', '9001 syntax error, "master4" is not a table (the only table is master)'],
    ['show route all', '9001 syntax error, "show route all" is not supported by wren (options: <prefix>, for, table master, protocol, primary, filtered, stats, count)'],
    ['show route where net ~ 10.0.0.0/8', '9001 syntax error, "show route where" is not supported by wren (options: <prefix>, for, table master, protocol, primary, filtered, stats, count)'],
    ['show route 10.0.0.1', '9001 syntax error, unexpected "10.0.0.1"'],
    ['help', '9001 syntax error, "help" is a command of birdc itself, not of the daemon'],
    ['configure', "8007 Access denied: wren's BIRD socket is read-only (configure is done with the wren command)"],
    ['disable Mesh_1', "8007 Access denied: wren's BIRD socket is read-only (disable is done with the wren command)"],
  ])('%j -> %s', (line, want) => {
    expect(error(line)).toBe(want);
  });
});

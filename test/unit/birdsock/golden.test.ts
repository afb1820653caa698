/**
 * wren's BIRD socket against the bytes of a real BIRD 1.6.8 (captures.ts): the node of the capture
 * as wren has it (source.ts) must give the same bytes, line for line. Where wren differs, the
 * expectation is the capture with that difference applied, written out here:
 *
 * - wren has no `device1` and `direct1` protocols (their rows and routes are left out);
 * - wren keeps the routes it refuses (BIRD's `import keep filtered`), so a BGP session's `Routes:`
 *   line has BIRD's "N filtered" form;
 * - wren counts the exports it sends: "Export updates" received = accepted;
 * - capabilities wren does not have (long-lived graceful restart, ADD-PATH) are not listed, and the
 *   timers' remaining seconds are `-`;
 * - wren's kernel1 learns nothing from the kernel (Input filter REJECT) and exports everything.
 */
import { describe, expect, it } from 'vitest';
import { answerCommand, greeting } from '../../../src/birdsock/answer.js';
import type { RouteView } from '../../../src/control/protocol.js';
import { protocolBlocks, reply, withoutProtocols } from './captures.js';
import { KERNEL, NOW, PEERS, STARTED, at, context } from './source.js';

const B1 = 'b1a.raw';
const ask = (cmd: string, ctx = context()): string => answerCommand(cmd, ctx);

const ESTABLISHED_ADAPTED = (capture: string): string =>
  capture
    .replace('Routes:         5 imported, 4 exported, 4 preferred', 'Routes:         5 imported, 0 filtered, 4 exported, 4 preferred')
    .replace('Export updates:              9          5          0        ---          4', 'Export updates:              4          0          0        ---          4')
    .replace('Neighbor caps:    refresh enhanced-refresh restart-able llgr-aware AS4 add-path-rx add-path-tx', 'Neighbor caps:    refresh enhanced-refresh restart-able AS4')
    .replace('Session:          internal multihop AS4 add-path-rx add-path-tx', 'Session:          internal multihop AS4')
    .replace('Hold timer:       210/240', 'Hold timer:       -/240')
    .replace('Keepalive timer:  56/80', 'Keepalive timer:  -/80');

describe('BIRD socket: byte for byte against BIRD 1.6.8', () => {
  it('greets as BIRD does', () => {
    expect(greeting('1.6.8')).toBe(reply(B1, 'greeting'));
  });

  it('show status', () => {
    expect(ask('show status')).toBe(reply(B1, 'show status'));
  });

  it('show status during a graceful-restart recovery has the 0024 block', () => {
    const ctx = context('ipv4', { recovery: { waitingFor: 4, remainingSec: 240, timeoutSec: 240 }, now: at(5, 37, 59) });
    const startedAt = { ...ctx, startedMs: () => at(5, 37, 59), reconfiguredMs: () => at(5, 37, 59) };
    expect(ask('show status', startedAt)).toBe(reply('b1a-gr.raw', 'show status'));
  });

  it('show protocols (no device1, direct1)', () => {
    expect(ask('show protocols')).toBe(withoutProtocols(reply(B1, 'show protocols'), ['device1', 'direct1']));
  });

  it('show protocols all <Established session>', () => {
    expect(ask('show protocols all Mesh_10_98_0_2')).toBe(ESTABLISHED_ADAPTED(reply(B1, 'show protocols all Mesh_10_98_0_2')));
  });

  it('show protocols all: every block', () => {
    const got = protocolBlocks(ask('show protocols all'));
    const want = protocolBlocks(reply(B1, 'show protocols all'));
    expect(got.heading).toBe(want.heading);
    expect(got.end).toBe(want.end);
    expect([...got.blocks.keys()]).toEqual([...want.blocks.keys()].filter((n) => n !== 'device1' && n !== 'direct1'));
    const filteredForm = (b: string): string => b.replace(/(Routes: +\d+ imported, )/, '$10 filtered, ');
    expect(got.blocks.get('static1')).toBe(want.blocks.get('static1'));
    expect(got.blocks.get('Mesh_10_98_0_2')).toBe(ESTABLISHED_ADAPTED(want.blocks.get('Mesh_10_98_0_2') ?? ''));
    for (const name of ['Mesh_10_99_0_2', 'Node_10_99_0_3', 'Mesh_10_99_0_5']) expect(got.blocks.get(name), name).toBe(filteredForm(want.blocks.get(name) ?? ''));
    // The disabled session: BIRD has its description; wren shows the configured name as the protocol name instead.
    expect(got.blocks.get('Global_10_99_0_4')).toBe((want.blocks.get('Global_10_99_0_4') ?? '').replace('1006-  Description:    Connection to BGP peer\n   ', '1006-  '));
    expect(got.blocks.get('kernel1')).toBe(
      (want.blocks.get('kernel1') ?? '')
        .replace('Input filter:   ACCEPT', 'Input filter:   REJECT')
        .replace('Output filter:  calico_kernel_programming', 'Output filter:  ACCEPT')
        .replace('Export updates:             10          2          0        ---          8', 'Export updates:              0          0          0        ---          0'),
    );
  });

  it('show protocols all kernel1 during a graceful-restart recovery: state wait, GR recovery waiting', () => {
    const ctx = context('ipv4', { kernel: { ...KERNEL, converged: false, installed: 0 }, recovery: { waitingFor: 4, remainingSec: 240, timeoutSec: 240 }, now: at(5, 38, 0) });
    const got = ask('show protocols all kernel1', { ...ctx, startedMs: () => at(5, 37, 59) });
    const want = reply('b1a-gr.raw', 'show protocols all kernel1').replace('Input filter:   ACCEPT', 'Input filter:   REJECT').replace('Output filter:  calico_kernel_programming', 'Output filter:  ACCEPT');
    expect(got).toBe(want);
  });

  it('show protocols "Mesh_*" (a pattern), and the errors of BIRD 1.6', () => {
    expect(ask('show protocols "Mesh_*"')).toBe(
      ['2002-name     proto    table    state  since       info', '1002-Mesh_10_98_0_2 BGP      master   up     05:36:39    Established   ', ' Mesh_10_99_0_2 BGP      master   start  05:36:37    Connect       Socket: No route to host', ' Mesh_10_99_0_5 BGP      master   start  05:36:37    Passive       ', '0000 ', ''].join('\n'),
    );
    expect(ask('show protocols Nonexistent')).toBe(reply(B1, 'show protocols Nonexistent'));
    expect(ask('show protocols "Nonexistent"')).toBe(reply(B1, 'show protocols "Nonexistent"'));
    expect(ask('show route for 1.2.3.4')).toBe(reply(B1, 'show route for 1.2.3.4'));
  });

  it('restrict', () => {
    expect(ask('restrict')).toBe(reply('b1a-misc.raw', 'restrict'));
  });

  it('show memory: BIRD layout, sizes as print_size() writes them', () => {
    const lines = reply(B1, 'show memory').split('\n');
    expect(ask('show memory').split('\n')).toEqual([lines[0], ' JS heap used:       10 kB', ' JS heap total:      35 kB', ' External:          192  B', lines[5], lines[6], '']);
  });
});

/** The capture's routes as wren has them: originated blocks and the Established session's routes (no direct1). */
const ROUTES: readonly RouteView[] = [
  { prefix: '10.200.0.64/26', nextHop: '', asPath: '', origin: 'igp', communities: [], largeCommunities: [], from: 'local', best: true },
  { prefix: '10.200.0.0/26', nextHop: '', asPath: '', origin: 'igp', communities: [], largeCommunities: [], from: 'local', best: true },
  ...['10.201.0.64/26', '10.201.0.0/26'].map((prefix): RouteView => ({ prefix, nextHop: '10.98.0.2', asPath: '', origin: 'igp', communities: [], largeCommunities: [], from: '10.98.0.2', best: true })),
  { prefix: '10.201.1.0/24', nextHop: '10.97.0.5', asPath: '', origin: 'igp', communities: [], largeCommunities: [], from: '10.98.0.2', best: true },
  { prefix: '10.98.0.0/30', nextHop: '10.98.0.2', asPath: '', origin: 'igp', communities: [], largeCommunities: [], from: '10.98.0.2', best: true },
  { prefix: '10.97.0.0/24', nextHop: '10.98.0.2', asPath: '', origin: 'igp', communities: [], largeCommunities: [], from: '10.98.0.2', best: true },
];

describe('BIRD socket: show route against BIRD 1.6.8', () => {
  const ctx = context('ipv4', { routes: ROUTES, interfaces: { '10.98.0.2': 'wrA' } });
  /** 10.98.0.0/30 is direct1's in BIRD (the session's route second); wren has only the session's, the best. */
  const adapt = (capture: string): string =>
    withoutProtocols(capture, ['direct1'])
      .replace(' 10.98.0.0/30       dev wrA [direct1 05:36:37] * (240)\n                    via', ' 10.98.0.0/30       via')
      .replace('10.98.0.0/30       via 10.98.0.2 on wrA [Mesh_10_98_0_2 05:36:39] (100/0)', '10.98.0.0/30       via 10.98.0.2 on wrA [Mesh_10_98_0_2 05:36:39] * (100/0)')
      .replace(' 10.99.0.0/24       dev dum0 [direct1 05:36:37] * (240)\n', '')
      // BIRD could not resolve 10.97.0.5 (unreachable, "/-"); wren shows the next hop, on no known interface.
      .replace('10.201.1.0/24      unreachable [Mesh_10_98_0_2 05:36:39 from 10.98.0.2] * (100/-) [i]', '10.201.1.0/24      via 10.97.0.5 on ??? [Mesh_10_98_0_2 05:36:39 from 10.98.0.2] * (100/0) [i]');

  it('show route', () => {
    expect(ask('show route', ctx)).toBe(adapt(reply(B1, 'show route')));
  });

  it('show route protocol <name>', () => {
    expect(ask('show route protocol Mesh_10_98_0_2', ctx)).toBe(adapt(reply(B1, 'show route protocol Mesh_10_98_0_2')));
  });

  it('show route for <address> and for <prefix>: the longest match', () => {
    expect(ask('show route for 10.201.0.5', ctx)).toBe(reply(B1, 'show route for 10.201.0.5'));
    expect(ask('show route for 10.201.0.0/26', ctx)).toBe(reply(B1, 'show route for 10.201.0.0/26'));
  });

  it('show route count, show route protocol <name> count (wren has 7 routes where BIRD had 9)', () => {
    expect(ask('show route count', ctx)).toBe(reply(B1, 'show route count').replace('9 of 9 routes for 8 networks', '7 of 7 routes for 7 networks'));
    expect(ask('show route protocol Mesh_10_98_0_2 count', ctx)).toBe(reply(B1, 'show route protocol Mesh_10_98_0_2 count').replace('5 of 9 routes for 8 networks', '5 of 7 routes for 7 networks'));
  });

  it('an alternative route is printed under its network, without the network and without *', () => {
    const two: RouteView[] = [
      { prefix: '10.97.0.0/24', nextHop: '10.98.0.2', asPath: '', origin: 'igp', communities: [], largeCommunities: [], from: '10.98.0.2', best: true },
      { prefix: '10.97.0.0/24', nextHop: '10.99.0.3', asPath: '64513 65001', origin: 'incomplete', communities: [], largeCommunities: [], from: '10.99.0.3', best: false, reason: 'as-path-len' },
    ];
    expect(ask('show route', context('ipv4', { routes: two, interfaces: { '10.98.0.2': 'wrA', '10.99.0.3': 'dum0' } }))).toBe(
      [
        '1007-10.97.0.0/24       via 10.98.0.2 on wrA [Mesh_10_98_0_2 05:36:39] * (100/0) [i]',
        '                    via 10.99.0.3 on dum0 [Node_10_99_0_3 05:36:37] (100) [AS65001?]',
        '0000 ',
        '',
      ].join('\n'),
    );
  });

  it('times older than 20 hours are dates', () => {
    expect(ask('show route for 10.200.0.0/26', { ...ctx, now: () => STARTED + 21 * 3600 * 1000 })).toBe(`1007-10.200.0.0/26      blackhole [static1 ${new Date(STARTED).getFullYear()}-12-06] * (200)\n0000 \n`);
    expect(NOW).toBeGreaterThan(STARTED);
  });
});

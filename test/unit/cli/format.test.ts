import { describe, expect, it } from 'vitest';
import { formatDuration, formatKernel, formatNotification, formatPeers, formatRoutes, protocolName } from '../../../src/cli/format.js';
import { renderFields, renderTable } from '../../../src/cli/table.js';
import type { RouteView } from '../../../src/control/protocol.js';
import { KERNEL, PEERS, ROUTES } from './fixtures.js';

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [59, '59s'],
    [60, '1m00s'],
    [303, '5m03s'],
    [7980, '2h13m'],
    [86400 * 3 + 3600 * 4 + 59, '3d04h'],
    [-5, '0s'],
    [Number.NaN, '?'],
  ])('writes %d seconds as %s', (sec, text) => {
    expect(formatDuration(sec)).toBe(text);
  });
});

describe('renderTable', () => {
  it('aligns columns two spaces apart without trailing spaces', () => {
    expect(renderTable(['A', 'Long'], [['xyz', ''], ['1', '2']])).toBe('A    Long\nxyz\n1    2');
  });

  it('aligns label/value fields', () => {
    expect(renderFields([['a', '1'], ['long', '2']])).toBe('  a     1\n  long  2');
  });
});

describe('formatPeers', () => {
  it('prints a row per peer, then each peer with its capabilities, timers and last error', () => {
    expect(formatPeers(PEERS)).toBe(
      [
        'Peer          AS     State        Up/Down  Router ID     Rcv/Acc/Adv  Name',
        '192.168.1.11  64512  Established  2h13m    192.168.1.11  2/2/2        node-1',
        '192.168.1.1   65001  Active       42s      -             0/0/0',
        '',
        '192.168.1.11 (node-1): iBGP, configured, port 179',
        '  capabilities    ipv4-unicast, ipv6-unicast, route-refresh, as4, graceful-restart',
        '  hold/keepalive  90s / 30s',
        '  send hold       480s',
        '  messages        in 280, out 277',
        '',
        '192.168.1.1: eBGP, configured, port 179',
        '  capabilities       (none negotiated)',
        '  send hold expired  1 time(s)',
        '  messages           in 12, out 14',
        '  last error         received Cease / Administrative Shutdown (6/2) at 2025-06-01T12:00:00.000Z: "maintenance until 14:00"',
        '  last down          notification received',
      ].join('\n'),
    );
  });

  it('leaves out the Name column when no peer has a name', () => {
    expect(formatPeers(PEERS.slice(1)).split('\n')[0]).toBe('Peer         AS     State   Up/Down  Router ID  Rcv/Acc/Adv');
  });

  it('says when there are no peers', () => {
    expect(formatPeers([])).toBe('no peers configured');
  });
});

describe('formatNotification', () => {
  it('omits an empty shutdown communication', () => {
    const n = PEERS[1]?.lastError;
    if (!n) throw new Error('fixture');
    expect(formatNotification({ ...n, communication: '' })).toBe('received Cease / Administrative Shutdown (6/2) at 2025-06-01T12:00:00.000Z');
  });
});

describe('formatRoutes', () => {
  it('marks best routes *> and others * with the rule they lost on', () => {
    expect(formatRoutes(ROUTES)).toBe(
      [
        '    Prefix         Next hop      AS path      Origin      LocPrf  MED  Communities          From          Note',
        '*>  172.16.0.0/24  -             -            igp         -       -    64512:100            local',
        '*>  172.16.1.0/24  192.168.1.11  -            igp         100     -    -                    192.168.1.11',
        '*   172.16.1.0/24  192.168.1.1   65001 65100  incomplete  50      10   no-export 65001:1:2  192.168.1.1   lost: local-pref, stale',
        '',
        '2 prefixes, 3 routes, 2 best',
      ].join('\n'),
    );
  });

  it('shows a refused route without a mark, with the import reason and what is wrong', () => {
    const refused = {
      prefix: 'fd00:172:16:1::/64',
      nextHop: '::1',
      asPath: '65001',
      origin: 'igp' as const,
      communities: [],
      largeCommunities: [],
      from: '10.0.0.2',
      best: false,
      reason: 'next-hop-invalid',
      refused: true,
      detail: '::1 is a loopback address',
    };
    expect(formatRoutes([ROUTES[1] as RouteView, refused])).toBe(
      [
        '    Prefix              Next hop      AS path  Origin  LocPrf  MED  Communities  From          Note',
        '*>  172.16.1.0/24       192.168.1.11  -        igp     100     -    -            192.168.1.11',
        '    fd00:172:16:1::/64  ::1           65001    igp     -       -    -            10.0.0.2      refused: next-hop-invalid (::1 is a loopback address)',
        '',
        '2 prefixes, 2 routes, 1 best, 1 refused',
      ].join('\n'),
    );
  });

  it('says when there are no routes', () => {
    expect(formatRoutes([])).toBe('no routes');
  });
});

describe('formatKernel', () => {
  it('prints the summary, the conflicts, the pending retries and the failed routes', () => {
    expect(formatKernel(KERNEL)).toBe(
      [
        'protocol         12 (bird)',
        'converged        yes',
        'routes           3 desired, 2 installed, 0 stale candidates',
        'last reconcile   full, ok, 4s ago: +1 ~0 -2, 1 failed, 3 ms',
        'conflicts        1',
        'pending retries  1',
        'failed           1 (refused by the kernel, not retried until they change)',
        '',
        'Conflicts (a route of another protocol holds the key; not overwritten):',
        'Prefix         Key                  For',
        '172.16.5.0/24  table 254, metric 0  2m05s',
        '',
        'Pending retries:',
        'Prefix         Key                  Error        Attempts  Waits for',
        '172.16.9.0/24  table 254, metric 0  ENETUNREACH  3         link/address change',
        '',
        'Failed (the kernel refused the route; sent again only when the route changes):',
        'Prefix              Key                     Error   Op   For  Route',
        'fd00:172:16:7::/64  table 254, metric 1024  EINVAL  add  42s  fd00:172:16:7::/64 via ::1',
        'EINVAL: the kernel refuses the route as invalid (e.g. a loopback, local or multicast next hop)',
      ].join('\n'),
    );
  });

  it('explains an unconverged table that never reconciled, and a failed reconcile', () => {
    const quiet = { ...KERNEL, conflicts: [], pendingRetries: [], failed: [], converged: false };
    expect(formatKernel({ ...quiet, lastReconcile: null }).split('\n')).toEqual([
      'protocol         12 (bird)',
      'converged        no (stale routes kept until every peer sent End-of-RIB)',
      'routes           3 desired, 2 installed, 0 stale candidates',
      'last reconcile   never',
      'conflicts        none',
      'pending retries  none',
      'failed           none',
    ]);
    const failed = { agoSec: 1, kind: 'incremental' as const, ok: false, added: 0, replaced: 0, removed: 0, failed: 2, durationMs: 1, error: 'EPERM' };
    expect(formatKernel({ ...quiet, lastReconcile: failed }).split('\n')[3]).toBe('last reconcile   incremental, FAILED, 1s ago: +0 ~0 -0, 2 failed, 1 ms (EPERM)');
  });

  it('says when kernel programming is disabled', () => {
    expect(formatKernel(null)).toBe('kernel programming is disabled (kernel.enabled is false)');
  });

  it('names known protocol ids', () => {
    expect(protocolName(186)).toBe('186 (bgp)');
    expect(protocolName(99)).toBe('99');
  });
});

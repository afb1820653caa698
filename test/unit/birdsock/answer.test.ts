/**
 * The BIRD socket's answers (src/birdsock/answer.ts) beyond the captured layouts: which sessions
 * and routes each socket shows, names, the details of a session, and Calico's parsers (ported in
 * test/netns/lib/calico-bird.ts) reading them.
 */
import { describe, expect, it } from 'vitest';
import { answerCommand } from '../../../src/birdsock/answer.js';
import { prng } from '../../../src/util/prng.js';
import type { PeerStatus, RouteView } from '../../../src/control/protocol.js';
import { birdReady, grInProgress, peerDetails, scanBirdPeers, statusReport } from '../../netns/lib/calico-bird.js';
import { reply } from './captures.js';
import { NO_CHANGES, PEERS, at, config, context } from './source.js';

const iso = (ms: number): string => new Date(ms).toISOString();

const v6peer: PeerStatus = {
  address: 'fd00:99::2',
  port: 179,
  asn: 64512,
  type: 'ibgp',
  origin: 'configured',
  state: 'Established',
  uptimeSec: 5,
  routerId: '10.99.0.9',
  holdTimeSec: 90,
  keepaliveSec: 30,
  sendHoldExpirations: 0,
  capabilities: ['ipv6-unicast', 'route-refresh', 'as4'],
  prefixes: { received: 1, accepted: 1, advertised: 1, preferred: 1 },
  messages: { in: 3, out: 3 },
  phase: 'up',
  phaseSince: iso(at(5, 36, 40)),
  localAddress: 'fd00:99::1',
  routeChanges: NO_CHANGES,
};

const route = (prefix: string, from: string, extra: Partial<RouteView> = {}): RouteView => ({
  prefix,
  nextHop: from === 'local' ? '' : from,
  asPath: '',
  origin: 'igp',
  communities: [],
  largeCommunities: [],
  from,
  best: true,
  ...extra,
});

describe('BIRD socket: one family per socket', () => {
  const o = {
    config: config({ originate: ['10.200.0.0/26', 'fd00:200::/64'], peers: [{ address: '10.98.0.2', asn: 64512 }, { address: 'fd00:99::2', asn: 64512 }] }),
    peers: [PEERS[0] as PeerStatus, v6peer],
    routes: [route('10.200.0.0/26', 'local'), route('10.201.0.0/26', '10.98.0.2'), route('fd00:200::/64', 'local'), route('fd00:201::/64', 'fd00:99::2'), route('fd00:202::/64', '10.98.0.2', { nextHop: 'fd00:98::2' })],
  };

  it('the IPv4 socket lists the sessions over IPv4, the IPv6 socket those over IPv6; kernel1 on both', () => {
    const names = (text: string): string[] => text.split('\n').filter((l) => /^(1002-| )/.test(l)).map((l) => l.slice(l.startsWith(' ') ? 1 : 5).split(' ')[0] ?? '');
    expect(names(answerCommand('show protocols', context('ipv4', o)))).toEqual(['kernel1', 'static1', 'Mesh_10_98_0_2']);
    expect(names(answerCommand('show protocols', context('ipv6', o)))).toEqual(['kernel1', 'static1', 'Mesh_fd00_99__2']);
  });

  it("each socket shows its family's routes, named after the session they came over", () => {
    expect(answerCommand('show route count', context('ipv4', o))).toBe('0014 2 of 2 routes for 2 networks\n');
    const v6 = answerCommand('show route', context('ipv6', o));
    expect(v6).toContain('fd00:202::/64      via fd00:98::2 on ??? [Mesh_10_98_0_2 05:36:39 from 10.98.0.2] * (100/0) [i]');
    expect(v6).toContain('fd00:201::/64      via fd00:99::2 on ??? [Mesh_fd00_99__2 05:36:40] * (100/0) [i]');
    expect(answerCommand('show route protocol Mesh_10_98_0_2', context('ipv6', o))).toContain('fd00:202::/64');
  });

  it('calicoctl reads an IPv6 session from the IPv6 socket, "_" back to ":"', () => {
    const text = `0001 BIRD 1.6.8 ready.\n${answerCommand('show protocols', context('ipv6', o))}`;
    expect(scanBirdPeers(text, '6')).toEqual([{ peerIp: 'fd00:99::2', peerType: 'node-to-node mesh', state: 'up', since: '05:36:40', bgpState: 'Established', info: '' }]);
  });
});

describe('BIRD socket: Calico reads it', () => {
  const ctx = context();
  const withGreeting = (cmd: string, c = ctx): string => `0001 BIRD v0.1.0+wren ready.\n${answerCommand(cmd, c)}`;

  it('calicoctl node status and calico-node --bird-ready parse show protocols: every BGP session with info, the down one skipped (as with BIRD)', () => {
    const peers = scanBirdPeers(withGreeting('show protocols'), '4');
    expect(peers).toEqual([
      { peerIp: '10.98.0.2', peerType: 'node-to-node mesh', state: 'up', since: '05:36:39', bgpState: 'Established', info: '' },
      { peerIp: '10.99.0.2', peerType: 'node-to-node mesh', state: 'start', since: '05:36:37', bgpState: 'Connect', info: 'Socket: No route to host' },
      { peerIp: '10.99.0.3', peerType: 'node specific', state: 'start', since: '05:36:37', bgpState: 'Connect', info: 'Socket: No route to host' },
      { peerIp: '10.99.0.5', peerType: 'node-to-node mesh', state: 'start', since: '05:36:37', bgpState: 'Passive', info: '' },
    ]);
    // The same as Calico's code read from a real BIRD 1.6.8.
    expect(peers).toEqual(scanBirdPeers(`0001 BIRD 1.6.8 ready.\n${reply('b1a.raw', 'show protocols')}`, '4'));
    expect(grInProgress(withGreeting('show status'))).toBe(false);
    expect(birdReady(peers, false, true)).toBe('BGP not established with 10.99.0.2,10.99.0.3,10.99.0.5');
    expect(birdReady(peers, false, false)).toBeNull();
  });

  it('the ported parser refuses BIRD 2 output, as Calico does (proof that it checks the layout)', () => {
    const bird2 = '0001 BIRD 2.0.12 ready.\n2002-Name       Proto      Table      State  Since         Info\n1002-device1    Device     ---        up     05:32:04.426  \n0000 \n';
    expect(() => scanBirdPeers(bird2, '4')).toThrow('unknown BIRD table output format');
    expect(() => scanBirdPeers(`0001 BIRD 1.6.8 ready.\n${answerCommand('show protocols all', ctx)}`, '4')).toThrow('unexpected output line from BIRD');
  });

  it('calico-node sees a graceful restart in progress while wren recovers', () => {
    expect(grInProgress(withGreeting('show status', context('ipv4', { recovery: { waitingFor: 1, remainingSec: 100, timeoutSec: 120 } })))).toBe(true);
  });

  it("the status reporter reads the version (it wants 'BIRD v...'), router id and times", () => {
    expect(statusReport(`0001 BIRD v0.1.0+wren ready.\n${answerCommand('show status', { ...ctx, version: () => 'v0.1.0+wren' })}`)).toEqual({
      ready: true,
      version: 'v0.1.0+wren',
      routerId: '10.98.0.1',
      serverTime: '2026-12-06 05:36:49',
      lastBootTime: '2026-12-06 05:36:37',
      lastReconfigTime: '2026-12-06 05:36:37',
    });
  });

  it('the status reporter reads BGP state and neighbor address from show protocols all NAME', () => {
    expect(peerDetails(answerCommand('show protocols all Mesh_10_98_0_2', ctx))).toEqual({ bgpState: 'Established', peerIp: '10.98.0.2' });
    expect(peerDetails(answerCommand('show protocols all Global_10_99_0_4', ctx))).toEqual({ bgpState: 'Down', peerIp: '10.99.0.4' });
  });
});

describe('BIRD socket: a session in detail', () => {
  it('shows a name that is no BIRD name as the description, policies as filters, maxPrefix as an import limit', () => {
    const cfg = config({
      policies: { fromTor: { rules: [], default: 'accept' } },
      peers: [{ address: '10.99.0.3', asn: 64513, name: 'tor-1', import: 'fromTor', export: { rules: [], default: 'reject' }, maxPrefix: { limit: 1000, restartAfter: 60 } }],
    });
    const tor: PeerStatus = { ...(PEERS[2] as PeerStatus), name: 'tor-1' };
    const text = answerCommand('show protocols all Node_10_99_0_3', context('ipv4', { config: cfg, peers: [tor] }));
    expect(text).toContain('1006-  Description:    tor-1\n   Preference:     100\n   Input filter:   fromTor\n   Output filter:  (unnamed)\n   Import limit:   1000\n     Action:       restart\n');
  });

  it('a session stopped by maxPrefix is down with an automatic shutdown', () => {
    const stopped: PeerStatus = {
      ...(PEERS[1] as PeerStatus),
      state: 'Idle',
      phase: 'down',
      lastDownReason: 'notification sent: Cease / Maximum Number of Prefixes Reached',
      lastError: { direction: 'sent', code: 6, subcode: 1, name: 'Cease / Maximum Number of Prefixes Reached', at: iso(at(5, 36, 40)) },
    };
    const text = answerCommand('show protocols', context('ipv4', { peers: [stopped] }));
    expect(text).toContain(' Mesh_10_99_0_2 BGP      master   down   05:36:37    Automatic shutdown: Route limit exceeded\n');
  });

  it('names the errors as BIRD does: received and sent NOTIFICATIONs, hold timer, lost connection', () => {
    const down = (reason: string, extra: Partial<PeerStatus> = {}): string =>
      answerCommand('show protocols Mesh_10_99_0_2', context('ipv4', { peers: [{ ...(PEERS[1] as PeerStatus), state: 'Active', lastDownReason: reason, ...extra }] })).split('\n')[1]?.slice(57) ?? '';
    expect(down('notification received: Cease / Administrative Shutdown', { lastError: { direction: 'received', code: 6, subcode: 2, name: '', at: '' } })).toBe('Active        Received: Administrative shutdown');
    expect(down('hold timer expired')).toBe('Active        BGP Error: Hold timer expired');
    expect(down('ECONNRESET')).toBe('Active        Socket: Connection reset by peer');
    expect(down('connection closed by peer')).toBe('Active        Socket: Connection closed');
    expect(down('administratively stopped')).toBe('Active        ');
  });
});

describe('BIRD socket: show route details', () => {
  const routes: RouteView[] = [
    route('10.201.0.0/24', '10.98.0.2'),
    route('10.201.0.0/26', '10.98.0.2', { stale: true }),
    route('10.201.0.0/26', '10.99.0.3', { best: false, asPath: '64513 {65001,65002}', origin: 'egp' }),
    route('10.202.0.0/24', '10.99.0.3', { best: false, refused: true, reason: 'as-loop' }),
  ];
  const ctx = context('ipv4', { routes, interfaces: { '10.98.0.2': 'eth0', '10.99.0.3': 'eth0' } });

  it('for: the longest match that has a route in the table; filtered: the refused routes only; primary: the best', () => {
    expect(answerCommand('show route for 10.201.0.1', ctx)).toBe(
      '1007-10.201.0.0/26      via 10.98.0.2 on eth0 [Mesh_10_98_0_2 05:36:39] * (100s/0) [i]\n                    via 10.99.0.3 on eth0 [Node_10_99_0_3 05:36:37] (100) [e]\n0000 \n',
    );
    expect(answerCommand('show route for 10.201.0.200', ctx)).toContain('1007-10.201.0.0/24 ');
    expect(answerCommand('show route for 10.202.0.1', ctx)).toBe('8001 Network not in table\n');
    expect(answerCommand('show route filtered', ctx)).toBe('1007-10.202.0.0/24      via 10.99.0.3 on eth0 [Node_10_99_0_3 05:36:37] (100) [i]\n0000 \n');
    expect(answerCommand('show route primary count', ctx)).toBe('0014 2 of 2 routes for 2 networks\n');
    expect(answerCommand('show route stats protocol Node_10_99_0_3', ctx)).toBe('1007-10.201.0.0/26      via 10.99.0.3 on eth0 [Node_10_99_0_3 05:36:37] (100) [e]\n0014 1 of 3 routes for 2 networks\n');
    expect(answerCommand('show route 10.201.0.0/26 count', ctx)).toBe('0000 \n');
    expect(answerCommand('show route protocol Nope', ctx)).toBe('9001 Nope is not a protocol\n');
  });
});

describe('BIRD socket: peers without a session of their own', () => {
  it('lists a configured peer with enabled: false as a down protocol, as BIRD lists a disabled one', () => {
    const cfg = config({ peers: [{ address: '10.98.0.2', asn: 64512 }, { address: '10.99.0.4', asn: 64514, enabled: false, import: 'all', export: 'all' }] });
    const text = answerCommand('show protocols all Node_10_99_0_4', context('ipv4', { config: cfg, peers: [PEERS[0] as PeerStatus] }));
    expect(text).toBe(
      [
        '2002-name     proto    table    state  since       info',
        '1002-Node_10_99_0_4 BGP      master   down   05:36:37    ',
        '1006-  Preference:     100',
        '   Input filter:   ACCEPT',
        '   Output filter:  ACCEPT',
        '   BGP state:          Down',
        '     Neighbor address: 10.99.0.4',
        '     Neighbor AS:      64514',
        ' ',
        '0000 ',
        '',
      ].join('\n'),
    );
  });

  it("names a dynamic peer after its address and takes its range's settings (passive, filters)", () => {
    const cfg = config({ peers: [{ addressRange: '10.99.0.0/24', asn: 64512 }] });
    const { name, ...unnamed } = PEERS[4] as PeerStatus;
    const dyn: PeerStatus = { ...unnamed, address: '10.99.0.77', origin: 'dynamic' };
    expect(name).toBe('Connection to BGP peer');
    expect(answerCommand('show protocols', context('ipv4', { config: cfg, peers: [dyn] }))).toContain(' Mesh_10_99_0_77 BGP      master   start  05:36:37    Passive       \n');
  });
});

describe('BIRD socket: any input', () => {
  it('answers every line, however malformed, with a well-framed reply (seeded random lines)', () => {
    const rnd = prng(13);
    const words = ['show', 'protocols', 'all', 'route', 'for', 'protocol', 'count', 'stats', 'status', 'memory', 'table', 'master', '"', "'", '*', 'Mesh_10_98_0_2', '10.201.0.5', '10.0.0.0/8', 'fd00::/8', '::', '/', '\t', '\r', 'configure', 'restrict', '\u00e9', '\u0000'];
    const ctx = context('ipv4', { routes: [route('10.201.0.0/26', '10.98.0.2'), route('10.200.0.0/26', 'local')] });
    for (let i = 0; i < 3000; i++) {
      const n = Math.floor(rnd() * 7);
      const line = Array.from({ length: n }, () => (rnd() < 0.85 ? words[Math.floor(rnd() * words.length)] : String.fromCharCode(Math.floor(rnd() * 0x3000)))).join(rnd() < 0.8 ? ' ' : '');
      const r = answerCommand(line, ctx);
      const lines = r.split('\n');
      expect(lines.pop(), line).toBe('');
      expect(lines.at(-1), line).toMatch(/^\d{4} /);
      for (const l of lines.slice(0, -1)) expect(l, line).toMatch(/^(\d{4}-| )/);
    }
  });
});

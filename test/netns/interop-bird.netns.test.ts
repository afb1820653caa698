/**
 * wren against BIRD 2: the interop scenarios of lib/interop-suite.ts (sessions both ways, eBGP and
 * iBGP, IPv4 and IPv6 over IPv4 sessions, restart, silent peer with a tshark capture of the Hold
 * Timer Expired NOTIFICATION, shutdown communications both ways, ROUTE-REFRESH both ways).
 * Run as root after `npm run build`:
 *   npx vitest run --project netns test/netns/interop-bird.netns.test.ts
 */
import { birdProtocolName, startBird, type BirdDaemon } from '../../tools/daemons/bird.js';
import { NODES, interopNeeds, type PeerProbe } from './lib/interop.js';
import { describeInterop } from './lib/interop-suite.js';
import { BIRD_INSTALLED } from './lib/requirements.js';

/** `birdc show protocols all <the session with wren>`. */
const protocol = (d: BirdDaemon): string => d.birdc('show', 'protocols', 'all', birdProtocolName(NODES.wren.v4));

/** Sum over the protocol's channels of one column of a "Route change stats" row. */
function sumStat(text: string, row: 'Import updates' | 'Export updates', column: 'received' | 'accepted'): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^\\s+${row}:\\s+(.*)$`, 'gm'))) {
    const cells = (m[1] ?? '').trim().split(/\s+/);
    const cell = column === 'received' ? cells[0] : cells.at(-1);
    sum += Number(cell);
  }
  return sum;
}

const probe: PeerProbe<BirdDaemon> = {
  updatesFromWren: (d) => sumStat(protocol(d), 'Import updates', 'received'),
  updatesToWren: (d) => sumStat(protocol(d), 'Export updates', 'accepted'),
  // The protocol row: name, "BGP", table, state, since (ms resolution), info.
  sessionMark: (d) => /^(n_\S+\s+BGP\s+\S+\s+\S+\s+\S+)/m.exec(protocol(d))?.[1] ?? '',
  // BIRD shows `since` as wall-clock time converted from its monotonic clock at each query: it may
  // move by a millisecond between two reads of one session. A new session is seconds apart.
  sameSession: (before, after) => {
    const [a, b] = [before, after].map((m) => /^(.*\s)(\d\d):(\d\d):(\d\d\.\d+)$/.exec(m));
    if (!a || !b || a[1] !== b[1]) return before === after;
    const ms = (x: RegExpExecArray): number => (Number(x[2]) * 3600 + Number(x[3]) * 60 + Number(x[4])) * 1000;
    return Math.abs(ms(a) - ms(b)) <= 20;
  },
  // "Last error: Received: ..." for what BIRD received, and "Message: <RFC 9003 text>".
  shutdownSeen: (d) => protocol(d).split('\n').filter((l) => /^\s+(Message|Last error):/.test(l)).join('\n'),
};

describeInterop({
  title: 'BIRD 2',
  id: 'bird',
  needs: interopNeeds(BIRD_INSTALLED),
  start: startBird,
  probe,
  freeze: (d) => d.pid,
  peerSendsRouteRefresh: true,
});

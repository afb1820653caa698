// The capture lab: BIRD, FRR and GoBGP in three namespaces joined by several veth links, one BGP
// session per link, tshark on every link. Two phases run one after the other with fresh daemons:
//
//   ebgp  AS 65001 (BIRD), 65002 (FRR), 65003 (GoBGP); 4-octet ASNs inside AS paths and AGGREGATOR
//         L1 BIRD-FRR   IPv4 session, IPv4+IPv6, BIRD offers extended messages
//         L2 FRR-GoBGP  IPv6 session, IPv6
//         L3 GoBGP-BIRD IPv4 session, IPv4+IPv6, BIRD `enable as4 off` (AS_TRANS, AS4_PATH)
//         L4 FRR-GoBGP  IPv4 session, IPv4
//         L5 BIRD-FRR   IPv6 session, IPv6, BIRD `enable as4 off`
//         then: route refresh from BIRD and FRR (GoBGP never sends one), withdrawals and an RFC 9003
//         shutdown from each,
//         and SIGTERM (Cease) at the end.
//   ibgp  AS 65000 everywhere, graceful restart on, FRR reflects for BIRD (L1) and GoBGP (L4);
//         LOCAL_PREF, ORIGINATOR_ID, CLUSTER_LIST.
import { join } from 'node:path';

const HOST = { bird: 1, frr: 2, gobgp: 3 };
const ROUTER_ID = { bird: '10.255.0.1', frr: '10.255.0.2', gobgp: '10.255.0.3' };
export const v4 = (link, name) => `10.0.${link}.${HOST[name]}`;
export const v6 = (link, name) => `fd00:${link}::${HOST[name]}`;
const ifName = (link, peer) => `l${link}-${peer}`;

const PREFIXES = {
  bird: ['172.16.1.0/24', 'fd00:172:16:1::/64'],
  frr: ['172.16.2.0/24', 'fd00:172:16:2::/64'],
  gobgp: ['172.16.3.0/24', 'fd00:172:16:3::/64'],
};

export const PHASES = [
  {
    name: 'ebgp',
    asn: { bird: 65001, frr: 65002, gobgp: 65003 },
    gracefulRestart: false,
    links: [
      { n: 1, a: 'bird', b: 'frr', session: 'ipv4', families: ['ipv4', 'ipv6'], bird: { extendedMessage: true } },
      { n: 2, a: 'frr', b: 'gobgp', session: 'ipv6', families: ['ipv6'] },
      { n: 3, a: 'gobgp', b: 'bird', session: 'ipv4', families: ['ipv4', 'ipv6'], bird: { as4: false } },
      { n: 4, a: 'frr', b: 'gobgp', session: 'ipv4', families: ['ipv4'] },
      { n: 5, a: 'bird', b: 'frr', session: 'ipv6', families: ['ipv6'], bird: { as4: false } },
    ],
    originateAttrs: {
      bird: { communities: ['65001:1', '65001:2'], largeCommunities: ['65001:1:2'], extCommunities: ['65001:100'], med: 10, asPath: [4200000099] },
      frr: { communities: ['65002:1'], largeCommunities: ['65002:1:2'], extCommunities: ['65002:100'], med: 20, asPath: [65098, 65099] },
      gobgp: undefined,
    },
    aggregates: { frr: [{ prefix: '172.16.0.0/16', asSet: true }, { prefix: 'fd00:172::/32' }] },
  },
  {
    name: 'ibgp',
    asn: { bird: 65000, frr: 65000, gobgp: 65000 },
    gracefulRestart: true,
    rrClients: { frr: ['bird', 'gobgp'] },
    links: [
      { n: 1, a: 'bird', b: 'frr', session: 'ipv4', families: ['ipv4', 'ipv6'] },
      { n: 3, a: 'gobgp', b: 'bird', session: 'ipv4', families: ['ipv4', 'ipv6'] },
      { n: 4, a: 'frr', b: 'gobgp', session: 'ipv4', families: ['ipv4', 'ipv6'] },
    ],
    originateAttrs: {
      bird: { localPref: 150, med: 15, communities: ['65000:1'] },
      frr: { localPref: 250, communities: ['65000:2'] },
      gobgp: { localPref: 300, med: 35, communities: ['65000:3'] },
    },
    aggregates: {},
  },
];

const peerAddr = (link, peer) => (link.session === 'ipv4' ? v4(link.n, peer) : v6(link.n, peer));

function neighborsOf(phase, me) {
  return phase.links
    .filter((l) => l.a === me || l.b === me)
    .map((l) => {
      const peer = l.a === me ? l.b : l.a;
      const n = { address: peerAddr(l, peer), asn: phase.asn[peer], families: l.families };
      if (me === 'bird' && l.bird) Object.assign(n, l.bird);
      if (me === 'gobgp' && l.session === 'ipv4' && l.families.includes('ipv6')) n.ipv6NextHop = v6(l.n, me);
      if (phase.rrClients?.[me]?.includes(peer)) n.rrClient = true;
      return n;
    });
}

function specOf(phase, me, ns) {
  const spec = {
    ns,
    name: `${phase.name}-${me}`,
    routerId: ROUTER_ID[me],
    asn: phase.asn[me],
    neighbors: neighborsOf(phase, me),
    originate: PREFIXES[me],
    gracefulRestart: phase.gracefulRestart,
    hostname: me,
  };
  if (phase.originateAttrs[me]) spec.originateAttrs = phase.originateAttrs[me];
  if (phase.aggregates[me]) spec.aggregates = phase.aggregates[me];
  return spec;
}

/** Builds the namespaces and links once; returns { lab, ns }. */
export function buildLab(lib, workDir) {
  const lab = new lib.Lab({ id: 'cap' });
  const ns = { bird: lab.addNamespace('bird'), frr: lab.addNamespace('frr'), gobgp: lab.addNamespace('gobgp') };
  const all = new Map();
  for (const phase of PHASES) for (const l of phase.links) all.set(l.n, l);
  for (const l of all.values()) {
    const addrs = (name) => [`${v4(l.n, name)}/24`, `${v6(l.n, name)}/64`];
    // Fixed MACs: link-local next hops (fe80::ff:fe00:<link><host>) are the same on every run.
    const mac = (name) => `02:00:00:00:${String(l.n).padStart(2, '0')}:0${HOST[name]}`;
    lab.link(ns[l.a], ifName(l.n, l.b), addrs(l.a), ns[l.b], ifName(l.n, l.a), addrs(l.b), { macA: mac(l.a), macB: mac(l.b) });
  }
  return { lab, ns, workDir };
}

async function startCaptures(lib, env, phase) {
  const caps = [];
  for (const l of phase.links) {
    const file = join(env.workDir, `${phase.name}-L${l.n}.pcapng`);
    const logFile = join(env.workDir, `${phase.name}-L${l.n}.tshark.log`);
    // -P -l: also print one line per packet, flushed, so the log shows what has reached the file.
    const args = ['-i', ifName(l.n, l.b), '-f', 'tcp port 179', '-w', file, '-P', '-l'];
    const p = env.lab.spawn(env.ns[l.a], 'tshark', args, { logFile, name: `tshark L${l.n}` });
    caps.push({ phase: phase.name, link: l, file, proc: p });
  }
  for (const c of caps) {
    await lib.waitFor(() => lib.tailFile(c.proc.logFile, 5).includes('Capturing on'), { what: `tshark on L${c.link.n} to start`, timeoutMs: 15_000 });
  }
  return caps;
}

const packetLines = (lib, c) => lib.tailFile(c.proc.logFile, 100000).split('\n').filter((l) => /^\s*\d+\s+\d+\.\d+\s/.test(l)).length;

/**
 * Waits until no capture has printed a packet for 1.5 s. Packets still in the kernel's capture
 * ring when tshark is told to stop are lost, so the last messages (NOTIFICATIONs) need this.
 */
async function waitCapturesQuiet(lib, caps) {
  let last = -1;
  let since = Date.now();
  await lib.waitFor(
    () => {
      const n = caps.reduce((sum, c) => sum + packetLines(lib, c), 0);
      if (n !== last) {
        last = n;
        since = Date.now();
        return false;
      }
      return Date.now() - since >= 1500;
    },
    { what: 'the captures to go quiet', timeoutMs: 30_000, intervalMs: 250 },
  );
}

function frrStats(frr, peer) {
  const j = JSON.parse(frr.vtysh(`show bgp neighbors ${peer} json`));
  return j[peer]?.messageStats ?? {};
}

function gobgpStats(gobgp, peer) {
  return JSON.parse(gobgp.gobgp('neighbor', peer, '-j')).state?.messages ?? {};
}

/** Runs one phase: captures, daemons, scripted events, teardown. Returns its captures. */
export async function runPhase(lib, env, phase, log) {
  const warnings = [];
  const step = async (what, fn) => {
    log(`  ${phase.name}: ${what}`);
    try {
      await fn();
    } catch (err) {
      warnings.push(`${phase.name}: ${what}: ${err.message.split('\n')[0]}`);
      log(`  WARNING ${what}: ${err.message}`);
    }
  };
  const caps = await startCaptures(lib, env, phase);
  const d = {};
  try {
    [d.bird, d.frr, d.gobgp] = await Promise.all([
      lib.startBird(env.lab, specOf(phase, 'bird', env.ns.bird)),
      lib.startFrr(env.lab, specOf(phase, 'frr', env.ns.frr)),
      lib.startGobgp(env.lab, specOf(phase, 'gobgp', env.ns.gobgp)),
    ]);
    if (phase.name === 'ebgp') {
      // GoBGP has no aggregation or static paths: a route with an AS_SET, AGGREGATOR, and every community kind.
      // (BIRD with `enable as4 off` cannot peer with a 4-octet AS, so 4-octet ASNs live in paths.)
      const extra = ['origin', 'igp', 'aspath', '4200000010 {65011,65012}', 'community', '65003:1', 'large-community', '4200000003:1:2'];
      d.gobgp.gobgp('global', 'rib', '-a', 'ipv4', 'add', '172.16.30.0/24', ...extra, 'med', '30', 'rt', '65003:100', 'aggregator', '4200000010:10.255.0.3');
      d.gobgp.gobgp('global', 'rib', '-a', 'ipv6', 'add', 'fd00:172:16:30::/64', ...extra);
    }
    for (const l of phase.links) {
      await lib.waitEstablished(d[l.a], peerAddr(l, l.b));
      await lib.waitEstablished(d[l.b], peerAddr(l, l.a));
    }
    for (const me of Object.keys(d)) {
      for (const other of Object.keys(d)) {
        if (other === me) continue;
        for (const p of PREFIXES[other]) await lib.waitRoute(d[me], p);
      }
    }
    if (phase.name === 'ebgp') {
      await step('BIRD asks FRR for a route refresh (L1)', async () => {
        const before = frrStats(d.frr, v4(1, 'bird')).routeRefreshRecv ?? 0;
        d.bird.refreshPeer(v4(1, 'frr'));
        await lib.waitFor(() => (frrStats(d.frr, v4(1, 'bird')).routeRefreshRecv ?? 0) > before, { what: 'FRR to count the ROUTE-REFRESH' });
      });
      await step('FRR asks GoBGP for a route refresh (L4)', async () => {
        const before = gobgpStats(d.gobgp, v4(4, 'frr')).received?.refresh ?? 0;
        d.frr.refreshPeer(v4(4, 'gobgp'));
        await lib.waitFor(() => (gobgpStats(d.gobgp, v4(4, 'frr')).received?.refresh ?? 0) > before, { what: 'GoBGP to count the ROUTE-REFRESH' });
      });
      // GoBGP sends no ROUTE-REFRESH: `softresetin` re-reads its own Adj-RIB-In.
      for (const me of ['bird', 'frr', 'gobgp']) {
        await step(`${me} withdraws its prefixes`, async () => {
          for (const p of PREFIXES[me]) await d[me].withdraw(p);
          for (const other of Object.keys(d)) if (other !== me) for (const p of PREFIXES[me]) await lib.waitNoRoute(d[other], p);
        });
      }
      const shutdowns = [
        ['bird', 1, 'frr', 'wren golden capture: BIRD maintenance'],
        ['frr', 2, 'gobgp', 'wren golden capture: FRR maintenance'],
        ['gobgp', 3, 'bird', 'wren golden capture: GoBGP maintenance'],
      ];
      for (const [me, n, peer, message] of shutdowns) {
        const link = phase.links.find((l) => l.n === n);
        await step(`${me} shuts down L${n} with an RFC 9003 message`, async () => {
          d[me].shutdownPeer(peerAddr(link, peer), message);
          await lib.waitFor(() => d[peer].sessionState(peerAddr(link, me)) !== 'Established', { what: `${peer} to see the session go down` });
        });
      }
    }
  } finally {
    for (const x of Object.values(d)) await x.stop().catch((e) => warnings.push(`stop: ${e.message}`));
    await waitCapturesQuiet(lib, caps).catch((e) => warnings.push(e.message));
    for (const c of caps) await c.proc.stop(10_000, 'SIGINT');
  }
  return { caps: caps.map(({ proc: _p, ...c }) => c), warnings };
}

/** Which daemon owns an address in the lab. */
export function ownerOf(addr) {
  const m = /^10\.0\.\d+\.(\d)$/.exec(addr) ?? /^fd00:\d+::(\d)$/.exec(addr);
  if (!m) return undefined;
  return Object.keys(HOST).find((k) => HOST[k] === Number(m[1]));
}

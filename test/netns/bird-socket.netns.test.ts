/**
 * wren's BIRD-compatible control sockets (docs/bird-socket.md) with the real clients that talk to
 * BIRD: `birdc` and `birdcl` of BIRD 2 (Debian bird2), `birdc` of BIRD 1.6 (Calico's BIRD, unpacked
 * by scripts/setup-bird1.sh), Debian's `prometheus-bird-exporter` 1.4.1, and Calico's own parsers
 * (calicoctl node status, calico-node's readiness probe and status reporter), ported in
 * lib/calico-bird.ts and fed what the socket answers.
 *
 *   wren AS 64512 (10.0.0.1, fd00:10::1) eth0 ---- eth0 BIRD 2 AS 64512 (10.0.0.2, fd00:10::2; also 10.0.0.4)
 *
 * wren has three iBGP sessions: to BIRD over IPv4 (Established, IPv4 unicast), to BIRD over IPv6
 * (Established, IPv6 unicast), and to 10.0.0.4 port 1791 where nothing listens (never up:
 * "Connection refused"). control.birdSocket lists the IPv4 sessions, control.birdSocket6 the IPv6 one.
 *
 * Run: npx vitest run --project netns test/netns/bird-socket.netns.test.ts   (as root, after npm run build)
 */
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bird1Programs } from '../../tools/daemons/bird1.js';
import { startBird, type BirdDaemon } from '../../tools/daemons/bird.js';
import { waitEstablished } from '../../tools/daemons/daemon.js';
import { startWren, WREN_CLI, type WrenDaemon } from '../../tools/daemons/wren.js';
import { birdReady, grInProgress, peerDetails, scanBirdPeers, statusReport } from './lib/calico-bird.js';
import { askWren, keepFilesOnFailure } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { exec, tryExec, waitFor, type Lab } from './lib/netns.js';
import { BIRD_INSTALLED, NETNS, describeNetns, fileExists, programs } from './lib/requirements.js';

const WREN = { v4: '10.0.0.1', v6: 'fd00:10::1' };
const BIRD = { v4: '10.0.0.2', v6: 'fd00:10::2' };
/** A peer that never comes up: an address of BIRD's namespace, a port nobody listens on. */
const DOWN = { address: '10.0.0.4', port: 1791 };
const EXPORTER_PORT = 9324;
const BIRD1_BIRDC = bird1Programs('ipv4').client;

const NEEDS = [
  NETNS,
  fileExists(WREN_CLI, 'run `npm run build` first'),
  BIRD_INSTALLED,
  programs('birdcl', 'prometheus-bird-exporter', 'curl'),
  fileExists(BIRD1_BIRDC, 'run scripts/setup-bird1.sh (BIRD 1.6 unpacked into .cache/bird1)'),
];

interface Node {
  readonly lab: Lab;
  readonly wren: WrenDaemon;
  readonly bird: BirdDaemon;
  readonly v4: string;
  readonly v6: string;
}

async function build(lab: Lab): Promise<Node> {
  const wns = lab.addNamespace('wren');
  const bns = lab.addNamespace('bird');
  lab.link(wns, 'eth0', [`${WREN.v4}/24`, `${WREN.v6}/64`], bns, 'eth0', [`${BIRD.v4}/24`, `${DOWN.address}/24`, `${BIRD.v6}/64`]);
  const bird = await startBird(lab, {
    ns: bns,
    routerId: BIRD.v4,
    asn: 64512,
    neighbors: [
      { address: WREN.v4, asn: 64512, families: ['ipv4'] },
      { address: WREN.v6, asn: 64512, families: ['ipv6'] },
    ],
    originate: ['172.16.2.0/24', '172.16.3.0/24', 'fd00:172:16:2::/64'],
  });
  const v4 = join(lab.dir, 'run', 'bird.ctl');
  const v6 = join(lab.dir, 'run', 'bird6.ctl');
  const wren = await startWren(lab, {
    ns: wns,
    routerId: WREN.v4,
    asn: 64512,
    neighbors: [
      { address: BIRD.v4, asn: 64512, families: ['ipv4'] },
      { address: BIRD.v6, asn: 64512, families: ['ipv6'] },
      { address: DOWN.address, asn: 64512, families: ['ipv4'] },
    ],
    originate: ['172.16.0.0/24', 'fd00:172:16::/64'],
    kernel: true,
    peerExtra: { [DOWN.address]: { port: DOWN.port } },
    extra: { control: { birdSocket: v4, birdSocket6: v6 } },
  });
  return { lab, wren, bird, v4, v6 };
}

/** A client as calicoctl is one: connect, write the command at once (the greeting unread), read up to the end line. */
function calicoAsk(path: string, command: string, end: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no end line after 2 s (Calico's read deadline); got:\n${got}`));
    }, 2000);
    s.setEncoding('utf8');
    s.on('error', reject);
    s.on('data', (d: string) => {
      got += d;
      if (end.test(got)) {
        clearTimeout(timer);
        s.destroy();
        resolve(got);
      }
    });
    s.on('connect', () => s.write(`${command}\n`));
  });
}

const client = (cmd: string, args: readonly string[]): { status: number | null; out: string } => {
  const r = tryExec(null, cmd, args, { timeoutMs: 10_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

/** One sample's value from Prometheus text: the metric with every given label. */
function sample(metrics: string, name: string, labels: Readonly<Record<string, string>>): number | undefined {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describeNetns('BIRD-compatible control socket with the real clients', NEEDS, () => {
  const newLab = labsPerTest();
  let current: Lab | undefined;
  keepFilesOnFailure(() => current);

  it('birdc, birdcl, BIRD 1.6 birdc, bird_exporter and Calico read wren as they read BIRD', async () => {
    const lab = newLab('birdsock');
    current = lab;
    const n = await build(lab);
    await waitEstablished(n.bird, WREN.v4);
    await waitEstablished(n.bird, WREN.v6);
    await waitFor(async () => (await askWren(n.wren, { cmd: 'show-peers' })).filter((p) => p.state === 'Established' && p.prefixes.accepted > 0).length === 2, {
      what: 'wren: both sessions to BIRD Established with routes',
      timeoutMs: 30_000,
    });

    // birdc (BIRD 2): the table in BIRD 1.6's layout.
    const protocols = client('birdc', ['-s', n.v4, 'show', 'protocols']);
    expect(protocols.status, protocols.out).toBe(0);
    expect(protocols.out).toMatch(/^BIRD v\d+\.\d+\.\d+\+wren ready\.\nname     proto    table    state  since       info\n/);
    expect(protocols.out).toMatch(/\nMesh_10_0_0_2 BGP      master   up     \d\d:\d\d:\d\d    Established   \n/);
    expect(protocols.out).toMatch(/\nMesh_10_0_0_4 BGP      master   start  \d\d:\d\d:\d\d    (Active|Connect) +Socket: Connection refused\n/);
    expect(protocols.out).not.toContain('Mesh_fd00');
    const v6protocols = client('birdc', ['-s', n.v6, 'show', 'protocols']);
    expect(v6protocols.out).toMatch(/\nMesh_fd00_10__2 BGP      master   up     \d\d:\d\d:\d\d    Established   \n/);
    // birdc 2 exits 1 on an error reply (code >= 8000).
    const nope = client('birdc', ['-s', n.v4, 'show', 'protocols', 'Nope']);
    expect(nope).toMatchObject({ status: 1 });
    expect(nope.out).toContain('Nope is not a protocol');
    const routes = client('birdc', ['-s', n.v4, 'show', 'route', 'protocol', 'Mesh_10_0_0_2']);
    expect(routes.out).toMatch(/172\.16\.2\.0\/24 +via 10\.0\.0\.2 on eth0 \[Mesh_10_0_0_2 \d\d:\d\d:\d\d\] \* \(100\/0\) \[i\]/);
    expect(client('birdc', ['-s', n.v6, 'show', 'route', 'count']).out).toContain('2 of 2 routes for 2 networks');

    // birdcl: calico-node --bird-live runs `birdcl -s /var/run/calico/bird.ctl show status` and wants rc 0 and "BIRD" first.
    const status = client('birdcl', ['-s', n.v4, 'show', 'status']);
    expect(status.status, status.out).toBe(0);
    expect(status.out.startsWith('BIRD')).toBe(true);
    expect(status.out).toContain('Router ID is 10.0.0.1\n');
    expect(status.out).toContain('Daemon is up and running\n');

    // birdc of BIRD 1.6 (what Calico's image ships).
    const all = client(BIRD1_BIRDC, ['-s', n.v4, 'show', 'protocols', 'all', 'Mesh_10_0_0_2']);
    expect(all.status, all.out).toBe(0);
    expect(all.out).toContain('  BGP state:          Established\n    Neighbor address: 10.0.0.2\n    Neighbor AS:      64512\n    Neighbor ID:      10.0.0.2\n');
    expect(all.out).toMatch(/  Routes:         2 imported, 0 filtered, 1 exported, 2 preferred\n/);

    // Calico's parsers on what the socket sends.
    const peers = scanBirdPeers(await calicoAsk(n.v4, 'show protocols', /^0000 $/m), '4');
    expect(peers.map((p) => [p.peerIp, p.peerType, p.state, p.bgpState])).toEqual([
      ['10.0.0.2', 'node-to-node mesh', 'up', 'Established'],
      ['10.0.0.4', 'node-to-node mesh', 'start', expect.stringMatching(/^(Active|Connect)$/)],
    ]);
    expect(peers[1]?.info).toBe('Socket: Connection refused');
    const peers6 = scanBirdPeers(await calicoAsk(n.v6, 'show protocols', /^0000 $/m), '6');
    expect(peers6.map((p) => [p.peerIp, p.bgpState])).toEqual([['fd00:10::2', 'Established']]);
    const statusText = await calicoAsk(n.v4, 'show status', /^0013 /m);
    expect(grInProgress(statusText)).toBe(false);
    expect(birdReady(peers, false, true)).toBe('BGP not established with 10.0.0.4');
    expect(birdReady(peers6, false, true)).toBeNull();
    expect(statusReport(statusText)).toMatchObject({ ready: true, version: expect.stringMatching(/^v\d+\.\d+\.\d+\+wren$/), routerId: '10.0.0.1' });
    expect(peerDetails(await calicoAsk(n.v4, 'show protocols all Mesh_10_0_0_2', /^0000 $/m))).toEqual({ bgpState: 'Established', peerIp: '10.0.0.2' });

    // prometheus-bird-exporter 1.4.1 (BIRD 1 mode: one socket per family), scraped inside the namespace.
    lab.spawn(n.wren.spec.ns, 'prometheus-bird-exporter', ['-bird.socket', n.v4, '-bird.socket6', n.v6, '-web.listen-address', `127.0.0.1:${EXPORTER_PORT}`], {
      logFile: join(lab.dir, 'bird-exporter.log'),
      name: 'prometheus-bird-exporter',
    });
    const scrape = (): string => exec(n.wren.spec.ns, 'curl', ['-sf', `http://127.0.0.1:${EXPORTER_PORT}/metrics`]);
    // kernel1 is up once wren's first convergence is over (End-of-RIB from every peer, or kernel.convergenceTimeout: the down peer sends none).
    const metrics = await waitFor(
      () => {
        const m = tryExec(n.wren.spec.ns, 'curl', ['-sf', `http://127.0.0.1:${EXPORTER_PORT}/metrics`]).stdout;
        return sample(m, 'bird_protocol_up', { name: 'kernel1', ip_version: '4' }) === 1 ? m : undefined;
      },
      { what: 'bird_exporter to report kernel1 up', timeoutMs: 30_000, intervalMs: 500 },
    );
    const up = (name: string, v: string): number | undefined => sample(metrics, 'bird_protocol_up', { name, ip_version: v, proto: 'BGP' });
    expect(up('Mesh_10_0_0_2', '4')).toBe(1);
    expect(up('Mesh_fd00_10__2', '6')).toBe(1);
    expect(up('Mesh_10_0_0_4', '4')).toBe(0);
    expect(sample(metrics, 'bird_protocol_up', { name: 'Mesh_10_0_0_2', state: 'Established' })).toBe(1);
    expect(sample(metrics, 'bird_protocol_prefix_import_count', { name: 'Mesh_10_0_0_2' })).toBe(2);
    expect(sample(metrics, 'bird_protocol_prefix_export_count', { name: 'Mesh_10_0_0_2' })).toBe(1);
    expect(sample(metrics, 'bird_protocol_prefix_preferred_count', { name: 'Mesh_10_0_0_2' })).toBe(2);
    expect(sample(metrics, 'bird_protocol_prefix_import_count', { name: 'Mesh_fd00_10__2', ip_version: '6' })).toBe(1);
    expect(sample(metrics, 'bird_protocol_changes_update_import_accept_count', { name: 'Mesh_10_0_0_2' })).toBe(2);
    expect(sample(metrics, 'bird_protocol_prefix_import_count', { name: 'static1', ip_version: '4' })).toBe(1);
    expect(scrape()).toContain('bird_protocol_up');

    // A reload announces the new version to new clients, and show status says when it was (the
    // convergence timeout above made it at least 10 s after the start).
    const before = client('birdcl', ['-s', n.v4, 'show', 'status']).out;
    const line = (text: string, what: string): string => text.split('\n').find((l) => l.startsWith(what))?.slice(what.length) ?? '';
    expect(line(before, 'Last reconfiguration on')).toBe(line(before, 'Last reboot on'));
    n.wren.spec = { ...n.wren.spec, extra: { control: { birdSocket: n.v4, birdSocket6: n.v6, birdVersion: 'v0.3.3+birdv1.6.8' } } };
    n.wren.writeConfig();
    n.wren.cli('reload');
    const after = client('birdcl', ['-s', n.v4, 'show', 'status']).out;
    expect(after.startsWith('BIRD v0.3.3+birdv1.6.8 ready.\nBIRD v0.3.3+birdv1.6.8\n')).toBe(true);
    expect(line(after, 'Last reboot on')).toBe(line(before, 'Last reboot on'));
    expect(line(after, 'Last reconfiguration on') > line(after, 'Last reboot on')).toBe(true);
  }, 120_000);
});

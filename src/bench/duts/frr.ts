/**
 * FRR as the DUT: a private zebra + bgpd in the namespace (paths as in test/netns/lib/frr.ts: own
 * zserv socket, vty sockets and pid files; run as the `frr` user, which is in the frrvty group).
 * bgpd runs with `-n` (no FIB install) unless the scenario installs routes; zebra always runs
 * (bgpd learns connected networks from it, which iBGP next-hop tracking needs). Measured: bgpd, and
 * zebra too when it installs routes.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec, tryExec, type BenchLab } from '../netns.js';
import { waitReady, type Dut, type DutSpec } from './types.js';

const FRR_BIN = '/usr/lib/frr';
const FRR_USER = 'frr';
/** RTPROT_BGP: zebra installs BGP routes as `proto bgp`. */
const FRR_PROTOCOL = 186;

/**
 * `no bgp ebgp-requires-policy` (accept-all on eBGP), one peer group for every neighbour (passive,
 * MRAI 0, long hold time; route-reflector-client in the reflector scenario).
 */
export function frrBgpdConfig(spec: DutSpec): string {
  const keep = Math.max(1, Math.floor(spec.holdTime / 3));
  const out = ['frr defaults traditional', 'hostname dut', '!', `router bgp ${spec.asn}`, ` bgp router-id ${spec.routerId}`];
  out.push(' no bgp ebgp-requires-policy', ' no bgp default ipv4-unicast', ` timers bgp ${keep} ${spec.holdTime}`);
  const groups = new Map<string, { asn: number; rrClient: boolean }>();
  for (const n of spec.neighbors) {
    const g = `G${n.asn}${n.rrClient ? 'RR' : ''}`;
    if (!groups.has(g)) {
      groups.set(g, { asn: n.asn, rrClient: n.rrClient === true });
      out.push(` neighbor ${g} peer-group`, ` neighbor ${g} remote-as ${n.asn}`, ` neighbor ${g} passive`, ` neighbor ${g} advertisement-interval 0`);
    }
    out.push(` neighbor ${n.address} peer-group ${g}`);
  }
  out.push(' !', ' address-family ipv4 unicast');
  for (const [g, v] of groups) {
    out.push(`  neighbor ${g} activate`);
    if (v.rrClient) out.push(`  neighbor ${g} route-reflector-client`);
  }
  out.push(' exit-address-family', 'exit', '!');
  return `${out.join('\n')}\n`;
}

/** True when `show bgp ipv4 unicast summary json` lists `count` peers and none of them is Idle. */
export function allStarted(json: string, count: number): boolean {
  let j: { peers?: Record<string, { state?: string }>; ipv4Unicast?: { peers?: Record<string, { state?: string }> } };
  try {
    j = JSON.parse(json) as typeof j;
  } catch {
    return false;
  }
  const peers = Object.values(j.ipv4Unicast?.peers ?? j.peers ?? {});
  return peers.length === count && peers.every((p) => p.state !== undefined && p.state !== 'Idle');
}

export async function startFrr(lab: BenchLab, spec: DutSpec): Promise<Dut> {
  const dir = join(lab.dir, 'frr');
  mkdirSync(dir, { recursive: true });
  chmodSync(lab.dir, 0o755);
  const f = (name: string): string => join(dir, name);
  writeFileSync(f('zebra.conf'), 'hostname dut\n');
  writeFileSync(f('bgpd.conf'), frrBgpdConfig(spec));
  exec(null, 'chown', ['-R', `${FRR_USER}:${FRR_USER}`, dir]);
  const common = ['-u', FRR_USER, '-g', FRR_USER, '-z', f('zserv.api'), '--vty_socket', dir, '-P', '0', '--log-level', 'warnings'];
  const logs = [f('bgpd.log'), f('bgpd.out'), f('zebra.log'), f('zebra.out')];
  const zebra = lab.spawn(spec.ns, 'zebra', join(FRR_BIN, 'zebra'), [...common, '-f', f('zebra.conf'), '-i', f('zebra.pid'), '--log', `file:${f('zebra.log')}`], {
    logFile: f('zebra.out'),
  });
  await waitReady('zebra', [zebra], logs, () => existsSync(f('zserv.api')) && existsSync(f('zebra.vty')));
  const bgpd = lab.spawn(
    spec.ns,
    'bgpd',
    join(FRR_BIN, 'bgpd'),
    [...common, '-f', f('bgpd.conf'), '-i', f('bgpd.pid'), '--log', `file:${f('bgpd.log')}`, ...(spec.kernel ? [] : ['-n'])],
    { logFile: f('bgpd.out') },
  );
  // Ready once every neighbour has left Idle (bgpd starts them on a timer about a second after
  // startup): a connection accepted around that moment was seen closed right after Established.
  const vty = ['--vty_socket', dir, '-d', 'bgpd', '-c', 'show bgp ipv4 unicast summary json'];
  await waitReady('bgpd', [zebra, bgpd], logs, () => existsSync(f('bgpd.vty')) && allStarted(tryExec(null, 'vtysh', vty, 10_000).stdout, spec.neighbors.length));
  return {
    kind: 'frr',
    measured: spec.kernel ? [bgpd, zebra] : [bgpd],
    processes: [bgpd, zebra],
    sendsEndOfRib: true,
    kernelProtocol: FRR_PROTOCOL,
    logFiles: logs,
    stop: async () => {
      await bgpd.stop(10_000);
      await zebra.stop(10_000);
    },
  };
}

/**
 * GoBGP as the DUT: `gobgpd -f DIR/gobgpd.toml -t toml --api-hosts 127.0.0.1:50051` (the
 * namespace's own loopback), ready when `gobgp global` answers. GoBGP has no FIB of its own, so it
 * takes no part in the kernel scenario.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tryExec, type BenchLab } from '../netns.js';
import { waitReady, type Dut, type DutSpec } from './types.js';

const API = '127.0.0.1:50051';

/** Default policies accept everything; every neighbour passive, IPv4 unicast, long hold time. */
export function gobgpConfig(spec: DutSpec): string {
  const keep = Math.max(1, Math.floor(spec.holdTime / 3));
  const out = ['[global.config]', `  as = ${spec.asn}`, `  router-id = "${spec.routerId}"`, '  port = 179'];
  for (const n of spec.neighbors) {
    out.push('[[neighbors]]', '  [neighbors.config]', `    neighbor-address = "${n.address}"`, `    peer-as = ${n.asn}`);
    out.push('  [neighbors.timers.config]', `    hold-time = ${spec.holdTime}`, `    keepalive-interval = ${keep}`);
    out.push('  [neighbors.transport.config]', '    passive-mode = true');
    if (n.rrClient) out.push('  [neighbors.route-reflector.config]', '    route-reflector-client = true', `    route-reflector-cluster-id = "${spec.routerId}"`);
    out.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', '      afi-safi-name = "ipv4-unicast"');
  }
  return `${out.join('\n')}\n`;
}

export async function startGobgp(lab: BenchLab, spec: DutSpec): Promise<Dut> {
  if (spec.kernel) throw new Error('gobgp: GoBGP does not program the kernel FIB');
  const dir = join(lab.dir, 'gobgp');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'gobgpd.toml');
  const log = join(dir, 'gobgpd.log');
  writeFileSync(config, gobgpConfig(spec));
  const p = lab.spawn(spec.ns, 'gobgpd', 'gobgpd', ['-f', config, '-t', 'toml', '--api-hosts', API, '--pprof-disable', '-l', 'warn'], { logFile: log });
  await waitReady('gobgpd', [p], [log], () => tryExec(spec.ns, 'gobgp', ['-u', '127.0.0.1', '-p', '50051', 'global'], 5000).status === 0);
  return { kind: 'gobgp', measured: [p], processes: [p], sendsEndOfRib: false,
    kernelProtocol: 0, logFiles: [log], stop: () => p.stop(10_000) };
}

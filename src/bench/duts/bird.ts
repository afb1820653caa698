/** BIRD 2 as the DUT: `bird -f -c DIR/bird.conf -s DIR/bird.ctl`, ready when `birdc show status` says so. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec, tryExec, type BenchLab } from '../netns.js';
import { waitReady, type Dut, type DutSpec } from './types.js';

/** RTPROT_BIRD. */
const BIRD_PROTOCOL = 12;

/**
 * One template for all neighbours: passive, import and export everything. `gateway direct` so that
 * iBGP next hops on the connected segment resolve without an IGP (the reflector scenario); eBGP
 * uses it by default. `protocol device` lets BIRD see interfaces; `protocol kernel` only when the
 * scenario installs routes.
 */
export function birdConfig(spec: DutSpec, log: string): string {
  const lines = [
    `log "${log}" { warning, error, fatal };`,
    `router id ${spec.routerId};`,
    'protocol device { scan time 10; }',
  ];
  if (spec.kernel) lines.push('protocol kernel { ipv4 { export all; }; }');
  lines.push(
    'template bgp peer {',
    `  local as ${spec.asn};`,
    '  passive on;',
    '  direct;',
    `  hold time ${spec.holdTime};`,
    '  ipv4 { import all; export all; gateway direct; };',
    '}',
  );
  spec.neighbors.forEach((n, i) => {
    lines.push(`protocol bgp n${i} from peer { neighbor ${n.address} as ${n.asn};${n.rrClient ? ' rr client;' : ''} }`);
  });
  return `${lines.join('\n')}\n`;
}

export async function startBird(lab: BenchLab, spec: DutSpec): Promise<Dut> {
  const dir = join(lab.dir, 'bird');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'bird.conf');
  const socket = join(dir, 'bird.ctl');
  const log = join(dir, 'bird.log');
  const out = join(dir, 'bird.out');
  writeFileSync(config, birdConfig(spec, log));
  exec(null, 'bird', ['-p', '-c', config]);
  const p = lab.spawn(spec.ns, 'bird', 'bird', ['-f', '-c', config, '-s', socket, '-P', join(dir, 'bird.pid')], { logFile: out });
  await waitReady('bird', [p], [log, out], () => existsSync(socket) && tryExec(null, 'birdc', ['-s', socket, 'show', 'status'], 5000).stdout.includes('up and running'));
  return { kind: 'bird', measured: [p], processes: [p], sendsEndOfRib: true,
    kernelProtocol: BIRD_PROTOCOL, logFiles: [log, out], stop: () => p.stop(10_000) };
}

/** wren as the DUT: `node dist/cli/main.js run --config DIR/wren.json` (optionally with --cpu-prof). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from '../../control/client.js';
import type { BenchLab } from '../netns.js';
import { waitReady, type Dut, type DutSpec } from './types.js';

export const WREN_CLI = join(import.meta.dirname, '..', '..', 'cli', 'main.js');

/** RTPROT_BIRD (12): wren's default `kernel.protocol`. */
const WREN_PROTOCOL = 12;

export function wrenConfig(spec: DutSpec, socket: string): Record<string, unknown> {
  return {
    routerId: spec.routerId,
    asn: spec.asn,
    listen: { address: '0.0.0.0', port: 179 },
    timers: { holdTime: spec.holdTime },
    // RFC 8212 off: eBGP sessions accept and announce everything, like the other DUTs' configs.
    ebgpRequiresPolicy: false,
    peers: spec.neighbors.map((n) => ({
      address: n.address,
      asn: n.asn,
      passive: true,
      families: ['ipv4-unicast'],
      ...(n.rrClient ? { routeReflectorClient: true } : {}),
    })),
    gracefulRestart: { enabled: false },
    kernel: spec.kernel ? { enabled: true, protocol: WREN_PROTOCOL, withdrawOnStop: true, blackhole: false } : { enabled: false },
    control: { socket },
    log: { level: 'warn' },
  };
}

export async function startWren(lab: BenchLab, spec: DutSpec): Promise<Dut> {
  const dir = join(lab.dir, 'wren');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'wren.json');
  const socket = join(dir, 'wren.sock');
  const log = join(dir, 'wren.log');
  writeFileSync(config, `${JSON.stringify(wrenConfig(spec, socket), null, 2)}\n`);
  const prof = spec.cpuProfileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', spec.cpuProfileDir];
  const p = lab.spawn(spec.ns, 'wren', process.execPath, [...prof, WREN_CLI, 'run', '--config', config], { logFile: log });
  await waitReady('wren', [p], [log], async () => (await request(socket, { cmd: 'show-peers' }, 2000)).ok);
  return {
    kind: 'wren',
    measured: [p],
    processes: [p],
    sendsEndOfRib: true,
    kernelProtocol: WREN_PROTOCOL,
    logFiles: [log],
    // wren bounds its own shutdown at 10 s; a CPU profile is written on the way out.
    stop: () => p.stop(20_000),
  };
}

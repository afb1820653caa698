/**
 * The lab's wren daemons: one per host namespace, full iBGP mesh (AS 64512, as Calico's default),
 * each originating its pod block (IPv4, plus an IPv6 block to show IPv6 programming), installing
 * learned routes as `proto bird`, with a blackhole for its own block. Files live in
 * /run/wren-lab/<name>/: each host's config, control socket, log and the PID `down` stops.
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PeerStatus } from '../../src/control/protocol.js';
import { request } from '../../src/control/client.js';
import { tryExec } from '../kit/netns.js';
import { WREN_CLI } from '../kit/paths.js';
import { waitFor } from '../kit/wait.js';
import { buildNamespaces, standingLab, type LabNode, type Topology } from './topology.js';

export interface LabRun {
  readonly topology: Topology;
  readonly dir: string;
  readonly pids: readonly number[];
}

export const labDir = (name: string): string => `/run/wren-lab/${name}`;

/** Where each host's wren serves /metrics, /livez and /readyz: loopback of the host's own namespace. */
export const LAB_METRICS = '127.0.0.1:9179';

/** Host i's BIRD-compatible control socket (docs/bird-socket.md). */
export const birdSocketPath = (dir: string, index: number): string => join(dir, `h${index}.bird.ctl`);

export function nodeConfig(t: Topology, n: LabNode, dir: string): unknown {
  return {
    routerId: n.hostAddress,
    asn: 64512,
    listen: { address: '::', port: 179 },
    // Short timers so a lost peer is noticed quickly in the lab.
    timers: { holdTime: 9, keepaliveTime: 3, connectRetryTime: 5, idleHoldTime: 1, idleHoldMaxTime: 10 },
    originate: [n.podBlock, n.podBlock6],
    peers: t.nodes
      .filter((o) => o.index !== n.index)
      .map((o) => ({ name: o.hostNs, address: o.hostAddress, asn: 64512, localAddress: n.hostAddress })),
    kernel: { enabled: true, protocol: 'bird', blackhole: true, convergenceTimeout: 30 },
    // birdc/calicoctl/bird_exporter read the BIRD-compatible socket; curl the metrics inside the host's namespace.
    control: { socket: join(dir, `h${n.index}.sock`), birdSocket: birdSocketPath(dir, n.index) },
    metrics: { listen: LAB_METRICS },
    log: { level: 'info' },
  };
}

/** Builds the namespaces and starts wren on every host, detached: they run on after this process exits. */
export function startLab(t: Topology): LabRun {
  const dir = labDir(t.name);
  rmSync(dir, { recursive: true, force: true });
  const lab = standingLab(t, dir);
  buildNamespaces(lab, t);
  const pids: number[] = [];
  for (const n of t.nodes) {
    const cfgPath = join(dir, `h${n.index}.json`);
    writeFileSync(cfgPath, `${JSON.stringify(nodeConfig(t, n, dir), null, 2)}\n`);
    const p = lab.spawn(n.hostNs, process.execPath, [WREN_CLI, 'run', '--config', cfgPath], { logFile: join(dir, `h${n.index}.log`), name: `wren in ${n.hostNs}` });
    writeFileSync(join(dir, `h${n.index}.pid`), `${p.pid}\n`);
    pids.push(p.pid);
  }
  return { topology: t, dir, pids };
}

/** Stops the lab's daemons by the PIDs recorded at start (SIGTERM, then SIGKILL after 5 s). */
export async function stopDaemons(name: string): Promise<number> {
  const dir = labDir(name);
  if (!existsSync(dir)) return 0;
  let stopped = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.pid'))) {
    const pid = Number(readFileSync(join(dir, f), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1 || !isOurDaemon(pid)) continue;
    try {
      process.kill(pid, 'SIGTERM');
      stopped++;
    } catch {
      continue;
    }
    try {
      await waitFor(() => !alive(pid), { what: `wren (pid ${pid}) to exit`, timeoutMs: 5000, intervalMs: 50 });
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return stopped;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Only signal a PID that is still a wren started by the lab (PIDs get reused). */
function isOurDaemon(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('cli/main.js');
  } catch {
    return false;
  }
}

export async function peersOf(dir: string, index: number): Promise<PeerStatus[] | null> {
  try {
    const r = await request(join(dir, `h${index}.sock`), { cmd: 'show-peers' }, 2000);
    return r.ok ? (r.result as PeerStatus[]) : null;
  } catch {
    return null;
  }
}

export function birdRoutes(ns: string, family: 4 | 6): string[] {
  return tryExec(null, 'ip', ['-n', ns, `-${family}`, 'route', 'show', 'proto', 'bird'])
    .stdout.split('\n')
    .filter((l) => l.trim() !== '');
}

/** Polls until every session is Established and every host has every other host's block as `proto bird`. */
export async function waitForConvergence(r: LabRun, timeoutMs: number): Promise<{ ok: true } | { ok: false; why: string }> {
  let why = 'not started';
  try {
    await waitFor(
      async () => {
        why = await convergenceGap(r);
        return why === '';
      },
      { what: 'the lab to converge', timeoutMs, intervalMs: 250 },
    );
    return { ok: true };
  } catch {
    return { ok: false, why };
  }
}

async function convergenceGap(r: LabRun): Promise<string> {
  for (const n of r.topology.nodes) {
    const peers = await peersOf(r.dir, n.index);
    if (!peers) return `${n.hostNs}: control socket not answering yet`;
    const down = peers.filter((p) => p.state !== 'Established');
    if (down.length > 0) return `${n.hostNs}: sessions not Established: ${down.map((p) => `${p.address} ${p.state}`).join(', ')}`;
    const routes = birdRoutes(n.hostNs, 4).join('\n');
    for (const o of r.topology.nodes) {
      if (o.index !== n.index && !routes.includes(`${o.podBlock} via ${o.hostAddress}`)) return `${n.hostNs}: no route to ${o.podBlock} yet`;
    }
  }
  return '';
}

/** What a newcomer wants to see once the lab is up: sessions, `ip route` with `proto bird`, ping, tracepath. */
import { formatPeers } from '../../src/cli/format.js';
import { tryExec } from '../kit/netns.js';
import { birdSocketPath, LAB_METRICS, peersOf, type LabRun } from './daemons.js';

const heading = (t: string): void => console.log(`\n=== ${t} ${'='.repeat(Math.max(0, 72 - t.length))}`);

export async function printReport(r: LabRun): Promise<void> {
  for (const n of r.topology.nodes) {
    heading(`${n.hostNs} (host ${n.hostAddress}, pod block ${n.podBlock}): wren show peers`);
    const peers = await peersOf(r.dir, n.index);
    console.log(peers ? formatPeers(peers) : '(control socket not answering)');
    heading(`${n.hostNs}: ip route`);
    process.stdout.write(tryExec(null, 'ip', ['-n', n.hostNs, 'route']).stdout);
    heading(`${n.hostNs}: ip -6 route show proto bird`);
    process.stdout.write(tryExec(null, 'ip', ['-n', n.hostNs, '-6', 'route', 'show', 'proto', 'bird']).stdout);
  }
}

/**
 * What an operator's tools see on host 0: /readyz and the session metrics (curl inside the host's
 * namespace), and `birdc show protocols` on the BIRD-compatible socket (when bird2's birdc is installed).
 */
export function printOperations(r: LabRun): void {
  const n = r.topology.nodes[0];
  if (!n) return;
  heading(`${n.hostNs}: curl http://${LAB_METRICS}/readyz?verbose`);
  process.stdout.write(tryExec(n.hostNs, 'curl', ['-s', '--max-time', '5', `http://${LAB_METRICS}/readyz?verbose`]).stdout);
  heading(`${n.hostNs}: curl http://${LAB_METRICS}/metrics | grep wren_bgp_session_up`);
  const metrics = tryExec(n.hostNs, 'curl', ['-s', '--max-time', '5', `http://${LAB_METRICS}/metrics`]).stdout;
  console.log(metrics.split('\n').filter((l) => l.startsWith('wren_bgp_session_up{')).join('\n'));
  heading(`${n.hostNs}: birdc -s ${birdSocketPath(r.dir, n.index)} show protocols`);
  const birdc = tryExec(null, 'birdc', ['-s', birdSocketPath(r.dir, n.index), 'show', 'protocols'], { timeoutMs: 10_000 });
  process.stdout.write(birdc.status === 0 ? birdc.stdout : `(birdc not available: ${birdc.stderr.trim() || 'not installed'})\n`);
}

/** Pod 0 pings every other pod (ttl 62: two routed hops, as in the seed); tracepath to the last. */
export function pingPods(r: LabRun): boolean {
  const [first, ...others] = r.topology.nodes;
  if (!first) return false;
  let ok = true;
  for (const o of others) {
    heading(`${first.podNs} (${first.podAddress}) -> ${o.podNs} (${o.podAddress}): ping`);
    const out = tryExec(first.podNs, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', o.podAddress]).stdout;
    process.stdout.write(out);
    if (!/ 0% packet loss/.test(out)) ok = false;
  }
  const last = others[others.length - 1];
  if (last) {
    heading(`${first.podNs} -> ${last.podNs}: tracepath -n ${last.podAddress}`);
    process.stdout.write(tryExec(first.podNs, 'tracepath', ['-n', '-m', '5', last.podAddress], { timeoutMs: 30_000 }).stdout);
  }
  console.log(ok ? '\nPods reach each other through routes wren learned over BGP (proto bird).' : '\nPING FAILED between pods.');
  return ok;
}

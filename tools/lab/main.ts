#!/usr/bin/env node
/**
 * `npm run lab` — the seed's two-host Calico lab with wren on each host, in network namespaces.
 *
 *   npm run lab                      build it, start wren on every host, show sessions, routes, ping, tracepath
 *   npm run lab -- --nodes 4         a bigger full mesh
 *   npm run lab -- --datastore etcd  the same lab driven by etcd: wren gets only a node name and the
 *                                    etcd endpoint; nodes register, claim their blocks, mesh
 *   npm run lab -- --datastore etcd --add-node   one more host in the running etcd-driven lab
 *   npm run lab -- down              stop the daemons and remove every namespace
 *   npm run lab -- status            sessions and routes of a running lab
 *
 * Runs as root. Touches nothing outside the namespaces it creates (names start with --name, default
 * "wlab"). Running it twice is safe: an existing lab of the same name is removed first.
 */
import { Command, InvalidArgumentError } from 'commander';
import { netnsProblem } from '../kit/netns.js';
import { describeLab, destroyNamespaces, existingNamespaces, type Topology } from './topology.js';
import { birdSocketPath, LAB_METRICS, labDir, startLab, stopDaemons, waitForConvergence, type LabRun } from './daemons.js';
import { addNode, upDatastore } from './datastore.js';
import { printOperations, printReport, pingPods } from './report.js';

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 2 || n > 50) throw new InvalidArgumentError('expected an integer 2..50');
  return n;
};
const labName = (v: string): string => {
  if (!/^[a-z][a-z0-9]{0,7}$/.test(v)) throw new InvalidArgumentError('expected 1-8 lower-case letters/digits, starting with a letter');
  return v;
};

function preflight(): void {
  const why = netnsProblem();
  if (why !== null) throw new Error(`the lab needs Linux network namespaces and root (run it with sudo): ${why}`);
}

async function up(opts: { nodes: number; name: string; timeout: number; datastore?: string; addNode?: boolean }): Promise<number> {
  preflight();
  if (opts.addNode === true) {
    if (opts.datastore !== 'etcd') throw new InvalidArgumentError('--add-node needs --datastore etcd');
    return addNode(opts.name, opts.timeout * 1000);
  }
  await down(opts.name, true);
  if (opts.datastore === 'etcd') {
    console.log(`Building the Calico lab "${opts.name}" driven by etcd: ${opts.nodes} hosts and etcd on one L2 segment (192.168.1.0/24), one pod per host`);
    try {
      const code = await upDatastore(opts.name, opts.nodes, opts.timeout * 1000);
      console.log(`\nThe lab is running. Add a host: npm run lab -- --datastore etcd --add-node${opts.name !== 'wlab' ? ` --name ${opts.name}` : ''}\nLook around: node dist/cli/main.js show datastore --socket /run/wren-lab/${opts.name}/h0.sock\nRemove it: npm run lab -- down${opts.name !== 'wlab' ? ` --name ${opts.name}` : ''}`);
      return code;
    } catch (err) {
      console.error(`lab failed: ${err instanceof Error ? err.message : String(err)}\ndaemon logs: /run/wren-lab/${opts.name}/*.log`);
      return 1;
    }
  }
  const topology: Topology = describeLab(opts.name, opts.nodes);
  console.log(`Building the Calico lab "${topology.name}": ${topology.nodes.length} hosts on one L2 segment (192.168.1.0/24), one pod per host`);
  let run: LabRun | undefined;
  try {
    run = startLab(topology);
    console.log(`wren started on ${topology.nodes.map((n) => n.hostNs).join(', ')}; waiting for sessions and routes (up to ${opts.timeout} s)...`);
    const converged = await waitForConvergence(run, opts.timeout * 1000);
    await printReport(run);
    printOperations(run);
    const pingOk = pingPods(run);
    if (!converged.ok) {
      console.log(`\nNOT CONVERGED: ${converged.why}`);
      console.log(`daemon logs: ${run.dir}/*.log`);
    }
    console.log(`\nThe lab is running. Look around:\n  ip netns exec ${topology.nodes[0]?.hostNs} ip route\n  node dist/cli/main.js show peers --socket ${run.dir}/h0.sock\n  ip netns exec ${topology.nodes[0]?.hostNs} curl -s ${LAB_METRICS}/metrics\n  birdc -s ${birdSocketPath(run.dir, 0)} show protocols all\nRemove it: npm run lab -- down${opts.name !== 'wlab' ? ` --name ${opts.name}` : ''}`);
    return converged.ok && pingOk ? 0 : 1;
  } catch (err) {
    console.error(`lab failed: ${err instanceof Error ? err.message : String(err)}`);
    if (run) console.error(`daemon logs: ${run.dir}/*.log`);
    return 1;
  }
}

async function down(name: string, quiet = false): Promise<number> {
  const stopped = await stopDaemons(name);
  const gone = destroyNamespaces(name);
  if (!quiet) console.log(`lab "${name}": stopped ${stopped} daemon(s), removed ${gone.length} namespace(s)`);
  return 0;
}

async function status(name: string): Promise<number> {
  preflight();
  const ns = existingNamespaces(name);
  if (ns.length === 0) {
    console.log(`no lab "${name}" is running (start one with: npm run lab)`);
    return 1;
  }
  const count = ns.filter((n) => /-h\d+$/.test(n)).length;
  await printReport({ topology: describeLab(name, count), dir: labDir(name), pids: [] });
  return 0;
}

// Positional options: `down --name X` must give --name to `down`, not to the root command.
const program = new Command('lab').description("the seed's Calico lab in network namespaces, with wren on each host").enablePositionalOptions();
program
  .option('--nodes <n>', 'hosts in the full mesh', positiveInt, 2)
  .option('--name <prefix>', 'namespace name prefix', labName, 'wlab')
  .option('--timeout <seconds>', 'how long to wait for convergence', positiveInt, 60)
  .option('--datastore <type>', 'drive the lab from a datastore: "etcd" (Debian etcd-server in its own namespace)', (v: string) => {
    if (v !== 'etcd') throw new InvalidArgumentError('the only datastore is "etcd"');
    return v;
  })
  .option('--add-node', 'with --datastore etcd: add one host to the running lab', false)
  .action(async (o: { nodes: number; name: string; timeout: number; datastore?: string; addNode?: boolean }) => {
    process.exitCode = await up(o);
  });
program
  .command('down')
  .description('stop the daemons and remove every namespace of the lab')
  .option('--name <prefix>', 'namespace name prefix', labName, 'wlab')
  .action(async (o: { name: string }) => {
    process.exitCode = await down(o.name);
  });
program
  .command('status')
  .description('sessions and routes of a running lab')
  .option('--name <prefix>', 'namespace name prefix', labName, 'wlab')
  .action(async (o: { name: string }) => {
    process.exitCode = await status(o.name);
  });

await program.parseAsync(process.argv);

/**
 * The lab driven by etcd as an operator runs it (`npm run lab -- --datastore etcd`, i.e.
 * `node dist-tools/tools/lab/main.js`), under a name of its own: two hosts register, claim their
 * blocks from the pool, mesh, and pods ping; `--add-node` adds a third whose session appears on
 * both others (theirs kept); `down --name` leaves no namespace and no process of the lab.
 *
 * The lab CLI starts its daemons (and etcd) detached, so the cleanup here does not rely on it:
 * every process inside one of the lab's namespaces is killed by PID and each namespace deleted.
 * Run: npx vitest run --project netns test/netns/lab-datastore.netns.test.ts   (as root, after npm run build)
 */
import { spawnSync } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { WREN_CLI } from '../../tools/kit/paths.js';
import { fibRoutes } from './lib/fib.js';
import { labNamespaces, labProcesses, labRunDir, removeLab, runLab } from './lib/lab-cli.js';
import { describeNetns, NETNS, programs } from './lib/requirements.js';

const NAME = `d${process.pid.toString(36)}`.slice(0, 8);
const RUN_DIR = labRunDir(NAME);

const host = (i: number): string => `${NAME}-h${i}`;
const hostAddr = (i: number): string => `192.168.1.${10 + i}`;
/** Host i's claimed block, read back from the lab's own report ("pod block X"). */
const blockIn = (out: string, i: number): string => new RegExp(`=== ${host(i)} \\(host [0-9.]+, pod block ([0-9./]+)\\)`).exec(out)?.[1] ?? '?';

describeNetns(`npm run lab -- --datastore etcd (lab "${NAME}")`, [NETNS, programs('etcd', 'etcdctl', 'ping', 'tracepath')], () => {
  process.once('exit', () => removeLab(NAME));
  afterAll(() => {
    removeLab(NAME);
    expect(labNamespaces(NAME)).toEqual([]);
  });

  it('two hosts with only a node name and the etcd endpoint register, claim their blocks, mesh, and pods ping', () => {
    removeLab(NAME);
    const t0 = Date.now();
    const r = runLab('--datastore', 'etcd', '--name', NAME, '--nodes', '2', '--timeout', '40');
    console.log(`lab --datastore etcd --nodes 2: exit ${r.status} after ${Date.now() - t0} ms`);
    expect(r.status, r.out).toBe(0);
    expect(r.out).not.toContain('NOT CONVERGED');
    expect(r.out).toMatch(/register +created \(192\.168\.1\.10\/24\)/);
    expect(r.out).toMatch(/block claim +172\.16\.\d+\.\d+\/26 \(claimed/);
    const b = [blockIn(r.out, 0), blockIn(r.out, 1)];
    expect(b[0]).not.toBe(b[1]);
    for (const [i, o] of [
      [0, 1],
      [1, 0],
    ] as const) {
      const routes = fibRoutes(host(i)).filter((x) => x.protocol === 'bird');
      expect(routes.find((x) => x.prefix === b[o])?.gateways, `${host(i)}`).toEqual([hostAddr(o)]);
      expect(routes.find((x) => x.prefix === b[i])?.type).toBe('blackhole');
    }
    expect(r.out).toMatch(/3 packets transmitted, 3 received, 0% packet loss/);
    expect(r.out).toMatch(/Mesh_192_168_1_11 +Mesh_192_168_1_11\n/);
  });

  it('--add-node adds a third host: it registers and claims, both others add its session, all pods ping', () => {
    const peersOf = (i: number): { address: string; uptimeSec: number; state: string }[] =>
      JSON.parse(spawnSync(process.execPath, [WREN_CLI, 'show', 'peers', '--json', '--socket', `${RUN_DIR}/h${i}.sock`], { encoding: 'utf8' }).stdout || '[]') as { address: string; uptimeSec: number; state: string }[];
    const t0 = Date.now();
    const before = peersOf(0).find((p) => p.address === hostAddr(1));
    const r = runLab('--datastore', 'etcd', '--add-node', '--name', NAME, '--timeout', '40');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('host h2 (192.168.1.12) added');
    for (const i of [0, 1]) {
      const section = r.out.split(`=== ${host(i)} (host`)[1]?.split('===')[0] ?? '';
      expect(section.match(/Established/g), r.out).toHaveLength(2);
    }
    expect(r.out.match(/ 0% packet loss/g)).toHaveLength(2);
    // h0's session with h1 was not touched by the join.
    const after = peersOf(0).find((p) => p.address === hostAddr(1));
    expect(after?.state).toBe('Established');
    expect(after?.uptimeSec ?? -1).toBeGreaterThanOrEqual((before?.uptimeSec ?? 0) + Math.floor((Date.now() - t0) / 1000) - 1);
  });

  it('`down --name` stops etcd and every wren of the lab and removes all its namespaces', () => {
    const r = runLab('down', '--name', NAME);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain(`lab "${NAME}": stopped 3 daemon(s), removed 8 namespace(s)`);
    expect(labNamespaces(NAME)).toEqual([]);
    expect(labProcesses(NAME)).toEqual([]);
  });
});

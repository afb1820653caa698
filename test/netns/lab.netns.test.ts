/**
 * The lab CLI as CI runs it (`npm run lab`, i.e. `node dist-tools/tools/lab/main.js`), under a name of its own:
 * two hosts (sessions Established, `proto bird` routes on both, pods ping with 0% loss, tracepath
 * reaches the other pod), then three, then `status` and `down --name`, after which no namespace and
 * no wren process of that lab may remain.
 *
 * The lab CLI starts its daemons detached, so the cleanup here does not rely on it: every process
 * inside one of the lab's namespaces (`ip netns pids`) is killed by PID and each namespace deleted.
 * Run: npx vitest run --project netns test/netns/lab.netns.test.ts   (as root, after npm run build)
 */
import { afterAll, expect, it } from 'vitest';
import { fibRoutes, type FibRoute } from './lib/fib.js';
import { labNamespaces, labProcesses, removeLab, runLab } from './lib/lab-cli.js';
import { describeNetns, NETNS } from './lib/requirements.js';

/** The lab accepts 1-8 lower-case letters/digits; the PID keeps parallel runs apart. */
const NAME = `t${process.pid.toString(36)}`.slice(0, 8);

/** The report's sections by heading ("=== <heading> ====..."). */
function sections(out: string): Map<string, string> {
  const map = new Map<string, string>();
  const parts = out.split(/^=== (.*?) =*$/m);
  for (let i = 1; i + 1 < parts.length; i += 2) map.set(parts[i] ?? '', parts[i + 1] ?? '');
  return map;
}
const section = (s: Map<string, string>, start: string): string => [...s].find(([h]) => h.startsWith(start))?.[1] ?? `(no section "${start}")`;

const host = (i: number): string => `${NAME}-h${i}`;
const hostAddr = (i: number): string => `192.168.1.${10 + i}`;
const podBlock = (i: number): string => `172.16.${i}.0/24`;

/** Host i's FIB: the other hosts' blocks via their addresses, a blackhole for its own, all proto bird. */
function expectLabFib(i: number, nodes: number): void {
  const all = fibRoutes(host(i));
  const show = (r: FibRoute): string => `${r.prefix} ${r.type === 'blackhole' ? 'blackhole' : `via ${r.gateways.join(',')}`} proto ${r.protocol}`;
  const ours = all.filter((r) => r.protocol === 'bird' && !r.prefix.includes(':')).map(show).sort();
  const want = Array.from({ length: nodes }, (_, j) => (j === i ? `${podBlock(j)} blackhole proto bird` : `${podBlock(j)} via ${hostAddr(j)} proto bird`)).sort();
  expect(ours, `${host(i)}: ${all.map(show).join('; ')}`).toEqual(want);
  // IPv6 blocks too: one blackhole and nodes-1 routes.
  expect(all.filter((r) => r.protocol === 'bird' && r.prefix.includes(':'))).toHaveLength(nodes);
}

describeNetns(`npm run lab (lab "${NAME}")`, [NETNS], () => {
  // Also when the worker is torn down mid-test (removeLab is synchronous).
  process.once('exit', () => removeLab(NAME));
  afterAll(() => {
    removeLab(NAME);
    expect(labNamespaces(NAME)).toEqual([]);
  });

  it('builds two hosts whose wren sessions are Established, installs proto bird routes on both, and pods ping each other', () => {
    removeLab(NAME);
    const t0 = Date.now();
    const r = runLab('--name', NAME, '--nodes', '2', '--timeout', '40');
    console.log(`lab --nodes 2: exit ${r.status} after ${Date.now() - t0} ms`);
    expect(r.status, r.out).toBe(0);
    expect(r.out).not.toContain('NOT CONVERGED');
    const s = sections(r.out);
    for (const [i, other] of [
      [0, 1],
      [1, 0],
    ] as const) {
      expect(section(s, `${host(i)} (host`), r.out).toMatch(new RegExp(`${hostAddr(other).replace(/\./g, '\\.')}\\s+64512\\s+Established`));
      expect(section(s, `${host(i)}: ip route`), r.out).toContain(`${podBlock(other)} via ${hostAddr(other)} dev eth0 proto bird`);
      expect(section(s, `${host(i)}: ip route`), r.out).toContain(`blackhole ${podBlock(i)} proto bird`);
      expectLabFib(i, 2);
    }
    // The operator's tools on host 0: /readyz ready, the session up in the metrics under Calico's
    // session name, and birdc listing the session on the BIRD-compatible socket.
    expect(section(s, `${host(0)}: curl http://127.0.0.1:9179/readyz`), r.out).toMatch(/^\[\+\]peers ok: 1\/1 configured peers Established\n(.|\n)*readyz check passed/m);
    expect(section(s, `${host(0)}: curl http://127.0.0.1:9179/metrics`), r.out).toContain(
      `wren_bgp_session_up{peer="${hostAddr(1)}",session="Mesh_192_168_1_11",asn="64512"} 1`,
    );
    expect(section(s, `${host(0)}: birdc`), r.out).toMatch(/Mesh_192_168_1_11\s+BGP\s+\S*\s+up\s+.*Established/);
    const ping = section(s, `${NAME}-p0 (172.16.0.10) -> ${NAME}-p1`);
    expect(ping, r.out).toMatch(/3 packets transmitted, 3 received, 0% packet loss/);
    expect(section(s, `${NAME}-p0 -> ${NAME}-p1: tracepath`), r.out).toMatch(/172\.16\.1\.10\s.*reached/);
  });

  it('answers `status --name` for that lab with its sessions', () => {
    const r = runLab('status', '--name', NAME);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain(`=== ${host(0)} (host`);
    expect(r.out).toMatch(/Established/);
  });

  it('rebuilds the lab with three hosts in a full mesh; pod 0 reaches both other pods', () => {
    const t0 = Date.now();
    const r = runLab('--name', NAME, '--nodes', '3', '--timeout', '40');
    console.log(`lab --nodes 3: exit ${r.status} after ${Date.now() - t0} ms`);
    expect(r.status, r.out).toBe(0);
    const s = sections(r.out);
    for (let i = 0; i < 3; i++) {
      expect(section(s, `${host(i)} (host`).match(/Established/g), r.out).toHaveLength(2);
      expectLabFib(i, 3);
    }
    for (const j of [1, 2]) expect(section(s, `${NAME}-p0 (172.16.0.10) -> ${NAME}-p${j}`), r.out).toMatch(/ 0% packet loss/);
    expect(section(s, `${NAME}-p0 -> ${NAME}-p2: tracepath`), r.out).toMatch(/reached/);
  });

  it('`down --name` stops every daemon of the lab and removes all its namespaces', () => {
    // `down` names no lab but the one it was given; until that holds (see the assertion on its
    // output below), refuse to run it while a default-named lab exists on this machine.
    const others = labNamespaces('wlab');
    if (others.length > 0) throw new Error(`a "wlab" lab is running (${others.join(', ')}); not running \`down --name ${NAME}\` next to it`);
    expect(labNamespaces(NAME).length).toBeGreaterThan(0);
    const r = runLab('down', '--name', NAME);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain(`lab "${NAME}": stopped 3 daemon(s), removed 7 namespace(s)`);
    expect(labNamespaces(NAME)).toEqual([]);
    expect(labProcesses(NAME)).toEqual([]);
  });
});

/**
 * "Never black-hole", part 1: a planned restart of wren must not withdraw its pod blocks at any peer.
 *
 * A two-node iBGP mesh as Calico builds it (AS 64512 on both sides, graceful restart on both): wren
 * in one namespace with kernel programming on, originating two IPv4 pod blocks and one IPv6 block,
 * and a helper in the other: BIRD 1.6 with calico-node's config (bird for IPv4 and bird6 for IPv6,
 * one session each), BIRD 2, FRR 8 (zebra installing into its kernel) and GoBGP 3 (with and without
 * the RFC 8538 N bit; no kernel). A sampler (lib/route-sampler.ts, a process of its own) reads the
 * helper's BGP table and its kernel FIB every 50 ms while wren gets SIGTERM and is started again
 * with the same config and files, until wren's sessions are Established again with End-of-RIB both
 * ways, and one second more. Not one sample may miss one of wren's blocks.
 *
 * The control: the same restart after SIGKILL (no NOTIFICATION; the kernel closes the connection)
 * loses nothing at any helper. That is what a planned restart must look like to a peer without the
 * N bit, and it shows the test can pass.
 *
 * The twin: a deliberate stop (`peer disable`, `wren stop --withdraw`, and SIGTERM with
 * `kernel.withdrawOnStop: true`) does
 * make the helper drop wren's blocks, from its table and its kernel, within a bound. The same
 * sampler sees them go, so the sampler is shown able to see a missing route.
 *
 * Before docs/decisions/0004-planned-restart.md wren sent Cease / Administrative Shutdown to every
 * peer on SIGTERM, and the restart test failed for BIRD 1.6, BIRD 2 and GoBGP without the N bit (they
 * drop a peer's routes on any NOTIFICATION); docs/restarts-and-failures.md has the numbers.
 *
 * Run as root after `npm run build` (and scripts/setup-bird1.sh for BIRD 1.6):
 *   npx vitest run --project netns test/netns/restart-no-drop.netns.test.ts
 */
import { expect } from 'vitest';
import { bird1MissingReason, bird1ProtocolName, startBird1, type Bird1Daemon } from '../../tools/daemons/bird1.js';
import { birdProtocolName, startBird, type BirdDaemon } from '../../tools/daemons/bird.js';
import { familyOf, waitEstablished, type BgpDaemon, type DaemonSpec, type Family, type NeighborSpec } from '../../tools/daemons/daemon.js';
import { startFrr, type FrrDaemon } from '../../tools/daemons/frr.js';
import { GOBGP_API_PORT, startGobgp } from '../../tools/daemons/gobgp.js';
import { askWren, interopNeeds, wrenLogTail } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { waitFor, type Lab } from './lib/netns.js';
import { BIRD_INSTALLED, describeNetns, FRR_INSTALLED, GOBGP_INSTALLED, itNeeds, requirement, type Requirement } from './lib/requirements.js';
import { RouteSampler, type Sample, type SampleView } from './lib/route-sampler.js';
import { startWren, type WrenDaemon } from '../../tools/daemons/wren.js';

const ASN = 64512;
const WREN = { v4: '10.0.0.1', v6: 'fd00:10::1' } as const;
const HELPER = { v4: '10.0.0.2', v6: 'fd00:10::2' } as const;
/** wren's pod blocks: what must never go missing at the helper during a restart. */
const BLOCKS = ['172.16.0.0/26', '172.16.0.64/26', 'fd00:172:16::/122'] as const;
/** The helper's own blocks (a mesh node has some; wren's End-of-RIB wait needs the helper's). */
const HELPER_BLOCKS = ['172.16.1.0/26', 'fd00:172:16:1::/122'];
const PERIOD_MS = 50;
/** A deliberate stop must have removed wren's blocks everywhere within this long. */
const DROP_BOUND_MS = 3000;
/** Sampling goes on this long after wren has converged (End-of-RIB both ways). */
const AFTER_MS = 1000;
/** Sessions must have been up this long before the restart. */
const STABLE_SEC = 2;

/** One view the sampler reads, and how to find a block of wren's in its output. */
interface View extends SampleView {
  /** The family of the blocks it shows ('both': one command lists both tables). */
  readonly family: Family | 'both';
  has(text: string, prefix: string): boolean;
}

interface Helper {
  readonly daemon: BgpDaemon;
  readonly views: readonly View[];
}

interface HelperCase {
  readonly title: string;
  /** Lab id and the helper's namespace tag. */
  readonly id: string;
  /** What the helper needs besides the lab (lib/requirements.ts). */
  readonly needs: readonly Requirement[];
  /** wren's neighbours (the helper's addresses) and the families of each session. */
  readonly wrenNeighbors: readonly NeighborSpec[];
  start(lab: Lab, ns: string): Promise<Helper>;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const lines = (text: string): string[] => text.split('\n');

/** `ip -4|-6 route show` inside the helper's namespace: a unicast route `<prefix> [nhid N] via ...`. */
function kernelView(family: Family): View {
  return {
    name: `kernel${family === 'ipv4' ? 4 : 6}`,
    argv: ['ip', family === 'ipv4' ? '-4' : '-6', 'route', 'show'],
    family,
    has: (text, prefix) => lines(text).some((l) => new RegExp(`^${escapeRe(prefix)} (nhid \\d+ )?via `).test(l)),
  };
}

/** `birdc show route` (BIRD 1.6 and 2): the prefix's line names the session's protocol, `[Mesh_10_0_0_1 ...`. */
const birdHas =
  (protocol: string) =>
  (text: string, prefix: string): boolean =>
    lines(text).some((l) => l.startsWith(`${prefix} `) && l.includes(`[${protocol} `));

/** The top-level JSON values in vtysh's output of several `-c` commands, one after the other. */
function jsonValues(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth++ === 0) start = i;
    } else if ((c === '}' || c === ']') && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
  }
  return out;
}

/** `show bgp ipv4|ipv6 unicast json` (FRR): a valid path for the prefix from wren (stale ones count). */
const frrHas = (text: string, prefix: string): boolean => {
  try {
    return jsonValues(text).some((t) =>
      ((t as { routes?: Record<string, readonly { valid?: boolean; peerId?: string }[]> }).routes?.[prefix] ?? []).some((p) => p.valid === true && p.peerId === WREN.v4),
    );
  } catch {
    return false;
  }
};

/** `gobgp global rib -a <afi> -j`: a path for the prefix from wren (stale ones count). */
const gobgpHas = (text: string, prefix: string): boolean => {
  try {
    return ((JSON.parse(text) as Record<string, readonly { 'neighbor-ip'?: string }[]>)[prefix] ?? []).some((p) => p['neighbor-ip'] === WREN.v4);
  } catch {
    return false;
  }
};

const helperSpec = (ns: string, more: Partial<DaemonSpec> = {}): DaemonSpec => ({
  ns,
  routerId: HELPER.v4,
  asn: ASN,
  neighbors: [{ address: WREN.v4, asn: ASN }],
  originate: HELPER_BLOCKS,
  kernel: true,
  gracefulRestart: true,
  ...more,
});

const BIRD1_UNPACKED = requirement('BIRD 1.6 unpacked by scripts/setup-bird1.sh', () => bird1MissingReason());

const gobgpCase = (nBit: boolean): HelperCase => ({
  title: nBit ? 'GoBGP 3 (N bit, as kube-router configures it)' : 'GoBGP 3 (no N bit)',
  id: nBit ? 'gobgpn' : 'gobgp',
  needs: [GOBGP_INSTALLED],
  wrenNeighbors: [{ address: HELPER.v4, asn: ASN }],
  start: async (lab, ns) => {
    // GoBGP has no FIB: its RIB is all there is to sample.
    const d = await startGobgp(lab, helperSpec(ns, { kernel: false, gracefulNotification: nBit, neighbors: [{ address: WREN.v4, asn: ASN, ipv6NextHop: HELPER.v6 }] }));
    const rib = (family: Family): View => ({
      name: `bgp${family === 'ipv4' ? 4 : 6}`,
      argv: ['gobgp', '-p', String(GOBGP_API_PORT), 'global', 'rib', '-a', family, '-j'],
      family,
      has: gobgpHas,
    });
    return { daemon: d, views: [rib('ipv4'), rib('ipv6')] };
  },
});

const CASES: readonly HelperCase[] = [
  {
    title: 'BIRD 1.6 (calico-node config)',
    id: 'bird1',
    needs: [BIRD1_UNPACKED],
    // BIRD 1.x: bird carries IPv4 over an IPv4 session, bird6 IPv6 over an IPv6 session.
    wrenNeighbors: [
      { address: HELPER.v4, asn: ASN, families: ['ipv4'] },
      { address: HELPER.v6, asn: ASN, families: ['ipv6'] },
    ],
    start: async (lab, ns) => {
      // `source address` as Calico sets it (the node's address of the session's family).
      const neighbors = [{ address: WREN.v4, asn: ASN }, { address: WREN.v6, asn: ASN, localAddress: HELPER.v6 }];
      const d: Bird1Daemon = await startBird1(lab, helperSpec(ns, { neighbors }));
      const table = (family: Family, wren: string): View => ({
        name: `bgp${family === 'ipv4' ? 4 : 6}`,
        argv: d.showRouteArgv(family),
        family,
        has: birdHas(bird1ProtocolName(wren)),
      });
      return { daemon: d, views: [table('ipv4', WREN.v4), kernelView('ipv4'), table('ipv6', WREN.v6), kernelView('ipv6')] };
    },
  },
  {
    title: 'BIRD 2',
    id: 'bird2',
    needs: [BIRD_INSTALLED],
    wrenNeighbors: [{ address: HELPER.v4, asn: ASN }],
    start: async (lab, ns) => {
      const d: BirdDaemon = await startBird(lab, helperSpec(ns));
      // `show route` lists master4 and master6.
      const table: View = { name: 'bgp', argv: ['birdc', '-s', d.paths.socket, 'show', 'route'], family: 'both', has: birdHas(birdProtocolName(WREN.v4)) };
      return { daemon: d, views: [table, kernelView('ipv4'), kernelView('ipv6')] };
    },
  },
  {
    title: 'FRR 8',
    id: 'frr',
    needs: [FRR_INSTALLED],
    wrenNeighbors: [{ address: HELPER.v4, asn: ASN }],
    start: async (lab, ns) => {
      const d: FrrDaemon = await startFrr(lab, helperSpec(ns));
      // One vtysh for both families (about 30 ms; two would take twice that).
      const argv = ['vtysh', '--vty_socket', d.paths.dir, '-d', 'bgpd', '-c', 'show bgp ipv4 unicast json', '-c', 'show bgp ipv6 unicast json'];
      return { daemon: d, views: [{ name: 'bgp', argv, family: 'both', has: frrHas }, kernelView('ipv4'), kernelView('ipv6')] };
    },
  },
  gobgpCase(true),
  gobgpCase(false),
];

/** Every (block, view) pair missing in a sample: "172.16.0.0/26 kernel4". */
function missingIn(h: Helper, s: Sample): string[] {
  const out: string[] = [];
  for (const prefix of BLOCKS) {
    for (const v of h.views) {
      if ((v.family === 'both' || v.family === familyOf(prefix)) && !v.has(s.out[v.name] ?? '', prefix)) out.push(`${prefix} ${v.name}`);
    }
  }
  return out;
}

/** Every (block, view) pair of a sample that is still there. */
function presentIn(h: Helper, s: Sample): string[] {
  const all = BLOCKS.flatMap((p) => h.views.filter((v) => v.family === 'both' || v.family === familyOf(p)).map((v) => `${p} ${v.name}`));
  const missing = new Set(missingIn(h, s));
  return all.filter((x) => !missing.has(x));
}

const describeSample = (s: Sample | undefined): string =>
  s === undefined ? '(no sample yet)' : `sample at ${new Date(s.at).toISOString()} (${s.tookMs.toFixed(1)} ms):\n${Object.entries(s.out).map(([k, v]) => `  [${k}]\n${v.replace(/^/gm, '    ')}`).join('\n')}`;

interface Mesh {
  readonly lab: Lab;
  readonly wren: WrenDaemon;
  readonly helper: Helper;
  readonly sampler: RouteSampler;
  /** Logs of both daemons, for error messages. */
  logs(): string;
}

async function startMesh(lab: Lab, c: HelperCase, withdrawOnStop: boolean): Promise<Mesh> {
  const nsW = lab.addNamespace('wren', { forwarding: true });
  const nsH = lab.addNamespace(c.id, { forwarding: true });
  lab.link(nsW, 'eth0', [`${WREN.v4}/24`, `${WREN.v6}/64`], nsH, 'eth0', [`${HELPER.v4}/24`, `${HELPER.v6}/64`]);
  const helper = await c.start(lab, nsH);
  const wren = await startWren(lab, {
    ns: nsW,
    routerId: WREN.v4,
    asn: ASN,
    neighbors: c.wrenNeighbors,
    originate: [...BLOCKS],
    kernel: true,
    gracefulRestart: true,
    // A long convergence deadline: converging within the test means End-of-RIB from the helper.
    extra: { kernel: { convergenceTimeout: 60, withdrawOnStop } },
  });
  const logs = (): string => `${wrenLogTail(wren, 40)}\n${helper.daemon.describeLogs(30)}`;
  for (const n of c.wrenNeighbors) await waitEstablished(wren, n.address, 30_000);
  await waitFor(async () => (await askWren(wren, { cmd: 'show-kernel' }))?.converged === true, { what: 'wren to converge', timeoutMs: 30_000 }).catch((err: Error) => {
    throw new Error(`${err.message}\n${logs()}`);
  });
  // Both ends dial, so a connection collision can reset a session once after it came up: start
  // from sessions that have stayed up a while.
  await waitFor(async () => (await askWren(wren, { cmd: 'show-peers' })).every((p) => p.state === 'Established' && p.uptimeSec >= STABLE_SEC), {
    what: `wren's sessions up for ${STABLE_SEC} s`,
    timeoutMs: 30_000,
    intervalMs: 200,
  }).catch((err: Error) => {
    throw new Error(`${err.message}\n${logs()}`);
  });
  const sampler = RouteSampler.start(lab, nsH, helper.views, { periodMs: PERIOD_MS });
  await waitFor(
    () => {
      const s = sampler.latest();
      return s !== undefined && missingIn(helper, s).length === 0;
    },
    { what: `${c.title} to hold every block of wren's in its table and kernel`, timeoutMs: 30_000, intervalMs: 100 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${describeSample(sampler.latest())}\n${logs()}`);
  });
  return { lab, wren, helper, sampler, logs };
}

/** Mean and max of the gaps between sample starts, and of the sample durations, ms. */
function cadence(samples: readonly Sample[]): string {
  const gaps = samples.slice(1).map((s, i) => s.at - (samples[i]?.at ?? s.at));
  const took = samples.map((s) => s.tookMs);
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return `interval mean ${mean(gaps).toFixed(1)} ms, max ${Math.max(0, ...gaps).toFixed(1)} ms; one sample takes mean ${mean(took).toFixed(1)} ms, max ${Math.max(0, ...took).toFixed(1)} ms`;
}

describeNetns('a planned restart of wren withdraws nothing at its peers', interopNeeds(), () => {
  const newLab = labsPerTest();

  /**
   * Stops wren (SIGTERM: the planned restart; SIGKILL: the control, no NOTIFICATION at all), starts
   * it again with the same config and files, and asserts that no sample missed a block of wren's.
   */
  async function restartWithoutLoss(c: HelperCase, how: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const m = await startMesh(newLab(how === 'SIGTERM' ? c.id : `${c.id}-k`), c, false);
    const t0 = Date.now();
    let exited = NaN;
    let started = NaN;
    let established = NaN;
    let converged = NaN;
    let samples: Sample[];
    try {
      if (how === 'SIGTERM') await m.wren.stop(); // resolves once the process has exited
      else await m.wren.kill();
      exited = Date.now();
      await m.wren.start(); // same config, same files; returns once the control socket answers
      started = Date.now();
      for (const n of c.wrenNeighbors) {
        await waitFor(async () => (await askWren(m.wren, { cmd: 'show-peers' })).find((p) => p.address === n.address)?.state === 'Established', {
          what: `wren's session with ${n.address} Established again`,
          timeoutMs: 60_000,
        });
      }
      established = Date.now();
      // Converged: End-of-RIB from the helper on every session (not the 60 s deadline); wren's own
      // End-of-RIB, held back until then (selection deferral), goes out at the same moment.
      await waitFor(async () => (await askWren(m.wren, { cmd: 'show-kernel' }))?.converged === true, { what: 'the restarted wren to converge', timeoutMs: 60_000 });
      converged = Date.now();
      await waitFor(() => (m.sampler.latest()?.at ?? 0) >= converged + AFTER_MS, { what: 'samples after convergence', timeoutMs: 10_000 });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${m.logs()}`);
    } finally {
      samples = await m.sampler.stop();
    }
    const window = samples.filter((s) => s.at >= t0 && s.at <= converged + AFTER_MS);
    const missing = window.map((s) => ({ s, gone: missingIn(m.helper, s) })).filter((x) => x.gone.length > 0);
    const perBlock = BLOCKS.map((b) => `${b}: ${missing.filter((x) => x.gone.some((g) => g.startsWith(`${b} `))).length}`).join(', ');
    const span = missing.length > 0 ? `, missing from +${((missing[0]?.s.at ?? 0) - t0).toFixed(0)} ms to +${((missing.at(-1)?.s.at ?? 0) - t0).toFixed(0)} ms` : '';
    console.log(
      `restart-no-drop ${c.title}, ${how}: ${window.length} samples, ${missing.length} missing a block of wren's (${perBlock})${span}; ` +
        `restart ${converged - t0} ms (${how} to exit ${exited - t0} ms, start ${started - exited} ms, to Established ${established - started} ms, to End-of-RIB ${converged - established} ms); ` +
        cadence(window),
    );
    const first = missing.slice(0, 3).map((x) => `+${(x.s.at - t0).toFixed(0)} ms missing ${x.gone.join(', ')}\n${describeSample(x.s)}`);
    expect(
      missing.map((x) => `+${(x.s.at - t0).toFixed(0)} ms: ${x.gone.join(', ')}`),
      `${c.title} lost wren's blocks while wren restarted after ${how} (${missing.length} of ${window.length} samples)\n${first.join('\n')}\n${m.logs()}`,
    ).toEqual([]);
    // The sampler really looked: at least one sample per 200 ms over the whole restart.
    expect(window.length, cadence(window)).toBeGreaterThanOrEqual(Math.floor((converged + AFTER_MS - t0) / 200));
  }

  for (const c of CASES) {
    itNeeds(c.needs)(`${c.title}: wren's blocks never leave its BGP table or its kernel while wren restarts (SIGTERM, start)`, () =>
      restartWithoutLoss(c, 'SIGTERM'),
    );
  }

  // The control: a peer that gets no NOTIFICATION at all (SIGKILL: the kernel closes the connection)
  // keeps wren's blocks as a graceful restart helper. This is what a planned restart must look like
  // to a peer without the N bit; it also shows that this test can pass.
  for (const c of CASES) {
    itNeeds(c.needs)(`${c.title}: control: nothing leaves while wren restarts after SIGKILL (no NOTIFICATION)`, () => restartWithoutLoss(c, 'SIGKILL'));
  }

  for (const c of CASES) {
    itNeeds(c.needs)(`${c.title}: drops wren's blocks from its table and kernel on a deliberate stop (peer disable; wren stop --withdraw; SIGTERM with withdrawOnStop)`, async () => {
      const m = await startMesh(newLab(`${c.id}-wd`), c, false);
      /** Waits until no view of the helper holds a block of wren's; returns how long it took from t0. */
      const allGone = async (t0: number, what: string): Promise<number> => {
        const s = await waitFor(
          () => {
            const l = m.sampler.latest();
            return l !== undefined && l.at > t0 && presentIn(m.helper, l).length === 0 ? l : undefined;
          },
          { what, timeoutMs: DROP_BOUND_MS + 2000, intervalMs: 20 },
        ).catch((err: Error) => {
          throw new Error(`${err.message}\nstill there: ${(() => { const l = m.sampler.latest(); return l ? presentIn(m.helper, l).join(', ') : '?'; })()}\n${describeSample(m.sampler.latest())}\n${m.logs()}`);
        });
        return s.at - t0;
      };

      const t1 = Date.now();
      for (const n of c.wrenNeighbors) m.wren.shutdownPeer(n.address, 'maintenance');
      const afterDisable = await allGone(t1, `${c.title} to drop wren's blocks after peer disable`);
      for (const n of c.wrenNeighbors) m.wren.enablePeer(n.address);
      await waitFor(
        () => {
          const l = m.sampler.latest();
          return l !== undefined && missingIn(m.helper, l).length === 0;
        },
        { what: `${c.title} to learn wren's blocks again after peer enable`, timeoutMs: 60_000, intervalMs: 100 },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${describeSample(m.sampler.latest())}\n${m.logs()}`);
      });

      const learnedAgain = async (after: string): Promise<void> =>
        waitFor(
          () => {
            const l = m.sampler.latest();
            return l !== undefined && missingIn(m.helper, l).length === 0;
          },
          { what: `${c.title} to learn wren's blocks again after ${after}`, timeoutMs: 60_000, intervalMs: 100 },
        ).then(
          () => undefined,
          (err: Error) => {
            throw new Error(`${err.message}\n${describeSample(m.sampler.latest())}\n${m.logs()}`);
          },
        );

      // `wren stop --withdraw` with kernel.withdrawOnStop false: the operator's choice wins.
      const t2 = Date.now();
      expect(m.wren.cli('stop', '--withdraw', '--message', 'decommissioned')).toMatch(/withdrawing routes\nwren stopped/);
      const afterWithdraw = await allGone(t2, `${c.title} to drop wren's blocks after wren stop --withdraw`);
      await waitFor(() => m.wren.process?.running === false, { what: 'wren to exit', timeoutMs: 15_000 });
      expect(m.wren.process?.status).toBe('exit code 0');

      m.wren.spec = { ...m.wren.spec, extra: { kernel: { convergenceTimeout: 60, withdrawOnStop: true } } };
      await m.wren.start();
      await learnedAgain('wren started again');
      const t3 = Date.now();
      await m.wren.stop();
      expect(m.wren.process?.status).toBe('exit code 0');
      const afterStop = await allGone(t3, `${c.title} to drop wren's blocks after SIGTERM with withdrawOnStop`);
      await m.sampler.stop();
      console.log(
        `restart-no-drop ${c.title}: deliberate stop: blocks gone from every view ${afterDisable.toFixed(0)} ms after peer disable, ${afterWithdraw.toFixed(0)} ms after wren stop --withdraw, ${afterStop.toFixed(0)} ms after SIGTERM with withdrawOnStop`,
      );
      expect(afterDisable).toBeLessThanOrEqual(DROP_BOUND_MS);
      expect(afterWithdraw).toBeLessThanOrEqual(DROP_BOUND_MS);
      expect(afterStop).toBeLessThanOrEqual(DROP_BOUND_MS);
    });
  }
});

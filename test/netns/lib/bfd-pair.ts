/**
 * wren and one other BFD speaker (FRR's bfdd or BIRD 2) on one veth link, eBGP with BFD, and the
 * silent-failure trial the BFD interop tests repeat:
 *
 *   wren  AS 65000  eth0 10.0.0.1/24  <---->  eth0 10.0.0.2/24  peer AS 65001 (originates 172.16.2.0/24)
 *
 * wren programs its kernel, so "the peer's routes leave wren's kernel" is `ip monitor` seeing
 * 172.16.2.0/24 deleted in wren's namespace. The clocks (test/netns/lib/bfd.ts): tcpdump in wren's
 * namespace timestamps every BFD packet from the peer; wren's log carries the BFD thread's time
 * of each transition and the main thread's time of the BGP session going down.
 */
import { expect } from 'vitest';
import type { BfdPeerStatus, PeerStatus } from '../../../src/control/protocol.js';
import type { BfdNeighborSpec, BgpDaemon, NeighborSpec } from '../../../tools/daemons/daemon.js';
import { startWren, type WrenDaemon } from '../../../tools/daemons/wren.js';
import { exec, type Lab } from '../../../tools/kit/netns.js';
import { waitFor } from '../../../tools/kit/wait.js';
import { PacketTimes, RouteEvents, Silence, wrenBfdEvents } from './bfd.js';
import { askWren } from './interop.js';

export const WREN = { v4: '10.0.0.1', asn: 65000, block: '172.16.1.0/24' };
export const PEER = { v4: '10.0.0.2', asn: 65001, block: '172.16.2.0/24' };

export interface BfdPair<D extends BgpDaemon> {
  readonly lab: Lab;
  readonly wrenNs: string;
  readonly peerNs: string;
  readonly wren: WrenDaemon;
  readonly peer: D;
  readonly silence: Silence;
  readonly fromPeer: PacketTimes;
  readonly routes: RouteEvents;
  /** The detection time wren should reach once both ends run their configured timers (updated after a timer change). */
  detectMs: number;
}

/** Builds the link, starts the peer (by `startPeer`) and wren, with BFD `bfd` on both ends and the watchers. */
export async function startBfdPair<D extends BgpDaemon>(
  lab: Lab,
  o: {
    readonly bfd: BfdNeighborSpec;
    readonly startPeer: (lab: Lab, ns: string, neighbor: NeighborSpec) => Promise<D>;
    readonly wrenPeer?: Readonly<Record<string, unknown>>;
    readonly wrenExtra?: Readonly<Record<string, unknown>>;
    readonly peerGracefulRestart?: boolean;
    /** The peer runs no BFD at all (it never answers wren's). */
    readonly peerWithoutBfd?: boolean;
  },
): Promise<BfdPair<D>> {
  const wrenNs = lab.addNamespace('wren');
  const peerNs = lab.addNamespace('peer');
  lab.link(wrenNs, 'eth0', [`${WREN.v4}/24`], peerNs, 'eth0', [`${PEER.v4}/24`]);
  const peer = await o.startPeer(lab, peerNs, { address: WREN.v4, asn: WREN.asn, families: ['ipv4'], ...(o.peerWithoutBfd ? {} : { bfd: o.bfd }) });
  const fromPeer = await PacketTimes.start(lab, wrenNs, 'eth0', `udp dst port 3784 and src host ${PEER.v4}`, 'bfd-from-peer');
  const routes = RouteEvents.start(lab, wrenNs, 'wren-routes');
  const wren = await startWren(lab, {
    ns: wrenNs,
    routerId: WREN.v4,
    asn: WREN.asn,
    neighbors: [{ address: PEER.v4, asn: PEER.asn, families: ['ipv4'], bfd: o.bfd }],
    originate: [WREN.block],
    kernel: true,
    logLevel: 'info',
    ...(o.wrenPeer ? { peerExtra: { [PEER.v4]: o.wrenPeer } } : {}),
    ...(o.wrenExtra ? { extra: o.wrenExtra } : {}),
  });
  const detectMs = (o.bfd.multiplier ?? 3) * Math.max(o.bfd.minRx ?? 300, o.bfd.minTx ?? 300);
  return { lab, wrenNs, peerNs, wren, peer, silence: new Silence(lab, peerNs), fromPeer, routes, detectMs };
}

export const wrenBfd = async (wren: WrenDaemon): Promise<BfdPeerStatus | undefined> => (await askWren(wren, { cmd: 'show-bfd' })).sessions.find((s) => s.peer === PEER.v4);
export const wrenBgp = async (wren: WrenDaemon): Promise<PeerStatus | undefined> => (await askWren(wren, { cmd: 'show-peers' })).find((p) => p.address === PEER.v4);
export const inKernel = (ns: string, prefix: string): boolean => exec(ns, 'ip', ['route', 'show', prefix]).trim() !== '';

/**
 * BFD Up on wren's side at the configured timers (the Poll Sequences after Up are done: until then
 * the peer may still send at 1 s, a 3 s detection time), the BGP session Established and the
 * peer's prefix in wren's kernel.
 */
export async function waitAllUp<D extends BgpDaemon>(p: BfdPair<D>, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      const s = await wrenBfd(p.wren);
      return s?.state === 'Up' && s.remoteState === 'Up' && !s.polling && s.detectTimeMs === p.detectMs;
    },
    { what: `wren: BFD Up with a detection time of ${p.detectMs} ms`, timeoutMs, intervalMs: 50 },
  );
  await waitFor(async () => (await wrenBgp(p.wren))?.state === 'Established', { what: 'wren: BGP Established', timeoutMs, intervalMs: 50 });
  await waitFor(() => inKernel(p.wrenNs, PEER.block), { what: `${PEER.block} in wren's kernel`, timeoutMs, intervalMs: 50 });
}

export interface Trial {
  /** From just before nft was asked to drop (conservative: the failure began at most then). */
  readonly bfdDownMs: number;
  readonly bgpDownMs: number;
  readonly routesGoneMs: number;
  /** From the last BFD packet of the peer that reached wren to wren's BFD Down: at most the detection time. */
  readonly afterLastPacketMs: number;
  /** How long the nft command itself took (part of the numbers above). */
  readonly nftMs: number;
  /** From removing the rule to the peer's prefix back in wren's kernel. */
  readonly recoveryMs: number;
  /** The BGP session was held down (waiting for BFD) during the failure. */
  readonly held: boolean;
}

/**
 * One silent failure of the peer: nft drops everything it sends; waits for the route to leave
 * wren's kernel, checks the BGP session is held for BFD, then lifts the drop and waits for all
 * to come back.
 */
export async function silentFailure<D extends BgpDaemon>(p: BfdPair<D>): Promise<Trial> {
  await waitAllUp(p);
  const t = p.silence.on();
  try {
    await waitFor(() => p.routes.deletedAfter(PEER.block, t.askedAt) !== undefined, { what: `${PEER.block} to leave wren's kernel`, timeoutMs: 10_000, intervalMs: 10 });
    const held = await waitFor(async () => /waiting for BFD/.test((await wrenBgp(p.wren))?.lastDownReason ?? '') || undefined, {
      what: "wren's BGP session held for BFD",
      timeoutMs: 5000,
      intervalMs: 50,
    }).then(
      () => true,
      () => false,
    );
    const ev = wrenBfdEvents(p.wren.paths.log);
    const down = ev.transitions.find((x) => x.peer === PEER.v4 && x.from === 'Up' && x.at >= t.askedAt - 1);
    const bgp = ev.sessionDowns.find((x) => x.peer === PEER.v4 && x.at >= t.askedAt - 1);
    const gone = p.routes.deletedAfter(PEER.block, t.askedAt);
    expect(down, 'a BFD Down transition in wren\'s log').toBeDefined();
    expect(bgp, "a BGP 'session down' in wren's log").toBeDefined();
    const last = down ? p.fromPeer.lastBefore(down.at) : undefined;
    const restoredAt = Date.now();
    p.silence.off();
    await waitAllUp(p, 60_000);
    const trial: Trial = {
      bfdDownMs: (down?.at ?? 0) - t.askedAt,
      bgpDownMs: (bgp?.at ?? 0) - t.askedAt,
      routesGoneMs: (gone ?? 0) - t.askedAt,
      afterLastPacketMs: (down?.at ?? 0) - (last ?? 0),
      nftMs: t.doneAt - t.askedAt,
      recoveryMs: Date.now() - restoredAt,
      held,
    };
    return trial;
  } catch (err) {
    try {
      p.silence.off();
    } catch {
      // already lifted
    }
    throw err;
  }
}

/**
 * The smallest Calico-like topology for kernel tests: two hosts A and B on one veth link, iBGP
 * (AS 64512), wren on each with kernel programming on, each originating its pod block (IPv4 and
 * IPv6). A learns B's block `via 10.0.0.2 proto bird` and installs `blackhole <A's block> proto bird`.
 *
 *   A  eth0 10.0.0.1/24 fd00:10::1/64  <---->  eth0 10.0.0.2/24 fd00:10::2/64  B
 *      blocks 172.16.1.0/24 fd00:172:16:1::/64    blocks 172.16.2.0/24 fd00:172:16:2::/64
 */
import type { Lab } from './netns.js';
import { startWren, type WrenDaemon, type WrenSpec } from '../../../tools/daemons/wren.js';

export interface PairHost {
  readonly ns: string;
  readonly address: string;
  readonly address6: string;
  readonly block: string;
  readonly block6: string;
}

export interface WrenPair {
  readonly a: PairHost;
  readonly b: PairHost;
  /** The spec each host's wren is (or will be) started with. */
  readonly specA: WrenSpec;
  readonly specB: WrenSpec;
}

export interface PairOptions {
  /** Namespace tags (default "a", "b"). */
  readonly tags?: readonly [string, string];
  readonly holdTime?: number;
  readonly gracefulRestart?: boolean;
  /** Merged into each host's wren config (WrenSpec.extra). */
  readonly extraA?: Readonly<Record<string, unknown>>;
  readonly extraB?: Readonly<Record<string, unknown>>;
  /** Extra prefixes B originates besides its blocks. */
  readonly moreFromB?: readonly string[];
}

export const PAIR_ASN = 64512;

/** Builds the namespaces and the link; starts nothing. */
export function buildPair(lab: Lab, opts: PairOptions = {}): WrenPair {
  const [ta, tb] = opts.tags ?? ['a', 'b'];
  const a: PairHost = { ns: lab.addNamespace(ta, { forwarding: true }), address: '10.0.0.1', address6: 'fd00:10::1', block: '172.16.1.0/24', block6: 'fd00:172:16:1::/64' };
  const b: PairHost = { ns: lab.addNamespace(tb, { forwarding: true }), address: '10.0.0.2', address6: 'fd00:10::2', block: '172.16.2.0/24', block6: 'fd00:172:16:2::/64' };
  lab.link(a.ns, 'eth0', [`${a.address}/24`, `${a.address6}/64`], b.ns, 'eth0', [`${b.address}/24`, `${b.address6}/64`]);
  const spec = (self: PairHost, other: PairHost, extra: Readonly<Record<string, unknown>> | undefined, more: readonly string[]): WrenSpec => ({
    ns: self.ns,
    routerId: self.address,
    asn: PAIR_ASN,
    neighbors: [{ address: other.address, asn: PAIR_ASN }],
    originate: [self.block, self.block6, ...more],
    kernel: true,
    ...(opts.holdTime !== undefined ? { holdTime: opts.holdTime } : {}),
    ...(opts.gracefulRestart !== undefined ? { gracefulRestart: opts.gracefulRestart } : {}),
    ...(extra !== undefined ? { extra } : {}),
  });
  return { a, b, specA: spec(a, b, opts.extraA, []), specB: spec(b, a, opts.extraB, opts.moreFromB ?? []) };
}

/** Starts wren on A and B (A first). */
export async function startPair(lab: Lab, pair: WrenPair): Promise<{ wa: WrenDaemon; wb: WrenDaemon }> {
  const wa = await startWren(lab, pair.specA);
  const wb = await startWren(lab, pair.specB);
  return { wa, wb };
}

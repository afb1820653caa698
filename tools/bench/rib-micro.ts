#!/usr/bin/env node
/**
 * In-process RIB micro-benchmark (no sockets, no namespaces, deterministic input).
 *
 *   npm run build && node --expose-gc dist-tools/tools/bench/rib-micro.js [--n 1000000] [--clients 1000] [--only inout|reflector] [--lazy] [--runs 3] [--text-nlri]
 *
 * Received IPv4 prefixes are decoded to numbers, as the daemon's sessions do (codec
 * ctx.ipv4PrefixNumbers); --text-nlri decodes them to text instead (the path before that).
 *
 * inout: N IPv4 /24s from one eBGP peer (A), about one attribute set per 4 prefixes (AS paths of 2 to
 * 6 ASes, two communities), sent as real UPDATEs: encoded with the codec's encodeUpdates, decoded with
 * decodeMessage and validateUpdate, exactly what the speaker hands the RIB. Timed: receive all +
 * decide + pull everything for a second eBGP peer (B) with nextMessages(64 KiB) until empty; then the
 * same for the withdrawal of everything. Heap after GC is measured with the decoded input dropped,
 * so it is what the RIB keeps (Loc-RIB + one Adj-RIB-In + one Adj-RIB-Out).
 *
 * reflector: K iBGP route-reflector clients (one export group), each announcing one /26; timed:
 * receive all + decide + pull everything for every client.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { encodeUpdates } from '../../src/codec/pack.js';
import { decodeMessage } from '../../src/codec/message.js';
import type { CodecContext, PathAttrs, UpdateMsg } from '../../src/codec/types.js';
import { validateUpdate } from '../../src/codec/validate.js';
import { Rib } from '../../src/rib/rib.js';
import type { RibPeerConfig, RibSessionInfo } from '../../src/rib/types.js';

const CTX: CodecContext = { as4: true, extendedMessage: false, addPathRx: new Set(), addPathTx: new Set() };
/** What the speaker decodes received UPDATEs with (session/peer.ts). */
const RX_CTX: CodecContext = { ...CTX, ipv4PrefixNumbers: !process.argv.includes('--text-nlri') };
const LOCAL_AS = 65000;
const BUDGET = 64 * 1024; // what session/peer.ts asks for per pull

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}

const gc = (globalThis as { gc?: () => void }).gc;
function collect(): void {
  if (gc === undefined) return;
  for (let i = 0; i < 3; i++) gc();
}
const mb = (b: number): string => (b / 1048576).toFixed(1);
function mem(): { heap: number; rss: number } {
  collect();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

function formatV4(addr: number, len: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}/${len}`;
}

function peerCfg(id: string, asn: number, role: RibPeerConfig['role']): RibPeerConfig {
  return { id, asn, localAs: LOCAL_AS, role, nextHopSelf: false, acceptDefaultRoute: false, allowasIn: 0 };
}

function sessionOf(id: string): RibSessionInfo {
  return {
    routerId: id,
    families: ['ipv4-unicast', 'ipv6-unicast'],
    ctx: CTX,
    localAddress: '10.0.0.1',
    localV4: '10.0.0.1',
    peerAddress: id,
    directlyConnected: true,
  };
}

/** decode -> validate, as the speaker hands an UPDATE to the RIB. */
function decode(b: Buffer, ebgp: boolean, peerAs: number): UpdateMsg {
  const m = decodeMessage(b, RX_CTX);
  if (m.kind !== 'update') throw new Error('not an UPDATE');
  return validateUpdate(m, { ebgp, peerAs, localAs: LOCAL_AS });
}

/** encode -> decode -> validate. */
function wire(batch: Parameters<typeof encodeUpdates>[0], ebgp: boolean, peerAs: number): UpdateMsg[] {
  return encodeUpdates(batch, CTX).map((b) => decode(b, ebgp, peerAs));
}

/** Pulls everything pending for a peer; returns [messages, bytes]. */
function drain(rib: Rib, id: string): [number, number] {
  let msgs = 0;
  let bytes = 0;
  for (;;) {
    const bufs = rib.nextMessages(id, BUDGET);
    if (bufs.length === 0) break;
    msgs += bufs.length;
    for (const b of bufs) bytes += b.length;
  }
  if (rib.hasPending(id)) throw new Error('output left pending');
  return [msgs, bytes];
}

const sec = (ms: number): string => (ms / 1000).toFixed(2);

/** Timed phases (wall and CPU time), for the summary printed at the end. */
interface Phase {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  /** Process CPU time (user + system, all threads: includes parallel GC), ms. */
  readonly cpuMs: number;
}
const phases: Phase[] = [];
const gcs: { readonly start: number; readonly duration: number }[] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ start: e.startTime, duration: e.duration });
});
gcObserver.observe({ entryTypes: ['gc'] });

/** Records a phase made of several timed ones (started at performance.now() = t0, process.cpuUsage() = c0). */
function phaseSince(name: string, t0: number, c0: NodeJS.CpuUsage): void {
  const c = process.cpuUsage(c0);
  phases.push({ name, start: t0, end: performance.now(), cpuMs: (c.user + c.system) / 1000 });
}

function timed<T>(name: string, f: () => T): [T, number] {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = f();
  const t1 = performance.now();
  const c = process.cpuUsage(c0);
  phases.push({ name, start: t0, end: t1, cpuMs: (c.user + c.system) / 1000 });
  return [r, t1 - t0];
}

/**
 * Per phase over all runs: the fastest run's wall time, its CPU time and the garbage-collection
 * pauses inside it (the machine may be shared: the fastest run is the least disturbed one).
 */
async function printSummary(): Promise<void> {
  await new Promise((r) => setTimeout(r, 50)); // GC entries are delivered asynchronously
  gcObserver.disconnect();
  const best = new Map<string, Phase>();
  const runs = new Map<string, number>();
  for (const ph of phases) {
    runs.set(ph.name, (runs.get(ph.name) ?? 0) + 1);
    const b = best.get(ph.name);
    if (b === undefined || ph.end - ph.start < b.end - b.start) best.set(ph.name, ph);
  }
  console.log('phase        runs  best wall s  its cpu s  its gc pauses s');
  for (const [name, ph] of best) {
    let gcMs = 0;
    for (const g of gcs) if (g.start >= ph.start && g.start < ph.end) gcMs += g.duration;
    const cols = [name.padEnd(12), String(runs.get(name)).padStart(4), sec(ph.end - ph.start).padStart(12), sec(ph.cpuMs).padStart(10), sec(gcMs).padStart(16)];
    console.log(cols.join(' '));
  }
}

/**
 * `lazy`: the input is kept as bytes and decoded inside the timed receive loop (what the daemon
 * does: no decoded copy of the whole feed stays on the heap); the decode time, measured alone
 * beforehand, is reported so it can be taken out.
 */
function inout(n: number, lazy: boolean): void {
  const A = '10.0.0.2';
  const B = '10.0.0.3';
  const perSet = 4;
  const rib = new Rib({ localAs: LOCAL_AS, routerId: '10.255.0.1', clusterId: '10.255.0.1', maxPaths: 8 });
  rib.configurePeer(peerCfg(A, 65001, 'ebgp'));
  rib.configurePeer(peerCfg(B, 65002, 'ebgp'));
  rib.peerUp(A, sessionOf(A));
  rib.peerUp(B, sessionOf(B));
  drain(rib, A);
  drain(rib, B);
  const base = mem();

  let t0 = performance.now();
  let input: UpdateMsg[] = [];
  let wireIn: Buffer[] = [];
  let all: string[] = [];
  for (let k = 0; k * perSet < n; k++) {
    const prefixes: string[] = [];
    for (let j = 0; j < perSet && k * perSet + j < n; j++) {
      const p = formatV4((11 << 24) + (k * perSet + j) * 256, 24);
      prefixes.push(p);
      all.push(p);
    }
    const pathLen = 2 + (k % 5);
    const asns = [65001];
    for (let h = 1; h < pathLen; h++) asns.push(1 + ((k * 7 + h * 131) % 64000));
    const attrs: PathAttrs = {
      origin: k % 3,
      asPath: [{ type: 'sequence', asns }],
      nextHop: A,
      communities: [(65001 << 16) | (k & 0xffff), ((65002 << 16) | (k >>> 16)) >>> 0],
    };
    for (const b of encodeUpdates({ nlri: prefixes, attrs }, CTX)) {
      if (lazy) wireIn.push(b);
      else input.push(decode(b, true, 65001));
    }
  }
  const prepMs = performance.now() - t0;
  const inputCount = lazy ? wireIn.length : input.length;
  let decodeMs = 0;
  if (lazy) {
    t0 = performance.now();
    for (const b of wireIn) decode(b, true, 65001);
    decodeMs = performance.now() - t0;
  }
  // Kept as bytes (decoded just before the withdraw phase) so the heap figure is the RIB's alone.
  const withdrawWire = encodeUpdates({ withdrawn: all }, CTX);
  all = [];

  t0 = performance.now();
  let c0 = process.cpuUsage();
  const [, recvMs] = timed('receive', () => {
    if (lazy) for (const b of wireIn) rib.receive(A, decode(b, true, 65001));
    else for (const u of input) rib.receive(A, u);
  });
  const [, decideMs] = timed('decide', () => rib.decide());
  const [[msgs, bytes], pullMs] = timed('pull', () => drain(rib, B));
  phaseSince('announce', t0, c0);
  const announceMs = performance.now() - t0;
  input = [];
  wireIn = [];
  const held = mem();

  const withdrawals = withdrawWire.map((b) => {
    const m = decodeMessage(b, RX_CTX);
    if (m.kind !== 'update') throw new Error('not an UPDATE');
    return validateUpdate(m, { ebgp: true, peerAs: 65001, localAs: LOCAL_AS });
  });
  t0 = performance.now();
  c0 = process.cpuUsage();
  const [, wRecvMs] = timed('w.receive', () => {
    for (const u of withdrawals) rib.receive(A, u);
  });
  const [, wDecideMs] = timed('w.decide', () => rib.decide());
  const [[wMsgs, wBytes], wPullMs] = timed('w.pull', () => drain(rib, B));
  phaseSince('withdraw', t0, c0);
  const withdrawMs = performance.now() - t0;
  withdrawals.length = 0;
  const after = mem();
  const st = rib.stats();
  const maxRss = process.resourceUsage().maxRSS * 1024;

  console.log(`inout n=${n} (${inputCount} UPDATEs in, prepared in ${sec(prepMs)} s; ${withdrawWire.length} withdraw UPDATEs)`);
  const decoded = lazy ? ` (decode ${sec(decodeMs)} of it)` : '';
  console.log(`  announce: ${sec(announceMs)} s  = receive ${sec(recvMs)}${decoded} + decide ${sec(decideMs)} + pull ${sec(pullMs)} (${msgs} UPDATEs, ${mb(bytes)} MB)`);
  console.log(`  withdraw: ${sec(withdrawMs)} s  = receive ${sec(wRecvMs)} + decide ${sec(wDecideMs)} + pull ${sec(wPullMs)} (${wMsgs} UPDATEs, ${mb(wBytes)} MB)`);
  console.log(
    `  RIB heap held: ${mb(held.heap - base.heap)} MB = ${((held.heap - base.heap) / n).toFixed(0)} B/prefix; rss ${mb(held.rss)} MB; after withdraw heap +${mb(after.heap - base.heap)} MB; max rss ${mb(maxRss)} MB`,
  );
  console.log(`  stats after withdraw: ${JSON.stringify(st)}`);
}

function reflector(k: number): void {
  const rib = new Rib({ localAs: LOCAL_AS, routerId: '10.255.0.1', clusterId: '10.255.0.1', maxPaths: 8 });
  const ids: string[] = [];
  for (let i = 0; i < k; i++) ids.push(`10.1.${(i >> 8) & 255}.${(i & 255) + 0}`);
  for (const id of ids) rib.configurePeer(peerCfg(id, LOCAL_AS, 'rr-client'));
  for (const id of ids) rib.peerUp(id, sessionOf(id));
  for (const id of ids) drain(rib, id);
  const input = ids.map((id, i) =>
    wire({ nlri: [formatV4((172 << 24) + (16 << 16) + i * 64, 26)], attrs: { origin: 0, asPath: [], nextHop: id, localPref: 100 } }, false, LOCAL_AS),
  );
  const base = mem();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const [, recvMs] = timed('rr.receive', () => {
    for (let i = 0; i < k; i++) for (const u of input[i] ?? []) rib.receive(ids[i] ?? '', u);
  });
  const [, decideMs] = timed('rr.decide', () => rib.decide());
  let msgs = 0;
  let bytes = 0;
  const [, pullMs] = timed('rr.pull', () => {
    for (const id of ids) {
      const [m, b] = drain(rib, id);
      msgs += m;
      bytes += b;
    }
  });
  const totalMs = performance.now() - t0;
  phaseSince('reflector', t0, c0);
  const held = mem();
  console.log(`reflector clients=${k}`);
  console.log(`  converge: ${sec(totalMs)} s  = receive ${sec(recvMs)} + decide ${sec(decideMs)} + pull ${sec(pullMs)} (${msgs} UPDATEs, ${mb(bytes)} MB)`);
  console.log(`  heap held: ${mb(held.heap - base.heap)} MB; rss ${mb(held.rss)} MB`);
}

if (gc === undefined) console.log('(run with node --expose-gc for heap figures after GC)');
const only = arg('only', 'all');
const runs = Number(arg('runs', '1'));
for (let i = 0; i < runs; i++) {
  if (only === 'all' || only === 'inout') inout(Number(arg('n', '1000000')), process.argv.includes('--lazy'));
  if (only === 'all' || only === 'reflector') reflector(Number(arg('clients', '1000')));
}
await printSummary();

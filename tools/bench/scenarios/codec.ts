/**
 * codec: wren's UPDATE codec in-process, no sockets. The generated table (same generator as the
 * feeder) is encoded into UPDATEs with `encodeUpdates` (one call per attribute set, as the feeder
 * and Adj-RIB-Out do), and the resulting byte stream is cut by the `Framer` in 64 KiB chunks (what
 * a socket delivers) and every message decoded with `decodeMessage`. Measured: prefixes per second
 * each way. A small warm-up pass runs first so the JIT has seen the code.
 */
import { Framer } from '../../../src/codec/framer.js';
import { decodeMessage } from '../../../src/codec/message.js';
import type { CodecContext } from '../../../src/codec/types.js';
import { encodeAnnouncements } from '../feed.js';
import { generateTable, type RouteGroup } from '../table.js';
import type { RunResult, ScenarioOptions } from './types.js';

const CTX: CodecContext = { as4: true, extendedMessage: false, addPathRx: new Set(), addPathTx: new Set() };
const SOCKET_CHUNK = 64 * 1024;

function decodeAll(chunks: readonly Buffer[]): number {
  const framer = new Framer();
  let prefixes = 0;
  for (const big of chunks) {
    for (let off = 0; off < big.length; off += SOCKET_CHUNK) {
      for (const f of framer.push(big.subarray(off, off + SOCKET_CHUNK))) {
        const m = decodeMessage(f, CTX);
        if (m.kind === 'update') prefixes += m.nlri.length + m.withdrawn.length;
      }
    }
  }
  return prefixes;
}

function measure(groups: readonly RouteGroup[]): { encodeS: number; decodeS: number; prefixes: number; bytes: number; messages: number } {
  const t0 = performance.now();
  const feed = encodeAnnouncements(groups, CTX);
  const t1 = performance.now();
  const decoded = decodeAll(feed.chunks);
  const t2 = performance.now();
  if (decoded !== feed.prefixes) throw new Error(`decoded ${decoded} prefixes, encoded ${feed.prefixes}`);
  return { encodeS: (t1 - t0) / 1000, decodeS: (t2 - t1) / 1000, prefixes: feed.prefixes, bytes: feed.bytes, messages: feed.messages };
}

export function runCodec(n: number, run: number, o: ScenarioOptions): RunResult {
  try {
    const table = (size: number): RouteGroup[] => generateTable({ n: size, seed: o.seed, firstAs: 65001, nextHop: '10.0.1.2', avoidAs: [65000] });
    measure(table(Math.min(n, 20_000)));
    const r = measure(table(n));
    return {
      scenario: 'codec',
      subject: 'wren',
      size: n,
      run,
      metrics: { encode_pps: r.prefixes / r.encodeS, decode_pps: r.prefixes / r.decodeS },
      info: { messages: r.messages, bytes: r.bytes },
    };
  } catch (err) {
    return { scenario: 'codec', subject: 'wren', size: n, run, metrics: {}, error: err instanceof Error ? err.message : String(err) };
  }
}

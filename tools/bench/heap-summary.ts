#!/usr/bin/env node
/**
 * What a V8 heap snapshot holds, grouped: bytes and count per kind of node (objects by constructor,
 * arrays, strings, numbers, code, array-buffer backing stores), largest first. For diagnostics
 * (docs/benchmarks.md, "Running it"): take the snapshot with
 * `WREN_NODE_ARGS="--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=DIR"` and `kill -USR2 <wren pid>`,
 * then `node dist-tools/tools/bench/heap-summary.js DIR/Heap.<...>.heapsnapshot [--top N]` (one
 * file). A snapshot is taken after a full collection, so it is what is live. The file is read
 * whole (at most 2 GiB, Node's limit for one read) and the node array is held as numbers.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface SnapshotMeta {
  readonly node_fields: readonly string[];
  readonly node_types: readonly [readonly string[], ...unknown[]];
}
export interface HeapSnapshot {
  readonly snapshot: { readonly meta: SnapshotMeta; readonly node_count?: number };
  readonly nodes: ArrayLike<number>;
  readonly strings: readonly string[];
}

/**
 * A snapshot file's parts this summary needs. Not one JSON.parse: a snapshot of a large heap is
 * longer than the longest string V8 makes (about 512 MB), so the node array is read from the bytes.
 */
export function readHeapSnapshot(file: string): HeapSnapshot {
  const buf = readFileSync(file);
  const bad = (why: string): Error => new Error(`${file}: not a V8 heap snapshot (${why})`);
  const nodesAt = buf.indexOf('"nodes":');
  const stringsAt = buf.lastIndexOf('"strings":');
  if (nodesAt < 0 || stringsAt < 0) throw bad('no "nodes" or "strings"');
  const head = JSON.parse(`${buf.toString('utf8', 0, buf.lastIndexOf(',', nodesAt))}}`) as Pick<HeapSnapshot, 'snapshot'>;
  const width = head.snapshot.meta.node_fields.length;
  const count = head.snapshot.node_count;
  if (count === undefined) throw bad('no node_count');
  const nodes = new Float64Array(count * width);
  let k = 0;
  let n = -1;
  let i = buf.indexOf('[', nodesAt) + 1;
  for (; i < buf.length; i++) {
    const c = buf[i] as number;
    if (c >= 0x30 && c <= 0x39) {
      n = (n < 0 ? 0 : n * 10) + (c - 0x30);
      continue;
    }
    if (c !== 0x2c && c !== 0x5d && c !== 0x0a && c !== 0x0d && c !== 0x20) throw bad(`byte ${c} in the node array at offset ${i}`);
    if (n >= 0) {
      if (k === nodes.length) throw bad(`more node fields than node_count ${count} x ${width}`);
      nodes[k++] = n;
    }
    n = -1;
    if (c === 0x5d) break; // ]
  }
  if (k !== nodes.length) throw bad(`${k} node fields where node_count ${count} x ${width} = ${nodes.length}`);
  const end = buf.lastIndexOf(']');
  const strings = JSON.parse(buf.toString('utf8', buf.indexOf('[', stringsAt), end + 1)) as string[];
  return { snapshot: head.snapshot, nodes, strings };
}

export interface HeapGroup {
  /** The node type and, for objects, the constructor ("object Route"); strings, numbers and code are one group each. */
  readonly group: string;
  readonly count: number;
  readonly bytes: number;
}

const LUMPED: Readonly<Record<string, string>> = {
  string: 'string',
  'concatenated string': 'string',
  'sliced string': 'string',
  number: 'heap number',
  code: 'code',
};

/** Self sizes summed per group, largest first. */
export function summarizeHeap(s: HeapSnapshot): HeapGroup[] {
  const meta = s.snapshot.meta;
  const width = meta.node_fields.length;
  const typeAt = meta.node_fields.indexOf('type');
  const nameAt = meta.node_fields.indexOf('name');
  const sizeAt = meta.node_fields.indexOf('self_size');
  if (typeAt < 0 || nameAt < 0 || sizeAt < 0) throw new Error(`a heap snapshot's nodes without type, name or self_size: ${meta.node_fields.join(', ')}`);
  const types = meta.node_types[0];
  const groups = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i + width <= s.nodes.length; i += width) {
    const type = types[s.nodes[i + typeAt] as number] ?? '?';
    const group = LUMPED[type] ?? `${type} ${(s.strings[s.nodes[i + nameAt] as number] ?? '').slice(0, 60)}`;
    const g = groups.get(group) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += s.nodes[i + sizeAt] as number;
    groups.set(group, g);
  }
  return [...groups].map(([group, g]) => ({ group, ...g })).sort((a, b) => b.bytes - a.bytes);
}

export function formatHeapSummary(groups: readonly HeapGroup[], top: number): string {
  const total = groups.reduce((n, g) => n + g.bytes, 0);
  const mb = (b: number): string => (b / (1024 * 1024)).toFixed(1);
  const lines = [`total ${mb(total)} MB in ${groups.reduce((n, g) => n + g.count, 0)} nodes`, '      MB      count  group'];
  for (const g of groups.slice(0, top)) lines.push(`${mb(g.bytes).padStart(8)} ${String(g.count).padStart(10)}  ${g.group}`);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
  const files = topAt >= 0 ? [...args.slice(0, topAt), ...args.slice(topAt + 2)] : args;
  const file = files[0];
  if (file === undefined || files.length > 1 || !Number.isInteger(top) || top <= 0) {
    process.stderr.write('usage: heap-summary FILE.heapsnapshot [--top N] (one file)\n');
    process.exit(2);
  }
  process.stdout.write(`${formatHeapSummary(summarizeHeap(readHeapSnapshot(file)), top)}\n`);
}

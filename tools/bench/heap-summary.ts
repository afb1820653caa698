#!/usr/bin/env node
/**
 * What a V8 heap snapshot holds, grouped: bytes and count per kind of node (objects by constructor,
 * arrays, strings, numbers, code, array-buffer backing stores), largest first. For diagnostics
 * (docs/benchmarks.md, "Running it"): take the snapshot with
 * `WREN_NODE_ARGS="--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=DIR"` and `kill -USR2 <wren pid>`,
 * then `node dist-tools/tools/bench/heap-summary.js DIR/Heap.<...>.heapsnapshot [--top N]` (one
 * file). A snapshot is taken after a full collection, so it is what is live. The node array is
 * held whole: give node `--max-old-space-size` for the snapshot of a large heap.
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
  const nodesAt = buf.indexOf('"nodes":');
  const stringsAt = buf.lastIndexOf('"strings":');
  if (nodesAt < 0 || stringsAt < 0) throw new Error(`${file}: not a V8 heap snapshot (no "nodes" or "strings")`);
  const head = JSON.parse(`${buf.toString('utf8', 0, buf.lastIndexOf(',', nodesAt))}}`) as Pick<HeapSnapshot, 'snapshot'>;
  const nodes: number[] = [];
  let i = buf.indexOf('[', nodesAt) + 1;
  let n = -1;
  for (; i < buf.length; i++) {
    const c = buf[i] as number;
    if (c >= 0x30 && c <= 0x39) n = (n < 0 ? 0 : n * 10) + (c - 0x30);
    else {
      if (n >= 0) nodes.push(n);
      n = -1;
      if (c === 0x5d) break; // ]
    }
  }
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
  const file = process.argv[2];
  const topAt = process.argv.indexOf('--top');
  const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 25;
  if (file === undefined || !Number.isInteger(top) || top <= 0) {
    process.stderr.write('usage: heap-summary FILE.heapsnapshot [--top N]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatHeapSummary(summarizeHeap(readHeapSnapshot(file)), top)}\n`);
}

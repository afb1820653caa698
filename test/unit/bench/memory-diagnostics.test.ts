/**
 * The bench's memory diagnostics (docs/benchmarks.md, "Running it"): the heap snapshot summary,
 * checked on a small snapshot written by a node process (V8's real format) and on a hand-made one, and
 * the memory timeline's line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatHeapSummary, readHeapSnapshot, summarizeHeap, type HeapSnapshot } from '../../../tools/bench/heap-summary.js';
import { memoryLine } from '../../../tools/bench/memory-log.js';

describe('heap-summary', () => {
  it('groups a hand-made snapshot by type and constructor, largest first, strings together', () => {
    const snap: HeapSnapshot = {
      snapshot: { meta: { node_fields: ['type', 'name', 'id', 'self_size'], node_types: [['object', 'string', 'concatenated string', 'array']] } },
      strings: ['Route', 'abc', 'AttrSet', '(object elements)'],
      nodes: [0, 0, 1, 64, 0, 0, 2, 64, 1, 1, 3, 24, 2, 1, 4, 32, 0, 2, 5, 128, 3, 3, 6, 200],
    };
    const groups = summarizeHeap(snap);
    expect(groups).toEqual([
      { group: 'array (object elements)', count: 1, bytes: 200 },
      { group: 'object Route', count: 2, bytes: 128 },
      { group: 'object AttrSet', count: 1, bytes: 128 },
      { group: 'string', count: 2, bytes: 56 },
    ]);
    const text = formatHeapSummary(groups, 2);
    expect(text.split('\n')).toHaveLength(4);
    expect(text).toContain('total 0.0 MB in 6 nodes');
    expect(text).not.toContain('string');
  });

  it("reads V8's own snapshot format: a class with a thousand live instances is a group of a thousand", () => {
    // A small process of its own, so the snapshot is a few MB, not this test worker's heap.
    const dir = mkdtempSync(join(tmpdir(), 'wren-heap-'));
    try {
      const file = join(dir, 'h.heapsnapshot');
      const script = `class MarkerForHeapSummary { constructor(n) { this.n = n; } }
        globalThis.keep = Array.from({ length: 1000 }, (_, i) => new MarkerForHeapSummary(i));
        require('node:v8').writeHeapSnapshot(${JSON.stringify(file)});`;
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const groups = summarizeHeap(readHeapSnapshot(file));
      const mine = groups.find((g) => g.group === 'object MarkerForHeapSummary');
      expect(mine?.count).toBe(1000);
      expect(mine?.bytes).toBeGreaterThanOrEqual(1000 * 16);
      expect(groups.find((g) => g.group === 'string')?.count).toBeGreaterThan(1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what is wrong with a file that is no heap snapshot, or whose node array it cannot read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wren-heap-'));
    try {
      writeFileSync(join(dir, 'x.json'), '{"a":1}');
      expect(() => readHeapSnapshot(join(dir, 'x.json'))).toThrow(/x\.json: not a V8 heap snapshot/);
      const meta = '{"snapshot":{"meta":{"node_fields":["type","name","self_size"],"node_types":[["object"]]},"node_count":2},\n';
      const write = (nodes: string): string => {
        writeFileSync(join(dir, 'h.heapsnapshot'), `${meta}"nodes":[${nodes}],\n"edges":[],\n"strings":["a","b"]}`);
        return join(dir, 'h.heapsnapshot');
      };
      expect(readHeapSnapshot(write('0,0,10,\n0,1,20')).nodes).toEqual(new Float64Array([0, 0, 10, 0, 1, 20]));
      expect(() => readHeapSnapshot(write('0,0,10,\n0,1,-20'))).toThrow(/byte 45 in the node array/);
      expect(() => readHeapSnapshot(write('0,0,10,\n0,1'))).toThrow(/5 node fields where node_count 2 x 3 = 6/);
      expect(() => readHeapSnapshot(write('0,0,10,\n0,1,20,0'))).toThrow(/more node fields than node_count/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('memory-log', () => {
  it('writes the pid, the time, the process totals and each heap space as used/committed MB', () => {
    const line = memoryLine(1234);
    expect(line).toMatch(new RegExp(`^${process.pid} 1234 rss=\\d+ heapTotal=\\d+ heapUsed=\\d+ external=\\d+ arrayBuffers=\\d+ `));
    expect(line).toMatch(/ old=\d+\/\d+/);
    expect(line).toMatch(/ new=\d+\/\d+/);
  });
});

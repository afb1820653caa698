import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, limitHeapGrowth } from '../../../src/util/heap-growth.js';

describe('limitHeapGrowth', () => {
  it('sets the heap growth when the node command line does not', () => {
    expect(limitHeapGrowth([])).toBe(HEAP_GROWING_PERCENT);
    expect(limitHeapGrowth(['--enable-source-maps', '--max-old-space-size=4096'])).toBe(HEAP_GROWING_PERCENT);
  });

  it("leaves the operator's own flag in force, however it is spelled", () => {
    expect(limitHeapGrowth(['--heap-growing-percent=30'])).toBeNull();
    expect(limitHeapGrowth(['--heap_growing_percent=30'])).toBeNull();
    expect(limitHeapGrowth(['--trace-gc', '--heap-growing-percent'])).toBeNull();
    expect(limitHeapGrowth(['--heap-growing-percentage-of-nothing'])).toBe(HEAP_GROWING_PERCENT);
  });
});

/**
 * Route shapes (kernel/route-shapes.ts): interned by value, freed at zero references, and the count
 * of live shapes whose next hops resolve through the kernel, by which FibSync skips the per-key
 * look at next hops when no route needs a lookup.
 */
import { describe, expect, it } from 'vitest';
import { RouteShapes } from '../../../src/kernel/route-shapes.js';
import type { KernelRoute } from '../../../src/kernel/port.js';

const route = (nextHops: KernelRoute['nextHops'], prefix = '10.65.1.0/26'): KernelRoute => ({ prefix, table: 254, protocol: 12, metric: 0, type: 'unicast', nextHops });

describe('RouteShapes', () => {
  it('shares one shape between routes of equal value, and frees it at zero references', () => {
    const s = new RouteShapes();
    const a = s.intern(route([{ via: '10.0.0.2', ifindex: 3 }]));
    const b = s.intern(route([{ via: '10.0.0.2', ifindex: 3 }], '10.65.2.0/26'));
    expect(b).toBe(a);
    expect(s.size).toBe(1);
    s.unref(a);
    expect(s.size).toBe(1);
    s.unref(b);
    expect(s.size).toBe(0);
  });

  it('counts the live shapes with a next hop to resolve (no device, no ifindex, not onlink)', () => {
    const s = new RouteShapes();
    const direct = s.intern(route([{ via: '10.0.0.2', ifindex: 3 }]));
    const onlink = s.intern(route([{ via: '10.0.0.3', onlink: true }]));
    expect(s.resolving).toBe(0);
    const recursive = s.intern(route([{ via: '192.0.2.9' }]));
    const again = s.intern(route([{ via: '192.0.2.9' }], '10.65.7.0/26'));
    expect(again).toBe(recursive);
    const blackhole = s.intern({ ...route([]), type: 'blackhole' });
    expect(s.resolving).toBe(1);
    s.unref(recursive);
    expect(s.resolving).toBe(1); // one reference left
    s.unref(again);
    expect(s.resolving).toBe(0);
    for (const id of [direct, onlink, blackhole]) s.unref(id);
    expect(s.size).toBe(0);
  });
});

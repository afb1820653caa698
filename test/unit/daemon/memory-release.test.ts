import { describe, expect, it } from 'vitest';
import { MemoryRelease } from '../../../src/daemon/memory-release.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/log.js';

describe('MemoryRelease: a full GC once quiet after a large withdrawal', () => {
  it('waits while the daemon is busy, then collects; requests meanwhile are one', () => {
    const clock = new ManualClock();
    let quiet = false;
    let collections = 0;
    const m = new MemoryRelease({ clock, log: silentLogger, quiet: () => quiet, collect: () => collections++ });
    m.request();
    m.request();
    clock.advance(5000);
    expect(collections).toBe(0);
    quiet = true;
    clock.advance(1000);
    expect(collections).toBe(1); // the heap did not shrink by a tenth (a fake collection): no second one
    clock.advance(10_000);
    expect(collections).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('gives up after a minute when never quiet (no forced pause), and stop() cancels a request and refuses new ones', () => {
    const clock = new ManualClock();
    let collections = 0;
    const busy = new MemoryRelease({ clock, log: silentLogger, quiet: () => false, collect: () => collections++ });
    busy.request();
    clock.advance(120_000);
    expect(collections).toBe(0);
    expect(clock.pending).toBe(0);
    const stopped = new MemoryRelease({ clock, log: silentLogger, quiet: () => true, collect: () => collections++ });
    stopped.request();
    stopped.stop();
    stopped.request();
    clock.advance(5000);
    expect(collections).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('does nothing when no full GC is to be had', () => {
    const clock = new ManualClock();
    const m = new MemoryRelease({ clock, log: silentLogger, quiet: () => true, collect: null });
    m.request();
    clock.advance(2000);
    expect(clock.pending).toBe(0);
  });
});

describe('fullGc', () => {
  it('gives a working full-GC function on this Node.js without --expose-gc on the command line', async () => {
    const { fullGc } = await import('../../../src/util/full-gc.js');
    const gc = fullGc();
    expect(typeof gc).toBe('function');
    gc?.();
    expect(fullGc()).toBe(gc);
  });
});

import { describe, expect, it } from 'vitest';
import { FibState } from '../../../src/kernel/fib-state.js';
import { PlannedWrite } from '../../../src/kernel/planned-write.js';
import { fibKey, type KernelRoute } from '../../../src/kernel/port.js';

const route = (prefix: string, via: string): KernelRoute => ({ prefix, table: 254, protocol: 12, metric: 0, type: 'unicast', nextHops: [{ via, dev: 'eth0' }] });

describe('PlannedWrite', () => {
  it('holds a reference on each shape it names until released (once), and makes its routes when read', () => {
    const s = new FibState();
    const a = route('10.1.0.0/24', '10.0.0.2');
    const b = route('10.1.0.0/24', '10.0.0.3');
    const k = fibKey(a);
    s.setHave(k, a);
    s.setWant(k, b);
    const from = s.haveAt(s.find(k));
    const to = s.wantAt(s.find(k));
    const w = new PlannedWrite(s, 'change', k, s.find(k), to, from);
    // The key's routes change while the write is in the kernel: both shapes stay alive for it.
    s.setWant(k, null);
    s.setHave(k, null);
    expect(s.shapes.size).toBe(2);
    expect(w.route).toEqual(b);
    expect(w.from).toEqual(a);
    expect(w.route).not.toBe(w.route); // a fresh object each read: nothing kept per write
    w.release();
    expect(s.shapes.size).toBe(0);
    w.release(); // a second release gives nothing back twice
    expect(s.shapes.size).toBe(0);
    // Shape ids are reused: a settled write must not be read.
    expect(() => w.route).toThrow(/settled write/);
    expect(() => w.from).toThrow(/after it settled/);
  });

  it('refuses a change without the route it replaces, and an add or remove with one, taking no reference', () => {
    const s = new FibState();
    const a = route('10.2.0.0/24', '10.0.0.2');
    const k = fibKey(a);
    s.setWant(k, a);
    const id = s.wantAt(s.find(k));
    expect(() => new PlannedWrite(s, 'change', k, s.find(k), id)).toThrow(/needs route to replace/);
    expect(() => new PlannedWrite(s, 'add', k, s.find(k), id, id)).toThrow(/has no route to replace/);
    expect(() => new PlannedWrite(s, 'remove', k, s.find(k), id, id)).toThrow(/has no route to replace/);
    const add = new PlannedWrite(s, 'add', k, s.find(k), id);
    expect(() => add.from).toThrow(/replaces no route/);
    s.setWant(k, null);
    expect(s.shapes.size).toBe(1);
    add.release();
    expect(s.shapes.size).toBe(0);
  });
});

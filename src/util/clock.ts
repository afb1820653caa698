/** Time is injected: the FSM emits timer effects, drivers call a Clock, tests use ManualClock. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Runs fn after ms; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/** A clock for tests: advance(ms) fires due callbacks in time order. Never sleeps. */
export class ManualClock implements Clock {
  #now = 0;
  #seq = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.#now;
  }

  after(ms: number, fn: () => void): () => void {
    const id = this.#seq++;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return () => {
      this.#timers.delete(id);
    };
  }

  /** Number of armed timers (for assertions). */
  get pending(): number {
    return this.#timers.size;
  }

  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Infinity;
      for (const [id, t] of this.#timers) {
        if (t.at <= target && t.at < nextAt) {
          nextAt = t.at;
          nextId = id;
        }
      }
      if (nextId < 0) break;
      const t = this.#timers.get(nextId);
      this.#timers.delete(nextId);
      this.#now = nextAt;
      t?.fn();
    }
    this.#now = target;
  }
}

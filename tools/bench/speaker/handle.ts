/**
 * The harness side of a speaker process: start it in a namespace, send commands, wait for events
 * with a bound. A `down` or `error` event, or the process exiting, fails every wait at once with
 * the speaker's reason, so a broken run ends quickly instead of running into its timeout.
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Lab, LabProcess } from '../../kit/netns.js';
import { builtTool } from '../../kit/paths.js';
import type { SpeakerCommand, SpeakerEvent, SpeakerInit } from './protocol.js';

/** The built speaker (`npm run build`), whether this module runs built or as TypeScript (a netns test). */
export const SPEAKER_JS = builtTool('bench/speaker/main.js');

type Waiter = { readonly match: (e: SpeakerEvent) => boolean; resolve: (e: SpeakerEvent) => void; reject: (e: Error) => void };

export class SpeakerHandle {
  readonly name: string;
  readonly proc: LabProcess;
  readonly #waiters = new Set<Waiter>();
  readonly #backlog: SpeakerEvent[] = [];
  #failure: Error | undefined;

  constructor(lab: Lab, ns: string, name: string, script = SPEAKER_JS) {
    this.name = name;
    // A large heap: the feeder holds a 1M-prefix table and its encoding.
    this.proc = lab.spawn(ns, process.execPath, ['--max-old-space-size=8192', script], { logFile: join(lab.dir, `${name}.log`), name, pipe: true });
    const out = this.proc.stdout;
    if (!out) throw new Error(`${name}: no stdout pipe`);
    createInterface({ input: out }).on('line', (line) => {
      let e: SpeakerEvent;
      try {
        e = JSON.parse(line) as SpeakerEvent;
      } catch {
        return;
      }
      this.#dispatch(e);
    });
    this.proc.stdin?.on('error', () => undefined);
    void this.proc.exited.then(() => this.#failAll(new Error(`${name} exited (${this.proc.status})`)));
  }

  #dispatch(e: SpeakerEvent): void {
    if (e.ev === 'down') return this.#failAll(new Error(`${this.name}: session down: ${e.why}`));
    if (e.ev === 'error') return this.#failAll(new Error(`${this.name}: ${e.message}`));
    for (const w of this.#waiters) {
      if (w.match(e)) {
        this.#waiters.delete(w);
        w.resolve(e);
        return;
      }
    }
    this.#backlog.push(e);
  }

  #failAll(err: Error): void {
    this.#failure ??= err;
    for (const w of this.#waiters) w.reject(this.#failure);
    this.#waiters.clear();
  }

  /** Why this speaker can no longer work (session down, error, exited), or undefined. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  send(cmd: SpeakerCommand): void {
    if (this.#failure) throw this.#failure;
    this.proc.stdin?.write(`${JSON.stringify(cmd)}\n`);
  }

  /** Waits for the next event of `kind` (one that arrived earlier and was not consumed counts). */
  wait<K extends SpeakerEvent['ev']>(kind: K, timeoutMs: number, what: string): Promise<Extract<SpeakerEvent, { ev: K }>> {
    const i = this.#backlog.findIndex((e) => e.ev === kind);
    if (i >= 0) {
      const [e] = this.#backlog.splice(i, 1);
      return Promise.resolve(e as Extract<SpeakerEvent, { ev: K }>);
    }
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(w);
        reject(new Error(`timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting for ${what}`));
      }, timeoutMs);
      const w: Waiter = {
        match: (e) => e.ev === kind,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e as Extract<SpeakerEvent, { ev: K }>);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.#waiters.add(w);
    });
  }

  /** Sends init and waits for ready. */
  async init(init: SpeakerInit, timeoutMs: number): Promise<Readonly<Record<string, number | string>>> {
    this.send({ cmd: 'init', init });
    const e = await this.wait('ready', timeoutMs, `${this.name} to establish its session(s) and get ready`);
    return e.info;
  }

  /** Asks for a status event (best effort, for error messages). */
  async status(timeoutMs = 3000): Promise<Readonly<Record<string, number | string>> | undefined> {
    try {
      this.send({ cmd: 'status' });
      return (await this.wait('status', timeoutMs, `${this.name} status`)).info;
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    if (this.proc.running && !this.#failure) this.send({ cmd: 'close' });
    this.proc.stdin?.end();
    await this.proc.stop(3000);
  }
}

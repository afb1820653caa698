/**
 * The BFD thread (docs/decisions/0010-bfd-worker.md): a worker_thread with its own event loop and
 * heap that owns every BFD socket and timer (engine.ts). Route work, garbage collection and
 * decision runs on the main thread cannot delay a packet or a detection here. The main thread
 * (service.ts) only sends the sessions it wants and reads transitions and statuses.
 *
 * It ends by itself: on `close` it takes every session AdminDown, closes its sockets (the native
 * poll handles are closed on this thread's loop) and its port, and the thread exits when nothing is
 * left; it is never terminated from outside while it owns a socket.
 */
import { parentPort } from 'node:worker_threads';
import { systemClock } from '../util/clock.js';
import { BfdEngine } from './engine.js';
import { STATUS_INTERVAL_MS, type FromBfdThread, type ToBfdThread } from './messages.js';
import { applyThreadPriority, nativeTransport } from './udp.js';

const port = parentPort;
if (port === null) throw new Error('bfd/worker.js runs as a worker thread only');
const post = (m: FromBfdThread): void => port.postMessage(m);

let engine: BfdEngine | undefined;
try {
  engine = new BfdEngine({
    clock: systemClock,
    transport: nativeTransport(),
    hooks: { transition: (transition, status) => post({ type: 'transition', transition, status }) },
  });
} catch (err) {
  post({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
}

const tick = engine
  ? setInterval(() => {
      if (engine) post({ type: 'statuses', sessions: engine.statuses(), unmatched: engine.unmatched });
    }, STATUS_INTERVAL_MS)
  : undefined;

port.on('message', (m: ToBfdThread) => {
  switch (m.type) {
    case 'configure':
      engine?.configure(m.specs);
      return;
    case 'priority':
      // Ahead of the main thread and of other work on the node when the CPUs are busy (docs/bfd.md).
      post({ type: 'priority', priority: applyThreadPriority(m.realtime) });
      return;
    case 'status':
      post({ type: 'statuses', id: m.id, sessions: engine?.statuses() ?? [], unmatched: engine?.unmatched ?? { undecodable: 0, noSession: 0 } });
      return;
    case 'close':
      if (tick) clearInterval(tick);
      engine?.close();
      engine = undefined;
      post({ type: 'closed' });
      port.close();
      return;
  }
});

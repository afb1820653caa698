/**
 * The worker thread of WorkerBatchWriter (netlink-writer.ts): owns a raw rtnetlink socket of its
 * own and sends the batches the main thread posts (sendBatch), so that a sendmsg() the kernel keeps
 * for a second blocks this thread, not the daemon's event loop. Replies with the refused messages.
 */
import { parentPort } from 'node:worker_threads';
import { sendBatch } from './netlink-batch.js';
import { rawTransport } from './netlink-raw.js';
import { unpackRequest, type WorkerClose, type WorkerReply, type WorkerRequest } from './netlink-writer-protocol.js';

const port = parentPort;
if (port === null) throw new Error('netlink-writer-worker.js runs as a worker thread only');
const raw = rawTransport();

port.on('message', (req: WorkerRequest | WorkerClose) => {
  if ('close' in req) {
    // The socket is closed here, on its own thread, before the thread ends (see WorkerBatchWriter.close).
    raw.close();
    port.close();
    return;
  }
  sendBatch(unpackRequest(req), raw.transport, req.options).then(
    (errnos) => {
      const flat: number[] = [];
      for (const [seq, errno] of errnos) flat.push(seq, errno);
      const reply: WorkerReply = { id: req.id, errnos: flat };
      port.postMessage(reply);
    },
    (err: unknown) => {
      const reply: WorkerReply = { id: req.id, error: err instanceof Error ? err.message : String(err) };
      port.postMessage(reply);
    },
  );
});

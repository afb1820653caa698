/**
 * A raw rtnetlink socket as a BatchTransport: what the netlink writer's worker thread needs, and no
 * more. It imports the netlink package's raw socket module alone (`netlink/dist/raw.js`), not the
 * package's index, which loads every rtnetlink, genetlink and nl80211 definition: about 8 MB of
 * heap in each thread that loads it (measured: the daemon's idle RSS, issue 14).
 */
import { constants as osConstants } from 'node:os';
// The package has no "exports" map: its raw module is a public file of the same version (netlink 0.3.0, pinned).
import { RawNetlinkSocket } from 'netlink/dist/raw.js';
import type { BatchTransport } from './netlink-batch.js';
import { decodeAcks } from './rtmsg.js';

const osErrno = osConstants.errno;
/** NETLINK_ROUTE (linux/netlink.h). */
const NETLINK_ROUTE = 0;

/** A raw rtnetlink socket as a BatchTransport (its ACKs read by us, not by the package). */
export function rawTransport(): { transport: BatchTransport; close(): void } {
  const raw = new RawNetlinkSocket(NETLINK_ROUTE, { recvBufferSize: 8 << 20, sendBufferSize: 1 << 20 });
  const listeners = new Set<(seq: number, errno: number) => void>();
  raw.on('error', () => undefined);
  raw.on('message', (buf: Buffer) => {
    for (const a of decodeAcks(buf)) for (const l of listeners) l(a.seq, a.errno);
  });
  const errnoOf = (err: NodeJS.ErrnoException): number => {
    const code = err.code ?? 'EIO';
    return (osErrno as Record<string, number | undefined>)[code] ?? 5;
  };
  return {
    transport: {
      send: (datagram, failed) =>
        raw.send(datagram, {}, (err) => {
          if (err) failed(errnoOf(err as NodeJS.ErrnoException));
        }),
      listen: (ack) => {
        listeners.add(ack);
        return () => listeners.delete(ack);
      },
    },
    close: () => raw.close(),
  };
}

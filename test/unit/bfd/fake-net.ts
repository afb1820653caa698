/**
 * An in-memory UDP network for BFD engine tests: sockets bound to (address, port), delivery after
 * 1 ms of clock time with the sender's TTL less `hops`, the source address of a wildcard-bound
 * socket being its host's address. Ports in use are refused with EADDRINUSE.
 */
import type { ManualClock } from '../../../src/util/clock.js';
import { UdpSocketError, type BfdTransport, type UdpDatagram, type UdpOpenOptions, type UdpSocket } from '../../../src/bfd/udp.js';

interface Bound {
  readonly host: string;
  readonly address: string;
  readonly port: number;
  readonly ttl: number;
  readonly onMessage?: (d: UdpDatagram) => void;
  closed: boolean;
}

export interface SentDatagram {
  readonly from: string;
  readonly fromPort: number;
  readonly to: string;
  readonly port: number;
  readonly ttl: number;
  readonly bytes: Buffer;
}

export class FakeNet {
  readonly #clock: ManualClock;
  readonly #bound: Bound[] = [];
  /** Hops between hosts (TTL decrements); 0: on one link. */
  hops = 0;
  /** Drop everything a host sends. */
  readonly silenced = new Set<string>();
  /** Refuse to bind these `${address}/${port}`. */
  readonly refuse = new Map<string, string>();
  readonly sent: SentDatagram[] = [];

  constructor(clock: ManualClock) {
    this.#clock = clock;
  }

  /** The transport of one host (its address is the source of wildcard-bound sockets). */
  host(address: string): BfdTransport {
    return {
      open: (o: UdpOpenOptions): UdpSocket => {
        const refused = this.refuse.get(`${o.address}/${o.port}`);
        if (refused !== undefined) throw new UdpSocketError(refused, 'bind');
        const wildcard = o.address === '0.0.0.0' || o.address === '::';
        if (this.#bound.some((b) => !b.closed && b.host === address && b.port === o.port && (b.address === o.address || wildcard))) {
          throw new UdpSocketError('EADDRINUSE', 'bind');
        }
        const b: Bound = { host: address, address: o.address, port: o.port, ttl: o.ttl, ...(o.onMessage ? { onMessage: o.onMessage } : {}), closed: false };
        this.#bound.push(b);
        return {
          localPort: o.port,
          send: (bytes, to, port) => {
            if (b.closed) return 'EBADF';
            const from = wildcard ? address : b.address;
            const ttl = b.ttl < 0 ? 64 : b.ttl;
            this.sent.push({ from, fromPort: b.port, to, port, ttl, bytes: Buffer.from(bytes) });
            if (this.silenced.has(address)) return null;
            const copy = Buffer.from(bytes);
            this.#clock.after(1, () => {
              const rx = this.#bound.find((x) => !x.closed && x.host === to && x.port === port && x.onMessage);
              rx?.onMessage?.({ bytes: copy, from, fromPort: b.port, ttl: ttl - this.hops, to, ifindex: 2 });
            });
            return null;
          },
          close: () => {
            b.closed = true;
          },
        };
      },
    };
  }

  /** Sockets open on a host. */
  openOn(host: string): { address: string; port: number }[] {
    return this.#bound.filter((b) => !b.closed && b.host === host).map((b) => ({ address: b.address, port: b.port }));
  }

  /** Injects a datagram as if `from` sent it. */
  inject(from: string, to: string, port: number, bytes: Buffer, ttl = 255): void {
    const rx = this.#bound.find((x) => !x.closed && x.host === to && x.port === port && x.onMessage);
    rx?.onMessage?.({ bytes, from, fromPort: 50000, ttl, to, ifindex: 2 });
  }
}

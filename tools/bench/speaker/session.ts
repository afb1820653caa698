/**
 * A minimal BGP speaker session for the bench's feeder, sink and reflector clients: connect, OPEN
 * (RFC 4271 4.2) with multiprotocol IPv4 unicast (RFC 4760), route refresh (RFC 2918), 4-octet AS
 * (RFC 6793), graceful-restart awareness (RFC 4724, no family preserved), optionally ADD-PATH
 * receive and send in IPv4 unicast (RFC 7911, the reflector-addpath clients), KEEPALIVEs at a third
 * of the negotiated hold time (RFC 4271 4.4), End-of-RIB after our empty initial table, and every
 * UPDATE handed raw to the owner. Framing, decoding of OPEN/NOTIFICATION and encoding are wren's
 * codec. No FSM beyond "waiting for OPEN, waiting for KEEPALIVE, established": the bench only ever
 * connects to a daemon that is configured to accept it, and any error ends the run.
 */
import { connect, type Socket } from 'node:net';
import { AS_TRANS, BGP_VERSION, MsgType, notificationName } from '../../../src/codec/constants.js';
import { Framer } from '../../../src/codec/framer.js';
import { decodeMessage, encodeMessage, KEEPALIVE_MESSAGE } from '../../../src/codec/message.js';
import { familyKey, type Capability, type CodecContext, type OpenMsg } from '../../../src/codec/types.js';

export interface SessionOptions {
  readonly remote: string;
  readonly port?: number;
  readonly local: string;
  readonly asn: number;
  readonly routerId: string;
  /** Hold time offered in our OPEN, seconds. */
  readonly holdTime: number;
  /**
   * Every UPDATE received once Established, as a whole message: a view into the socket's read chunk
   * (or a buffer of its own when it spanned chunks). Nothing reuses those chunks (no `onread`
   * buffer), so a view may be kept; it keeps its chunk alive.
   */
  readonly onUpdate: (frame: Buffer) => void;
  /** The session ended (NOTIFICATION received, socket closed or error) after it was established. */
  readonly onDown?: (why: string) => void;
  /** A KEEPALIVE arrived on the established session. */
  readonly onKeepalive?: () => void;
  /**
   * Offer ADD-PATH (RFC 7911) receive and send in IPv4 unicast. What the daemon's OPEN answers
   * decides `ctx.addPathRx` / `ctx.addPathTx` (negotiateAddPath4): UPDATEs are then read and
   * written with path ids.
   */
  readonly addPath?: boolean;
}

const IPV4_UNICAST = familyKey(1, 1);

/**
 * RFC 7911 4 for IPv4 unicast, when we offered both receive and send: we receive path ids when the
 * peer's ADD-PATH capability says it sends them (Send/Receive 2 or 3), and send them when it says
 * it receives them (1 or 3). No capability, or no IPv4 unicast entry: neither. A family listed
 * twice: the last entry counts (as wren's own negotiation reads it).
 */
export function negotiateAddPath4(peer: OpenMsg): { readonly receive: boolean; readonly send: boolean } {
  let sr = 0;
  for (const p of peer.params) {
    if (!('capabilities' in p)) continue;
    for (const c of p.capabilities) {
      if (c.kind !== 'add-path') continue;
      for (const f of c.families) if (f.afi === 1 && f.safi === 1) sr = f.sendReceive;
    }
  }
  return { receive: (sr & 2) !== 0, send: (sr & 1) !== 0 };
}

/** An UPDATE with no withdrawn routes, no attributes and no NLRI: the IPv4 unicast End-of-RIB. */
const END_OF_RIB_IPV4 = encodeMessage({ kind: 'update', withdrawn: [], attrs: null, nlri: [] }, { as4: false, extendedMessage: false, addPathRx: new Set(), addPathTx: new Set() });

type State = 'connecting' | 'open-sent' | 'open-confirm' | 'established' | 'down';

const openMessage = (o: SessionOptions): OpenMsg => {
  const caps: Capability[] = [
    { kind: 'multiprotocol', afi: 1, safi: 1 },
    { kind: 'route-refresh' },
    { kind: 'as4', asn: o.asn },
    // RFC 4724 3: graceful-restart aware, no family preserved: the daemon sends End-of-RIB, which
    // tells us when its initial work for this session is done.
    { kind: 'graceful-restart', restarting: false, notification: false, restartTimeSec: 0, families: [] },
  ];
  if (o.addPath) caps.push({ kind: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 3 }] });
  return {
    kind: 'open',
    version: BGP_VERSION,
    myAs: o.asn > 0xffff ? AS_TRANS : o.asn,
    holdTime: o.holdTime,
    bgpId: o.routerId,
    params: [{ type: 2, capabilities: caps }],
  };
};

const hasAs4 = (m: OpenMsg): boolean => m.params.some((p) => 'capabilities' in p && p.capabilities.some((c) => c.kind === 'as4'));

export class BenchSession {
  readonly options: SessionOptions;
  ctx: CodecContext = { as4: false, extendedMessage: false, addPathRx: new Set(), addPathTx: new Set() };
  #state: State = 'connecting';
  #socket: Socket | undefined;
  #framer = new Framer();
  #keepalive: NodeJS.Timeout | undefined;
  #resolve: (() => void) | undefined;
  #reject: ((e: Error) => void) | undefined;
  #eor = false;
  #onEor: (() => void) | undefined;
  /** Why the session went down, once it has. */
  downReason: string | undefined;

  constructor(options: SessionOptions) {
    this.options = options;
  }

  get state(): State {
    return this.#state;
  }

  /** Connects (retrying refused connections until deadlineMs) and resolves once Established. */
  establish(deadlineMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      this.#attempt(deadlineMs);
    });
  }

  #attempt(deadlineMs: number): void {
    const o = this.options;
    const s = connect({ host: o.remote, port: o.port ?? 179, localAddress: o.local, noDelay: true });
    this.#socket = s;
    this.#framer = new Framer();
    // 'error' is followed by 'close'; handle the end of each socket once.
    let ended = false;
    const onEnd = (why: string): void => {
      if (ended || s !== this.#socket) return;
      ended = true;
      s.destroy();
      if (this.#state !== 'established' && this.#state !== 'down' && Date.now() < deadlineMs) {
        // The daemon is not listening yet, or dropped us before Established (still configuring): retry.
        clearInterval(this.#keepalive);
        this.#state = 'connecting';
        setTimeout(() => this.#attempt(deadlineMs), 200);
        return;
      }
      this.#fail(this.#state === 'connecting' ? `connect to ${o.remote} from ${o.local}: ${why}` : why);
    };
    s.on('error', (err: NodeJS.ErrnoException) => onEnd(`socket error: ${err.code ?? err.message}`));
    s.on('close', () => onEnd('connection closed by the daemon'));
    s.on('connect', () => {
      this.#state = 'open-sent';
      this.ctx = { ...this.ctx, as4: false, addPathRx: new Set(), addPathTx: new Set() };
      s.write(encodeMessage(openMessage(o), this.ctx));
    });
    s.on('data', (chunk: Buffer) => this.#onData(chunk));
  }

  #onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.#framer.push(chunk);
    } catch (e) {
      this.#fail(`bad message header from the daemon: ${(e as Error).message}`);
      return;
    }
    for (const f of frames) {
      const type = f[18];
      if (type === MsgType.UPDATE && this.#state === 'established') {
        // RFC 4724 2: an UPDATE with nothing in it is the IPv4 unicast End-of-RIB.
        if (f.length === 23 && !this.#eor) {
          this.#eor = true;
          this.#onEor?.();
        }
        this.options.onUpdate(f);
        continue;
      }
      if (type === MsgType.KEEPALIVE) {
        if (this.#state === 'open-confirm') this.#established();
        else if (this.#state === 'established') this.options.onKeepalive?.();
        continue;
      }
      let m;
      try {
        m = decodeMessage(f, this.ctx);
      } catch (e) {
        this.#fail(`undecodable message from the daemon: ${(e as Error).message}`);
        return;
      }
      if (m.kind === 'open' && this.#state === 'open-sent') {
        const hold = Math.min(m.holdTime, this.options.holdTime);
        const ap = this.options.addPath ? negotiateAddPath4(m) : { receive: false, send: false };
        this.ctx = {
          ...this.ctx,
          as4: hasAs4(m),
          addPathRx: new Set(ap.receive ? [IPV4_UNICAST] : []),
          addPathTx: new Set(ap.send ? [IPV4_UNICAST] : []),
        };
        this.#socket?.write(KEEPALIVE_MESSAGE);
        this.#state = 'open-confirm';
        if (hold > 0) {
          this.#keepalive = setInterval(() => this.#socket?.write(KEEPALIVE_MESSAGE), Math.max(1, Math.floor(hold / 3)) * 1000);
        }
      } else if (m.kind === 'notification') {
        this.#fail(`NOTIFICATION from the daemon: ${m.code}/${m.subcode} ${notificationName(m.code, m.subcode)}${m.shutdownCommunication ? ` "${m.shutdownCommunication}"` : ''}`);
        return;
      } else if (m.kind === 'update') {
        this.#fail('UPDATE before the session was established');
        return;
      }
    }
  }

  #established(): void {
    this.#state = 'established';
    // End-of-RIB (RFC 4724 2): our initial table is empty; routes come later, when the bench says.
    this.#socket?.write(END_OF_RIB_IPV4);
    this.#resolve?.();
    this.#resolve = undefined;
    this.#reject = undefined;
  }

  #fail(why: string): void {
    if (this.#state === 'down') return;
    const wasUp = this.#state === 'established';
    this.#state = 'down';
    this.downReason = why;
    clearInterval(this.#keepalive);
    this.#socket?.destroy();
    if (this.#reject) this.#reject(new Error(why));
    this.#resolve = undefined;
    this.#reject = undefined;
    if (wasUp) this.options.onDown?.(why);
  }

  /** Resolves true once the daemon's End-of-RIB arrived, false after timeoutMs without it. */
  endOfRib(timeoutMs: number): Promise<boolean> {
    if (this.#eor) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.#onEor = () => {
        clearTimeout(t);
        resolve(true);
      };
    });
  }

  /**
   * Writes chunks in order, waiting for 'drain' when the socket says stop. Returns the monotonic
   * time (process.hrtime.bigint) just before the first byte was handed to the socket, and when the
   * last chunk was taken by the kernel.
   */
  async send(chunks: readonly Buffer[]): Promise<{ firstNs: bigint; flushedNs: bigint }> {
    const s = this.#socket;
    if (!s || this.#state !== 'established') throw new Error(`cannot send: session ${this.#state}${this.downReason ? ` (${this.downReason})` : ''}`);
    const firstNs = process.hrtime.bigint();
    for (const c of chunks) {
      if (!s.write(c)) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = (): void => {
            s.off('close', onClose);
            resolve();
          };
          const onClose = (): void => {
            s.off('drain', onDrain);
            reject(new Error(`session closed while sending${this.downReason ? `: ${this.downReason}` : ''}`));
          };
          s.once('drain', onDrain);
          s.once('close', onClose);
        });
      }
    }
    await new Promise<void>((resolve) => s.write(Buffer.alloc(0), () => resolve()));
    return { firstNs, flushedNs: process.hrtime.bigint() };
  }

  /** Ends the session with Cease / Administrative Shutdown (RFC 4486 subcode 2). */
  close(): void {
    if (this.#state === 'down') return;
    const s = this.#socket;
    const wasEstablished = this.#state === 'established';
    this.#state = 'down';
    clearInterval(this.#keepalive);
    if (s && wasEstablished) s.end(encodeMessage({ kind: 'notification', code: 6, subcode: 2, data: Buffer.alloc(0) }, this.ctx));
    else s?.destroy();
  }
}

/**
 * `NetlinkKernel`: KernelPort over the `netlink` package (0.3.0); with netlink-raw.ts (the writer thread's raw socket), the only files that import it.
 *
 * What we use from the package: the socket, sequence numbers, ACK/ERROR correlation
 * (`NetlinkSocket.request` keeps a Map seq -> callback, so many requests can be in flight at once),
 * multipart dump reassembly, multicast membership, and its link/address parsers. Route messages are
 * encoded and decoded by hand (rtmsg.ts): the package's `formatRoute` writes rtm_table as a u8 (no
 * ids > 255), reports rtm_protocol as an enum *name* ('BGP', 'BIRD') when it knows one, leaves
 * RTA_MULTIPATH as raw bytes, and its `'message'` event on RtNetlinkSocket drops the message type
 * (NEWROUTE vs DELROUTE). Errors come back as `Error('Request rejected: ESRCH')`; toKernelError
 * turns them into KernelError.
 *
 * Three sockets: route lookups (one RTM_GETROUTE per address, pipelined up to maxInFlight), dumps
 * (serialized), and notifications; route writes, always batched (`write`), go through a fourth, in
 * a worker thread (netlink-writer.ts). The package groups multipart replies in one slot per socket, so a second
 * dump, an ACK or an unsolicited message arriving in the middle of a dump would cut it short.
 */
import { constants as osConstants } from 'node:os';
import { createRtNetlink, rt, type RtNetlinkSocket, type NetlinkMessage } from 'netlink';
import { Slicer } from '../util/slice.js';
import { formatAddress, inSubnet, parseAddress } from '../util/inet.js';
import { DEFAULT_BATCH_OPTIONS } from './netlink-batch.js';
import { tuneNotificationSocket } from './netlink-tune.js';
import { defaultBatchWriter, type BatchWriter } from './netlink-writer.js';
import {
  KernelError,
  fibKeyV4Of,
  fibKeyV4Prefix,
  routeKey,
  toKernelError,
  type KernelEvent,
  type KernelLink,
  type KernelNextHop,
  type KernelOp,
  type KernelPort,
  type KernelRoute,
  type KernelRouteKey,
  type FibKey,
  type KernelWrite,
  type GatewayResolution,
  type RouteFilter,
} from './port.js';
import { PackedBatchBuilder } from './packed-batch.js';
import {
  NLM_F,
  RTM,
  decodeRoute,
  encodeRouteLookup,
  encodeDumpRequest,
  setDstPrefix,
  setDstV4,
  toKernelRouteFromDecoded,
  writeDelRouteMsg,
  writeNewRouteMsg,
  type HopBytes,
} from './rtmsg.js';

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;

export interface NetlinkKernelOptions {
  /** Lookups in flight at once on the request socket (default 64). */
  readonly maxInFlight?: number;
  /** Per-request timeout in ms (default 5000). */
  readonly timeoutMs?: number;
  /** How long a links() answer is reused for next-hop device resolution (default 1000 ms). */
  readonly linkCacheMs?: number;
  /** Where batched writes are sent from (default: a worker thread when built, netlink-writer.ts). */
  readonly writer?: BatchWriter;
}

export class NetlinkKernel implements KernelPort {
  /** Route lookups (RTM_GETROUTE for one address), pipelined. */
  readonly #sock: RtNetlinkSocket;
  /** Dumps, one at a time (see the file comment). */
  readonly #dumpSock: RtNetlinkSocket;
  #dumpChain: Promise<unknown> = Promise.resolve();
  readonly #maxInFlight: number;
  readonly #timeoutMs: number;
  readonly #linkCacheMs: number;
  #inFlight = 0;
  readonly #waiting: (() => void)[] = [];
  #links: { at: number; value: Promise<KernelLink[]> } | undefined;
  #names = new Map<number, string>();
  /** Notification sockets and their listeners. */
  readonly #subs = new Map<RtNetlinkSocket, (e: KernelEvent) => void>();
  #closed = false;
  /** Batched writes (many messages per datagram, ACKs by seq): sent from a worker thread (netlink-writer.ts). */
  readonly #writer: BatchWriter;
  #seq = 1;
  #bigBatches = 0;

  constructor(opts: NetlinkKernelOptions = {}) {
    this.#maxInFlight = opts.maxInFlight ?? 64;
    this.#timeoutMs = opts.timeoutMs ?? 5000;
    this.#linkCacheMs = opts.linkCacheMs ?? 1000;
    this.#writer = opts.writer ?? defaultBatchWriter({ ...DEFAULT_BATCH_OPTIONS, timeoutMs: this.#timeoutMs });
    this.#sock = createRtNetlink();
    this.#dumpSock = createRtNetlink();
    for (const s of [this.#sock, this.#dumpSock]) {
      // An unhandled 'error' event would kill the process; request errors arrive through promises.
      s.socket.on('error', () => undefined);
      try {
        s.socket.setRecvBufferSize(1 << 20);
      } catch {
        // best effort
      }
    }
  }

  /**
   * Pipelined batch (netlink-batch.ts): route messages packed many per datagram, ACKs matched by
   * sequence number, the messages of one write (the delete, add and re-add of a `change`) in one
   * datagram, handled back to back by the kernel. Encoded here (devices resolved once for the whole
   * batch), sent from a worker thread (netlink-writer.ts). Never rejects.
   */
  async write(batch: readonly KernelWrite[]): Promise<(KernelError | null)[]> {
    const results: (KernelError | null)[] = new Array<KernelError | null>(batch.length).fill(null);
    if (batch.length === 0) return results;
    if (this.#closed) return results.map((_, i) => new KernelError('EBADF', batch[i]?.op ?? 'add', batch[i]?.route));
    let links: KernelLink[] = [];
    // Links only for a batch that adds a route with next hops (the look stops at the first such write).
    if (batch.some((w) => w.op !== 'remove' && (w.route.type !== 'blackhole' || (w.op === 'change' && w.from.type !== 'blackhole')))) {
      try {
        links = await this.links();
      } catch (e) {
        return batch.map((w) => toKernelError(e, w.op, w.route));
      }
    }
    const hops = new HopResolver(links);
    // A big batch would echo one notification per route to our own subscription (a million parses
    // for a full table): route groups are left for the batch's duration. A change someone else
    // makes meanwhile is repaired by the reconciler's periodic scan instead of at once.
    const big = batch.length >= QUIET_BATCH;
    if (big) this.#pauseRouteEvents();
    try {
      return await this.#writePacked(batch, hops, results);
    } catch (e) {
      return batch.map((w) => toKernelError(e, w.op, w.route));
    } finally {
      if (big) this.#resumeRouteEvents();
    }
  }

  async #writePacked(batch: readonly KernelWrite[], hops: HopResolver, results: (KernelError | null)[]): Promise<(KernelError | null)[]> {
    // Every message straight into one buffer (packed-batch.ts); per write, the sequence numbers of
    // its delete and its add (0: none) say which errnos are its own.
    let messages = 0;
    for (let i = 0; i < batch.length; i++) messages += (batch[i] as KernelWrite).op === 'change' ? 3 : 1;
    const into = new PackedBatchBuilder(messages);
    const delSeq = new Int32Array(batch.length);
    const addSeq = new Int32Array(batch.length);
    const encoded = new Uint8Array(batch.length);
    for (let index = 0; index < batch.length; index++) {
      const w = batch[index] as KernelWrite;
      const seq = this.#seq;
      try {
        this.#encodeWrite(w, index, hops, into, delSeq, addSeq);
        into.endUnit();
        encoded[index] = 1;
      } catch (e) {
        // Nothing of the unit is sent: its sequence numbers are handed out again (they stay consecutive).
        into.abandonUnit();
        this.#seq = seq;
        delSeq[index] = addSeq[index] = 0;
        results[index] = toKernelError(e, w.op === 'change' ? 'add' : w.op, w.route);
      }
    }
    const errnos = await this.#writer.write(into.build());
    for (let index = 0; index < batch.length; index++) {
      if (encoded[index] === 1) results[index] = writeResult(batch[index] as KernelWrite, delSeq[index] as number, addSeq[index] as number, errnos);
    }
    return results;
  }

  /**
   * The messages of one write, each written straight into the batch (rtmsg.ts); their sequence
   * numbers in delSeq / addSeq at `index`. Throws (ENODEV, ...) when the route to add cannot be
   * encoded: the caller drops what this wrote of the unit.
   */
  #encodeWrite(w: KernelWrite, index: number, hops: HopResolver, into: PackedBatchBuilder, delSeq: Int32Array, addSeq: Int32Array): void {
    // Each route read once here: a writer may make it when it is read (port.ts KernelWrite, planned-write.ts).
    if (w.op === 'remove') {
      const route = w.route;
      this.#setDst(w.key, route);
      const seq = this.#nextSeq();
      writeDelRouteMsg(into, seq, route);
      delSeq[index] = seq;
      return;
    }
    const to = w.route;
    this.#setDst(w.key, to);
    if (w.op === 'add') {
      const addHops = hops.of(to, 'add');
      const seq = this.#nextSeq();
      writeNewRouteMsg(into, seq, NLM_F.CREATE | NLM_F.EXCL, to, addHops);
      addSeq[index] = seq;
      return;
    }
    const from = w.from;
    if (routeKey(from) !== routeKey(to) || from.protocol !== to.protocol) {
      throw new KernelError('EINVAL', 'change', to, { cause: new Error('a change keeps the key and the protocol') });
    }
    // Next hops resolved first: when the new route cannot be sent, nothing is deleted.
    const addHops = hops.of(to, 'add');
    let restoreHops: readonly HopBytes[] | undefined;
    try {
      restoreHops = hops.of(from, 'add');
    } catch {
      restoreHops = undefined; // its device is gone, and with it the old route
    }
    const del = this.#nextSeq();
    writeDelRouteMsg(into, del, from);
    const add = this.#nextSeq();
    writeNewRouteMsg(into, add, NLM_F.CREATE | NLM_F.EXCL, to, addHops);
    if (restoreHops) writeNewRouteMsg(into, this.#nextSeq(), NLM_F.CREATE | NLM_F.EXCL, from, restoreHops);
    delSeq[index] = del;
    addSeq[index] = add;
  }

  /**
   * The destination of the messages that follow: from the reconciler's numeric key when it has one
   * and it is this route's table and metric (no prefix text read), else from the prefix text.
   */
  #setDst(key: FibKey | undefined, route: KernelRouteKey): void {
    if (typeof key === 'number' && fibKeyV4Of(key, route)) setDstV4(fibKeyV4Prefix(key));
    else setDstPrefix(route.prefix);
  }

  holdRouteEvents(): () => void {
    this.#pauseRouteEvents();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#resumeRouteEvents();
    };
  }

  #pauseRouteEvents(): void {
    if (this.#bigBatches++ > 0) return;
    for (const s of this.#subs.keys()) {
      s.dropMembership('IPV4_ROUTE');
      s.dropMembership('IPV6_ROUTE');
    }
  }

  #resumeRouteEvents(): void {
    if (--this.#bigBatches > 0) return;
    for (const s of this.#subs.keys()) {
      s.addMembership('IPV4_ROUTE');
      s.addMembership('IPV6_ROUTE');
    }
  }

  async lookup(addresses: readonly string[]): Promise<Map<string, GatewayResolution | null>> {
    const out = new Map<string, GatewayResolution | null>();
    let names: ReadonlyMap<number, string> = new Map();
    try {
      names = await this.#linkNames();
    } catch {
      // names are only for display
    }
    await Promise.all(
      addresses.map(async (address) => {
        try {
          const msgs = await this.#request('list', RTM.GETROUTE, encodeRouteLookup(address), 0);
          const m = msgs.find((x) => x.type === RTM.NEWROUTE);
          const d = m ? decodeRoute(m.data) : null;
          const hop = d?.nextHops[0];
          if (!d || !hop || d.type !== 1 || hop.ifindex === 0) {
            out.set(address, null);
            return;
          }
          const dev = names.get(hop.ifindex);
          out.set(address, { via: hop.via ?? address, ifindex: hop.ifindex, ...(dev !== undefined ? { dev } : {}) });
        } catch {
          out.set(address, null);
        }
      }),
    );
    return out;
  }

  async list(filter: RouteFilter): Promise<KernelRoute[]> {
    if (this.#closed) throw new KernelError('EBADF', 'list');
    let msgs: NetlinkMessage[];
    try {
      [msgs] = await this.#dump(() =>
        this.#dumpSock.socket.request(RTM.GETROUTE, encodeDumpRequest(0), { flags: NLM_F.DUMP, timeout: this.#timeoutMs }),
      );
    } catch (e) {
      throw toKernelError(e, 'list');
    }
    const names = await this.#linkNames();
    const out: KernelRoute[] = [];
    // A full table is a million messages: decoded in slices, the event loop turning in between.
    const slicer = new Slicer();
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i] as NetlinkMessage;
      if ((i & 1023) === 1023) await slicer.maybePause();
      // rtm_protocol is byte 5 of struct rtmsg: another protocol's route is not decoded at all.
      if (m.type !== RTM.NEWROUTE || m.data[5] !== filter.protocol) continue;
      const d = decodeRoute(m.data);
      if (!d || d.protocol !== filter.protocol || d.table !== filter.table) continue;
      const r = toKernelRouteFromDecoded(d, names);
      if (r) out.push(r);
    }
    return out;
  }

  links(): Promise<KernelLink[]> {
    const cached = this.#links;
    if (cached && performance.now() - cached.at < this.#linkCacheMs) return cached.value;
    const value = this.#fetchLinks();
    this.#links = { at: performance.now(), value };
    value.catch(() => {
      if (this.#links?.value === value) this.#links = undefined;
    });
    return value;
  }

  subscribe(onEvent: (e: KernelEvent) => void): () => void {
    const sock = createRtNetlink();
    const groups = ['IPV4_ROUTE', 'IPV6_ROUTE', 'LINK', 'IPV4_IFADDR', 'IPV6_IFADDR'] as const;
    try {
      sock.socket.setRecvBufferSize(4 << 20);
    } catch {
      // best effort
    }
    for (const g of groups) sock.addMembership(g);
    // Overflow must not kill the process (netlink-tune.ts); a drop is repaired by the periodic scan.
    const why = tuneNotificationSocket(sock.socket.address().port, NOTIFY_RCVBUF);
    if (why !== null) onEvent({ kind: 'resync', reason: `notification socket not protected against overflow: ${why}` });
    const linkUp = new Map<number, boolean>();
    sock.socket.on('error', (err) => onEvent({ kind: 'resync', reason: String(err.code ?? err.message) }));
    sock.socket.on('message', (msgs: NetlinkMessage[]) => {
      for (const m of msgs) {
        for (const e of this.#toEvents(m, linkUp)) onEvent(e);
      }
    });
    this.#subs.set(sock, onEvent);
    // Route events name devices from the ifindex -> name map; fill it now.
    this.links().catch(() => undefined);
    return () => {
      if (this.#subs.delete(sock)) sock.socket.close();
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#subs.keys()) s.socket.close();
    this.#subs.clear();
    this.#sock.socket.close();
    this.#dumpSock.socket.close();
    await this.#writer.close();
  }

  #nextSeq(): number {
    const s = this.#seq;
    this.#seq = (this.#seq % 0x7fffffff) + 1;
    return s;
  }

  #toEvents(m: NetlinkMessage, linkUp: Map<number, boolean>): KernelEvent[] {
    if (m.type === RTM.NEWROUTE || m.type === RTM.DELROUTE) {
      const d = decodeRoute(m.data);
      const route = d ? toKernelRouteFromDecoded(d, this.#names) : null;
      if (!route) return [];
      return [{ kind: m.type === RTM.DELROUTE ? 'route-deleted' : 'route-changed', route }];
    }
    if (m.type === RTM_NEWLINK || m.type === RTM_DELLINK) {
      this.#links = undefined;
      const msg = rt.parseMessage(m.type, m.data);
      if (msg.kind !== 'link') return [];
      const ifindex = msg.data.index ?? 0;
      const name = msg.attrs.ifname ?? this.#names.get(ifindex) ?? `if${ifindex}`;
      if (m.type === RTM_NEWLINK) this.#names.set(ifindex, name);
      const up = m.type === RTM_NEWLINK && msg.data.flags?.up === true && msg.data.flags.running === true;
      if (linkUp.get(ifindex) === up) return [];
      linkUp.set(ifindex, up);
      if (m.type === RTM_DELLINK) linkUp.delete(ifindex);
      return [{ kind: up ? 'link-up' : 'link-down', ifindex, name }];
    }
    if (m.type === RTM_NEWADDR || m.type === RTM_DELADDR) {
      this.#links = undefined;
      const msg = rt.parseMessage(m.type, m.data);
      if (msg.kind !== 'address') return [];
      const bytes = msg.attrs.local ?? msg.attrs.address;
      const address = bytes ? `${formatAddress(bytes)}/${msg.data.prefixlen ?? 0}` : '';
      return [{ kind: 'addr-changed', ifindex: msg.data.index ?? 0, address, removed: m.type === RTM_DELADDR }];
    }
    return [];
  }

  async #fetchLinks(): Promise<KernelLink[]> {
    let links: rt.LinkMessage[];
    let addrs: rt.AddressMessage[];
    try {
      links = await this.#dump(() => this.#dumpSock.getLinks(undefined, undefined, { timeout: this.#timeoutMs }));
      addrs = await this.#dump(() => this.#dumpSock.getAddresses(undefined, undefined, { timeout: this.#timeoutMs }));
    } catch (e) {
      throw toKernelError(e, 'links');
    }
    const byIndex = new Map<number, string[]>();
    for (const a of addrs) {
      const bytes = a.attrs.local ?? a.attrs.address;
      const idx = a.data.index ?? 0;
      if (!bytes) continue;
      const list = byIndex.get(idx) ?? [];
      list.push(`${formatAddress(bytes)}/${a.data.prefixlen ?? 0}`);
      byIndex.set(idx, list);
    }
    const out = links.map((l): KernelLink => {
      const ifindex = l.data.index ?? 0;
      return {
        ifindex,
        name: l.attrs.ifname ?? `if${ifindex}`,
        up: l.data.flags?.up === true && l.data.flags.running === true,
        addresses: byIndex.get(ifindex) ?? [],
      };
    });
    this.#names = new Map(out.map((l) => [l.ifindex, l.name]));
    return out;
  }

  async #linkNames(): Promise<ReadonlyMap<number, string>> {
    await this.links();
    return this.#names;
  }

  async #request(op: KernelOp, type: number, payload: Buffer, flags: number, route?: KernelRouteKey): Promise<NetlinkMessage[]> {
    if (this.#closed) throw new KernelError('EBADF', op, route);
    try {
      const [msgs] = await this.#limited(() => this.#sock.socket.request(type, payload, { flags, timeout: this.#timeoutMs }));
      return msgs;
    } catch (e) {
      throw toKernelError(e, op, route);
    }
  }

  /**
   * Dumps run one at a time on their own socket: the package reassembles multipart replies in a
   * single per-socket slot, so two dumps in flight, or an ACK arriving between two parts of a dump,
   * would cut the dump short ('Multipart message not terminated properly').
   */
  #dump<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#dumpChain.then(fn, fn);
    this.#dumpChain = run.catch(() => undefined);
    return run;
  }

  /** Pipelining with a bound: at most maxInFlight requests wait for their answer at the same time. */
  async #limited<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#inFlight >= this.#maxInFlight) await new Promise<void>((r) => this.#waiting.push(r));
    this.#inFlight++;
    try {
      return await fn();
    } finally {
      this.#inFlight--;
      this.#waiting.shift()?.();
    }
  }
}

/** Batches at least this big pause route notifications (see write()). */
const QUIET_BATCH = 512;
/** Receive buffer of the notification socket (forced; bytes of kernel skb memory, not payload). */
const NOTIFY_RCVBUF = 32 << 20;


const ERRNO_NAMES = new Map<number, string>(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));
const errnoName = (n: number): string => ERRNO_NAMES.get(n) ?? String(n);
const ESRCH = osConstants.errno.ESRCH;

/** One write's result from the errnos of its messages (KernelWrite says what a change reports); seq 0: no such message (none is sent with 0). */
function writeResult(w: KernelWrite, delSeq: number, addSeq: number, errnos: ReadonlyMap<number, number>): KernelError | null {
  const del = errnos.get(delSeq) ?? 0;
  const add = errnos.get(addSeq) ?? 0;
  // A delete that found nothing of ours (ESRCH) is done.
  if (del !== 0 && del !== ESRCH) return new KernelError(errnoName(del), 'remove', w.route);
  if (add !== 0) return new KernelError(errnoName(add), 'add', w.route);
  return null;
}

/**
 * Next hops as route messages carry them (rtmsg.ts HopBytes), for one batch and one links snapshot:
 * the ifindex from `dev` by name, else the interface whose subnet holds the gateway (none: the
 * kernel resolves it), the gateway's address bytes. Routes share their next-hop objects
 * (next-hops.ts memoizes them), so each is resolved once per batch, not once per route.
 */
class HopResolver {
  readonly #links: readonly KernelLink[];
  readonly #byHop = new Map<KernelNextHop, HopBytes>();
  readonly #subnetIfindex = new Map<string, number | undefined>();
  readonly #gateways = new Map<string, Uint8Array>();

  constructor(links: readonly KernelLink[]) {
    this.#links = links;
  }

  /** The route's next hops (none for a blackhole). Throws ENODEV when a hop names a device that does not exist. */
  of(route: KernelRoute, op: KernelOp): readonly HopBytes[] {
    if (route.type === 'blackhole') return NO_HOPS;
    const out: HopBytes[] = [];
    for (const h of route.nextHops) {
      let b = this.#byHop.get(h);
      if (b === undefined) this.#byHop.set(h, (b = this.#resolve(h, route, op)));
      out.push(b);
    }
    return out;
  }

  #resolve(h: KernelNextHop, route: KernelRoute, op: KernelOp): HopBytes {
    let ifindex = h.ifindex;
    if (ifindex === undefined && h.dev !== undefined) {
      const link = this.#links.find((l) => l.name === h.dev);
      if (!link) throw new KernelError('ENODEV', op, route);
      ifindex = link.ifindex;
    } else if (ifindex === undefined && h.onlink !== true) {
      if (!this.#subnetIfindex.has(h.via)) this.#subnetIfindex.set(h.via, this.#links.find((l) => l.addresses.some((a) => inSubnet(h.via, a)))?.ifindex);
      ifindex = this.#subnetIfindex.get(h.via);
    }
    let gateway = this.#gateways.get(h.via);
    if (gateway === undefined) {
      const a = parseAddress(h.via);
      if (a === null) throw new TypeError(`not an IP address: ${JSON.stringify(h.via)}`);
      this.#gateways.set(h.via, (gateway = a.bytes));
    }
    return { gateway, ifindex, onlink: h.onlink === true, weight: h.weight ?? 1 };
  }
}

const NO_HOPS: readonly HopBytes[] = [];

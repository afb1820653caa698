/**
 * `NetlinkKernel`: KernelPort over the `netlink` package (0.3.0), the only file that imports it.
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
 * Three sockets: requests that only get an ACK (pipelined, up to maxInFlight), dumps (serialized),
 * and notifications. The package groups multipart replies in one slot per socket, so a second dump,
 * an ACK or an unsolicited message arriving in the middle of a dump would cut that dump short.
 */
import { createRtNetlink, rt, type RtNetlinkSocket, type NetlinkMessage } from 'netlink';
import { formatAddress, subnetContains } from './inet.js';
import {
  KernelError,
  toKernelError,
  type KernelEvent,
  type KernelLink,
  type KernelNextHop,
  type KernelOp,
  type KernelPort,
  type KernelRoute,
  type KernelRouteKey,
  type RouteFilter,
} from './port.js';
import {
  NLM_F,
  RTM,
  decodeRoute,
  encodeDelRoute,
  encodeDumpRequest,
  encodeNewRoute,
  toKernelRouteFromDecoded,
} from './rtmsg.js';

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;

export interface NetlinkKernelOptions {
  /** Requests in flight at once on the request socket (default 64). */
  readonly maxInFlight?: number;
  /** Per-request timeout in ms (default 5000). */
  readonly timeoutMs?: number;
  /** How long a links() answer is reused for next-hop device resolution (default 1000 ms). */
  readonly linkCacheMs?: number;
}

export class NetlinkKernel implements KernelPort {
  /** ACK-only requests (NEWROUTE/DELROUTE), pipelined. */
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
  readonly #subs = new Set<RtNetlinkSocket>();
  #closed = false;

  constructor(opts: NetlinkKernelOptions = {}) {
    this.#maxInFlight = opts.maxInFlight ?? 64;
    this.#timeoutMs = opts.timeoutMs ?? 5000;
    this.#linkCacheMs = opts.linkCacheMs ?? 1000;
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

  async add(route: KernelRoute): Promise<void> {
    const resolved = await this.#resolve(route, 'add');
    await this.#request('add', RTM.NEWROUTE, encodeNewRoute(resolved), NLM_F.CREATE | NLM_F.EXCL, route);
  }

  async replace(route: KernelRoute): Promise<void> {
    const resolved = await this.#resolve(route, 'replace');
    await this.#request('replace', RTM.NEWROUTE, encodeNewRoute(resolved), NLM_F.CREATE | NLM_F.REPLACE, route);
  }

  async remove(route: KernelRouteKey): Promise<void> {
    try {
      await this.#request('remove', RTM.DELROUTE, encodeDelRoute(route), 0, route);
    } catch (e) {
      if (e instanceof KernelError && e.code === 'ESRCH') return;
      throw e;
    }
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
    for (const m of msgs) {
      if (m.type !== RTM.NEWROUTE) continue;
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
    const linkUp = new Map<number, boolean>();
    sock.socket.on('error', (err) => onEvent({ kind: 'resync', reason: String(err.code ?? err.message) }));
    sock.socket.on('message', (msgs: NetlinkMessage[]) => {
      for (const m of msgs) {
        for (const e of this.#toEvents(m, linkUp)) onEvent(e);
      }
    });
    this.#subs.add(sock);
    // Route events name devices from the ifindex -> name map; fill it now.
    this.links().catch(() => undefined);
    return () => {
      if (this.#subs.delete(sock)) sock.socket.close();
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#subs) s.socket.close();
    this.#subs.clear();
    this.#sock.socket.close();
    this.#dumpSock.socket.close();
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

  /** Fills in ifindex: from `dev` by name, else the interface whose subnet holds the gateway. */
  async #resolve(route: KernelRoute, op: KernelOp): Promise<KernelRoute> {
    if (route.type === 'blackhole' || route.nextHops.every((h) => h.ifindex !== undefined)) return route;
    let links: KernelLink[];
    try {
      links = await this.links();
    } catch (e) {
      throw toKernelError(e, op, route);
    }
    const hops = route.nextHops.map((h): KernelNextHop => {
      if (h.ifindex !== undefined) return h;
      if (h.dev !== undefined) {
        const link = links.find((l) => l.name === h.dev);
        if (!link) throw new KernelError('ENODEV', op, route);
        return { ...h, ifindex: link.ifindex };
      }
      if (h.onlink) return h;
      const link = links.find((l) => l.addresses.some((a) => subnetContains(a, h.via)));
      return link ? { ...h, ifindex: link.ifindex } : h;
    });
    return { ...route, nextHops: hops };
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

  /** Pipelining with a bound: at most maxInFlight requests wait for their ACK at the same time. */
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

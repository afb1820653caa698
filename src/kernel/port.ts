/**
 * kernel/: Loc-RIB -> Linux FIB (convention 12).
 *
 * - port.ts     the `KernelPort` interface, `KernelRoute`, `KernelError` (this file)
 * - netlink.ts  `NetlinkKernel`, the port over the `netlink` package (the only importer of it)
 * - rtmsg.ts    hand encoding/decoding of rtmsg, route attributes and RTA_MULTIPATH records
 * - fake.ts     `FakeKernel`, an in-memory port with a call log and injectable failures
 * - fib-sync.ts `FibSync`, the reconciler and the only writer; next-hops.ts builds routes per mode
 *
 * The kernel keys a route by (table, prefix, tos, metric); `routeKey` is that key as text (tos is
 * always 0), `fibKey` the same key as the reconciler keeps it (a number for the common IPv4 case).
 * Nothing here knows about BGP.
 */
import { formatIPv4, parsePrefix4 } from '../util/inet.js';


export type RouteType = 'unicast' | 'blackhole';

export interface KernelNextHop {
  /** Gateway address (same family as the prefix). */
  readonly via: string;
  /** Output device name; the kernel (or the adapter, by connected subnet) resolves it when absent. */
  readonly dev?: string;
  readonly ifindex?: number;
  /** RTNH_F_ONLINK: gateway is on the link even though no address subnet says so (tunnel mode). */
  readonly onlink?: boolean;
  /** ECMP weight, 1..256 (rtnh_hops + 1). Default 1. */
  readonly weight?: number;
}

export interface KernelRoute {
  /** Canonical prefix text, v4 or v6 (`172.16.1.0/24`, `fd00:1::/64`). */
  readonly prefix: string;
  readonly table: number;
  /** rtm_protocol; wren's default is 12 ("bird"). */
  readonly protocol: number;
  /** RTA_PRIORITY. Part of the kernel's key. The kernel stores IPv6 metric 0 as 1024. */
  readonly metric: number;
  readonly type: RouteType;
  /** Empty for a blackhole; several = ECMP (RTA_MULTIPATH). */
  readonly nextHops: readonly KernelNextHop[];
}

/** What identifies a route for removal. A KernelRoute is one. */
export interface KernelRouteKey {
  readonly prefix: string;
  readonly table: number;
  readonly protocol: number;
  readonly metric: number;
}

export interface RouteFilter {
  readonly table: number;
  readonly protocol: number;
}

export interface KernelLink {
  readonly ifindex: number;
  readonly name: string;
  /** Administratively up and running (carrier). */
  readonly up: boolean;
  /** Interface addresses as CIDRs (`192.168.1.10/24`). */
  readonly addresses: readonly string[];
}

/**
 * Kernel notifications. Route events carry routes of every protocol (the reconciler filters);
 * `resync` means notifications may have been lost (socket overflow) and a full re-list is due.
 */
export type KernelEvent =
  | { readonly kind: 'route-deleted'; readonly route: KernelRoute }
  | { readonly kind: 'route-changed'; readonly route: KernelRoute }
  | { readonly kind: 'link-up'; readonly ifindex: number; readonly name: string }
  | { readonly kind: 'link-down'; readonly ifindex: number; readonly name: string }
  | { readonly kind: 'addr-changed'; readonly ifindex: number; readonly address: string; readonly removed: boolean }
  | { readonly kind: 'resync'; readonly reason: string };

/**
 * One route write of a batch (KernelPort.write).
 *
 * - `add`: create-exclusive (NLM_F_CREATE|NLM_F_EXCL); a route already at the key => EEXIST.
 * - `remove`: RTM_DELROUTE carrying our protocol: the kernel deletes only a route of that protocol
 *   (IPv4 and IPv6), so a foreign route at the key is never touched; nothing of ours => done.
 * - `change`: one of our routes (`from`, as listed or as we wrote it) becomes `route`, same key.
 *   Three messages back to back in one datagram: the protocol-matched delete of `from`'s key, the
 *   create-exclusive add of `route`, and a create-exclusive re-add of `from`. The re-add is a no-op
 *   (EEXIST) when the add went in; when the add failed (a bad next hop, say) it puts our old route
 *   back at once, so a failed change does not leave the key empty. A foreign route at the key,
 *   whenever it arrived, is never deleted or replaced: the delete does not match it and both adds
 *   meet EEXIST. The result is the delete's error when the delete failed other than ESRCH (the old
 *   route is still there), else the add's (EEXIST = a foreign route holds the key), else null.
 *   There is no replace (NLM_F_REPLACE ignores the protocol): docs/decisions/0003-kernel-route-change.md.
 */
export type KernelWrite = (
  | { readonly op: 'add'; readonly route: KernelRoute }
  | { readonly op: 'change'; readonly from: KernelRoute; readonly route: KernelRoute }
  | { readonly op: 'remove'; readonly route: KernelRouteKey }
) & {
  /**
   * The route's FibKey when the writer knows it (the reconciler does): an adapter may take the
   * destination from a numeric key instead of reading the prefix text. It is the key of `route`.
   */
  readonly key?: FibKey;
};
// `route` and `from` may be made when they are read (fib-sync's PlannedWrite, planned-write.ts): a
// port reads them before its `write` settles, once each if it can, and does not keep, spread or
// serialize a write.

/** How the kernel reaches an address: the immediate gateway (the address itself when connected) and device. */
export interface GatewayResolution {
  readonly via: string;
  readonly ifindex: number;
  readonly dev?: string;
}

/**
 * What the reconciler (fib-sync.ts) needs of the kernel, and nothing more: batched writes, a listing
 * of our routes, gateway lookups, notifications (and holding route notifications back), and close
 * for the port's owner (daemon/main.ts). A single route is written as a batch of one.
 */
export interface KernelPort {
  /**
   * Many writes at once, pipelined (the adapter packs many route messages per datagram and does not
   * wait for each ACK in turn). One result per write, in order: null when done (a remove of an
   * absent route counts as done), else the KernelError. Never rejects.
   */
  write(batch: readonly KernelWrite[]): Promise<(KernelError | null)[]>;
  /** Routes of one protocol in one table. */
  list(filter: RouteFilter): Promise<KernelRoute[]>;
  /**
   * Route lookups (`ip route get`) for next hops that are not on a connected subnet: one result per
   * address, null when the kernel has no route to it. Never rejects.
   */
  lookup(addresses: readonly string[]): Promise<Map<string, GatewayResolution | null>>;
  /** Starts notifications; returns the unsubscribe function. */
  subscribe(onEvent: (e: KernelEvent) => void): () => void;
  /**
   * Stops route notifications until the returned function is called (nested holds count): a bulk
   * reconcile would otherwise read back one notification per route it writes. Link and address
   * notifications keep coming. What another process changes meanwhile is found by the next scan.
   */
  holdRouteEvents(): () => void;
  /** Releases the sockets (and the writer thread); resolves once they are closed. */
  close(): Promise<void>;
}

export type KernelOp = 'add' | 'change' | 'remove' | 'list' | 'links' | 'subscribe';

/** Errno names we act on; anything else keeps its errno name in `errno` with code 'EOTHER'. */
export type KernelErrorCode =
  | 'EEXIST'
  | 'ESRCH'
  | 'ENOENT'
  | 'ENETUNREACH'
  | 'EHOSTUNREACH'
  | 'ENODEV'
  | 'EPERM'
  | 'EACCES'
  | 'EINVAL'
  | 'EAFNOSUPPORT'
  | 'EOPNOTSUPP'
  | 'ERANGE'
  | 'EMSGSIZE'
  | 'ENETDOWN'
  | 'ENOBUFS'
  | 'ENOMEM'
  | 'EAGAIN'
  | 'EBUSY'
  | 'ETIMEDOUT'
  | 'EOTHER';

const KNOWN_CODES: ReadonlySet<string> = new Set<KernelErrorCode>([
  'EEXIST',
  'ESRCH',
  'ENOENT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENODEV',
  'EPERM',
  'EACCES',
  'EINVAL',
  'EAFNOSUPPORT',
  'EOPNOTSUPP',
  'ERANGE',
  'EMSGSIZE',
  'ENETDOWN',
  'ENOBUFS',
  'ENOMEM',
  'EAGAIN',
  'EBUSY',
  'ETIMEDOUT',
]);

/** errno names that are aliases of one number: the name we use for it. */
const ALIASES: Readonly<Record<string, string>> = { EWOULDBLOCK: 'EAGAIN', ENOTSUP: 'EOPNOTSUPP', EDEADLOCK: 'EDEADLK' };

export class KernelError extends Error {
  override readonly name = 'KernelError';
  readonly code: KernelErrorCode;
  /** The errno name as reported (`ESRCH`, `EAFNOSUPPORT`, or a number as text). */
  readonly errno: string;
  readonly op: KernelOp;
  readonly route: KernelRouteKey | undefined;

  constructor(errno: string, op: KernelOp, route?: KernelRouteKey, options?: { cause?: unknown }) {
    super(`kernel ${op} failed: ${errno}${route ? ` (${route.prefix} table ${route.table} metric ${route.metric})` : ''}`, options);
    this.errno = ALIASES[errno] ?? errno;
    this.code = toErrorCode(this.errno);
    this.op = op;
    this.route = route;
  }
}

export function toErrorCode(errno: string): KernelErrorCode {
  const name = ALIASES[errno] ?? errno;
  return KNOWN_CODES.has(name) ? (name as KernelErrorCode) : 'EOTHER';
}

/** The kernel's key: table, prefix, metric (tos is always 0 for us). */
export function routeKey(r: KernelRouteKey): string {
  return `${r.table}|${r.prefix}|${r.metric}`;
}

/**
 * The kernel's key as the reconciler keeps it (docs/decisions/0012-kernel-fib-state.md): for an IPv4
 * prefix in a table up to 255 with a metric up to 127 (wren's default: main table, metric 0) one
 * number, ((table * 128 + metric) * 2^38) + address * 64 + length, below 2^53; for anything else
 * (IPv6, larger tables or metrics) routeKey's text. One key has exactly one form, so either can be a
 * Map key. Host bits of the prefix are cleared (the kernel's key is the network).
 */
export type FibKey = number | string;

/** address * 64 + length spans 38 bits. */
const V4_SPAN = 2 ** 38;

export function fibKey(r: KernelRouteKey): FibKey {
  if (numericKeyed(r.table, r.metric)) {
    const p = parsePrefix4(r.prefix);
    if (p >= 0) {
      const len = p % 64;
      const addr = len === 0 ? 0 : (Math.floor(p / 64) & (0xffffffff << (32 - len))) >>> 0;
      return fibKeyV4(addr * 64 + len, r.table, r.metric);
    }
  }
  return routeKey(r);
}

/** The IPv4 prefix of a numeric FibKey as address * 64 + length (host bits clear). */
export function fibKeyV4Prefix(k: number): number {
  return k % V4_SPAN;
}

/** A numeric FibKey is of a route in this table with this metric (its prefix not compared). */
export function fibKeyV4Of(k: number, r: Pick<KernelRouteKey, 'table' | 'metric'>): boolean {
  return Math.floor(k / V4_SPAN) === r.table * 128 + r.metric;
}

/** Keys in this table with this metric are numbers for IPv4 prefixes. */
export function numericKeyed(table: number, metric: number): boolean {
  return table >= 0 && table <= 0xff && metric >= 0 && metric <= 0x7f && Number.isInteger(table) && Number.isInteger(metric);
}

/**
 * fibKey of an IPv4 prefix given as parsePrefix4's number with its host bits clear, in a table and
 * with a metric that numericKeyed accepts: no text read.
 */
export function fibKeyV4(packed: number, table: number, metric: number): number {
  return (table * 128 + metric) * V4_SPAN + packed;
}

/** A FibKey as routeKey's text ("table|prefix|metric"): what status and logs show. */
export function fibKeyText(k: FibKey): string {
  if (typeof k === 'string') return k;
  const tm = Math.floor(k / V4_SPAN);
  const p = k - tm * V4_SPAN;
  return `${Math.floor(tm / 128)}|${formatIPv4(Math.floor(p / 64))}/${p % 64}|${tm % 128}`;
}

/** The prefix text of a FibKey. */
export function fibKeyPrefix(k: FibKey): string {
  if (typeof k === 'string') return k.split('|')[1] ?? '';
  const p = k % V4_SPAN;
  return `${formatIPv4(Math.floor(p / 64))}/${p % 64}`;
}

const nhSortKey = (h: KernelNextHop): string => `${h.via}|${h.dev ?? ''}`;

/** Next hops in a stable order, so equality does not depend on the order the kernel reports them. */
export function sortedNextHops(hops: readonly KernelNextHop[]): KernelNextHop[] {
  return [...hops].sort((a, b) => (nhSortKey(a) < nhSortKey(b) ? -1 : nhSortKey(a) > nhSortKey(b) ? 1 : 0));
}

/**
 * Does the installed route `have` satisfy `want`? Devices are compared only when `want` names one
 * (the kernel always reports the device it resolved); ifindex is informational.
 */
export function routeSatisfies(have: KernelRoute, want: KernelRoute): boolean {
  return routeKey(have) === routeKey(want) && kindSatisfies(have, want);
}

/** routeSatisfies for two routes known to be at the same key: protocol, type and next hops. */
export function kindSatisfies(have: Omit<KernelRoute, 'prefix'>, want: Omit<KernelRoute, 'prefix'>): boolean {
  if (have.protocol !== want.protocol || have.type !== want.type) return false;
  if (have.nextHops.length !== want.nextHops.length) return false;
  if (have.nextHops.length === 1) return hopSatisfies(have.nextHops[0] as KernelNextHop, want.nextHops[0] as KernelNextHop);
  const h = sortedNextHops(have.nextHops);
  const w = sortedNextHops(want.nextHops);
  return w.every((wh, i) => {
    const hh = h[i];
    return hh !== undefined && hopSatisfies(hh, wh);
  });
}

function hopSatisfies(hh: KernelNextHop, wh: KernelNextHop): boolean {
  if (hh.via !== wh.via) return false;
  if (wh.dev !== undefined && hh.dev !== wh.dev) return false;
  if ((hh.onlink ?? false) !== (wh.onlink ?? false)) return false;
  return (hh.weight ?? 1) === (wh.weight ?? 1);
}

/**
 * Normalizes whatever a kernel call threw into a KernelError. The `netlink` package rejects with a
 * plain `Error('Request rejected: ESRCH')` (no code, no errno), a send failure carries `code`, and
 * its request timeout says 'Timeout has been reached'.
 */
export function toKernelError(e: unknown, op: KernelOp, route?: KernelRouteKey): KernelError {
  if (e instanceof KernelError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const rejected = /Request rejected: (\w+)/.exec(message);
  const code = (e as { code?: unknown } | null)?.code;
  let errno = 'EOTHER';
  if (rejected?.[1]) errno = rejected[1];
  else if (typeof code === 'string') errno = code;
  else if (/timeout/i.test(message)) errno = 'ETIMEDOUT';
  return new KernelError(errno, op, route, { cause: e });
}

/**
 * What FibSync does about a failed route write, decided by the errno alone (docs/kernel.md,
 * "Failure modes"). Nothing here knows about BGP.
 *
 * - `wait-for-link`: the next hop is on no usable link yet; a link or address change can cure it.
 * - `permanent`: the kernel refuses this route as it is; sending it again cannot succeed. Retried
 *   only when the route wanted at the key changes.
 * - `not-permitted`: missing CAP_NET_ADMIN; retried with backoff, logged at error.
 * - `transient`: anything else (ENOBUFS, EBUSY, EAGAIN, ENOMEM, ETIMEDOUT, unknown); retried with backoff.
 *
 * EEXIST (a foreign route holds the key) and ESRCH on delete (nothing of ours there) are not
 * failures: FibSync handles them before asking here.
 */
import type { KernelError } from './port.js';

export type ErrorClass = 'wait-for-link' | 'permanent' | 'not-permitted' | 'transient';

const WAIT_FOR_LINK: ReadonlySet<string> = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'ENODEV', 'ENETDOWN']);

/**
 * Errors the kernel gives for the route itself, the same every time it is sent unchanged.
 * EMSGSIZE is not here: a send of a whole datagram can fail with it, which says nothing about the
 * routes in it.
 */
const PERMANENT: Readonly<Record<string, string>> = {
  EINVAL: 'the kernel refuses the route as invalid (e.g. a loopback, local or multicast next hop, or a gateway reached through a blackhole or unreachable route)',
  EAFNOSUPPORT: 'the kernel does not support this address family (IPv6 disabled?)',
  EOPNOTSUPP: 'the kernel does not support this kind of route (e.g. an IPv6 next hop for an IPv4 prefix on an old kernel)',
  ERANGE: 'a value of the route is out of the range the kernel accepts (metric, table, weight)',
};

export function errorClass(err: Pick<KernelError, 'errno' | 'code'>): ErrorClass {
  if (WAIT_FOR_LINK.has(err.errno)) return 'wait-for-link';
  if (PERMANENT[err.errno] !== undefined) return 'permanent';
  if (err.code === 'EPERM' || err.code === 'EACCES') return 'not-permitted';
  return 'transient';
}

/** Why a permanent failure cannot succeed, for status() and the log line. */
export function permanentReason(errno: string): string {
  return PERMANENT[errno] ?? `the kernel refuses the route (${errno})`;
}

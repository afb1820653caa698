import { describe, expect, it } from 'vitest';
import { KernelError, routeSatisfies, toKernelError, type KernelRoute } from '../../../src/kernel/port.js';

const key = { prefix: '172.16.1.0/24', table: 254, protocol: 12, metric: 0 };

describe('toKernelError', () => {
  it("parses the netlink package's 'Request rejected: ESRCH' into a code", () => {
    const e = toKernelError(new Error('Request rejected: ESRCH'), 'remove', key);
    expect(e).toBeInstanceOf(KernelError);
    expect(e).toMatchObject({ code: 'ESRCH', errno: 'ESRCH', op: 'remove', route: key });
  });

  it('keeps unknown errno names in errno with code EOTHER, reads a send error code, maps timeouts', () => {
    expect(toKernelError(new Error('Request rejected: EPROTONOSUPPORT'), 'add')).toMatchObject({ code: 'EOTHER', errno: 'EPROTONOSUPPORT' });
    // Aliases of one errno number get one name (os.constants.errno maps 11 to EWOULDBLOCK).
    expect(toKernelError(new Error('Request rejected: EWOULDBLOCK'), 'add')).toMatchObject({ code: 'EAGAIN', errno: 'EAGAIN' });
    expect(toKernelError(new Error('Request rejected: ENOTSUP'), 'add')).toMatchObject({ code: 'EOPNOTSUPP', errno: 'EOPNOTSUPP' });
    expect(toKernelError(Object.assign(new Error('send failed'), { code: 'EPERM' }), 'add')).toMatchObject({ code: 'EPERM' });
    expect(toKernelError(new Error('Timeout has been reached'), 'list')).toMatchObject({ code: 'ETIMEDOUT' });
  });
});

describe('routeSatisfies', () => {
  const want: KernelRoute = { ...key, type: 'unicast', nextHops: [{ via: '192.168.1.11' }] };
  it('accepts the device and ifindex the kernel resolved when we named none', () => {
    expect(routeSatisfies({ ...want, nextHops: [{ via: '192.168.1.11', dev: 'eth0', ifindex: 2 }] }, want)).toBe(true);
  });
  it('notices a different device, onlink flag, weight or protocol', () => {
    const tun: KernelRoute = { ...want, nextHops: [{ via: '192.168.1.11', dev: 'tunl0', onlink: true }] };
    expect(routeSatisfies({ ...want, nextHops: [{ via: '192.168.1.11', dev: 'eth0' }] }, tun)).toBe(false);
    expect(routeSatisfies({ ...tun, nextHops: [{ via: '192.168.1.11', dev: 'tunl0' }] }, tun)).toBe(false);
    expect(routeSatisfies({ ...want, nextHops: [{ via: '192.168.1.11', weight: 2 }] }, want)).toBe(false);
    expect(routeSatisfies({ ...want, protocol: 4 }, want)).toBe(false);
  });
});

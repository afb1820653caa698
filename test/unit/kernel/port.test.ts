import { describe, expect, it } from 'vitest';
import { KernelError, routeSatisfies, toKernelError, type KernelRoute } from '../../../src/kernel/port.js';
import { canonicalPrefix, formatAddress, parseAddress, subnetContains } from '../../../src/kernel/inet.js';

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

describe('inet', () => {
  it('formats IPv6 canonically (RFC 5952) and round-trips', () => {
    for (const [text, canon] of [
      ['fd00:0:0:0:0:0:0:1', 'fd00::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['::', '::'],
      ['::ffff:192.168.1.1', '::ffff:c0a8:101'],
      ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
    ] as const) {
      expect(formatAddress(parseAddress(text).bytes)).toBe(canon);
    }
  });
  it('clears host bits and checks subnets', () => {
    expect(canonicalPrefix('172.16.1.7/24')).toBe('172.16.1.0/24');
    expect(canonicalPrefix('fd00:172:16:1:ffff::/64')).toBe('fd00:172:16:1::/64');
    expect(subnetContains('192.168.1.10/24', '192.168.1.200')).toBe(true);
    expect(subnetContains('192.168.1.10/24', '192.168.2.1')).toBe(false);
    expect(subnetContains('fd00:1::10/64', 'fd00:1::11')).toBe(true);
    expect(subnetContains('192.168.1.10/24', 'fd00:1::11')).toBe(false);
  });
});

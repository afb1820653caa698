import { describe, expect, it } from 'vitest';
import { KernelError, fibKey, fibKeyPrefix, fibKeyText, routeKey, routeSatisfies, toKernelError, type KernelRoute } from '../../../src/kernel/port.js';

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

describe('fibKey (decision 0012)', () => {
  it('is a safe integer for IPv4 in tables up to 255 with metrics up to 127, and reads back as routeKey', () => {
    for (const k of [
      key,
      { prefix: '0.0.0.0/0', table: 0, protocol: 12, metric: 0 },
      { prefix: '255.255.255.255/32', table: 255, protocol: 12, metric: 127 },
      { prefix: '10.0.0.0/8', table: 254, protocol: 12, metric: 20 },
    ]) {
      const f = fibKey(k);
      expect(typeof f).toBe('number');
      expect(Number.isSafeInteger(f)).toBe(true);
      expect(fibKeyText(f)).toBe(routeKey(k));
      expect(fibKeyPrefix(f)).toBe(k.prefix);
    }
  });
  it('is routeKey text for IPv6, larger tables and metrics', () => {
    for (const k of [
      { prefix: 'fd00::/64', table: 254, protocol: 12, metric: 1024 },
      { prefix: '10.0.0.0/8', table: 256, protocol: 12, metric: 0 },
      { prefix: '10.0.0.0/8', table: 254, protocol: 12, metric: 128 },
    ]) {
      expect(fibKey(k)).toBe(routeKey(k));
      expect(fibKeyText(fibKey(k))).toBe(routeKey(k));
    }
    expect(fibKeyPrefix(fibKey({ prefix: 'fd00::/64', table: 254, protocol: 12, metric: 1024 }))).toBe('fd00::/64');
  });
  it('tells apart what the kernel tells apart (prefix, length, table, metric), not the protocol; host bits are cleared', () => {
    const keys = new Set([
      fibKey(key),
      fibKey({ ...key, prefix: '172.16.1.0/25' }),
      fibKey({ ...key, prefix: '172.16.2.0/24' }),
      fibKey({ ...key, table: 253 }),
      fibKey({ ...key, metric: 1 }),
    ]);
    expect(keys.size).toBe(5);
    expect(fibKey({ ...key, protocol: 186 })).toBe(fibKey(key));
    expect(fibKey({ ...key, prefix: '172.16.1.77/24' })).toBe(fibKey(key));
  });
});

/**
 * BFD's UDP sockets through the native addon (src/bfd/udp.ts, native/src/udp.c), on loopback only:
 * a datagram's TTL as sent, the local address it came to, the source port, IPv4 and IPv6 side by
 * side on one port, errors as errno names, close. Skipped without the addon (failing under CI=true).
 */
import { afterEach, expect, it } from 'vitest';
import { nativeTransport, UdpSocketError, type UdpDatagram, type UdpSocket } from '../../../src/bfd/udp.js';
import { waitFor } from '../../../tools/kit/wait.js';
import { ADDON_BUILT, describeNetns } from '../../netns/lib/requirements.js';

const open: UdpSocket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

describeNetns('BFD UDP sockets (native addon, loopback)', [ADDON_BUILT], () => {
  const t = () => nativeTransport();
  const track = (s: UdpSocket): UdpSocket => {
    open.push(s);
    return s;
  };

  it('reports each datagram with the TTL it was sent with, its source and where it arrived', async () => {
    const got: UdpDatagram[] = [];
    const rx = track(t().open({ address: '127.0.0.1', port: 0, ttl: -1, onMessage: (d) => got.push(d) }));
    const tx255 = track(t().open({ address: '127.0.0.1', port: 0, ttl: 255 }));
    const tx64 = track(t().open({ address: '127.0.0.1', port: 0, ttl: 64 }));
    expect(tx255.send(Buffer.from('a'), '127.0.0.1', rx.localPort)).toBeNull();
    expect(tx64.send(Buffer.from('bb'), '127.0.0.1', rx.localPort)).toBeNull();
    await waitFor(() => got.length === 2, { what: 'two datagrams', timeoutMs: 2000, intervalMs: 5 });
    expect(got.map((d) => [d.bytes.toString(), d.ttl, d.from, d.fromPort, d.to])).toEqual([
      ['a', 255, '127.0.0.1', tx255.localPort, '127.0.0.1'],
      ['bb', 64, '127.0.0.1', tx64.localPort, '127.0.0.1'],
    ]);
    expect(got[0]?.ifindex).toBeGreaterThan(0);
  });

  it('IPv6: the hop limit, and an IPv4 and an IPv6 socket on the same port', async () => {
    const got: UdpDatagram[] = [];
    const rx6 = track(t().open({ address: '::', port: 0, ttl: -1, onMessage: (d) => got.push(d) }));
    const rx4 = track(t().open({ address: '0.0.0.0', port: rx6.localPort, ttl: -1, onMessage: (d) => got.push(d) }));
    const tx = track(t().open({ address: '::1', port: 0, ttl: 255 }));
    expect(tx.send(Buffer.from('x'), '::1', rx6.localPort)).toBeNull();
    await waitFor(() => got.length === 1, { what: 'a datagram', timeoutMs: 2000, intervalMs: 5 });
    expect(got[0]).toMatchObject({ ttl: 255, from: '::1', to: '::1' });
    expect(rx4.localPort).toBe(rx6.localPort);
  });

  it('binding a port in use fails with EADDRINUSE; sending to the other family is refused', () => {
    const a = track(t().open({ address: '127.0.0.1', port: 0, ttl: -1 }));
    expect(() => t().open({ address: '127.0.0.1', port: a.localPort, ttl: -1 })).toThrow(UdpSocketError);
    try {
      t().open({ address: '127.0.0.1', port: a.localPort, ttl: -1 });
    } catch (e) {
      expect((e as UdpSocketError).code).toBe('EADDRINUSE');
    }
    expect(a.send(Buffer.from('x'), '::1', 9)).toBe('EAFNOSUPPORT');
  });

  it('after close, the port is free again and sends fail with EBADF', () => {
    const a = t().open({ address: '127.0.0.1', port: 0, ttl: -1, onMessage: () => undefined });
    const port = a.localPort;
    a.close();
    a.close();
    expect(a.send(Buffer.from('x'), '127.0.0.1', 9)).toBe('EBADF');
    track(t().open({ address: '127.0.0.1', port, ttl: -1 }));
  });
});

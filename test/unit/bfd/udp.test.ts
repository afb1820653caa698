/**
 * BFD's UDP sockets through the native addon (src/bfd/udp.ts, native/src/udp.c), on loopback only:
 * a datagram's TTL as sent, the local address it came to, the source port, IPv4 and IPv6 side by
 * side on one port, errors as errno names, close. Skipped without the addon (failing under CI=true).
 */
import { afterEach, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { nativeTransport, setThreadNice, setThreadRealtime, UdpSocketError, type UdpDatagram, type UdpSocket } from '../../../src/bfd/udp.js';
import { waitFor } from '../../../tools/kit/wait.js';
import { ADDON_BUILT, describeNetns } from '../../netns/lib/requirements.js';

const open: UdpSocket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

/** The calling thread's nice value (field 19 of /proc/thread-self/stat). */
const statField = (i: number): number => Number(readFileSync('/proc/thread-self/stat', 'utf8').replace(/^.*\) /s, '').split(' ')[i - 3]);
const threadNice = (): number => statField(19);
/** Field 41, policy: 0 SCHED_OTHER, 2 SCHED_RR. */
const threadPolicy = (): number => statField(41);

describeNetns('BFD UDP sockets (native addon, loopback)', [ADDON_BUILT], () => {
  it('sets the nice value of the calling thread (the BFD thread asks for -10)', () => {
    const before = threadNice();
    // Raising it needs no privilege; going back down may (CAP_SYS_NICE), so that is best effort.
    expect(setThreadNice(Math.min(19, before + 1))).toBeNull();
    expect(threadNice()).toBe(Math.min(19, before + 1));
    setThreadNice(before);
    expect(() => setThreadNice(99)).toThrow(/threadNice/);
  });

  it('puts the calling thread in SCHED_RR and back (with CAP_SYS_NICE; EPERM without)', () => {
    const e = setThreadRealtime(1);
    if (e !== null) {
      expect(e).toBe('EPERM');
      return;
    }
    try {
      expect(threadPolicy()).toBe(2);
    } finally {
      expect(setThreadRealtime(0)).toBeNull();
    }
    expect(threadPolicy()).toBe(0);
    expect(() => setThreadRealtime(100)).toThrow(/threadRealtime/);
  });

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

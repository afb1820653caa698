import { describe, expect, it } from 'vitest';
import { BASE, valid } from './helpers.js';

describe('configuration defaults', () => {
  it('gives the smallest config every documented default', () => {
    expect(valid(BASE)).toEqual({
      routerId: '192.168.1.10',
      asn: 64512,
      listen: { address: '::', port: 179, enabled: true },
      timers: { holdTime: 90, keepaliveTime: 30, connectRetryTime: 120, idleHoldTime: 5, idleHoldMaxTime: 120 },
      originate: [],
      peers: [],
      policies: {},
      ebgpRequiresPolicy: true,
      routeReflector: { clusterId: '192.168.1.10' },
      multipath: { maxPaths: 16 },
      gracefulRestart: { enabled: true, restartTime: 120, staleRoutesTime: 360 },
      kernel: {
        enabled: true,
        table: 254,
        protocol: 12,
        metric: 0,
        blackhole: true,
        mode: 'direct',
        pools: [],
        tunnelDevice: 'tunl0',
        withdrawOnStop: false,
        convergenceTimeout: 120,
        scanInterval: 30,
      },
      control: { socket: '/run/wren/wren.sock' },
      log: { level: 'info' },
      metrics: { perPeer: true, readyPeers: 'all', livezMaxStall: 10 },
    });
  });

  it('derives the keepalive time from the hold time (one third, rounded down)', () => {
    expect(valid({ ...BASE, timers: { holdTime: 10 } }).timers.keepaliveTime).toBe(3);
    expect(valid({ ...BASE, timers: { holdTime: 0 } }).timers.keepaliveTime).toBe(0);
  });

  it('raises the default idleHoldMaxTime to idleHoldTime when that is larger', () => {
    expect(valid({ ...BASE, timers: { idleHoldTime: 300 } }).timers.idleHoldMaxTime).toBe(300);
  });

  it('maps table and protocol names to numbers', () => {
    expect(valid({ ...BASE, kernel: { table: 'local', protocol: 'bgp' } }).kernel).toMatchObject({ table: 255, protocol: 186 });
    expect(valid({ ...BASE, kernel: { table: 'main', protocol: 'zebra' } }).kernel).toMatchObject({ table: 254, protocol: 11 });
    expect(valid({ ...BASE, kernel: { table: 100, protocol: 'static' } }).kernel).toMatchObject({ table: 100, protocol: 4 });
  });

  it('returns a deeply frozen config', () => {
    const c = valid({ ...BASE, originate: ['10.0.0.0/24'], peers: [{ address: '10.0.0.2', asn: 64512 }] });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.kernel)).toBe(true);
    expect(Object.isFrozen(c.peers)).toBe(true);
    expect(Object.isFrozen(c.peers[0]?.families)).toBe(true);
    expect(Object.isFrozen(c.originate[0])).toBe(true);
    expect(() => {
      (c.kernel as { metric: number }).metric = 5;
    }).toThrow(TypeError);
  });
});

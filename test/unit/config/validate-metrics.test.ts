/** The `metrics` section (config/metrics.ts): off by default, the listen address, every problem with its JSON path. */
import { describe, expect, it } from 'vitest';
import { parseListenAddress } from '../../../src/config/metrics.js';
import { BASE, problems, valid } from './helpers.js';

describe('metrics config', () => {
  it('is off by default (no listen), with per-peer series, readyPeers "all" and a 10 s liveness stall bound', () => {
    expect(valid(BASE).metrics).toEqual({ perPeer: true, readyPeers: 'all', livezMaxStall: 10 });
  });

  it('takes every key', () => {
    expect(valid({ ...BASE, metrics: { listen: '127.0.0.1:9179', perPeer: false, readyPeers: 'any', livezMaxStall: 30 } }).metrics).toEqual({
      listen: { address: '127.0.0.1', port: 9179 },
      perPeer: false,
      readyPeers: 'any',
      livezMaxStall: 30,
    });
  });

  it('reads IPv4 and bracketed IPv6 listen addresses, canonical', () => {
    expect(parseListenAddress('0.0.0.0:9179')).toEqual({ address: '0.0.0.0', port: 9179 });
    expect(parseListenAddress('[::1]:9179')).toEqual({ address: '::1', port: 9179 });
    expect(parseListenAddress('[FD00:0::1]:1')).toEqual({ address: 'fd00::1', port: 1 });
    expect(parseListenAddress('[::]:65535')).toEqual({ address: '::', port: 65535 });
    for (const bad of ['9179', ':9179', '127.0.0.1', '127.0.0.1:', '127.0.0.1:0', '127.0.0.1:65536', '::1:9179', '[127.0.0.1]:9179', 'localhost:9179', '[::1]9179', '127.0.0.1:9179x']) {
      expect(parseListenAddress(bad), bad).toBeUndefined();
    }
  });

  it('reports every problem with its JSON path', () => {
    expect(problems({ ...BASE, metrics: { listen: 'localhost:9179', perPeer: 'no', readyPeers: 'some', livezMaxStall: 0, port: 9179 } })).toEqual([
      '$.metrics.port: unknown key',
      '$.metrics.listen: expected "ADDRESS:PORT" with an IP address, such as "127.0.0.1:9179" or "[::1]:9179" (got "localhost:9179")',
      '$.metrics.perPeer: expected true or false (got "no")',
      '$.metrics.readyPeers: expected "all", "any" or "none" (got "some")',
      '$.metrics.livezMaxStall: expected an integer 1..3600 (got 0)',
    ]);
    expect(problems({ ...BASE, metrics: '127.0.0.1:9179' })).toEqual(['$.metrics: expected an object (got "127.0.0.1:9179")']);
    expect(problems({ ...BASE, metrics: { listen: 9179 } })).toEqual([
      '$.metrics.listen: expected "ADDRESS:PORT" with an IP address, such as "127.0.0.1:9179" or "[::1]:9179" (got 9179)',
    ]);
  });
});

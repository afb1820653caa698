import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/validate.js';
import { BASE, problems } from './helpers.js';

interface Case {
  readonly rule: string;
  readonly config: unknown;
  readonly expected: readonly string[];
}

const cases: readonly Case[] = [
  // top level
  { rule: 'refuses a document that is not an object', config: [1], expected: ['$: expected an object (got [1])'] },
  { rule: 'requires routerId', config: { asn: 1 }, expected: ['$.routerId: required'] },
  {
    rule: 'refuses a routerId that is not a dotted quad',
    config: { ...BASE, routerId: 'fd00::1' },
    expected: ['$.routerId: expected a dotted-quad IPv4 address such as "192.168.1.10" (got "fd00::1")'],
  },
  { rule: 'refuses routerId 0.0.0.0 (RFC 6286)', config: { ...BASE, routerId: '0.0.0.0' }, expected: ['$.routerId: must not be 0.0.0.0 (got "0.0.0.0")'] },
  { rule: 'requires asn', config: { routerId: '1.1.1.1' }, expected: ['$.asn: required'] },
  { rule: 'refuses an asn given as a string', config: { ...BASE, asn: '64512' }, expected: ['$.asn: expected an integer 1..4294967295 (got "64512")'] },
  { rule: 'refuses asn 0', config: { ...BASE, asn: 0 }, expected: ['$.asn: expected an integer 1..4294967295 (got 0)'] },
  { rule: 'refuses an asn above 32 bits', config: { ...BASE, asn: 4294967296 }, expected: ['$.asn: expected an integer 1..4294967295 (got 4294967296)'] },
  {
    rule: 'refuses an unknown top-level key and suggests the close one',
    config: { ...BASE, originat: [] },
    expected: ['$.originat: unknown key (did you mean "originate"?)'],
  },
  { rule: 'refuses an unknown key unlike any known one without a suggestion', config: { ...BASE, colour: 'blue' }, expected: ['$.colour: unknown key'] },
  { rule: 'refuses a non-boolean ebgpRequiresPolicy', config: { ...BASE, ebgpRequiresPolicy: 'no' }, expected: ['$.ebgpRequiresPolicy: expected true or false (got "no")'] },

  // listen
  { rule: 'refuses a listen section that is not an object', config: { ...BASE, listen: 179 }, expected: ['$.listen: expected an object (got 179)'] },
  {
    rule: 'refuses a listen address that is not an IP literal',
    config: { ...BASE, listen: { address: 'localhost' } },
    expected: ['$.listen.address: expected an IPv4 or IPv6 address such as "192.168.1.11" or "fd00::11" (got "localhost")'],
  },
  { rule: 'refuses listen port 0', config: { ...BASE, listen: { port: 0 } }, expected: ['$.listen.port: expected an integer 1..65535 (got 0)'] },
  { rule: 'refuses a non-boolean listen.enabled', config: { ...BASE, listen: { enabled: 1 } }, expected: ['$.listen.enabled: expected true or false (got 1)'] },

  // timers
  {
    rule: 'refuses a hold time of 1 or 2 seconds (RFC 4271 4.2)',
    config: { ...BASE, timers: { holdTime: 2 } },
    expected: ['$.timers.holdTime: expected 0 or an integer 3..65535 (got 2)'],
  },
  {
    rule: 'refuses a keepalive time not below the hold time',
    config: { ...BASE, timers: { holdTime: 30, keepaliveTime: 30 } },
    expected: ['$.timers.keepaliveTime: must be less than holdTime (30) (got 30)'],
  },
  {
    rule: 'refuses a keepalive time against the default hold time of 90',
    config: { ...BASE, timers: { keepaliveTime: 90 } },
    expected: ['$.timers.keepaliveTime: must be less than holdTime (90) (got 90)'],
  },
  {
    rule: 'refuses a non-zero keepalive time when the hold time is 0 (RFC 4271 4.4)',
    config: { ...BASE, timers: { holdTime: 0, keepaliveTime: 10 } },
    expected: ['$.timers.keepaliveTime: must be 0 when holdTime is 0 (RFC 4271 4.4: no KEEPALIVEs without a hold timer) (got 10)'],
  },
  { rule: 'refuses a negative sendHoldTime', config: { ...BASE, timers: { sendHoldTime: -1 } }, expected: ['$.timers.sendHoldTime: expected an integer 0..65535 (got -1)'] },
  { rule: 'refuses connectRetryTime 0', config: { ...BASE, timers: { connectRetryTime: 0 } }, expected: ['$.timers.connectRetryTime: expected an integer 1..65535 (got 0)'] },
  {
    rule: 'refuses idleHoldMaxTime below idleHoldTime',
    config: { ...BASE, timers: { idleHoldTime: 30, idleHoldMaxTime: 10 } },
    expected: ['$.timers.idleHoldMaxTime: must be at least idleHoldTime (30) (got 10)'],
  },
  { rule: 'refuses a negative idleHoldTime', config: { ...BASE, timers: { idleHoldTime: -1 } }, expected: ['$.timers.idleHoldTime: expected an integer 0..3600 (got -1)'] },

  // originate
  { rule: 'refuses originate that is not an array', config: { ...BASE, originate: '10.0.0.0/8' }, expected: ['$.originate: expected an array of prefixes (got "10.0.0.0/8")'] },
  {
    rule: 'refuses an originated prefix that is not a prefix',
    config: { ...BASE, originate: ['172.16.0.0'] },
    expected: ['$.originate[0]: expected a prefix such as "172.16.0.0/24" or "fd00:10::/64" (got "172.16.0.0")'],
  },
  {
    rule: 'refuses a prefix length beyond the family maximum',
    config: { ...BASE, originate: ['172.16.0.0/33'] },
    expected: ['$.originate[0]: prefix length must be 0..32 (got "172.16.0.0/33")'],
  },
  {
    rule: 'refuses an originated prefix with host bits set, naming the network',
    config: { ...BASE, originate: ['192.168.1.5/24', 'fd00:10::1/64'] },
    expected: [
      '$.originate[0]: host bits are set: the network is "192.168.1.0/24" (got "192.168.1.5/24")',
      '$.originate[1]: host bits are set: the network is "fd00:10::/64" (got "fd00:10::1/64")',
    ],
  },
  {
    rule: 'refuses the same prefix originated twice, however it is spelled',
    config: { ...BASE, originate: ['fd00:10::/64', { prefix: 'FD00:10:0:0::/64' }] },
    expected: ['$.originate[1].prefix: duplicate prefix (also at $.originate[0]) (got "fd00:10::/64")'],
  },
  { rule: 'refuses an originate entry of the wrong type', config: { ...BASE, originate: [24] }, expected: ['$.originate[0]: expected a prefix string or { prefix, communities?, largeCommunities? } (got 24)'] },
  {
    rule: 'refuses an unknown key in an originate object',
    config: { ...BASE, originate: [{ prefix: '10.0.0.0/8', community: ['1:1'] }] },
    expected: ['$.originate[0].community: unknown key (did you mean "communities"?)'],
  },
  {
    rule: 'refuses a community whose halves exceed 16 bits',
    config: { ...BASE, originate: [{ prefix: '10.0.0.0/8', communities: ['65536:1'] }] },
    expected: ['$.originate[0].communities[0]: expected a community "AS:value" (each 0..65535) or a well-known name such as "no-export" (got "65536:1")'],
  },
  {
    rule: 'refuses a large community with a part above 32 bits',
    config: { ...BASE, originate: [{ prefix: '10.0.0.0/8', largeCommunities: ['1:4294967296:0'] }] },
    expected: ['$.originate[0].largeCommunities[0]: expected a large community "global:local1:local2" (each 0..4294967295) (got "1:4294967296:0")'],
  },
  { rule: 'requires the prefix of an originate object', config: { ...BASE, originate: [{ communities: [] }] }, expected: ['$.originate[0].prefix: required'] },

  // routeReflector, multipath, gracefulRestart
  {
    rule: 'refuses a clusterId that is not a dotted quad',
    config: { ...BASE, routeReflector: { clusterId: 1 } },
    expected: ['$.routeReflector.clusterId: expected a dotted-quad IPv4 address such as "192.168.1.10" (got 1)'],
  },
  { rule: 'refuses multipath.maxPaths 0', config: { ...BASE, multipath: { maxPaths: 0 } }, expected: ['$.multipath.maxPaths: expected an integer 1..64 (got 0)'] },
  { rule: 'refuses multipath.maxPaths above 64', config: { ...BASE, multipath: { maxPaths: 65 } }, expected: ['$.multipath.maxPaths: expected an integer 1..64 (got 65)'] },
  {
    rule: 'refuses a restart time that does not fit 12 bits (RFC 4724 3)',
    config: { ...BASE, gracefulRestart: { restartTime: 4096 } },
    expected: ['$.gracefulRestart.restartTime: expected an integer 1..4095 (got 4096)'],
  },
  { rule: 'refuses staleRoutesTime 0', config: { ...BASE, gracefulRestart: { staleRoutesTime: 0 } }, expected: ['$.gracefulRestart.staleRoutesTime: expected an integer 1..65535 (got 0)'] },

  // kernel
  { rule: 'refuses kernel table 0', config: { ...BASE, kernel: { table: 0 } }, expected: ['$.kernel.table: expected an integer 1..4294967295 or one of "main", "local" (got 0)'] },
  {
    rule: 'refuses an unknown kernel table name',
    config: { ...BASE, kernel: { table: 'default' } },
    expected: ['$.kernel.table: expected an integer 1..4294967295 or one of "main", "local" (got "default")'],
  },
  {
    rule: 'refuses the kernel-owned protocol ids 1..3',
    config: { ...BASE, kernel: { protocol: 2 } },
    expected: ['$.kernel.protocol: protocol ids 1..3 belong to the kernel (redirect, kernel, boot); use 12 ("bird") or 186 ("bgp") (got 2)'],
  },
  {
    rule: 'refuses a protocol id above 255',
    config: { ...BASE, kernel: { protocol: 256 } },
    expected: ['$.kernel.protocol: expected an integer 1..255 or one of "static", "zebra", "bird", "bgp" (got 256)'],
  },
  { rule: 'refuses a negative metric', config: { ...BASE, kernel: { metric: -1 } }, expected: ['$.kernel.metric: expected an integer 0..4294967295 (got -1)'] },
  {
    rule: 'refuses an unknown data-plane mode',
    config: { ...BASE, kernel: { mode: 'vxlan' } },
    expected: ['$.kernel.mode: expected one of "direct", "ipip", "ipip-cross-subnet" (got "vxlan")'],
  },
  {
    rule: 'refuses a kernel pool with an unknown mode',
    config: { ...BASE, kernel: { pools: [{ cidr: '10.65.0.0/16', mode: 'vxlan' }] } },
    expected: ['$.kernel.pools[0].mode: expected one of "direct", "ipip", "ipip-cross-subnet", "none" (got "vxlan")'],
  },
  {
    rule: 'refuses a kernel pool whose cidr has host bits set',
    config: { ...BASE, kernel: { pools: [{ cidr: '10.65.0.1/16', mode: 'ipip' }] } },
    expected: ['$.kernel.pools[0].cidr: host bits are set: the network is "10.65.0.0/16" (got "10.65.0.1/16")'],
  },
  {
    rule: 'refuses the same pool twice, in any spelling',
    config: { ...BASE, kernel: { pools: [{ cidr: 'fd00:10::/48', mode: 'direct' }, { cidr: 'FD00:10:0::/48', mode: 'none' }] } },
    expected: ['$.kernel.pools[1].cidr: duplicate cidr (also at $.kernel.pools[0].cidr) (got "FD00:10:0::/48")'],
  },
  {
    rule: 'refuses a kernel pool without a mode, and unknown keys in it',
    config: { ...BASE, kernel: { pools: [{ cidr: '10.65.0.0/16', ipipMode: 'Always' }] } },
    expected: ['$.kernel.pools[0].mode: required', '$.kernel.pools[0].ipipMode: unknown key'],
  },
  {
    rule: 'refuses kernel pools that are not an array',
    config: { ...BASE, kernel: { pools: { cidr: '10.65.0.0/16', mode: 'ipip' } } },
    expected: ['$.kernel.pools: expected an array of { cidr, mode } (got {"cidr":"10.65.0.0/16","mode":"ipip"})'],
  },
  {
    rule: 'refuses a tunnel device name longer than 15 characters',
    config: { ...BASE, kernel: { tunnelDevice: 'tunnel-device-16' } },
    expected: ['$.kernel.tunnelDevice: expected an interface name of 1..15 characters without "/", ":" or spaces (got "tunnel-device-16")'],
  },
  { rule: 'refuses scanInterval 0', config: { ...BASE, kernel: { scanInterval: 0 } }, expected: ['$.kernel.scanInterval: expected an integer 1..3600 (got 0)'] },
  { rule: 'refuses a negative convergenceTimeout', config: { ...BASE, kernel: { convergenceTimeout: -5 } }, expected: ['$.kernel.convergenceTimeout: expected an integer 0..3600 (got -5)'] },
  { rule: 'refuses a non-boolean kernel.withdrawOnStop', config: { ...BASE, kernel: { withdrawOnStop: 'yes' } }, expected: ['$.kernel.withdrawOnStop: expected true or false (got "yes")'] },

  // control, log
  { rule: 'refuses a relative control socket path', config: { ...BASE, control: { socket: 'wren.sock' } }, expected: ['$.control.socket: expected an absolute path (got "wren.sock")'] },
  {
    rule: 'refuses a control socket path longer than sun_path allows',
    config: { ...BASE, control: { socket: `/${'x'.repeat(107)}` } },
    expected: [`$.control.socket: must be at most 107 bytes (Unix socket path limit) (got "/${'x'.repeat(55)}...)`],
  },
  {
    rule: 'refuses relative BIRD socket paths',
    config: { ...BASE, control: { birdSocket: 'bird.ctl', birdSocket6: 'run/bird6.ctl' } },
    expected: ['$.control.birdSocket: expected an absolute path (got "bird.ctl")', '$.control.birdSocket6: expected an absolute path (got "run/bird6.ctl")'],
  },
  {
    rule: 'refuses a BIRD socket at the path of another socket',
    config: { ...BASE, control: { socket: '/run/x.sock', birdSocket: '/run/x.sock', birdSocket6: '/run/x.sock' } },
    expected: ['$.control.birdSocket: must differ from control.socket (got "/run/x.sock")', '$.control.birdSocket6: must differ from control.socket (got "/run/x.sock")'],
  },
  {
    rule: 'refuses the same path for both BIRD sockets',
    config: { ...BASE, control: { birdSocket: '/run/b.ctl', birdSocket6: '/run/b.ctl' } },
    expected: ['$.control.birdSocket6: must differ from control.birdSocket (got "/run/b.ctl")'],
  },
  {
    rule: 'refuses a BIRD version with a space (tools take the word after "BIRD ")',
    config: { ...BASE, control: { birdVersion: '1.6 wren' } },
    expected: ['$.control.birdVersion: expected 1..64 letters, digits and . _ + ~ - (no spaces), such as "v0.3.3+birdv1.6.8" (got "1.6 wren")'],
  },
  {
    rule: 'refuses an unknown log level',
    config: { ...BASE, log: { level: 'verbose' } },
    expected: ['$.log.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent" (got "verbose")'],
  },
];

describe('validateConfig: top level and sections', () => {
  it.each(cases)('$rule', ({ config, expected }) => {
    expect(problems(config)).toEqual(expected);
  });

  it('reports every problem at once, across sections', () => {
    const lines = problems({ routerId: '0.0.0.0', asn: '1', listen: { port: 0 }, kernel: { mode: 'x' }, log: { level: 1 }, extra: true });
    expect(lines).toEqual([
      '$.extra: unknown key',
      '$.routerId: must not be 0.0.0.0 (got "0.0.0.0")',
      '$.asn: expected an integer 1..4294967295 (got "1")',
      '$.listen.port: expected an integer 1..65535 (got 0)',
      '$.kernel.mode: expected one of "direct", "ipip", "ipip-cross-subnet" (got "x")',
      '$.log.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent" (got 1)',
    ]);
  });

  it('accepts the BIRD sockets and version, and leaves them out when not given (off)', () => {
    const control = { birdSocket: '/var/run/calico/bird.ctl', birdSocket6: '/var/run/calico/bird6.ctl', birdVersion: 'v0.3.3+birdv1.6.8' };
    const on = validateConfig({ ...BASE, control });
    expect(on.ok && on.value.control).toEqual({ socket: '/run/wren/wren.sock', ...control });
    const off = validateConfig(BASE);
    expect(off.ok && off.value.control).toEqual({ socket: '/run/wren/wren.sock' });
  });

  it('accepts a hold time of 0 with the keepalive left to its default', () => {
    expect(problems({ ...BASE, timers: { holdTime: 0 } })).toEqual([]);
  });
});

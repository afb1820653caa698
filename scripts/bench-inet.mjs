#!/usr/bin/env node
/**
 * Micro-benchmark of the address paths that run once per route (util/inet.ts and its callers), on
 * a build in dist/ (or --dist DIR: an older build, for a before/after comparison on one machine):
 *
 *   npx tsc -p tsconfig.build.json && node --expose-gc scripts/bench-inet.mjs [--n 1000000] [--runs 5] [--dist DIR]
 *
 * Through the callers' own functions, which did not change with the move to util/inet.ts:
 *   nlri decode / encode   codec/nlri.ts decodePrefixes / writePrefixes, IPv4 /24s and IPv6 /48s
 *   kernel build           kernel/next-hops.ts toKernelRoute (canonical prefix, connected-subnet test per route)
 *   kernel encode / decode kernel/rtmsg.ts encodeNewRoute / decodeRoute (RTM_NEWROUTE payloads)
 * Prints the best of --runs per phase, wall and CPU time, in ns per route. On a shared machine the
 * CPU time is the steadier of the two; alternate --dist builds and run each several times.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}

const dist = resolve(arg('dist', join(import.meta.dirname, '..', 'dist')));
const n = Number(arg('n', '1000000'));
const runs = Number(arg('runs', '5'));
const load = (p) => import(pathToFileURL(join(dist, p)).href);
const { decodePrefixes, writePrefixes } = await load('codec/nlri.js');
const { cursor } = await load('codec/cursor.js');
const { toKernelRoute } = await load('kernel/next-hops.js');
const { encodeNewRoute, decodeRoute } = await load('kernel/rtmsg.js');

const v4 = Array.from({ length: n }, (_, i) => `${10 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}.0/24`);
const n6 = Math.max(1, n >>> 2);
const v6 = Array.from({ length: n6 }, (_, i) => `2001:db8:${(i & 0xffff).toString(16)}:${(i >>> 16).toString(16)}::/64`);
const wire4 = Buffer.alloc(n * 4);
const wire6 = Buffer.alloc(n6 * 9);
const links = [
  { name: 'eth0', addresses: ['192.168.1.10/24', 'fd00:1::10/64'] },
  { name: 'eth1', addresses: ['192.168.2.10/24'] },
];
const opts = { table: 254, protocol: 186, metric: 0, mode: 'direct', tunnelDevice: 'tunl0', links };
const hops4 = ['192.168.1.11'];
const hops6 = ['fd00:1::11'];

const gc = globalThis.gc ?? (() => undefined);
/** Per phase: the best wall time and the best CPU time (user + system; less disturbed by other load on the machine). */
const best = new Map();
function time(name, count, fn) {
  gc();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const out = fn();
  const wall = Number(process.hrtime.bigint() - t0) / count;
  const c = process.cpuUsage(c0);
  const cpu = ((c.user + c.system) * 1000) / count;
  const b = best.get(name) ?? { wall: Infinity, cpu: Infinity };
  best.set(name, { wall: Math.min(b.wall, wall), cpu: Math.min(b.cpu, cpu) });
  return out;
}

let sink = 0;
for (let r = 0; r < runs; r++) {
  const end4 = time('nlri encode v4', n, () => writePrefixes(wire4, 0, 1, v4, undefined, false));
  const end6 = time('nlri encode v6', n6, () => writePrefixes(wire6, 0, 2, v6, undefined, false));
  sink += time('nlri decode v4', n, () => decodePrefixes(cursor(wire4, 0, end4), 1, false).prefixes.length);
  sink += time('nlri decode v6', n6, () => decodePrefixes(cursor(wire6, 0, end6), 2, false).prefixes.length);
  const routes4 = time('kernel build v4', n, () => v4.map((p) => toKernelRoute(p, hops4, opts)));
  const routes6 = time('kernel build v6', n6, () => v6.map((p) => toKernelRoute(p, hops6, opts)));
  const msgs4 = time('kernel encode v4', n, () => routes4.map(encodeNewRoute));
  const msgs6 = time('kernel encode v6', n6, () => routes6.map(encodeNewRoute));
  sink += time('kernel decode v4', n, () => msgs4.reduce((k, m) => k + (decodeRoute(m)?.prefix.length ?? 0), 0));
  sink += time('kernel decode v6', n6, () => msgs6.reduce((k, m) => k + (decodeRoute(m)?.prefix.length ?? 0), 0));
}

console.log(`dist ${dist}, n=${n} IPv4 + ${n6} IPv6 routes, best of ${runs} (checksum ${sink})`);
console.log('phase              wall ns/route  cpu ns/route');
for (const [name, b] of best) console.log(`${name.padEnd(18)} ${b.wall.toFixed(0).padStart(13)} ${b.cpu.toFixed(0).padStart(13)}`);

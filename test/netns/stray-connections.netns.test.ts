/**
 * A new connection proves itself first (RFC 4271 6.8, RFC 4724 4.2): while wren's session with a
 * BIRD 2 peer is Established, 2,000 bare TCP connections from BIRD's own address to wren's port 179
 * (closed at once, or after wren's OPEN arrived unread, which ends in a RST) change nothing: the
 * session never leaves Established (same uptime, same TCP connection, BIRD's protocol never
 * restarted), and BIRD's route never leaves wren's kernel (`ip monitor route` records no deletion).
 * BIRD runs in its default graceful restart "aware" mode: its capability lists no family, the case
 * in which a stray connection used to delete every route of the peer at once.
 * Run: npx vitest run --project netns test/netns/stray-connections.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { birdProtocolName, startBird } from '../../tools/daemons/bird.js';
import { waitEstablished } from '../../tools/daemons/daemon.js';
import { RouteMonitor, waitForFibRoute } from './lib/fib.js';
import { interopNeeds } from './lib/interop.js';
import { labsPerTest } from './lib/lab-scope.js';
import { exec } from './lib/netns.js';
import { BIRD_INSTALLED, describeNetns } from './lib/requirements.js';
import { startWren } from '../../tools/daemons/wren.js';

const CYCLES = 2000;
const WREN = '10.77.0.1';
const BIRD = '10.77.0.2';
const BLOCK = '172.16.77.0/24';

/**
 * Runs inside BIRD's namespace: CYCLES connections to wren:179 from BIRD's address, one at a time;
 * odd ones close at once (FIN), even ones wait for wren's first bytes and close with them unread (RST).
 * Prints "done <connected> <refused>".
 */
const STRAY_SCRIPT = `
const net = require('node:net');
const [host, cycles] = [process.argv[1], Number(process.argv[2])];
let connected = 0, refused = 0;
function one(i) {
  if (i === cycles) { console.log('done', connected, refused); return; }
  const s = net.connect({ host, port: 179, localAddress: process.argv[3] });
  let finished = false;
  const next = () => { if (finished) return; finished = true; s.destroy(); setImmediate(() => one(i + 1)); };
  s.on('error', () => { refused++; next(); });
  s.on('connect', () => { connected++; if (i % 2 === 1) next(); });
  s.on('data', () => next());
  s.on('close', () => next());
  setTimeout(next, 1000).unref();
}
one(0);
`;

describeNetns('stray TCP connections from an Established peer', interopNeeds(BIRD_INSTALLED), () => {
  const newLab = labsPerTest();

  it(`${CYCLES} connect/close cycles from BIRD's address reset nothing and delete no route`, async () => {
    const lab = newLab('stray');
    const w = lab.addNamespace('wren');
    const b = lab.addNamespace('bird');
    lab.link(w, 'eth-bird', [`${WREN}/24`], b, 'eth-wren', [`${BIRD}/24`]);
    const bird = await startBird(lab, { ns: b, routerId: BIRD, asn: 64512, neighbors: [{ address: WREN, asn: 64512, families: ['ipv4'] }], originate: [BLOCK] });
    const wren = await startWren(lab, {
      ns: w,
      routerId: WREN,
      asn: 64512,
      kernel: true,
      neighbors: [{ address: BIRD, asn: 64512, families: ['ipv4'] }],
      originate: ['172.16.78.0/24'],
    });
    await waitEstablished(wren, BIRD);
    await waitForFibRoute(w, BLOCK, (r) => r.protocol === 'bird' && r.gateways.join() === BIRD);
    const before = wren.showPeers().find((p) => p.address === BIRD);
    // BIRD "aware": graceful restart negotiated, no family listed (nothing would be kept as stale).
    expect(before?.['capabilities']).toContain('graceful-restart');
    const birdMark = (): string => /^(\S+\s+BGP\s+\S+\s+\S+\s+\S+)/m.exec(bird.birdc('show', 'protocols', birdProtocolName(WREN)))?.[1] ?? '';
    const markBefore = birdMark();
    const monitor = await RouteMonitor.start(lab, w);
    const t0 = Date.now();

    const out = exec(b, process.execPath, ['-e', STRAY_SCRIPT, WREN, String(CYCLES), BIRD], { timeoutMs: 120_000 });
    const elapsedMs = Date.now() - t0;
    const [, connected] = out.trim().split(/\s+/).map(Number);
    console.log(`stray connections: ${out.trim()} in ${elapsedMs} ms`);
    expect(connected).toBe(CYCLES);

    // Anything wren would do about the last ones has happened by now (it answers each with an OPEN).
    await new Promise((r) => setTimeout(r, 500));
    const after = wren.showPeers().find((p) => p.address === BIRD);
    const resets = wren.describeLogs(100_000).split('\n').filter((l) => l.includes('"session down"')).length;
    const deletions = monitor.deletions([BLOCK], t0);
    console.log(`after ${CYCLES} stray connections: ${resets} session resets, ${deletions.length} kernel deletions of ${BLOCK}, state ${after?.state}`);
    expect(resets, wren.describeLogs(40)).toBe(0);
    expect(deletions.map((e) => e.text)).toEqual([]);
    expect(after?.state).toBe('Established');
    expect(Number(after?.['uptimeSec'])).toBeGreaterThanOrEqual(Number(before?.['uptimeSec']) + Math.floor(elapsedMs / 1000));
    expect(after?.['lastDownReason']).toBeUndefined();
    expect(birdMark(), 'BIRD restarted its session').toBe(markBefore);
    expect(wren.routes('ipv4').find((r) => r.prefix === BLOCK)?.nextHop).toBe(BIRD);
    await monitor.stop();
  });
});

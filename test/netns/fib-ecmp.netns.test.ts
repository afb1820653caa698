/**
 * ECMP into the kernel: two neighbours announce the same prefix to wren on X with equal paths, and
 * X's FIB holds one multipath route (`proto bird`, one `nexthop via` per neighbour). When one
 * neighbour withdraws, the route becomes the single remaining next hop, and when it announces
 * again both next hops are back; each change is a delete and an add back to back (docs/kernel.md,
 * "Route changes"): the route is never missing longer than that.
 *
 *   segment 10.0.8.0/24, fd00:8::/64:  X .1 (wren, kernel on)   Y1 .2   Y2 .3
 *   - eBGP: Y1 and Y2 are wren in AS 65001 (same neighbour AS, equal AS path), X in AS 65000;
 *   - iBGP: Y1 and Y2 are BIRD 2 in X's AS 64512 (equal LOCAL_PREF, AS path, origin, MED).
 * Run: npx vitest run --project netns test/netns/fib-ecmp.netns.test.ts   (as root, after npm run build)
 */
import { expect, it } from 'vitest';
import { startBird } from '../../tools/daemons/bird.js';
import { waitEstablished, type BgpDaemon } from '../../tools/daemons/daemon.js';
import { fibRoutesFor, RouteMonitor, waitForFibRoute, type FibRoute } from './lib/fib.js';
import { labsPerTest } from './lib/lab-scope.js';
import { type Lab } from './lib/netns.js';
import { describeNetns, BIRD_INSTALLED, NETNS } from './lib/requirements.js';
import { startWren, type WrenDaemon } from '../../tools/daemons/wren.js';

const SHARED = '172.16.50.0/24';
const SHARED6 = 'fd00:172:16:50::/64';
const X = { v4: '10.0.8.1', v6: 'fd00:8::1' };
const Y1 = { v4: '10.0.8.2', v6: 'fd00:8::2' };
const Y2 = { v4: '10.0.8.3', v6: 'fd00:8::3' };

const hops = (r: FibRoute): string => [...r.gateways].sort().join(',');

function segment(lab: Lab): { x: string; y1: string; y2: string } {
  const x = lab.addNamespace('x', { forwarding: true });
  const y1 = lab.addNamespace('y1', { forwarding: true });
  const y2 = lab.addNamespace('y2', { forwarding: true });
  lab.bridgeSegment('sw', [
    { ns: x, ifName: 'eth0', addrs: [`${X.v4}/24`, `${X.v6}/64`] },
    { ns: y1, ifName: 'eth0', addrs: [`${Y1.v4}/24`, `${Y1.v6}/64`] },
    { ns: y2, ifName: 'eth0', addrs: [`${Y2.v4}/24`, `${Y2.v6}/64`] },
  ]);
  return { x, y1, y2 };
}

/** Both next hops, then one (Y2 withdrew), then both again; every deletion is followed at once by the new route. */
async function checkEcmp(lab: Lab, xns: string, wx: WrenDaemon, y2: BgpDaemon): Promise<void> {
  const both4 = `${Y1.v4},${Y2.v4}`;
  const both6 = `${Y1.v6},${Y2.v6}`;
  const r4 = await waitForFibRoute(xns, SHARED, (r) => r.protocol === 'bird' && hops(r) === both4).catch((err: Error) => {
    throw new Error(`${err.message}\nshow routes on X: ${JSON.stringify(wx.showRoutes().filter((r) => r.prefix === SHARED))}\n${wx.describeLogs(30)}`);
  });
  expect(r4.devices).toEqual(['eth0', 'eth0']);
  const r6 = await waitForFibRoute(xns, SHARED6, (r) => r.protocol === 'bird' && hops(r) === both6);
  expect(r6.devices).toEqual(['eth0', 'eth0']);
  expect(fibRoutesFor(xns, SHARED)).toHaveLength(1);
  expect(fibRoutesFor(xns, SHARED6)).toHaveLength(1);
  console.log(`ECMP on X: ${SHARED} via ${r4.gateways.join(' + ')}; ${SHARED6} via ${r6.gateways.join(' + ')}`);

  const mon = await RouteMonitor.start(lab, xns);
  const t0 = Date.now();
  await y2.withdraw(SHARED);
  await y2.withdraw(SHARED6);
  await waitForFibRoute(xns, SHARED, (r) => r.protocol === 'bird' && hops(r) === Y1.v4);
  await waitForFibRoute(xns, SHARED6, (r) => r.protocol === 'bird' && hops(r) === Y1.v6);
  await y2.announce(SHARED);
  await y2.announce(SHARED6);
  await waitForFibRoute(xns, SHARED, (r) => r.protocol === 'bird' && hops(r) === both4);
  await waitForFibRoute(xns, SHARED6, (r) => r.protocol === 'bird' && hops(r) === both6);
  const changes = mon.events().filter((e) => e.at >= t0 && [SHARED, SHARED6].includes(e.prefix));
  console.log(`ECMP changes on X: ${changes.map((e) => `${e.deleted ? 'del' : 'new'} ${e.prefix}`).join(', ')}`);
  expect(mon.deletionsNotReplaced([SHARED, SHARED6], t0).map((e) => e.text), 'a deletion of the multipath route not followed at once by its new form').toEqual([]);
  expect(changes.filter((e) => !e.deleted).length, 'the two changes per family were made').toBeGreaterThanOrEqual(4);
  expect(wx.showKernel()).toMatchObject({ conflicts: [], pendingRetries: [] });
}

describeNetns('ECMP routes in the kernel FIB', [NETNS, BIRD_INSTALLED], () => {
  const newLab = labsPerTest();

  it('installs one multipath route when two eBGP neighbours in the same AS announce the same prefix', async () => {
    const lab = newLab('ebgp');
    const ns = segment(lab);
    const wx = await startWren(lab, {
      ns: ns.x,
      routerId: X.v4,
      asn: 65000,
      neighbors: [
        { address: Y1.v4, asn: 65001 },
        { address: Y2.v4, asn: 65001 },
      ],
      originate: ['172.16.40.0/24'],
      kernel: true,
    });
    const y = (n: string, a: typeof Y1) => startWren(lab, { ns: n, routerId: a.v4, asn: 65001, neighbors: [{ address: X.v4, asn: 65000 }], originate: [SHARED, SHARED6] });
    await y(ns.y1, Y1);
    const wy2 = await y(ns.y2, Y2);
    await waitEstablished(wx, Y1.v4);
    await waitEstablished(wx, Y2.v4);
    await checkEcmp(lab, ns.x, wx, wy2);
  });

  it('installs one multipath route when two iBGP neighbours (BIRD) announce the same prefix with equal paths', async () => {
    const lab = newLab('ibgp');
    const ns = segment(lab);
    const wx = await startWren(lab, {
      ns: ns.x,
      routerId: X.v4,
      asn: 64512,
      neighbors: [
        { address: Y1.v4, asn: 64512 },
        { address: Y2.v4, asn: 64512 },
      ],
      originate: ['172.16.40.0/24'],
      kernel: true,
    });
    const y = (n: string, a: typeof Y1) =>
      startBird(lab, { ns: n, routerId: a.v4, asn: 64512, neighbors: [{ address: X.v4, asn: 64512, ipv6NextHop: a.v6 }], originate: [SHARED, SHARED6] });
    await y(ns.y1, Y1);
    const by2 = await y(ns.y2, Y2);
    await waitEstablished(wx, Y1.v4);
    await waitEstablished(wx, Y2.v4);
    await checkEcmp(lab, ns.x, wx, by2);
  });
});

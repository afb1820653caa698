/**
 * wren against OpenBGPD 7.7 (Debian's `openbgpd`): next-hop sanity end to end (RFC 4271 6.3,
 * RFC 7606 7.11; docs/rib.md "Next-hop sanity").
 *
 *   wren AS 65000, kernel on (10.0.0.1, fd00:10::1) eth0 ---- eth0 OpenBGPD AS 65001 (10.0.0.2, fd00:10::2)
 *
 * One eBGP session over IPv4 carrying IPv4 and IPv6 unicast. OpenBGPD announces 172.16.1.0/24 and
 * fd00:172:16:1::/64; it has no IPv6 next hop configured for the session, so it sends the IPv6
 * prefix with next hop `::1` (seen with tshark in wren's namespace, and byte for byte the golden
 * vector next-hop/openbgpd-mp-reach-ipv6-next-hop-loopback.json). wren installs the IPv4 route and
 * refuses the IPv6 one: present in `show routes` with `refused`, `next-hop-invalid` and why, not
 * best, not in the kernel, counted received but not accepted, one warn line in wren's log (also
 * after a second UPDATE with the same next hop), and no kernel errors or retries.
 *
 * Missing OpenBGPD (or tshark) skips the file, except with CI=true, where it fails (lib/requirements.ts).
 * Run as root after `npm run build`:
 *   npx vitest run --project netns test/netns/interop-openbgpd.netns.test.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RouteView } from '../../src/control/protocol.js';
import { waitEstablished, waitRoute } from '../../tools/daemons/daemon.js';
import { fibRoutesFor, waitForFibRoute } from './lib/fib.js';
import { askWren, BgpCapture, interopNeeds, keepFilesOnFailure, waitWrenPeer, wrenLogTail, wrenRoutes } from './lib/interop.js';
import { Lab, listNamespaces, waitFor } from './lib/netns.js';
import { startOpenbgpd, type OpenbgpdDaemon } from '../../tools/daemons/openbgpd.js';
import { describeNetns, OPENBGPD_INSTALLED, TSHARK_INSTALLED } from './lib/requirements.js';
import { startWren, type WrenDaemon } from '../../tools/daemons/wren.js';

const W = { v4: '10.0.0.1', v6: 'fd00:10::1', asn: 65000, originate: ['172.16.0.0/24', 'fd00:172:16::/64'] };
const O = { v4: '10.0.0.2', v6: 'fd00:10::2', asn: 65001, originate: ['172.16.1.0/24', 'fd00:172:16:1::/64'] };
const [P4, P6] = O.originate as [string, string];

const REFUSED_MSG = 'next hop cannot be used: routes refused (kept in Adj-RIB-In, not selected)';
const GOLDEN = join(import.meta.dirname, '..', 'golden', 'vectors', 'next-hop', 'openbgpd-mp-reach-ipv6-next-hop-loopback.json');

/** wren's log as JSON lines. */
function wrenLog(wren: WrenDaemon): Record<string, unknown>[] {
  return readFileSync(wren.paths.log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const refusedLines = (wren: WrenDaemon): Record<string, unknown>[] => wrenLog(wren).filter((l) => l['msg'] === REFUSED_MSG);
/** warn and error lines about the kernel (a failed install is logged as 'kernel route ...'). */
const kernelTrouble = (wren: WrenDaemon): Record<string, unknown>[] =>
  wrenLog(wren).filter((l) => Number(l['level']) >= 40 && /kernel/.test(String(l['msg'])));

const routeOf = (routes: readonly RouteView[], prefix: string): RouteView | undefined => routes.find((r) => r.prefix === prefix && r.from === O.v4);

describeNetns('wren and OpenBGPD 7: next-hop sanity', interopNeeds(OPENBGPD_INSTALLED, TSHARK_INSTALLED), () => {
  let lab: Lab | undefined;
  let wren: WrenDaemon;
  let obgpd: OpenbgpdDaemon;
  let capture: BgpCapture;
  let nsWren = '';
  keepFilesOnFailure(() => lab);

  beforeAll(async () => {
    lab = new Lab({ id: 'obgpd' });
    nsWren = lab.addNamespace('wren');
    const nsO = lab.addNamespace('obgpd');
    lab.link(nsWren, 'eth0', [`${W.v4}/24`, `${W.v6}/64`], nsO, 'eth0', [`${O.v4}/24`, `${O.v6}/64`]);
    capture = new BgpCapture(lab, nsWren, 'eth0', 'wren-eth0');
    await capture.ready();
    [wren, obgpd] = await Promise.all([
      startWren(lab, { ns: nsWren, routerId: W.v4, asn: W.asn, neighbors: [{ address: O.v4, asn: O.asn }], originate: [...W.originate], kernel: true }),
      startOpenbgpd(lab, { ns: nsO, routerId: O.v4, asn: O.asn, neighbors: [{ address: W.v4, asn: W.asn, passive: true }], originate: [...O.originate] }),
    ]);
    await waitEstablished(obgpd, W.v4);
    await waitWrenPeer(wren, O.v4, 'Established with 2 prefixes received', (p) => p.state === 'Established' && p.prefixes.received === 2);
  }, 60_000);

  afterAll(async () => {
    const l = lab;
    if (l === undefined) return;
    await l.destroy();
    expect(listNamespaces(l.prefix)).toEqual([]);
  });

  it('OpenBGPD learns wren’s prefixes (the driver reads its RIB)', async () => {
    await waitRoute(obgpd, W.originate[0] as string, { match: (r) => r.nextHop === W.v4 && r.asPath.join(' ') === String(W.asn) });
    await waitRoute(obgpd, W.originate[1] as string, { match: (r) => r.nextHop === W.v6 && r.asPath.join(' ') === String(W.asn) });
  });

  it('OpenBGPD sends the IPv6 prefix with next hop ::1 over the IPv4 session (tshark in wren’s namespace)', async () => {
    await capture.sawLine(/BGP.*UPDATE/, 10_000);
    const fields = (): string[][] =>
      lab
        ?.exec(null, 'tshark', [
          '-r',
          capture.file,
          '-Y',
          `ip.src == ${O.v4} && bgp.update.path_attribute.mp_reach_nlri.afi == 2`,
          '-T',
          'fields',
          '-E',
          'occurrence=a',
          '-e',
          'bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6',
          '-e',
          'bgp.mp_reach_nlri_ipv6_prefix',
        ])
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => l.split('\t')) ?? [];
    // tshark writes the file as packets come; wait until the UPDATE is in it.
    // tshark prints the MP_REACH prefix without its length ("fd00:172:16:1::").
    const addr6 = P6.slice(0, P6.indexOf('/'));
    const rows = await waitFor(() => (fields().some((r) => r[1]?.split(',').includes(addr6)) ? fields() : false), {
      what: `an MP_REACH_NLRI UPDATE from ${O.v4} for ${P6} in the capture`,
      timeoutMs: 10_000,
      intervalMs: 200,
    });
    expect(rows.filter((r) => r[1]?.split(',').includes(addr6)).map((r) => r[0])).toEqual(['::1']);
    // Byte for byte the captured golden vector: the concatenated TCP payload from OpenBGPD holds it.
    const stream = (lab?.exec(null, 'tshark', ['-r', capture.file, '-Y', `ip.src == ${O.v4} && tcp.len > 0`, '-T', 'fields', '-e', 'tcp.payload']) ?? '').replace(/\s/g, '');
    const golden = (JSON.parse(readFileSync(GOLDEN, 'utf8')) as { hex: string }).hex.replace(/\s/g, '');
    expect(stream).toContain(golden);
  });

  it('installs the IPv4 route as usual', async () => {
    const r = await waitForFibRoute(nsWren, P4, (x) => x.gateways.includes(O.v4));
    expect(r).toMatchObject({ protocol: 'bird', devices: ['eth0'] });
    expect(routeOf(await wrenRoutes(wren), P4)).toMatchObject({ best: true, nextHop: O.v4, asPath: String(O.asn) });
  });

  it('refuses the IPv6 route: shown with why, not best, not in the kernel, counted received but not accepted', async () => {
    const r = routeOf(await wrenRoutes(wren), P6);
    expect(r).toMatchObject({ prefix: P6, nextHop: '::1', best: false, refused: true, reason: 'next-hop-invalid', detail: '::1 is a loopback address', asPath: String(O.asn) });
    expect(fibRoutesFor(nsWren, P6)).toEqual([]);
    expect(lab?.exec(nsWren, 'ip', ['-6', 'route', 'show', P6]).trim()).toBe('');
    const peer = await waitWrenPeer(wren, O.v4, 'counting 2 received, 1 accepted', (p) => p.prefixes.received === 2 && p.prefixes.accepted === 1);
    expect(peer.prefixes).toMatchObject({ received: 2, accepted: 1 });
    // The CLI says it too.
    expect(wren.cli('show', 'routes', P6)).toMatch(/refused: next-hop-invalid \(::1 is a loopback address\)/);
  });

  it('logs one warn line for it, not one per UPDATE, and no kernel error', async () => {
    const lines = refusedLines(wren);
    expect(lines, wrenLogTail(wren)).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, peer: O.v4, nextHop: '::1', reason: 'next-hop-invalid', class: 'loopback' });

    // Another UPDATE with the same next hop (OpenBGPD 7.7 ignores ROUTE-REFRESH, "route refresh:
    // AID IPv4 unicast not negotiated", so a new prefix is what makes it send one): refused too,
    // no second line.
    const P6b = 'fd00:172:16:2::/64';
    await obgpd.announce(P6b);
    await waitWrenPeer(wren, O.v4, '3 received, 1 accepted', (p) => p.prefixes.received === 3 && p.prefixes.accepted === 1);
    expect(routeOf(await wrenRoutes(wren), P6b)).toMatchObject({ nextHop: '::1', refused: true, reason: 'next-hop-invalid', best: false });
    expect(refusedLines(wren)).toHaveLength(1);

    // A bounded look at the kernel side: nothing pending, nothing failing, nothing logged.
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      const k = await askWren(wren, { cmd: 'show-kernel' });
      expect(k?.pendingRetries).toEqual([]);
      expect(k?.lastReconcile?.failed ?? 0).toBe(0);
      expect(kernelTrouble(wren)).toEqual([]);
      await new Promise((res) => setTimeout(res, 250));
    }
    expect(fibRoutesFor(nsWren, P6)).toEqual([]);
    expect(routeOf(await wrenRoutes(wren), P6)).toMatchObject({ refused: true, best: false });
  });
});

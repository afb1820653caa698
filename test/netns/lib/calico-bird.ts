/**
 * How Calico's tools read BIRD's control socket, ported line for line from Go to TypeScript, so
 * the tests can check that wren's BIRD socket satisfies them:
 *
 * - `scanBirdPeers`: the `show protocols` parser of `calicoctl node status`
 *   (projectcalico/calico calicoctl/calicoctl/commands/node/status.go: scanBIRDPeers,
 *   bgpPeer.unmarshalBIRD) and of calico-node's readiness probe (node/pkg/health/bird/bird.go:
 *   GetPeers, scanBIRDPeers, unmarshalBIRD, the same code but for its error texts);
 * - `grInProgress`: calico-node's graceful-restart check on `show status` (node/pkg/health/bird/bird.go
 *   GRInProgress);
 * - `birdReady`: calico-node `--bird-ready` (node/pkg/health/health.go checkBIRDReady), with the
 *   nodename file's age given;
 * - `statusReport`: what the CalicoNodeStatus reporter reads from `show status`
 *   (node/pkg/status/populators/bird_status.go scanBIRDStatus);
 * - `peerDetails`: what it then reads of each peer from `show protocols all NAME`, sent on the same
 *   connection (node/pkg/status/populators/peers.go bgpPeer.complete).
 *
 * Both Go parsers read the reply with a bufio.Scanner (lines without the newline) until a line
 * starting `0000`; any line that is not the greeting, the heading, a `1002` row or a ` ` row is an
 * error ("unexpected output line from BIRD"). The heading's words must be exactly
 * name/proto/table/state/since/info ("unknown BIRD table output format"). A BGP row with fewer than
 * 6 words (a down session with no info) is skipped.
 */

export interface BgpPeer {
  readonly peerIp: string;
  readonly peerType: string;
  readonly state: string;
  readonly since: string;
  readonly bgpState: string;
  readonly info: string;
}

const BGP_PEER_REGEX = /^(Global|Node|Mesh)_(.+)$/;
const BGP_TYPE_MAP: Readonly<Record<string, string>> = { Global: 'global', Mesh: 'node-to-node mesh', Node: 'node specific' };
const BIRD_EXPECTED_HEADINGS = ['name', 'proto', 'table', 'state', 'since', 'info'];

/** Go's strings.Fields: split on runs of white space, no empty fields. */
const fields = (s: string): string[] => s.split(/\s+/).filter((f) => f !== '');

/** bgpPeer.unmarshalBIRD: null when the row is not a Calico BGP peer. */
export function unmarshalBird(line: string, ipSep: '.' | ':'): BgpPeer | null {
  const columns = fields(line);
  if (columns.length < 6) return null; // "Not a valid line: fewer than 6 columns"
  if (columns[1] !== 'BGP') return null; // "Not a valid line: protocol is not BGP"
  const sm = BGP_PEER_REGEX.exec(columns[0] ?? '');
  if (sm === null || sm.length !== 3) return null;
  const peerType = BGP_TYPE_MAP[sm[1] ?? ''];
  if (peerType === undefined) return null;
  return {
    peerIp: (sm[2] ?? '').replaceAll('_', ipSep),
    peerType,
    state: columns[3] ?? '',
    since: columns[4] ?? '',
    bgpState: columns[5] ?? '',
    info: columns.length > 6 ? columns.slice(6).join(' ') : '',
  };
}

/** scanBIRDPeers over everything the socket sent after `show protocols\n` (the greeting included). */
export function scanBirdPeers(text: string, ipv: '4' | '6'): BgpPeer[] {
  const ipSep = ipv === '6' ? ':' : '.';
  const peers: BgpPeer[] = [];
  for (const str of text.split('\n')) {
    if (str.startsWith('0000')) return peers; // "0000" means end of data
    if (str.startsWith('0001')) continue; // "0001" code means BIRD is ready.
    if (str.startsWith('2002')) {
      // "2002" code means start of headings
      const f = fields(str.slice(5));
      if (f.length !== BIRD_EXPECTED_HEADINGS.length || f.some((w, i) => w !== BIRD_EXPECTED_HEADINGS[i])) throw new Error('unknown BIRD table output format');
    } else if (str.startsWith('1002')) {
      const p = unmarshalBird(str.slice(5), ipSep);
      if (p) peers.push(p);
    } else if (str.startsWith(' ')) {
      const p = unmarshalBird(str.slice(1), ipSep);
      if (p) peers.push(p);
    } else {
      throw new Error(`unexpected output line from BIRD: '${str}'`);
    }
  }
  // The Go code would wait for more until its 2 s read deadline.
  throw new Error('no "0000" line: the reply never ended (read deadline)');
}

/** GRInProgress over everything the socket sent after `show status\n`. */
export function grInProgress(text: string): boolean {
  for (const str of text.split('\n')) {
    if (str.startsWith('0013')) return false; // the final line: BIRD is ready
    if (str.startsWith('0001') || str.startsWith('1000') || str.startsWith('1011')) continue;
    if (str.startsWith('0024')) return true; // a graceful restart status report: GR in progress
    if (str.startsWith(' ')) continue;
    throw new Error(`unexpected output line from BIRD: '${str}'`);
  }
  throw new Error('no "0013" line: the reply never ended (read deadline)');
}

/**
 * checkBIRDReady: ready, or the error calico-node reports. `recent`: the nodename file is younger
 * than the threshold (30 s), i.e. calico-node started a moment ago.
 */
export function birdReady(peers: readonly BgpPeer[], gr: boolean, recent: boolean): string | null {
  const notEstablished = peers.filter((p) => p.bgpState !== 'Established').map((p) => p.peerIp);
  const established = peers.length - notEstablished.length;
  if (peers.length === 0) return null; // no BGP peers: ready
  if (recent) {
    if (notEstablished.length > 0) return `BGP not established with ${notEstablished.join(',')}`;
    if (gr) return 'graceful restart in progress';
    return null;
  }
  if (established > 0) return null; // after a while, one peering up is enough
  return `BGP not established with ${notEstablished.join(',')}`;
}

export interface StatusReport {
  readonly ready: boolean;
  readonly version: string;
  readonly routerId: string;
  readonly serverTime: string;
  readonly lastBootTime: string;
  readonly lastReconfigTime: string;
}

/** bird_status.go: the fields of the CalicoNodeStatus agent block, read from `show status`. */
export function statusReport(text: string): StatusReport {
  let ready = false;
  let version = '';
  let routerId = '';
  let serverTime = '';
  let lastBootTime = '';
  let lastReconfigTime = '';
  for (const str of text.split('\n')) {
    let line: string;
    if (str.startsWith('0001') || str.startsWith('1000') || str.startsWith('1011')) line = str.slice(5);
    else if (str.startsWith(' ')) line = str.slice(1);
    else break; // 0013 ends it; anything else too (logged as a warning)
    if (line.includes('BIRD') && line.includes('ready')) ready = true;
    else if (line.startsWith('BIRD v')) version = line.replace(/^BIRD /, '');
    else if (line.startsWith('Router ID is ')) routerId = line.slice('Router ID is '.length);
    else if (line.startsWith('Current server time is ')) serverTime = line.slice('Current server time is '.length);
    else if (line.startsWith('Last reboot on ')) lastBootTime = line.slice('Last reboot on '.length);
    else if (line.startsWith('Last reconfiguration on ')) lastReconfigTime = line.slice('Last reconfiguration on '.length);
  }
  return { ready, version, routerId, serverTime, lastBootTime, lastReconfigTime };
}

/** bgpPeer.complete: the BGP state and the neighbor address, from the reply to `show protocols all NAME`. */
export function peerDetails(text: string): { readonly bgpState: string; readonly peerIp: string } {
  // getValue: `strings.Contains`, then the key replaced by a space and the rest trimmed.
  const getValue = (str: string, key: string): string | null => (str.includes(key) ? str.replaceAll(key, ' ').trim() : null);
  let bgpState = '';
  let peerIp = '';
  for (const str of text.split('\n')) {
    if (str.startsWith('0000')) return { bgpState, peerIp };
    const state = getValue(str, 'BGP state:');
    if (state !== null) bgpState = state;
    else {
      const ip = getValue(str, 'Neighbor address:');
      if (ip !== null) peerIp = ip;
    }
  }
  throw new Error('no "0000" line: the reply never ended (read deadline)');
}

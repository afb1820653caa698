/** `wren show bfd`: a pure function of the control socket's answer (control/protocol.ts BfdView). */
import type { BfdPeerStatus, BfdView } from '../control/protocol.js';
import { formatDuration } from './format.js';
import { renderFields, renderTable } from './table.js';

const diag = (d: string): string => (d === 'No Diagnostic' ? '-' : d);

function detail(s: BfdPeerStatus): string {
  const fields: [string, string][] = [
    ['kind', `${s.multihop ? 'multihop (RFC 5883, UDP 4784)' : 'single hop (RFC 5881, UDP 3784)'}${s.localAddress !== undefined ? `, from ${s.localAddress}` : ''}`],
    ['discriminators', `local ${s.localDiscriminator}, remote ${s.remoteDiscriminator}`],
    ['we send', `TX ${s.local.minTxMs} ms, RX ${s.local.minRxMs} ms, x${s.local.multiplier}${s.polling ? ' (Poll Sequence in progress)' : ''}`],
    ['peer sends', s.heard ? `TX ${s.remote.minTxMs} ms, RX ${s.remote.minRxMs} ms, x${s.remote.multiplier}` : 'nothing heard from the peer'],
    ['on failure', `${s.graceful ? 'graceful restart of the peer (routes kept stale)' : 'Cease / BFD Down, routes withdrawn'}${s.requireUp ? '; BGP waits for BFD' : ''}`],
    ['packets', `in ${s.counters.packetsIn}, out ${s.counters.packetsOut}, discarded ${s.counters.discarded}`],
  ];
  if (s.bgpHeld) fields.push(['BGP', 'held down until BFD is Up']);
  if (s.lastDownReason !== undefined) fields.push(['last down', s.lastDownReason]);
  if (s.problem !== undefined) fields.push(['problem', s.problem]);
  return `${s.name !== undefined ? `${s.peer} (${s.name})` : s.peer}:\n${renderFields(fields)}`;
}

export function formatBfd(v: BfdView): string {
  if (v.mode === 'off' || v.sessions.length === 0) return v.problem !== undefined ? `no BFD session runs: ${v.problem}` : 'no BFD sessions configured';
  const header = ['Peer', 'State', 'Remote', 'Diag', 'Remote diag', 'TX/RX ms', 'Detect ms', 'Up/Down', 'Flaps'];
  const rows = v.sessions.map((s) => [
    s.peer,
    s.state,
    s.heard ? s.remoteState : '-',
    diag(s.diagnostic),
    s.heard ? diag(s.remoteDiagnostic) : '-',
    `${s.txIntervalMs}/${s.rxIntervalMs}`,
    s.detectTimeMs > 0 ? String(s.detectTimeMs) : '-',
    formatDuration(s.uptimeSec),
    String(s.flaps),
  ]);
  const where = v.mode === 'thread' ? (v.threadScheduling !== undefined ? `\n(BFD thread: ${v.threadScheduling})` : '') : v.mode === 'inline' ? '\n(BFD runs on the main thread: no worker script)' : `\nBFD does not run: ${v.problem ?? 'unavailable'}`;
  return [`${renderTable(header, rows)}${where}`, ...v.sessions.map(detail)].join('\n\n');
}

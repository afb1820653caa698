/**
 * Human-readable output of `wren show ...`: pure functions of the control socket's answers
 * (control/protocol.ts types). `--json` bypasses all of this and prints the answer as is.
 */
import { PROTOCOL_NAMES } from '../config/defaults.js';
import type { DatastoreStatusView, KernelStatusView, NotificationRecord, PeerStatus, RouteView } from '../control/protocol.js';
import { renderFields, renderTable } from './table.js';

/** 0s, 45s, 5m03s, 2h13m, 3d04h: the two most significant units. */
export function formatDuration(totalSec: number): string {
  if (!Number.isFinite(totalSec)) return '?';
  const s = Math.max(0, Math.floor(totalSec));
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor((s % 86400) / 3600))}h`;
}

/** "received Cease / Administrative Shutdown (6/2) at 2025-01-01T10:00:00.000Z: "maintenance"". */
export function formatNotification(n: NotificationRecord): string {
  const communication = n.communication !== undefined && n.communication !== '' ? `: ${JSON.stringify(n.communication)}` : '';
  return `${n.direction} ${n.name} (${n.code}/${n.subcode}) at ${n.at}${communication}`;
}

const peerLabel = (p: PeerStatus): string => (p.name !== undefined ? `${p.address} (${p.name})` : p.address);

function peerDetail(p: PeerStatus): string {
  const from = (p.sourceResources ?? []).map((k) => k.replace(/^\/calico\/resources\/v3\/projectcalico\.org\//, ''));
  const source = p.source === undefined ? '' : p.source === 'file' ? ', from the file' : `, from the datastore (${[p.source, ...from].join(', ')})`;
  const kind = `${p.type === 'ibgp' ? 'iBGP' : 'eBGP'}, ${p.origin}${source}, port ${p.port}`;
  const fields: [string, string][] = [
    ['capabilities', p.capabilities.length > 0 ? p.capabilities.join(', ') : '(none negotiated)'],
  ];
  if (p.addPath !== undefined) {
    fields.push(['add-path', Object.entries(p.addPath).map(([f, d]) => `${f} ${d}`).join(', ')]);
  }
  if (p.holdTimeSec !== undefined || p.keepaliveSec !== undefined) {
    fields.push(['hold/keepalive', `${p.holdTimeSec ?? '-'}s / ${p.keepaliveSec ?? '-'}s`]);
  }
  if (p.sendHoldTimeSec !== undefined) {
    const queued = p.sendQueueBytes !== undefined && p.sendQueueBytes > 0 ? `, ${p.sendQueueBytes} bytes unread by the peer` : '';
    fields.push(['send hold', `${p.sendHoldTimeSec === 0 ? 'off' : `${p.sendHoldTimeSec}s`}${queued}`]);
  }
  if (p.sendHoldExpirations > 0) fields.push(['send hold expired', `${p.sendHoldExpirations} time(s)`]);
  fields.push(['messages', `in ${p.messages.in}, out ${p.messages.out}`]);
  if (p.lastError !== undefined) fields.push(['last error', formatNotification(p.lastError)]);
  if (p.lastDownReason !== undefined) fields.push(['last down', p.lastDownReason]);
  return `${peerLabel(p)}: ${kind}\n${renderFields(fields)}`;
}

/** `show peers`: one row per peer, then a block of detail lines per peer. */
export function formatPeers(peers: readonly PeerStatus[]): string {
  if (peers.length === 0) return 'no peers configured';
  const withNames = peers.some((p) => p.name !== undefined);
  const withSource = peers.some((p) => p.source !== undefined);
  const header = ['Peer', 'AS', 'State', 'Up/Down', 'Router ID', 'Rcv/Acc/Adv', ...(withNames ? ['Name'] : []), ...(withSource ? ['Source'] : [])];
  const rows = peers.map((p) => [
    p.address,
    String(p.asn),
    p.state,
    formatDuration(p.uptimeSec),
    p.routerId ?? '-',
    `${p.prefixes.received}/${p.prefixes.accepted}/${p.prefixes.advertised}`,
    ...(withNames ? [p.name ?? ''] : []),
    ...(withSource ? [p.source ?? ''] : []),
  ]);
  return [renderTable(header, rows), ...peers.map(peerDetail)].join('\n\n');
}

function routeNote(r: RouteView): string {
  const notes: string[] = [];
  if (r.refused === true) notes.push(`refused: ${r.reason ?? '?'}${r.detail !== undefined ? ` (${r.detail})` : ''}`);
  else if (!r.best && r.reason !== undefined) notes.push(`lost: ${r.reason}`);
  if (r.stale === true) notes.push('stale');
  return notes.join(', ');
}

/**
 * `show routes`: `*>` marks the best route of a prefix, `*` the other candidates, with the rule they
 * lost on; refused routes (not candidates) have no mark and say why they were refused.
 */
export function formatRoutes(routes: readonly RouteView[]): string {
  if (routes.length === 0) return 'no routes';
  // RFC 7911: a "Path id" column after From only when some route came with one (ADD-PATH receive).
  const ids = routes.some((r) => r.pathId !== undefined);
  const header = ['', 'Prefix', 'Next hop', 'AS path', 'Origin', 'LocPrf', 'MED', 'Communities', 'From', ...(ids ? ['Path id'] : []), 'Note'];
  const rows = routes.map((r) => {
    const comms = [...r.communities, ...r.largeCommunities];
    return [
      r.best ? '*>' : r.refused === true ? '' : '*',
      r.prefix,
      r.nextHop === '' ? '-' : r.nextHop,
      r.asPath === '' ? '-' : r.asPath,
      r.origin,
      r.localPref !== undefined ? String(r.localPref) : '-',
      r.med !== undefined ? String(r.med) : '-',
      comms.length > 0 ? comms.join(' ') : '-',
      r.from,
      ...(ids ? [r.pathId !== undefined ? String(r.pathId) : '-'] : []),
      routeNote(r),
    ];
  });
  const prefixes = new Set(routes.map((r) => r.prefix)).size;
  const best = routes.filter((r) => r.best).length;
  const refused = routes.filter((r) => r.refused === true).length;
  return `${renderTable(header, rows)}\n\n${prefixes} prefixes, ${routes.length} routes, ${best} best${refused > 0 ? `, ${refused} refused` : ''}`;
}

export function protocolName(id: number): string {
  const name = Object.entries(PROTOCOL_NAMES).find(([, v]) => v === id)?.[0];
  return name !== undefined ? `${id} (${name})` : String(id);
}

/** routeKey is "table|prefix|metric" (kernel/port.ts); shown as "table T, metric M". */
function keyDetail(key: string): string {
  const [table, , metric] = key.split('|');
  return table !== undefined && metric !== undefined ? `table ${table}, metric ${metric}` : key;
}

/** `show kernel`: the reconciler's state. */
export function formatKernel(k: KernelStatusView | null): string {
  if (k === null) return 'kernel programming is disabled (kernel.enabled is false)';
  const last = k.lastReconcile;
  const lastText =
    last === null
      ? 'never'
      : `${last.kind}, ${last.ok ? 'ok' : 'FAILED'}, ${formatDuration(last.agoSec)} ago: ` +
        `+${last.added} ~${last.replaced} -${last.removed}, ${last.failed} failed, ${last.durationMs} ms` +
        (last.error !== undefined ? ` (${last.error})` : '');
  const head = renderFields(
    [
      ['protocol', protocolName(k.protocol)],
      ['converged', k.converged ? 'yes' : 'no (stale routes kept until every peer sent End-of-RIB)'],
      ['routes', `${k.desired} desired, ${k.installed} installed, ${k.staleCandidates} stale candidates`],
      ['last reconcile', lastText],
      ['conflicts', k.conflicts.length === 0 ? 'none' : String(k.conflicts.length)],
      ['pending retries', k.pendingRetries.length === 0 ? 'none' : String(k.pendingRetries.length)],
      ['failed', k.failed.length === 0 ? 'none' : `${k.failed.length} (refused by the kernel, not retried until they change)`],
    ],
    '',
  );
  const out = [head];
  if (k.conflicts.length > 0) {
    out.push(
      `\nConflicts (a route of another protocol holds the key; not overwritten):\n${renderTable(
        ['Prefix', 'Key', 'For'],
        k.conflicts.map((c) => [c.prefix, keyDetail(c.key), formatDuration(c.sinceSec)]),
      )}`,
    );
  }
  if (k.pendingRetries.length > 0) {
    out.push(
      `\nPending retries:\n${renderTable(
        ['Prefix', 'Key', 'Error', 'Attempts', 'Waits for'],
        k.pendingRetries.map((r) => [r.prefix, keyDetail(r.key), r.code, String(r.attempts), r.waitsForLink ? 'link/address change' : 'timer']),
      )}`,
    );
  }
  if (k.failed.length > 0) {
    out.push(
      `\nFailed (the kernel refused the route; sent again only when the route changes):\n${renderTable(
        ['Prefix', 'Key', 'Error', 'Op', 'For', 'Route'],
        k.failed.map((f) => [f.prefix, keyDetail(f.key), f.errno, f.op, formatDuration(f.sinceSec), f.route]),
      )}`,
    );
    // One line per errno: the reason is the same for every route refused with it.
    const reasons = new Map(k.failed.map((f) => [f.errno, f.reason]));
    out.push([...reasons].map(([errno, reason]) => `${errno}: ${reason}`).join('\n'));
  }
  return out.join('\n');
}

/** `show datastore`: the connection, what was read and what came of it. */
export function formatDatastore(d: DatastoreStatusView | null): string {
  if (d === null) return 'no datastore: wren runs from its configuration file alone';
  const c = d.counts;
  const fields: [string, string][] = [
    ['type', d.type],
    ['endpoints', d.endpoints.join(', ')],
    ['node', d.nodeName],
    ['state', `${d.connected ? 'connected' : 'not connected'} for ${formatDuration(d.sinceSec)}${d.synced ? '' : ' (nothing read yet)'}`],
    ['revision', String(d.revision)],
    ['read', `${c.nodes} nodes, ${c.bgpPeers} BGP peers, ${c.ipPools} IP pools, ${c.blocks} blocks, ${c.affinities} affinities, ${c.bgpConfigurations} BGP configurations, ${c.bgpFilters} BGP filters`],
    ['re-reads', String(d.resyncs)],
    ['reconfigurations', String(d.reconfigurations)],
  ];
  if (d.lastError !== undefined) fields.push(['last error', `${d.lastError.message} (${formatDuration(d.lastError.agoSec)} ago)`]);
  if (d.last !== undefined) {
    const l = d.last;
    const changes = l.changes !== undefined ? `, ${l.changes} change(s)` : '';
    fields.push(['last change', `revision ${l.revision}: ${l.result}${changes}, ${formatDuration(l.agoSec)} ago (derive ${l.deriveMs.toFixed(1)} ms, validate ${l.validateMs.toFixed(1)} ms, apply ${l.applyMs.toFixed(1)} ms)`]);
    for (const p of l.problems ?? []) fields.push(['problem', p]);
  }
  if (d.register !== undefined) fields.push(['register', d.register]);
  if (d.claim !== undefined) fields.push(['block claim', d.claim]);
  fields.push(['skipped', String(d.skipped.length)]);
  fields.push(['notes', String(d.notes.length)]);
  const out = [renderFields(fields, '')];
  if (d.skipped.length > 0) out.push(`Skipped resources:\n${renderTable(['Key', 'Why'], d.skipped.map((s) => [s.key, s.reason]))}`);
  if (d.notes.length > 0) out.push(`Not applied as written:\n${renderTable(['Key', 'Note'], d.notes.map((n) => [n.key, n.message]))}`);
  return out.join('\n\n');
}

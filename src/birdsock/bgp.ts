/**
 * One BGP session as a BIRD 1.6 protocol (proto/bgp/bgp.c bgp_get_status, bgp_show_proto_info):
 * its state (`up` Established, `start` connecting or waiting, `down` stopped), the info column
 * (the BGP state padded to 14, then the last error), and the `show protocols all` block: basic
 * info, route counts and change statistics, then the BGP state, neighbor, and when up the session.
 */
import type { PeerConfig, PolicyRef } from '../config/types.js';
import type { PeerStatus } from '../control/protocol.js';
import { basicInfoLines, statsLines, type ChangeStats } from './details.js';
import { lastErrorText } from './errors.js';
import type { BirdProtocol } from './protocol.js';

/** BIRD's default preference of BGP routes. */
export const BGP_PREFERENCE = 100;

/** BIRD's filter_name(): ACCEPT (everything), REJECT (nothing), the policy's name, or `(unnamed)`. */
export function filterName(ref: PolicyRef): string {
  switch (ref.kind) {
    case 'all':
      return 'ACCEPT';
    case 'none':
      return 'REJECT';
    case 'named':
      return ref.name;
    case 'inline':
      return '(unnamed)';
  }
}

/**
 * bgp_state_dsc: `Down` when stopped; `Passive` for a passive peer waiting for the other side to
 * connect (BIRD: Idle and passive; wren's passive peers wait in Active); else the FSM state, whose
 * names BIRD and wren share (Idle, Connect, Active, OpenSent, OpenConfirm, Established).
 */
export function bgpStateWord(p: Pick<PeerStatus, 'phase' | 'state'>, passive: boolean): string {
  if (p.phase === 'down') return 'Down';
  if (passive && (p.state === 'Active' || p.state === 'Idle')) return 'Passive';
  return p.state;
}

/** BIRD's `Neighbor caps:` words for the capabilities both sides announced. */
const CAPS: readonly (readonly [string, string])[] = [
  ['route-refresh', 'refresh'],
  ['enhanced-route-refresh', 'enhanced-refresh'],
  ['graceful-restart', 'restart-able'],
  ['as4', 'AS4'],
  ['extended-message', 'ext-messages'],
];

function changeStats(p: PeerStatus): ChangeStats {
  const c = p.routeChanges;
  const u = c.importUpdates;
  const w = c.importWithdraws;
  return {
    importUpdates: [u.received, u.rejected, u.filtered, u.ignored, u.accepted],
    importWithdraws: [w.received, 0, w.ignored, w.accepted],
    // wren counts what it sends; what the table offered and was not sent is not counted.
    exportUpdates: [c.exportUpdates, 0, 0, c.exportUpdates],
    exportWithdraws: [c.exportWithdraws, c.exportWithdraws],
  };
}

export interface BgpProtocolInput {
  readonly status: PeerStatus;
  /** The peer's config (for a dynamic peer, its range's). */
  readonly config: PeerConfig | undefined;
  readonly name: string;
  /** Wall clock now, milliseconds. */
  readonly nowMs: number;
}

export function bgpProtocol({ status: p, config: cfg, name, nowMs }: BgpProtocolInput): BirdProtocol {
  const passive = cfg?.passive ?? p.origin === 'dynamic';
  const word = bgpStateWord(p, passive);
  const error = lastErrorText(p);
  const info = p.phase === 'down' ? (error ?? '') : `${word.padEnd(14)}${error ?? ''}`;
  const details: string[] = basicInfoLines({
    ...(p.name !== undefined && p.name !== name ? { description: p.name } : {}),
    preference: BGP_PREFERENCE,
    inputFilter: cfg ? filterName(cfg.import) : 'ACCEPT',
    outputFilter: cfg ? filterName(cfg.export) : 'ACCEPT',
    ...(cfg?.maxPrefix
      ? {
          importLimit: {
            limit: cfg.maxPrefix.limit,
            hit: p.prefixes.accepted > cfg.maxPrefix.limit,
            action: cfg.maxPrefix.action === 'warn' ? 'warn' : cfg.maxPrefix.restartAfter !== undefined ? 'restart' : 'disable',
          },
        }
      : {}),
  });
  if (p.phase !== 'down') {
    const { received, accepted, advertised, preferred } = p.prefixes;
    details.push(...statsLines({ imported: accepted, filtered: received - accepted, exported: advertised, preferred }, changeStats(p)));
  }
  details.push(`  BGP state:          ${word}`, `    Neighbor address: ${p.address}`, `    Neighbor AS:      ${p.asn}`);
  if (p.state === 'Established') {
    const caps = CAPS.filter(([c]) => p.capabilities.includes(c)).map(([, w]) => ` ${w}`);
    const session = [p.type === 'ibgp' ? 'internal' : 'external'];
    if (p.type === 'ibgp' || cfg?.ebgpMultihop !== undefined) session.push('multihop');
    if (cfg?.routeReflectorClient === true) session.push('route-reflector');
    if (p.capabilities.includes('as4')) session.push('AS4');
    if (p.capabilities.includes('extended-message')) session.push('ext-messages');
    details.push(`    Neighbor ID:      ${p.routerId ?? '0.0.0.0'}`, `    Neighbor caps:   ${caps.join('')}`, `    Session:          ${session.join(' ')}`);
    if (p.localAddress !== undefined) details.push(`    Source address:   ${p.localAddress}`);
    if (cfg?.maxPrefix) details.push(`    Route limit:      ${p.prefixes.accepted}/${cfg.maxPrefix.limit}`);
    // The timers' remaining time is not known outside the session: `-` where BIRD shows it.
    details.push(`    Hold timer:       -/${p.holdTimeSec ?? 0}`, `    Keepalive timer:  -/${p.keepaliveSec ?? 0}`);
  }
  if (error !== null) details.push(`    Last error:       ${error}`);
  const sinceMs = Date.parse(p.phaseSince);
  return {
    name,
    proto: 'BGP',
    table: 'master',
    state: p.phase,
    sinceMs: Number.isNaN(sinceMs) ? nowMs : sinceMs,
    info,
    details,
  };
}

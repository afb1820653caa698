/**
 * BGP session metrics (docs/metrics.md): per peer (labels peer, session, asn; dropped when
 * `metrics.perPeer` is false) and the count of sessions in each state (always).
 */
import { scrapedCounter, scrapedGauge, type Scrape, type Labels } from './families.js';
import { ADDRESS_FAMILIES, BGP_MESSAGE_TYPES, SESSION_STATES, type PeerSample } from './source.js';

type PeerLabel = 'peer' | 'session' | 'asn';
const PEER_LABELS: readonly PeerLabel[] = ['peer', 'session', 'asn'];

export function peerLabels(p: PeerSample): Record<PeerLabel, string> {
  return { peer: p.address, session: p.name ?? '', asn: String(p.asn) };
}

/** RFC 4273 bgpPeerState: idle(1), connect(2), active(3), opensent(4), openconfirm(5), established(6). */
export function stateNumber(state: PeerSample['state']): number {
  return SESSION_STATES.indexOf(state) + 1;
}

export function registerBgpMetrics(scrape: Scrape, perPeer: () => boolean): void {
  const peers = (): readonly PeerSample[] => (perPeer() ? scrape.snap().peers : []);
  /** A per-peer family: one or more series per peer with extra labels. */
  const perPeerGauge = (name: string, help: string, extra: readonly string[], each: (p: PeerSample, set: (labels: Labels, v: number) => void) => void): void => {
    scrapedGauge(scrape, name, help, [...PEER_LABELS, ...extra], (set) => {
      for (const p of peers()) each(p, (labels, v) => set({ ...peerLabels(p), ...labels }, v));
    });
  };
  const perPeerCounter = (name: string, help: string, extra: readonly string[], each: (p: PeerSample, set: (labels: Labels, v: number) => void) => void): void => {
    scrapedCounter(scrape, name, help, [...PEER_LABELS, ...extra], (set) => {
      for (const p of peers()) each(p, (labels, v) => set({ ...peerLabels(p), ...labels }, v));
    });
  };

  scrapedGauge(scrape, 'wren_bgp_sessions', 'BGP sessions in each FSM state (every configured and dynamic peer; kept when metrics.perPeer is false).', ['state'], (set) => {
    const counts = new Map<string, number>(SESSION_STATES.map((s) => [s, 0]));
    for (const p of scrape.snap().peers) counts.set(p.state, (counts.get(p.state) ?? 0) + 1);
    for (const [state, n] of counts) set({ state }, n);
  });

  perPeerGauge('wren_bgp_session_state', 'BGP FSM state of the session: 1 Idle, 2 Connect, 3 Active, 4 OpenSent, 5 OpenConfirm, 6 Established (RFC 4273 bgpPeerState).', [], (p, set) =>
    set({}, stateNumber(p.state)),
  );
  perPeerGauge('wren_bgp_session_up', '1 when the BGP session is Established, else 0.', [], (p, set) => set({}, p.state === 'Established' ? 1 : 0));
  perPeerGauge('wren_bgp_session_uptime_seconds', 'Seconds since the BGP session became Established; 0 when it is not.', [], (p, set) =>
    set({}, p.state === 'Established' ? p.uptimeSec : 0),
  );
  perPeerCounter('wren_bgp_session_flaps_total', 'Times an Established BGP session of this peer went down, since wren started.', [], (p, set) => set({}, p.flaps));
  perPeerCounter('wren_bgp_messages_received_total', 'BGP messages received from the peer, by type.', ['type'], (p, set) => {
    for (const type of BGP_MESSAGE_TYPES) set({ type }, p.messagesReceived[type]);
  });
  perPeerCounter('wren_bgp_messages_sent_total', 'BGP messages sent to the peer, by type (End-of-RIB markers count as update).', ['type'], (p, set) => {
    for (const type of BGP_MESSAGE_TYPES) set({ type }, p.messagesSent[type]);
  });
  perPeerCounter(
    'wren_bgp_notifications_total',
    'BGP NOTIFICATION messages by direction, error code and subcode (at most 32 distinct pairs per peer; the rest as code and subcode "other").',
    ['direction', 'code', 'subcode'],
    (p, set) => {
      for (const n of p.notifications) set({ direction: n.direction, code: String(n.code), subcode: String(n.subcode) }, n.count);
      for (const direction of ['sent', 'received'] as const) {
        const other = p.otherNotifications[direction];
        if (other > 0) set({ direction, code: 'other', subcode: 'other' }, other);
      }
    },
  );
  for (const [what, help] of [
    ['received', 'Prefixes in the Adj-RIB-In of the peer (accepted or refused by import), per address family.'],
    ['accepted', 'Prefixes of the peer that passed import (candidates for best path), per address family.'],
    ['advertised', 'Prefixes advertised to the peer (its Adj-RIB-Out), per address family.'],
  ] as const) {
    perPeerGauge(`wren_bgp_prefixes_${what}`, help, ['family'], (p, set) => {
      for (const family of ADDRESS_FAMILIES) set({ family }, p.prefixes[family][what]);
    });
  }
  perPeerGauge(
    'wren_bgp_last_error_info',
    'The last NOTIFICATION that ended a session of the peer: direction, code, subcode and its RFC name as labels; value 1. No series until the first one.',
    ['direction', 'code', 'subcode', 'name'],
    (p, set) => {
      const e = p.lastError;
      if (e) set({ direction: e.direction, code: String(e.code), subcode: String(e.subcode), name: e.name }, 1);
    },
  );
}

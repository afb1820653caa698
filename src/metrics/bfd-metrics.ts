/**
 * BFD metrics (docs/metrics.md, docs/bfd.md): per BFD session, labelled as its BGP peer's series
 * (peer, session, asn; dropped when `metrics.perPeer` is false), and the count of sessions in each
 * state (always).
 */
import { peerLabels } from './bgp-metrics.js';
import { scrapedCounter, scrapedGauge, type Labels, type Scrape } from './families.js';
import { BFD_STATES, type BfdSample } from './source.js';

const PEER_LABELS = ['peer', 'session', 'asn'];

export function registerBfdMetrics(scrape: Scrape, perPeer: () => boolean): void {
  const sessions = (): readonly BfdSample[] => (perPeer() ? scrape.snap().bfd : []);
  const labels = (b: BfdSample): Labels => peerLabels(b);
  const gauge = (name: string, help: string, value: (b: BfdSample) => number): void => {
    scrapedGauge(scrape, name, help, PEER_LABELS, (set) => {
      for (const b of sessions()) set(labels(b), value(b));
    });
  };
  const counter = (name: string, help: string, value: (b: BfdSample) => number): void => {
    scrapedCounter(scrape, name, help, PEER_LABELS, (set) => {
      for (const b of sessions()) set(labels(b), value(b));
    });
  };

  scrapedGauge(scrape, 'wren_bfd_sessions', 'BFD sessions in each state (AdminDown, Down, Init, Up; kept when metrics.perPeer is false).', ['state'], (set) => {
    const counts = new Map<string, number>(BFD_STATES.map((s) => [s, 0]));
    for (const b of scrape.snap().bfd) counts.set(b.state, (counts.get(b.state) ?? 0) + 1);
    for (const [state, n] of counts) set({ state }, n);
  });
  gauge('wren_bfd_session_state', 'BFD session state as on the wire (RFC 5880 4.1): 0 AdminDown, 1 Down, 2 Init, 3 Up.', (b) => BFD_STATES.indexOf(b.state));
  gauge('wren_bfd_session_up', '1 when the BFD session is Up, else 0.', (b) => (b.state === 'Up' ? 1 : 0));
  gauge('wren_bfd_detect_time_seconds', 'How long a silence of the peer takes the BFD session down (its multiplier times the agreed receive interval); 0 until the peer is heard.', (b) => b.detectTimeMs / 1000);
  counter('wren_bfd_session_downs_total', 'Times the BFD session went from Up to Down (each one a BGP session taken down, or restarted with graceful).', (b) => b.downs);
  counter('wren_bfd_session_transitions_total', 'BFD state changes of the session.', (b) => b.transitions);
  counter('wren_bfd_packets_received_total', 'BFD Control packets received for the session.', (b) => b.packetsIn);
  counter('wren_bfd_packets_sent_total', 'BFD Control packets sent by the session.', (b) => b.packetsOut);
  counter('wren_bfd_packets_discarded_total', 'BFD Control packets of the session received and discarded (RFC 5880 6.8.6, the TTL check).', (b) => b.discarded);
}

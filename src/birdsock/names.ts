/**
 * BIRD protocol names for wren's sessions (docs/bird-socket.md, "Protocol names").
 *
 * A session is shown under the peer's configured `name` when that is a valid BIRD protocol name;
 * otherwise under a name derived from the peer's address in Calico's style, which Calico's tools
 * parse back into an address (`^(Global|Node|Mesh)_(.+)$`, `_` read as `.` or `:`):
 *
 * - `Mesh_192_168_1_11`: an iBGP peer of our AS (Calico's node-to-node mesh);
 * - `Node_...`, `Global_...`: peers that come from Calico's datastore (a node-specific or a global
 *   BGPPeer), when the caller says so (`origin`); a configured peer that is not iBGP gets `Node_`
 *   (a peer of this node), so `calicoctl node status` still lists it.
 *
 * BIRD's symbol rules (conf/cf-lex.l, 1.6.8 and 2.0.12): a letter or `_`, then letters, digits or
 * `_`; at most 64 characters (SYM_MAX_LEN); not a keyword. Names are unique: a derived name that
 * collides with a configured one gets `_2`, `_3`, ...
 */
import { BIRD_KEYWORDS } from './keywords.js';

/** Where a peer comes from, in Calico's terms (set by whoever builds the peer list; absent: from wren's config). */
export type PeerOrigin = 'mesh' | 'node' | 'global';

/** What naming needs of a session. */
export interface NamedPeer {
  readonly name?: string;
  readonly address: string;
  readonly type: 'ibgp' | 'ebgp';
  readonly origin?: PeerOrigin;
}

/** Names wren gives its other protocols (model.ts): never used for a session. */
export const LOCAL_PROTOCOLS = ['kernel1', 'static1'] as const;

const SYMBOL = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Could BIRD call a protocol this? */
export function isBirdProtocolName(name: string): boolean {
  return SYMBOL.test(name) && !BIRD_KEYWORDS.has(name);
}

const PREFIX: { readonly [K in PeerOrigin]: string } = { mesh: 'Mesh', node: 'Node', global: 'Global' };

/** `Mesh_10_0_0_2`, `Node_fd00__2`: Calico's name for a peer at this address. */
export function derivedProtocolName(p: Pick<NamedPeer, 'address' | 'type' | 'origin'>): string {
  const origin: PeerOrigin = p.origin ?? (p.type === 'ibgp' ? 'mesh' : 'node');
  return `${PREFIX[origin]}_${p.address.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/**
 * The protocol name of each peer, by address: valid configured names first (they are unique in a
 * valid config), then derived names, made unique.
 */
export function protocolNames(peers: readonly NamedPeer[]): Map<string, string> {
  const taken = new Set<string>(LOCAL_PROTOCOLS);
  const out = new Map<string, string>();
  for (const p of peers) {
    if (p.name !== undefined && isBirdProtocolName(p.name) && !taken.has(p.name)) {
      taken.add(p.name);
      out.set(p.address, p.name);
    }
  }
  for (const p of peers) {
    if (out.has(p.address)) continue;
    const base = derivedProtocolName(p);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    out.set(p.address, name);
  }
  return out;
}

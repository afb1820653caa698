/**
 * BFD settings (docs/bfd.md): the top-level `bfd` section (defaults for every peer) and each
 * peer's `bfd` object, resolved into a peer's `PeerBfdConfig` (present only when BFD is on for it).
 * Intervals are milliseconds.
 *
 * - `enabled`: a peer's `bfd` object turns BFD on unless it says `enabled: false`; without one,
 *   the top-level `bfd.enabled` decides (default off). Dynamic-peer ranges (`addressRange`) never
 *   get BFD (a `bfd` on one is refused): like BIRD, sessions are made for configured neighbours.
 * - `multihop`: RFC 5883 multihop (UDP 4784) for peers with `ebgpMultihop`, single hop (RFC 5881,
 *   3784) otherwise; `multihop` overrides it.
 */
import { DEFAULTS } from './defaults.js';
import { bool, intIn } from './fields.js';
import { addIssue, parseFields, type Path } from './issues.js';
import type { BfdDefaultsConfig, Issue, PeerBfdConfig } from './types.js';

/** FRR's range (bfdd: 10..60000 ms); RFC 5880 4.1 carries microseconds in 32 bits. */
const interval = intIn(10, 60000);
/** RFC 5880 4.1: Detect Mult is a non-zero 8-bit number. */
const multiplier = intIn(1, 255);

const BFD_DEFAULTS = {
  enabled: bool.optional(),
  minTx: interval.optional(),
  minRx: interval.optional(),
  multiplier: multiplier.optional(),
  graceful: bool.optional(),
  requireUp: bool.optional(),
};

const PEER_BFD = { ...BFD_DEFAULTS, multihop: bool.optional() };
/** The top level only: the BFD thread is one for every session. */
const TOP_BFD = { ...BFD_DEFAULTS, realtime: bool.optional() };

export function parseBfdDefaults(raw: unknown, issues: Issue[]): BfdDefaultsConfig {
  const f = raw === undefined ? {} : (parseFields(TOP_BFD, raw, ['bfd'], issues) ?? {});
  const d = DEFAULTS.bfd;
  return {
    enabled: f.enabled ?? d.enabled,
    minTx: f.minTx ?? d.minTx,
    minRx: f.minRx ?? d.minRx,
    multiplier: f.multiplier ?? d.multiplier,
    graceful: f.graceful ?? d.graceful,
    requireUp: f.requireUp ?? d.requireUp,
    realtime: f.realtime ?? d.realtime,
  };
}

/**
 * A peer's resolved BFD, or undefined when it has none. `dynamic`: the entry is an addressRange;
 * `ebgpMultihop`: the peer's, which makes BFD multihop by default.
 */
export function parsePeerBfd(
  raw: unknown,
  path: Path,
  ctx: { readonly defaults: BfdDefaultsConfig; readonly dynamic: boolean; readonly ebgpMultihop: number | undefined },
  issues: Issue[],
): PeerBfdConfig | undefined {
  const d = ctx.defaults;
  const f = raw === undefined ? undefined : (parseFields(PEER_BFD, raw, path, issues) ?? {});
  const enabled = f !== undefined ? (f.enabled ?? true) : d.enabled;
  if (!enabled) return undefined;
  if (ctx.dynamic) {
    if (f !== undefined) addIssue(issues, path, 'BFD is for configured peers only, not for a dynamic range (addressRange)', raw);
    return undefined;
  }
  return {
    minTx: f?.minTx ?? d.minTx,
    minRx: f?.minRx ?? d.minRx,
    multiplier: f?.multiplier ?? d.multiplier,
    graceful: f?.graceful ?? d.graceful,
    requireUp: f?.requireUp ?? d.requireUp,
    multihop: f?.multihop ?? ctx.ebgpMultihop !== undefined,
  };
}

/**
 * One request line in, one reply out (the bytes, reply.ts): parses the command (command.ts), reads
 * what it needs from the running daemon (BirdSource), and formats it. Never throws for anything a
 * client sends: every problem is a BIRD error reply.
 *
 * A socket shows one family, as Calico's `bird` (IPv4) and `bird6` (IPv6) do: the sessions whose
 * peer address is of that family, the originated prefixes and the routes of that family.
 * `kernel1` is on both. Protocol names are computed over every session, so a session has the same
 * name on both sockets' `show route`.
 */
import type { Config, PeerConfig, StaticPeerConfig } from '../config/types.js';
import type { KernelStatusView, PeerStatus, RouteView } from '../control/protocol.js';
import { formatAddress, formatPrefix, inSubnet, parsePrefix } from '../util/inet.js';
import { bgpProtocol } from './bgp.js';
import { parseCommand, type Family, type RouteCommand } from './command.js';
import { patternMatches, showProtocols } from './format-protocols.js';
import { showRoute, type RouteSourceFacts } from './format-route.js';
import { showMemory, showStatus, type MemoryFacts, type StatusFacts } from './format-status.js';
import { kernelProtocol, staticProtocol } from './local-protocols.js';
import { protocolNames } from './names.js';
import type { BirdProtocol } from './protocol.js';
import { Code, encodeReply, single } from './reply.js';

/** What the BIRD socket reads from the running daemon. */
export interface BirdSource {
  config(): Config;
  peers(): readonly PeerStatus[];
  /** Every route (accepted and refused), or those of one prefix (canonical text). */
  routes(prefix?: string): readonly RouteView[];
  kernel(): KernelStatusView | null;
  recovery(): StatusFacts['recovery'];
  memory(): MemoryFacts;
  /** The interface a next hop is on (a connected subnet); read once per `show route`. */
  interfaces(): (nextHop: string) => string | undefined;
  /** The daemon is shutting down. */
  stopping(): boolean;
}

export interface BirdContext {
  readonly family: Family;
  readonly source: BirdSource;
  /** What follows "BIRD " (control.birdVersion or wren's default). */
  readonly version: () => string;
  /** Wall-clock milliseconds: now, the daemon's start, its last (re)configuration. */
  readonly now: () => number;
  readonly startedMs: () => number;
  readonly reconfiguredMs: () => number;
}

const familyOf = (addressOrPrefix: string): Family => (addressOrPrefix.includes(':') ? 'ipv6' : 'ipv4');

/** The config of a session: its static peer, or the range a dynamic peer came from. */
function peerConfig(cfg: Config, p: PeerStatus): PeerConfig | undefined {
  return cfg.peers.find((c) => (c.kind === 'static' ? c.address === p.address : p.origin === 'dynamic' && inSubnet(p.address, c.addressRange)));
}

/** What one request needs: the protocols of this socket, every session's name, the route sources. */
interface View {
  readonly protocols: BirdProtocol[];
  /** Every protocol name (both families): `protocol NAME` may name a session of the other one. */
  readonly allNames: Set<string>;
  readonly sources: Map<string, RouteSourceFacts>;
  readonly config: Config;
}

/**
 * A configured peer with `enabled: false` has no session, but BIRD lists a disabled protocol (down,
 * no info): the same here, so that it shows up (and bird_exporter reports it down).
 */
function disabledPeer(c: StaticPeerConfig, sinceMs: number): PeerStatus {
  return {
    ...(c.name !== undefined ? { name: c.name } : {}),
    address: c.address,
    port: c.port,
    asn: c.asn,
    type: c.type,
    origin: 'configured',
    state: 'Idle',
    uptimeSec: 0,
    sendHoldExpirations: 0,
    capabilities: [],
    prefixes: { received: 0, accepted: 0, advertised: 0, preferred: 0 },
    messages: { in: 0, out: 0 },
    phase: 'down',
    phaseSince: new Date(sinceMs).toISOString(),
    routeChanges: {
      importUpdates: { received: 0, rejected: 0, filtered: 0, ignored: 0, accepted: 0 },
      importWithdraws: { received: 0, ignored: 0, accepted: 0 },
      exportUpdates: 0,
      exportWithdraws: 0,
    },
  };
}

function view(ctx: BirdContext): View {
  const src = ctx.source;
  const config = src.config();
  const nowMs = ctx.now();
  const startedMs = ctx.startedMs();
  const live = src.peers();
  const known = new Set(live.map((p) => p.address));
  const disabled = config.peers.filter((c): c is StaticPeerConfig => c.kind === 'static' && !c.enabled && !known.has(c.address));
  const peers = [...live, ...disabled.map((c) => disabledPeer(c, ctx.reconfiguredMs()))];
  // No Calico origin (mesh / node / global) is known for a peer yet: naming falls back on the session type.
  const names = protocolNames(peers.map((p) => ({ address: p.address, type: p.type, ...(p.name !== undefined ? { name: p.name } : {}) })));
  const protocols: BirdProtocol[] = [];
  const kernel = src.kernel();
  if (kernel !== null) protocols.push(kernelProtocol({ converged: kernel.converged, installed: kernel.installed, recovering: src.recovery() !== null }, startedMs));
  const originated = config.originate.filter((o) => familyOf(o.prefix) === ctx.family).length;
  if (originated > 0) protocols.push(staticProtocol(originated, startedMs));
  const sources = new Map<string, RouteSourceFacts>([['local', { name: 'static1', sinceMs: startedMs, recursive: false }]]);
  for (const p of peers) {
    const name = names.get(p.address) ?? p.address;
    const cfg = peerConfig(config, p);
    const since = Date.parse(p.phaseSince);
    sources.set(p.address, {
      name,
      sinceMs: Number.isNaN(since) ? nowMs : since,
      recursive: p.type === 'ibgp' || cfg?.ebgpMultihop !== undefined,
      peerAddress: p.address,
    });
    if (familyOf(p.address) === ctx.family) protocols.push(bgpProtocol({ status: p, config: cfg, name, nowMs }));
  }
  return { protocols, allNames: new Set(['kernel1', 'static1', ...names.values()]), sources, config };
}

/** The routes a `show route` looks at: one network (exact, or the longest match), or the family's table. */
function routesFor(c: RouteCommand, ctx: BirdContext): { views: readonly RouteView[]; single: boolean } {
  const n = c.network;
  const mine = (v: RouteView): boolean => familyOf(v.prefix) === ctx.family;
  if (n === undefined) return { views: ctx.source.routes().filter(mine), single: false };
  const address = formatAddress(n.bytes);
  // parsePrefix clears the host bits: the network of this length around the address.
  const at = (len: number): readonly RouteView[] => {
    const p = parsePrefix(`${address}/${len}`);
    return p === null ? [] : ctx.source.routes(formatPrefix(p));
  };
  if (n.exact) return { views: at(n.len), single: true };
  for (let len = n.len; len >= 0; len--) {
    const vs = at(len);
    if (vs.some((v) => (v.refused === true) === c.filtered)) return { views: vs, single: true };
  }
  return { views: [], single: true };
}

function answerRoute(c: RouteCommand, ctx: BirdContext): string {
  const v = view(ctx);
  if (c.protocol !== undefined && !v.allNames.has(c.protocol)) return single(Code.PARSE_ERROR, `${c.protocol} is not a protocol`);
  const { views, single: one } = routesFor(c, ctx);
  const interfaceFor = ctx.source.interfaces();
  const lines = showRoute(
    views,
    { ...(c.protocol !== undefined ? { protocol: c.protocol } : {}), primary: c.primary, filtered: c.filtered, stats: c.stats, single: one },
    { nowMs: ctx.now(), blackhole: v.config.kernel.enabled && v.config.kernel.blackhole, source: (from) => v.sources.get(from), interfaceFor },
  );
  return encodeReply(lines);
}

function answerProtocols(all: boolean, match: { kind: 'name'; name: string } | { kind: 'pattern'; pattern: string } | undefined, ctx: BirdContext): string {
  const { protocols } = view(ctx);
  let chosen = protocols;
  if (match?.kind === 'name') {
    chosen = protocols.filter((p) => p.name === match.name);
    // BIRD 1.6 (proto_apply_cmd_symbol): a name that is no protocol is a 9002.
    if (chosen.length === 0) return single(Code.INVALID_SYMBOL, `${match.name} is not a protocol`);
  } else if (match?.kind === 'pattern') {
    chosen = protocols.filter((p) => patternMatches(match.pattern, p.name));
    if (chosen.length === 0) return single(Code.NO_PROTOCOLS_MATCH, 'No protocols match');
  } else if (chosen.length === 0) {
    return single(Code.NO_PROTOCOLS_MATCH, 'No protocols match');
  }
  return encodeReply(showProtocols(chosen, all, ctx.now()));
}

/** The reply (bytes, newline-terminated lines) to one request line. */
export function answerCommand(line: string, ctx: BirdContext): string {
  const parsed = parseCommand(line, ctx.family);
  if (!parsed.ok) return encodeReply([parsed.error]);
  const c = parsed.command;
  switch (c.kind) {
    case 'restrict':
      return single(Code.ACCESS_RESTRICTED, 'Access restricted');
    case 'show-status': {
      const config = ctx.source.config();
      return encodeReply(
        showStatus({
          version: ctx.version(),
          routerId: config.routerId,
          nowMs: ctx.now(),
          startedMs: ctx.startedMs(),
          reconfiguredMs: ctx.reconfiguredMs(),
          recovery: ctx.source.recovery(),
          stopping: ctx.source.stopping(),
        }),
      );
    }
    case 'show-memory':
      return encodeReply(showMemory(ctx.source.memory()));
    case 'show-protocols':
      return answerProtocols(c.all, c.match, ctx);
    case 'show-route':
      return answerRoute(c, ctx);
  }
}

/** The greeting sent when a client connects. */
export const greeting = (version: string): string => single(Code.WELCOME, `BIRD ${version} ready.`);

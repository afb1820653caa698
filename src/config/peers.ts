/**
 * `peers[]`: one entry per BGP neighbour (`address`) or dynamic-neighbour range (`addressRange`).
 * Field checks come from the schema below; the relations between fields, and between peers, are
 * the rules in this file, each reported at the path of the key that has to change.
 */
import { z } from 'zod';
import { parsePeerBfd } from './bfd.js';
import { DEFAULTS } from './defaults.js';
import {
  addressFamily,
  asn,
  bool,
  communities,
  displayName,
  holdTime,
  intIn,
  ipLiteral,
  largeCommunities,
  port,
  prefix,
  prefixList,
} from './fields.js';
import { addIssue, formatPath, parseFields, type ParsedFields, type Path } from './issues.js';
import { parsePolicyRef, type PolicyTable } from './policies.js';
import { connectRetryTime, defaultKeepalive, keepaliveProblem, keepaliveTime } from './sections.js';
import { parseAddPath } from './add-path.js';
import type { AddPathConfig, AddressFamily, BfdDefaultsConfig, Issue, MaxPrefixConfig, PeerConfig, PeerFamily, TimersConfig } from './types.js';

/** RFC 2385 / Linux TCP_MD5SIG_MAXKEYLEN: an MD5 key is at most 80 bytes. */
const MD5_KEY_MAX = 80;

const families = z
  .array(z.enum(['ipv4-unicast', 'ipv6-unicast']), { error: 'expected an array of "ipv4-unicast", "ipv6-unicast"' })
  .min(1, { error: 'expected at least one family' })
  .refine((a) => new Set(a).size === a.length, { error: 'lists a family twice' });

const maxPrefix = z
  .strictObject({
    limit: intIn(1, 4294967295),
    action: z.enum(['warn', 'stop']).optional(),
    restartAfter: intIn(1, 65535).optional(),
  })
  .transform((m, ctx): MaxPrefixConfig => {
    const action = m.action ?? DEFAULTS.peer.maxPrefixAction;
    if (m.restartAfter !== undefined && action === 'warn') {
      ctx.issues.push({ code: 'custom', message: 'only applies with action "stop"', input: m.restartAfter, path: ['restartAfter'] });
    }
    return m.restartAfter === undefined ? { limit: m.limit, action } : { limit: m.limit, action, restartAfter: m.restartAfter };
  });

const password = z
  .string({ error: 'expected a string' })
  .refine((s) => s.length > 0 && Buffer.byteLength(s) <= MD5_KEY_MAX, { error: `expected 1..${MD5_KEY_MAX} bytes (TCP MD5 key)` });

const PEER = {
  name: displayName.optional(),
  address: ipLiteral.optional(),
  addressRange: prefix.optional(),
  maxPeers: intIn(1, 65535).optional(),
  asn,
  port: port.optional(),
  localAddress: ipLiteral.optional(),
  localAs: asn.optional(),
  passive: bool.optional(),
  holdTime: holdTime.optional(),
  keepaliveTime: keepaliveTime.optional(),
  connectRetryTime: connectRetryTime.optional(),
  sendHoldTime: intIn(0, 65535).optional(),
  families: families.optional(),
  routeReflectorClient: bool.optional(),
  nextHopSelf: bool.optional(),
  enabled: bool.optional(),
  password: password.optional(),
  ebgpMultihop: intIn(1, 255).optional(),
  ttlSecurity: intIn(1, 254).optional(),
  allowasIn: intIn(0, 10).optional(),
  gracefulRestart: bool.optional(),
  importPrefixes: prefixList.optional(),
  acceptDefaultRoute: bool.optional(),
  maxPrefix: maxPrefix.optional(),
  bfd: z.unknown(),
  communities: communities.optional(),
  largeCommunities: largeCommunities.optional(),
  import: z.unknown(),
  export: z.unknown(),
  addPath: z.unknown(),
};

export interface PeerContext {
  /** Top-level asn, when valid. */
  readonly asn: number | undefined;
  readonly timers: TimersConfig;
  readonly policies: PolicyTable;
  readonly ebgpRequiresPolicy: boolean;
  /** The top-level `addPath` (the default of every peer). */
  readonly addPath: AddPathConfig;
  /** The top-level `bfd` section (defaults). */
  readonly bfd: BfdDefaultsConfig;
  /** Valid peers already parsed under the same top level (validate.ts ValidationMemo). */
  readonly memo?: PeerMemo;
}

/**
 * Peers parsed before, by their raw JSON text: a peer's parse depends only on its own entry and on
 * the rest of the file, so while the rest is the same (the owner clears the memo when it is not),
 * an identical entry gives the identical (same object) PeerConfig. Only valid peers are kept.
 */
export class PeerMemo {
  readonly #peers = new Map<string, { readonly peer: PeerConfig; readonly key: string; readonly keyField: 'address' | 'addressRange'; readonly name?: string }>();
  get(text: string): { readonly peer: PeerConfig; readonly key: string; readonly keyField: 'address' | 'addressRange'; readonly name?: string } | undefined {
    return this.#peers.get(text);
  }
  set(text: string, v: { readonly peer: PeerConfig; readonly key: string; readonly keyField: 'address' | 'addressRange'; readonly name?: string }): void {
    this.#peers.set(text, v);
  }
  clear(): void {
    this.#peers.clear();
  }
  /** Forgets the entries of peers no longer in the file. */
  retainOnly(texts: ReadonlySet<string>): void {
    for (const t of this.#peers.keys()) if (!texts.has(t)) this.#peers.delete(t);
  }
  get size(): number {
    return this.#peers.size;
  }
}

type Fields = ParsedFields<typeof PEER>;

/** Was `key` written in the raw object (whether or not it parsed)? */
const written = (raw: unknown, key: string): boolean => typeof raw === 'object' && raw !== null && Object.hasOwn(raw, key);
/** Is `key` usable for a cross-field rule: absent, or present and valid? */
const usable = (raw: unknown, f: Fields, key: keyof Fields): boolean => !written(raw, key) || f[key] !== undefined;

export function parsePeers(raw: unknown, ctx: PeerContext, issues: Issue[]): PeerConfig[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    addIssue(issues, ['peers'], 'expected an array of peers', raw);
    return [];
  }
  const out: PeerConfig[] = [];
  const seenKeys = new Map<string, Path>();
  const seenNames = new Map<string, Path>();
  const used = ctx.memo ? new Set<string>() : undefined;
  raw.forEach((entry: unknown, i) => {
    const path: Path = ['peers', i];
    const text = ctx.memo ? JSON.stringify(entry) : '';
    const hit = ctx.memo?.get(text);
    if (hit) {
      used?.add(text);
      const first = seenKeys.get(hit.key);
      if (first) addIssue(issues, [...path, hit.keyField], `duplicate peer (also at ${formatPath(first)})`, hit.key);
      else seenKeys.set(hit.key, [...path, hit.keyField]);
      if (hit.name !== undefined) {
        const firstName = seenNames.get(hit.name);
        if (firstName) addIssue(issues, [...path, 'name'], `duplicate peer name (also at ${formatPath(firstName)})`, hit.name);
        else seenNames.set(hit.name, [...path, 'name']);
      }
      out.push(hit.peer);
      return;
    }
    const before = issues.length;
    const f = parseFields(PEER, entry, path, issues);
    if (!f) return;
    const peer = buildPeer(entry, f, path, ctx, issues);
    // Two entries for one address (or one range) would be two sessions fighting over one peer.
    const keyField = f.address !== undefined ? 'address' : 'addressRange';
    const key = f.address ?? f.addressRange?.text;
    if (key !== undefined) {
      const first = seenKeys.get(key);
      if (first) addIssue(issues, [...path, keyField], `duplicate peer (also at ${formatPath(first)})`, key);
      else seenKeys.set(key, [...path, keyField]);
    }
    if (f.name !== undefined) {
      const first = seenNames.get(f.name);
      if (first) addIssue(issues, [...path, 'name'], `duplicate peer name (also at ${formatPath(first)})`, f.name);
      else seenNames.set(f.name, [...path, 'name']);
    }
    if (peer) out.push(peer);
    if (peer && key !== undefined && ctx.memo && issues.length === before) {
      used?.add(text);
      ctx.memo.set(text, { peer, key, keyField, ...(f.name !== undefined ? { name: f.name } : {}) });
    }
  });
  if (ctx.memo && used) ctx.memo.retainOnly(used);
  return out;
}

function buildPeer(raw: unknown, f: Fields, path: Path, ctx: PeerContext, issues: Issue[]): PeerConfig | undefined {
  const at = (key: string): Path => [...path, key];
  const d = DEFAULTS.peer;

  // Exactly one of address / addressRange.
  let family: AddressFamily | undefined;
  if (written(raw, 'address') && written(raw, 'addressRange')) {
    addIssue(issues, path, 'give either address or addressRange, not both');
  } else if (!written(raw, 'address') && !written(raw, 'addressRange')) {
    addIssue(issues, at('address'), 'required (or addressRange for dynamic peers)');
  }
  if (f.address !== undefined) family = addressFamily(f.address);
  else if (f.addressRange !== undefined) family = f.addressRange.family;
  const dynamic = written(raw, 'addressRange');

  if (written(raw, 'maxPeers') && !dynamic) addIssue(issues, at('maxPeers'), 'only applies with addressRange', f.maxPeers);
  if (dynamic && f.passive === false) {
    addIssue(issues, at('passive'), 'a dynamic-peer range (addressRange) is always passive', false);
  }
  if (f.localAddress !== undefined && family !== undefined && addressFamily(f.localAddress) !== family) {
    addIssue(issues, at('localAddress'), `must be an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address, like the peer's`, f.localAddress);
  }

  // Session type: iBGP when the peer's AS is ours on this session (RFC 4271 3, 9.1).
  const localAs = f.localAs ?? ctx.asn;
  const typeKnown = f.asn !== undefined && localAs !== undefined && usable(raw, f, 'localAs');
  const ibgp = typeKnown && f.asn === localAs;
  if (typeKnown && f.routeReflectorClient === true && !ibgp) {
    // RFC 4456 2: route reflection is among iBGP peers.
    addIssue(issues, at('routeReflectorClient'), `requires iBGP: asn (${f.asn}) must equal the local AS (${localAs})`, true);
  }
  if (typeKnown && f.ebgpMultihop !== undefined && ibgp) {
    addIssue(issues, at('ebgpMultihop'), 'applies to eBGP sessions only (this peer is iBGP)', f.ebgpMultihop);
  }
  if (f.ttlSecurity !== undefined && f.ebgpMultihop !== undefined) {
    // RFC 5082 3: GTSM fixes the TTL at 255; a multihop TTL contradicts it.
    addIssue(issues, at('ttlSecurity'), 'cannot be combined with ebgpMultihop', f.ttlSecurity);
  }
  if (f.acceptDefaultRoute !== true && usable(raw, f, 'acceptDefaultRoute')) {
    (f.importPrefixes ?? []).forEach((m, j) => {
      if (m.le === 0) {
        addIssue(issues, [...at('importPrefixes'), j], 'lists the default route, which acceptDefaultRoute: false refuses', m.prefix);
      }
    });
  }

  // Timers: the peer's own, else the global ones; keepalive from the peer's hold time when only that is given.
  const hold = f.holdTime ?? ctx.timers.holdTime;
  const keepalive = f.keepaliveTime ?? (f.holdTime !== undefined ? defaultKeepalive(f.holdTime) : ctx.timers.keepaliveTime);
  // A keepalive derived from the peer's hold time always satisfies the rule; a written one may not.
  if (f.keepaliveTime !== undefined && usable(raw, f, 'holdTime')) {
    const problem = keepaliveProblem(hold, f.keepaliveTime);
    if (problem) addIssue(issues, at('keepaliveTime'), problem, f.keepaliveTime);
  }

  const bfd = parsePeerBfd(f.bfd, at('bfd'), { defaults: ctx.bfd, dynamic, ebgpMultihop: f.ebgpMultihop }, issues);

  const fallback = !typeKnown || ibgp || !ctx.ebgpRequiresPolicy ? 'all' : 'none';
  const importRef = parsePolicyRef(f.import, at('import'), ctx.policies, fallback, issues);
  const exportRef = parsePolicyRef(f.export, at('export'), ctx.policies, fallback, issues);
  const addPath = parseAddPath(f.addPath, at('addPath'), ctx.addPath, issues);

  if (f.asn === undefined || localAs === undefined || !importRef || !exportRef) return undefined;
  const key = f.address ?? f.addressRange?.text;
  if (key === undefined) return undefined;

  const common = {
    key,
    ...(f.name !== undefined && { name: f.name }),
    asn: f.asn,
    localAs,
    type: f.asn === localAs ? ('ibgp' as const) : ('ebgp' as const),
    port: f.port ?? d.port,
    ...(f.localAddress !== undefined && { localAddress: f.localAddress }),
    passive: dynamic ? true : (f.passive ?? d.passive),
    holdTime: hold,
    keepaliveTime: keepalive,
    connectRetryTime: f.connectRetryTime ?? ctx.timers.connectRetryTime,
    ...((f.sendHoldTime ?? ctx.timers.sendHoldTime) !== undefined && { sendHoldTime: f.sendHoldTime ?? ctx.timers.sendHoldTime }),
    families: (f.families ?? d.families) as readonly PeerFamily[],
    routeReflectorClient: f.routeReflectorClient ?? d.routeReflectorClient,
    nextHopSelf: f.nextHopSelf ?? d.nextHopSelf,
    enabled: f.enabled ?? d.enabled,
    ...(f.password !== undefined && { password: f.password }),
    ...(f.ebgpMultihop !== undefined && { ebgpMultihop: f.ebgpMultihop }),
    ...(f.ttlSecurity !== undefined && { ttlSecurity: f.ttlSecurity }),
    allowasIn: f.allowasIn ?? d.allowasIn,
    gracefulRestart: f.gracefulRestart ?? d.gracefulRestart,
    ...(f.importPrefixes !== undefined && { importPrefixes: f.importPrefixes }),
    acceptDefaultRoute: f.acceptDefaultRoute ?? d.acceptDefaultRoute,
    ...(f.maxPrefix !== undefined && { maxPrefix: f.maxPrefix }),
    ...(bfd !== undefined && { bfd }),
    communities: f.communities ?? [],
    largeCommunities: f.largeCommunities ?? [],
    import: importRef,
    export: exportRef,
    addPath,
  };
  if (f.addressRange !== undefined) {
    return { kind: 'dynamic', ...common, addressRange: f.addressRange.text, maxPeers: f.maxPeers ?? d.maxPeers };
  }
  if (f.address !== undefined) return { kind: 'static', ...common, address: f.address };
  return undefined;
}

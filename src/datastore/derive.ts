/**
 * TEMPORARY STAND-IN (branch ds-etcd) for branch ds-derive's derive.ts, which owns the real
 * derivation (every field of docs/datastore.md's mapping, Calico's selector language, filters,
 * per-node BGP configurations, IPv6). At the merge, TAKE DS-DERIVE'S FILE WHOLE: only the
 * signature below is relied on by source.ts (the follower), main.ts and the tests.
 *
 * This stand-in covers just what the live half's tests and the lab use: the node-to-node mesh
 * (Mesh_<ip>, the lexicographically smaller address passive, reflectors left out), BGPPeers with
 * `peerIP` (Global_ / Node_) or with `nodeSelector`/`peerSelector` restricted to `all()`,
 * `has(k)`, `!has(k)`, `k == 'v'` (and their reverse peerings), route reflector clients by
 * `routeReflectorClusterID`, this node's confirmed blocks as `originate`, the pools' ipipMode as
 * `kernel.mode`, and the AS from the Node, else the default BGPConfiguration, else 64512.
 * Everything else in the file is kept; file peers win over derived ones at the same address.
 */
import { IPAM_BLOCK_PREFIX, IPAM_HOST_PREFIX, RESOURCES_PREFIX, type DatastoreSnapshot, type SkippedResource } from './types.js';
import { withoutDatastore } from './settings.js';

export interface DerivedConfig {
  /** A raw configuration object for config/validate.ts `validateConfig`. */
  readonly config: Record<string, unknown>;
  /** Resources that could not be used, each with its key and why. */
  readonly skipped: readonly SkippedResource[];
}

interface NodeInfo {
  readonly name: string;
  readonly ip: string | undefined;
  readonly asn: number | undefined;
  readonly rrClusterId: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const validIPv4 = (s: string): boolean => IPV4.test(s) && s.split('.').every((o) => Number(o) <= 255 && String(Number(o)) === o);

function asNumberOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  if (typeof v === 'string' && /^\d+\.\d+$/.test(v)) {
    const [hi, lo] = v.split('.').map(Number) as [number, number];
    return hi * 65536 + lo;
  }
  return undefined;
}

/** all() | has(k) | !has(k) | k == 'v' | k != 'v' | "" (the stand-in's subset). Null: not understood. */
function selectorMatcher(sel: string): ((labels: Readonly<Record<string, string>>) => boolean) | null {
  const s = sel.trim();
  if (s === '' || s === 'all()') return () => true;
  let m = /^(!?)\s*has\(\s*([\w./-]+)\s*\)$/.exec(s);
  if (m) {
    const neg = m[1] === '!';
    const k = m[2] as string;
    return (l) => (k in l) !== neg;
  }
  m = /^([\w./-]+)\s*(==|!=)\s*['"]([^'"]*)['"]$/.exec(s);
  if (m) {
    const [, k, op, v] = m as unknown as [string, string, string, string];
    return (l) => (op === '==' ? l[k] === v : l[k] !== v);
  }
  return null;
}

const sessionName = (kind: 'Mesh' | 'Node' | 'Global', ip: string): string => `${kind}_${ip.replace(/[.:]/g, '_')}`;

export function deriveConfig(snapshot: DatastoreSnapshot, nodeName: string, fileRawConfig: unknown): DerivedConfig {
  const skipped: SkippedResource[] = [];
  const nodes = new Map<string, NodeInfo>();
  const peers: { key: string; spec: Record<string, unknown> }[] = [];
  const pools: Record<string, unknown>[] = [];
  let defaultConfig: Record<string, unknown> = {};
  const affine = new Map<string, string>(); // block cidr -> affinity state
  const blocks = new Set<string>();

  for (const r of snapshot.resources.values()) {
    const parse = (): Record<string, unknown> | null => {
      try {
        const v: unknown = JSON.parse(r.value);
        if (isObject(v)) return v;
        skipped.push({ key: r.key, reason: 'not a JSON object' });
      } catch (e) {
        skipped.push({ key: r.key, reason: `bad JSON: ${e instanceof Error ? e.message : String(e)}` });
      }
      return null;
    };
    if (r.key.startsWith(`${RESOURCES_PREFIX}nodes/`)) {
      const v = parse();
      if (!v) continue;
      const spec = isObject(v['spec']) ? v['spec'] : {};
      const bgp = isObject(spec['bgp']) ? spec['bgp'] : {};
      const meta = isObject(v['metadata']) ? v['metadata'] : {};
      const name = typeof meta['name'] === 'string' ? meta['name'] : r.key.slice(r.key.lastIndexOf('/') + 1);
      let ip: string | undefined;
      if (typeof bgp['ipv4Address'] === 'string') {
        const host = bgp['ipv4Address'].split('/')[0] ?? '';
        if (validIPv4(host)) ip = host;
        else skipped.push({ key: r.key, reason: `spec.bgp.ipv4Address: not an IPv4 address (got ${JSON.stringify(bgp['ipv4Address'])})` });
      }
      const labels = isObject(meta['labels']) ? (Object.fromEntries(Object.entries(meta['labels']).filter(([, x]) => typeof x === 'string')) as Record<string, string>) : {};
      const rr = typeof bgp['routeReflectorClusterID'] === 'string' && bgp['routeReflectorClusterID'] !== '' ? bgp['routeReflectorClusterID'] : undefined;
      nodes.set(name, { name, ip, asn: asNumberOf(bgp['asNumber']), rrClusterId: rr, labels });
    } else if (r.key.startsWith(`${RESOURCES_PREFIX}bgppeers/`)) {
      const v = parse();
      if (v) peers.push({ key: r.key, spec: isObject(v['spec']) ? v['spec'] : {} });
    } else if (r.key.startsWith(`${RESOURCES_PREFIX}ippools/`)) {
      const v = parse();
      if (!v) continue;
      const spec = isObject(v['spec']) ? v['spec'] : {};
      const mode = spec['ipipMode'];
      if (mode !== undefined && mode !== '' && mode !== 'Never' && mode !== 'Always' && mode !== 'CrossSubnet') {
        skipped.push({ key: r.key, reason: `spec.ipipMode: unknown value ${JSON.stringify(mode)}` });
        continue;
      }
      pools.push(spec);
    } else if (r.key === `${RESOURCES_PREFIX}bgpconfigurations/default`) {
      const v = parse();
      if (v) defaultConfig = isObject(v['spec']) ? v['spec'] : {};
    } else if (r.key.startsWith(`${IPAM_HOST_PREFIX}${nodeName}/ipv4/block/`)) {
      const cidr = r.key.slice(r.key.lastIndexOf('/') + 1).replace('-', '/');
      let state = 'confirmed';
      if (r.value.trim() !== '') {
        const v = parse();
        if (!v) continue;
        if (typeof v['state'] === 'string' && v['state'] !== '') state = v['state'];
        if (v['deleted'] === true) continue;
      }
      affine.set(cidr, state);
    } else if (r.key.startsWith(`${IPAM_BLOCK_PREFIX}ipv4/block/`)) {
      // Only the CIDR and the soft-delete mark are read; never re-serialised (sequenceNumber is an int64).
      if (!/"deleted"\s*:\s*true/.test(r.value)) blocks.add(r.key.slice(r.key.lastIndexOf('/') + 1).replace('-', '/'));
    }
  }

  const file = withoutDatastore(fileRawConfig);
  const me = nodes.get(nodeName);
  const globalAs = asNumberOf(defaultConfig['asNumber']) ?? 64512;
  const myAs = me?.asn ?? globalAs;
  const out: Record<string, unknown> = { ...file };
  if (me?.ip !== undefined) out['routerId'] = me.ip;
  out['asn'] = myAs;

  const derived = new Map<string, Record<string, unknown>>();
  const add = (ip: string, name: string, asn: number, extra: Record<string, unknown> = {}): void => {
    if (me?.ip === undefined || ip === me.ip || derived.has(ip)) return;
    derived.set(ip, { address: ip, asn, name, localAddress: me.ip, ...extra });
  };
  const rrClient = (peer: NodeInfo | undefined, asn: number): Record<string, unknown> =>
    me?.rrClusterId !== undefined && asn === myAs && peer?.rrClusterId !== me.rrClusterId ? { routeReflectorClient: true } : {};

  // Explicit BGPPeers (global first, as confd emits them), then their reverse peerings.
  const nodeList = [...nodes.values()];
  const ordered = [...peers].sort((a, b) => Number(isLocal(a.spec)) - Number(isLocal(b.spec)));
  for (const { key, spec } of ordered) {
    const local = isLocal(spec);
    const sel = typeof spec['nodeSelector'] === 'string' ? selectorMatcher(spec['nodeSelector']) : () => true;
    if (sel === null) {
      skipped.push({ key, reason: `spec.nodeSelector: not understood by this stand-in (${JSON.stringify(spec['nodeSelector'])})` });
      continue;
    }
    const appliesHere = typeof spec['node'] === 'string' && spec['node'] !== '' ? spec['node'] === nodeName : me !== undefined && sel(me.labels);
    const kind = local ? 'Node' : 'Global';
    if (typeof spec['peerSelector'] === 'string' && spec['peerSelector'] !== '') {
      const ps = selectorMatcher(spec['peerSelector']);
      if (ps === null) {
        skipped.push({ key, reason: `spec.peerSelector: not understood by this stand-in (${JSON.stringify(spec['peerSelector'])})` });
        continue;
      }
      if (appliesHere) {
        for (const n of nodeList) if (n.ip !== undefined && n.name !== nodeName && ps(n.labels)) add(n.ip, sessionName('Node', n.ip), n.asn ?? globalAs, rrClient(n, n.asn ?? globalAs));
      }
      // Reverse peering: this node is selected by peerSelector -> peer with the nodes the peering applies to.
      if (me !== undefined && ps(me.labels)) {
        for (const n of nodeList) {
          if (n.ip === undefined || n.name === nodeName) continue;
          const applies = typeof spec['node'] === 'string' && spec['node'] !== '' ? spec['node'] === n.name : sel(n.labels);
          if (applies) add(n.ip, sessionName('Node', n.ip), n.asn ?? globalAs, rrClient(n, n.asn ?? globalAs));
        }
      }
      continue;
    }
    if (!appliesHere) continue;
    const peerIP = typeof spec['peerIP'] === 'string' ? spec['peerIP'] : '';
    if (!validIPv4(peerIP)) {
      skipped.push({ key, reason: `spec.peerIP: not an IPv4 address this stand-in reads (${JSON.stringify(spec['peerIP'])})` });
      continue;
    }
    const asn = asNumberOf(spec['asNumber']);
    if (asn === undefined) {
      skipped.push({ key, reason: `spec.asNumber: missing or invalid (${JSON.stringify(spec['asNumber'])})` });
      continue;
    }
    const ebgp = asn !== myAs;
    add(peerIP, sessionName(kind, peerIP), asn, {
      ...rrClient(undefined, asn),
      ...(ebgp ? { import: 'all', export: 'all', ebgpMultihop: 255 } : {}),
    });
  }

  // The node-to-node mesh (confd: none on a reflector; reflectors are not mesh members).
  if (defaultConfig['nodeToNodeMeshEnabled'] !== false && me?.ip !== undefined && me.rrClusterId === undefined) {
    for (const n of nodeList) {
      if (n.ip === undefined || n.rrClusterId !== undefined) continue;
      add(n.ip, sessionName('Mesh', n.ip), n.asn ?? globalAs, n.ip > me.ip ? { passive: true } : {});
    }
  }

  const filePeers = Array.isArray(file['peers']) ? (file['peers'] as unknown[]) : [];
  const fileAddresses = new Set(filePeers.map((p) => (isObject(p) ? p['address'] : undefined)));
  out['peers'] = [...filePeers, ...[...derived.values()].filter((p) => !fileAddresses.has(p['address']))];
  if (me?.rrClusterId !== undefined) out['routeReflector'] = { ...(isObject(file['routeReflector']) ? file['routeReflector'] : {}), clusterId: me.rrClusterId };

  const confirmed = [...affine].filter(([cidr, state]) => state === 'confirmed' && blocks.has(cidr)).map(([cidr]) => cidr);
  const fileOriginate = Array.isArray(file['originate']) ? (file['originate'] as unknown[]) : [];
  const fileOriginated = new Set(fileOriginate.map((o) => (isObject(o) ? o['prefix'] : undefined)));
  out['originate'] = [...fileOriginate, ...confirmed.sort().filter((c) => !fileOriginated.has(c)).map((prefix) => ({ prefix }))];

  const modes = new Set(pools.filter((p) => p['disabled'] !== true).map((p) => p['ipipMode']));
  const mode = modes.has('Always') ? 'ipip' : modes.has('CrossSubnet') ? 'ipip-cross-subnet' : 'direct';
  out['kernel'] = { ...(isObject(file['kernel']) ? file['kernel'] : {}), mode };
  return { config: out, skipped };
}

function isLocal(spec: Record<string, unknown>): boolean {
  return (typeof spec['node'] === 'string' && spec['node'] !== '') || (typeof spec['nodeSelector'] === 'string' && spec['nodeSelector'] !== '');
}

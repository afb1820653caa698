/**
 * `validateConfig(raw)`: unknown (parsed JSON) -> a frozen Config, or every issue at once.
 *
 * Each part is parsed on its own and records its issues, so one bad key never hides another;
 * the relations between keys are checked on whatever parsed. The Config is returned only when
 * there were no issues at all (convention 13).
 */
import { z } from 'zod';
import { ADD_PATH_OFF, parseAddPath } from './add-path.js';
import { parseBfdDefaults } from './bfd.js';
import { parseDatastore } from './datastore.js';
import { DEFAULTS } from './defaults.js';
import { asn, bool, routerId } from './fields.js';
import { parseFields } from './issues.js';
import { parseMetrics } from './metrics.js';
import { parsePeers, PeerMemo } from './peers.js';
import { parsePolicies } from './policies.js';
import {
  parseControl,
  parseGracefulRestart,
  parseKernel,
  parseListen,
  parseLog,
  parseMultipath,
  parseOriginate,
  parseRouteReflector,
  parseTimers,
} from './sections.js';
import type { Config, Issue, Policy, Result } from './types.js';

const TOP = {
  routerId,
  asn,
  listen: z.unknown(),
  timers: z.unknown(),
  originate: z.unknown(),
  peers: z.unknown(),
  policies: z.unknown(),
  ebgpRequiresPolicy: bool.optional(),
  routeReflector: z.unknown(),
  multipath: z.unknown(),
  addPath: z.unknown(),
  gracefulRestart: z.unknown(),
  bfd: z.unknown(),
  kernel: z.unknown(),
  control: z.unknown(),
  log: z.unknown(),
  datastore: z.unknown(),
  metrics: z.unknown(),
};

/**
 * For a caller that validates one configuration after another with few differences (the datastore
 * follower: 1,000 derived peers, one of them new): peers whose raw entry is unchanged, under an
 * unchanged rest of the file, are not parsed again and keep their identity (config/diff.ts then
 * skips them by reference). The result is the same as without the memo.
 */
export class ValidationMemo {
  readonly peers = new PeerMemo();
  #rest: string | undefined;
  /** Clears the peers when anything but `peers` changed (peer parsing depends on the top level). */
  check(raw: unknown): PeerMemo {
    const rest = typeof raw === 'object' && raw !== null ? JSON.stringify({ ...(raw as Record<string, unknown>), peers: undefined }) : '';
    if (rest !== this.#rest) this.peers.clear();
    this.#rest = rest;
    return this.peers;
  }
}

/** A complete configuration: what the daemon runs (a file without `datastore`, or one completed by datastore/derive.ts). */
export function validateConfig(raw: unknown, memo?: ValidationMemo): Result<Config> {
  const issues: Issue[] = [];
  const parts = validateParts(raw, 'complete', issues, memo);
  if (!parts || issues.length > 0 || parts.routerId === undefined || parts.asn === undefined) return { ok: false, issues };
  const { routerId, asn, datastore, ...rest } = parts;
  const config: Config = { routerId, asn, ...rest, ...(datastore !== undefined && { datastore }) };
  return { ok: true, value: deepFreeze(config) };
}

/** Every section of a Config, with the identity (routerId, asn) possibly missing. */
export type ConfigParts = Omit<Config, 'routerId' | 'asn'> & { readonly routerId?: string; readonly asn?: number };

/**
 * Parses every section, recording issues. `complete`: routerId and asn are required. `datastore-file`:
 * a file with a `datastore` section, whose identity comes from the datastore: routerId and asn are
 * optional, and the peers' relations that need our AS are not checked (config/config-file.ts adds the
 * datastore file's own rules).
 */
export function validateParts(raw: unknown, mode: 'complete' | 'datastore-file', issues: Issue[], memo?: ValidationMemo): ConfigParts | undefined {
  const peerMemo = memo?.check(raw);
  const shape = mode === 'complete' ? TOP : { ...TOP, routerId: routerId.optional(), asn: asn.optional() };
  const top = parseFields(shape, raw, [], issues);
  if (!top) return undefined;

  const listen = parseListen(top.listen, issues);
  const timers = parseTimers(top.timers, issues);
  const originate = parseOriginate(top.originate, issues);
  const policyTable = parsePolicies(top.policies, issues);
  const ebgpRequiresPolicy = top.ebgpRequiresPolicy ?? DEFAULTS.ebgpRequiresPolicy;
  const ourAs = mode === 'complete' ? top.asn : undefined;
  const addPath = parseAddPath(top.addPath, ['addPath'], ADD_PATH_OFF, issues);
  const bfd = parseBfdDefaults(top.bfd, issues);
  const peers = parsePeers(top.peers, { asn: ourAs, timers, policies: policyTable, ebgpRequiresPolicy, addPath, bfd, ...(peerMemo ? { memo: peerMemo } : {}) }, issues);
  const routeReflector = parseRouteReflector(top.routeReflector, top.routerId, issues);
  const multipath = parseMultipath(top.multipath, issues);
  const gracefulRestart = parseGracefulRestart(top.gracefulRestart, issues);
  const kernel = parseKernel(top.kernel, issues);
  const control = parseControl(top.control, issues);
  const log = parseLog(top.log, issues);
  const datastore = parseDatastore(top.datastore, issues);
  const metrics = parseMetrics(top.metrics, issues);

  const policies: Record<string, Policy> = Object.fromEntries(policyTable.policies);
  return {
    ...(top.routerId !== undefined && { routerId: top.routerId }),
    ...(top.asn !== undefined && { asn: top.asn }),
    listen,
    timers,
    originate,
    peers,
    policies,
    ebgpRequiresPolicy,
    routeReflector,
    multipath,
    addPath,
    gracefulRestart,
    bfd,
    kernel,
    control,
    log,
    ...(datastore !== undefined && { datastore }),
    metrics,
  };
}

/** Freezes plain objects and arrays all the way down (the Config is shared by every module). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * `validateConfig(raw)`: unknown (parsed JSON) -> a frozen Config, or every issue at once.
 *
 * Each part is parsed on its own and records its issues, so one bad key never hides another;
 * the relations between keys are checked on whatever parsed. The Config is returned only when
 * there were no issues at all (convention 13).
 */
import { z } from 'zod';
import { DEFAULTS } from './defaults.js';
import { asn, bool, routerId } from './fields.js';
import { parseFields } from './issues.js';
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
  gracefulRestart: z.unknown(),
  kernel: z.unknown(),
  control: z.unknown(),
  log: z.unknown(),
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

export function validateConfig(raw: unknown, memo?: ValidationMemo): Result<Config> {
  const issues: Issue[] = [];
  const peerMemo = memo?.check(raw);
  const top = parseFields(TOP, raw, [], issues);
  if (!top) return { ok: false, issues };

  const listen = parseListen(top.listen, issues);
  const timers = parseTimers(top.timers, issues);
  const originate = parseOriginate(top.originate, issues);
  const policyTable = parsePolicies(top.policies, issues);
  const ebgpRequiresPolicy = top.ebgpRequiresPolicy ?? DEFAULTS.ebgpRequiresPolicy;
  const peers = parsePeers(top.peers, { asn: top.asn, timers, policies: policyTable, ebgpRequiresPolicy, ...(peerMemo ? { memo: peerMemo } : {}) }, issues);
  const routeReflector = parseRouteReflector(top.routeReflector, top.routerId, issues);
  const multipath = parseMultipath(top.multipath, issues);
  const gracefulRestart = parseGracefulRestart(top.gracefulRestart, issues);
  const kernel = parseKernel(top.kernel, issues);
  const control = parseControl(top.control, issues);
  const log = parseLog(top.log, issues);

  if (issues.length > 0 || top.routerId === undefined || top.asn === undefined) return { ok: false, issues };
  const policies: Record<string, Policy> = Object.fromEntries(policyTable.policies);
  const config: Config = {
    routerId: top.routerId,
    asn: top.asn,
    listen,
    timers,
    originate,
    peers,
    policies,
    ebgpRequiresPolicy,
    routeReflector,
    multipath,
    gracefulRestart,
    kernel,
    control,
    log,
  };
  return { ok: true, value: deepFreeze(config) };
}

/** Freezes plain objects and arrays all the way down (the Config is shared by every module). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The top-level sections other than peers and policies: listen, timers, originate, routeReflector,
 * multipath, gracefulRestart, kernel, control, log. Each parser records its issues and returns the
 * section with defaults applied (defaults fill in for missing *and* for invalid keys, so later
 * cross-checks can run; the config is only returned when there were no issues at all).
 */
import { z } from 'zod';
import type { LogLevel } from '../util/log.js';
import { DEFAULTS, PROTOCOL_NAMES, TABLE_NAMES } from './defaults.js';
import {
  bool,
  communities,
  dottedQuad,
  holdTime,
  intIn,
  intOrName,
  interfaceName,
  ipLiteral,
  largeCommunities,
  port,
  prefix,
  U32_MAX,
} from './fields.js';
import { addIssue, formatPath, parseFields, parseValue, type Path } from './issues.js';
import type {
  ControlConfig,
  GracefulRestartConfig,
  Issue,
  KernelConfig,
  KernelPoolConfig,
  ListenConfig,
  OriginateConfig,
  TimersConfig,
} from './types.js';

// ---------------------------------------------------------------- listen

const LISTEN = { address: ipLiteral.optional(), port: port.optional(), enabled: bool.optional() };

export function parseListen(raw: unknown, issues: Issue[]): ListenConfig {
  const f = raw === undefined ? {} : (parseFields(LISTEN, raw, ['listen'], issues) ?? {});
  const d = DEFAULTS.listen;
  return { address: f.address ?? d.address, port: f.port ?? d.port, enabled: f.enabled ?? d.enabled };
}

// ---------------------------------------------------------------- timers

export const keepaliveTime = intIn(0, 65535);
export const connectRetryTime = intIn(1, 65535);

const TIMERS = {
  holdTime: holdTime.optional(),
  keepaliveTime: keepaliveTime.optional(),
  connectRetryTime: connectRetryTime.optional(),
  idleHoldTime: intIn(0, 3600).optional(),
  idleHoldMaxTime: intIn(0, 3600).optional(),
  sendHoldTime: intIn(0, 65535).optional(),
};

/** RFC 4271 10: KeepaliveTime is one third of the Hold Time. */
export const defaultKeepalive = (hold: number): number => Math.floor(hold / 3);

/**
 * RFC 4271 4.4: KEEPALIVEs are sent often enough not to let the Hold Timer expire, and not at all
 * when the Hold Time is zero. So a non-zero keepalive must be below the hold time, and a zero hold
 * time wants a zero keepalive. Returns the problem, if any.
 */
export function keepaliveProblem(hold: number, keepalive: number): string | undefined {
  if (hold === 0 && keepalive !== 0) return 'must be 0 when holdTime is 0 (RFC 4271 4.4: no KEEPALIVEs without a hold timer)';
  if (hold > 0 && keepalive >= hold) return `must be less than holdTime (${hold})`;
  return undefined;
}

export function parseTimers(raw: unknown, issues: Issue[]): TimersConfig {
  const path: Path = ['timers'];
  const f = raw === undefined ? {} : (parseFields(TIMERS, raw, path, issues) ?? {});
  const given = (key: string): boolean => typeof raw === 'object' && raw !== null && Object.hasOwn(raw, key);
  const d = DEFAULTS.timers;
  const hold = f.holdTime ?? d.holdTime;
  const keepalive = f.keepaliveTime ?? defaultKeepalive(hold);
  const holdOk = !given('holdTime') || f.holdTime !== undefined;
  if (holdOk && f.keepaliveTime !== undefined) {
    const problem = keepaliveProblem(hold, f.keepaliveTime);
    if (problem) addIssue(issues, [...path, 'keepaliveTime'], problem, f.keepaliveTime);
  }
  const idleHoldTime = f.idleHoldTime ?? d.idleHoldTime;
  const idleHoldMaxTime = f.idleHoldMaxTime ?? Math.max(d.idleHoldMaxTime, idleHoldTime);
  if (f.idleHoldMaxTime !== undefined && (!given('idleHoldTime') || f.idleHoldTime !== undefined) && idleHoldMaxTime < idleHoldTime) {
    addIssue(issues, [...path, 'idleHoldMaxTime'], `must be at least idleHoldTime (${idleHoldTime})`, idleHoldMaxTime);
  }
  return {
    holdTime: hold,
    keepaliveTime: keepalive,
    connectRetryTime: f.connectRetryTime ?? d.connectRetryTime,
    idleHoldTime,
    idleHoldMaxTime,
    ...(f.sendHoldTime !== undefined && { sendHoldTime: f.sendHoldTime }),
  };
}

// ---------------------------------------------------------------- originate

const ORIGINATE_OBJECT = {
  prefix,
  communities: communities.optional(),
  largeCommunities: largeCommunities.optional(),
};

/** The node's own blocks: strings or { prefix, communities?, largeCommunities? }; no duplicates. */
export function parseOriginate(raw: unknown, issues: Issue[]): OriginateConfig[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    addIssue(issues, ['originate'], 'expected an array of prefixes', raw);
    return [];
  }
  const out: OriginateConfig[] = [];
  const seen = new Map<string, Path>();
  raw.forEach((entry: unknown, i) => {
    const path: Path = ['originate', i];
    let parsed: OriginateConfig | undefined;
    let prefixPath = path;
    if (typeof entry === 'string') {
      const p = parseValue(prefix, entry, path, issues);
      if (p) parsed = { prefix: p.text, family: p.family, communities: [], largeCommunities: [] };
    } else if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) {
      prefixPath = [...path, 'prefix'];
      const f = parseFields(ORIGINATE_OBJECT, entry, path, issues);
      if (f?.prefix) {
        parsed = {
          prefix: f.prefix.text,
          family: f.prefix.family,
          communities: f.communities ?? [],
          largeCommunities: f.largeCommunities ?? [],
        };
      }
    } else {
      addIssue(issues, path, 'expected a prefix string or { prefix, communities?, largeCommunities? }', entry);
    }
    if (!parsed) return;
    const first = seen.get(parsed.prefix);
    if (first) {
      addIssue(issues, prefixPath, `duplicate prefix (also at ${formatPath(first)})`, parsed.prefix);
      return;
    }
    seen.set(parsed.prefix, prefixPath);
    out.push(parsed);
  });
  return out;
}

// ---------------------------------------------------------------- small sections

const ROUTE_REFLECTOR = { clusterId: dottedQuad.optional() };

/** RFC 4456 7: the CLUSTER_ID defaults to the BGP Identifier (router id). */
export function parseRouteReflector(raw: unknown, routerId: string | undefined, issues: Issue[]): { clusterId: string } {
  const f = raw === undefined ? {} : (parseFields(ROUTE_REFLECTOR, raw, ['routeReflector'], issues) ?? {});
  return { clusterId: f.clusterId ?? routerId ?? '0.0.0.0' };
}

const MULTIPATH = { maxPaths: intIn(1, 64).optional() };

export function parseMultipath(raw: unknown, issues: Issue[]): { maxPaths: number } {
  const f = raw === undefined ? {} : (parseFields(MULTIPATH, raw, ['multipath'], issues) ?? {});
  return { maxPaths: f.maxPaths ?? DEFAULTS.multipath.maxPaths };
}

/** RFC 4724 3: Restart Time is a 12-bit field (seconds). */
const GRACEFUL_RESTART = {
  enabled: bool.optional(),
  restartTime: intIn(1, 4095).optional(),
  staleRoutesTime: intIn(1, 65535).optional(),
};

export function parseGracefulRestart(raw: unknown, issues: Issue[]): GracefulRestartConfig {
  const f = raw === undefined ? {} : (parseFields(GRACEFUL_RESTART, raw, ['gracefulRestart'], issues) ?? {});
  const d = DEFAULTS.gracefulRestart;
  return {
    enabled: f.enabled ?? d.enabled,
    restartTime: f.restartTime ?? d.restartTime,
    staleRoutesTime: f.staleRoutesTime ?? d.staleRoutesTime,
  };
}

/** rtm_protocol 1..3 are the kernel's own (redirect, kernel, boot): owning them would delete its routes. */
const kernelProtocol = intOrName(1, 255, PROTOCOL_NAMES).refine((n) => n > 3, {
  error: 'protocol ids 1..3 belong to the kernel (redirect, kernel, boot); use 12 ("bird") or 186 ("bgp")',
});

const KERNEL_MODES = ['direct', 'ipip', 'ipip-cross-subnet'] as const;

const KERNEL_POOL = z.strictObject({
  cidr: prefix,
  mode: z.enum([...KERNEL_MODES, 'none']),
});

/** `kernel.pools`: { cidr, mode } per address pool; a CIDR once (in any spelling). */
const kernelPools = z.array(KERNEL_POOL, { error: 'expected an array of { cidr, mode }' }).transform((pools, ctx): KernelPoolConfig[] => {
  const seen = new Map<string, number>();
  pools.forEach((p, i) => {
    const first = seen.get(p.cidr.text);
    if (first !== undefined) ctx.issues.push({ code: 'custom', message: `duplicate cidr (also at $.kernel.pools[${first}].cidr)`, input: p.cidr.text, path: [i, 'cidr'] });
    else seen.set(p.cidr.text, i);
  });
  return pools.map((p) => ({ cidr: p.cidr.text, mode: p.mode }));
});

const KERNEL = {
  enabled: bool.optional(),
  table: intOrName(1, U32_MAX, TABLE_NAMES).optional(),
  protocol: kernelProtocol.optional(),
  metric: intIn(0, U32_MAX).optional(),
  blackhole: bool.optional(),
  mode: z.enum(KERNEL_MODES).optional(),
  pools: kernelPools.optional(),
  tunnelDevice: interfaceName.optional(),
  withdrawOnStop: bool.optional(),
  convergenceTimeout: intIn(0, 3600).optional(),
  scanInterval: intIn(1, 3600).optional(),
};

export function parseKernel(raw: unknown, issues: Issue[]): KernelConfig {
  const f = raw === undefined ? {} : (parseFields(KERNEL, raw, ['kernel'], issues) ?? {});
  const d = DEFAULTS.kernel;
  return {
    enabled: f.enabled ?? d.enabled,
    table: f.table ?? d.table,
    protocol: f.protocol ?? d.protocol,
    metric: f.metric ?? d.metric,
    blackhole: f.blackhole ?? d.blackhole,
    mode: f.mode ?? d.mode,
    pools: f.pools ?? d.pools,
    tunnelDevice: f.tunnelDevice ?? d.tunnelDevice,
    withdrawOnStop: f.withdrawOnStop ?? d.withdrawOnStop,
    convergenceTimeout: f.convergenceTimeout ?? d.convergenceTimeout,
    scanInterval: f.scanInterval ?? d.scanInterval,
  };
}

/** sun_path is 108 bytes including the terminating NUL. */
const SOCKET_PATH_MAX = 107;

const socketPath = z
  .string({ error: 'expected an absolute path' })
  .refine((s) => s.startsWith('/'), { error: 'expected an absolute path' })
  .refine((s) => Buffer.byteLength(s) <= SOCKET_PATH_MAX, { error: `must be at most ${SOCKET_PATH_MAX} bytes (Unix socket path limit)` });

/** What follows "BIRD " in the greeting and in `show status`: one word (tools split on spaces). */
const birdVersion = z
  .string({ error: 'expected a version string such as "v0.3.3+birdv1.6.8"' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}$/, { error: 'expected 1..64 letters, digits and . _ + ~ - (no spaces), such as "v0.3.3+birdv1.6.8"' });

const CONTROL = {
  socket: socketPath.optional(),
  birdSocket: socketPath.optional(),
  birdSocket6: socketPath.optional(),
  birdVersion: birdVersion.optional(),
};

export function parseControl(raw: unknown, issues: Issue[]): ControlConfig {
  const f = raw === undefined ? {} : (parseFields(CONTROL, raw, ['control'], issues) ?? {});
  const socket = f.socket ?? DEFAULTS.control.socket;
  // Each socket needs a path of its own: a second listener would remove the first one's file.
  const taken = new Map<string, string>([[socket, 'socket']]);
  for (const key of ['birdSocket', 'birdSocket6'] as const) {
    const path = f[key];
    if (path === undefined) continue;
    const other = taken.get(path);
    if (other !== undefined) addIssue(issues, ['control', key], `must differ from control.${other}`, path);
    else taken.set(path, key);
  }
  return {
    socket,
    ...(f.birdSocket !== undefined && { birdSocket: f.birdSocket }),
    ...(f.birdSocket6 !== undefined && { birdSocket6: f.birdSocket6 }),
    ...(f.birdVersion !== undefined && { birdVersion: f.birdVersion }),
  };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const satisfies readonly LogLevel[];
const LOG = { level: z.enum(LOG_LEVELS).optional() };

export function parseLog(raw: unknown, issues: Issue[]): { level: LogLevel } {
  const f = raw === undefined ? {} : (parseFields(LOG, raw, ['log'], issues) ?? {});
  return { level: f.level ?? DEFAULTS.log.level };
}

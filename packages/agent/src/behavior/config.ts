import { globToRegExp, hasBehaviorRules } from '../policy/policy.js';
import type { Policy } from '../policy/policy.js';
import type { BehaviorPolicy, CountThreshold } from '../policy/schema.js';
import { DEFAULT_PATTERN_OPTIONS } from '../detectors/patterns/index.js';
import type { PatternOptions } from '../detectors/patterns/index.js';
import { SCANNER_USER_AGENTS } from './scanners.js';
import { hash32 } from './window.js';

/** One rate limit, compiled. */
export interface CompiledLimit {
  /** Stable across reloads while route, method, window and key stay the same: counts survive an edit of `limit`. */
  readonly id: string;
  readonly route: RegExp | undefined;
  readonly methods: ReadonlySet<string> | undefined;
  readonly limit: number;
  readonly windowMs: number;
  readonly by: 'ip' | 'user';
  /** `POST /login` or `all requests`, for event descriptions. */
  readonly label: string;
}

export interface Threshold {
  readonly limit: number;
  readonly windowMs: number;
}

/** The request-level settings of one policy, with defaults applied. */
export interface BehaviorConfig {
  /** Anything beyond the IP lists to do at all. */
  readonly active: boolean;
  /** Per-IP profiles are needed (any behavioural check configured). */
  readonly profiles: boolean;
  readonly patterns: PatternOptions | undefined;
  readonly userDeny: ReadonlySet<string>;
  readonly store: 'memory' | 'redis';
  readonly redisUrl: string | undefined;
  readonly redisTimeoutMs: number;
  readonly keyPrefix: string;
  readonly syncMs: number;
  readonly maxProfiles: number;
  readonly profileTtlMs: number;
  readonly ipLimits: readonly CompiledLimit[];
  readonly userLimits: readonly CompiledLimit[];
  /** Lower-case substrings of scanner user agents; undefined when off. */
  readonly scannerAgents: readonly string[] | undefined;
  readonly pathDiversity: Threshold | undefined;
  readonly notFound: Threshold | undefined;
  readonly userAgentRotation: Threshold | undefined;
  readonly errorRate: { readonly ratio: number; readonly minRequests: number; readonly windowMs: number } | undefined;
  readonly blockedRequests: Threshold | undefined;
  readonly attackWave: { readonly findings: number; readonly windowMs: number; readonly blockMs: number } | undefined;
  readonly scannerBlockMs: number;
}

export const DEFAULTS = {
  redisTimeoutMs: 100,
  keyPrefix: 'vigil:',
  syncMs: 1000,
  maxProfiles: 20_000,
  profileTtlSeconds: 600,
  pathDiversity: { limit: 100, windowSeconds: 60 },
  notFound: { limit: 30, windowSeconds: 60 },
  userAgentRotation: { limit: 10, windowSeconds: 60 },
  errorRate: { ratio: 0.5, minRequests: 30, windowSeconds: 60 },
  blockedRequests: { limit: 10, windowSeconds: 60 },
  attackWave: { findings: 5, windowSeconds: 60, blockSeconds: 600 },
  scannerBlockSeconds: 300,
} as const;

function threshold(value: boolean | CountThreshold | undefined, defaults: { limit: number; windowSeconds: number }): Threshold | undefined {
  if (value === false) return undefined;
  const v = typeof value === 'object' ? value : {};
  return { limit: v.limit ?? defaults.limit, windowMs: (v.windowSeconds ?? defaults.windowSeconds) * 1000 };
}

/** `/users/:id` → `/users/*`; globs as in allowlist routes (`*` one segment, `**` any). */
function routeRegExp(route: string): RegExp {
  const glob = route
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '*' : segment))
    .join('/');
  return globToRegExp(glob, '/');
}

function compileLimits(behavior: BehaviorPolicy): CompiledLimit[] {
  return (behavior.rateLimits ?? []).map((r) => {
    const methods = r.method === undefined ? undefined : new Set((Array.isArray(r.method) ? r.method : [r.method]).map((m) => m.toUpperCase()));
    const by = r.by ?? 'ip';
    const windowMs = r.windowSeconds * 1000;
    const methodText = methods === undefined ? '' : [...methods].sort().join(',');
    const id = hash32(`${by}|${methodText}|${r.route ?? ''}|${windowMs}`).toString(36);
    const label = `${methodText === '' ? '' : methodText + ' '}${r.route ?? 'all requests'}`;
    return { id, route: r.route === undefined ? undefined : routeRegExp(r.route), methods, limit: r.limit, windowMs, by, label };
  });
}

/** Reads the policy's request-level sections. `env` supplies VIGIL_REDIS_URL. */
export function compileBehavior(policy: Policy, env: NodeJS.ProcessEnv = process.env): BehaviorConfig {
  const file = policy.file;
  const b: BehaviorPolicy | undefined = file.behavior;
  const sensors = file.sensors;
  const patterns: PatternOptions | undefined =
    sensors?.patterns === true
      ? {
          sqli: sensors.patternKinds === undefined || sensors.patternKinds.includes('sqli'),
          xss: sensors.patternKinds === undefined || sensors.patternKinds.includes('xss'),
          path: sensors.patternKinds === undefined || sensors.patternKinds.includes('path'),
          maxLength: sensors.maxInputLength ?? DEFAULT_PATTERN_OPTIONS.maxLength,
        }
      : undefined;
  const userDeny = new Set(file.users?.deny ?? []);
  const envUrl = env.VIGIL_REDIS_URL?.trim() || undefined;
  const limits = b === undefined ? [] : compileLimits(b);
  const extraAgents = Array.isArray(b?.scannerUserAgents) ? b.scannerUserAgents.map((s) => s.toLowerCase()) : [];
  const enabled = b !== undefined;
  const scannerAgents = enabled && b.scannerUserAgents !== false ? [...SCANNER_USER_AGENTS, ...extraAgents] : undefined;
  const wave = enabled && b.attackWave !== false ? (typeof b.attackWave === 'object' ? b.attackWave : {}) : undefined;
  const rate = enabled && b.errorRate !== false ? (typeof b.errorRate === 'object' ? b.errorRate : {}) : undefined;
  const config: BehaviorConfig = {
    active: hasBehaviorRules(file),
    profiles: enabled,
    patterns,
    userDeny,
    store: b?.store ?? (envUrl !== undefined && enabled ? 'redis' : 'memory'),
    redisUrl: b?.redisUrl ?? envUrl,
    redisTimeoutMs: b?.redisTimeoutMs ?? DEFAULTS.redisTimeoutMs,
    keyPrefix: b?.keyPrefix ?? DEFAULTS.keyPrefix,
    syncMs: b?.syncIntervalMs ?? DEFAULTS.syncMs,
    maxProfiles: b?.maxProfiles ?? DEFAULTS.maxProfiles,
    profileTtlMs: (b?.profileTtlSeconds ?? DEFAULTS.profileTtlSeconds) * 1000,
    ipLimits: limits.filter((l) => l.by === 'ip'),
    userLimits: limits.filter((l) => l.by === 'user'),
    scannerAgents,
    pathDiversity: enabled ? threshold(b.pathDiversity, DEFAULTS.pathDiversity) : undefined,
    notFound: enabled ? threshold(b.notFound, DEFAULTS.notFound) : undefined,
    userAgentRotation: enabled ? threshold(b.userAgentRotation, DEFAULTS.userAgentRotation) : undefined,
    errorRate:
      rate === undefined
        ? undefined
        : {
            ratio: rate.ratio ?? DEFAULTS.errorRate.ratio,
            minRequests: rate.minRequests ?? DEFAULTS.errorRate.minRequests,
            windowMs: (rate.windowSeconds ?? DEFAULTS.errorRate.windowSeconds) * 1000,
          },
    blockedRequests: enabled ? threshold(b.blockedRequests, DEFAULTS.blockedRequests) : undefined,
    attackWave:
      wave === undefined
        ? undefined
        : {
            findings: wave.findings ?? DEFAULTS.attackWave.findings,
            windowMs: (wave.windowSeconds ?? DEFAULTS.attackWave.windowSeconds) * 1000,
            blockMs: (wave.blockSeconds ?? DEFAULTS.attackWave.blockSeconds) * 1000,
          },
    scannerBlockMs: (b?.scannerBlockSeconds ?? DEFAULTS.scannerBlockSeconds) * 1000,
  };
  return config;
}

/** Whether a compiled limit applies to a request. */
export function limitApplies(limit: CompiledLimit, method: string, route: string, path: string): boolean {
  if (limit.methods !== undefined && !limit.methods.has(method)) return false;
  if (limit.route === undefined) return true;
  return limit.route.test(path) || (route !== path && limit.route.test(route));
}

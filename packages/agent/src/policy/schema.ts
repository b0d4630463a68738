import { RULE_IDS, THREAT_LEVELS } from '../detectors/types.js';
import type { RuleId, ThreatLevel } from '../detectors/types.js';

// The policy file's public schema (version 1). Users write it in YAML or JSON;
// `validatePolicy` turns the parsed document into a `PolicyFile` or a list of
// problems, each with the path of the offending value so the loader can name
// the line.

export type Mode = 'off' | 'monitor' | 'block' | 'learn';
export const MODES: readonly Mode[] = ['off', 'monitor', 'block', 'learn'];

export interface RulePolicy {
  mode?: Mode;
  /** Overrides the policy-wide threshold for this rule. */
  blockThreshold?: ThreatLevel;
  /** Overrides the policy-wide minimum confidence for this rule (default: 0.5 when this rule's mode is `block`, else the policy's). */
  blockConfidence?: number;
}

/** One allowlist entry: every field given must match for the entry to apply. */
export interface AllowlistEntry {
  rule?: RuleId | '*';
  /** Route pattern (`/users/:id`) or path glob (`/reports/*`). */
  route?: string;
  /** Client IP or CIDR. */
  ip?: string;
  /** Input source path (`query.sort`, `body.filter.*`). */
  input?: string;
  /** Folded SQL shape, as printed in events' context.sqlShape. */
  sqlShape?: string;
  /** App call site, as printed in events' context.callSite (`src/report.js:42`). */
  callSite?: string;
  /** Shell command name (first word). */
  command?: string;
  /** Directory prefix for file paths. */
  path?: string;
  /** Outbound host name. */
  host?: string;
  reason?: string;
}

/** One rate limit: at most `limit` requests per `windowSeconds` (sliding), per client IP or per user. */
export interface RateLimitPolicy {
  /** Route pattern (`/users/:id`) or path glob (`/api/*`, `/admin/**`); every request when absent. */
  route?: string;
  /** HTTP method or methods; every method when absent. */
  method?: string | string[];
  limit: number;
  windowSeconds: number;
  /** Count per client IP (default) or per user id (known once the app calls setUser). */
  by?: 'ip' | 'user';
}

/** A count threshold over a window: `limit` events within `windowSeconds`. */
export interface CountThreshold {
  limit?: number;
  windowSeconds?: number;
}

/** The request-level layer: shared store, rate limits, scanner and anomaly detection. */
export interface BehaviorPolicy {
  /** Where shared counts live: this process (default) or Redis (shared by every instance). */
  store?: 'memory' | 'redis';
  /** redis:// or rediss:// URL; VIGIL_REDIS_URL when absent. */
  redisUrl?: string;
  /** Timeout of each Redis command (ms, default 100). Requests never wait for Redis. */
  redisTimeoutMs?: number;
  /** Prefix of every Redis key (default `vigil:`). */
  keyPrefix?: string;
  /** How stale shared state (counts, temporary blocks) may get before it is refreshed (ms, default 1000). */
  syncIntervalMs?: number;
  /** Bound of the per-IP profile table (default 20000); the least recently seen are dropped. */
  maxProfiles?: number;
  /** Profiles idle for longer than this are dropped (default 600). */
  profileTtlSeconds?: number;
  rateLimits?: RateLimitPolicy[];
  /** Known scanner user agents (sqlmap, nikto, nuclei …): true (default), false, or extra substrings to add. */
  scannerUserAgents?: boolean | string[];
  /** Many distinct paths from one IP (default 100 in 60 s). */
  pathDiversity?: boolean | CountThreshold;
  /** Many 404 answers to one IP (default 30 in 60 s). */
  notFound?: boolean | CountThreshold;
  /** Many distinct user agents from one IP (default 10 in 60 s). */
  userAgentRotation?: boolean | CountThreshold;
  /** A high share of 4xx/5xx answers (other than 404 and 429) to one IP (default 0.5 of at least 30 in 60 s). */
  errorRate?: boolean | { ratio?: number; minRequests?: number; windowSeconds?: number };
  /** Many requests of one IP blocked by sink rules (default 10 in 60 s). */
  blockedRequests?: boolean | CountThreshold;
  /** Findings of sink rules from one IP that put it on a temporary block list (default 5 in 60 s, blocked 600 s). */
  attackWave?: boolean | { findings?: number; windowSeconds?: number; blockSeconds?: number };
  /** How long an IP stays blocked after a scanner finding when the scanner rule blocks (default 300). */
  scannerBlockSeconds?: number;
}

export interface PolicyFile {
  version?: 1;
  mode?: Mode;
  blockThreshold?: ThreatLevel;
  blockConfidence?: number;
  /** Per rule: a mode (`sql_injection: block`) or a RulePolicy. */
  rules?: Partial<Record<RuleId, RulePolicy | Mode>>;
  allowlist?: AllowlistEntry[];
  trustedProxies?: string[];
  maxPayloadLogSize?: number;
  enableStackTraces?: boolean;
  /** Headers added to the 403 answer of a blocked request. */
  responseHeaders?: Record<string, string>;
  shell?: { allowedCommands?: string[]; shellCommands?: 'allow' | 'deny-unlisted' };
  paths?: { allowedDirs?: string[]; sensitivePaths?: string[] };
  ssrf?: { allowHosts?: string[]; denyHosts?: string[] };
  code?: { disallowCodeGenerationFromStrings?: boolean };
  prototype?: { freezePrototypes?: boolean };
  ipLists?: { allow?: string[]; deny?: string[] };
  /** User ids (as given to setUser) refused with ip_blocklist. */
  users?: { deny?: string[] };
  /** Input-only sensors (rule request_pattern, monitor by default). */
  sensors?: { patterns?: boolean; patternKinds?: ('sqli' | 'xss' | 'path')[]; maxInputLength?: number };
  behavior?: BehaviorPolicy;
}

export interface SchemaProblem {
  path: (string | number)[];
  message: string;
}

type Checker = (value: unknown, path: (string | number)[], problems: SchemaProblem[]) => void;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function oneOf(values: readonly string[]): Checker {
  return (v, path, problems) => {
    if (typeof v !== 'string' || !values.includes(v)) {
      problems.push({ path, message: `must be one of ${values.join(', ')} (got ${JSON.stringify(v)})` });
    }
  };
}

const str: Checker = (v, path, problems) => {
  if (typeof v !== 'string' || v.length === 0) problems.push({ path, message: 'must be a non-empty string' });
};
const bool: Checker = (v, path, problems) => {
  if (typeof v !== 'boolean') problems.push({ path, message: 'must be true or false' });
};
const confidence: Checker = (v, path, problems) => {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) problems.push({ path, message: 'must be a number from 0 to 1' });
};
const positiveInt: Checker = (v, path, problems) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) problems.push({ path, message: 'must be a positive integer' });
};
const cidr: Checker = (v, path, problems) => {
  if (typeof v !== 'string' || !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(v)) {
    problems.push({ path, message: 'must be an IP address or CIDR range' });
  }
};

const positiveNumber: Checker = (v, path, problems) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) problems.push({ path, message: 'must be a positive number' });
};
const ratio: Checker = (v, path, problems) => {
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) problems.push({ path, message: 'must be a number above 0 and at most 1' });
};
const redisUrl: Checker = (v, path, problems) => {
  if (typeof v !== 'string' || !/^rediss?:\/\/\S+$/.test(v)) problems.push({ path, message: 'must be a redis:// or rediss:// URL' });
};
const httpMethod: Checker = (v, path, problems) => {
  if (typeof v !== 'string' || !/^[A-Za-z]{1,16}$/.test(v)) problems.push({ path, message: 'must be an HTTP method name' });
};

/** `true` (defaults), `false` (off) or a mapping. */
function toggleOr(fields: Record<string, Checker>): Checker {
  const check = object(fields);
  return (v, path, problems) => {
    if (typeof v === 'boolean') return;
    check(v, path, problems);
  };
}

function required(names: string[], check: Checker): Checker {
  return (v, path, problems) => {
    check(v, path, problems);
    if (!isObject(v)) return;
    for (const name of names) if (v[name] === undefined) problems.push({ path, message: `needs ${name}` });
  };
}

function arrayOf(item: Checker): Checker {
  return (v, path, problems) => {
    if (!Array.isArray(v)) {
      problems.push({ path, message: 'must be a list' });
      return;
    }
    for (let i = 0; i < v.length; i++) item(v[i], [...path, i], problems);
  };
}

function object(fields: Record<string, Checker>): Checker {
  return (v, path, problems) => {
    if (!isObject(v)) {
      problems.push({ path, message: 'must be a mapping' });
      return;
    }
    for (const key of Object.keys(v)) {
      const check = fields[key];
      if (check === undefined) {
        problems.push({ path: [...path, key], message: `unknown key "${key}" (expected one of ${Object.keys(fields).join(', ')})` });
        continue;
      }
      check(v[key], [...path, key], problems);
    }
  };
}

function record(value: Checker, keys?: readonly string[]): Checker {
  return (v, path, problems) => {
    if (!isObject(v)) {
      problems.push({ path, message: 'must be a mapping' });
      return;
    }
    for (const key of Object.keys(v)) {
      if (keys !== undefined && !keys.includes(key)) {
        problems.push({ path: [...path, key], message: `unknown rule "${key}" (expected one of ${keys.join(', ')})` });
        continue;
      }
      value(v[key], [...path, key], problems);
    }
  };
}

const threat = oneOf(THREAT_LEVELS);
const mode = oneOf(MODES);

const rulePolicy: Checker = (v, path, problems) => {
  // Shorthand: `sql_injection: block`
  if (typeof v === 'string') return mode(v, path, problems);
  object({ mode, blockThreshold: threat, blockConfidence: confidence })(v, path, problems);
};

const allowlistEntry: Checker = (v, path, problems) => {
  object({
    rule: oneOf(['*', ...RULE_IDS]),
    route: str,
    ip: cidr,
    input: str,
    sqlShape: str,
    callSite: str,
    command: str,
    path: str,
    host: str,
    reason: (x, p, pr) => {
      if (typeof x !== 'string') pr.push({ path: p, message: 'must be a string' });
    },
  })(v, path, problems);
  if (isObject(v) && Object.keys(v).filter((k) => k !== 'reason' && k !== 'rule').length === 0) {
    problems.push({ path, message: 'an allowlist entry needs at least one condition besides rule (route, ip, input, sqlShape, callSite, command, path or host)' });
  }
};

const policyFile = object({
  version: (v, path, problems) => {
    if (v !== 1) problems.push({ path, message: 'must be 1' });
  },
  mode,
  blockThreshold: threat,
  blockConfidence: confidence,
  rules: record(rulePolicy, RULE_IDS),
  allowlist: arrayOf(allowlistEntry),
  trustedProxies: arrayOf(cidr),
  maxPayloadLogSize: positiveInt,
  enableStackTraces: bool,
  responseHeaders: record(str),
  shell: object({ allowedCommands: arrayOf(str), shellCommands: oneOf(['allow', 'deny-unlisted']) }),
  paths: object({ allowedDirs: arrayOf(str), sensitivePaths: arrayOf(str) }),
  ssrf: object({ allowHosts: arrayOf(str), denyHosts: arrayOf(str) }),
  code: object({ disallowCodeGenerationFromStrings: bool }),
  prototype: object({ freezePrototypes: bool }),
  ipLists: object({ allow: arrayOf(cidr), deny: arrayOf(cidr) }),
  users: object({ deny: arrayOf(str) }),
  sensors: object({ patterns: bool, patternKinds: arrayOf(oneOf(['sqli', 'xss', 'path'])), maxInputLength: positiveInt }),
  behavior: object({
    store: oneOf(['memory', 'redis']),
    redisUrl,
    redisTimeoutMs: positiveInt,
    keyPrefix: str,
    syncIntervalMs: positiveInt,
    maxProfiles: positiveInt,
    profileTtlSeconds: positiveNumber,
    rateLimits: arrayOf(
      required(
        ['limit', 'windowSeconds'],
        object({
          route: str,
          method: (v, path, problems) => (Array.isArray(v) ? arrayOf(httpMethod)(v, path, problems) : httpMethod(v, path, problems)),
          limit: positiveInt,
          windowSeconds: positiveNumber,
          by: oneOf(['ip', 'user']),
        }),
      ),
    ),
    scannerUserAgents: (v, path, problems) => (typeof v === 'boolean' ? undefined : arrayOf(str)(v, path, problems)),
    pathDiversity: toggleOr({ limit: positiveInt, windowSeconds: positiveNumber }),
    notFound: toggleOr({ limit: positiveInt, windowSeconds: positiveNumber }),
    userAgentRotation: toggleOr({ limit: positiveInt, windowSeconds: positiveNumber }),
    errorRate: toggleOr({ ratio, minRequests: positiveInt, windowSeconds: positiveNumber }),
    blockedRequests: toggleOr({ limit: positiveInt, windowSeconds: positiveNumber }),
    attackWave: toggleOr({ findings: positiveInt, windowSeconds: positiveNumber, blockSeconds: positiveNumber }),
    scannerBlockSeconds: positiveNumber,
  }),
});

/** Validates a parsed policy document. An empty list means it is a valid PolicyFile. */
export function validatePolicy(doc: unknown): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  if (doc === null || doc === undefined) return problems;
  policyFile(doc, [], problems);
  return problems;
}

/** Normalises the `rule: block` shorthand into `{ mode: 'block' }`. */
export function normaliseRules(rules: PolicyFile['rules']): Partial<Record<RuleId, RulePolicy>> {
  const out: Partial<Record<RuleId, RulePolicy>> = {};
  if (rules === undefined) return out;
  for (const key of Object.keys(rules) as RuleId[]) {
    const value = rules[key] as RulePolicy | Mode;
    out[key] = typeof value === 'string' ? { mode: value } : value;
  }
  return out;
}

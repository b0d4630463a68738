import type { RequestContext } from '../context/request-context.js';
import { requestStorage } from '../context/request-context.js';
import { collectInputs } from '../context/inputs.js';
import type { Agent } from '../core/agent.js';
import { VigilBlockedError } from '../core/errors.js';
import { respondBlocked } from '../sources/http/respond.js';
import { scanInputs } from '../detectors/patterns/index.js';
import type { PatternOptions } from '../detectors/patterns/index.js';
import type { Finding, InputSource, RuleId, UserInput } from '../detectors/types.js';
import { RULE_IDS } from '../detectors/types.js';
import type { SecurityEvent } from '../events/types.js';
import type { Policy } from '../policy/policy.js';
import { compileBehavior, limitApplies } from './config.js';
import type { BehaviorConfig, CompiledLimit } from './config.js';
import { LruMap } from './lru.js';
import { MemoryStore } from './store.js';
import type { BehaviorStore } from './store.js';
import { RedisStore } from './redis-store.js';
import { DistinctCounter, TumblingCounter, ageSample, hash32, retryAfterMs, slidingCount } from './window.js';
import type { WindowSample } from './window.js';
import { scannerIn } from './scanners.js';

export type { BehaviorStore } from './store.js';
export { MemoryStore } from './store.js';
export { RedisStore } from './redis-store.js';
export { LruMap } from './lru.js';

/** What the request-level layer decided before the app sees a request. */
export type Admission =
  | { action: 'allow' }
  | {
      action: 'block';
      status: 403 | 429;
      rule: 'rate_limit' | 'scanner' | 'ip_blocklist' | 'request_pattern';
      retryAfterSeconds?: number;
      description: string;
      /** The finding behind the block, with its threat level, confidence, input and detail: report this one. */
      finding?: Finding;
    };

export const ALLOW: Admission = Object.freeze({ action: 'allow' });

/** Rules raised by sinks: their findings make up an attack wave. */
const REQUEST_LEVEL_RULES: ReadonlySet<RuleId> = new Set<RuleId>(['request_pattern', 'rate_limit', 'scanner', 'ip_blocklist']);
const SINK_RULES: ReadonlySet<RuleId> = new Set(RULE_IDS.filter((rule) => !REQUEST_LEVEL_RULES.has(rule)));

/** Inputs that exist before the app runs; the rest (body, params) are checked when the response is done. */
const EARLY_SOURCES: ReadonlySet<InputSource> = new Set<InputSource>(['query', 'headers', 'cookies', 'path']);
const isEarly = (input: UserInput): boolean => EARLY_SOURCES.has(input.source);

// What a report is about, for de-duplication per client (one event per window, not one per request).
const R_DENY = 0;
const R_TEMP = 1;
const R_SCANNER_UA = 2;
const R_PATHS = 3;
const R_AGENTS = 4;
const R_NOT_FOUND = 5;
const R_ERRORS = 6;
const R_BLOCKED = 7;
const R_WAVE = 8;
const R_RATE = 9; // + index of the IP limit

const DEDUP_MS = 60_000;

/** What the layer remembers about one client IP. Small: an attacker chooses how many there are. */
class Profile {
  requests = 0;
  blockedUntil = 0;
  blockRule: 'ip_blocklist' | 'scanner' = 'ip_blocklist';
  blockReason = '';
  blockCheckedAt = 0;
  paths: DistinctCounter | undefined;
  agents: DistinctCounter | undefined;
  notFound: TumblingCounter | undefined;
  /** count: requests, other: error answers. */
  errors: TumblingCounter | undefined;
  blocked: TumblingCounter | undefined;
  private reported: number[] | undefined;

  /** True the first time `kind` is reported within `windowMs` (and remembers it). */
  firstReport(kind: number, now: number, windowMs: number): boolean {
    const reported = (this.reported ??= []);
    const last = reported[kind];
    if (last !== undefined && now - last < windowMs) return false;
    reported[kind] = now;
    return true;
  }
}

/** Per-request state, only for requests that need any. */
interface RequestState {
  /** On the IP allow list: nothing applies. */
  bypass?: boolean;
  /** Vigil (most likely) answered it at admission: its status is not the app's. */
  answered?: boolean;
  /** A pattern sensor already reported on it. */
  patternReported?: boolean;
  /** The user checks ran (setUser integration). */
  userChecked?: boolean;
}

/** A shared counter as last seen from Redis, plus this process's hits not acknowledged yet. */
class Mirror {
  sample: WindowSample | undefined;
  at = 0;
  epoch = -1;
  /** Hits counted here and not yet acknowledged by Redis (sent or not). */
  pending = 0;
  /** Hits not sent yet: sent as one increment per key per event-loop turn. */
  unsent = 0;
  queued = false;
  refreshing = false;

  constructor(
    readonly key: string,
    readonly windowMs: number,
  ) {}

  current(now: number, epoch: number): WindowSample | undefined {
    if (this.sample === undefined || this.epoch !== epoch) return undefined;
    return ageSample(this.sample, now - this.at);
  }
}

export interface ProfileSnapshot {
  requests: number;
  blockedUntil: number;
  blockRule: string;
  distinctPaths: number;
  distinctUserAgents: number;
}

/**
 * The request-level layer: IP and user lists, rate limits (per IP or user,
 * global or per route, sliding windows, in memory or shared through Redis),
 * scanner and anomaly detection over per-IP profiles (known scanner user
 * agents, path diversity, 404 bursts, user-agent rotation, error rate,
 * repeatedly blocked clients), attack waves that put an IP on a temporary
 * block list, and the input-only pattern sensors.
 *
 * The http source asks `admit` before the app runs and reports `finished`
 * when the response is done. Users are known only once the app calls
 * setUser: `enforceUser` is the hook for that moment; without it, users are
 * checked (and reported, post hoc) in `finished`.
 *
 * Nothing here waits: with the Redis store, decisions use the last counts
 * Redis sent, refreshed in the background, and a Redis outage fails open.
 */
export class Behavior {
  private policy: Policy | undefined;
  private cfg: BehaviorConfig | undefined;
  private profiles: LruMap<string, Profile> | undefined;
  private readonly memory = new MemoryStore(1, 1);
  private readonly mirrors = new LruMap<string, Mirror>(1, 1);
  private readonly userReports = new LruMap<string, number>(1, 1);
  private redis: RedisStore | undefined;
  private redisIdentity = '';
  private unsubscribe: (() => void) | undefined;
  private readonly requests = new WeakMap<RequestContext, RequestState>();

  constructor(readonly agent: Agent) {}

  /** The settings in force (compiled from the agent's policy on first use and after every reload). */
  config(): BehaviorConfig {
    const policy = this.agent.policy;
    if (policy !== this.policy || this.cfg === undefined) this.configure(policy);
    return this.cfg as BehaviorConfig;
  }

  /** Whether finished requests feed anything (profiles, user checks, late pattern scans): without, the response's status is not even read. */
  get watching(): boolean {
    return this.cfg !== undefined && this.cfg.active;
  }

  /** The shared store in use. */
  get store(): BehaviorStore {
    return this.redis ?? this.memory;
  }

  // ---- the http source's hooks ------------------------------------------------

  /** Called for every request before the app's listener runs. Must be cheap and never throw. */
  admit(ctx: RequestContext): Admission {
    const cfg = this.config();
    const policy = this.agent.policy;
    // Most policies have no IP lists and no behaviour: such a request costs no IP parsing here.
    if (policy.ipAllow.size === 0 && policy.ipDeny.size === 0 && !cfg.active) return ALLOW;
    const ip = ctx.ip;
    if (policy.ipAllow.size > 0 && policy.ipAllow.matches(ip)) {
      this.state(ctx).bypass = true;
      return ALLOW;
    }
    if (policy.ipDeny.size > 0 && policy.ipDeny.matches(ip)) {
      const finding = blockFinding('ip_blocklist', 'high', 1, `client ${ip ?? 'unknown'} is on the policy's IP deny list`, { list: 'ipLists.deny' });
      return this.admission(ctx, undefined, R_DENY, finding, 403, undefined, 0) ?? ALLOW;
    }
    if (!cfg.active) return ALLOW;
    const now = Date.now();
    if (cfg.profiles && ip !== undefined) {
      const verdict = this.admitProfile(ctx, ip, cfg, now);
      if (verdict !== undefined) return verdict;
    }
    if (cfg.patterns !== undefined) {
      const inputs = ctx.inputs();
      const finding = scanInputs(inputs, cfg.patterns, this.acceptEarly);
      if (finding === null) this.rememberBenignHeaders(inputs);
      else {
        this.state(ctx).patternReported = true;
        const verdict = this.admission(ctx, undefined, -1, finding, 403, undefined, now);
        if (verdict !== undefined) return verdict;
      }
    }
    return ALLOW;
  }

  /**
   * Header values repeat from request to request (user agent, accept, client
   * hints): a value the sensors passed once is not scanned again. The sensors
   * are deterministic, so this changes cost, not verdicts.
   */
  private readonly benignHeaders = new Set<string>();
  private readonly acceptEarly = (input: UserInput): boolean => isEarly(input) && !(input.source === 'headers' && this.benignHeaders.has(input.value));

  private rememberBenignHeaders(inputs: readonly UserInput[]): void {
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i] as UserInput;
      if (input.source !== 'headers' || input.value.length > 512 || this.benignHeaders.has(input.value)) continue;
      if (this.benignHeaders.size >= 1024) this.benignHeaders.clear();
      this.benignHeaders.add(input.value);
    }
  }

  /** Called once the response has been sent (status known). Never throws. */
  finished(ctx: RequestContext, status: number): void {
    try {
      const cfg = this.cfg;
      if (cfg === undefined || !cfg.active) return;
      const state = this.requests.get(ctx);
      if (state?.bypass === true) return;
      const now = Date.now();
      if (ctx.user !== undefined && state?.userChecked !== true && (cfg.userDeny.size > 0 || cfg.userLimits.length > 0)) {
        this.checkUser(ctx, cfg, now, false);
      }
      const ip = ctx.ip;
      if (cfg.profiles && ip !== undefined && state?.answered !== true) this.finishProfile(ctx, ip, status, cfg, now);
      if (cfg.patterns !== undefined && state?.patternReported !== true && !ctx.blocked) this.scanLate(ctx, cfg.patterns);
    } catch (err) {
      this.agent.guard.report('behavior', err);
    }
  }

  /**
   * The user checks (user deny list, per-user rate limits) at the moment the
   * app identifies the user: meant to be called by setUser. In block mode it
   * answers the request (403, or 429 with Retry-After) and throws
   * VigilBlockedError, as a sink does; otherwise it reports and returns.
   */
  enforceUser(ctx: RequestContext): void {
    let block: { event: SecurityEvent; status: 403 | 429; retryAfterSeconds: number | undefined } | undefined;
    try {
      const cfg = this.config();
      if (!cfg.active || ctx.user === undefined || (cfg.userDeny.size === 0 && cfg.userLimits.length === 0)) return;
      const state = this.state(ctx);
      if (state.bypass === true || state.userChecked === true) return;
      state.userChecked = true;
      block = this.checkUser(ctx, cfg, Date.now(), true);
    } catch (err) {
      this.agent.guard.report('behavior', err);
      return;
    }
    if (block === undefined) return;
    const { event, status, retryAfterSeconds } = block;
    ctx.blocked = true;
    try {
      const headers = this.agent.policy.responseHeaders;
      respondBlocked(ctx, retryAfterSeconds === undefined ? headers : { ...headers, 'retry-after': String(retryAfterSeconds) }, status);
    } catch (err) {
      this.agent.guard.report('respond', err);
    }
    throw new VigilBlockedError(event.rule, event.eventId, ctx.id, event.description);
  }

  // ---- admission ----------------------------------------------------------------

  private admitProfile(ctx: RequestContext, ip: string, cfg: BehaviorConfig, now: number): Admission | undefined {
    const profiles = this.profiles as LruMap<string, Profile>;
    let profile = profiles.get(ip, now);
    if (profile === undefined) {
      profile = new Profile();
      profiles.set(ip, profile, now);
      // A block outlives its profile: the flag table is larger than the profile table.
      if (this.redis === undefined) this.restoreBlock(ip, profile, cfg, now);
    }
    profile.requests++;
    if (this.redis !== undefined) this.syncBlock(ip, profile, cfg, now);
    if (profile.blockedUntil > now) {
      const left = Math.ceil((profile.blockedUntil - now) / 1000);
      const finding = blockFinding(profile.blockRule, 'high', 0.9, `client ${ip} is temporarily blocked (${profile.blockReason || 'shared block list'}); ${left} s left`, { temporary: true, secondsLeft: left });
      const verdict = this.admission(ctx, profile, R_TEMP, finding, 403, left, now);
      if (verdict !== undefined) return verdict;
    }
    const ua = ctx.headers['user-agent'];
    if (cfg.scannerAgents !== undefined && ua !== undefined) {
      const scanner = scannerIn(ua, cfg.scannerAgents);
      if (scanner !== undefined) {
        const finding = blockFinding('scanner', 'high', 0.9, `user agent of a known scanner (${scanner})`, { scanner, userAgent: ua.slice(0, 200) });
        const verdict = this.admission(ctx, profile, R_SCANNER_UA, finding, 403, undefined, now);
        if (verdict !== undefined) return verdict;
      }
    }
    const limits = cfg.ipLimits;
    if (limits.length > 0) {
      const path = ctx.path;
      const route = ctx.route;
      for (let i = 0; i < limits.length; i++) {
        const limit = limits[i] as CompiledLimit;
        if (!limitApplies(limit, ctx.method, route, path)) continue;
        const retryMs = this.hit(`rl:${limit.id}:${ip}`, limit, now);
        if (retryMs > 0) {
          const verdict = this.admission(ctx, profile, R_RATE + i, rateFinding(limit, `client ${ip}`, retryMs), 429, Math.ceil(retryMs / 1000), now);
          if (verdict !== undefined) return verdict;
        }
      }
    }
    const diversity = cfg.pathDiversity;
    if (diversity !== undefined) {
      const n = (profile.paths ??= new DistinctCounter()).add(hash32(ctx.path), now, diversity.windowMs);
      if (n >= diversity.limit) {
        this.anomaly(ctx, ip, profile, R_PATHS, `${n} distinct paths from ${ip} within ${seconds(diversity.windowMs)} s (limit ${diversity.limit}): scanning`, { distinctPaths: n, windowSeconds: seconds(diversity.windowMs), anomaly: 'path_diversity' }, diversity.windowMs, now);
      }
    }
    const rotation = cfg.userAgentRotation;
    if (rotation !== undefined && ua !== undefined) {
      const n = (profile.agents ??= new DistinctCounter()).add(hash32(ua), now, rotation.windowMs);
      if (n >= rotation.limit) {
        this.anomaly(ctx, ip, profile, R_AGENTS, `${n} distinct user agents from ${ip} within ${seconds(rotation.windowMs)} s (limit ${rotation.limit}): user-agent rotation`, { distinctUserAgents: n, windowSeconds: seconds(rotation.windowMs), anomaly: 'user_agent_rotation' }, rotation.windowMs, now);
      }
    }
    return undefined;
  }

  /**
   * A finding at admission: a block when the policy would block it (the http
   * source reports the event), else reported here, once per window per client.
   */
  private admission(ctx: RequestContext, profile: Profile | undefined, kind: number, finding: Finding, status: 403 | 429, retryAfterSeconds: number | undefined, now: number): Admission | undefined {
    const decision = this.agent.policy.decide(finding, { route: ctx.route, path: ctx.path, ip: ctx.ip }, finding.input?.path);
    if (decision === null) return undefined;
    if (decision.verdict === 'blocked') {
      this.state(ctx).answered = true;
      const rule = finding.rule as 'rate_limit' | 'scanner' | 'ip_blocklist' | 'request_pattern';
      return retryAfterSeconds === undefined
        ? { action: 'block', status, rule, description: finding.description, finding }
        : { action: 'block', status, rule, retryAfterSeconds, description: finding.description, finding };
    }
    if (profile === undefined || kind < 0 || profile.firstReport(kind, now, DEDUP_MS)) this.agent.report(finding, ctx, undefined, undefined);
    return undefined;
  }

  /** A behavioural anomaly: reported once per window; when the policy blocks it, the IP is blocked for a while. */
  private anomaly(ctx: RequestContext | undefined, ip: string, profile: Profile, kind: number, description: string, detail: Record<string, string | number | boolean>, windowMs: number, now: number): void {
    if (!profile.firstReport(kind, now, windowMs)) return;
    const cfg = this.cfg as BehaviorConfig;
    const finding: Finding = { rule: 'scanner', threatLevel: 'medium', confidence: 0.8, description, detail: { ...detail, ip } };
    const event = this.agent.report(finding, ctx, undefined, undefined);
    if (event?.verdict === 'blocked') this.tempBlock(ip, profile, 'scanner', cfg.scannerBlockMs, detail.anomaly === undefined ? 'scanner' : String(detail.anomaly), now);
  }

  private tempBlock(ip: string, profile: Profile, rule: 'ip_blocklist' | 'scanner', ms: number, reason: string, now: number): void {
    profile.blockedUntil = now + ms;
    profile.blockRule = rule;
    profile.blockReason = reason;
    const cfg = this.cfg as BehaviorConfig;
    const key = `${cfg.keyPrefix}blk:${ip}`;
    if (this.redis !== undefined && this.redis.available) {
      this.redis.setFlag(key, `${rule}|${reason}`, ms).catch(noop);
    } else {
      this.memory.setFlagSync(key, `${rule}|${reason}`, ms, now);
    }
  }

  private restoreBlock(ip: string, profile: Profile, cfg: BehaviorConfig, now: number): void {
    const flag = this.memory.getFlagSync(`${cfg.keyPrefix}blk:${ip}`, now);
    if (flag !== null) applyFlag(profile, flag.value, now + flag.ttlMs);
  }

  /** Picks up temporary blocks other instances set (Redis store), at most once per sync interval per IP. */
  private syncBlock(ip: string, profile: Profile, cfg: BehaviorConfig, now: number): void {
    const redis = this.redis as RedisStore;
    if (now - profile.blockCheckedAt < cfg.syncMs || !redis.available) return;
    profile.blockCheckedAt = now;
    redis.getFlag(`${cfg.keyPrefix}blk:${ip}`).then((flag) => {
      if (flag !== null && flag.ttlMs > 0) applyFlag(profile, flag.value, Date.now() + flag.ttlMs);
    }, noop);
  }

  /**
   * Counts one request against a limit. Returns 0 when it fits (and was
   * counted) or the milliseconds until one would fit. With Redis: decided
   * on the last known shared count plus this process's unacknowledged hits;
   * fails open while Redis is unavailable.
   */
  private hit(key: string, limit: CompiledLimit, now: number): number {
    const cfg = this.cfg as BehaviorConfig;
    const fullKey = cfg.keyPrefix + key;
    const redis = this.redis;
    if (redis === undefined) {
      const sample = this.memory.incrSync(fullKey, limit.windowMs, 0, now);
      if (slidingCount(sample) + 1 > limit.limit) return Math.max(1, retryAfterMs(sample, limit.limit));
      this.memory.incrSync(fullKey, limit.windowMs, 1, now);
      return 0;
    }
    if (!redis.available) return 0;
    let mirror = this.mirrors.get(fullKey, now);
    if (mirror === undefined || mirror.windowMs !== limit.windowMs) {
      mirror = new Mirror(fullKey, limit.windowMs);
      this.mirrors.set(fullKey, mirror, now);
    }
    const epoch = redis.epoch;
    const sample = mirror.current(now, epoch);
    const count = (sample === undefined ? 0 : slidingCount(sample)) + mirror.pending;
    if (count + 1 > limit.limit) {
      // Over: refresh now and then (other instances, or a Redis that lost its data).
      if (!mirror.refreshing && now - mirror.at >= cfg.syncMs) this.refresh(redis, mirror, fullKey, limit.windowMs);
      return sample === undefined ? 1000 : Math.max(1, retryAfterMs(sample, limit.limit - mirror.pending));
    }
    mirror.pending++;
    mirror.unsent++;
    if (!mirror.queued) {
      mirror.queued = true;
      this.dirty.push(mirror);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Outside the request's async context: the flush serves many requests.
        requestStorage.exit(() => setImmediate(this.flush).unref());
      }
    }
    return 0;
  }

  private dirty: Mirror[] = [];
  private flushScheduled = false;

  /** Sends this turn's hits: one increment per key, whatever the number of requests. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const list = this.dirty;
    this.dirty = [];
    const redis = this.redis;
    for (const m of list) {
      const by = m.unsent;
      m.unsent = 0;
      m.queued = false;
      if (by === 0) continue;
      if (redis === undefined || !redis.available) {
        m.pending -= by; // fail open: these hits are not counted anywhere
        continue;
      }
      const epoch = redis.epoch;
      redis.incr(m.key, m.windowMs, by).then(
        (fresh) => {
          m.pending -= by;
          if (redis.epoch === epoch) {
            m.sample = fresh;
            m.at = Date.now();
            m.epoch = epoch;
          }
        },
        () => {
          m.pending -= by;
        },
      );
    }
  };

  private refresh(redis: RedisStore, mirror: Mirror, key: string, windowMs: number): void {
    mirror.refreshing = true;
    const epoch = redis.epoch;
    redis.get(key, windowMs).then(
      (fresh) => {
        mirror.refreshing = false;
        mirror.sample = fresh;
        mirror.at = Date.now();
        mirror.epoch = epoch;
      },
      () => {
        mirror.refreshing = false;
        mirror.at = Date.now();
      },
    );
  }

  // ---- after the response --------------------------------------------------------

  private finishProfile(ctx: RequestContext, ip: string, status: number, cfg: BehaviorConfig, now: number): void {
    const profiles = this.profiles as LruMap<string, Profile>;
    let profile = profiles.peek(ip, now);
    if (profile === undefined) {
      profile = new Profile();
      profiles.set(ip, profile, now);
    }
    const notFound = cfg.notFound;
    if (notFound !== undefined && status === 404) {
      const n = (profile.notFound ??= new TumblingCounter()).add(now, notFound.windowMs, 1);
      if (n >= notFound.limit) {
        this.anomaly(ctx, ip, profile, R_NOT_FOUND, `${n} answers 404 to ${ip} within ${seconds(notFound.windowMs)} s (limit ${notFound.limit}): probing for paths`, { notFound: n, windowSeconds: seconds(notFound.windowMs), anomaly: 'not_found_burst' }, notFound.windowMs, now);
      }
    }
    const rate = cfg.errorRate;
    if (rate !== undefined) {
      const error = status >= 400 && status !== 404 && status !== 429 ? 1 : 0;
      const c = (profile.errors ??= new TumblingCounter());
      c.add(now, rate.windowMs, 1, error);
      if (c.count >= rate.minRequests && c.other / c.count >= rate.ratio) {
        const share = Math.round((100 * c.other) / c.count);
        this.anomaly(ctx, ip, profile, R_ERRORS, `${share}% of ${c.count} answers to ${ip} within ${seconds(rate.windowMs)} s were errors (limit ${Math.round(rate.ratio * 100)}%): fuzzing or brute force`, { errors: c.other, requests: c.count, windowSeconds: seconds(rate.windowMs), anomaly: 'error_rate' }, rate.windowMs, now);
      }
    }
    const blocked = cfg.blockedRequests;
    if (blocked !== undefined && ctx.blocked) {
      const n = (profile.blocked ??= new TumblingCounter()).add(now, blocked.windowMs, 1);
      if (n >= blocked.limit) {
        this.anomaly(ctx, ip, profile, R_BLOCKED, `${n} requests from ${ip} blocked within ${seconds(blocked.windowMs)} s (limit ${blocked.limit})`, { blocked: n, windowSeconds: seconds(blocked.windowMs), anomaly: 'blocked_requests' }, blocked.windowMs, now);
      }
    }
  }

  /** The pattern sensors over what the app parsed (body, params, extra inputs): a post-hoc event. */
  private scanLate(ctx: RequestContext, options: PatternOptions): void {
    const body = ctx.body;
    const params = ctx.params;
    const extra = ctx.extraParts;
    if (body === undefined && params === undefined && extra === undefined) return;
    const parts: { source: InputSource; prefix: string; value: unknown }[] = [
      { source: 'body', prefix: 'body', value: body },
      { source: 'params', prefix: 'params', value: params },
    ];
    if (extra !== undefined) parts.push(...extra);
    const finding = scanInputs(collectInputs(parts), options);
    if (finding === null) return;
    this.agent.report({ ...finding, description: `${finding.description} (seen after the response: not blocked)`, detail: { ...finding.detail, postHoc: true } }, ctx, undefined, undefined);
  }

  // ---- users -----------------------------------------------------------------------

  /** User deny list and per-user limits. `enforce`: the request is still running (setUser); else post hoc. */
  private checkUser(ctx: RequestContext, cfg: BehaviorConfig, now: number, enforce: boolean): { event: SecurityEvent; status: 403 | 429; retryAfterSeconds: number | undefined } | undefined {
    const user = ctx.user;
    if (user === undefined) return undefined;
    let finding: Finding | undefined;
    let status: 403 | 429 = 403;
    let retry: number | undefined;
    let dedupeKey = '';
    let dedupeMs = DEDUP_MS;
    if (cfg.userDeny.has(user.id)) {
      finding = blockFinding('ip_blocklist', 'high', 1, `user ${user.id} is on the policy's user deny list`, { list: 'users.deny', userId: user.id });
      dedupeKey = `deny|${user.id}`;
    } else {
      const path = ctx.path;
      const route = ctx.route;
      for (const limit of cfg.userLimits) {
        if (!limitApplies(limit, ctx.method, route, path)) continue;
        const retryMs = this.hit(`rl:${limit.id}:u:${user.id}`, limit, now);
        if (retryMs > 0) {
          finding = rateFinding(limit, `user ${user.id}`, retryMs);
          status = 429;
          retry = Math.ceil(retryMs / 1000);
          dedupeKey = `rate|${limit.id}|${user.id}`;
          dedupeMs = limit.windowMs;
          break;
        }
      }
    }
    if (finding === undefined) return undefined;
    if (!enforce) finding = { ...finding, description: `${finding.description} (seen after the response: not blocked)`, detail: { ...finding.detail, postHoc: true } };
    const decision = this.agent.policy.decide(finding, { route: ctx.route, path: ctx.path, ip: ctx.ip }, undefined);
    if (decision === null) return undefined;
    const blocking = enforce && decision.verdict === 'blocked';
    if (!blocking) {
      const last = this.userReports.peek(dedupeKey, now);
      if (last !== undefined && now - last < dedupeMs) return undefined;
      this.userReports.set(dedupeKey, now, now);
    }
    const event = this.agent.report(finding, ctx, undefined, undefined);
    if (!blocking || event === undefined || event.verdict !== 'blocked') return undefined;
    return { event, status, retryAfterSeconds: retry };
  }

  // ---- attack waves ----------------------------------------------------------------

  private readonly onEvent = (event: SecurityEvent): void => {
    const cfg = this.cfg;
    const wave = cfg?.attackWave;
    const ip = event.sourceIp;
    if (cfg === undefined || wave === undefined || ip === undefined || !SINK_RULES.has(event.rule) || event.verdict === 'allowlisted') return;
    if (this.agent.policy.ipAllow.matches(ip)) return;
    const current = requestStorage.getStore();
    const ctx = current !== undefined && current.ip === ip ? current : undefined;
    const key = `${cfg.keyPrefix}aw:${ip}`;
    const redis = this.redis;
    if (redis !== undefined && redis.available) {
      redis.incr(key, wave.windowMs, 1).then((sample) => this.waveCount(ip, Math.round(slidingCount(sample)), ctx), noop);
      return;
    }
    // Memory store, or Redis unavailable: count in this process.
    this.waveCount(ip, Math.round(slidingCount(this.memory.incrSync(key, wave.windowMs, 1))), ctx);
  };

  private waveCount(ip: string, count: number, ctx: RequestContext | undefined): void {
    try {
      const cfg = this.cfg;
      const wave = cfg?.attackWave;
      if (cfg === undefined || wave === undefined || count < wave.findings || this.profiles === undefined) return;
      const now = Date.now();
      let profile = this.profiles.peek(ip, now);
      if (profile === undefined) {
        profile = new Profile();
        this.profiles.set(ip, profile, now);
      }
      if (profile.blockedUntil > now || !profile.firstReport(R_WAVE, now, wave.windowMs)) return;
      const blockSeconds = seconds(wave.blockMs);
      const finding: Finding = {
        rule: 'ip_blocklist',
        threatLevel: 'high',
        confidence: 0.9,
        description: `attack wave: ${count} findings from ${ip} within ${seconds(wave.windowMs)} s; the IP goes on the temporary block list for ${blockSeconds} s when ip_blocklist blocks`,
        detail: { ip, findings: count, windowSeconds: seconds(wave.windowMs), blockSeconds, anomaly: 'attack_wave' },
      };
      const event = this.agent.report(finding, ctx, undefined, undefined);
      if (event?.verdict === 'blocked') this.tempBlock(ip, profile, 'ip_blocklist', wave.blockMs, 'attack wave', now);
    } catch (err) {
      this.agent.guard.report('behavior', err);
    }
  }

  // ---- configuration -----------------------------------------------------------------

  private configure(policy: Policy): void {
    this.policy = policy;
    const cfg = compileBehavior(policy);
    this.cfg = cfg;
    this.benignHeaders.clear();
    const limits = cfg.ipLimits.length + cfg.userLimits.length;
    const keys = cfg.maxProfiles * (limits + 2);
    if (this.profiles === undefined) this.profiles = new LruMap(cfg.maxProfiles, cfg.profileTtlMs);
    else {
      this.profiles.maxSize = cfg.maxProfiles;
      this.profiles.maxAgeMs = cfg.profileTtlMs;
      this.profiles.trim();
    }
    const maxWindow = Math.max(60_000, ...cfg.ipLimits.map((l) => 2 * l.windowMs), ...cfg.userLimits.map((l) => 2 * l.windowMs), 2 * (cfg.attackWave?.windowMs ?? 0), cfg.attackWave?.blockMs ?? 0, cfg.scannerBlockMs);
    this.memory.resize(keys, maxWindow);
    for (const lru of [this.mirrors, this.userReports] as LruMap<string, unknown>[]) {
      lru.maxSize = keys;
      lru.maxAgeMs = maxWindow;
      lru.trim();
    }
    this.configureStore(cfg);
    if (cfg.attackWave !== undefined && this.unsubscribe === undefined) this.unsubscribe = this.agent.events.onEvent(this.onEvent);
  }

  private configureStore(cfg: BehaviorConfig): void {
    const wantsRedis = cfg.store === 'redis' && (cfg.profiles || cfg.userLimits.length > 0);
    const identity = wantsRedis ? `${cfg.redisUrl ?? ''}|${cfg.redisTimeoutMs}` : '';
    if (identity === this.redisIdentity) return;
    this.redisIdentity = identity;
    if (this.redis !== undefined) {
      this.redis.close().catch(noop);
      this.redis = undefined;
      this.mirrors.clear();
      this.dirty = [];
    }
    if (!wantsRedis) return;
    if (cfg.redisUrl === undefined) {
      this.agent.logger.error('vigil: behavior.store is redis but there is no behavior.redisUrl nor VIGIL_REDIS_URL; counting in this process');
      return;
    }
    try {
      this.redis = new RedisStore(cfg.redisUrl, { timeoutMs: cfg.redisTimeoutMs, onError: (err) => this.agent.guard.report('behavior.redis', err) });
    } catch (err) {
      this.agent.guard.report('behavior.redis', err);
      this.agent.logger.error({ err: (err as Error).message }, 'vigil: Redis store unavailable; counting in this process');
    }
  }

  private state(ctx: RequestContext): RequestState {
    let state = this.requests.get(ctx);
    if (state === undefined) {
      state = {};
      this.requests.set(ctx, state);
    }
    return state;
  }

  // ---- introspection and shutdown ------------------------------------------------------

  /** What the layer knows about a client IP (tests, debugging). */
  profile(ip: string): ProfileSnapshot | undefined {
    const p = this.profiles?.peek(ip);
    if (p === undefined) return undefined;
    return { requests: p.requests, blockedUntil: p.blockedUntil, blockRule: p.blockRule, distinctPaths: p.paths?.estimate() ?? 0, distinctUserAgents: p.agents?.estimate() ?? 0 };
  }

  /** How many client profiles are held (bounded by behavior.maxProfiles). */
  get profileCount(): number {
    return this.profiles?.size ?? 0;
  }

  /** Puts an IP on the temporary block list (rule ip_blocklist) for `seconds`. */
  blockIp(ip: string, seconds: number, reason = 'blocked by the app'): void {
    this.config();
    const now = Date.now();
    const profiles = this.profiles as LruMap<string, Profile>;
    let profile = profiles.get(ip, now);
    if (profile === undefined) {
      profile = new Profile();
      profiles.set(ip, profile, now);
    }
    this.tempBlock(ip, profile, 'ip_blocklist', seconds * 1000, reason, now);
  }

  /** Closes the Redis connection and stops listening to events. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    const redis = this.redis;
    this.redis = undefined;
    this.redisIdentity = '';
    this.policy = undefined;
    if (redis !== undefined) await redis.close();
  }
}

/** A block-list flag is `rule|reason`. */
function applyFlag(profile: Profile, value: string, until: number): void {
  const bar = value.indexOf('|');
  const rule = value.slice(0, bar === -1 ? undefined : bar);
  profile.blockedUntil = Math.max(profile.blockedUntil, until);
  profile.blockRule = rule === 'scanner' ? 'scanner' : 'ip_blocklist';
  profile.blockReason = bar === -1 ? '' : value.slice(bar + 1);
}

function blockFinding(rule: RuleId, threatLevel: Finding['threatLevel'], confidence: number, description: string, detail: Record<string, string | number | boolean>): Finding {
  return { rule, threatLevel, confidence, description, detail };
}

function rateFinding(limit: CompiledLimit, who: string, retryMs: number): Finding {
  return {
    rule: 'rate_limit',
    threatLevel: 'high',
    confidence: 1,
    description: `${who} exceeded the rate limit of ${limit.limit} requests per ${seconds(limit.windowMs)} s on ${limit.label}`,
    detail: { limit: limit.limit, windowSeconds: seconds(limit.windowMs), scope: limit.label, by: limit.by, retryAfterSeconds: Math.ceil(retryMs / 1000) },
  };
}

function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

function noop(): void {}

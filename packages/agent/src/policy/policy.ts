import { IpMatcher } from '../context/ip.js';
import { THREAT_LEVELS } from '../detectors/types.js';
import type { Finding, RuleId, ThreatLevel } from '../detectors/types.js';
import { normaliseRules } from './schema.js';
import type { AllowlistEntry, Mode, PolicyFile, RulePolicy } from './schema.js';

/** Facts about the operation and request that allowlist entries can match. */
export interface MatchFacts {
  route?: string;
  path?: string;
  ip?: string;
  sqlShape?: string;
  callSite?: string;
  command?: string;
  filePath?: string;
  host?: string;
}

export interface Decision {
  verdict: 'detected' | 'blocked' | 'allowlisted';
  mode: Mode;
  allowlistEntry?: AllowlistEntry;
}

/**
 * Rules that are not blocked by default even in block mode: they are
 * lower-confidence signals. Users raise them per rule in the policy.
 */
const MONITOR_BY_DEFAULT: ReadonlySet<RuleId> = new Set<RuleId>(['sql_structure', 'shell_option_injection', 'request_pattern', 'scanner']);

const level = (t: ThreatLevel): number => THREAT_LEVELS.indexOf(t);

interface CompiledEntry {
  entry: AllowlistEntry;
  route?: RegExp;
  ip?: IpMatcher;
  input?: RegExp;
}

/** Whether a policy has rules for the behaviour layer: `behavior` (limits, scanner profiles), pattern sensors, denied users. */
export function hasBehaviorRules(file: PolicyFile): boolean {
  return file.behavior !== undefined || file.sensors?.patterns === true || (file.users?.deny?.length ?? 0) > 0;
}

/** The policy in force, compiled for fast decisions. Immutable: a reload builds a new one. */
export class Policy {
  readonly mode: Mode;
  readonly blockThreshold: ThreatLevel;
  readonly blockConfidence: number;
  readonly rules: Partial<Record<RuleId, RulePolicy>>;
  readonly trustedProxies: IpMatcher;
  readonly ipAllow: IpMatcher;
  readonly ipDeny: IpMatcher;
  /**
   * Whether the request-level layer has anything to do: IP lists, behaviour
   * limits, pattern sensors or denied users. Without, it is not even loaded.
   */
  readonly requestRules: boolean;
  readonly maxPayloadLogSize: number;
  readonly enableStackTraces: boolean;
  readonly responseHeaders: Record<string, string>;
  readonly allowlist: readonly CompiledEntry[];
  readonly loadedAt = Date.now();

  constructor(
    readonly file: PolicyFile,
    overrides: { mode?: Mode; trustedProxies?: string[] } = {},
    readonly source?: string,
  ) {
    this.mode = overrides.mode ?? file.mode ?? 'monitor';
    this.blockThreshold = file.blockThreshold ?? 'high';
    this.blockConfidence = file.blockConfidence ?? 0.75;
    this.rules = normaliseRules(file.rules);
    this.trustedProxies = new IpMatcher([...(file.trustedProxies ?? []), ...(overrides.trustedProxies ?? [])]);
    this.ipAllow = new IpMatcher(file.ipLists?.allow);
    this.ipDeny = new IpMatcher(file.ipLists?.deny);
    this.requestRules = this.ipAllow.size > 0 || this.ipDeny.size > 0 || hasBehaviorRules(file);
    this.maxPayloadLogSize = file.maxPayloadLogSize ?? 1024;
    this.enableStackTraces = file.enableStackTraces ?? false;
    this.responseHeaders = file.responseHeaders ?? {};
    this.allowlist = (file.allowlist ?? []).map(compileEntry);
  }

  /** The mode a rule runs in. `off` globally turns everything off. */
  modeFor(rule: RuleId): Mode {
    if (this.mode === 'off') return 'off';
    const explicit = this.rules[rule]?.mode;
    if (explicit !== undefined) return explicit;
    if (this.mode === 'block' && MONITOR_BY_DEFAULT.has(rule)) return 'monitor';
    return this.mode;
  }

  get enabled(): boolean {
    return this.mode !== 'off';
  }

  decide(finding: Finding, facts: MatchFacts, inputPath: string | undefined): Decision | null {
    const mode = this.modeFor(finding.rule);
    if (mode === 'off') return null;
    const entry = this.allowlisted(finding.rule, facts, inputPath);
    if (entry !== undefined) return { verdict: 'allowlisted', mode, allowlistEntry: entry };
    if (mode !== 'block') return { verdict: 'detected', mode };
    const rule = this.rules[finding.rule];
    const threshold = rule?.blockThreshold ?? this.blockThreshold;
    // A rule the policy puts in block by name is trusted down to 0.5 unless it says otherwise.
    const minConfidence = rule?.blockConfidence ?? (rule?.mode === 'block' ? Math.min(0.5, this.blockConfidence) : this.blockConfidence);
    const blocks = level(finding.threatLevel) >= level(threshold) && finding.confidence >= minConfidence;
    return { verdict: blocks ? 'blocked' : 'detected', mode };
  }

  allowlisted(rule: RuleId, facts: MatchFacts, inputPath: string | undefined): AllowlistEntry | undefined {
    for (const c of this.allowlist) {
      const e = c.entry;
      if (e.rule !== undefined && e.rule !== '*' && e.rule !== rule) continue;
      if (c.route !== undefined && !(c.route.test(facts.route ?? '') || c.route.test(facts.path ?? ''))) continue;
      if (c.ip !== undefined && !c.ip.matches(facts.ip)) continue;
      if (c.input !== undefined && !(inputPath !== undefined && c.input.test(inputPath))) continue;
      if (e.sqlShape !== undefined && e.sqlShape !== facts.sqlShape) continue;
      if (e.callSite !== undefined && !(facts.callSite ?? '').endsWith(e.callSite)) continue;
      if (e.command !== undefined && e.command !== facts.command) continue;
      if (e.path !== undefined && !isInside(facts.filePath, e.path)) continue;
      if (e.host !== undefined && e.host.toLowerCase() !== (facts.host ?? '').toLowerCase()) continue;
      return e;
    }
    return undefined;
  }

  allowlistCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const c of this.allowlist) {
      const rule = c.entry.rule ?? '*';
      counts.set(rule, (counts.get(rule) ?? 0) + 1);
    }
    return counts;
  }
}

function compileEntry(entry: AllowlistEntry): CompiledEntry {
  const c: CompiledEntry = { entry };
  if (entry.route !== undefined) c.route = globToRegExp(entry.route, '/');
  if (entry.ip !== undefined) c.ip = new IpMatcher([entry.ip]);
  if (entry.input !== undefined) c.input = globToRegExp(entry.input, '.');
  return c;
}

/** `*` matches within one segment, `**` across segments; anything else is literal. */
export function globToRegExp(glob: string, separator: '/' | '.'): RegExp {
  const sep = separator === '/' ? '/' : '\\.';
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else {
        re += `[^${sep}]*`;
      }
    } else {
      re += ch.replace(/[.+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(re + '$');
}

function isInside(path: string | undefined, dir: string): boolean {
  if (path === undefined) return false;
  const base = dir.endsWith('/') ? dir : dir + '/';
  return path === dir || path.startsWith(base);
}

import { MODES } from '../policy/schema.js';
import type { Mode, PolicyFile } from '../policy/schema.js';

/** Options for `start()`. Every one has an environment variable (DESIGN.md). */
export interface VigilOptions {
  /** VIGIL_MODE: off | monitor (default) | block | learn. Overrides the policy file's global mode. */
  mode?: Mode;
  /** VIGIL_POLICY: path to a YAML or JSON policy file (hot-reloaded), or a policy object. */
  policy?: string | PolicyFile;
  /** VIGIL_EVENTS_FILE: append one JSON event per line. */
  eventsFile?: string;
  /** VIGIL_LOG_LEVEL: fatal | error | warn | info (default) | debug | trace | silent. */
  logLevel?: string;
  /** VIGIL_METRICS_PORT: serve Prometheus metrics on 127.0.0.1:<port>/metrics. */
  metricsPort?: number;
  /** VIGIL_BASELINE: JSON file of learned SQL shapes per call site. */
  baselineFile?: string;
  /** VIGIL_TRUSTED_PROXIES: comma-separated IPs/CIDRs added to the policy's trustedProxies. */
  trustedProxies?: string[];
  /** VIGIL_SERVICE: the service name put on events (default: package name or script). */
  service?: string;
  /** VIGIL_POLICY_POLL_MS: how often the policy file is checked for changes (default 1000). */
  policyPollMs?: number;
}

export interface ResolvedConfig {
  mode: Mode | undefined;
  policy: string | PolicyFile | undefined;
  eventsFile: string | undefined;
  logLevel: string | undefined;
  metricsPort: number | undefined;
  baselineFile: string | undefined;
  trustedProxies: string[];
  service: string | undefined;
  policyPollMs: number;
  /** Problems with the environment, reported once the logger exists. */
  warnings: string[];
}

export function resolveConfig(options: VigilOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const warnings: string[] = [];
  let mode = options.mode;
  const envMode = env.VIGIL_MODE?.trim().toLowerCase();
  if (mode === undefined && envMode) {
    if ((MODES as readonly string[]).includes(envMode)) mode = envMode as Mode;
    else warnings.push(`VIGIL_MODE=${envMode} is not one of ${MODES.join(', ')}; using the policy's mode`);
  }
  let metricsPort = options.metricsPort;
  if (metricsPort === undefined && env.VIGIL_METRICS_PORT) {
    const n = Number(env.VIGIL_METRICS_PORT);
    if (Number.isInteger(n) && n >= 0 && n < 65536) metricsPort = n;
    else warnings.push(`VIGIL_METRICS_PORT=${env.VIGIL_METRICS_PORT} is not a port number; metrics endpoint off`);
  }
  const proxies = options.trustedProxies ?? (env.VIGIL_TRUSTED_PROXIES ? env.VIGIL_TRUSTED_PROXIES.split(',').map((s) => s.trim()).filter(Boolean) : []);
  const poll = Number(options.policyPollMs ?? env.VIGIL_POLICY_POLL_MS ?? 1000);
  return {
    mode,
    policy: options.policy ?? (env.VIGIL_POLICY || undefined),
    eventsFile: options.eventsFile ?? (env.VIGIL_EVENTS_FILE || undefined),
    logLevel: options.logLevel ?? (env.VIGIL_LOG_LEVEL || undefined),
    metricsPort,
    baselineFile: options.baselineFile ?? (env.VIGIL_BASELINE || undefined),
    trustedProxies: proxies,
    service: options.service ?? (env.VIGIL_SERVICE || undefined),
    policyPollMs: Number.isFinite(poll) && poll >= 50 ? poll : 1000,
    warnings,
  };
}

import type { RequestContext } from '../context/request-context.js';
import type { Agent } from '../core/agent.js';

/** What the request-level layer decided before the app sees a request. */
export type Admission =
  | { action: 'allow' }
  | { action: 'block'; status: 403 | 429; rule: 'rate_limit' | 'scanner' | 'ip_blocklist' | 'request_pattern'; retryAfterSeconds?: number; description: string };

export const ALLOW: Admission = Object.freeze({ action: 'allow' });

/**
 * The request-level layer (IP lists, rate limits, scanner and anomaly
 * detection, pattern sensors). The http source asks `admit` before the app
 * runs and reports `finished` when the response is done.
 */
export class Behavior {
  constructor(readonly agent: Agent) {}

  /** Called for every request before the app's listener runs. Must be cheap and never throw. */
  admit(ctx: RequestContext): Admission {
    const policy = this.agent.policy;
    const ip = ctx.ip;
    if (policy.ipAllow.size > 0 && policy.ipAllow.matches(ip)) return ALLOW;
    if (policy.ipDeny.size > 0 && policy.ipDeny.matches(ip)) {
      return { action: 'block', status: 403, rule: 'ip_blocklist', description: `client ${ip ?? 'unknown'} is on the policy's IP deny list` };
    }
    return ALLOW;
  }

  /** Called once the response has been sent (status known). */
  finished(_ctx: RequestContext, _status: number): void {}
}

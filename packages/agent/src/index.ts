import type { IncomingMessage } from 'node:http';
import { Agent, currentAgent, setCurrentAgent } from './core/agent.js';
import type { VigilOptions } from './core/config.js';
import { RequestContext, attachedContext, currentContext, requestStorage } from './context/request-context.js';
import type { RequestUser } from './context/request-context.js';
import { BUILTIN_PATCHERS, MODULE_SINKS } from './sinks/index.js';
import type { SecurityEvent } from './events/types.js';

export { VigilBlockedError, PolicyError } from './core/errors.js';
export type { VigilOptions } from './core/config.js';
export type { SecurityEvent, Verdict } from './events/types.js';
export type { PolicyFile, AllowlistEntry, RulePolicy, Mode } from './policy/schema.js';
export type { RuleId, ThreatLevel, Finding, UserInput, InputSource } from './detectors/types.js';
export type { RequestUser } from './context/request-context.js';
export type { Agent } from './core/agent.js';

/**
 * Starts Vigil in this process: loads the policy, patches built-ins and hooks
 * modules loaded from now on. Call it first, before the app requires its
 * framework and drivers. Calling it again (or from a second copy of the
 * package) returns the running agent and installs nothing twice.
 */
export function start(options?: VigilOptions): Agent {
  const existing = currentAgent();
  if (existing !== undefined) return existing;
  const agent = new Agent(options);
  setCurrentAgent(agent);
  // VIGIL_MODE=off is the kill switch: nothing is patched at all.
  if (agent.config.mode === 'off') {
    agent.logger.info('vigil: mode off; no hooks installed');
    return agent;
  }
  agent.install(BUILTIN_PATCHERS, MODULE_SINKS);
  return agent;
}

export function getAgent(): Agent | undefined {
  return currentAgent();
}

/** Attaches the signed-in user to a request (for events, per-user limits). */
export function setUser(reqOrUser: IncomingMessage | RequestUser, user?: RequestUser): void {
  const ctx = user === undefined ? currentContext() : (attachedContext(reqOrUser) ?? currentContext());
  const u = user ?? (reqOrUser as RequestUser);
  if (ctx === undefined || u === null || typeof u !== 'object' || u.id === undefined || u.id === null) return;
  ctx.user = { id: String(u.id), ...(u.name !== undefined ? { name: String(u.name) } : {}) };
  // A user on the deny list or over a per-user limit: in block mode this answers the request and throws.
  const agent = currentAgent();
  if (agent?.requestRules === true) agent.behavior.enforceUser(ctx);
}

/**
 * Runs `fn` with an explicit request context: for work that does not come
 * through an http server Vigil sees (a queue consumer, a test).
 */
export function withContext<T>(req: IncomingMessage, fn: () => T): T {
  const agent = currentAgent();
  if (agent === undefined) return fn();
  const ctx = new RequestContext(req, undefined, agent.policy.trustedProxies);
  return requestStorage.run(ctx, fn);
}

/** Prometheus text of Vigil's own registry. */
export async function getMetrics(): Promise<string> {
  const agent = currentAgent();
  return agent === undefined ? '' : agent.metrics.text();
}

/** Subscribes to security events in this process. Returns the unsubscribe function. */
export function onEvent(listener: (event: SecurityEvent) => void): () => void {
  const agent = currentAgent();
  if (agent === undefined) return () => undefined;
  return agent.events.onEvent(listener);
}

/** Re-reads the policy file now (it is also re-read when it changes). */
export function reloadPolicy(): boolean {
  return currentAgent()?.reloadPolicy() ?? false;
}

/** Request id of the request being served, if any. */
export function currentRequestId(): string | undefined {
  return currentContext()?.id;
}

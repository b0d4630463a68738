import { kBlockedError } from './symbols.js';
import type { RuleId } from '../detectors/types.js';

/**
 * Thrown (or handed to the callback, or used to reject) by a sink when the
 * policy blocks the operation. The operation never ran.
 * `instanceof` works across duplicate copies of @vigil/agent.
 */
export class VigilBlockedError extends Error {
  readonly code = 'VIGIL_BLOCKED';
  /** Framework error handlers (Express, Koa, Fastify) read these: a block is a 403 to expose, not a 500 to log. */
  readonly status = 403;
  readonly statusCode = 403;
  readonly expose = true;
  readonly rule: RuleId;
  readonly requestId: string | undefined;
  readonly eventId: string;

  constructor(rule: RuleId, eventId: string, requestId: string | undefined, description: string) {
    super(`Vigil blocked ${rule}: ${description}`);
    this.name = 'VigilBlockedError';
    this.rule = rule;
    this.eventId = eventId;
    this.requestId = requestId;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kBlockedError] === true;
  }
}
Object.defineProperty(VigilBlockedError.prototype, kBlockedError, { value: true });

/** A policy file that could not be used, with where and why. */
export class PolicyError extends Error {
  readonly code = 'VIGIL_POLICY_INVALID';
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly reason: string;

  constructor(reason: string, file?: string, line?: number) {
    super(`${file ?? 'policy'}${line !== undefined ? `:${line}` : ''}: ${reason}`);
    this.name = 'PolicyError';
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

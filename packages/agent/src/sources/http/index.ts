import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { kContext } from '../../core/symbols.js';
import { VigilBlockedError } from '../../core/errors.js';
import { respondBlocked } from './respond.js';
import { RequestContext, requestStorage } from '../../context/request-context.js';
import { wrapMethod } from '../../hooks/wrap.js';
import type { Agent, BuiltinPatcher } from '../../core/agent.js';

const kInternalServer = Symbol.for('vigil.internalServer');

/**
 * The source every framework stands on: each 'request' a node http/https
 * server emits runs inside a RequestContext in AsyncLocalStorage, so whatever
 * the handler calls later, across awaits, timers and callbacks, knows its request.
 */
export const httpSource: BuiltinPatcher = {
  name: 'http-source',
  install(agent: Agent) {
    for (const proto of [http.Server.prototype, https.Server.prototype]) {
      wrapMethod(proto, 'emit', (original) =>
        function emitWithContext(this: unknown, event: string | symbol, ...args: unknown[]) {
          if (event !== 'request' || !agent.active || (this as Record<symbol, unknown>)[kInternalServer]) {
            return original.call(this, event, ...args);
          }
          const req = args[0] as IncomingMessage;
          const res = args[1] as ServerResponse;
          let ctx: RequestContext;
          try {
            ctx = new RequestContext(req, res, agent.policy.trustedProxies);
            Object.defineProperty(req, kContext, { value: ctx, configurable: true });
            res.once('close', () => {
              agent.prototypeGuard.check(ctx);
              agent.behavior.finished(ctx, res.statusCode);
            });
            bindEmitter(req, ctx);
          } catch (err) {
            agent.guard.report('source.http', err);
            return original.call(this, event, ...args);
          }
          if (admitted(agent, ctx) === false) return true;
          try {
            return requestStorage.run(ctx, () => original.call(this, event, ...args));
          } catch (err) {
            // A block thrown straight out of a request listener: the 403 is
            // already on the wire; do not let it become an uncaught exception.
            if (ctx.blocked && err instanceof VigilBlockedError) return true;
            throw err;
          }
        },
      );
    }
  },
};

/**
 * Body chunks arrive from the connection's socket, whose async context is the
 * connection's, not the request's: a handler reading `req.on('data')` /
 * `req.on('end')` itself would lose its request. Emitting the request's own
 * events inside its context keeps it.
 */
function bindEmitter(req: IncomingMessage, ctx: RequestContext): void {
  const emit = req.emit;
  req.emit = function emitInContext(this: IncomingMessage, ...args: Parameters<IncomingMessage['emit']>) {
    return requestStorage.getStore() === ctx ? emit.apply(this, args) : requestStorage.run(ctx, () => emit.apply(this, args));
  } as IncomingMessage['emit'];
}

/** The request-level layer's say before the app runs: false when Vigil answered the request itself. */
function admitted(agent: Agent, ctx: RequestContext): boolean {
  try {
    const admission = agent.behavior.admit(ctx);
    if (admission.action === 'allow') return true;
    const event = agent.report({ rule: admission.rule, threatLevel: 'medium', confidence: 1, description: admission.description }, ctx, undefined, undefined);
    if (event?.verdict !== 'blocked') return true;
    ctx.blocked = true;
    const headers = admission.retryAfterSeconds !== undefined ? { ...agent.policy.responseHeaders, 'retry-after': String(admission.retryAfterSeconds) } : agent.policy.responseHeaders;
    respondBlocked(ctx, headers, admission.status);
    return false;
  } catch (err) {
    agent.guard.report('behavior', err);
    return true;
  }
}

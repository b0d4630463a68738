import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { kContext } from '../../core/symbols.js';
import { VigilBlockedError } from '../../core/errors.js';
import { respondBlocked } from './respond.js';
import { RequestContext, requestStorage } from '../../context/request-context.js';
import type { StreamBodyKind } from '../../context/request-context.js';
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
  const kind = streamBodyKind(req);
  if (kind === undefined) {
    req.emit = function emitInContext(this: IncomingMessage, ...args: Parameters<IncomingMessage['emit']>) {
      return requestStorage.getStore() === ctx ? emit.apply(this, args) : requestStorage.run(ctx, () => emit.apply(this, args));
    } as IncomingMessage['emit'];
    return;
  }
  // A body the app reads itself (no framework leaves it parsed on req):
  // keep a copy of the chunks as they are read, without consuming them.
  ctx.teeBody(kind, STREAM_BODY_LIMIT);
  req.emit = function emitInContextTeed(this: IncomingMessage, ...args: Parameters<IncomingMessage['emit']>) {
    const event = args[0];
    if (event === 'data') ctx.bodyChunk(args[1]);
    else if (event === 'end') ctx.bodyEnd();
    return requestStorage.getStore() === ctx ? emit.apply(this, args) : requestStorage.run(ctx, () => emit.apply(this, args));
  } as IncomingMessage['emit'];
}

/** Bodies larger than this are not copied; the app's parsed body (when a framework leaves one) still counts. */
const STREAM_BODY_LIMIT = 256 * 1024;

/** Whether the request's body is worth copying as the app reads it, and how to parse it. */
function streamBodyKind(req: IncomingMessage): StreamBodyKind | undefined {
  const type = req.headers['content-type'];
  if (type === undefined) return undefined;
  const length = req.headers['content-length'];
  if (length !== undefined && !(Number(length) > 0 && Number(length) <= STREAM_BODY_LIMIT)) return undefined;
  if (length === undefined && req.headers['transfer-encoding'] === undefined) return undefined;
  const mime = type.split(';', 1)[0]!.trim().toLowerCase();
  if (mime === 'application/json' || mime.endsWith('+json')) return 'json';
  if (mime === 'application/x-www-form-urlencoded') return 'form';
  if (mime === 'text/plain') return 'text';
  return undefined;
}

/** The request-level layer's say before the app runs: false when Vigil answered the request itself. */
function admitted(agent: Agent, ctx: RequestContext): boolean {
  try {
    const admission = agent.behavior.admit(ctx);
    if (admission.action === 'allow') return true;
    const event = agent.report(admission.finding ?? { rule: admission.rule, threatLevel: 'high', confidence: 1, description: admission.description }, ctx, undefined, undefined);
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

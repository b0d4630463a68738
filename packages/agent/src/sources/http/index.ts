import http from 'node:http';
import https from 'node:https';
import { IncomingMessage } from 'node:http';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { VigilBlockedError } from '../../core/errors.js';
import { respondBlocked } from './respond.js';
import { RequestContext, attachContext, attachedContext, copyingBodies, requestStorage } from '../../context/request-context.js';
import type { StreamBodyKind } from '../../context/request-context.js';
import { wrapMethod } from '../../hooks/wrap.js';
import type { AnyFunction } from '../../hooks/wrap.js';
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
    // One listener function for every response: no closure per request.
    const onResponseClose = function (this: ServerResponse): void {
      const ctx = attachedContext(this);
      if (ctx === undefined) return;
      ctx.closed();
      agent.prototypeGuard.check(ctx);
      if (agent.requestRules && agent.behavior.watching) agent.behavior.finished(ctx, this.statusCode);
    };
    for (const proto of [http.Server.prototype, https.Server.prototype]) {
      wrapMethod(proto, 'emit', (original) =>
        function emitWithContext(this: unknown, event: string | symbol, req?: IncomingMessage, res?: ServerResponse) {
          if (event !== 'request' || !agent.active || (this as Record<symbol, unknown>)[kInternalServer] || req === undefined || res === undefined) {
            // eslint-disable-next-line prefer-rest-params
            return original.apply(this, arguments as unknown as unknown[]);
          }
          let ctx: RequestContext;
          try {
            ctx = new RequestContext(req, res, agent.policy.trustedProxies);
            attachContext(req, ctx, res);
            res.on('close', onResponseClose);
            const kind = streamBodyKind(req);
            if (kind !== undefined) ctx.teeBody(kind, STREAM_BODY_LIMIT);
          } catch (err) {
            agent.guard.report('source.http', err);
            // eslint-disable-next-line prefer-rest-params
            return original.apply(this, arguments as unknown as unknown[]);
          }
          if (agent.requestRules && admitted(agent, ctx) === false) return true;
          try {
            return requestStorage.run(ctx, emitRequest, original, this, req, res);
          } catch (err) {
            // A block thrown straight out of a request listener: the 403 is
            // already on the wire; do not let it become an uncaught exception.
            if (ctx.blocked && err instanceof VigilBlockedError) return true;
            throw err;
          }
        },
      );
    }
    bindRequestEvents();
  },
};

function emitRequest(original: AnyFunction, server: unknown, req: IncomingMessage, res: ServerResponse): unknown {
  return original.call(server, 'request', req, res);
}

/**
 * Body chunks arrive from the connection's socket, whose async context is the
 * connection's, not the request's: a handler reading `req.on('data')` /
 * `req.on('end')` itself would lose its request. A served request's own
 * events are emitted inside its context; while the app reads a body no
 * framework leaves parsed on req, a copy of the chunks is kept, without
 * consuming them. Patched once on the prototype, so no request pays for a
 * closure; messages that are no served request (client responses) pass through.
 */
function bindRequestEvents(): void {
  wrapMethod(IncomingMessage.prototype, 'emit', (original) =>
    function emitInRequestContext(this: IncomingMessage, event: string | symbol) {
      // Only the stream's data and end-of-life events carry the app's body handling;
      // the rest ('resume', 'pause', 'pipe' …) pass untouched, without a read of `this`.
      // eslint-disable-next-line prefer-rest-params
      if (!isBodyEvent(event)) return original.apply(this, arguments as unknown as unknown[]);
      const listened = appListens(this, event);
      // Nobody listens and no body is being copied (the 'end' and 'close' of most GETs): nothing here can need its request.
      // eslint-disable-next-line prefer-rest-params
      if (!listened && (!copyingBodies() || (event !== 'data' && event !== 'end'))) return original.apply(this, arguments as unknown as unknown[]);
      const ctx = attachedContext(this);
      // eslint-disable-next-line prefer-rest-params
      if (ctx === undefined) return original.apply(this, arguments as unknown as unknown[]);
      if (ctx.teeing) {
        // eslint-disable-next-line prefer-rest-params
        if (event === 'data') ctx.bodyChunk(arguments[1]);
        else if (event === 'end') ctx.bodyEnd();
      }
      // eslint-disable-next-line prefer-rest-params
      if (!listened || requestStorage.getStore() === ctx) return original.apply(this, arguments as unknown as unknown[]);
      // eslint-disable-next-line prefer-rest-params
      return requestStorage.run(ctx, applyEmit, original, this, arguments);
    },
  );
}

/** The events that carry a request's body handling: compared directly (interned strings), cheaper than a Set lookup. */
function isBodyEvent(event: string | symbol): event is string {
  return event === 'data' || event === 'end' || event === 'readable' || event === 'error' || event === 'close' || event === 'aborted';
}
// From the prototype once: `req.listenerCount` is a slow lookup on request objects whose prototype a framework replaced.
const listenerCount = EventEmitter.prototype.listenerCount;

/**
 * Whether anything but Node itself listens for `event`. When a response ends
 * before its request was read to the end (most GETs), Node's http server adds
 * its own `clearIncoming` on 'end'; running that in the request's context
 * would cost a context switch per request and serve no one.
 */
function appListens(req: IncomingMessage, event: string): boolean {
  const count = listenerCount.call(req, event);
  if (count !== 1 || event !== 'end') return count > 0;
  const only = (req as unknown as { _events?: Record<string, unknown> })._events?.end;
  return typeof only !== 'function' || only.name !== 'clearIncoming';
}

function applyEmit(original: AnyFunction, target: IncomingMessage, args: IArguments): unknown {
  return original.apply(target, args as unknown as unknown[]);
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

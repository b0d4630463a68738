import http from 'node:http';
import https from 'node:https';
import { IncomingMessage, ServerResponse } from 'node:http';
import { VigilBlockedError } from '../../core/errors.js';
import { respondBlocked } from './respond.js';
import { RequestContext, attachContext, attachedContext, copyingBodies, detachRequest, detachResponse, requestStorage } from '../../context/request-context.js';
import type { StreamBodyKind } from '../../context/request-context.js';
import { wrapMethod } from '../../hooks/wrap.js';
import type { AnyFunction } from '../../hooks/wrap.js';
import type { Agent, BuiltinPatcher } from '../../core/agent.js';

/** Vigil's own servers (the metrics endpoint): their requests are no app requests. */
const internalServers = new WeakSet<object>();
let internalServerCount = 0;

/** Marks a server Vigil itself runs: no context, no checks for what it serves. */
export function markInternalServer(server: object): void {
  internalServers.add(server);
  internalServerCount++;
}

function isInternalServer(server: unknown): boolean {
  // Almost every process runs none: then no lookup at all.
  return internalServerCount !== 0 && internalServers.has(server as object);
}

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
        function emitWithContext(this: unknown, event: string | symbol, req?: IncomingMessage, res?: ServerResponse) {
          if (event !== 'request' || !agent.active || req === undefined || res === undefined || isInternalServer(this)) {
            // eslint-disable-next-line prefer-rest-params
            return original.apply(this, arguments as unknown as unknown[]);
          }
          let ctx: RequestContext;
          try {
            ctx = new RequestContext(req, res, agent.policy.trustedProxies);
            attachContext(req, res, ctx);
            const kind = streamBodyKind(ctx);
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
    bindRequestEvents(agent);
    bindResponseClose(agent);
  },
};

/**
 * A served request is over when its response closes: its context is detached,
 * a body copy still running is dropped, and the request-end checks run. Seen in the
 * response's emit (patched once on the prototype) rather than by a 'close'
 * listener on each response: adding a listener to every response costs more
 * than a comparison in each of the few events a response emits. Runs before
 * the app's own 'close' listeners, as a listener added at 'request' would.
 */
function bindResponseClose(agent: Agent): void {
  wrapMethod(ServerResponse.prototype, 'emit', (original) =>
    function emitResponseEvent(this: ServerResponse, event: string | symbol) {
      if (event === 'close') responseClosed(agent, this);
      // eslint-disable-next-line prefer-rest-params
      return original.apply(this, arguments as unknown as unknown[]);
    },
  );
}

function responseClosed(agent: Agent, res: ServerResponse): void {
  const ctx = attachedContext(res);
  if (ctx === undefined) return;
  try {
    detachResponse(ctx);
    // A request the app listens to stays attached until its own stream closes (its events may come later).
    if (!ctx.appListening) detachRequest(ctx);
    ctx.closed();
    agent.prototypeGuard.check(ctx);
    if (agent.requestRules && agent.behavior.watching) agent.behavior.finished(ctx, res.statusCode);
  } catch (err) {
    // In the response's emit: a throw here would reach whoever closed it.
    agent.guard.report('source.http', err);
  }
}

function emitRequest(original: AnyFunction, server: unknown, req: IncomingMessage, res: ServerResponse): unknown {
  return original.call(server, 'request', req, res);
}

/**
 * Body chunks arrive from the connection's socket, whose async context is the
 * connection's, not the request's: a handler reading `req.on('data')` /
 * `req.on('end')` itself would lose its request. The stream events of a served
 * request the app listens to are emitted inside its context; while the app
 * reads a body no framework leaves parsed on req, a copy of the chunks is
 * kept, without consuming them. Patched once on the prototype, so no request
 * pays for a closure; messages that are no served request (client responses)
 * pass through.
 *
 * Which requests the app listens to is noted when it adds a listener, not
 * looked up at each event: a read of a request a framework has reshaped is a
 * slow lookup, and most requests (a GET nobody reads) emit their events with
 * no app listener at all.
 */
function bindRequestEvents(agent: Agent): void {
  for (const method of ['on', 'addListener', 'prependListener'] as const) {
    wrapMethod(IncomingMessage.prototype, method, (original) =>
      function addRequestListener(this: IncomingMessage, event: string | symbol, listener: unknown) {
        try {
          noteAppListener(this, event, listener);
        } catch (err) {
          agent.guard.report('source.http', err);
        }
        // eslint-disable-next-line prefer-rest-params
        return original.apply(this, arguments as unknown as unknown[]);
      },
    );
  }
  wrapMethod(IncomingMessage.prototype, 'emit', (original) =>
    function emitInRequestContext(this: IncomingMessage, event: string | symbol) {
      // Only stream events carry the app's body handling ('pause', 'pipe' … pass untouched),
      // and only while some request is listened to or copied is there anything to look up.
      if (!isBodyEvent(event) || (requestsListened === 0 && (!copyingBodies() || (event !== 'data' && event !== 'end')))) {
        // eslint-disable-next-line prefer-rest-params
        return original.apply(this, arguments as unknown as unknown[]);
      }
      const ctx = attachedContext(this);
      // eslint-disable-next-line prefer-rest-params
      if (ctx === undefined) return original.apply(this, arguments as unknown as unknown[]);
      if (ctx.teeing) {
        // eslint-disable-next-line prefer-rest-params
        if (event === 'data') ctx.bodyChunk(arguments[1]);
        else if (event === 'end') ctx.bodyEnd();
      }
      if (!ctx.appListening) {
        // eslint-disable-next-line prefer-rest-params
        return original.apply(this, arguments as unknown as unknown[]);
      }
      try {
        // eslint-disable-next-line prefer-rest-params
        if (requestStorage.getStore() === ctx) return original.apply(this, arguments as unknown as unknown[]);
        // eslint-disable-next-line prefer-rest-params
        return requestStorage.run(ctx, applyEmit, original, this, arguments);
      } finally {
        // 'close' is a stream's last event.
        if (event === 'close') stopListening(ctx);
      }
    },
  );
}

/** Served requests in flight whose stream events the app listens to. */
let requestsListened = 0;

/** A listener added to a request's stream event, by anyone but Node itself, makes that request's events run in its context. */
function noteAppListener(req: IncomingMessage, event: string | symbol, listener: unknown): void {
  if (!isBodyEvent(event) || typeof listener !== 'function') return;
  // When a response ends before its request was read, Node's http server adds
  // its own 'end' listener; running it in context would serve no one.
  if (event === 'end' && listener.name === 'clearIncoming') return;
  // Most listeners are added inside their own request's context: found without a read of the request.
  let ctx = requestStorage.getStore();
  if (ctx === undefined || ctx.req !== req) ctx = attachedContext(req);
  if (ctx === undefined || ctx.appListening) return;
  ctx.appListening = true;
  requestsListened++;
}

/** The request's stream closed: its events are over, and once its response has closed too, the request is detached. */
function stopListening(ctx: RequestContext): void {
  if (!ctx.appListening) return;
  ctx.appListening = false;
  requestsListened--;
  if (!ctx.responseAttached) detachRequest(ctx);
}

/** The events that carry a request's body handling: compared directly (interned strings), cheaper than a Set lookup. */
function isBodyEvent(event: string | symbol): event is string {
  return event === 'data' || event === 'end' || event === 'readable' || event === 'error' || event === 'close' || event === 'aborted';
}

function applyEmit(original: AnyFunction, target: IncomingMessage, args: IArguments): unknown {
  return original.apply(target, args as unknown as unknown[]);
}

/** Bodies larger than this are not copied; the app's parsed body (when a framework leaves one) still counts. */
const STREAM_BODY_LIMIT = 256 * 1024;

/** Whether the request's body is worth copying as the app reads it, and how to parse it. */
function streamBodyKind(ctx: RequestContext): StreamBodyKind | undefined {
  // No length and no chunked encoding: no body (hasBody), nothing to copy.
  if (!ctx.hasBody) return undefined;
  const headers = ctx.headers;
  const type = headers['content-type'];
  if (type === undefined) return undefined;
  const length = headers['content-length'];
  if (length !== undefined && !(Number(length) > 0 && Number(length) <= STREAM_BODY_LIMIT)) return undefined;
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

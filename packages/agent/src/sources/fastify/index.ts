import type { IncomingMessage, ServerResponse } from 'node:http';
import { VigilBlockedError } from '../../core/errors.js';
import { wrapMethod } from '../../hooks/wrap.js';
import type { FrameworkView } from '../../context/request-context.js';
import type { ModuleSinkSpec } from '../../sinks/types.js';
import { attachView, contextOf, isBlockedResponse, sourceError, stringRoute } from '../common.js';

// Fastify 4 and 5. Every instance starts with Vigil's onRequest hook (Fastify
// builds each instance's hook lists from lib/hooks.js `new Hooks()`; child
// contexts copy them), which hands the request context readers for what
// Fastify parsed. After a block, Reply#send is a no-op, so neither the app's
// answer nor Fastify's error handler touch the 403, and the block is not
// logged as an application error.

interface FastifyRequest {
  raw: IncomingMessage;
  body?: unknown;
  params?: unknown;
  query?: unknown;
  routeOptions?: { url?: unknown };
  routerPath?: unknown;
}

interface FastifyReply {
  raw: ServerResponse;
  log: FastifyLogger;
}

const kLogger = Symbol('vigil.fastify.logger');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LogMethod = (this: any, ...args: unknown[]) => unknown;
type FastifyLogger = Record<string, unknown> & { error?: LogMethod; warn?: LogMethod; isLevelEnabled?: unknown };

function view(request: FastifyRequest): FrameworkView {
  return {
    body: () => request.body,
    params: () => request.params,
    query: () => request.query,
    route: () => routeOf(request),
  };
}

function routeOf(request: FastifyRequest): string | undefined {
  // routeOptions.url: 4.10+ and 5; routerPath (deprecated in late 4.x, warns) only before that.
  if ('routeOptions' in request) return stringRoute(request.routeOptions?.url);
  return stringRoute(request.routerPath);
}

/** Vigil's onRequest hook: sets the readers, then lets the request go on. */
function vigilOnRequest(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  try {
    const ctx = contextOf(request.raw);
    if (ctx !== undefined) {
      attachView(ctx, () => view(request));
      filterBlockLogs(reply);
    }
  } catch (err) {
    sourceError('fastify', err);
  }
  done();
}

/** `new Hooks()` for a new instance: the same lists, with Vigil's onRequest hook first. */
export const fastifyHooks: ModuleSinkSpec = {
  module: 'fastify',
  file: 'lib/hooks.js',
  versions: '>=4 <6',
  patch(exports) {
    wrapMethod(exports as object, 'Hooks', (Hooks) =>
      function VigilHooks() {
        const hooks = new (Hooks as unknown as new () => { onRequest: unknown[] })();
        hooks.onRequest.push(vigilOnRequest);
        return hooks;
      },
    );
  },
};

/**
 * Fastify logs an async handler's rejection that arrives after the response
 * ended ("Promise errored, but reply.sent = true was set") at error level:
 * after a block, once per blocked request. `reply.log` is the reply's own
 * property, read there, so when the logger logs errors at all the reply gets
 * a view of it that leaves out records about a block. (`reply.sent` itself
 * is a non-configurable accessor and cannot be wrapped.)
 */
function filterBlockLogs(reply: FastifyReply): void {
  const log = reply.log;
  if (log === null || typeof log !== 'object' || typeof log.error !== 'function') return;
  const enabled = typeof log.isLevelEnabled === 'function' ? (log.isLevelEnabled as (level: string) => boolean).call(log, 'error') : log.error.name !== 'noop';
  if (!enabled) return;
  const filtered = Object.create(log) as FastifyLogger;
  (filtered as Record<symbol, unknown>)[kLogger] = log;
  filtered.error = filteredError;
  filtered.warn = filteredWarn;
  reply.log = filtered;
}

function filteredError(this: FastifyLogger, ...args: unknown[]): unknown {
  return forward(this, 'error', args);
}

function filteredWarn(this: FastifyLogger, ...args: unknown[]): unknown {
  return forward(this, 'warn', args);
}

function forward(self: FastifyLogger, level: 'error' | 'warn', args: unknown[]): unknown {
  if (aboutTheBlock(args[0])) return undefined;
  const log = (self as Record<symbol, FastifyLogger | undefined>)[kLogger];
  return log?.[level]?.apply(self, args);
}

function aboutTheBlock(record: unknown): boolean {
  if (record instanceof VigilBlockedError) return true;
  if (record === null || typeof record !== 'object') return false;
  const err = (record as { err?: unknown }).err;
  return err instanceof VigilBlockedError || (err as { code?: unknown } | undefined)?.code === 'FST_ERR_REP_ALREADY_SENT';
}

export const fastifyReply: ModuleSinkSpec = {
  module: 'fastify',
  file: 'lib/reply.js',
  versions: '>=4 <6',
  patch(exports) {
    const proto = (exports as { prototype: object }).prototype;
    wrapMethod(proto, 'send', (send) =>
      function sendUnlessBlocked(this: FastifyReply, ...args: unknown[]) {
        if (isBlockedResponse(this.raw)) return this;
        return send.apply(this, args);
      },
    );
  },
};

import { currentAgent } from '../../core/agent.js';
import { VigilBlockedError } from '../../core/errors.js';
import { wrapMethod } from '../../hooks/wrap.js';
import { requestStorage } from '../../context/request-context.js';
import type { FrameworkView, RequestContext } from '../../context/request-context.js';
import type { ModuleSinkSpec } from '../../sinks/types.js';
import { BLOCK_BODY_MESSAGE } from '../http/respond.js';
import { attachView, sourceError, stringRoute, wrapGetter } from '../common.js';

// Hono 4 (on @hono/node-server, or any runtime whose requests reach Vigil's
// http source). Hono parses lazily: the body exists only once the handler
// awaits c.req.json() / parseBody() / formData(), so those are wrapped to
// keep what they return. The first `c.req` of a request hands the request
// context readers for it (params, route pattern). A block reaches Hono's
// default error handler as an error that answers for itself (`getResponse`,
// Hono's HTTPException protocol), so Hono neither logs it nor answers 500.

interface HonoRequest {
  routePath?: unknown;
  param(): unknown;
}

interface HonoState {
  body: unknown;
}

const kState = Symbol('vigil.hono.state');

function stateOf(req: object): HonoState {
  const holder = req as Record<symbol, HonoState | undefined>;
  let state = holder[kState];
  if (state === undefined) {
    state = { body: undefined };
    Object.defineProperty(req, kState, { value: state });
  }
  return state;
}

function view(req: HonoRequest): FrameworkView {
  const state = stateOf(req);
  return {
    body: () => state.body,
    params: () => {
      const params = req.param();
      return params !== null && typeof params === 'object' && Object.keys(params).length > 0 ? params : undefined;
    },
    route: () => stringRoute(req.routePath),
  };
}

function attach(req: HonoRequest, ctx: RequestContext | undefined): void {
  attachView(ctx, () => view(req));
}

/** Keeps what a body reader resolved to, as the request's body. */
function recordBody(req: object, result: unknown, convert: (value: unknown) => unknown): void {
  const ctx = requestStorage.getStore();
  if (ctx === undefined || !(result instanceof Promise)) return;
  attach(req as HonoRequest, ctx);
  const state = stateOf(req);
  result.then(
    (value: unknown) => {
      try {
        const body = convert(value);
        if (body !== undefined) state.body = body;
      } catch (err) {
        sourceError('hono', err);
      }
    },
    () => undefined,
  );
}

function formToObject(value: unknown): unknown {
  if (typeof FormData === 'undefined' || !(value instanceof FormData)) return undefined;
  const out: Record<string, string | string[]> = {};
  for (const [key, entry] of value.entries()) {
    if (typeof entry !== 'string') continue;
    const prev = out[key];
    out[key] = prev === undefined ? entry : Array.isArray(prev) ? [...prev, entry] : [prev, entry];
  }
  return out;
}

const asIs = (value: unknown): unknown => value;

function patchRequest(exports: unknown): void {
  const proto = (exports as { HonoRequest?: { prototype: object } }).HonoRequest?.prototype;
  if (proto === undefined) return;
  for (const [name, convert] of [
    ['json', asIs],
    ['parseBody', asIs],
    ['formData', formToObject],
  ] as const) {
    wrapMethod(proto, name, (original) =>
      function readBodyWithVigil(this: object, ...args: unknown[]) {
        const result: unknown = original.apply(this, args);
        try {
          recordBody(this, result, convert);
        } catch (err) {
          sourceError('hono', err);
        }
        return result;
      },
    );
  }
  answerForItself();
}

function patchContext(exports: unknown): void {
  const proto = (exports as { Context?: { prototype: object } }).Context?.prototype;
  if (proto === undefined) return;
  wrapGetter(proto, 'req', (get) =>
    function reqWithVigil(this: unknown) {
      const req = get.call(this) as HonoRequest;
      const ctx = requestStorage.getStore();
      if (ctx !== undefined && ctx.framework === undefined && req !== null && typeof req === 'object') {
        try {
          attach(req, ctx);
        } catch (err) {
          sourceError('hono', err);
        }
      }
      return req;
    },
  );
}

/**
 * Hono's default error handler answers an error with `getResponse()` itself
 * instead of logging it and answering 500; a block answers with the 403
 * Vigil already wrote (the write is dropped when the response was answered).
 */
function answerForItself(): void {
  const proto = VigilBlockedError.prototype as unknown as Record<string, unknown>;
  if (typeof proto.getResponse === 'function' || typeof Response === 'undefined') return;
  Object.defineProperty(proto, 'getResponse', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function getResponse(this: VigilBlockedError): Response {
      const headers: Record<string, string> = { ...(currentAgent()?.policy.responseHeaders ?? {}) };
      headers['content-type'] = 'application/json; charset=utf-8';
      headers['cache-control'] = 'no-store';
      headers['x-vigil-block'] = 'true';
      if (this.requestId !== undefined) headers['x-request-id'] = this.requestId;
      return new Response(JSON.stringify({ error: BLOCK_BODY_MESSAGE, requestId: this.requestId }), { status: 403, headers });
    },
  });
}

/**
 * The package entry: only the block answer. (An ESM app's loader hook sees
 * bare specifiers only, so there the files below are not hooked: params come
 * from the path segments, a JSON or form body from the http source's copy.)
 */
export const honoEntry: ModuleSinkSpec = { module: 'hono', versions: '>=4 <5', patch: () => answerForItself() };

// The CommonJS and the ESM builds are separate files with separate classes.
export const honoRequest: ModuleSinkSpec = { module: 'hono', file: 'dist/cjs/request.js', versions: '>=4 <5', patch: patchRequest };
export const honoRequestEsm: ModuleSinkSpec = { module: 'hono', file: 'dist/request.js', versions: '>=4 <5', patch: patchRequest };
export const honoContext: ModuleSinkSpec = { module: 'hono', file: 'dist/cjs/context.js', versions: '>=4 <5', patch: patchContext };
export const honoContextEsm: ModuleSinkSpec = { module: 'hono', file: 'dist/context.js', versions: '>=4 <5', patch: patchContext };

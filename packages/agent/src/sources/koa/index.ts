import type { IncomingMessage } from 'node:http';
import { wrapMethod } from '../../hooks/wrap.js';
import type { FrameworkView } from '../../context/request-context.js';
import type { ModuleSinkSpec } from '../../sinks/types.js';
import { attachView, contextOf, isAnsweredBlock, sourceError, stringRoute } from '../common.js';

// Koa 2 and 3. Each request's Koa context is made by Application#createContext:
// Vigil hands the request context readers for what the middleware parsed
// (koa-bodyparser / @koa/bodyparser / koa-body: ctx.request.body; @koa/router:
// ctx.params and ctx._matchedRoute). After a block, Koa's ctx.onerror has
// nothing to do: the 403 is on the wire, and the block is not an app error
// to emit and log.

interface KoaContext {
  req: IncomingMessage;
  res: unknown;
  request?: { body?: unknown };
  params?: unknown;
  query?: unknown;
  _matchedRoute?: unknown;
  routePath?: unknown;
}

function view(kctx: KoaContext): FrameworkView {
  return {
    body: () => kctx.request?.body,
    params: () => kctx.params,
    query: () => kctx.query,
    route: () => stringRoute(kctx._matchedRoute) ?? stringRoute(kctx.routePath),
  };
}

export const koaApplication: ModuleSinkSpec = {
  module: 'koa',
  versions: '>=2 <4',
  patch(exports) {
    const proto = (exports as { prototype: object }).prototype;
    wrapMethod(proto, 'createContext', (createContext) =>
      function createContextWithVigil(this: unknown, ...args: unknown[]) {
        const kctx = createContext.apply(this, args) as KoaContext;
        try {
          attachView(contextOf(kctx.req), () => view(kctx));
        } catch (err) {
          sourceError('koa', err);
        }
        return kctx;
      },
    );
  },
};

export const koaContext: ModuleSinkSpec = {
  module: 'koa',
  file: 'lib/context.js',
  versions: '>=2 <4',
  patch(exports) {
    wrapMethod(exports as object, 'onerror', (onerror) =>
      function onerrorUnlessBlocked(this: KoaContext, err: unknown) {
        if (isAnsweredBlock(err, this.res)) return undefined;
        return onerror.call(this, err);
      },
    );
  },
};

import type { ServerResponse } from 'node:http';
import { kBlockedResponse } from '../../core/symbols.js';
import type { RequestContext } from '../../context/request-context.js';

export const BLOCK_BODY_MESSAGE = 'Request blocked by security policy';

/**
 * Answers a blocked request with 403 JSON, unless the response has already
 * started. Afterwards the app's own attempts to answer (its error handler,
 * a catch block that sends 500) are swallowed, so they neither override the
 * 403 nor crash on "headers already sent".
 */
export function respondBlocked(ctx: RequestContext, extraHeaders: Record<string, string>, status: 403 | 429 = 403): boolean {
  const res = ctx.res;
  if (res === undefined || (res as unknown as Record<symbol, boolean>)[kBlockedResponse]) return false;
  if (res.headersSent || res.writableEnded || res.destroyed) return false;
  const body = JSON.stringify({ error: BLOCK_BODY_MESSAGE, requestId: ctx.id });
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.writeHead(status, {
    ...extraHeaders,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-vigil-block': 'true',
    'x-request-id': ctx.id,
  });
  res.end(body);
  silence(res);
  return true;
}

function silence(res: ServerResponse): void {
  Object.defineProperty(res, kBlockedResponse, { value: true });
  // The app's `res.status(500)` after the block must not make access logs and metrics say 500.
  Object.defineProperty(res, 'statusCode', { get: () => 403, set: () => undefined, configurable: true });
  const self = res as unknown as Record<string, unknown>;
  const chain = function (this: unknown) {
    return res;
  };
  self.setHeader = chain;
  self.appendHeader = chain;
  self.removeHeader = chain;
  self.writeHead = chain;
  self.flushHeaders = chain;
  self.writeContinue = chain;
  self.write = function (...args: unknown[]) {
    const cb = args[args.length - 1];
    if (typeof cb === 'function') process.nextTick(cb as () => void);
    return true;
  };
  self.end = function (...args: unknown[]) {
    const cb = args[args.length - 1];
    if (typeof cb === 'function') process.nextTick(cb as () => void);
    return res;
  };
}

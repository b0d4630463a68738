import { currentAgent } from '../core/agent.js';
import { VigilBlockedError } from '../core/errors.js';
import { kBlockedResponse, kOriginal } from '../core/symbols.js';
import { attachedContext, requestStorage } from '../context/request-context.js';
import type { FrameworkView, RequestContext } from '../context/request-context.js';

// What every framework source does: find the request's context from the
// framework's request object, hand it readers for what the framework parsed,
// and recognise a response Vigil already answered with a block.

/** The RequestContext of a raw IncomingMessage (set by the http source), else the current one. */
export function contextOf(raw: unknown): RequestContext | undefined {
  return attachedContext(raw) ?? requestStorage.getStore();
}

/** Gives the context the framework's readers, unless a source already did for this request. */
export function attachView(ctx: RequestContext | undefined, view: () => FrameworkView): void {
  if (ctx !== undefined && ctx.framework === undefined) ctx.framework = view();
}

/** True when Vigil answered this ServerResponse with a block. */
export function isBlockedResponse(res: unknown): boolean {
  return res !== null && typeof res === 'object' && (res as Record<symbol, unknown>)[kBlockedResponse] === true;
}

/** A block whose 403 is on the wire: the framework's own error path has nothing left to do. */
export function isAnsweredBlock(err: unknown, res: unknown): boolean {
  return err instanceof VigilBlockedError && isBlockedResponse(res);
}

/** Fail-open reporting for framework sources. */
export function sourceError(component: string, err: unknown): void {
  currentAgent()?.guard.report(`source.${component}`, err);
}

/** Parses a route pattern only when it is a string (Koa routers also allow RegExps). */
export function stringRoute(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Wraps the getter of an accessor property (own or inherited), keeping its
 * setter. Wrapping twice is a no-op.
 */
export function wrapGetter(target: object, name: string, makeWrapper: (original: (this: unknown) => unknown) => (this: unknown) => unknown): boolean {
  let holder: object | null = target;
  let descriptor: PropertyDescriptor | undefined;
  while (holder !== null && descriptor === undefined) {
    descriptor = Object.getOwnPropertyDescriptor(holder, name);
    if (descriptor === undefined) holder = Object.getPrototypeOf(holder) as object | null;
  }
  const get = descriptor?.get;
  if (descriptor === undefined || get === undefined || (get as unknown as Record<symbol, unknown>)[kOriginal] !== undefined) return false;
  const wrapper = makeWrapper(get);
  Object.defineProperty(wrapper, kOriginal, { value: get });
  Object.defineProperty(target, name, { ...descriptor, get: wrapper });
  return true;
}

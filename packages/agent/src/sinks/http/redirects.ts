import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { requestStorage } from '../../context/request-context.js';
import type { RequestContext } from '../../context/request-context.js';
import { ssrfDetector } from '../../core/detectors.js';
import type { UserInput } from '../../detectors/types.js';

// A URL the client chose may answer with a redirect to an internal address
// (`Location: http://169.254.169.254/…`); fetch and redirect-following
// clients then connect there with no request input naming that host. The
// Location of a redirect answering a request whose host came from input is
// input too: it is added to the request's inputs, so the next hop is traced
// back to the client like the first. Only such requests are watched.

interface Taint {
  ctx: RequestContext;
  input: UserInput;
}

/** The request input that chose `hostname`, with its request; undefined outside a request or when the app chose it. */
export function taintOf(hostname: string): Taint | undefined {
  const ctx = requestStorage.getStore();
  if (ctx === undefined) return undefined;
  const input = ssrfDetector().inputForHost(hostname, ctx.inputs());
  return input === null ? undefined : { ctx, input };
}

const MAX_REDIRECT_INPUTS = 10;

function followed(taint: Taint, status: number | undefined, location: unknown, base: string): void {
  if (status === undefined || status < 300 || status >= 400 || typeof location !== 'string' || location === '') return;
  let target: string;
  try {
    target = new URL(location, base).href;
  } catch {
    return;
  }
  const ctx = taint.ctx;
  if ((ctx.extraParts?.filter((p) => p.prefix.endsWith('.redirect')).length ?? 0) >= MAX_REDIRECT_INPUTS) return;
  const path = taint.input.path.endsWith('.redirect') ? taint.input.path : `${taint.input.path}.redirect`;
  ctx.addInput(taint.input.source, path, target);
}

/** http/https: sees a tainted request's response before the app (or follow-redirects) acts on it. */
export function watchClientRequest(req: unknown, taint: Taint, base: string): void {
  if (req === null || typeof req !== 'object' || typeof (req as ClientRequest).emit !== 'function') return;
  const request = req as ClientRequest;
  const emit = request.emit;
  request.emit = function emitWatchingRedirects(this: ClientRequest, event: string | symbol, ...args: unknown[]) {
    if (event === 'response') {
      const res = args[0] as IncomingMessage | undefined;
      followed(taint, res?.statusCode, res?.headers?.location, base);
    }
    return emit.call(this, event, ...args);
  } as ClientRequest['emit'];
}

/** fetch and undici: the request is published when created and its response headers before the redirect is followed. */
export function watchUndiciRedirects(): void {
  const tainted = new WeakMap<object, Taint>();
  subscribe('undici:request:create', (message) => {
    const request = (message as { request?: { origin?: unknown } }).request;
    if (request === undefined || typeof request.origin !== 'string') return;
    let hostname: string;
    try {
      hostname = new URL(request.origin).hostname;
    } catch {
      return;
    }
    const taint = taintOf(hostname);
    if (taint !== undefined) tainted.set(request, taint);
  });
  subscribe('undici:request:headers', (message) => {
    const { request, response } = message as { request?: { origin?: string; path?: string }; response?: { statusCode?: number; headers?: unknown[] } };
    const taint = request === undefined ? undefined : tainted.get(request);
    if (taint === undefined || response === undefined) return;
    followed(taint, response.statusCode, headerValue(response.headers, 'location'), `${request!.origin ?? ''}${request!.path ?? '/'}`);
  });
}

/** undici gives raw headers as [name, value, name, value …] Buffers. */
function headerValue(raw: unknown[] | undefined, name: string): string | undefined {
  if (!Array.isArray(raw)) return undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (String(raw[i]).toLowerCase() === name) return String(raw[i + 1]);
  }
  return undefined;
}

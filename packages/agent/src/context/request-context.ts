import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InputCollector, isPlainText, jsonParse, objectInputs } from './inputs.js';
import type { InputPart } from './inputs.js';
import { clientIp } from './ip.js';
import type { IpMatcher } from './ip.js';
import type { InputSource, UserInput, UserObjectInput } from '../detectors/types.js';

export interface RequestUser {
  id: string;
  name?: string;
}

/** How a body read from the stream is parsed: JSON, a form, or kept as text. */
export type StreamBodyKind = 'json' | 'form' | 'text';

interface StreamBody {
  kind: StreamBodyKind;
  limit: number;
  bytes: number;
  chunks: Buffer[];
  ended: boolean;
  /** null: parsed, nothing usable. */
  parsed: unknown;
}

/** Framework-specific readers; the http source fills these in generically. */
export interface FrameworkView {
  body?: () => unknown;
  params?: () => unknown;
  query?: () => unknown;
  route?: () => string | undefined;
}

/**
 * Everything Vigil knows about the request being served. Created when the
 * server emits 'request'; body, params, route and the flattened inputs are
 * read lazily, from what the framework parsed, when a sink first asks.
 */
export class RequestContext {
  readonly method: string;
  readonly url: string;
  /**
   * Read once, when the request arrives. Frameworks such as Express give every
   * request object its own hidden class afterwards, which makes each later
   * property read on `req` a slow lookup: the context reads `req` as little as it can.
   */
  readonly headers: IncomingMessage['headers'];
  /** Whether a served request can carry a body at all: HTTP/1.1 reads none without a length or chunked encoding. */
  readonly hasBody: boolean;
  user: RequestUser | undefined;
  framework: FrameworkView | undefined;
  /** Set once Vigil has answered this request with a block. */
  blocked = false;
  /** The app listens to this request's stream events (the http source runs them inside this context). */
  appListening = false;
  /** Owned by the registry of served requests (attachContext …): whether req and res still find this context, and where it is kept (-1: in the overflow Map, or nowhere). */
  requestAttached = false;
  responseAttached = false;
  servingSlot = -1;
  /** The input list last added to the recent-inputs ring (second-order checks). */
  remembered: readonly UserInput[] | undefined;
  /** Route pattern set explicitly by a framework source. */
  routePattern: string | undefined;
  extraParts: InputPart[] | undefined;

  private tee: StreamBody | undefined;
  private cachedId: string | undefined;
  private cachedIp: string | undefined | null = null;
  private cachedPath: string | undefined;
  private cachedInputs: UserInput[] | undefined;
  private cachedObjects: UserObjectInput[] | undefined;
  private inputsKeyBody: unknown;
  private inputsKeyParams: unknown;
  private inputsKeyExtra = 0;
  private collecting = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse | undefined,
    private readonly trustedProxies: IpMatcher,
  ) {
    this.method = req.method ?? 'GET';
    this.url = req.url ?? '/';
    this.headers = req.headers;
    const length = this.headers['content-length'];
    // A context made in code (withContext: a queue consumer's message) has no wire to judge by.
    this.hasBody = res === undefined || (length !== undefined && length !== '0') || this.headers['transfer-encoding'] !== undefined;
  }

  /** The client's `X-Request-Id` when it is a sane token, else a fresh UUID; made only when an event or block needs it. */
  get id(): string {
    if (this.cachedId === undefined) {
      const header = this.headers['x-request-id'];
      this.cachedId = typeof header === 'string' && /^[\w.:-]{1,128}$/.test(header) ? header : randomUUID();
    }
    return this.cachedId;
  }

  get ip(): string | undefined {
    if (this.cachedIp === null) {
      this.cachedIp = clientIp(this.req.socket?.remoteAddress, this.headers['x-forwarded-for'], this.trustedProxies);
    }
    return this.cachedIp;
  }

  get path(): string {
    if (this.cachedPath === undefined) {
      const q = this.url.indexOf('?');
      this.cachedPath = q === -1 ? this.url : this.url.slice(0, q);
    }
    return this.cachedPath;
  }

  /** The route pattern (`/users/:id`) when the framework told us, else the path. */
  get route(): string {
    return this.routePattern ?? this.framework?.route?.() ?? expressRoute(this.req) ?? this.path;
  }

  get query(): unknown {
    const fromFramework = this.framework?.query?.() ?? (this.req as { query?: unknown }).query;
    if (fromFramework !== null && typeof fromFramework === 'object') return fromFramework;
    return this.flatQuery();
  }

  /**
   * The query string's values, read from the URL. As strings they are what any
   * framework's parser yields, and reading them here is cheaper than asking
   * the framework (Express 5 parses again on every `req.query`). Bracket keys
   * (`a[b]=c`) nest differently per parser: there the framework's object is used.
   */
  private collectQuery(c: InputCollector): void {
    const q = this.url.indexOf('?');
    if (q === -1 || q === this.url.length - 1) {
      if (this.framework?.query !== undefined) c.part('query', 'query', this.query);
      return;
    }
    const n = scanQueryPairs(this.url, q + 1, true, queryPairs);
    if (n < 0) c.part('query', 'query', this.query);
    // Keys that repeat (`a=1&a=2`) are an array to every parser: the same paths as theirs.
    else if (repeatsKey(queryPairs, n)) c.part('query', 'query', pairsToObject(queryPairs, n));
    else c.pairs('query', 'query', queryPairs, n);
  }

  private flatQuery(): Record<string, string | string[]> | undefined {
    const q = this.url.indexOf('?');
    return q === -1 ? undefined : parseFlatQuery(this.url, q + 1);
  }

  get body(): unknown {
    const fromFramework = this.framework?.body?.();
    if (fromFramework !== undefined && fromFramework !== null) return fromFramework;
    // No body on the wire: nothing any parser could have left on req (and reading req is slow under Express).
    if (!this.hasBody) return undefined;
    return (this.req as { body?: unknown }).body ?? this.streamBody();
  }

  /**
   * Starts keeping a copy of the body chunks the app itself reads from the
   * request stream (plain http, or any framework that leaves no parsed body
   * where Vigil looks), up to `limit` bytes; parsed once it has ended.
   */
  teeBody(kind: StreamBodyKind, limit: number): void {
    this.tee = { kind, limit, bytes: 0, chunks: [], ended: false, parsed: undefined };
    bodiesBeingCopied++;
  }

  /** The copy is complete, dropped, or the request is gone: counted down once. */
  private settleTee(tee: StreamBody): void {
    if (tee.ended) return;
    tee.ended = true;
    bodiesBeingCopied--;
  }

  /** The response closed: a body the app never read to its end is no longer being copied. */
  closed(): void {
    const tee = this.tee;
    if (tee !== undefined && !tee.ended) {
      this.settleTee(tee);
      // Never ended: what was copied is not the whole body.
      this.tee = undefined;
    }
  }

  /** Whether body chunks are being copied (see teeBody). */
  get teeing(): boolean {
    return this.tee !== undefined && !this.tee.ended;
  }

  /** A body chunk the app read ('data'). Past the limit the copy is dropped. */
  bodyChunk(chunk: unknown): void {
    const tee = this.tee;
    if (tee === undefined || tee.ended) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk) : undefined;
    if (buf === undefined || (tee.bytes += buf.length) > tee.limit) {
      this.settleTee(tee);
      this.tee = undefined;
      return;
    }
    tee.chunks.push(buf);
  }

  /** The app has read the whole body ('end'). */
  bodyEnd(): void {
    if (this.tee !== undefined) this.settleTee(this.tee);
  }

  private streamBody(): unknown {
    const tee = this.tee;
    if (tee === undefined || !tee.ended) return undefined;
    if (tee.parsed === undefined) {
      // Settled before parsing: a sink asking for inputs meanwhile gets no body, not a re-entry.
      tee.parsed = null;
      const text = Buffer.concat(tee.chunks).toString('utf8');
      tee.chunks = [];
      tee.parsed = parseStreamBody(tee.kind, text) ?? null;
    }
    return tee.parsed ?? undefined;
  }

  get params(): unknown {
    return this.framework?.params?.() ?? (this.req as { params?: unknown }).params;
  }

  get cookies(): Record<string, string> | undefined {
    return this.cookiesFrom((this.req as { cookies?: unknown }).cookies);
  }

  /** The cookies, given what a cookie parser left on `req.cookies` (or not). */
  private cookiesFrom(parsed: unknown): Record<string, string> | undefined {
    if (parsed !== null && typeof parsed === 'object') return parsed as Record<string, string>;
    const header = this.headers.cookie;
    return header === undefined ? undefined : parseCookieHeader(header);
  }

  /** Adds input from a source the framework sources know about (GraphQL variables …). */
  addInput(source: InputSource, prefix: string, value: unknown): void {
    (this.extraParts ??= []).push({ source, prefix, value });
  }

  /** Every source of input, fed straight to the collector (no part object per source). */
  private collect(body: unknown, params: unknown): UserInput[] {
    const c = new InputCollector();
    this.collectQuery(c);
    c.part('body', 'body', body);
    c.part('params', 'params', params);
    const header = this.headers.cookie;
    if (header !== undefined) {
      // Without the header no cookie parser has anything: req is not even asked.
      const parsedCookies = (this.req as { cookies?: unknown }).cookies;
      // Parsed by Vigil from the header (no cookie-parser): the same header as on earlier requests reuses their inputs.
      c.part('cookies', 'cookies', this.cookiesFrom(parsedCookies), parsedCookies === undefined ? header : undefined);
    }
    c.part('headers', 'headers', this.headers);
    const path = safeDecode(this.path);
    if (path.length > 1) {
      // Letters, digits, `-`, `_` and `/` only (most paths): no encoding to undo, no segment worth a look;
      // taken as it is, without decoded forms.
      if (isPlainText(path, true)) c.add('path', 'path', path);
      else {
        c.part('path', 'path', path);
        // Segments, for apps that route themselves (no framework params): `path.1` of /products/1%20OR%201=1.
        c.part('path', 'path', pathSegments(path));
      }
    }
    const extra = this.extraParts;
    if (extra !== undefined) for (const part of extra) c.part(part.source, part.prefix, part.value);
    return c.out;
  }

  /**
   * All user-controlled strings with their decoded forms, computed once; again
   * only if the framework has since parsed a body or matched new params.
   */
  inputs(): UserInput[] {
    // A sink reached while the inputs are being collected (a hooked function a
    // decoder calls) sees none rather than starting the collection over.
    if (this.collecting) return this.cachedInputs ?? [];
    const body = this.body;
    const params = this.params;
    const extra = this.extraParts?.length ?? 0;
    if (this.cachedInputs === undefined || body !== this.inputsKeyBody || params !== this.inputsKeyParams || extra !== this.inputsKeyExtra) {
      this.inputsKeyBody = body;
      this.inputsKeyParams = params;
      this.inputsKeyExtra = extra;
      this.collecting = true;
      try {
        this.cachedInputs = this.collect(body, params);
      } finally {
        this.collecting = false;
      }
      this.cachedObjects = undefined;
    }
    return this.cachedInputs;
  }

  /** The parsed objects (as the framework parsed them: nested query keys, JSON bodies), for structural detectors; only when one asks. */
  objectInputs(): UserObjectInput[] {
    this.inputs();
    if (this.cachedObjects === undefined) {
      const objects: InputPart[] = [
        { source: 'query', prefix: 'query', value: this.query },
        { source: 'body', prefix: 'body', value: this.inputsKeyBody },
        { source: 'params', prefix: 'params', value: this.inputsKeyParams },
        { source: 'cookies', prefix: 'cookies', value: this.cookies },
      ];
      if (this.extraParts !== undefined) objects.push(...this.extraParts);
      this.cachedObjects = objectInputs(objects);
    }
    return this.cachedObjects;
  }
}

/** Express (4 and 5) leaves the matched route on the request: `req.baseUrl` + `req.route.path`. */
function expressRoute(req: IncomingMessage): string | undefined {
  const r = req as { route?: { path?: unknown }; baseUrl?: unknown };
  const path = r.route?.path;
  if (typeof path !== 'string') return undefined;
  return (typeof r.baseUrl === 'string' ? r.baseUrl : '') + path;
}

/** The path's segments that could carry syntax (plain words and numbers cannot). */
function pathSegments(path: string): (string | undefined)[] {
  return path.split('/').map((segment) => (isPlainText(segment) ? undefined : segment));
}

const cookieCache = new Map<string, Record<string, string>>();

/** `a=1; b="x%20y"` → { a: '1', b: 'x y' }; first occurrence wins. Parsed once per distinct header (bounded cache). */
function parseCookieHeader(header: string): Record<string, string> {
  const cached = cookieCache.get(header);
  if (cached !== undefined) return cached;
  const out: Record<string, string> = {};
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (value.includes('%')) {
      try {
        value = decodeURIComponent(value);
      } catch {
        /* keep raw */
      }
    }
    if (!(name in out)) out[name] = value;
  }
  Object.freeze(out);
  if (header.length <= 4096) {
    if (cookieCache.size >= 1000) cookieCache.clear();
    cookieCache.set(header, out);
  }
  return out;
}

function parseStreamBody(kind: StreamBodyKind, text: string): unknown {
  if (text.length === 0) return undefined;
  if (kind === 'text') return text;
  if (kind === 'json') {
    try {
      return jsonParse(text) as unknown;
    } catch {
      // Not JSON after all: the text itself is still what the client sent.
      return text;
    }
  }
  return parseFlatQuery(text);
}

/**
 * `a=1&b=x%20y&a=2` from `from` on → { a: ['1', '2'], b: 'x y' } (`+` is a space, as
 * in forms); a malformed escape keeps its raw text. With `flatOnly`, undefined
 * when a key uses brackets (`a[b]`, also escaped). One pass, hand-written:
 * URLSearchParams costs microseconds per request.
 */
export function parseFlatQuery(text: string, from?: number): Record<string, string | string[]>;
export function parseFlatQuery(text: string, from: number, flatOnly: true): Record<string, string | string[]> | undefined;
export function parseFlatQuery(text: string, from = 0, flatOnly = false): Record<string, string | string[]> | undefined {
  const pairs: string[] = [];
  const n = scanQueryPairs(text, from, flatOnly, pairs);
  return n < 0 ? undefined : pairsToObject(pairs, n);
}

function pairsToObject(pairs: readonly string[], n: number): Record<string, string | string[]> {
  const out = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i < n; i += 2) {
    const key = pairs[i]!;
    const value = pairs[i + 1]!;
    const prev = out[key];
    out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

/**
 * The pairs of the query string being collected: one array for every request
 * (collection is synchronous), written from the start each time and never
 * shortened, so that it keeps its room.
 */
const queryPairs: string[] = [];

/** Whether one of the first `n / 2` keys occurs twice: by comparison for the usual handful, by a Set past that (no quadratic work on a long query string). */
function repeatsKey(pairs: readonly string[], n: number): boolean {
  if (n <= 32) {
    for (let i = 2; i < n; i += 2) {
      for (let j = 0; j < i; j += 2) if (pairs[i] === pairs[j]) return true;
    }
    return false;
  }
  const keys = new Set<string>();
  for (let i = 0; i < n; i += 2) {
    if (keys.has(pairs[i]!)) return true;
    keys.add(pairs[i]!);
  }
  return false;
}

/**
 * Writes each `key=value` of `text` (from `from` on), decoded, into `pairs`
 * from index 0 (key, value, key, value …); the number of strings written, or
 * -1 at a bracket key when `flatOnly`.
 */
function scanQueryPairs(text: string, from: number, flatOnly: boolean, pairs: string[]): number {
  let n = 0;
  let start = from;
  let eq = -1;
  let encoded = false;
  for (let i = from; i <= text.length; i++) {
    const ch = i === text.length ? 38 /* & */ : text.charCodeAt(i);
    if (ch === 38) {
      if (i > start) {
        const cut = eq === -1 ? i : eq;
        pairs[n++] = queryPart(text, start, cut, encoded);
        pairs[n++] = cut === i ? '' : queryPart(text, cut + 1, i, encoded);
      }
      start = i + 1;
      eq = -1;
      encoded = false;
    } else if (ch === 61 /* = */) {
      if (eq === -1) eq = i;
    } else if (ch === 37 /* % */ || ch === 43 /* + */) {
      encoded = true;
      if (flatOnly && eq === -1 && ch === 37 && text.charCodeAt(i + 1) === 53 /* 5 */ && (text.charCodeAt(i + 2) | 32) === 98 /* b */) return -1;
    } else if (ch === 91 /* [ */ && flatOnly && eq === -1) {
      return -1;
    }
  }
  return n;
}

function queryPart(text: string, start: number, end: number, encoded: boolean): string {
  const part = text.slice(start, end);
  if (!encoded) return part;
  const spaced = part.includes('+') ? part.replace(/\+/g, ' ') : part;
  return spaced.includes('%') ? safeDecode(spaced) : spaced;
}

function safeDecode(path: string): string {
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export const requestStorage = new AsyncLocalStorage<RequestContext>();

/**
 * Requests whose body is being copied right now. While none is, a request's
 * 'data' and 'end' events need no look at its context unless someone listens:
 * one read of the request fewer per event (reads of framework-reshaped
 * requests are slow).
 */
let bodiesBeingCopied = 0;

export function copyingBodies(): boolean {
  return bodiesBeingCopied > 0;
}

/**
 * The contexts of the requests an http server is serving, found by their
 * IncomingMessage or ServerResponse: attached at 'request', the response side
 * dropped when the response closes, the request side then too (or when its
 * stream closes, if the app listens to it).
 *
 * Not a field on req and res: a field added to every request is copied into
 * each of the hidden classes frameworks give requests later (Express 5 on
 * Node 20 makes one per request). Not a Map by object either: hashing each new
 * request and response, and V8 rebuilding the table as entries come and go,
 * cost ~1.5 K instructions a request. A server has a handful of requests in
 * flight: a scan of a short array finds one. Past SMALL in flight (long polls,
 * streams, a burst), the rest are kept in a Map.
 */
const serving: RequestContext[] = [];
const overflow = new Map<object, RequestContext>();
const SMALL = 32;

export function attachContext(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): void {
  ctx.requestAttached = true;
  ctx.responseAttached = true;
  if (serving.length < SMALL) {
    ctx.servingSlot = serving.length;
    serving.push(ctx);
  } else {
    overflow.set(req, ctx);
    overflow.set(res, ctx);
  }
}

/** The context the http source attached to this IncomingMessage or ServerResponse, while it is being served. */
export function attachedContext(reqOrRes: unknown): RequestContext | undefined {
  if (reqOrRes === null || typeof reqOrRes !== 'object') return undefined;
  for (let i = 0; i < serving.length; i++) {
    const ctx = serving[i]!;
    if ((ctx.req === reqOrRes && ctx.requestAttached) || (ctx.res === reqOrRes && ctx.responseAttached)) return ctx;
  }
  return overflow.size === 0 ? undefined : overflow.get(reqOrRes);
}

/** The response closed: it no longer finds its context. */
export function detachResponse(ctx: RequestContext): void {
  if (!ctx.responseAttached) return;
  ctx.responseAttached = false;
  if (ctx.servingSlot < 0) overflow.delete(ctx.res!);
  else if (!ctx.requestAttached) release(ctx);
}

/** The request is over (its response closed and its stream too, when the app listens to it). */
export function detachRequest(ctx: RequestContext): void {
  if (!ctx.requestAttached) return;
  ctx.requestAttached = false;
  if (ctx.servingSlot < 0) overflow.delete(ctx.req);
  else if (!ctx.responseAttached) release(ctx);
}

/** Takes a context out of the array: the last one moves into its slot. */
function release(ctx: RequestContext): void {
  const last = serving.pop()!;
  if (last !== ctx) {
    serving[ctx.servingSlot] = last;
    last.servingSlot = ctx.servingSlot;
  }
  ctx.servingSlot = -1;
}

/** How many requests and responses have a context attached (tests: nothing may stay behind). */
export function attachedCount(): number {
  let count = overflow.size;
  for (const ctx of serving) count += (ctx.requestAttached ? 1 : 0) + (ctx.responseAttached ? 1 : 0);
  return count;
}

export function currentContext(): RequestContext | undefined {
  return requestStorage.getStore();
}

import type { InputSource, UserInput, UserObjectInput } from '../detectors/types.js';
import { unwrapped } from '../hooks/wrap.js';

// Flattens a request's parsed input into the strings the detectors compare
// with sink arguments, and adds the forms an app commonly decodes before use
// (URL-decoding again, JSON inside a string, base64, hex, JWT payloads,
// Unicode NFKC). A hostile body must not make this slow: depth, count and
// size are bounded, and it runs at most once per request, only when a sink asks.

export interface InputLimits {
  maxDepth: number;
  maxInputs: number;
  maxStringLength: number;
  maxTotalChars: number;
}

export const DEFAULT_LIMITS: InputLimits = {
  maxDepth: 16,
  maxInputs: 2000,
  maxStringLength: 64 * 1024,
  maxTotalChars: 1024 * 1024,
};

/** Headers whose values are protocol negotiation, not something an app feeds into a sink. */
const SKIPPED_HEADERS = new Set([
  'cookie',
  // Behind a proxy Host is the app's own address (127.0.0.1:port): as input it would make the app's calls to itself look chosen by the client.
  'host',
  'content-length',
  'connection',
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'pragma',
  'if-none-match',
  'if-modified-since',
  'dnt',
  'priority',
  'te',
  'keep-alive',
  'upgrade-insecure-requests',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-fetch-dest',
  'sec-fetch-user',
]);

/** Up to this many collected strings, duplicates are found by comparison; past it, by a Set. */
const SMALL_SET = 16;

function seenSet(inputs: readonly UserInput[]): Set<string> {
  const seen = new Set<string>();
  for (const input of inputs) seen.add(input.transform === undefined ? input.value : `${input.transform}\u0000${input.value}`);
  return seen;
}

/**
 * Collects a request's inputs source by source (the request context feeds it
 * directly, without a part object per source), with their decoded forms.
 */
export class InputCollector {
  readonly out: UserInput[] = [];
  /** No room left (count or characters): a field, read on every step of a walk. */
  full = false;
  private chars = 0;
  private seen: Set<string> | undefined;
  /** Only with the default limits may inputs collected for earlier requests be reused. */
  private readonly reuse: boolean;

  constructor(readonly limits: InputLimits = DEFAULT_LIMITS) {
    this.reuse = limits === DEFAULT_LIMITS;
  }

  /** One source's value; `repeatKey` (the raw text it was parsed from) lets a value seen before reuse its inputs. */
  part(source: InputSource, prefix: string, value: unknown, repeatKey?: string): void {
    if (value === undefined) return;
    if (source === 'headers') collectHeaders(this, value, this.reuse);
    else if (this.reuse && repeatKey !== undefined && repeatKey.length <= REPEAT_MAX_LENGTH) collectRepeating(this, source, prefix, undefined, repeatKey, value);
    else walk(this, source, prefix, value, 0, undefined);
  }

  /** A flat query string as alternating keys and values (`['q', 'lamp']`), the first `n` strings of `pairs`. */
  pairs(source: InputSource, prefix: string, pairs: readonly string[], n: number): void {
    collectPairs(this, source, prefix, pairs, n);
  }

  add(source: InputSource, path: string, value: string, transform?: string): boolean {
    if (value.length === 0) return false;
    if (value.length > this.limits.maxStringLength) value = value.slice(0, this.limits.maxStringLength);
    if (!this.claim(value, transform)) return false;
    this.out.push(transform === undefined ? { source, path, value } : { source, path, value, transform });
    return true;
  }

  /** An input (and its decoded forms) collected for an earlier request: shared, never mutated. */
  addCollected(input: UserInput): void {
    if (this.claim(input.value, input.transform)) this.out.push(input);
  }

  /** Room left, and the first time this string (in this form) is seen: the same string at two paths is checked once, under its first path. */
  private claim(value: string, transform: string | undefined): boolean {
    if (this.full) return false;
    const out = this.out;
    if (out.length < SMALL_SET) {
      // Most requests carry a handful of strings: comparing them beats building a Set.
      for (let i = 0; i < out.length; i++) if (out[i]!.value === value && out[i]!.transform === transform) return false;
    } else {
      const seen = (this.seen ??= seenSet(out));
      const key = transform === undefined ? value : `${transform}\u0000${value}`;
      if (seen.has(key)) return false;
      seen.add(key);
    }
    this.chars += value.length;
    if (out.length + 1 >= this.limits.maxInputs || this.chars >= this.limits.maxTotalChars) this.full = true;
    return true;
  }
}

/**
 * Header values repeat from request to request (user agent, client hints,
 * session cookies): their inputs and decoded forms are computed once and
 * reused. Kept per group (a header's name, or a part's prefix) and raw text.
 * Each group also holds the text it saw last: a client sends the same value
 * request after request, and comparing with it spares hashing the whole value
 * (a long user agent, a cookie header) for the lookup. Bounded; cleared when full.
 */
interface RepeatGroup {
  lastKey: string | undefined;
  lastInputs: readonly UserInput[];
  readonly byKey: Map<string, readonly UserInput[]>;
}
const repeatCache = new Map<string, RepeatGroup>();
let repeatCacheSize = 0;
const REPEAT_CACHE_SIZE = 1000;
const REPEAT_MAX_LENGTH = 1024;

/** The inputs of `value` (parsed from `key`) at `prefix.name` (or `prefix`), from the cache when seen before. */
function collectRepeating(c: InputCollector, source: InputSource, prefix: string, name: string | undefined, key: string, value: unknown): void {
  const groupName = name ?? prefix;
  let group = repeatCache.get(groupName);
  let cached: readonly UserInput[] | undefined;
  if (group !== undefined && group.lastKey === key) cached = group.lastInputs;
  else {
    if (group === undefined || (cached = group.byKey.get(key)) === undefined) {
      const own = new InputCollector(c.limits);
      walk(own, source, name === undefined ? prefix : `${prefix}.${name}`, value, 1, undefined);
      cached = own.out;
      if (repeatCacheSize >= REPEAT_CACHE_SIZE) {
        repeatCache.clear();
        repeatCacheSize = 0;
        group = undefined;
      }
      if (group === undefined) repeatCache.set(groupName, (group = { lastKey: undefined, lastInputs: cached, byKey: new Map() }));
      group.byKey.set(key, cached);
      repeatCacheSize++;
    }
    group.lastKey = key;
    group.lastInputs = cached;
  }
  for (let i = 0; i < cached.length; i++) c.addCollected(cached[i]!);
}

/** One source of input (GraphQL variables, a body the behaviour layer scans …). */
export interface InputPart {
  source: InputSource;
  prefix: string;
  value: unknown;
}

export function collectInputs(
  parts: readonly InputPart[],
  limits: InputLimits = DEFAULT_LIMITS,
): UserInput[] {
  const c = new InputCollector(limits);
  for (const part of parts) c.part(part.source, part.prefix, part.value);
  return c.out;
}

function collectHeaders(c: InputCollector, headers: unknown, reuse: boolean): void {
  if (headers === null || typeof headers !== 'object') return;
  const h = headers as Record<string, unknown>;
  for (const name of Object.keys(h)) {
    if (SKIPPED_HEADERS.has(name)) continue;
    const value = h[name];
    if (reuse && typeof value === 'string' && value.length <= REPEAT_MAX_LENGTH) collectRepeating(c, 'headers', 'headers', name, value, value);
    else walk(c, 'headers', `headers.${name}`, value, 1, undefined);
  }
}

function collectPairs(c: InputCollector, source: InputSource, prefix: string, pairs: readonly string[], n: number): void {
  for (let i = 0; i < n && !c.full; i += 2) {
    const key = pairs[i]!;
    const path = `${prefix}.${key}`;
    if (!isPlainText(key)) c.add(source, path, key, 'key');
    walkString(c, source, path, pairs[i + 1]!, 1, undefined);
  }
}

function walkString(c: InputCollector, source: InputSource, path: string, value: string, depth: number, transform: string | undefined): void {
  if (c.add(source, path, value, transform) && mayBeEncoded(value)) decodeForms(c, source, path, value, depth, transform);
}

/** Short words and numbers (most values) decode to nothing: no encoding is shorter than 8 characters of [A-Za-z0-9_-]. */
function mayBeEncoded(value: string): boolean {
  return value.length >= 8 || (value.length >= 4 && !isPlainText(value));
}

function walk(c: InputCollector, source: InputSource, path: string, value: unknown, depth: number, transform: string | undefined): void {
  if (c.full || depth > c.limits.maxDepth) return;
  if (typeof value === 'string') {
    walkString(c, source, path, value, depth, transform);
    return;
  }
  if (typeof value === 'number') {
    // A JSON number the app turns into text: `{"host": 2130706433}` becomes the host 127.0.0.1.
    if (Number.isFinite(value)) c.add(source, path, String(value), transform);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && !c.full; i++) walk(c, source, `${path}.${i}`, value[i], depth + 1, transform);
    return;
  }
  if (isBinary(value)) return;
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (c.full) return;
    const childPath = path === '' ? key : `${path}.${key}`;
    // Keys are input too (`{"name' OR 1=1--": 1}` used as a column name).
    if (!isPlainText(key)) c.add(source, childPath, key, transform === undefined ? 'key' : transform);
    walk(c, source, childPath, obj[key], depth + 1, transform);
  }
}

function isBinary(value: object): boolean {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

/** Only letters, digits, `_` and `-` (and `/` when `slash`): text that can carry no syntax. */
export function isPlainText(text: string, slash = false): boolean {
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    const ok = (ch >= 48 && ch <= 57) || (ch >= 65 && ch <= 90) || (ch >= 97 && ch <= 122) || ch === 95 || ch === 45 || (slash && ch === 47);
    if (!ok) return false;
  }
  return true;
}

// ---- decoded forms -------------------------------------------------------

function decodeForms(c: InputCollector, source: InputSource, path: string, value: string, depth: number, transform: string | undefined): void {
  if (depth >= c.limits.maxDepth) return;
  const next = depth + 1;
  const marks = encodingMarks(value);

  if ((marks & HAS_PERCENT) !== 0) {
    const once = safeDecodeURIComponent(value);
    if (once !== null && once !== value) walk(c, source, path, once, next, tagged(transform, 'url'));
  }
  if ((marks & HAS_NON_ASCII) !== 0) {
    const nfkc = value.normalize('NFKC');
    if (nfkc !== value) walk(c, source, path, nfkc, next, tagged(transform, 'nfkc'));
  }
  if (maybeJson(value)) {
    const parsed = safeJsonParse(value);
    if (parsed !== undefined && typeof parsed === 'object') walk(c, source, path, parsed, next, tagged(transform, 'json'));
    else if (typeof parsed === 'string' && parsed !== value) walk(c, source, path, parsed, next, tagged(transform, 'json'));
  }
  if (value.length >= 16 && value.startsWith('eyJ')) {
    const payload = jwtPayload(value);
    if (payload !== undefined) walk(c, source, path, payload, next, tagged(transform, 'jwt'));
  }
  if (value.length >= 8 && isHex(value)) {
    const text = decodeHex(value);
    if (text !== null) walk(c, source, path, text, next, tagged(transform, 'hex'));
  } else if (value.length >= 8 && isBase64(value)) {
    const text = decodeBase64(value);
    if (text !== null) walk(c, source, path, text, next, tagged(transform, 'base64'));
  }
  if ((marks & HAS_TEMPLATE_OPEN) !== 0) {
    // Template engines (EJS, lodash/underscore, pug, ES template strings) put the
    // code between delimiters into the function they compile, without the delimiters.
    for (const fragment of templateFragments(value)) walk(c, source, path, fragment, next, tagged(transform, 'template'));
  }
  if ((marks & HAS_CHAR_REFERENCE) !== 0 && value.length >= 8) {
    const text = decodeHtmlEntities(value);
    if (text !== value) walk(c, source, path, text, next, tagged(transform, 'html'));
  }
}

/** The transform chain of a decoded form: `base64`, or `url+base64` for a form of a form. */
function tagged(transform: string | undefined, step: string): string {
  return transform === undefined ? step : `${transform}+${step}`;
}

const HAS_PERCENT = 1;
const HAS_NON_ASCII = 2;
const HAS_TEMPLATE_OPEN = 4;
const HAS_CHAR_REFERENCE = 8;

/**
 * One pass over the value for the signs of each encoding: `%`, non-ASCII,
 * a template opening (`<%`, `${`, `#{`, `{{`), an HTML character reference (`&#`).
 * Most values have none, and then no decoder runs.
 */
function encodingMarks(value: string): number {
  let marks = 0;
  let prev = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (ch > 127) marks |= HAS_NON_ASCII;
    else if (ch === 37 /* % */) marks |= prev === 60 /* < */ ? HAS_PERCENT | HAS_TEMPLATE_OPEN : HAS_PERCENT;
    else if (ch === 123 /* { */ && (prev === 36 /* $ */ || prev === 35 /* # */ || prev === 123)) marks |= HAS_TEMPLATE_OPEN;
    else if (ch === 35 /* # */ && prev === 38 /* & */) marks |= HAS_CHAR_REFERENCE;
    prev = ch;
  }
  return marks;
}

const TEMPLATE_DELIMITERS: readonly [string, string][] = [
  ['<%', '%>'],
  ['${', '}'],
  ['#{', '}'],
  ['{{', '}}'],
];
const MAX_TEMPLATE_FRAGMENTS = 8;

/** The code between template delimiters (`<%= x %>` → `x`), trimmed; at most a few per value. */
function templateFragments(value: string): string[] {
  const out: string[] = [];
  for (const [open, close] of TEMPLATE_DELIMITERS) {
    let from = 0;
    while (out.length < MAX_TEMPLATE_FRAGMENTS) {
      const start = value.indexOf(open, from);
      if (start === -1) break;
      const end = value.indexOf(close, start + open.length);
      if (end === -1) break;
      let inner = value.slice(start + open.length, end);
      // EJS tag flavours: <%= <%- <%_ <%# (and a trailing -%> or _%>).
      if (open === '<%') inner = inner.replace(/^[=\-_#]/, '').replace(/[-_]$/, '');
      inner = inner.trim();
      if (inner.length >= 3 && inner !== value) out.push(inner);
      from = end + close.length;
    }
  }
  return out;
}

function safeDecodeURIComponent(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/**
 * Brackets or quotes at both ends: only then is JSON.parse worth a try. A
 * failed parse throws, and a throw costs microseconds; client hints such as
 * `"Chromium";v="120"` start with a quote on every request.
 */
function maybeJson(value: string): boolean {
  const first = value.charCodeAt(0);
  let end = value.length - 1;
  while (end > 0 && isJsonBlank(value.charCodeAt(end))) end--;
  const last = value.charCodeAt(end);
  if (first === 123 /* { */) return last === 125 /* } */;
  if (first === 91 /* [ */) return last === 93 /* ] */;
  if (first !== 34 /* " */ || last !== 34 || end === 0) return false;
  // A JSON string: every quote inside is escaped (`"{\"a\":1}"`, JSON encoded twice).
  for (let i = value.indexOf('"', 1); i !== -1 && i < end; i = value.indexOf('"', i + 1)) {
    if (value.charCodeAt(i - 1) !== 92 /* \ */) return false;
  }
  return true;
}

function isJsonBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/**
 * The original JSON.parse: decoding an input (or a body Vigil copied) is
 * Vigil's own work, not an app operation for the JSON sink to inspect (which
 * would ask for this request's inputs again while they are being collected).
 */
export const jsonParse = unwrapped(JSON.parse);

function safeJsonParse(value: string): unknown {
  try {
    return jsonParse(value) as unknown;
  } catch {
    return undefined;
  }
}

function isHex(value: string): boolean {
  if (value.length % 2 !== 0) return false;
  let letters = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (ch >= 48 && ch <= 57) continue;
    if ((ch >= 97 && ch <= 102) || (ch >= 65 && ch <= 70)) {
      letters = true;
      continue;
    }
    return false;
  }
  // All-digit strings are numbers, not hex text.
  return letters;
}

function isBase64(value: string): boolean {
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === 61 /* = */) end--;
  if (value.length - end > 2) return false;
  let lower = false;
  let upperOrDigit = false;
  for (let i = 0; i < end; i++) {
    const ch = value.charCodeAt(i);
    if (ch >= 97 && ch <= 122) lower = true;
    else if ((ch >= 65 && ch <= 90) || (ch >= 48 && ch <= 57)) upperOrDigit = true;
    else if (ch !== 43 && ch !== 47 && ch !== 45 && ch !== 95) return false; // + / - _
  }
  // Plain words ("password", "HELLOWORLD") are not worth decoding.
  return lower && upperOrDigit;
}

/** Decoded text when it is printable UTF-8; binary blobs are not input an app puts in a query. */
function printable(buf: Buffer): string | null {
  if (buf.length === 0) return null;
  const text = buf.toString('utf8');
  let bad = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0xfffd || (ch < 32 && ch !== 9 && ch !== 10 && ch !== 13)) bad++;
  }
  return bad === 0 ? text : null;
}

function decodeBase64(value: string): string | null {
  return printable(Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64'));
}

function decodeHex(value: string): string | null {
  return printable(Buffer.from(value, 'hex'));
}

function jwtPayload(value: string): unknown {
  const dot1 = value.indexOf('.');
  const dot2 = dot1 < 0 ? -1 : value.indexOf('.', dot1 + 1);
  if (dot2 < 0) return undefined;
  const text = printable(Buffer.from(value.slice(dot1 + 1, dot2), 'base64url'));
  return text === null ? undefined : safeJsonParse(text);
}

function decodeHtmlEntities(value: string): string {
  return value.replace(/&#(x[0-9a-fA-F]{1,6}|[0-9]{1,7});/g, (whole, code: string) => {
    const n = code[0] === 'x' ? parseInt(code.slice(1), 16) : parseInt(code, 10);
    return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : whole;
  });
}

/** The request's parsed objects, for detectors that look at structure (NoSQL operators, prototype keys). */
export function objectInputs(parts: readonly { source: InputSource; prefix: string; value: unknown }[]): UserObjectInput[] {
  const out: UserObjectInput[] = [];
  for (const part of parts) {
    if (part.value !== null && typeof part.value === 'object' && part.source !== 'headers') {
      out.push({ source: part.source, path: part.prefix, value: part.value });
    }
  }
  return out;
}

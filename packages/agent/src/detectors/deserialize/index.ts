// Unsafe deserialization: the payload handed to node-serialize unserialize,
// funcster deserialize, js-yaml load (with the JS types) or serialize-to-js
// deserialize would create functions or run code. No legitimate application
// deserialises functions from data, so a payload that does is a finding even
// when no request input explains it (a stored payload); from request input
// the confidence is higher.
// Pure: imports nothing but acorn (loaded on first use) and the shared types.

import type * as Acorn from 'acorn';
import { lazyModule } from '../../core/lazy-module.js';
import type { Finding, UserInput } from '../types.js';

/** Loaded with the first check that parses JavaScript. */
const acorn = lazyModule<typeof Acorn>('acorn');

export type SerializationFormat = 'node-serialize' | 'funcster' | 'yaml' | 'js';

const ND_FUNC = '_$$ND_FUNC$$_';
const FUNCSTER_KEY = '__js_function';
const YAML_CORE_PREFIX = 'tag:yaml.org,2002:';
/** Payloads longer than this are only scanned for markers, not parsed. */
const MAX_PARSE_LENGTH = 256 * 1024;
/** Input strings shorter than this are not taken as the source of a marker. */
const MIN_INPUT_LENGTH = 8;

interface Hit {
  readonly marker: string;
  readonly threatLevel: 'critical' | 'low';
  /** The code runs during deserialisation (IIFE), not only when the function is called. */
  readonly runsOnLoad: boolean;
  readonly offset: number;
}

// ---------------------------------------------------------------------------
// node-serialize: `"_$$ND_FUNC$$_function(){…}"` string values are eval'd.

/** The strings a JSON text holds, decoded (node-serialize JSON.parses before looking for the marker). */
function jsonStrings(payload: string, out: string[]): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return;
  }
  const stack: unknown[] = [parsed];
  let budget = 10_000;
  while (stack.length > 0 && budget-- > 0) {
    const v = stack.pop();
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'object' && v !== null) {
      const keys = Object.keys(v);
      for (let i = 0; i < keys.length; i++) {
        out.push(keys[i]!);
        stack.push((v as Record<string, unknown>)[keys[i]!]);
      }
    }
  }
}

/** After the function source: does `}()` / `})()` follow, so it runs while unserialising? */
function isImmediatelyInvoked(text: string, from: number): boolean {
  // Parse the function expression that follows the marker and look at what comes after it.
  const src = text.slice(from);
  try {
    const expr = acorn().parseExpressionAt(src, 0, { ecmaVersion: 'latest' });
    let i = expr.end;
    while (i < src.length && src.charCodeAt(i) <= 32) i++;
    if (expr.type === 'CallExpression' || expr.type === 'NewExpression' || expr.type === 'TaggedTemplateExpression') return true;
    return src.charCodeAt(i) === 40; // (
  } catch {
    // Unparseable tail: fall back to the textual shape.
    return /\}\s*\)?\s*\(/.test(src);
  }
}

function nodeSerializeHit(payload: string): Hit | null {
  let at = payload.indexOf(ND_FUNC);
  if (at !== -1) {
    const body = sliceJsonString(payload, at + ND_FUNC.length);
    return { marker: ND_FUNC, threatLevel: 'critical', runsOnLoad: isImmediatelyInvoked(body, 0), offset: at };
  }
  // Escaped forms (`_$$\u004e\u0044_FUNC$$_`) only exist after JSON decoding.
  if (payload.indexOf('\\') === -1 || payload.length > MAX_PARSE_LENGTH) return null;
  const strings: string[] = [];
  jsonStrings(payload, strings);
  for (let i = 0; i < strings.length; i++) {
    at = strings[i]!.indexOf(ND_FUNC);
    if (at !== -1) {
      return { marker: ND_FUNC, threatLevel: 'critical', runsOnLoad: isImmediatelyInvoked(strings[i]!, at + ND_FUNC.length), offset: payload.indexOf('_$$') };
    }
  }
  return null;
}

/** The raw JSON string content starting at `from` (up to the closing unescaped quote), JSON-unescaped when possible. */
function sliceJsonString(payload: string, from: number): string {
  let i = from;
  while (i < payload.length) {
    const c = payload.charCodeAt(i);
    if (c === 92 /* \ */) i += 2;
    else if (c === 34 /* " */) break;
    else i++;
  }
  const raw = payload.slice(from, i);
  if (raw.indexOf('\\') === -1) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

// ---------------------------------------------------------------------------
// funcster: `{ "__js_function": "function(){…}" }` objects become functions.

function funcsterHit(payload: string): Hit | null {
  let at = payload.indexOf(FUNCSTER_KEY);
  if (at === -1 && payload.indexOf('\\u') !== -1 && payload.length <= MAX_PARSE_LENGTH) {
    const strings: string[] = [];
    jsonStrings(payload, strings);
    for (let i = 0; i < strings.length; i++) if (strings[i] === FUNCSTER_KEY) at = 0;
  }
  if (at === -1) return null;
  const colon = payload.indexOf(':', at);
  let i = colon + 1;
  while (i > 0 && i < payload.length && payload.charCodeAt(i) <= 32) i++;
  const body = i > 0 && payload.charCodeAt(i) === 34 ? sliceJsonString(payload, i + 1) : '';
  return { marker: FUNCSTER_KEY, threatLevel: 'critical', runsOnLoad: body.length > 0 && isImmediatelyInvoked(body, 0), offset: at };
}

// ---------------------------------------------------------------------------
// YAML: js-yaml's JS types (`!!js/function`, `!!js/regexp`, `!!js/undefined`)
// in any tag notation: shorthand, verbatim `!<tag:yaml.org,2002:js/function>`,
// a %TAG handle, percent-escaped tag characters.

function percentDecode(s: string): string {
  if (s.indexOf('%') === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Whether the `!` at `at` starts a node property (a tag): at the start of a
 * line's content, after a `key:` or a block indicator (`- `, `? `), after a
 * flow indicator (`[ { ,`) or `---`; not inside a quoted scalar, a comment or
 * a plain scalar's text.
 */
function startsTag(payload: string, at: number): boolean {
  let lineStart = at;
  while (lineStart > 0 && payload.charCodeAt(lineStart - 1) !== 10) lineStart--;
  // Quote and comment state of the line up to `at`.
  let quote = 0;
  let prev = -1; // last significant character outside quotes
  let prevPrev = -1;
  for (let i = lineStart; i < at; i++) {
    const c = payload.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) {
        if (quote === 39 && payload.charCodeAt(i + 1) === 39) i++; // '' inside '…'
        else quote = 0;
      } else if (c === 92 && quote === 34) i++; // \" inside "…"
      continue;
    }
    if (c === 32 || c === 9) continue;
    if (c === 35 /* # */ && (i === lineStart || payload.charCodeAt(i - 1) <= 32)) return false; // comment
    if ((c === 34 || c === 39) && (prev === -1 || prev === 58 || prev === 45 || prev === 63 || prev === 91 || prev === 123 || prev === 44)) {
      quote = c;
      continue;
    }
    prevPrev = prev;
    prev = c;
  }
  if (quote !== 0) return false;
  if (at > lineStart && payload.charCodeAt(at - 1) > 32 && prev !== 91 && prev !== 123 && prev !== 44) return false; // glued to text
  switch (prev) {
    case -1: // first thing on the line
    case 58: // key:
    case 91: // [
    case 123: // {
    case 44: // ,
      return true;
    case 45: // - (block sequence entry, or ---)
    case 63: // ? (complex key)
      return prevPrev === -1 || prevPrev === 45 || prevPrev === 63;
    default:
      return false;
  }
}

function isTagChar(c: number): boolean {
  return c > 32 && c !== 44 && c !== 91 && c !== 93 && c !== 123 && c !== 125; // not , [ ] { }
}

/** %TAG directives: handle → prefix. */
function tagDirectives(payload: string): Map<string, string> | null {
  if (payload.indexOf('%TAG') === -1) return null;
  const map = new Map<string, string>();
  const re = /^%TAG[ \t]+(![\w-]*!?)[ \t]+(\S+)/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(payload)) !== null) map.set(m[1]!, m[2]!);
  return map;
}

function resolveTag(tag: string, directives: Map<string, string> | null): string {
  if (tag.startsWith('!<')) return percentDecode(tag.slice(2, tag.endsWith('>') ? -1 : undefined));
  // Named or secondary handle: `!!suffix`, `!name!suffix`
  const second = tag.indexOf('!', 1);
  if (second !== -1) {
    const handle = tag.slice(0, second + 1);
    const suffix = percentDecode(tag.slice(second + 1));
    const prefix = directives?.get(handle) ?? (handle === '!!' ? YAML_CORE_PREFIX : handle);
    return prefix + suffix;
  }
  const prefix = directives?.get('!');
  return prefix !== undefined ? prefix + percentDecode(tag.slice(1)) : percentDecode(tag);
}

function yamlHit(payload: string): Hit | null {
  if (payload.indexOf('!') === -1) return null;
  const directives = tagDirectives(payload);
  let best: Hit | null = null;
  let from = 0;
  for (;;) {
    const at = payload.indexOf('!', from);
    if (at === -1) break;
    from = at + 1;
    if (!startsTag(payload, at)) continue;
    let end = at + 1;
    if (payload.charCodeAt(end) === 60 /* < */) {
      const close = payload.indexOf('>', end);
      if (close === -1) continue;
      end = close + 1;
    } else {
      while (end < payload.length && isTagChar(payload.charCodeAt(end))) end++;
    }
    const tag = resolveTag(payload.slice(at, end), directives);
    if (!tag.startsWith(YAML_CORE_PREFIX + 'js/')) continue;
    const type = tag.slice(YAML_CORE_PREFIX.length + 3);
    if (type === 'function' || type === 'eval') {
      // js/function builds a function from source; the document can then have it called (toString, valueOf …).
      return { marker: `!!js/${type}`, threatLevel: 'critical', runsOnLoad: type === 'eval', offset: at };
    }
    if (type === 'regexp' && best === null) best = { marker: '!!js/regexp', threatLevel: 'low', runsOnLoad: false, offset: at };
    from = end;
  }
  return best;
}

// ---------------------------------------------------------------------------
// serialize-to-js: the payload is JavaScript source, eval'd to rebuild the value.

const SAFE_CONSTRUCTORS = new Set<string>(['Date', 'RegExp', 'Map', 'Set', 'Error', 'TypeError', 'RangeError', 'URL', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array']);
const SAFE_GLOBALS = new Set<string>(['undefined', 'NaN', 'Infinity']);

interface JsNode {
  type: string;
  start: number;
  [key: string]: unknown;
}

/** serialize-to-js output is data: literals, arrays, objects, `new Date(…)` and the like, `Buffer.from(…)`. Anything else runs code. */
function jsCodeAt(payload: string): { offset: number; runsOnLoad: boolean; what: string } | null {
  if (payload.length > MAX_PARSE_LENGTH) return /function|=>|\(\s*\)/.test(payload) ? { offset: 0, runsOnLoad: true, what: 'code' } : null;
  let program: Acorn.Program;
  try {
    // serialize-to-js evaluates `(` + payload + `)`: parse the same text as a whole script.
    program = acorn().parse(`(${payload})`, { ecmaVersion: 'latest', sourceType: 'script' });
  } catch {
    return null; // the evaluator would throw a SyntaxError: nothing runs
  }
  const only = program.body.length === 1 ? program.body[0]! : null;
  if (only === null || only.type !== 'ExpressionStatement') {
    return { offset: Math.max(0, (program.body[1]?.start ?? 1) - 1), runsOnLoad: true, what: 'statements' };
  }
  const root = only.expression as unknown as JsNode;
  const stack: JsNode[] = [root];
  let budget = 50_000;
  while (stack.length > 0 && budget-- > 0) {
    const n = stack.pop()!;
    const at = Math.max(0, n.start - 1);
    switch (n.type) {
      case 'Literal':
      case 'TemplateElement':
        continue;
      case 'Identifier':
        if (!SAFE_GLOBALS.has(n.name as string)) return { offset: at, runsOnLoad: true, what: `reference to ${n.name as string}` };
        continue;
      case 'TemplateLiteral':
        if ((n.expressions as unknown[]).length > 0) return { offset: at, runsOnLoad: true, what: 'template expression' };
        continue;
      case 'ArrayExpression':
      case 'ObjectExpression':
      case 'SpreadElement':
        break;
      case 'Property':
        if (n.kind !== 'init' || n.method === true) return { offset: at, runsOnLoad: false, what: 'accessor or method' };
        if (n.computed === true) return { offset: at, runsOnLoad: true, what: 'computed key' };
        stack.push(n.value as JsNode);
        continue;
      case 'UnaryExpression':
        if (n.operator !== '-' && n.operator !== '+' && n.operator !== 'void') return { offset: at, runsOnLoad: true, what: n.operator as string };
        break;
      case 'NewExpression': {
        const callee = n.callee as JsNode;
        if (callee.type !== 'Identifier' || !SAFE_CONSTRUCTORS.has(callee.name as string)) return { offset: at, runsOnLoad: true, what: 'constructor call' };
        for (const a of n.arguments as JsNode[]) stack.push(a);
        continue;
      }
      case 'CallExpression': {
        // Buffer.from([…]) / Buffer.from("…", "base64")
        const callee = n.callee as JsNode;
        const object = callee.object as JsNode | undefined;
        const property = callee.property as JsNode | undefined;
        if (callee.type === 'MemberExpression' && callee.computed !== true && object?.type === 'Identifier' && object.name === 'Buffer' && property?.name === 'from') {
          for (const a of n.arguments as JsNode[]) stack.push(a);
          continue;
        }
        return { offset: at, runsOnLoad: true, what: 'function call' };
      }
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
      case 'ClassExpression':
        return { offset: at, runsOnLoad: false, what: 'function' };
      default:
        return { offset: at, runsOnLoad: true, what: n.type };
    }
    for (const key in n) {
      if (key === 'type' || key === 'start' || key === 'end') continue;
      const child = n[key];
      if (Array.isArray(child)) {
        for (const c of child) if (c !== null && typeof c === 'object' && typeof (c as JsNode).type === 'string') stack.push(c as JsNode);
      } else if (child !== null && typeof child === 'object' && typeof (child as JsNode).type === 'string') {
        stack.push(child as JsNode);
      }
    }
  }
  return null;
}

function jsHit(payload: string): Hit | null {
  const code = jsCodeAt(payload);
  if (code === null) return null;
  return { marker: code.what, threatLevel: 'critical', runsOnLoad: code.runsOnLoad, offset: code.offset };
}

// ---------------------------------------------------------------------------

/**
 * The input the payload came from: an input that contains the payload (a
 * cookie's decoded form, a body field), or a substantial input inside the
 * payload that carries the dangerous part.
 */
function sourceInput(payload: string, hit: Hit, inputs: readonly UserInput[]): UserInput | null {
  for (let i = 0; i < inputs.length; i++) {
    const v = inputs[i]!.value;
    if (typeof v === 'string' && v.length >= payload.length && v.indexOf(payload) !== -1) return inputs[i]!;
  }
  for (let i = 0; i < inputs.length; i++) {
    const v = inputs[i]!.value;
    if (typeof v !== 'string' || v.length < MIN_INPUT_LENGTH || v.length > payload.length) continue;
    const at = payload.indexOf(v);
    if (at !== -1 && at <= hit.offset && at + v.length > hit.offset) return inputs[i]!;
  }
  return null;
}

const FORMAT_TEXT: Record<SerializationFormat, string> = {
  'node-serialize': 'node-serialize',
  funcster: 'funcster',
  yaml: 'YAML',
  js: 'serialize-to-js',
};

/**
 * `payload`: the string handed to node-serialize unserialize, funcster
 * deserialize, js-yaml load, serialize-to-js deserialize. A finding when it
 * would create functions or run code.
 */
export function detectUnsafeDeserialization(payload: string, format: SerializationFormat, inputs: readonly UserInput[]): Finding | null {
  if (typeof payload !== 'string' || payload.length < 3) return null;
  let hit: Hit | null;
  try {
    switch (format) {
      case 'node-serialize':
        hit = nodeSerializeHit(payload);
        break;
      case 'funcster':
        hit = funcsterHit(payload);
        break;
      case 'yaml':
        hit = yamlHit(payload);
        break;
      case 'js':
        hit = jsHit(payload);
        break;
      default:
        return null;
    }
  } catch {
    return null;
  }
  if (hit === null) return null;
  const input = sourceInput(payload, hit, inputs);
  const what = hit.threatLevel === 'low' ? 'builds a regular expression' : hit.runsOnLoad ? 'runs code while deserialising' : 'creates a function';
  const finding: Finding = {
    rule: 'deserialization',
    threatLevel: hit.threatLevel,
    confidence: input !== null ? 0.98 : 0.8,
    description: `${FORMAT_TEXT[format]} payload ${what} (${hit.marker})${input !== null ? ` from ${input.source} input ${input.path}` : ', not traceable to this request (stored payload?)'}`,
    detail: { format, marker: hit.marker, runsOnLoad: hit.runsOnLoad, fromInput: input !== null },
  };
  return input !== null ? { ...finding, input } : finding;
}
